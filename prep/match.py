"""Map the requirement terms of positions to topics of the bank, and weight topics by demand.

Evidence, strongest first:

- ``exact``: the whole term is an alias (after folding case, width, spaces and hyphens);
- ``alias``: aliases found inside the term, longest first, left to right (``分布式KV Cache系统`` →
  distributed-kv-cache, not kv-cache);
- ``context``: the line prefix or the term itself picks the topic (``GPU方向：调度`` → gpu-scheduling
  through a topic's ``context_aliases``), or the sibling terms pick one of the topics sharing an alias
  (``CUDA/Triton/OpenCL`` → openai-triton);
- ``fuzzy``: a close spelling of an alias (rapidfuzz), for typos and variants.

Everything here is a pure function over plain dataclasses; ``AliasIndex`` is built once per bank.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from prep.bank import Bank
from prep.positions import TITLE, Position, Term
from prep.text import fold, fold_with_map, is_word_char

EXACT, ALIAS, CONTEXT, FUZZY = "exact", "alias", "context", "fuzzy"
FUZZY_CUTOFF = 86.0  # whole-term similarity to an alias, 0–100
FUZZY_PARTIAL_CUTOFF = 90.0  # a long Latin alias misspelt inside a longer term
FUZZY_MIN_LEN = 4


@dataclass(frozen=True)
class Match:
    """One term (or line prefix, or title) and the topics it maps to."""

    term: Term
    topics: tuple[str, ...]
    score: float
    kind: str

    def to_dict(self) -> dict:
        t = self.term
        return {
            "term": t.text,
            "section": t.section,
            "line": t.line,
            "topics": list(self.topics),
            "score": self.score,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class PositionMatch:
    position: Position
    matches: tuple[Match, ...]
    unmatched: tuple[Term, ...]

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for m in self.matches for t in m.topics))

    def to_record(self) -> dict:
        """Everything, as plain data (for the cache); ``from_record`` reads it back."""
        return {
            "position": self.position.to_dict(),
            "matches": [[m.term.to_dict(), list(m.topics), m.score, m.kind] for m in self.matches],
            "unmatched": [t.to_dict() for t in self.unmatched],
        }

    @classmethod
    def from_record(cls, d: dict) -> PositionMatch:
        return cls(
            Position.from_dict(d["position"]),
            tuple(Match(Term.from_dict(t), tuple(ts), sc, k) for t, ts, sc, k in d["matches"]),
            tuple(Term.from_dict(t) for t in d["unmatched"]),
        )

    def to_dict(self) -> dict:
        p = self.position
        return {
            "company": p.company,
            "title": p.title,
            "status": p.status,
            "topics": list(self.topics),
            "matches": [m.to_dict() for m in self.matches],
            "unmatched": [t.text for t in self.unmatched],
        }


@dataclass
class AliasIndex:
    """Folded alias → topic ids, with lookup structures for containment and context."""

    exact: dict[str, tuple[str, ...]]
    by_head: dict[str, list[str]]  # first two folded chars → aliases, longest first
    context_rules: dict[str, list[tuple[str, tuple[str, ...]]]]  # alias → [(topic, context words)]
    related: dict[str, frozenset[str]]
    domain: dict[str, str]
    starts_word: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    _cache: dict[str, tuple] = field(default_factory=dict, repr=False)
    _direct_cache: dict[tuple[str, str], tuple] = field(default_factory=dict, repr=False)


def build_index(bank: Bank) -> AliasIndex:
    """Index every alias and shared alias of the bank."""
    exact: dict[str, list[str]] = {}
    for t in bank.topics.values():
        for a in (*t.aliases, *t.shared_aliases):
            key = fold(a)
            if len(key) < 2:
                continue
            owners = exact.setdefault(key, [])
            if t.id not in owners:
                owners.append(t.id)
    by_head: dict[str, list[str]] = {}
    for key in exact:
        by_head.setdefault(key[:2], []).append(key)
    for keys in by_head.values():
        keys.sort(key=len, reverse=True)
    rules: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for t in bank.topics.values():
        for c in t.context_aliases:
            rules.setdefault(fold(c.alias), []).append((t.id, tuple(fold(w) for w in c.context)))
    related: dict[str, set[str]] = {t.id: set(t.related) for t in bank.topics.values()}
    for t in bank.topics.values():  # related is symmetric for disambiguation
        for r in t.related:
            related.setdefault(r, set()).add(t.id)
    return AliasIndex(
        exact={k: tuple(v) for k, v in exact.items()},
        by_head=by_head,
        context_rules=rules,
        related={k: frozenset(v) for k, v in related.items()},
        domain={t.id: t.domain for t in bank.topics.values()},
        starts_word={k: (is_word_char(k[0]), is_word_char(k[-1])) for k in exact},
    )


def _find_aliases(text: str, index: AliasIndex) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """Folded text and the aliases in it: leftmost, then longest; Latin aliases on word bounds."""
    cached = index._cache.get(text)
    if cached is not None:
        return cached
    folded, where = fold_with_map(text)
    hits: list[tuple[str, int, int]] = []
    i, n = 0, len(folded)
    while i < n - 1:
        found = None
        for alias in index.by_head.get(folded[i : i + 2], ()):
            if not folded.startswith(alias, i):
                continue
            j = i + len(alias)
            word_start, word_end = index.starts_word[alias]
            src_start, src_end = where[i], where[j - 1]
            if word_start and src_start > 0 and is_word_char(text[src_start - 1]):
                continue
            if word_end and src_end + 1 < len(text) and is_word_char(text[src_end + 1]):
                continue
            found = (alias, i, j)
            break
        if found:
            hits.append(found)
            i = found[2]
        else:
            i += 1
    result = (folded, tuple(hits))
    if len(index._cache) < 200_000:
        index._cache[text] = result
    return result


def _context_topic(
    alias: str, folded: str, span: tuple[int, int], prefix: str, index: AliasIndex
) -> str | None:
    """A topic whose context alias is ``alias`` and whose context word is near it."""
    rules = index.context_rules.get(alias)
    if not rules:
        return None
    around = folded[: span[0]] + " " + folded[span[1] :] + " " + prefix
    for topic, words in rules:
        if any(w and w in around for w in words):
            return topic
    return None


def _direct(term: Term, index: AliasIndex) -> tuple[tuple[str, ...], float, str, tuple[str, ...]]:
    """(topics, score, kind, ambiguous aliases' candidates) for one term from its aliases alone.

    Depends only on the term's text and prefix, so repeated terms are looked up once.
    """
    key = (term.text, term.context)
    cached = index._direct_cache.get(key)
    if cached is None:
        cached = _direct_uncached(term, index)
        if len(index._direct_cache) < 200_000:
            index._direct_cache[key] = cached
    return cached


def _direct_uncached(term: Term, index: AliasIndex):
    folded, hits = _find_aliases(term.text, index)
    if not hits:
        return (), 0.0, "", ()
    prefix = None
    topics: list[str] = []
    kind = EXACT if len(hits) == 1 and hits[0][1] == 0 and hits[0][2] == len(folded) else ALIAS
    ambiguous: list[str] = []
    for alias, start, end in hits:
        ctx = None
        if alias in index.context_rules:
            if prefix is None:
                prefix = fold(term.context) if term.context else ""
            ctx = _context_topic(alias, folded, (start, end), prefix, index)
        if ctx:
            owners: tuple[str, ...] = (ctx,)
            kind = CONTEXT
        else:
            owners = index.exact[alias]
            if len(owners) > 1:
                ambiguous.extend(owners)
        topics.extend(o for o in owners if o not in topics)
    covered = sum(end - start for _, start, end in hits)
    score = 100.0 if kind == EXACT else round(60.0 + 40.0 * covered / max(len(folded), 1), 1)
    return tuple(topics), score, kind, tuple(ambiguous)


def _disambiguate(
    candidates: tuple[str, ...], neighbours: Iterable[str], index: AliasIndex
) -> tuple[str, ...]:
    """Of topics sharing an alias, the ones closest to the topics of the neighbouring terms."""
    neighbours = [n for n in neighbours if n not in candidates]
    if not neighbours:
        return candidates
    scores = {}
    for c in candidates:
        s = 0.0
        for n in neighbours:
            if n in index.related.get(c, ()):
                s += 2
            elif index.domain.get(n) == index.domain.get(c):
                s += 1
        scores[c] = s
    best = max(scores.values())
    if best == 0:
        return candidates
    return tuple(c for c in candidates if scores[c] == best)


def match_positions(positions: Iterable[Position], index: AliasIndex) -> list[PositionMatch]:
    """Match every term, line prefix and title of every position."""
    positions = list(positions)
    # Pass 1: aliases, exact and contained, with context rules.
    plans: list[list[tuple[Term, bool, tuple]]] = []
    for p in positions:
        units: list[tuple[Term, bool, tuple]] = []
        for t in p.terms:
            units.append((t, True, _direct(t, index)))
        for t in p.contexts:  # prefixes count only when they name a topic
            units.append((t, False, _direct(t, index)))
        if p.title:
            title = Term(p.title, TITLE, p.line)
            units.append((title, False, _direct(title, index)))
        plans.append(units)

    # Pass 2: fuzzy, over the unique terms nothing matched.
    missing = {t.text for units in plans for t, required, d in units if required and not d[0]}
    fuzzy = _fuzzy(missing, index) if missing else {}

    results = []
    for p, units in zip(positions, plans, strict=True):
        by_line: dict[int, list[str]] = {}
        if any(d[3] for _, _, d in units):  # neighbours matter only for shared aliases
            for t, _, (topics, *_rest) in units:
                by_line.setdefault(t.line, []).extend(topics)
        matches: list[Match] = []
        unmatched: list[Term] = []
        for t, required, (topics, score, kind, ambiguous) in units:
            if ambiguous:
                others = [x for x in by_line.get(t.line, ()) if x not in ambiguous]
                chosen = _disambiguate(tuple(dict.fromkeys(ambiguous)), others, index)
                if len(chosen) < len(set(ambiguous)):
                    topics = tuple(x for x in topics if x not in ambiguous or x in chosen)
                    kind = CONTEXT
            if not topics and t.text in fuzzy:
                topics, score = fuzzy[t.text]
                kind = FUZZY
            if topics:
                matches.append(Match(t, topics, score, kind))
            elif required:
                unmatched.append(t)
        matches.sort(key=lambda m: m.term.line)  # stable: a line's prefix after its terms
        results.append(PositionMatch(p, tuple(matches), tuple(unmatched)))
    return results


def _fuzzy(terms: set[str], index: AliasIndex) -> dict[str, tuple[tuple[str, ...], float]]:
    """Closest alias for each unique term, when it is close enough.

    One rapidfuzz ``extractOne`` per unique term against all aliases at once (the comparison loop
    runs in C, with a score cutoff that prunes early).
    """
    from rapidfuzz import fuzz, process

    aliases = [a for a in index.exact if len(a) >= FUZZY_MIN_LEN]
    long_latin = [a for a in aliases if len(a) >= 6 and a.isascii()]
    out: dict[str, tuple[tuple[str, ...], float]] = {}
    for text in terms:
        folded = fold(text)
        if len(folded) < FUZZY_MIN_LEN:
            continue
        hit = process.extractOne(folded, aliases, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if hit:
            out[text] = (index.exact[hit[0]], float(hit[1]))
            continue
        # A long Latin alias misspelt inside a longer term: "熟悉Kuberentes开发".
        if len(folded) > 6 and any(c.isascii() and c.isalpha() for c in folded):
            inside = [a for a in long_latin if len(a) < len(folded)]
            hit = process.extractOne(
                folded, inside, scorer=fuzz.partial_ratio, score_cutoff=FUZZY_PARTIAL_CUTOFF
            )
            if hit:
                out[text] = (index.exact[hit[0]], round(float(hit[1]) * 0.9, 1))
    return out


def topic_weights(matched: Iterable[PositionMatch]) -> Counter:
    """Topic id → number of positions that ask for it (a position counts once per topic).

    The one source of the numbers that order decks, weight the quiz and rank reports.
    """
    weights: Counter = Counter()
    for pm in matched:
        weights.update(pm.topics)  # PositionMatch.topics holds each topic once, in match order
    return weights


def coverage(matched: Iterable[PositionMatch]) -> tuple[int, int]:
    """(matched terms, all terms) over the positions."""
    hit = total = 0
    for pm in matched:
        n_required = len(pm.position.terms)
        total += n_required
        hit += n_required - len(pm.unmatched)
    return hit, total
