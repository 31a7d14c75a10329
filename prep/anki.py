"""Export a company's topics as an Anki package (.apkg) that re-imports as updates, not duplicates.

Identity rules (see the README):

- a note's GUID is derived from topic id + card id only, so a card is one note across companies and
  regenerations (``independent=True`` adds the company, for decks one can delete separately);
- the note type id and deck ids are constants / derived from names;
- each note's modification time is the time its generated content last changed, read from a ledger
  of content hashes beside the decks: Anki updates a note only when the imported copy is newer, so an
  unchanged note never overwrites an edit made in Anki, and a changed one always updates.

``plan_deck`` is pure; ``write_deck`` does the I/O (atomic rename, ledger).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from prep.bank import Bank, Card
from prep.errors import PrepError
from prep.match import PositionMatch, topic_weights
from prep.paths import atomic_write

ROOT_DECK = "面试准备"
MODEL_ID = 1764390001  # never change: Anki won't update notes whose note type changed
MODEL_NAME = "prep 面试卡片 v1"
FIELDS = ("Question", "Answer", "Topic", "AskedIn", "Key")
LEDGER = ".prep-ledger.json"
ASKED_IN_MAX = 12  # positions listed on a card; more are counted, not listed

CSS = """\
.card {
  font-family: -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB",
    "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "Segoe UI", Roboto, sans-serif;
  font-size: 18px; line-height: 1.65; text-align: left;
  color: #1f2328; background-color: #ffffff;
  max-width: 44em; margin: 0 auto; padding: 12px 16px;
  word-wrap: break-word; overflow-wrap: anywhere;
}
.card.nightMode, .nightMode .card, .night_mode .card, .card.night_mode {
  color: #e6edf3; background-color: #1e1f22;
}
.topic { font-size: 0.78em; color: #6e7781; margin-bottom: 0.6em; letter-spacing: 0.02em; }
.question { font-size: 1.08em; font-weight: 600; }
.answer p { margin: 0.5em 0; }
ul, ol { padding-left: 1.4em; margin: 0.4em 0; }
li { margin: 0.25em 0; }
code {
  font-family: "JetBrains Mono", "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.88em; padding: 0.1em 0.35em; border-radius: 4px;
  background-color: rgba(127, 127, 127, 0.16);
}
pre { overflow-x: auto; padding: 0.7em 0.9em; border-radius: 6px;
  background-color: rgba(127, 127, 127, 0.12); line-height: 1.45; }
pre code { padding: 0; background: none; font-size: 0.85em; }
strong { font-weight: 650; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid rgba(127, 127, 127, 0.35); padding: 0.2em 0.5em; }
hr#answer { border: none; border-top: 1px solid rgba(127, 127, 127, 0.35); margin: 1em 0; }
.asked, .refs { font-size: 0.78em; color: #6e7781; margin-top: 1.2em;
  border-top: 1px dashed rgba(127, 127, 127, 0.35); padding-top: 0.5em; }
.asked ul { margin: 0.2em 0; }
.refs a { color: inherit; }
@media (max-width: 480px) { .card { font-size: 16px; padding: 8px 10px; } }
"""

FRONT = """\
<div class="topic">{{Topic}}</div>
<div class="question">{{Question}}</div>
"""

BACK = """\
{{FrontSide}}
<hr id="answer">
<div class="answer">{{Answer}}</div>
{{#AskedIn}}<div class="asked">{{AskedIn}}</div>{{/AskedIn}}
"""


@dataclass(frozen=True)
class DeckNote:
    key: str  # topic/card
    guid: str
    deck: str  # full deck name, parent::company::domain
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    due: int  # position in the new queue, 1 = first

    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (*self.fields, "\x1e", *sorted(self.tags)):
            h.update(part.encode("utf-8"))
            h.update(b"\x1f")
        return h.hexdigest()


@dataclass(frozen=True)
class DeckPlan:
    company: str
    deck: str  # parent deck name
    notes: tuple[DeckNote, ...]
    positions: int
    topics: tuple[str, ...]  # most asked first
    unmatched: int


# ---------------------------------------------------------------------------------------------
# Rendering


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    # Raw HTML in the bank is shown as text; images are off (no fetching); links stay http(s).
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")
    return md


def render_markdown(text: str) -> str:
    return _markdown().render(text).strip()


# Bump when the rendering changes, so cached HTML is made again.
RENDER_VERSION = "markdown-it commonmark+table, no html, no images, v1"


def render_question(text: str, markdown: Callable[[str], str] = render_markdown) -> str:
    out = markdown(text)
    # A one-paragraph question needs no <p> margin.
    m = re.fullmatch(r"<p>(.*)</p>", out, flags=re.DOTALL)
    return m.group(1) if m and "<p>" not in m.group(1) else out


def render_answer(card: Card, markdown: Callable[[str], str] = render_markdown) -> str:
    out = markdown(card.a)
    if card.refs:
        links = "".join(
            f'<li><a href="{html.escape(r, quote=True)}">{html.escape(r)}</a></li>'
            for r in card.refs
        )
        out += f'\n<div class="refs">参考：<ul>{links}</ul></div>'
    return out


def render_asked_in(asks: Sequence[tuple[str, str, str, Sequence[str]]]) -> str:
    """``[(company, title, status, [requirement text…])]`` → escaped HTML list."""
    if not asks:
        return ""
    items = []
    for company, title, status, terms in asks[:ASKED_IN_MAX]:
        quoted = "、".join(f"“{html.escape(t)}”" for t in dict.fromkeys(terms))
        items.append(
            f"<li><b>{html.escape(company)}</b> {html.escape(title)}"
            f" <small>({html.escape(status)})</small>{'：' + quoted if quoted else ''}</li>"
        )
    if len(asks) > ASKED_IN_MAX:
        items.append(f"<li>……另有 {len(asks) - ASKED_IN_MAX} 个职位</li>")
    return "被问到：<ul>" + "".join(items) + "</ul>"


# ---------------------------------------------------------------------------------------------
# Identity


def note_guid(card: Card, company: str | None = None) -> str:
    """Stable GUID from topic id + card id (and the company, for independent decks)."""
    import genanki

    return (
        genanki.guid_for(card.topic, card.id)
        if company is None
        else genanki.guid_for(card.topic, card.id, company)
    )


def deck_id(name: str) -> int:
    """A deck id derived from the deck's name: the same name always gets the same id."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:6], "big") % (1 << 40)


def company_tag(company: str) -> str:
    return "company::" + re.sub(r"\s+", "_", company.strip())


def safe_filename(name: str) -> str:
    """A company name as a file name that stays inside the output folder on every OS."""
    name = unicodedata.normalize("NFKC", name)
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "_", name)
    name = name.strip().strip(".").strip()
    if not name or set(name) <= {"_", "."}:
        name = "company"
    if re.fullmatch(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\..*)?", name):
        name = "_" + name
    return name[:100]


# ---------------------------------------------------------------------------------------------
# Planning (pure)


def asked_in(matched: Iterable[PositionMatch], company: str | None = None) -> dict:
    """topic id → [(company, title, status, [terms])] of the positions asking for it."""
    out: dict[str, list[tuple[str, str, str, list[str]]]] = {}
    for pm in matched:
        p = pm.position
        if company is not None and p.company != company:
            continue
        terms: dict[str, list[str]] = {}
        for m in pm.matches:
            for t in m.topics:
                terms.setdefault(t, []).append(m.term.text)
        for t, texts in terms.items():
            out.setdefault(t, []).append((p.company, p.title, p.status, texts))
    return out


def plan_deck(
    company: str,
    chosen: Sequence[PositionMatch],
    everything: Sequence[PositionMatch],
    bank: Bank,
    independent: bool = False,
    markdown: Callable[[str], str] = render_markdown,
) -> DeckPlan:
    """The notes of one company's deck.

    ``chosen`` are the company's positions to draw topics from (after --status); ``everything`` are
    all positions of the notes, which decide the company tags and the "asked in" field, so that a
    note shared by two companies' decks is the same note in both. ``markdown`` renders card
    text (the CLI passes a cached renderer).
    """
    weights = topic_weights(chosen)
    order = {tid: i for i, tid in enumerate(bank.topics)}
    topics = sorted((t for t in weights if t in bank.topics), key=lambda t: (-weights[t], order[t]))
    scope = company if independent else None
    asks = asked_in(everything, scope)
    tags_by_topic: dict[str, set[str]] = {}
    for pm in everything:
        for t in pm.topics:
            tags_by_topic.setdefault(t, set()).add(company_tag(pm.position.company))
    parent = f"{ROOT_DECK}::{company.replace('::', '：')}"
    notes: list[DeckNote] = []
    for tid in topics:
        topic = bank.topics[tid]
        cards = sorted(topic.cards, key=lambda c: c.level != "basic")  # stable: file order kept
        company_tags = {company_tag(company)} if independent else tags_by_topic.get(tid, set())
        for card in cards:
            tags = (
                f"topic::{tid}",
                f"domain::{topic.domain}",
                f"level::{card.level}",
                *sorted(company_tags | {company_tag(company)}),
            )
            fields = (
                render_question(card.q, markdown),
                render_answer(card, markdown),
                html.escape(f"{topic.title_zh} · {topic.title_en}"),
                render_asked_in(asks.get(tid, ())),
                html.escape(card.key),
            )
            notes.append(
                DeckNote(
                    key=card.key,
                    guid=note_guid(card, company if independent else None),
                    deck=f"{parent}::{bank.domain_title(topic.domain)}",
                    fields=fields,
                    tags=tuple(tags),
                    due=len(notes) + 1,
                )
            )
    return DeckPlan(
        company=company,
        deck=parent,
        notes=tuple(notes),
        positions=len(chosen),
        topics=tuple(topics),
        unmatched=sum(len(pm.unmatched) for pm in chosen),
    )


def stamp(notes: Iterable[DeckNote], ledger: dict, now: int) -> tuple[dict[str, int], dict]:
    """Each note's modification time: unchanged content keeps its time, changed content gets ``now``.

    Returns (guid → mod, the updated ledger). A changed note's time is always later than the one it
    had before, even if the clock says otherwise.
    """
    ledger = dict(ledger)
    mods: dict[str, int] = {}
    for n in notes:
        h = n.content_hash()
        entry = ledger.get(n.guid)
        if entry and entry.get("hash") == h:
            mods[n.guid] = int(entry["mod"])
            continue
        mod = now if not entry else max(now, int(entry.get("mod", 0)) + 1)
        ledger[n.guid] = {"hash": h, "mod": mod}
        mods[n.guid] = mod
    return mods, ledger


# ---------------------------------------------------------------------------------------------
# Writing


def _model():
    import genanki

    return genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": f} for f in FIELDS],
        templates=[{"name": "问答", "qfmt": FRONT, "afmt": BACK}],
        css=CSS,
        sort_field_index=0,
    )


def _note_class():
    import genanki

    class StampedNote(genanki.Note):
        """A genanki note written with its own modification time, not the package's."""

        def __init__(self, *args, mod: int, **kwargs):
            super().__init__(*args, **kwargs)
            self.mod = mod

        def write_to_db(self, cursor, timestamp, deck_id, id_gen):
            super().write_to_db(cursor, self.mod, deck_id, id_gen)

    return StampedNote


def _read_ledger(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data.get("notes", {}) if isinstance(data, dict) else {}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        # A damaged ledger only costs fresh timestamps (notes update once more); never fatal.
        return {}


def output_path(out_dir: Path, company: str) -> Path:
    """``out_dir/<company>.apkg``, never outside ``out_dir``."""
    path = out_dir / f"{safe_filename(company)}.apkg"
    if path.resolve().parent != out_dir.resolve():
        raise PrepError(f"company name {company!r} does not make a safe file name", str(out_dir))
    return path


def write_deck(plan: DeckPlan, out_dir: str | Path, now: float | None = None) -> Path:
    """Write ``plan`` to ``out_dir/<company>.apkg`` atomically; update the ledger beside it."""
    import genanki

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PrepError(
            f"cannot create the output folder ({e.strerror or e}); pass -o DIR", str(out_dir)
        ) from None
    path = output_path(out_dir, plan.company)
    ledger_path = out_dir / LEDGER
    ledger = _read_ledger(ledger_path)
    mods, ledger = stamp(plan.notes, ledger, int(now if now is not None else time.time()))

    model = _model()
    Note = _note_class()
    decks: dict[str, genanki.Deck] = {plan.deck: genanki.Deck(deck_id(plan.deck), plan.deck)}
    for n in plan.notes:
        deck = decks.get(n.deck)
        if deck is None:
            deck = decks[n.deck] = genanki.Deck(deck_id(n.deck), n.deck)
        deck.add_note(
            Note(
                model=model,
                fields=list(n.fields),
                tags=list(n.tags),
                guid=n.guid,
                sort_field=n.fields[0],
                due=n.due,
                mod=mods[n.guid],
            )
        )
    package = genanki.Package(list(decks.values()))
    stamp_time = max(mods.values(), default=int(now or time.time()))
    try:
        atomic_write(path, lambda tmp: package.write_to_file(str(tmp), timestamp=stamp_time))
        payload = json.dumps({"version": 1, "notes": ledger}, ensure_ascii=False, sort_keys=True)
        atomic_write(ledger_path, lambda tmp: tmp.write_text(payload, encoding="utf-8"))
    except OSError as e:
        raise PrepError(
            f"cannot write the deck ({e.strerror or e}); check the folder is writable or pass -o DIR",
            str(out_dir),
        ) from None
    return path
