"""Parse the user's positions notes (Markdown) into ``Position`` records.

The format is loose on purpose, as real notes are::

    ## Interested                      <- a status section (emoji, English or Chinese)
    ### 字节 AML 推理系统研发 [投递](https://…)   <- one position: company, title, link
    【描述】火山方舟推理系统：PD分离、KV Cache   <- description terms (same line or bullets)
    【要求】
    - Kubernetes：调度器、资源扩展机制          <- context prefix "Kubernetes", two terms

``parse_positions`` is a pure function over lines; ``read_positions`` adds the file handling
(encodings, binary files, huge files read line by line).
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prep.errors import PositionsError

# Canonical statuses, in the order a job hunt moves through them.
STATUSES = ("interested", "interviewing", "rejected", "accepted")

_STATUS_WORDS = {
    "interested": ["interested", "感兴趣", "关注", "待投递", "想投", "wishlist", "待投"],
    "interviewing": [
        "interviewing",
        "面试中",
        "面试",
        "进行中",
        "in progress",
        "applied",
        "已投递",
    ],
    "rejected": ["rejected", "已拒", "挂了", "被拒", "拒绝", "未通过", "失败"],
    "accepted": ["accepted", "offer", "已录用", "录用", "已接受", "通过"],
}
_STATUS_LOOKUP = {w.casefold(): s for s, words in _STATUS_WORDS.items() for w in words}

DESCRIPTION = "description"
REQUIREMENTS = "requirements"
TITLE = "title"

_SECTION_WORDS = {
    DESCRIPTION: [
        "描述",
        "职位描述",
        "岗位描述",
        "工作职责",
        "岗位职责",
        "职责",
        "工作内容",
        "职位职责",
        "responsibilities",
        "description",
        "job description",
        "what you will do",
        "what you'll do",
    ],
    REQUIREMENTS: [
        "要求",
        "任职要求",
        "岗位要求",
        "任职资格",
        "职位要求",
        "加分项",
        "优先",
        "技能要求",
        "requirements",
        "qualifications",
        "preferred qualifications",
        "nice to have",
        "skills",
    ],
}
_SECTION_LOOKUP = {w.casefold(): s for s, words in _SECTION_WORDS.items() for w in words}
_SECTION_ALT = "|".join(re.escape(w) for w in sorted(_SECTION_LOOKUP, key=len, reverse=True))
# 【要求】…  /  要求：…  /  **Requirements:** …  /  #### 任职要求
_SECTION_RE = re.compile(
    r"^(?:#{4,6}\s*)?(?:\*\*|__)?\s*(?:"
    r"【\s*(?P<bracketed>" + _SECTION_ALT + r")\s*】"
    r"|\[\s*(?P<squared>" + _SECTION_ALT + r")\s*\]"
    r"|(?P<plain>" + _SECTION_ALT + r")\s*(?:\*\*|__)?\s*[:：]"
    r"|(?P<alone>" + _SECTION_ALT + r")\s*(?:\*\*|__)?\s*$"
    r")\s*(?:\*\*|__)?\s*[:：]?\s*",
    re.IGNORECASE,
)
_BULLET_RE = re.compile(r"^(?:[-*+•·]|\d{1,3}[.)、]|[（(]\d{1,3}[）)]|[a-zA-Z][.)])\s+|^\d{1,3}、")
_LINK_RE = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_URL_RE = re.compile(r"<?(https?://[^\s>]+)>?")
_URL_RE = re.compile(r"https?://[^\s、，,；;（）()]+")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")

# Separators between terms on one line. "/" is handled apart because it also joins words.
_SEPARATORS = set("、，,；;｜|。")
_OPEN = "(（[【"
_CLOSE = ")）]】"
# Phrases a split on "/" would break.
_SLASH_WORDS = ("TCP/IP", "UDP/IP", "CI/CD", "C/C++", "CP/SP", "I/O", "P/D", "A/B", "B/S", "C/S")
_SLASH_WORDS_RE = re.compile(
    "|".join(re.escape(w) for w in _SLASH_WORDS)
    + r"|(?<![A-Za-z0-9])[A-Za-z]/[A-Za-z](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(
    r"^(?:如|例如|比如|包括但不限于|包括|包含|e\.g\.|eg\.|such as|including|熟悉|了解|掌握|精通)\s*[:：]?\s*",
    re.IGNORECASE,
)
_TRAILING_FILLER = re.compile(r"\s*(?:等等|等|etc\.?|and so on)$", re.IGNORECASE)
_NOTE_RE = re.compile(r"^[（(]\s*(?:ps|p\.s\.|注|备注|note)\b\s*[:：]?.*[）)]$", re.IGNORECASE)
_MAX_TERM = 200


@dataclass(frozen=True, slots=True)
class Term:
    """One requirement term of a position, with where it came from."""

    text: str
    section: str  # description | requirements | title
    line: int  # 1-based line in the positions file
    context: str = ""  # the "prefix" of a "prefix：a、b" line, else ""
    siblings: tuple[str, ...] = ()  # the other terms of the same line

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "section": self.section,
            "line": self.line,
            "context": self.context,
            "siblings": list(self.siblings),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Term:
        return cls(**{**d, "siblings": tuple(d.get("siblings", ()))})


@dataclass(frozen=True, slots=True)
class Position:
    """A position from the notes."""

    company: str
    title: str
    status: str  # one of STATUSES, or an unknown section's own name
    line: int  # line of the heading
    link: str | None = None
    description: tuple[Term, ...] = ()
    requirements: tuple[Term, ...] = ()
    notes: tuple[str, ...] = ()  # asides such as "（PS：岗位描述较详细）", never terms

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.description + self.requirements

    @property
    def contexts(self) -> tuple[Term, ...]:
        """Each distinct line prefix, as a term of its own (``Kubernetes`` of ``Kubernetes：调度器``)."""
        seen: dict[tuple[int, str], Term] = {}
        for t in self.terms:
            if t.context and (t.line, t.context) not in seen:
                seen[(t.line, t.context)] = Term(t.context, t.section, t.line)
        return tuple(seen.values())

    def to_dict(self) -> dict:
        return {
            "company": self.company,
            "title": self.title,
            "status": self.status,
            "line": self.line,
            "link": self.link,
            "description": [t.to_dict() for t in self.description],
            "requirements": [t.to_dict() for t in self.requirements],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Position:
        return cls(
            company=d["company"],
            title=d["title"],
            status=d["status"],
            line=d["line"],
            link=d.get("link"),
            description=tuple(Term.from_dict(t) for t in d.get("description", ())),
            requirements=tuple(Term.from_dict(t) for t in d.get("requirements", ())),
            notes=tuple(d.get("notes", ())),
        )


def normalize_status(text: str) -> str:
    """Map a status heading (``❌ Rejected``, ``面试中``) to a canonical status; unknown stays as is."""
    cleaned = "".join(
        ch for ch in text if unicodedata.category(ch)[0] in "LNZ" or ch in "-_ "
    ).strip()
    key = unicodedata.normalize("NFKC", cleaned).casefold()
    if key in _STATUS_LOOKUP:
        return _STATUS_LOOKUP[key]
    for word in key.replace("/", " ").split():
        if word in _STATUS_LOOKUP:
            return _STATUS_LOOKUP[word]
    return cleaned or text.strip()


def parse_status_filter(text: str | None) -> set[str] | None:
    """``"interviewing,面试中"`` → ``{"interviewing"}``; None or empty → None (all statuses)."""
    if not text:
        return None
    return {normalize_status(part) for part in re.split(r"[,，\s]+", text) if part.strip()}


def parse_heading(text: str) -> tuple[str, str, str | None]:
    """``字节 AML 推理 [【投递】](url)`` → (company, title, link)."""
    link = None
    m = _LINK_RE.search(text)
    if m:
        link = m.group(2) or None
        text = (text[: m.start()] + text[m.end() :]).strip()
    else:
        m = _BARE_URL_RE.search(text)
        if m:
            link = m.group(1)
            text = (text[: m.start()] + text[m.end() :]).strip()
    text = re.sub(
        r"\[\s*(?:link|链接|投递|【投递】)?\s*\]\s*$", "", text, flags=re.IGNORECASE
    ).strip()
    text = text.strip(" -—|·")
    parts = text.split(None, 1)
    if not parts:
        return "", "", link
    company = parts[0].strip(" -—|·:：")
    title = parts[1].strip(" -—|·") if len(parts) > 1 else ""
    return company, title, link


_BRACKETS = set(_OPEN) | set(_CLOSE)
_SPLIT_RES: dict[frozenset, re.Pattern] = {}


def _split_top(text: str, seps: set[str]) -> list[str]:
    """Split ``text`` on ``seps`` outside brackets."""
    if _BRACKETS.isdisjoint(text):  # fast path: nothing nested
        key = frozenset(seps)
        pattern = _SPLIT_RES.get(key)
        if pattern is None:
            pattern = _SPLIT_RES[key] = re.compile("[" + re.escape("".join(sorted(seps))) + "]")
        return pattern.split(text)
    out, buf, depth = [], [], 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        if depth == 0 and ch in seps:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return out


def _pick(saved: list[str], m: re.Match) -> str:
    i = int(m.group(1))
    return saved[i] if i < len(saved) else m.group(0)


def _split_slashes(text: str) -> list[str]:
    """Split on "/" outside brackets, keeping ``TCP/IP``, ``P/D`` and friends whole."""
    if "/" not in text and "／" not in text:
        return [text]
    protected: list[str] = []

    def keep(m: re.Match) -> str:
        protected.append(m.group(0))
        return f"\x00{len(protected) - 1}\x00"

    masked = _SLASH_WORDS_RE.sub(keep, text)
    parts = _split_top(masked, {"/", "／"})
    if not protected:
        return parts
    return [re.sub(r"\x00(\d+)\x00", lambda m: _pick(protected, m), p) for p in parts]


def _split_prefix(line: str) -> tuple[str, str]:
    """``Kubernetes：调度器、资源扩展机制`` → (``Kubernetes``, ``调度器、资源扩展机制``)."""
    if ":" not in line and "：" not in line:
        return "", line
    depth = 0
    for i, ch in enumerate(line):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        elif depth == 0 and ch in ":：":
            if ch == ":" and i and line[i - 1].isdigit() and line[i + 1 : i + 2].isdigit():
                continue  # a time such as 10:30
            prefix, rest = line[:i].strip(), line[i + 1 :].strip()
            if prefix and rest:
                return prefix, rest
            return "", (prefix or rest)
    return "", line


_FILLER_HEADS = ("如", "例", "比", "包", "熟", "了", "掌", "精", "e", "E", "s", "S", "i", "I")
_FILLER_TAILS = ("等", "c", "c.", "o", "C", "C.", "O")


def _clean(term: str) -> str:
    term = term.strip().strip("*_`\"'“”‘’")
    if term.startswith(_FILLER_HEADS):
        term = _LEADING_FILLER.sub("", term)
    if term.endswith(_FILLER_TAILS):
        term = _TRAILING_FILLER.sub("", term)
    return term.strip(" \t.。!！?？:：-—").strip()


_MAX_NESTING = 3  # "a（如 b（c））" is real; deeper brackets are flattened, not recursed into
_FLATTEN = str.maketrans({c: "、" for c in _OPEN + _CLOSE})


def _items(text: str, nesting: int = 0) -> list[str]:
    """All terms in a piece of a line: split on separators, then slashes, then bracketed lists."""
    out: list[str] = []
    for piece in _split_top(text, _SEPARATORS):
        for item in _split_slashes(piece):
            if _BRACKETS.isdisjoint(item):
                head = _clean(item)
                if head:
                    out.append(head)
                continue
            inner: list[str] = []
            outer = []
            depth, buf = 0, []
            for ch in item:
                if ch in _OPEN:
                    if depth == 0:
                        buf = []
                    else:
                        buf.append(ch)
                    depth += 1
                elif ch in _CLOSE and depth:
                    depth -= 1
                    if depth == 0:
                        inner.append("".join(buf))
                    else:
                        buf.append(ch)
                elif depth:
                    buf.append(ch)
                else:
                    outer.append(ch)
            if depth:  # unbalanced bracket: keep the text as it is
                outer, inner = [item], []
            head = _clean("".join(outer))
            if head:
                out.append(head)
            for group in inner:
                if nesting >= _MAX_NESTING:  # flatten what is left: brackets become separators
                    group = group.translate(_FLATTEN)
                out.extend(_items(group, nesting + 1))
    return [t[:_MAX_TERM] for t in out if t]


def split_terms(line: str) -> tuple[str, list[str]]:
    """One line of notes → (context prefix, terms).

    >>> split_terms("Kubernetes：调度器、资源扩展机制")
    ('Kubernetes', ['调度器', '资源扩展机制'])
    """
    line = line.strip()
    if not line or _NOTE_RE.match(line):
        return "", []
    urls: list[str] = []

    def hide(m: re.Match) -> str:
        urls.append(m.group(0))
        return f"\x01{len(urls) - 1}\x01"

    def show(text: str) -> str:
        if not urls:
            return text
        return re.sub("\x01(\\d+)\x01", lambda m: _pick(urls, m), text)

    if "http" in line:
        line = _URL_RE.sub(hide, line)
    prefix, rest = _split_prefix(line)
    return show(_clean(prefix)), [show(t) for t in _items(rest)]


@dataclass
class _Draft:
    company: str
    title: str
    status: str
    line: int
    link: str | None
    terms: dict[str, list[Term]] = field(
        default_factory=lambda: {DESCRIPTION: [], REQUIREMENTS: []}
    )
    notes: list[str] = field(default_factory=list)

    def build(self) -> Position:
        return Position(
            company=self.company,
            title=self.title,
            status=self.status,
            line=self.line,
            link=self.link,
            description=tuple(self.terms[DESCRIPTION]),
            requirements=tuple(self.terms[REQUIREMENTS]),
            notes=tuple(self.notes),
        )


def iter_positions(lines: Iterable[str], default_status: str = "interested") -> Iterator[Position]:
    """Yield positions from lines of Markdown, one at a time (memory stays flat on huge files)."""
    status = default_status
    draft: _Draft | None = None
    section = DESCRIPTION
    in_code = False
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n").replace("\u3000", " ").strip()
        if lineno == 1:
            line = line.lstrip("\ufeff")
        if line.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not line or line.startswith("<!--"):
            continue
        heading = _HEADING_RE.match(line)
        if heading and len(heading.group(1)) <= 3:
            level, text = len(heading.group(1)), heading.group(2)
            if level == 3:
                if draft:
                    yield draft.build()
                company, title, link = parse_heading(text)
                if not company:
                    draft = None
                    continue
                draft = _Draft(company, title, status, lineno, link)
                section = DESCRIPTION
            else:
                if draft:
                    yield draft.build()
                    draft = None
                if level == 2:
                    status = normalize_status(text)
            continue
        if draft is None:
            continue
        m = _SECTION_RE.match(line)
        if m:
            word = next(g for g in m.group("bracketed", "squared", "plain", "alone") if g)
            section = _SECTION_LOOKUP[word.casefold()]
            line = line[m.end() :].strip()
            if not line:
                continue
        else:
            b = _BULLET_RE.match(line)
            if b:
                line = line[b.end() :].strip()
                # "- 要求：…" as a bullet also opens a section
                m = _SECTION_RE.match(line)
                if m and (m.group("bracketed") or m.group("plain")):
                    word = next(g for g in m.group("bracketed", "squared", "plain", "alone") if g)
                    section = _SECTION_LOOKUP[word.casefold()]
                    line = line[m.end() :].strip()
        if _NOTE_RE.match(line):
            draft.notes.append(line)
            continue
        prefix, terms = split_terms(line)
        siblings = tuple(terms)
        for t in terms:
            draft.terms[section].append(Term(t, section, lineno, prefix, siblings))
    if draft:
        yield draft.build()


def parse_positions(text: str | Iterable[str]) -> list[Position]:
    """Parse positions Markdown (a string or an iterable of lines) into positions."""
    lines = io.StringIO(text) if isinstance(text, str) else text
    return list(iter_positions(lines))


_SNIFF = 64 * 1024


def _open_lines(path: Path, encoding: str) -> Iterator[str]:
    with open(path, encoding=encoding, errors="strict", newline=None) as f:
        yield from f


def read_positions(path: str | Path) -> list[Position]:
    """Read and parse a positions file; raise ``PositionsError`` with a fix for anything wrong.

    UTF-8 (with or without BOM, LF or CRLF) is read as is; GB18030/GBK, common for notes written on
    Chinese Windows, is decoded too. The file is read line by line.
    """
    path = Path(path)
    shown = str(path)
    try:
        if path.is_dir():
            raise PositionsError(
                "is a folder, not a positions file; pass the Markdown file itself", shown
            )
        with open(path, "rb") as f:
            head = f.read(_SNIFF)
    except FileNotFoundError:
        raise PositionsError(
            "no such file; pass --positions FILE or set PREP_POSITIONS", shown
        ) from None
    except PermissionError:
        raise PositionsError(
            "cannot be read (permission denied); check its permissions", shown
        ) from None
    except OSError as e:
        raise PositionsError(f"cannot be read ({e.strerror or e}); check the path", shown) from None
    if not head.strip():
        raise PositionsError(
            "is empty; add positions as '### <company> <title>' headings (see the README)", shown
        )
    if b"\x00" in head:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise PositionsError(
                "is UTF-16 text; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)", shown
            )
        raise PositionsError(
            "is a binary file, not Markdown text; pass your positions .md file", shown
        )

    positions: list[Position] | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            positions = list(iter_positions(_open_lines(path, encoding)))
            break
        except UnicodeDecodeError:
            continue
        except OSError as e:
            raise PositionsError(f"cannot be read ({e.strerror or e})", shown) from None
    if positions is None:
        raise PositionsError(
            "is neither UTF-8 nor GB18030 text; convert it to UTF-8, "
            "e.g. iconv -f <its encoding> -t UTF-8 FILE > positions.md",
            shown,
        )
    if not positions:
        raise PositionsError(
            "holds no positions; each position needs a '### <company> <title>' heading "
            "(see the README for the format)",
            shown,
        )
    return positions
