"""The command line as a user meets it: help, version, and one clear line for every bad input."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from prep.cli import cli


def invoke(*args, **kw):
    return CliRunner().invoke(cli, list(args), **kw)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_commands_have_help_with_example(name):
    for flag in ("--help", "-h"):
        result = invoke(name, flag)
        assert result.exit_code == 0
        assert "Example" in result.output, f"{name} help has no example"


def test_version_and_help():
    assert invoke("--version").output.startswith("prep, version ")
    assert "prep deck 字节" in invoke("-h").output


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from click.testing import CliRunner; from prep.cli import cli; "
        "CliRunner().invoke(cli, ['--help']); "
        "print(sorted(m for m in ('rich', 'rapidfuzz', 'genanki', 'fsrs', 'yaml', 'anki') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def one_line_error(result, *needles):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    err = result.stderr.strip().splitlines()
    assert err, "no error message"
    last = err[-1]
    for n in needles:
        assert n in last, f"{n!r} not in {last!r}"
    return last


def test_missing_file():
    one_line_error(invoke("companies", "--positions", "nope.md"), "nope.md", "no such file")


def test_directory(tmp_path):
    one_line_error(invoke("companies", "--positions", str(tmp_path)), "is a folder")


def test_empty_file(tmp_path):
    f = tmp_path / "p.md"
    f.write_text("")
    one_line_error(invoke("companies", "--positions", str(f)), "is empty")


def test_no_positions(tmp_path):
    f = tmp_path / "p.md"
    f.write_text("# notes\n\njust prose\n")
    one_line_error(invoke("companies", "--positions", str(f)), "holds no positions", "###")


def test_binary_file(tmp_path):
    f = tmp_path / "p.md"
    f.write_bytes(bytes(range(256)) * 4)
    one_line_error(invoke("companies", "--positions", str(f)), "binary")


def test_undecodable_file(tmp_path):
    f = tmp_path / "p.md"
    f.write_bytes(b"### A B\n- \xff\xfe\xfd\xfc\x80\x80\n" * 3)
    one_line_error(invoke("companies", "--positions", str(f)), "neither UTF-8 nor GB18030", "iconv")


def test_unreadable_file(tmp_path, monkeypatch):
    import builtins

    f = tmp_path / "p.md"
    f.write_text("### A B\n")
    real_open = builtins.open

    def deny(path, *a, **kw):  # chmod 0 does not stop root, so deny the read itself
        if str(path) == str(f):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **kw)

    monkeypatch.setattr(builtins, "open", deny)
    one_line_error(invoke("companies", "--positions", str(f)), "permission denied")


def test_gbk_file_reads(tmp_path, sample_text):
    f = tmp_path / "p.md"
    f.write_bytes(sample_text.replace("❌ ", "").replace("✅ ", "").encode("gbk"))
    result = invoke("companies", "--positions", str(f), "--json")
    assert result.exit_code == 0 and '"字节"' in result.stdout


def test_env_positions_then_option_wins(tmp_path, monkeypatch):
    a = tmp_path / "a.md"
    a.write_text("### 甲 岗位\n", encoding="utf-8")
    b = tmp_path / "b.md"
    b.write_text("### 乙 岗位\n", encoding="utf-8")
    monkeypatch.setenv("PREP_POSITIONS", str(a))
    assert '"甲"' in invoke("companies", "--json").stdout
    assert '"乙"' in invoke("companies", "--json", "--positions", str(b)).stdout


def test_unknown_company_lists_closest():
    last = one_line_error(invoke("map", "Byte"), "unknown company", "did you mean", "字节")
    assert last.startswith("Error: ")


def test_bad_status_is_a_usage_error():
    result = invoke("map", "--status", "pending")
    assert result.exit_code == 2 and "unknown status pending" in result.stderr


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "prep", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and "prep, version" in out.stdout


def test_readme_documents_every_command_and_option():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"prep {name}" in readme, f"prep {name} is not in the README"
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in ("--help",):
                    assert opt in readme, f"{name} {opt} is not in the README"


def test_readme_set_up_commands_match_ci():
    from pathlib import Path

    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && .venv/bin/python -m pytest" in readme
    assert "-e '.[test]'" in ci and "-m pytest" in ci
    assert ".venv/bin/pip install . && .venv/bin/prep deck 字节" in readme


def test_quiz_imports_only_what_it_needs(isolated):
    """The quiz never loads the Anki writer; with warm caches not the YAML parser or fuzzy matcher."""
    import os

    code = (
        "import sys; from click.testing import CliRunner; from prep.cli import cli; "
        "r = CliRunner().invoke(cli, ['quiz', '-n', '1'], input=''); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in ('genanki', 'yaml', 'rapidfuzz') if m in sys.modules))"
    )
    env = dict(os.environ)
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    assert "genanki" not in first.stdout
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert warm.stdout.strip() == "[]", warm.stdout + warm.stderr
