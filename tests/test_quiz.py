"""The terminal quiz: scripted sessions, FSRS state, selection statistics, persistence, grading."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from prep.bank import load_bank
from prep.cli import cli
from prep.quiz import (
    Candidate,
    Rating,
    candidates,
    grade,
    readiness,
    review,
    select,
    topic_progress,
)
from prep.store import Store

VALID = Path(__file__).parent / "banks" / "valid"


def quiz(*args, input=""):
    return CliRunner().invoke(cli, ["quiz", "--topics", str(VALID), *args], input=input)


def stored(home: Path):
    store = Store.open(home / "progress.db")
    try:
        return store.reviews(), store.states()
    finally:
        store.close()


@pytest.fixture
def home(isolated):
    return Path(os.environ["PREP_HOME"])


def test_scripted_flip_session_stores_reviews_and_fsrs_states(home):
    result = quiz("-n", "3", "--seed", "7", input="3\n1\n\n4\n")
    assert result.exit_code == 0, result.output
    reviews, states = stored(home)
    assert [r.rating for r in reviews] == [3, 1, 4]
    assert len({r.card_key for r in reviews}) == 3
    for r in reviews:  # the stored state is exactly FSRS's answer for that review
        assert states[r.card_key] == review(None, r.card_key, r.rating, r.reviewed_at)
    assert "seen 3 card(s)" in result.output and "Good 1" in result.output
    assert "Again 1" in result.output and "Easy 1" in result.output
    # A second session builds on the first: the again-card has two reviews, state from both.
    again_key = reviews[1].card_key
    later = quiz("-n", "12", "--seed", "7", "--topic", again_key.split("/")[0], input="3\n")
    assert later.exit_code == 0, later.output
    reviews2, states2 = stored(home)
    assert len(reviews2) == 4 and reviews2[-1].card_key == again_key
    first = review(None, again_key, 1, reviews2[1].reviewed_at)
    assert states2[again_key] == review(first, again_key, 3, reviews2[-1].reviewed_at)


def test_same_seed_same_cards(home):
    a = quiz("-n", "5", "--seed", "42", input="s\n" * 5)
    b = quiz("-n", "5", "--seed", "42", input="s\n" * 5)
    assert a.output == b.output and "skipped 5" in a.output
    assert stored(home)[0] == []


def test_keys_help_skip_quit(home):
    result = quiz("-n", "5", "--seed", "1", input="?\ns\n\n2\nq\n")
    assert result.exit_code == 0
    assert "keys: Enter = show answer" in result.output
    reviews, _ = stored(home)
    assert [r.rating for r in reviews] == [2]
    assert "seen 1 card(s), skipped 1" in result.output


def test_type_mode_suggests_and_accepts(home):
    result = quiz(
        "-n",
        "1",
        "--topic",
        "collective-communication",
        "--mode",
        "type",
        input="每个 rank 发 2(N-1)/N × S 字节，先 reduce-scatter 再 all-gather\n\n",
    )
    assert result.exit_code == 0, result.output
    assert "✓ 2(N−1)/N" in result.output and "✓ reduce-scatter" in result.output
    assert "suggested 3 Good" in result.output
    (r,), _ = stored(home)
    assert r.rating == 3 and r.mode == "type"


def test_type_mode_override(home):
    result = quiz(
        "-n", "1", "--topic", "collective-communication", "--mode", "type", input="不记得了\n2\n"
    )
    assert "✗ 2(N−1)/N" in result.output and "suggested 1 Again" in result.output
    (r,), _ = stored(home)
    assert r.rating == 2


@pytest.mark.parametrize(
    "answer, rating, found",
    [
        ("ring allreduce 每个 rank 发送 2(N−1)/N·S；reduce-scatter + all-gather", Rating.GOOD, 2),
        ("分 reducescatter 和 allgather 两步", Rating.HARD, 1),
        ("reduce scater 然后 2(n-1)/n", Rating.GOOD, 2),  # typos and ASCII minus still count
        ("每个节点把数据发给所有人", Rating.AGAIN, 0),
        ("", Rating.AGAIN, 0),
    ],
)
def test_grading(answer, rating, found):
    card = load_bank(VALID).card("collective-communication/ring")
    g = grade(answer, card.keywords)
    assert g.suggested == rating and len(g.found) == found


def test_grading_many_keywords():
    kws = ["Filter", "Score", "Reserve", "Permit", "Bind"]
    assert (
        grade("Filter 过滤节点，Score 打分，Reserve 预留，Permit 等待，Bind 绑定", kws).suggested
        == 3
    )
    assert grade("先 filter 再 score", kws).suggested == Rating.HARD
    assert grade("调度", kws).suggested == Rating.AGAIN


def test_selection_follows_weight_times_need():
    """Over many seeded draws, each card's share matches weight × need (chi-square)."""
    bank = load_bank(VALID)
    cards = bank.cards()
    rng_setup = random.Random(0)
    cands = [
        Candidate(c, weight=float(1 + i % 4), need=rng_setup.uniform(0.1, 1.0), due=False)
        for i, c in enumerate(cards)
    ]
    total = sum(c.weight * c.need for c in cands)
    draws = 30_000
    counts = {c.card.key: 0 for c in cands}
    rng = random.Random(12345)
    for _ in range(draws):
        counts[select(cands, 1, rng)[0].card.key] += 1
    chi2 = sum(
        (counts[c.card.key] - draws * c.weight * c.need / total) ** 2
        / (draws * c.weight * c.need / total)
        for c in cands
    )
    # 11 degrees of freedom: the 0.999 quantile of chi-square is 31.26.
    assert chi2 < 31.26, (chi2, counts)
    heavy = max(cands, key=lambda c: c.weight * c.need)
    light = min(cands, key=lambda c: c.weight * c.need)
    assert counts[heavy.card.key] > 2 * counts[light.card.key]


