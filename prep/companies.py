"""Company names: canonical names, aliases, and resolving what the user types."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from prep.errors import UnknownNameError
from prep.positions import Position
from prep.text import fold


@dataclass(frozen=True)
class Companies:
    """Canonical name → aliases, from the bundled companies file."""

    aliases: dict[str, tuple[str, ...]]

    def canonical(self, name: str) -> str:
        """The canonical name for ``name`` (an alias or the name itself, any case or width)."""
        return self._by_folded.get(fold(name), name)

    @cached_property
    def _by_folded(self) -> dict[str, str]:
        """Every folded spelling → canonical name (computed once per companies file)."""
        return {fold(n): canon for canon, others in self.aliases.items() for n in (*others, canon)}

    def names_for(self, canon: str) -> tuple[str, ...]:
        return (canon, *self.aliases.get(canon, ()))


def load_companies() -> Companies:
    """The bundled companies file (JSON: it is read on every command, and needs no YAML parser)."""
    import json

    text = resources.files("prep.data").joinpath("companies.json").read_text(encoding="utf-8")
    entries = json.loads(text)["companies"]
    return Companies({e["name"]: tuple(e.get("aliases", ())) for e in entries})


def canonicalize(positions: Iterable[Position], companies: Companies) -> list[Position]:
    """Give every position its company's canonical name (字节跳动 → 字节)."""
    names: dict[str, str] = {}
    out = []
    for p in positions:
        canon = names.get(p.company)
        if canon is None:
            canon = names[p.company] = companies.canonical(p.company)
        out.append(p if canon == p.company else dataclasses.replace(p, company=canon))
    return out


def resolve(name: str, known: Iterable[str], companies: Companies) -> str:
    """Resolve what the user typed to one of ``known`` (canonical names present in the notes).

    Exact name, then alias, then case- and width-insensitive, then a close fuzzy match; else
    ``UnknownNameError`` listing the closest names.
    """
    known = list(dict.fromkeys(known))
    if name in known:
        return name
    canon = companies.canonical(name)
    if canon in known:
        return canon
    key = fold(name)
    for k in known:
        if any(fold(n) == key for n in companies.names_for(k)):
            return k
    # Fuzzy: every spelling of every known company, scored against what was typed.
    from rapidfuzz import fuzz, process

    spellings = {n: k for k in known for n in companies.names_for(k)}
    folded = {fold(n): k for n, k in spellings.items()}
    hits = process.extract(key, list(folded), scorer=fuzz.ratio, limit=10, score_cutoff=40)
    best: dict[str, float] = {}
    for spelling, score, _ in hits:
        k = folded[spelling]
        best[k] = max(best.get(k, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    if ranked and ranked[0][1] >= 85 and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 10):
        return ranked[0][0]
    raise UnknownNameError("company", name, [k for k, _ in ranked[:5]], known)
