"""The topic bank: one YAML file per topic, ``<bank>/<domain>/<id>.yaml``.

``load_bank`` returns a ``Bank`` of plain dataclasses or raises ``BankError`` on the first problem;
``check_bank`` returns every problem as ``Problem(path, line, message)`` so a user sees them all at
once. YAML is read with the safe loader only (the C one when present): a ``!!python/object`` tag is a
problem, never executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from prep.errors import BankError
from prep.text import fold

LEVELS = ("basic", "deep")
CARD_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
TOPIC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MIN_KEYWORDS, MAX_KEYWORDS = 2, 6
MAX_LEN = {"q": 400, "a": 2400, "keyword": 80, "alias": 80, "title": 80, "ref": 500}

_TOPIC_KEYS = {
    "id",
    "domain",
    "title",
    "aliases",
    "shared_aliases",
    "context_aliases",
    "related",
    "cards",
}
_CARD_KEYS = {"id", "q", "a", "keywords", "level", "refs"}


@dataclass(frozen=True)
class Card:
    topic: str
    id: str
    q: str
    a: str
    keywords: tuple[str, ...]
    level: str
    refs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The card's stable identity across the bank, Anki notes and quiz history."""
        return f"{self.topic}/{self.id}"

    def to_dict(self) -> dict:
        return {
            "topic": self.topic,
            "id": self.id,
            "q": self.q,
            "a": self.a,
            "keywords": list(self.keywords),
            "level": self.level,
            "refs": list(self.refs),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Card:
        return cls(
            topic=d["topic"],
            id=d["id"],
            q=d["q"],
            a=d["a"],
            keywords=tuple(d["keywords"]),
            level=d["level"],
            refs=tuple(d.get("refs", ())),
        )


@dataclass(frozen=True)
class ContextAlias:
    """``alias`` means this topic when the term or its line prefix also mentions a ``context`` word."""

    alias: str
    context: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    id: str
    domain: str
    title_zh: str
    title_en: str
    aliases: tuple[str, ...] = ()
    shared_aliases: tuple[str, ...] = ()
    context_aliases: tuple[ContextAlias, ...] = ()
    related: tuple[str, ...] = ()
    cards: tuple[Card, ...] = ()
    path: str = ""

    @property
    def title(self) -> str:
        return (
            self.title_zh
            if self.title_zh == self.title_en
            else f"{self.title_zh} / {self.title_en}"
        )

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "domain": self.domain,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "aliases": list(self.aliases),
            "shared_aliases": list(self.shared_aliases),
            "context_aliases": [
                {"alias": c.alias, "context": list(c.context)} for c in self.context_aliases
            ],
            "related": list(self.related),
            "cards": [c.to_dict() for c in self.cards],
            "path": self.path,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Topic:
        return cls(
            id=d["id"],
            domain=d["domain"],
            title_zh=d["title"]["zh"],
            title_en=d["title"]["en"],
            aliases=tuple(d["aliases"]),
            shared_aliases=tuple(d["shared_aliases"]),
            context_aliases=tuple(
                ContextAlias(c["alias"], tuple(c["context"])) for c in d["context_aliases"]
            ),
            related=tuple(d["related"]),
            cards=tuple(Card.from_dict(c) for c in d["cards"]),
            path=d["path"],
        )


@dataclass(frozen=True)
class Domain:
    id: str
    title_zh: str
    title_en: str
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bank:
    topics: dict[str, Topic]
    domains: dict[str, Domain] = field(default_factory=dict)
    fingerprint: str = ""  # hash of the bank's files, when loaded through the cache

    def cards(self) -> list[Card]:
        return [c for t in self.topics.values() for c in t.cards]

    def card(self, key: str) -> Card | None:
        topic, _, cid = key.partition("/")
        t = self.topics.get(topic)
        return next((c for c in t.cards if c.id == cid), None) if t else None

    def domain_title(self, domain: str) -> str:
        d = self.domains.get(domain)
        return d.title_zh if d else domain

    def to_dict(self) -> dict:
        return {
            "topics": [t.to_dict() for t in self.topics.values()],
            "domains": [
                {"id": d.id, "zh": d.title_zh, "en": d.title_en, "required": list(d.required)}
                for d in self.domains.values()
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Bank:
        return cls(
            topics={t["id"]: Topic.from_dict(t) for t in d["topics"]},
            domains={
                x["id"]: Domain(x["id"], x["zh"], x["en"], tuple(x["required"]))
                for x in d["domains"]
            },
        )


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


def _yaml():
    import yaml

    loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    return yaml, loader


def _compose(text: str, path: str, problems: list[Problem]):
    """YAML text → (node, data); a syntax or tag problem is recorded and (None, None) returned."""
    yaml, Loader = _yaml()
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return node, data
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(str(x) for x in (e.context, e.problem) if x)
        if "\t" in msg or "'\\t'" in msg or (mark and _is_tab_at(text, mark)):
            msg = "tab character in indentation; YAML indents with spaces only"
        elif "tag" in msg and "constructor" in msg:
            msg = f"{e.problem}; the bank takes plain YAML only (no !! tags)"
        problems.append(Problem(path, line, f"invalid YAML: {msg.strip()}"))
    except yaml.YAMLError as e:
        problems.append(Problem(path, None, f"invalid YAML: {e}"))
    finally:
        loader.dispose()
    return None, None


def _is_tab_at(text: str, mark) -> bool:
    lines = text.splitlines()
    return 0 <= mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]


def _line(node, *path) -> int | None:
    """1-based line of the node at ``path`` (mapping keys and sequence indices) under ``node``."""
    best = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if node is None:
            break
        nxt = None
        if node.id == "mapping":
            for k, v in node.value:
                if k.value == step:
                    best, nxt = k.start_mark.line + 1, v
                    break
        elif node.id == "sequence" and isinstance(step, int) and step < len(node.value):
            nxt = node.value[step]
            best = nxt.start_mark.line + 1
        node = nxt
    return best


# ---------------------------------------------------------------------------------------------
# Reading one topic file


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) and x.strip() for x in value)


