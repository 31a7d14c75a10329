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
    request.config.prep_gold_figures = lines  # printed in the run's summary (conftest.py)
    assert recall >= 0.98
    assert precision >= 0.95
