"""Where prep's files live: the user data folder, the bundled bank and sample, the positions file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

ENV_HOME = "PREP_HOME"
ENV_POSITIONS = "PREP_POSITIONS"
ENV_TOPICS = "PREP_TOPICS"


def user_dir() -> Path:
    """The folder for prep's own data (quiz progress): ``$PREP_HOME``, else the platform's data dir."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("prep", appauthor=False))


def progress_path() -> Path:
    return user_dir() / "progress.db"


def sample_positions() -> Path:
    return Path(str(resources.files("prep.data").joinpath("positions.md")))


def taxonomy_file() -> Path:
    return Path(str(resources.files("prep.data").joinpath("taxonomy.yaml")))


def bundled_topics() -> Path:
    return Path(str(resources.files("prep.topics")))


def positions_source(explicit: str | os.PathLike | None) -> tuple[Path, bool]:
    """The positions file to read and whether it is the bundled sample.

    First match wins: ``--positions FILE``, ``$PREP_POSITIONS``, ``./positions.md``, the sample.
    """
    if explicit:
        return Path(explicit), False
    env = os.environ.get(ENV_POSITIONS)
    if env:
        return Path(env).expanduser(), False
    local = Path("positions.md")
    if local.is_file():
        return local, False
    return sample_positions(), True


def topics_source(explicit: str | os.PathLike | None) -> Path:
    """The topic bank folder: ``--topics DIR``, ``$PREP_TOPICS``, else the bundled bank."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_TOPICS)
    if env:
        return Path(env).expanduser()
    return bundled_topics()


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` beside ``path``, then rename it over ``path``: all or nothing.

    The file gets the permissions a plain ``open`` would give it (the temporary file's are 0600).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
