"""The interactive quiz loop: ask, read one line at a time, record each review as it is made.

Input is read line by line from any text stream, so a terminal, a pipe or a test drives it alike:

- flip mode: Enter shows the answer, then 1–4 rates it; 1–4 at the question rates straight away;
- type mode: the typed line is the answer; it is graded on the card's keywords, then Enter accepts
  the suggested rating or 1–4 overrides it;
- ``s`` skips a card, ``q`` (or end of input, or Ctrl-C) ends the session, ``?`` shows the keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TextIO

from prep.bank import Bank
from prep.quiz import RATING_NAMES, Candidate, Rating, grade, review
from prep.store import Store

HELP = (
    "keys: Enter = show answer · 1 Again · 2 Hard · 3 Good · 4 Easy · "
    "s = skip · q = quit · ? = this help"
)


class _Quit(Exception):
    pass


@dataclass
class SessionResult:
    ratings: list[tuple[str, int]] = field(default_factory=list)  # (card key, rating)
    skipped: int = 0

    @property
    def seen(self) -> int:
        return len(self.ratings)


class QuizSession:
    def __init__(
        self,
        store: Store,
        bank: Bank,
        cards: Sequence[Candidate],
        mode: str,
        stream: TextIO,
        console,
        clock: Callable[[], datetime],
    ):
        self.store = store
        self.bank = bank
        self.cards = cards
        self.mode = mode
        self.stream = stream
        self.out = console
        self.clock = clock
        self.states = store.states()
        self.result = SessionResult()

    # -- input ---------------------------------------------------------------------------

    def _read(self, prompt: str) -> str:
        self.out.print(f"[dim]{prompt}[/dim] ", end="")
        self.out.file.flush()
        line = self.stream.readline()
        if line == "":
            self.out.print()
            raise _Quit
        line = line.rstrip("\r\n")
        if not self.stream.isatty():
            self.out.print(line, markup=False, highlight=False)
        if line.strip().lower() == "q":
            raise _Quit
        return line

    def _rating(self, prompt: str, default: Rating | None = None) -> Rating | None:
        """A rating 1–4 (Enter takes ``default``); None when the card is skipped."""
        while True:
            line = self._read(prompt).strip().lower()
            if line == "s":
                return None
            if line == "?":
                self.out.print(HELP)
                continue
            if line == "" and default is not None:
                return default
            if line in {"1", "2", "3", "4"}:
                return Rating(int(line))
            self.out.print("[yellow]type 1–4 (Again/Hard/Good/Easy), s to skip, q to quit[/yellow]")

    # -- one card --------------------------------------------------------------------------

    def _show_answer(self, cand: Candidate) -> None:
        from rich.markdown import Markdown
        from rich.panel import Panel

        self.out.print(
            Panel(Markdown(cand.card.a), title="答案", title_align="left", border_style="green")
        )

    def _ask(self, i: int, cand: Candidate) -> tuple[Rating | None, str | None]:
        """The rating (None when skipped) and, in type mode, the typed answer."""
        from rich.markdown import Markdown

        card = cand.card
        topic = self.bank.topics[card.topic]
        due = " · due" if cand.due else ""
        self.out.print(
            f"\n[bold cyan][{i}/{len(self.cards)}][/bold cyan] "
            f"[dim]{topic.title_zh} ({card.topic}) · {card.level}{due}[/dim]",
            highlight=False,
        )
        self.out.print(Markdown(card.q))
        if self.mode == "type":
            while True:
                answer = self._read("你的答案 (one line; s skip · q quit · ? keys) >")
                if answer.strip().lower() == "s":
                    return None, None
                if answer.strip() == "?":
                    self.out.print(HELP)
                    continue
                break
            g = grade(answer, card.keywords)
            self._show_answer(cand)
            found = "  ".join(f"[green]✓ {k}[/green]" for k in g.found) or "[dim]none[/dim]"
            missed = "  ".join(f"[red]✗ {k}[/red]" for k in g.missed) or "[dim]none[/dim]"
            self.out.print(f"keywords found: {found}", highlight=False)
            self.out.print(f"keywords missed: {missed}", highlight=False)
            rating = self._rating(
                f"suggested {int(g.suggested)} {RATING_NAMES[g.suggested]} — Enter accepts, 1–4 "
                "overrides >",
                default=g.suggested,
            )
            return rating, answer
        while True:
            line = self._read("Enter shows the answer (1–4 rates, s skip, q quit, ? keys) >")
            key = line.strip().lower()
            if key == "?":
                self.out.print(HELP)
                continue
            if key == "s":
                return None, None
            if key in {"1", "2", "3", "4"}:
                self._show_answer(cand)
                return Rating(int(key)), None
            break
        self._show_answer(cand)
        return self._rating("rate: 1 Again · 2 Hard · 3 Good · 4 Easy >"), None

    # -- the session -----------------------------------------------------------------------

    def run(self) -> SessionResult:
        try:
            for i, cand in enumerate(self.cards, start=1):
                rating, answer = self._ask(i, cand)
                if rating is None:
                    self.result.skipped += 1
                    continue
                now = self.clock()
                key = cand.card.key
                state = review(self.states.get(key), key, int(rating), now)
                self.store.record(key, int(rating), now, state, self.mode, answer)
                self.states[key] = state
                self.result.ratings.append((key, int(rating)))
                nxt = datetime.fromisoformat(state["due"])
                self.out.print(
                    f"[dim]→ {RATING_NAMES[rating]}; next review {_when(nxt, now)}[/dim]"
                )
        except (_Quit, KeyboardInterrupt):
            pass
        return self.result


def _when(t: datetime, now: datetime) -> str:
    delta = t - now
    if delta < timedelta(hours=1):
        return f"in {max(1, round(delta.total_seconds() / 60))} min"
    if delta < timedelta(days=1):
        return f"in {round(delta.total_seconds() / 3600)} h"
    return f"in {delta.days} d ({t.date().isoformat()})"


def summary_lines(result: SessionResult, bank: Bank, states: dict, now: datetime) -> list[str]:
    """The end-of-session report: seen, ratings, worst topics, what is due next."""
    counts = Counter(r for _, r in result.ratings)
    lines = [
        f"seen {result.seen} card(s), skipped {result.skipped}; "
        + ", ".join(f"{RATING_NAMES[Rating(r)]} {counts.get(r, 0)}" for r in (1, 2, 3, 4))
    ]
    by_topic: dict[str, list[int]] = {}
    for key, r in result.ratings:
        by_topic.setdefault(key.split("/", 1)[0], []).append(r)
    worst = sorted(((sum(v) / len(v), t) for t, v in by_topic.items()))[:3]
    worst = [(m, t) for m, t in worst if m < 3]
    if worst:
        lines.append(
            "went worst: "
            + ", ".join(
                f"{bank.topics[t].title_zh if t in bank.topics else t} (mean {m:.1f})"
                for m, t in worst
            )
        )
    dues = sorted(datetime.fromisoformat(s["due"]) for s in states.values() if s.get("due"))
    if dues:
        soon = sum(1 for d in dues if d <= now + timedelta(days=1))
        lines.append(f"due next: {soon} card(s) within a day; next one {_when(dues[0], now)}")
    return lines
