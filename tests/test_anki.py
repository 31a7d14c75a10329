"""Anki export, checked by importing every deck into a real Anki collection (PyPI ``anki``)."""

import shutil
import zipfile

import pytest
from click.testing import CliRunner

from prep.anki import ROOT_DECK, output_path, safe_filename
from prep.cli import cli

pytest.importorskip("anki")
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

IF_NEWER = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER


@pytest.fixture
def collection(tmp_path):
    col = Collection(str(tmp_path / "collection.anki2"))
    yield col
    col.close()


def import_deck(col, path):
    """Import as Anki's import dialog does by default: update notes when the file's copy is newer."""
    req = ImportAnkiPackageRequest(
        package_path=str(path),
        options=ImportAnkiPackageOptions(
            with_scheduling=False,
            update_notes=IF_NEWER,
            update_notetypes=IF_NEWER,
            merge_notetypes=False,
        ),
    )
    log = col.import_anki_package(req).log
    # "duplicate" is Anki's word for "already there, skipped as up to date": expected on re-import.
    warnings = {
        name: len(getattr(log, name))
        for name in (
            "conflicting",
            "first_field_match",
            "missing_notetype",
            "missing_deck",
            "empty_first_field",
        )
        if len(getattr(log, name))
    }
    assert warnings == {}, f"import warnings: {warnings}"
    return log


def deck(*args, bank=None):
    argv = ["deck", *args]
    if bank is not None:
        argv += ["--topics", str(bank)]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    return result


def notes(col):
    return [col.get_note(n) for n in col.find_notes("")]


def topic_ids(company, bank_dir):
    import json

    out = CliRunner().invoke(cli, ["topics", company, "--json", "--topics", str(bank_dir)]).stdout
    return {t["id"] for t in json.loads(out)["topics"]}


def cards_of_matched_topics(company, bank_dir=None, positions=None):
    """The number of cards the company's positions should bring, computed independently."""
    import json

    args = ["topics", company, "--json"]
    if bank_dir:
        args += ["--topics", str(bank_dir)]
    if positions:
        args += ["--positions", str(positions)]
    data = json.loads(CliRunner().invoke(cli, args).stdout)
    from prep.bank import load_bank
    from prep.paths import bundled_topics

    bank = load_bank(bank_dir or bundled_topics())
    return sum(len(bank.topics[t["id"]].cards) for t in data["topics"])


def test_deck_imports_with_every_card_in_order(collection, banks, isolated):
    out = deck("字节", bank=banks / "valid")
    path = isolated / "decks" / "字节.apkg"
    assert "→ decks/字节.apkg" in out.output or str(path) in out.output
    log = import_deck(collection, path)
    assert len(log.duplicate) == 0
    expected = cards_of_matched_topics("字节", banks / "valid")
    assert len(log.new) == expected == len(notes(collection)) > 0
    names = {d.name for d in collection.decks.all_names_and_ids()}
    assert f"{ROOT_DECK}::字节::Kubernetes 与调度" in names
    assert f"{ROOT_DECK}::字节::大模型推理" in names
    # New queue: the most asked topic first (kubernetes-architecture: 3 of 4 positions).
    cards = sorted((collection.get_card(c) for c in collection.find_cards("")), key=lambda c: c.due)
    first = cards[0].note()
    assert "topic::kubernetes-architecture" in first.tags
    assert "company::字节" in first.tags and "level::basic" in first.tags
    ring = next(n for n in notes(collection) if n["Key"] == "kv-cache/size")
    assert "×" in ring["Answer"] and ring["Answer"].startswith("<p>")
    assert "字节" in ring["AskedIn"] and "KV Cache系统" in ring["AskedIn"]
    assert ring["Topic"] == "KV Cache · KV cache"