def test_due_cards_come_first():
    bank = load_bank(VALID)
    cards = bank.cards()
    cands = [Candidate(c, 1.0, 1.0, due=(i % 3 == 0)) for i, c in enumerate(cards)]
    picked = select(cands, 6, random.Random(3))
    n_due = sum(c.due for c in cands)
    assert all(c.due for c in picked[:n_due]) and not any(c.due for c in picked[n_due:])


def test_need_comes_from_fsrs_retrievability():
    bank = load_bank(VALID)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    key = "kv-cache/size"
    state = review(None, key, 3, now)
    state = review(state, key, 3, now + timedelta(minutes=10))
    later = now + timedelta(days=3)
    cands = {c.card.key: c for c in candidates(bank, {"kv-cache": 2}, {key: state}, later)}
    assert 0 < cands[key].need < 1 and cands[key].weight == 2
    unseen = candidates(bank, {"mpi": 1}, {}, later)
    assert [c.need for c in unseen] == [1.0]


def test_readiness_weights_by_frequency():
    bank = load_bank(VALID)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    state = review(None, "kv-cache/size", 4, now)
    progress = topic_progress(bank, {"kv-cache": 3, "mpi": 1}, {"kv-cache/size": state}, now)
    assert readiness(progress) == pytest.approx(0.75)


