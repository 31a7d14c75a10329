"""The errors prep raises. The CLI turns each into one line and a non-zero exit."""

from __future__ import annotations


class PrepError(Exception):
    """An error the user can fix; ``str()`` is one line saying what, where and what to do."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


class PositionsError(PrepError):
    """The positions file cannot be read or holds no positions."""


class BankError(PrepError):
    """The topic bank cannot be loaded."""


class UnknownNameError(PrepError):
    """A company, topic or other name the user typed is not known; carries the closest names."""

    def __init__(
        self, kind: str, name: str, suggestions: list[str], known: list[str] | None = None
    ):
        self.kind = kind
        self.name = name
        self.suggestions = suggestions
        if suggestions:
            hint = "did you mean: " + ", ".join(suggestions) + "?"
        else:
            hint = f"known {kind}s: " + ", ".join((known or [])[:20])
        super().__init__(f"unknown {kind} {name!r}; {hint}")


class ProgressError(PrepError):
    """The quiz progress database cannot be used."""