def test_reimport_same_file_adds_nothing(collection, banks, isolated):
    deck("字节", bank=banks / "valid")
    path = isolated / "decks" / "字节.apkg"
    first = import_deck(collection, path)
    again = import_deck(collection, path)
    assert len(again.new) == 0 and len(again.updated) == 0
    assert len(again.duplicate) == len(first.new)  # all skipped as up to date
    assert len(notes(collection)) == len(first.new)


def test_edited_card_updates_in_place_and_keeps_reviews(collection, banks, isolated, tmp_path):
    bank = tmp_path / "bank"
    shutil.copytree(banks / "valid", bank)
    deck("字节", bank=bank)
    path = isolated / "decks" / "字节.apkg"
    import_deck(collection, path)
    # Review one card in Anki before the update.
    card = collection.get_card(collection.find_cards("tag:topic::kv-cache")[0])
    card.start_timer()
    collection.sched.answerCard(card, 3)
    reviewed = card.note()["Key"]
    revlog = collection.db.scalar("select count() from revlog")
    assert revlog == 1
    # Edit one answer in the bank and regenerate: one note updated, none new.
    f = bank / "inference" / "kv-cache.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("每元素字节数", "每个元素的字节数（FP16 为 2）"),
        encoding="utf-8",
    )
    deck("字节", bank=bank)
    log = import_deck(collection, path)
    assert (len(log.new), len(log.updated)) == (0, 1)
    note = next(n for n in notes(collection) if n["Key"] == "kv-cache/size")
    assert "FP16 为 2" in note["Answer"]
    assert collection.db.scalar("select count() from revlog") == 1
    assert any(n["Key"] == reviewed for n in notes(collection))


def test_shared_cards_are_one_note_with_both_company_tags(collection, banks, isolated):
    deck("字节", "腾讯", bank=banks / "valid")
    a = import_deck(collection, isolated / "decks" / "字节.apkg")
    b = import_deck(collection, isolated / "decks" / "腾讯.apkg")
    keys = [n["Key"] for n in notes(collection)]
    assert len(keys) == len(set(keys))
    assert len(keys) == len(a.new) + len(b.new)
    both = topic_ids("字节", banks / "valid") & topic_ids("腾讯", banks / "valid")
    shared = [n for n in notes(collection) if n["Key"].split("/")[0] in both]
    assert shared and all({"company::字节", "company::腾讯"} <= set(n.tags) for n in shared)
    assert len(b.updated) == 0  # the same note from the second deck is not newer
    # The README's search gathers one company's cards wherever they sit.
    assert collection.find_notes("tag:company::腾讯")


def test_independent_decks_get_their_own_copies(collection, banks, isolated):
    deck("字节", "腾讯", "--independent", bank=banks / "valid")
    import_deck(collection, isolated / "decks" / "字节.apkg")
    import_deck(collection, isolated / "decks" / "腾讯.apkg")
    keys = [n["Key"] for n in notes(collection)]
    assert keys.count("kube-scheduler/cycle") == 2  # asked by both


def test_user_edit_survives_regeneration(collection, banks, isolated):
    deck("字节", bank=banks / "valid")
    path = isolated / "decks" / "字节.apkg"
    import_deck(collection, path)
    note = next(n for n in notes(collection) if n["Key"] == "kv-cache/size")
    note["Answer"] = "我自己的笔记"
    collection.update_note(note)
    deck("字节", bank=banks / "valid")
    log = import_deck(collection, path)
    assert len(log.updated) == 0
    assert collection.get_note(note.id)["Answer"] == "我自己的笔记"


def test_positions_text_is_escaped(collection, banks, isolated, tmp_path):
    notes_file = tmp_path / "p.md"
    notes_file.write_text(
        "## Interested\n### 字节 <b>岗位</b>\n【要求】\n- CUDA<script>alert(1)</script>\n"
        "- KV Cache<img src=x onerror=alert(1)>\n",
        encoding="utf-8",
    )
    deck("字节", "--positions", str(notes_file), bank=banks / "valid")
    import_deck(collection, isolated / "decks" / "字节.apkg")
    fields = [f for n in notes(collection) for f in n.fields]
    assert not any("<script" in f or "<img" in f or "<b>岗位" in f for f in fields)
    asked = next(n for n in notes(collection) if n["Key"] == "cuda-programming/warp")["AskedIn"]
    assert "CUDA&lt;script&gt;alert" in asked and "&lt;b&gt;岗位" in asked


