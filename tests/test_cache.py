"""Caches make repeated commands fast; they must never change an answer."""

import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from prep.cli import cli

VALID = Path(__file__).parent / "banks" / "valid"


def map_json(*args):
    result = CliRunner().invoke(cli, ["map", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cache_files():
    return sorted(p.name for p in (Path(os.environ["PREP_HOME"]) / "cache").glob("*"))


def test_edits_to_notes_and_bank_show_up_at_once(isolated, tmp_path):
    bank = tmp_path / "bank"
    shutil.copytree(VALID, bank)
    notes = isolated / "positions.md"
    notes.write_text("### 甲 岗位\n- CUDA\n", encoding="utf-8")
    first = map_json("--topics", str(bank))
    assert first["weights"] == {"cuda-programming": 1}
    assert any(name.startswith("matches-") for name in cache_files())
    assert map_json("--topics", str(bank)) == first  # from the cache, the same answer

    notes.write_text("### 甲 岗位\n- CUDA\n- Open MPI\n", encoding="utf-8")
    assert map_json("--topics", str(bank))["weights"] == {"cuda-programming": 1, "mpi": 1}

    f = bank / "training" / "mpi.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("  - Open MPI\n", ""), encoding="utf-8")
    after = map_json("--topics", str(bank))
    assert after["weights"] == {"cuda-programming": 1, "mpi": 1}  # "MPI" still inside the term
    f.write_text(
        f.read_text(encoding="utf-8").replace("  - MPI\n", "  - MPI-X\n"), encoding="utf-8"
    )
    assert map_json("--topics", str(bank))["weights"] == {"cuda-programming": 1}


def test_damaged_cache_files_are_ignored(isolated):
    expected = map_json("--topics", str(VALID))
    for f in (Path(os.environ["PREP_HOME"]) / "cache").glob("*"):
        f.write_bytes(b"\x00garbage")
    assert map_json("--topics", str(VALID)) == expected
    result = CliRunner().invoke(cli, ["deck", "字节", "--topics", str(VALID)])
    assert result.exit_code == 0


def test_cache_can_be_turned_off(isolated, monkeypatch):
    monkeypatch.setenv("PREP_CACHE", "0")
    expected = map_json("--topics", str(VALID))
    assert CliRunner().invoke(cli, ["deck", "字节", "--topics", str(VALID)]).exit_code == 0
    assert not (Path(os.environ["PREP_HOME"]) / "cache").exists()
    monkeypatch.setenv("PREP_CACHE", "1")
    assert map_json("--topics", str(VALID)) == expected


def test_unwritable_cache_folder_is_not_an_error(isolated):
    home = Path(os.environ["PREP_HOME"])
    home.mkdir(parents=True)
    (home / "cache").write_text("a file where the cache folder should be")
    assert map_json("--topics", str(VALID))["positions"]
