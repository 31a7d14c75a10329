"""Quiz logic: which cards to ask, how typed answers are graded, how reviews update FSRS state.

Selection: due cards first; within each group a card's chance is proportional to

    weight(topic) × need(card),   need = 1 − R(now)  (R: FSRS retrievability; unseen → need = 1)

drawn without replacement (Efraimidis–Spirakis keys, ``u ** (1 / w)``). ``now`` and ``seed`` are
arguments, so runs are reproducible and tests can assert exact sequences.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from prep.bank import Bank, Card
from prep.text import fold

MIN_NEED = 1e-3  # a card just learnt still has a small chance, so a session never runs dry


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


RATING_NAMES = {
    Rating.AGAIN: "Again",
    Rating.HARD: "Hard",
    Rating.GOOD: "Good",
    Rating.EASY: "Easy",
}


@dataclass(frozen=True)
class Candidate:
    card: Card
    weight: float  # topic frequency
    need: float  # 1 − retrievability now; 1 for an unseen card
    due: bool  # seen before and due now

    @property
    def chance(self) -> float:
        return self.weight * max(self.need, MIN_NEED)


def scheduler():
    from fsrs import Scheduler

    return Scheduler(enable_fuzzing=False)


def card_id(key: str) -> int:
    """A stable positive integer for fsrs' Card.card_id, from the card key."""
    return zlib.crc32(key.encode("utf-8")) + 1


def retrievability(state: dict | None, now: datetime, sched=None) -> float:
    """FSRS probability of recall now; 0 for a card never reviewed."""
    if not state or state.get("last_review") is None:
        return 0.0
    from fsrs import Card as FsrsCard

    return float((sched or scheduler()).get_card_retrievability(FsrsCard.from_dict(state), now))


def candidates(
    bank: Bank,
    weights: Mapping[str, float],
    states: Mapping[str, dict],
    now: datetime,
    topics: Iterable[str] | None = None,
) -> list[Candidate]:
    """Every card of the weighted topics (or of ``topics``), with its weight, need and due flag."""
    sched = scheduler()
    chosen = list(topics) if topics is not None else [t for t, w in weights.items() if w > 0]
    chosen.sort(key=lambda t: (-weights.get(t, 0), t))  # a fixed order: --seed reproduces a run
    out = []
    for tid in chosen:
        topic = bank.topics.get(tid)
        if topic is None:
            continue
        w = float(weights.get(tid, 0)) or 1.0
        for card in topic.cards:
            state = states.get(card.key)
            seen = bool(state and state.get("last_review"))
            need = 1.0 - retrievability(state, now, sched) if seen else 1.0
            due = seen and datetime.fromisoformat(state["due"]) <= now
            out.append(Candidate(card, w, need, due))
    return out


def select(cands: Sequence[Candidate], n: int, rng: random.Random) -> list[Candidate]:
    """Up to ``n`` cards: due ones first, each group drawn with chance ∝ weight × need."""

    def draw(group: Sequence[Candidate]) -> list[Candidate]:
        keyed = [(rng.random() ** (1.0 / c.chance), i) for i, c in enumerate(group)]
        keyed.sort(reverse=True)
        return [group[i] for _, i in keyed]

    due = [c for c in cands if c.due]
    rest = [c for c in cands if not c.due]
    return (draw(due) + draw(rest))[: max(n, 0)]


def review(state: dict | None, key: str, rating: int, now: datetime) -> dict:
    """The card's FSRS state after a review with ``rating`` at ``now`` (the input is not changed)."""
    from fsrs import Card as FsrsCard
    from fsrs import Rating as FsrsRating

    card = FsrsCard.from_dict(state) if state else FsrsCard(card_id=card_id(key), due=now)
    new, _ = scheduler().review_card(card, FsrsRating(int(rating)), now)
    return new.to_dict()


# ---------------------------------------------------------------------------------------------
# Grading typed answers


@dataclass(frozen=True)
class Grade:
    found: tuple[str, ...]
    missed: tuple[str, ...]
    suggested: Rating


