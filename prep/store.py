"""Quiz progress in SQLite: every review and each card's FSRS state, keyed by ``topic/card``.

Each review is committed as it is made (a killed process loses nothing answered); WAL and a busy
timeout let two quiz sessions share the file. Schema changes go through ``MIGRATIONS``, applied once
each and counted in ``PRAGMA user_version``. A file that is not a prep database is never touched.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prep.errors import ProgressError

APPLICATION_ID = 0x70726570  # "prep"


# Each migration is a SQL script, applied once, in order; never edit one that has shipped.
MIGRATIONS: list[str] = [
    # 1: cards and reviews
    """
    CREATE TABLE cards (
        card_key   TEXT PRIMARY KEY,          -- topic/card, as the Anki note GUID source
        state      TEXT NOT NULL,             -- fsrs.Card.to_dict() as JSON
        updated_at TEXT NOT NULL
    );
    CREATE TABLE reviews (
        id          INTEGER PRIMARY KEY,
        card_key    TEXT NOT NULL,
        rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        reviewed_at TEXT NOT NULL,            -- ISO 8601, UTC
        mode        TEXT NOT NULL,
        answer      TEXT
    );
    CREATE INDEX reviews_card ON reviews (card_key);
    CREATE INDEX reviews_time ON reviews (reviewed_at);
    """,
]


def migrate(db: sqlite3.Connection, migrations: list[str] = MIGRATIONS) -> int:
    """Apply the migrations this database has not had yet, all in one write transaction.

    The version is read again under the write lock, so two processes opening a new file at once
    do not both create the tables. Returns the schema version reached.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise ProgressError(
            f"progress file is from a newer prep (schema {version}, this prep knows "
            f"{len(migrations)}); upgrade prep"
        )
    if version == len(migrations):
        return version
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for i in range(version, len(migrations)):
            for statement in migrations[i].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {i + 1}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(migrations)


def _retry_locked(step, seconds: float = 10.0):
    """Run a set-up step, retrying while another process holds the lock (e.g. two first runs).

    Switching to WAL does not wait on SQLite's busy handler, so a second process opening a new file
    at the same moment would otherwise fail at once.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            return step()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass(frozen=True)
class Review:
    card_key: str
    rating: int
    reviewed_at: datetime
    mode: str


class Store:
    """The progress database."""

    def __init__(self, db: sqlite3.Connection, path: str):
        self.db = db
        self.path = path

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> Store:
        path = Path(path)
        shown = str(path)
        fix = "move it aside (prep will start a new one) or set PREP_HOME to another folder"
        if path.exists() and not path.is_file():
            raise ProgressError(f"progress path is not a file; {fix}", shown)
        existed = path.exists() and path.stat().st_size > 0
        if not existed:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ProgressError(
                    f"cannot create the data folder ({e.strerror or e}); "
                    "set PREP_HOME to a writable folder",
                    str(path.parent),
                ) from None
        if existed:
            with open(path, "rb") as f:
                header = f.read(16)
            if header != b"SQLite format 3\x00":
                raise ProgressError(
                    f"not a prep progress database (not SQLite); it was left unchanged: {fix}",
                    shown,
                )
        try:
            db = sqlite3.connect(path, timeout=10, isolation_level=None)
            db.isolation_level = "DEFERRED"
            if existed:
                app = db.execute("PRAGMA application_id").fetchone()[0]
                tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if app != APPLICATION_ID and tables:
                    db.close()
                    raise ProgressError(
                        f"a SQLite file of another program, not prep progress; it "
                        f"was left unchanged: {fix}",
                        shown,
                    )
                check = db.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    db.close()
                    raise ProgressError(
                        f"progress database is corrupt ({check}); it was left unchanged: {fix}",
                        shown,
                    )
            db.execute("PRAGMA busy_timeout = 10000")
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                _retry_locked(lambda: db.execute("PRAGMA journal_mode = WAL"))
            db.execute("PRAGMA synchronous = NORMAL")
            if not existed:
                _retry_locked(lambda: db.execute(f"PRAGMA application_id = {APPLICATION_ID}"))
            _retry_locked(lambda: migrate(db))
        except sqlite3.DatabaseError as e:
            raise ProgressError(
                f"progress database cannot be read ({e}); it was left unchanged: {fix}", shown
            ) from None
        except ProgressError as e:
            if e.path is None:
                e.path = shown
            raise
        return cls(db, shown)

    @classmethod
    def memory(cls) -> Store:
        db = sqlite3.connect(":memory:", isolation_level="DEFERRED")
        migrate(db)
        return cls(db, ":memory:")

    def close(self) -> None:
        self.db.close()

    # -- reading ---------------------------------------------------------------------------

    def states(self) -> dict[str, dict]:
        """card key → FSRS card state (``fsrs.Card.to_dict()``) for every card ever reviewed."""
        return {k: json.loads(s) for k, s in self.db.execute("SELECT card_key, state FROM cards")}

    def reviews(self) -> list[Review]:
        return [
            Review(k, r, datetime.fromisoformat(t), m)
            for k, r, t, m in self.db.execute(
                "SELECT card_key, rating, reviewed_at, mode FROM reviews ORDER BY id"
            )
        ]

    # -- writing ---------------------------------------------------------------------------

    def record(
        self,
        card_key: str,
        rating: int,
        when: datetime,
        state: dict,
        mode: str,
        answer: str | None = None,
    ) -> None:
        """Store one review and the card's new state, committed before returning."""
        try:
            with self.db:
                self.db.execute(
                    "INSERT INTO reviews (card_key, rating, reviewed_at, mode, answer) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (card_key, int(rating), when.isoformat(), mode, answer),
                )
                self.db.execute(
                    "INSERT INTO cards (card_key, state, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (card_key) DO UPDATE SET state = excluded.state, "
                    "updated_at = excluded.updated_at",
                    (card_key, json.dumps(state), when.isoformat()),
                )
        except sqlite3.Error as e:
            raise ProgressError(f"cannot save the review ({e})", self.path) from None