def _parse_topic(path: Path, shown: str, problems: list[Problem]) -> Topic | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(shown, None, "not UTF-8 text; save the file as UTF-8"))
        return None
    except OSError as e:
        problems.append(Problem(shown, None, f"cannot be read ({e.strerror or e})"))
        return None
    node, data = _compose(text, shown, problems)
    if node is None and data is None:
        if not text.strip():
            problems.append(
                Problem(shown, None, "empty file; a topic file is a mapping with id, cards…")
            )
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem(
                shown, _line(node), "not a mapping; a topic file has keys id, domain, title, cards…"
            )
        )
        return None

    before = len(problems)

    def bad(message: str, *where) -> None:
        problems.append(Problem(shown, _line(node, *where), message))

    for key in data:
        if key not in _TOPIC_KEYS:
            bad(f"unknown key {key!r}; topic keys are: {', '.join(sorted(_TOPIC_KEYS))}", key)
    for key in ("id", "domain", "title", "aliases", "cards"):
        if key not in data:
            bad(f"missing required field {key!r}")
    tid, domain = data.get("id"), data.get("domain")
    if "id" in data and not (isinstance(tid, str) and TOPIC_ID_RE.match(tid)):
        bad("id must be a lowercase slug such as 'kv-cache'", "id")
    if "domain" in data and not (isinstance(domain, str) and TOPIC_ID_RE.match(domain)):
        bad("domain must be a lowercase slug such as 'inference'", "domain")
    if isinstance(tid, str) and path.stem != tid:
        bad(
            f"id {tid!r} does not match the file name {path.name!r}; name the file {tid}.yaml", "id"
        )
    if isinstance(domain, str) and path.parent.name != domain:
        bad(f"domain {domain!r} does not match the folder {path.parent.name!r}", "domain")

    title = data.get("title")
    tzh = ten = ""
    if "title" in data:
        if not isinstance(title, dict):
            bad("title must be a mapping with zh and en", "title")
        else:
            for lang in ("zh", "en"):
                v = title.get(lang)
                if not (isinstance(v, str) and v.strip()):
                    bad(f"title.{lang} is missing or empty", "title")
                elif len(v) > MAX_LEN["title"]:
                    bad(f"title.{lang} is longer than {MAX_LEN['title']} characters", "title", lang)
            tzh, ten = str(title.get("zh") or "").strip(), str(title.get("en") or "").strip()

    for key in ("aliases", "shared_aliases", "related"):
        if key in data and not _strings(data[key] or []):
            bad(f"{key} must be a list of non-empty strings", key)
        for i, a in enumerate(data.get(key) or []):
            if isinstance(a, str) and len(a) > MAX_LEN["alias"]:
                bad(f"{key}[{i}] is longer than {MAX_LEN['alias']} characters", key, i)
    if "aliases" in data and not (data.get("aliases") or data.get("shared_aliases")):
        bad("aliases is empty; the matcher finds a topic only through its aliases", "aliases")

    ctx: list[ContextAlias] = []
    raw_ctx = data.get("context_aliases") or []
    if not isinstance(raw_ctx, list):
        bad("context_aliases must be a list of {alias, context} mappings", "context_aliases")
        raw_ctx = []
    for i, c in enumerate(raw_ctx):
        if not (
            isinstance(c, dict)
            and isinstance(c.get("alias"), str)
            and c["alias"].strip()
            and _strings(c.get("context"))
            and c.get("context")
        ):
            bad(
                "context_aliases entries need alias (text) and context (list of words)",
                "context_aliases",
                i,
            )
            continue
        ctx.append(ContextAlias(c["alias"].strip(), tuple(x.strip() for x in c["context"])))

    cards: list[Card] = []
    raw_cards = data.get("cards")
    if "cards" in data and not (isinstance(raw_cards, list) and raw_cards):
        bad("cards must be a non-empty list", "cards")
        raw_cards = []
    seen: set[str] = set()
    for i, c in enumerate(raw_cards or []):
        card = _parse_card(c, i, tid if isinstance(tid, str) else path.stem, bad)
        if card is None:
            continue
        if card.id in seen:
            bad(f"duplicate card id {card.id!r} in this topic; card ids must be unique", "cards", i)
            continue
        seen.add(card.id)
        cards.append(card)

    if len(problems) > before:
        return None
    return Topic(
        id=tid,
        domain=domain,
        title_zh=tzh,
        title_en=ten,
        aliases=tuple(a.strip() for a in data.get("aliases") or ()),
        shared_aliases=tuple(a.strip() for a in data.get("shared_aliases") or ()),
        context_aliases=tuple(ctx),
        related=tuple(data.get("related") or ()),
        cards=tuple(cards),
        path=shown,
    )


