"""Caches in the user data folder that make repeated commands fast; never required for correctness.

- the parsed topic bank, keyed by a fingerprint of its files (path, size, mtime), so an unchanged bank
  is read from one JSON file instead of 91 YAML files;
- rendered Markdown, keyed by a hash of the source text, so a deck rebuild renders only changed cards.

A cache that is missing, stale, damaged or unwritable is ignored: the work is simply done again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path

from prep import __version__
from prep.paths import atomic_write

FORMAT = 1


def cache_dir() -> Path:
    from prep.paths import user_dir

    return user_dir() / "cache"


def _read(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _write(path: Path, data: dict) -> None:
    _write_bytes(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _write_bytes(path: Path, payload: bytes) -> None:
    """Atomically replace ``path``; a failure leaves the cache as it was, silently."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: tmp.write_bytes(payload))


def bank_fingerprint(root: Path, files: list[Path]) -> str:
    """A hash of every bank file's name and bytes (reading ~1 MB costs far less than parsing it)."""
    h = hashlib.sha256(f"{FORMAT}:{__version__}:{root.resolve()}".encode())
    for f in files:
        h.update(f"\0{f.relative_to(root)}\0".encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def cached_bank(root: Path, load: Callable[[Path], object], to_dict, from_dict, files: list[Path]):
    """``load(root)``, or its result from the cache when no file of the bank changed.

    The cache is plain data (dicts, lists, strings) in ``marshal`` format, several times faster to
    read than JSON; it holds no code and is only ever read by the Python that wrote it.
    """
    if not enabled():
        return load(root)
    try:
        key = bank_fingerprint(root, files)
    except OSError:
        return load(root)
    path = cache_dir() / f"bank-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    try:
        data = marshal.loads(path.read_bytes())
        if isinstance(data, dict) and data.get("key") == key:
            return dataclasses.replace(from_dict(data["bank"]), fingerprint=key)
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        pass
    bank = load(root)
    _write_bytes(path, marshal.dumps({"key": key, "bank": to_dict(bank)}))
    return dataclasses.replace(bank, fingerprint=key)


MAX_CACHED_NOTES = 2_000_000  # bytes of notes; bigger files are matched every time


def enabled() -> bool:
    """``PREP_CACHE=0`` turns every cache off (benchmarks measure the real work with it)."""
    return os.environ.get("PREP_CACHE", "1") != "0"


def cached_matches(path: Path, salt: str, compute: Callable[[], list], to_record, from_record):
    """``compute()``, or its result from the cache when the notes, bank and companies are unchanged.

    ``salt`` identifies the bank and companies. Reading errors fall through to ``compute``, which
    reports them.
    """
    try:
        data = path.read_bytes() if path.stat().st_size <= MAX_CACHED_NOTES else None
    except OSError:
        data = None
    if data is None or not enabled():
        return compute()
    key = hashlib.sha256(f"{FORMAT}:{__version__}:{salt}:".encode() + data).hexdigest()
    file = cache_dir() / f"matches-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    try:
        cached = marshal.loads(file.read_bytes())
        if isinstance(cached, dict) and cached.get("key") == key:
            return [from_record(r) for r in cached["records"]]
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        pass
    result = compute()
    _write_bytes(file, marshal.dumps({"key": key, "records": [to_record(r) for r in result]}))
    return result


class RenderCache:
    """source text → rendered HTML, persisted between runs."""

    def __init__(self, name: str, render: Callable[[str], str], version: str):
        self.path = cache_dir() / f"{name}.json"
        self.render = render
        self.version = version
        data = (_read(self.path) if enabled() else None) or {}
        self.entries: dict[str, str] = (
            data.get("entries", {}) if data.get("version") == version else {}
        )
        self.used: dict[str, str] = {}
        self.dirty = False

    def __call__(self, text: str) -> str:
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        out = self.entries.get(key)
        if out is None:
            out = self.render(text)
            self.entries[key] = out
            self.dirty = True
        self.used[key] = out
        return out

    MAX_ENTRIES = 20_000

    def save(self) -> None:
        """Persist the entries; past MAX_ENTRIES only those this run used are kept."""
        if not self.dirty or not enabled():
            return
        entries = self.entries if len(self.entries) <= self.MAX_ENTRIES else self.used
        _write(self.path, {"version": self.version, "entries": entries})