def test_scripted_quiz_in_a_real_subprocess(home):
    env = dict(os.environ, PREP_HOME=str(home))
    out = subprocess.run(
        [sys.executable, "-m", "prep", "quiz", "-n", "2", "--seed", "5", "--topics", str(VALID)],
        input="3\n4\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    reviews, states = stored(home)
    assert [r.rating for r in reviews] == [3, 4]
    assert all(states[r.card_key]["last_review"] for r in reviews)


def count_reviews(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("select count(*) from reviews").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkill_keeps_every_answer_given(home):
    env = dict(os.environ, PREP_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "prep", "quiz", "-n", "10", "--seed", "9", "--topics", str(VALID)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    k = 4
    try:
        for _ in range(k):
            proc.stdin.write("3\n")
            proc.stdin.flush()
        deadline = time.time() + 60
        while count_reviews(home / "progress.db") < k and time.time() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    reviews, states = stored(home)
    assert len(reviews) == k and len(states) == k


def test_two_sessions_at_once(home):
    env = dict(os.environ, PREP_HOME=str(home))
    cmd = [sys.executable, "-m", "prep", "quiz", "-n", "6", "--topics", str(VALID)]
    procs = [
        subprocess.Popen(
            [*cmd, "--seed", str(s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for s in (1, 2)
    ]
    for p in procs:
        p.stdin.write("3\n" * 6)
        p.stdin.close()
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    assert len(stored(home)[0]) == 12


def test_unknown_company_and_topic():
    r = quiz("Tencen", "-n", "1")
    assert r.exit_code == 0 or "腾讯" in r.output  # close enough resolves
    r = quiz("Nvidia", "-n", "1")
    assert r.exit_code == 1 and "unknown company 'Nvidia'" in r.stderr
    r = quiz("--topic", "kv-cach")
    assert r.exit_code == 1
    assert "unknown topic 'kv-cach'; did you mean: kv-cache" in r.stderr


def test_topic_by_alias():
    r = quiz("--topic", "KV Cache", "-n", "1", input="3\n")
    assert r.exit_code == 0 and "kv-cache" in r.output


@pytest.mark.parametrize(
    "content", [b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 200]
)
def test_corrupt_progress_file_is_left_alone(home, content):
    home.mkdir(parents=True, exist_ok=True)
    db = home / "progress.db"
    db.write_bytes(content)
    r = quiz("-n", "1", input="3\n")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert str(db) in r.stderr and "left unchanged" in r.stderr
    assert db.read_bytes() == content


def test_foreign_sqlite_file_is_left_alone(home):
    home.mkdir(parents=True, exist_ok=True)
    db = home / "progress.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table other (x)")
    before = db.read_bytes()
    r = quiz("-n", "1", input="3\n")
    assert r.exit_code == 1 and "another program" in r.stderr
    assert db.read_bytes() == before


def test_removed_card_keeps_history_and_new_card_is_new(home, tmp_path):
    import shutil

    bank = tmp_path / "bank"
    shutil.copytree(VALID, bank)
    args = ["quiz", "--topics", str(bank), "--topic", "mpi", "-n", "1"]
    assert CliRunner().invoke(cli, args, input="3\n").exit_code == 0
    (bank / "training" / "mpi.yaml").write_text(
        (bank / "training" / "mpi.yaml")
        .read_text(encoding="utf-8")
        .replace("id: rank", "id: rank2"),
        encoding="utf-8",
    )
    r = CliRunner().invoke(cli, args, input="4\n")
    assert r.exit_code == 0
    reviews, states = stored(home)
    assert [r.card_key for r in reviews] == ["mpi/rank", "mpi/rank2"]
    assert set(states) == {"mpi/rank", "mpi/rank2"}


def test_stats_json(home):
    quiz("-n", "3", "--seed", "7", input="3\n3\n1\n")
    r = CliRunner().invoke(cli, ["stats", "--json", "--topics", str(VALID)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["reviews"] == 3 and data["days_studied"] == 1 and data["retention"] is None
    assert set(data["readiness"]) == {
        "商汤",
        "字节",
        "腾讯",
        "快手",
        "米哈游",
        "蚂蚁",
        "百度",
        "京东",
        "滴滴",
        "虾皮",
    }
    assert all(0 <= v <= 1 for v in data["readiness"].values())
    seen = sum(t["seen"] for t in data["topics"])
    assert seen == 3
    assert data["study_next"]


def test_migrations_apply_once_in_memory():
    from prep.store import MIGRATIONS, migrate

    db = sqlite3.connect(":memory:")
    assert migrate(db) == len(MIGRATIONS)
    assert migrate(db) == len(MIGRATIONS)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.execute("PRAGMA user_version = 99")
    from prep.errors import ProgressError

    with pytest.raises(ProgressError, match="newer prep"):
        migrate(db)


def test_seed_reproduces_a_session_across_processes(home):
    """The same --seed draws the same cards in a new process (string hashing differs per process)."""
    outputs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PREP_HOME=str(home / hash_seed), PYTHONHASHSEED=hash_seed)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "prep",
                "quiz",
                "-n",
                "5",
                "--seed",
                "11",
                "--topics",
                str(VALID),
            ],
            input="s\n" * 5,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        outputs.append([line for line in out.stdout.splitlines() if line.startswith("[")])
    assert outputs[0] == outputs[1] and len(outputs[0]) == 5


def test_review_summary_retention_counts_repeat_reviews_only():
    from prep.quiz import review_summary
    from prep.store import Review

    day = datetime(2026, 1, 1, tzinfo=timezone.utc)
    reviews = [
        Review("a/1", 1, day, "flip"),  # first sight: not counted
        Review("a/1", 3, day + timedelta(days=1), "flip"),
        Review("a/1", 1, day + timedelta(days=3), "flip"),
        Review("b/1", 4, day + timedelta(days=3), "type"),
    ]
    assert review_summary(reviews) == (0.5, 3)
    assert review_summary([]) == (None, 0)