def test_bank_html_is_escaped(collection, banks, isolated, tmp_path):
    bank = tmp_path / "bank"
    shutil.copytree(banks / "valid", bank)
    f = bank / "gpu" / "cuda-programming.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace(
            "32 个线程", "32 个线程 <img src=x onerror=alert(1)> [x](javascript:alert(1))"
        ),
        encoding="utf-8",
    )
    deck("字节", bank=bank)
    import_deck(collection, isolated / "decks" / "字节.apkg")
    answer = next(n for n in notes(collection) if n["Key"] == "cuda-programming/warp")["Answer"]
    assert "<img" not in answer and "&lt;img src=x onerror=alert(1)&gt;" in answer
    assert 'href="javascript' not in answer


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "CON", "a\\b", "x" * 300, "::"])
def test_company_names_never_leave_the_folder(tmp_path, name):
    path = output_path(tmp_path, name)
    assert path.parent == tmp_path and path.name.endswith(".apkg")
    assert "/" not in safe_filename(name) and "\\" not in safe_filename(name)


def test_company_path_traversal_through_the_cli(banks, isolated, tmp_path):
    notes_file = tmp_path / "p.md"
    notes_file.write_text("### ../evil 岗位\n- CUDA\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "deck",
            "--all",
            "--positions",
            str(notes_file),
            "--topics",
            str(banks / "valid"),
            "-o",
            "out",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in (isolated / "out").glob("*.apkg")] == ["_evil.apkg"]
    assert not (isolated / "evil.apkg").exists()


def test_interrupted_write_leaves_old_deck(banks, isolated, monkeypatch):
    deck("字节", bank=banks / "valid")
    path = isolated / "decks" / "字节.apkg"
    before = path.read_bytes()
    import genanki

    def boom(self, file, timestamp=None):
        with open(file, "wb") as f:
            f.write(b"half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(genanki.Package, "write_to_file", boom)
    result = CliRunner().invoke(cli, ["deck", "字节", "--topics", str(banks / "valid")])
    assert result.exit_code == 1 and "Aborted" in result.output  # Ctrl-C mid-write
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(".prep")) == [
        "字节.apkg"
    ]


def test_unwritable_output_folder(banks, isolated):
    (isolated / "ro").mkdir()
    (isolated / "ro" / "decks").write_text("a file where the folder should be")
    result = CliRunner().invoke(
        cli, ["deck", "字节", "--topics", str(banks / "valid"), "-o", "ro/decks"]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "ro/decks" in result.stderr and "-o DIR" in result.stderr


def test_all_decks_on_the_sample(collection, isolated):
    """The main job on the bundled sample and the bundled bank: 10 decks, each imports cleanly."""
    result = CliRunner().invoke(cli, ["deck", "--all"])
    assert result.exit_code == 0, result.output
    decks = sorted((isolated / "decks").glob("*.apkg"))
    assert len(decks) == 10
    for path in decks:
        assert zipfile.is_zipfile(path)
    for path in decks:
        company = path.stem
        before = len(notes(collection))
        log = import_deck(collection, path)
        expected = cards_of_matched_topics(company)
        # Notes another company's deck brought already are not new again.
        assert len(log.new) + len(log.updated) + (expected - len(log.new)) == expected
        assert len(notes(collection)) == before + len(log.new)
    keys = [n["Key"] for n in notes(collection)]
    assert len(keys) == len(set(keys))
    for company in ("字节", "腾讯", "百度"):
        want = cards_of_matched_topics(company)
        assert len(collection.find_notes(f"tag:company::{company}")) == want
