"""The robustness sweep: every error path of every command gives one line and a non-zero exit,
and the parser and matcher survive arbitrary, huge and deeply nested input."""

import errno
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prep.bank import load_bank
from prep.cli import cli
from prep.match import build_index, match_positions
from prep.positions import parse_positions

TESTS = Path(__file__).parent
VALID = TESTS / "banks" / "valid"
BROKEN = TESTS / "banks" / "several-problems"


def _file(content: bytes):
    def setup(work: Path) -> None:
        (work / "p.md").write_bytes(content)

    return setup


def _progress(content: bytes):
    def setup(work: Path) -> None:
        home = work.parent / "home"
        home.mkdir(exist_ok=True)
        (home / "progress.db").write_bytes(content)

    return setup


def _occupied_output(work: Path) -> None:
    (work / "out").write_text("a file where the deck folder should be")


def _full_disk(monkeypatch):
    def no_space(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", no_space)


def _nothing(work: Path) -> None:
    pass


V = ["--topics", str(VALID)]
P = ["--positions", "p.md"]
# (id, args, setup, exit code, text the one error line must contain)
CASES = [
    ("missing file", ["companies", "--positions", "nope.md"], _nothing, 1, "no such file"),
    ("folder as file", ["map", "--positions", "."], _nothing, 1, "is a folder"),
    ("empty file", ["companies", *P], _file(b""), 1, "is empty"),
    ("binary file", ["map", *P, *V], _file(b"\x00\x01PK\x03\x04" * 50), 1, "binary"),
    ("no positions", ["topics", *P, *V], _file(b"# notes\nprose\n"), 1, "holds no positions"),
    ("bad encoding", ["deck", "--all", *P, *V], _file(b"### A B\n\xff\xfe\x80\x81\n"), 1, "iconv"),
    ("unknown company map", ["map", "Nvidia", *V], _nothing, 1, "unknown company 'Nvidia'"),
    ("unknown company topics", ["topics", "Nvidia", *V], _nothing, 1, "did you mean"),
    ("unknown company deck", ["deck", "Nvidia", *V], _nothing, 1, "unknown company"),
    ("unknown company quiz", ["quiz", "Nvidia", *V], _nothing, 1, "unknown company"),
    ("unknown company stats", ["stats", "Nvidia", *V], _nothing, 1, "unknown company"),
    ("unknown topic", ["quiz", "--topic", "kubernets", *V], _nothing, 1, "unknown topic"),
    ("bad status", ["topics", "--status", "later", *V], _nothing, 2, "unknown status later"),
    ("bad mode", ["quiz", "--mode", "essay", *V], _nothing, 2, "'essay' is not one of"),
    ("bad count", ["quiz", "-n", "0", *V], _nothing, 2, "0 is not in the range"),
    ("deck without company", ["deck", *V], _nothing, 2, "name a company"),
    ("deck names and --all", ["deck", "字节", "--all", *V], _nothing, 2, "not both"),
    ("unknown option", ["map", "--frobnicate"], _nothing, 2, "No such option"),
    ("missing bank", ["map", "--topics", "no/bank"], _nothing, 1, "topic bank folder not found"),
    ("broken bank", ["deck", "字节", "--topics", str(BROKEN)], _nothing, 1, "invalid YAML"),
    (
        "broken bank check",
        ["check", "--topics", str(BROKEN)],
        _nothing,
        1,
        "problem(s) in the topic",
    ),
    ("output is a file", ["deck", "字节", "-o", "out", *V], _occupied_output, 1, "-o DIR"),
    ("corrupt progress quiz", ["quiz", *V], _progress(b"garbage" * 10), 1, "left unchanged"),
    ("corrupt progress stats", ["stats", *V], _progress(b"garbage" * 10), 1, "left unchanged"),
    (
        "no matching status",
        ["deck", "字节", "--status", "accepted", *V],
        _nothing,
        1,
        "no positions",
    ),
]


@pytest.mark.parametrize(
    "args, setup, code, text", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_paths(isolated, args, setup, code, text):
    setup(isolated)
    result = CliRunner().invoke(cli, args, input="")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [
        line for line in result.stderr.splitlines() if not line.startswith("prep: no positions")
    ]
    if args[0] == "check":
        lines = lines[-1:]  # check lists every problem, then one closing error line
    assert lines[-1].startswith(("Error: ", "Usage: ")) or "Error:" in lines[-1], lines
    assert text in result.stderr, result.stderr


def test_full_disk_when_writing_a_deck(isolated, monkeypatch):
    (isolated / "decks").mkdir()
    _full_disk(monkeypatch)
    result = CliRunner().invoke(cli, ["deck", "字节", *V])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "No space left on device" in result.stderr and "-o DIR" in result.stderr
    assert list((isolated / "decks").iterdir()) == []


def test_unwritable_data_folder(isolated, monkeypatch):
    blocker = isolated / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PREP_HOME", str(blocker / "home"))
    result = CliRunner().invoke(cli, ["quiz", *V], input="")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "PREP_HOME" in result.stderr


# ---------------------------------------------------------------------------------------------
# Arbitrary input to the parser and the matcher


@pytest.fixture(scope="module")
def index():
    return build_index(load_bank(VALID, use_cache=False))


unicode_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(unicode_text, max_size=30))
def test_arbitrary_unicode_lines(index, lines):
    text = "### 公司 岗位\n【要求】\n" + "\n".join(f"- {line}" for line in lines)
    for pm in match_positions(parse_positions(text), index):
        assert all(m.topics for m in pm.matches)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 5000), st.sampled_from(["（", "(", "【", "["]))
def test_deep_nesting(index, depth, bracket):
    close = {"（": "）", "(": ")", "【": "】", "[": "]"}[bracket]
    line = bracket * depth + "CUDA、k8s" + close * depth
    nested = "".join("  " * i + f"- 第{i}层：MPI\n" for i in range(min(depth, 500)))
    (pm,) = match_positions(parse_positions(f"### 公司 岗位\n- {line}\n{nested}"), index)
    assert "cuda-programming" in pm.topics


def test_very_long_line_and_huge_term_count(index):
    long_line = "x" * 2_000_000 + "、CUDA"
    many = "、".join(["k8s", "CUDA", "Trition", "分布式KV Cache系统"] * 50_000)
    (pm,) = match_positions(parse_positions(f"### 公司 岗位\n- {long_line}\n- {many}\n"), index)
    assert {"cuda-programming", "kubernetes-architecture", "distributed-kv-cache"} <= set(pm.topics)
    assert len(pm.matches) >= 150_000


def test_copy_of_bank_with_only_some_topics_still_loads(tmp_path):
    shutil.copytree(VALID, tmp_path / "bank")
    shutil.rmtree(tmp_path / "bank" / "training")
    assert len(load_bank(tmp_path / "bank").topics) == 9
