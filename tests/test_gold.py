"""Matching quality on the sample against the hand-made gold standard (tests/data/gold.yaml)."""

from pathlib import Path

import pytest
import yaml

from prep.bank import load_bank
from prep.companies import canonicalize, load_companies
from prep.match import build_index, match_positions
from prep.paths import bundled_topics, sample_positions
from prep.positions import read_positions

GOLD = Path(__file__).parent / "data" / "gold.yaml"


@pytest.fixture(scope="module")
def scored():
    gold = {(g["company"], g["title"]): g for g in yaml.safe_load(GOLD.read_text(encoding="utf-8"))}
    positions = canonicalize(read_positions(sample_positions()), load_companies())
    matched = match_positions(positions, build_index(load_bank(bundled_topics())))
    rows = []
    for pm in matched:
        g = gold[(pm.position.company, pm.position.title)]
        must, ok = set(g["must"]), set(g.get("ok", ()))
        got = set(pm.topics)
        rows.append((pm.position, must, ok, got))
    return rows


def test_every_sample_position_has_gold(scored):
    assert len(scored) == 14


def test_recall_and_precision_against_gold(scored, request):
    must_total = sum(len(must) for _, must, _, _ in scored)
    found = sum(len(must & got) for _, must, _, got in scored)
    matched = sum(len(got) for *_, got in scored)
    correct = sum(len(got & (must | ok)) for _, must, ok, got in scored)
    recall, precision = found / must_total, correct / matched
    lines = [
        f"gold standard: recall {recall:.3f} ({found}/{must_total} must topics found), "
        f"precision {precision:.3f} ({correct}/{matched} matched topics in must + ok)"
    ]
    for p, must, ok, got in scored:
        if must - got or got - must - ok:
            lines.append(
                f"  {p.company} {p.title}: missed {sorted(must - got)}, "
                f"extra {sorted(got - must - ok)}"
            )
    # printed in the run's summary (conftest.py)
    request.config.prep_gold_figures = [*lines, *getattr(request.config, "prep_gold_figures", [])]
    assert recall >= 0.98
    assert precision >= 0.95


def test_postings_the_matcher_was_not_tuned_on(request):
    """Recall and precision hold on postings of other companies in other wording (written apart)."""
    data = Path(__file__).parent / "data"
    gold = {
        g["company"]: g
        for g in yaml.safe_load((data / "unseen-gold.yaml").read_text(encoding="utf-8"))
    }
    positions = canonicalize(read_positions(data / "unseen.md"), load_companies())
    matched = match_positions(positions, build_index(load_bank(bundled_topics())))
    assert {pm.position.company for pm in matched} == set(gold)
    must_total = found = got_total = correct = 0
    for pm in matched:
        g = gold[pm.position.company]
        must, ok, got = set(g["must"]), set(g["ok"]), set(pm.topics)
        must_total += len(must)
        found += len(must & got)
        got_total += len(got)
        correct += len(got & (must | ok))
    recall, precision = found / must_total, correct / got_total
    request.config.prep_gold_figures = [
        *getattr(request.config, "prep_gold_figures", []),
        f"unseen postings: recall {recall:.3f} ({found}/{must_total}), "
        f"precision {precision:.3f} ({correct}/{got_total})",
    ]
    assert recall >= 0.9 and precision >= 0.9