def _parse_card(c, i: int, topic: str, bad) -> Card | None:
    where = ("cards", i)
    if not isinstance(c, dict):
        bad(f"cards[{i}] must be a mapping with id, q, a, keywords, level", *where)
        return None
    ok = True
    for key in c:
        if key not in _CARD_KEYS:
            bad(
                f"cards[{i}]: unknown key {key!r}; card keys are: {', '.join(sorted(_CARD_KEYS))}",
                *where,
                key,
            )
            ok = False
    for key in ("id", "q", "a", "keywords", "level"):
        if key not in c:
            bad(f"cards[{i}]: missing required field {key!r}", *where)
            ok = False
    cid = c.get("id")
    label = f"card {cid!r}" if isinstance(cid, str) else f"cards[{i}]"
    if "id" in c and not (isinstance(cid, str) and CARD_ID_RE.match(cid)):
        bad(f"{label}: id must be a lowercase slug such as 'bytes-per-token'", *where, "id")
        ok = False
    for key in ("q", "a"):
        if key not in c:
            continue
        v = c[key]
        if not (isinstance(v, str) and v.strip()):
            bad(f"{label}: {key} is empty", *where, key)
            ok = False
        elif len(v) > MAX_LEN[key]:
            bad(
                f"{label}: {key} is {len(v)} characters, over the limit of {MAX_LEN[key]}; "
                "split the card",
                *where,
                key,
            )
            ok = False
    kw = c.get("keywords")
    if "keywords" in c:
        if not _strings(kw) or not kw:
            bad(
                f"{label}: no keywords; list the {MIN_KEYWORDS}–{MAX_KEYWORDS} key points an answer "
                "must contain",
                *where,
                "keywords",
            )
            ok = False
        elif not MIN_KEYWORDS <= len(kw) <= MAX_KEYWORDS:
            bad(
                f"{label}: {len(kw)} keywords; give {MIN_KEYWORDS} to {MAX_KEYWORDS}",
                *where,
                "keywords",
            )
            ok = False
        elif any(len(k) > MAX_LEN["keyword"] for k in kw):
            bad(
                f"{label}: a keyword is longer than {MAX_LEN['keyword']} characters; keep them to "
                "key terms",
                *where,
                "keywords",
            )
            ok = False
    if "level" in c and c.get("level") not in LEVELS:
        bad(f"{label}: level must be one of {', '.join(LEVELS)}", *where, "level")
        ok = False
    refs = c.get("refs") or []
    if not (
        _strings(refs)
        and all(r.startswith(("http://", "https://")) and len(r) <= MAX_LEN["ref"] for r in refs)
    ):
        bad(f"{label}: refs must be a list of http(s) URLs", *where, "refs")
        ok = False
    if not ok:
        return None
    return Card(
        topic=topic,
        id=cid,
        q=c["q"].strip(),
        a=c["a"].strip(),
        keywords=tuple(k.strip() for k in kw),
        level=c["level"],
        refs=tuple(refs),
    )


# ---------------------------------------------------------------------------------------------
# The whole bank


