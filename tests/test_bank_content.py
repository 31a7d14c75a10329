"""The shipped topic bank: complete, valid, and usable by the quiz's grader."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from prep.bank import check_bank, load_bank, load_taxonomy
from prep.cli import cli
from prep.paths import bundled_topics
from prep.quiz import Rating, grade


@pytest.fixture(scope="module")
def bank():
    return load_bank(bundled_topics(), use_cache=False)


def test_check_passes_and_prints_counts():
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"ok: 9\d topics in 6 domains, \d+ cards \(\d+ basic, \d+ deep\), \d+ aliases\n",
        result.output,
    )
    assert check_bank(bundled_topics())[1] == []


def test_every_taxonomy_topic_has_at_least_six_cards_of_both_levels(bank):
    required = [t for d in load_taxonomy().values() for t in d.required]
    assert len(required) == 91
    for tid in required:
        topic = bank.topics[tid]
        assert len(topic.cards) >= 6, tid
        assert {c.level for c in topic.cards} == {"basic", "deep"}, tid
    assert len(bank.cards()) >= 546


def test_taxonomy_matches_the_shared_list():
    """The required ids shipped in the package are the ids of the project's taxonomy."""
    shared = Path(__file__).parents[2] / "shared" / "TOPICS.md"
    if not shared.exists():
        pytest.skip("the project's shared taxonomy is not beside this checkout")
    ids = re.findall(r"^- `([a-z0-9-]+)`", shared.read_text(encoding="utf-8"), flags=re.M)
    assert sorted(ids) == sorted(t for d in load_taxonomy().values() for t in d.required)


def test_titles_are_bilingual_and_short(bank):
    for t in bank.topics.values():
        assert t.title_zh and t.title_en and len(t.title_zh) <= 30 and len(t.title_en) <= 50, t.id


def test_no_two_cards_ask_the_same_question(bank):
    seen = {}
    for c in bank.cards():
        key = re.sub(r"\W+", "", c.q)
        assert key not in seen, f"{c.key} repeats {seen.get(key)}"
        seen[key] = c.key


def test_model_answer_earns_full_credit(bank):
    """Typing a card's own answer must find every keyword: keywords are gradeable key points."""
    failing = []
    for c in bank.cards():
        g = grade(c.a, c.keywords)
        if g.missed or g.suggested < Rating.GOOD:
            failing.append(f"{c.key}: {list(g.missed)}")
    assert failing == [], "\n".join(failing[:20])


def test_unrelated_answer_earns_little(bank):
    """A confident answer about something else does not pass as knowing the card."""
    noise = "Kubernetes 是容器编排系统，调度器把 Pod 放到节点上，etcd 存状态。"
    passed = [
        c.key
        for c in bank.cards()
        if c.topic.startswith("flash") and grade(noise, c.keywords).suggested >= Rating.GOOD
    ]
    assert passed == []