KEYWORD_CUTOFF = 80.0  # rapidfuzz partial_ratio for a misspelt key term
KEYWORD_SHARE = 0.6  # share of a composite keyword's parts that must appear
# A keyword such as "shared memory 164/228 KB" or "Filter → Score" is a few key terms at once.
_KEYWORD_PARTS = re.compile(r"[\s/+×=→←↔,，、;；:：()（）\[\]【】<>|·~～]+")
_FILLER_PARTS = {"vs", "and", "or", "of", "the", "的", "和", "与", "及", "或", "即", "先", "再"}


def _part_found(part: str, answer_folded: str) -> bool:
    if part in answer_folded:
        return True
    if len(part) <= 3:  # "TP", "SM", "32": too short to fuzz
        return False
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(part, answer_folded) >= KEYWORD_CUTOFF


def keyword_found(keyword: str, answer_folded: str) -> bool:
    """Whether a keyword appears in the (folded) answer, allowing small misspellings.

    The whole keyword may appear, or, for a composite one, most of its parts.
    """
    whole = fold(keyword)
    if not whole or _part_found(whole, answer_folded):
        return True
    parts = [fold(p) for p in _KEYWORD_PARTS.split(keyword)]
    # Single characters ("s", "2", "个") appear in any answer: they prove nothing.
    parts = [p for p in parts if len(p) >= 2 and p not in _FILLER_PARTS]
    if len(parts) < 2:
        return False
    hits = sum(_part_found(p, answer_folded) for p in parts)
    return hits >= max(2, KEYWORD_SHARE * len(parts))


def grade(answer: str, keywords: Sequence[str]) -> Grade:
    """Score a typed answer against the card's keywords and suggest a rating."""
    folded = fold(answer)
    found = tuple(k for k in keywords if folded and keyword_found(k, folded))
    missed = tuple(k for k in keywords if k not in found)
    frac = len(found) / len(keywords) if keywords else 0.0
    if frac >= 0.75:
        rating = Rating.GOOD
    elif frac >= 0.4:
        rating = Rating.HARD
    else:
        rating = Rating.AGAIN
    return Grade(found, missed, rating)


# ---------------------------------------------------------------------------------------------
# Summaries


@dataclass(frozen=True)
class TopicProgress:
    topic: str
    weight: float
    cards: int
    seen: int
    mean_r: float  # mean retrievability over all the topic's cards (unseen count 0)


def topic_progress(
    bank: Bank, weights: Mapping[str, float], states: Mapping[str, dict], now: datetime
) -> list[TopicProgress]:
    sched = scheduler()
    out = []
    for tid, w in weights.items():
        topic = bank.topics.get(tid)
        if topic is None or not topic.cards:
            continue
        rs = [retrievability(states.get(c.key), now, sched) for c in topic.cards]
        seen = sum(1 for c in topic.cards if states.get(c.key, {}).get("last_review"))
        out.append(TopicProgress(tid, float(w), len(topic.cards), seen, sum(rs) / len(rs)))
    return out


def review_summary(reviews: Iterable) -> tuple[float | None, int]:
    """(retention, days studied): the share of repeat reviews not rated Again (None before any
    repeat), and the number of distinct days with a review."""
    seen: set[str] = set()
    repeats = passed = 0
    days = set()
    for r in reviews:
        if r.card_key in seen:
            repeats += 1
            passed += r.rating >= Rating.HARD
        seen.add(r.card_key)
        days.add(r.reviewed_at.date())
    return (passed / repeats if repeats else None), len(days)


def readiness(progress: Iterable[TopicProgress]) -> float:
    """Frequency-weighted mean retrievability over the topics: 0 (nothing known) to 1."""
    progress = list(progress)
    total = sum(p.weight for p in progress)
    return sum(p.weight * p.mean_r for p in progress) / total if total else 0.0


def weakest(progress: Iterable[TopicProgress], n: int = 5) -> list[TopicProgress]:
    """The topics to study next: most asked × least known first."""
    return sorted(progress, key=lambda p: (-(p.weight * (1 - p.mean_r)), p.topic))[:n]