def load_taxonomy(path: Path | None = None) -> dict[str, Domain]:
    """The required topic ids per domain, shipped with the package."""
    yaml, Loader = _yaml()
    if path is None:
        from prep.paths import taxonomy_file

        path = taxonomy_file()
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=Loader)
    return {
        d: Domain(d, v["title"]["zh"], v["title"]["en"], tuple(v.get("topics") or ()))
        for d, v in data.items()
    }


def bank_files(root: Path) -> list[Path]:
    """The topic files of a bank: ``<domain>/<id>.yaml`` (or ``.yml``)."""
    files = sorted(p for p in root.glob("*/*.yaml") if p.is_file())
    return files + sorted(p for p in root.glob("*/*.yml") if p.is_file())


def _read_bank(root: Path) -> tuple[dict[str, Topic], list[Problem], set[str]]:
    """The valid topics, every per-file problem, and the ids of the files that had problems."""
    problems: list[Problem] = []
    broken: set[str] = set()
    if not root.is_dir():
        raise BankError(
            "topic bank folder not found; pass --topics DIR or set PREP_TOPICS", str(root)
        )
    files = bank_files(root)
    if not files:
        raise BankError("no topic files (<domain>/<id>.yaml) in the topic bank folder", str(root))
    topics: dict[str, Topic] = {}
    for f in files:
        shown = _shown(f, root)
        t = _parse_topic(f, shown, problems)
        if t is None:
            broken.add(f.stem)  # reported already: not "missing" too, nor a dangling "related"
            continue
        if t.id in topics:
            problems.append(
                Problem(shown, 1, f"duplicate topic id {t.id!r}, also in {topics[t.id].path}")
            )
            continue
        topics[t.id] = t
    return topics, problems, broken


def _shown(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _missing_required(
    topics: dict[str, Topic], domains: dict[str, Domain], root: Path, broken: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    for d in domains.values():
        for tid in d.required:
            if tid not in topics and tid not in broken:
                problems.append(
                    Problem(
                        str(Path(root.name) / d.id / f"{tid}.yaml"),
                        None,
                        f"missing topic {tid!r}, required by the taxonomy ({d.id})",
                    )
                )
    return problems


def _cross_checks(topics: dict[str, Topic], broken: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for t in topics.values():
        for r in t.related:
            if r not in topics and r not in broken:
                problems.append(Problem(t.path, None, f"related topic {r!r} does not exist"))
    # An alias names one topic, unless both files say it is shared.
    owners: dict[str, list[tuple[Topic, str, bool]]] = {}
    for t in topics.values():
        for a in t.aliases:
            owners.setdefault(fold(a), []).append((t, a, False))
        for a in t.shared_aliases:
            owners.setdefault(fold(a), []).append((t, a, True))
    for claims in owners.values():
        ids = list(dict.fromkeys(t.id for t, _, _ in claims))
        if len(ids) < 2 or all(shared for _, _, shared in claims):
            continue
        for t, a, shared in claims:
            if not shared:
                others = ", ".join(i for i in ids if i != t.id)
                problems.append(
                    Problem(
                        t.path,
                        None,
                        f"alias {a!r} is also claimed by {others}; keep it in one topic, or list it "
                        "under shared_aliases in each",
                    )
                )
    return problems


def check_bank(
    root: str | Path, taxonomy: dict[str, Domain] | None = None
) -> tuple[Bank | None, list[Problem]]:
    """Every problem of the bank at ``root``, and the bank when there are none."""
    root = Path(root)
    domains = load_taxonomy() if taxonomy is None else taxonomy
    topics, problems, broken = _read_bank(root)
    problems += _missing_required(topics, domains, root, broken) + _cross_checks(topics, broken)
    if problems:
        return None, problems
    return Bank(topics, domains), []


def load_bank(root: str | Path, use_cache: bool = True) -> Bank:
    """Load the bank at ``root``; raise ``BankError`` naming the first problem.

    Every file must be valid and topic ids unique. Consistency of the bank as a whole (the
    taxonomy's topics present, related ids, aliases claimed twice) is for ``prep check``: a bank of
    one's own still loads while it grows. An unchanged bank comes from the cache in the data folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise BankError(
            "topic bank folder not found; pass --topics DIR or set PREP_TOPICS", str(root)
        )
    if not use_cache:
        return _load_uncached(root)
    from prep.cache import cached_bank

    return cached_bank(root, _load_uncached, Bank.to_dict, Bank.from_dict, bank_files(root))


def _load_uncached(root: Path) -> Bank:
    domains = load_taxonomy()
    topics, problems, _ = _read_bank(root)
    if problems:
        more = f" (and {len(problems) - 1} more; run 'prep check')" if len(problems) > 1 else ""
        p = problems[0]
        raise BankError(p.message + more, p.path, p.line)
    return Bank(topics, domains)
