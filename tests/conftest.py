import os
from pathlib import Path

import pytest

from prep.paths import sample_positions

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every test gets its own data folder and working folder, and no inherited PREP_* settings."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("PREP_HOME", str(home))
    monkeypatch.delenv("PREP_POSITIONS", raising=False)
    monkeypatch.delenv("PREP_TOPICS", raising=False)
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def sample_text() -> str:
    return sample_positions().read_text(encoding="utf-8")


@pytest.fixture
def banks() -> Path:
    """Small hand-written banks for validator and loader tests."""
    return TESTS / "banks"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def env_without(*names: str) -> dict:
    env = dict(os.environ)
    for n in names:
        env.pop(n, None)
    return env


def pytest_terminal_summary(terminalreporter, config):
    """Show the matcher's figures against the gold standard in every test run's output."""
    for line in getattr(config, "prep_gold_figures", ()):
        terminalreporter.write_line(line)
