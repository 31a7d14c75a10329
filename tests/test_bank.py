"""The bank loader and validator: one test per rule, each on a small broken bank in tests/banks."""

import pytest
from click.testing import CliRunner

from prep.bank import check_bank, load_bank, load_taxonomy
from prep.cli import cli
from prep.errors import BankError


def problems_of(banks, name, taxonomy=None):
    _, problems = check_bank(banks / name, taxonomy={} if taxonomy is None else taxonomy)
    return [str(p) for p in problems]


def test_valid_bank_loads(banks):
    bank = load_bank(banks / "valid")
    assert len(bank.topics) == 12
    card = bank.card("collective-communication/ring")
    assert card.level == "basic" and "2(N−1)/N" in card.a and card.keywords[0] == "2(N−1)/N"
    assert bank.topics["openai-triton"].shared_aliases == ("Triton",)
    assert problems_of(banks, "valid") == []


def test_card_round_trip(banks):
    from prep.bank import Card

    card = load_bank(banks / "valid").card("kv-cache/size")
    assert Card.from_dict(card.to_dict()) == card


RULES = [
    ("malformed-yaml", "malformed-yaml/k8s/alpha.yaml:4: invalid YAML"),
    ("tab-indented", "tab-indented/k8s/alpha.yaml:4: invalid YAML: tab character in indentation"),
    ("not-a-mapping", "not-a-mapping/k8s/alpha.yaml:1: not a mapping"),
    ("duplicate-topic-id", "duplicate topic id 'alpha'"),
    ("duplicate-card-id", "duplicate-card-id/k8s/alpha.yaml:12: duplicate card id 'c1'"),
    ("missing-field", "missing-field/k8s/alpha.yaml:7: cards[0]: missing required field 'a'"),
    (
        "unknown-related",
        "unknown-related/k8s/alpha.yaml: related topic 'no-such-topic' does not exist",
    ),
    ("alias-clash", "alias-clash/k8s/alpha.yaml: alias 'GPU Sched' is also claimed by beta"),
    ("empty-field", "empty-field/k8s/alpha.yaml:9: card 'c1': q is empty"),
    ("overlong-field", "overlong-field/k8s/alpha.yaml:9: card 'c1': q is 500 characters"),
    ("no-keywords", "no-keywords/k8s/alpha.yaml:11: card 'c1': no keywords"),
    ("python-tag", "python-tag/k8s/alpha.yaml:4: invalid YAML"),
    ("wrong-type", "wrong-type/k8s/alpha.yaml:8: card 'c1': level must be one of basic, deep"),
    ("id-mismatch", "id-mismatch/k8s/alpha.yaml:1: id 'gamma' does not match the file name"),
]


@pytest.mark.parametrize("bank, expected", RULES, ids=[r[0] for r in RULES])
def test_validator_rule(banks, bank, expected):
    problems = problems_of(banks, bank)
    assert any(p.startswith(expected) or expected in p for p in problems), problems


def test_python_tag_is_never_executed(banks, tmp_path, monkeypatch):
    import os

    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    problems = problems_of(banks, "python-tag")
    assert called == [] and "no !! tags" in problems[0]


def test_shared_alias_in_both_files_is_fine(banks):
    assert problems_of(banks, "shared-alias") == []


def test_missing_taxonomy_topics_are_listed(banks):
    problems = problems_of(banks, "valid", taxonomy=load_taxonomy())
    missing = [p for p in problems if "required by the taxonomy" in p]
    assert len(missing) == 91 - 12
    assert any("'volcano'" in p and "(k8s)" in p for p in missing)


def test_every_problem_is_reported_at_once(banks):
    problems = problems_of(banks, "several-problems")
    assert len(problems) == 3
    assert any("alpha.yaml" in p for p in problems)
    assert any("beta.yaml" in p and "no keywords" in p for p in problems)
    assert any("gamma.yaml" in p and "'nowhere'" in p for p in problems)


def test_load_bank_names_first_problem_and_count(banks):
    with pytest.raises(
        BankError, match=r"alpha.yaml:4: invalid YAML.*and 1 more; run 'prep check'"
    ):
        load_bank(banks / "several-problems")


def test_check_command_prints_every_problem_and_exits_1(banks):
    result = CliRunner().invoke(cli, ["check", "--topics", str(banks / "several-problems")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert sum(":" in line and ".yaml" in line for line in lines) >= 3
    assert lines[-1].startswith("Error: ") and "problem(s)" in lines[-1]


def test_check_missing_folder():
    result = CliRunner().invoke(cli, ["check", "--topics", "no/such/dir"])
    assert result.exit_code == 1
    assert "topic bank folder not found" in result.stderr


def test_env_topics_points_commands_at_another_bank(banks, monkeypatch):
    monkeypatch.setenv("PREP_TOPICS", str(banks / "several-problems"))
    result = CliRunner().invoke(cli, ["map", "--json"])
    assert result.exit_code == 1 and "several-problems" in result.stderr
