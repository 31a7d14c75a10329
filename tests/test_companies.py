"""Company names: canonical names, aliases, fuzzy resolution with suggestions."""

import pytest
from click.testing import CliRunner

from prep.cli import cli
from prep.companies import canonicalize, load_companies, resolve
from prep.errors import UnknownNameError
from prep.positions import parse_positions

KNOWN = ["商汤", "字节", "腾讯", "快手", "米哈游", "蚂蚁", "百度", "京东", "滴滴", "虾皮"]


@pytest.fixture(scope="module")
def companies():
    return load_companies()


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("字节", "字节"),
        ("字节跳动", "字节"),
        ("ByteDance", "字节"),
        ("bytedance", "字节"),
        ("ＢｙｔｅＤａｎｃｅ", "字节"),
        ("Tencent", "腾讯"),
        ("baidu", "百度"),
        ("SenseTime", "商汤"),
        ("Kuaishou", "快手"),
        ("miHoYo", "米哈游"),
        ("蚂蚁集团", "蚂蚁"),
        ("Ant Group", "蚂蚁"),
        ("JD", "京东"),
        ("DiDi", "滴滴"),
        ("Shopee", "虾皮"),
        ("Bytedanse", "字节"),
        ("Tencnet", "腾讯"),  # typos: close enough to be sure
    ],
)
def test_resolve(companies, typed, canonical):
    assert resolve(typed, KNOWN, companies) == canonical


def test_unknown_company_suggests_closest(companies):
    with pytest.raises(UnknownNameError) as e:
        resolve("Byte", KNOWN, companies)
    assert e.value.suggestions[0] == "字节"
    assert "did you mean" in str(e.value)


def test_company_unknown_to_the_file_keeps_its_name(companies):
    ps = canonicalize(parse_positions("### 字节跳动 A\n### 月之暗面 B\n"), companies)
    assert [p.company for p in ps] == ["字节", "月之暗面"]
    assert resolve("月之暗面", ["字节", "月之暗面"], companies) == "月之暗面"


def test_companies_command_counts_statuses():
    result = CliRunner().invoke(cli, ["companies", "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    by_name = {c["name"]: c for c in data["companies"]}
    assert len(by_name) == 10
    assert by_name["字节"] == {
        "name": "字节",
        "positions": 4,
        "statuses": {"interested": 3, "interviewing": 1},
    }
    assert by_name["虾皮"]["statuses"] == {"rejected": 1}
    assert "bundled sample" in result.stderr


def test_companies_table_then_again_with_alias_file(isolated):
    (isolated / "positions.md").write_text(
        "## 面试中\n### ByteDance 推理\n- CUDA\n", encoding="utf-8"
    )
    runner = CliRunner()
    first = runner.invoke(cli, ["companies"])
    assert first.exit_code == 0 and "字节" in first.stdout and "bundled" not in first.stderr
    second = runner.invoke(cli, ["companies", "--json"])
    assert '"interviewing": 1' in second.stdout
