"""Matching terms to topics: each kind of evidence and each context rule, on the small test bank."""

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from prep.bank import load_bank
from prep.cli import cli
from prep.match import build_index, coverage, match_positions, topic_weights
from prep.positions import parse_positions
from prep.text import fold


@pytest.fixture(scope="module")
def index():
    from pathlib import Path

    return build_index(load_bank(Path(__file__).parent / "banks" / "valid"))


def match_one(index, body: str, title: str = "岗位"):
    (pm,) = match_positions(parse_positions(f"### 某司 {title}\n【要求】\n{body}\n"), index)
    return pm


def by_term(pm):
    return {m.term.text: (set(m.topics), m.kind) for m in pm.matches}


def test_fold():
    assert fold("GPUDirect RDMA") == fold("GPUDirectRDMA") == "gpudirectrdma"
    assert fold("K8S") == fold("k8s") and fold("Ｋ８ｓ") == "k8s"
    assert fold("Megatron-LM") == fold("megatron lm")


def test_exact(index):
    assert by_term(match_one(index, "- k8s"))["k8s"] == ({"kubernetes-architecture"}, "exact")
    assert by_term(match_one(index, "- Open-MPI"))["Open-MPI"] == ({"mpi"}, "exact")


def test_contained_aliases_longest_first(index):
    got = by_term(match_one(index, "- 分布式KV Cache系统"))
    assert got["分布式KV Cache系统"] == ({"distributed-kv-cache"}, "alias")


def test_one_term_several_topics(index):
    topics, kind = by_term(match_one(index, "- MPI Allreduce"))["MPI Allreduce"]
    assert topics == {"mpi", "collective-communication"} and kind == "alias"


def test_latin_alias_needs_word_bounds(index):
    pm = match_one(index, "- MPIO 调优\n- SEMPI")
    assert "mpi" not in pm.topics


def test_fuzzy_typos(index):
    got = by_term(match_one(index, "- Kubernets\n- TensorTR-LLM"))
    assert got["Kubernets"] == ({"kubernetes-architecture"}, "fuzzy")
    assert got["TensorTR-LLM"][0] == {"tensorrt"}


def test_fuzzy_misspelling_inside_a_longer_term(index):
    got = by_term(match_one(index, "- 熟悉Kuberentes二次开发"))
    assert got["Kuberentes二次开发"] == ({"kubernetes-architecture"}, "fuzzy")


def test_prefix_context_picks_gpu_scheduling(index):
    got = by_term(match_one(index, "- GPU方向：调度"))
    assert got["调度"] == ({"gpu-scheduling"}, "context")


def test_prefix_context_kubernetes_scheduler(index):
    got = by_term(match_one(index, "- Kubernetes：调度器、调度"))
    assert got["调度器"] == ({"kube-scheduler"}, "exact")
    assert got["调度"] == ({"kube-scheduler"}, "exact")
    assert got["Kubernetes"][0] == {"kubernetes-architecture"}  # the prefix names a topic too


def test_term_itself_is_context(index):
    got = by_term(match_one(index, "- GPU 集群的编排调度"))
    assert "gpu-scheduling" in got["GPU 集群的编排调度"][0]
    assert "kube-scheduler" not in got["GPU 集群的编排调度"][0]


def test_siblings_pick_openai_triton(index):
    got = by_term(match_one(index, "- HPC：CUDA/Triton/OpenCL底层优化"))
    assert got["Triton"] == ({"openai-triton"}, "context")


def test_siblings_pick_triton_inference_server(index):
    got = by_term(match_one(index, "- TensorRT/Triton 推理框架"))
    assert got["Triton 推理框架"] == ({"triton-inference-server"}, "context")


def test_lone_shared_alias_keeps_both(index):
    got = by_term(match_one(index, "- Triton"))
    assert got["Triton"][0] == {"openai-triton", "triton-inference-server"}


def test_notes_are_not_requirements(index):
    (pm,) = match_positions(
        parse_positions("### 字节 岗位\n【描述】（PS： 岗位描述较详细）\n- Parameter Server\n"),
        index,
    )
    assert [m.term.text for m in pm.matches] == ["Parameter Server"]
    (pm,) = match_positions(
        parse_positions("### 字节 岗位\n【描述】（PS： 岗位描述较详细）\n"), index
    )
    assert pm.topics == () and pm.unmatched == ()


def test_unmatched_terms_are_reported(index):
    pm = match_one(index, "- 负责云计算和大数据基础技术研发\n- CUDA")
    assert [t.text for t in pm.unmatched] == ["负责云计算和大数据基础技术研发"]
    assert coverage([pm]) == (1, 2)


def test_title_counts(index):
    pm = match_one(index, "- CUDA", title="弹性计算 k8s开发")
    assert "kubernetes-architecture" in pm.topics
    assert any(m.term.section == "title" for m in pm.matches)


def test_weights_count_positions_once_per_topic(index):
    pms = match_positions(
        parse_positions("### A 一\n- CUDA\n- CUDA 编程\n### B 二\n- CUDA\n### C 三\n- MPI\n"), index
    )
    assert topic_weights(pms) == {"cuda-programming": 2, "mpi": 1}


def test_map_json_contract(banks):
    result = CliRunner().invoke(cli, ["map", "--json", "--topics", str(banks / "valid")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"positions", "weights"}
    assert len(data["positions"]) == 14
    for p in data["positions"]:
        assert set(p) == {"company", "title", "status", "topics", "matches", "unmatched"}
        assert isinstance(p["title"], str) and "[" not in p["title"]
        for m in p["matches"]:
            assert set(m) == {"term", "section", "line", "topics", "score", "kind"}
            assert m["kind"] in {"exact", "alias", "fuzzy", "context"}
            assert 0 < m["score"] <= 100 and m["line"] >= 1
            assert m["section"] in {"description", "requirements", "title"}
            assert set(m["topics"]) <= set(data["weights"])
        assert all(isinstance(u, str) for u in p["unmatched"])
    assert all(isinstance(v, int) and v >= 1 for v in data["weights"].values())
    companies = {p["company"] for p in data["positions"]}
    assert "字节" in companies and len(companies) == 10


def test_map_filters_by_company_and_status(banks):
    args = [
        "map",
        "ByteDance",
        "--status",
        "interviewing",
        "--json",
        "--topics",
        str(banks / "valid"),
    ]
    data = json.loads(CliRunner().invoke(cli, args).stdout)
    assert [(p["company"], p["title"]) for p in data["positions"]] == [
        ("字节", "混合云 云原生AI研发（社招）")
    ]


def test_topics_json(banks):
    result = CliRunner().invoke(cli, ["topics", "--json", "--topics", str(banks / "valid")])
    data = json.loads(result.stdout)
    counts = [t["count"] for t in data["topics"]]
    assert counts == sorted(counts, reverse=True)
    k8s = next(t for t in data["topics"] if t["id"] == "kubernetes-architecture")
    assert k8s["domain"] == "k8s" and "字节" in k8s["companies"] and k8s["count"] >= 10


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_matcher_never_crashes(index, text):
    pms = match_positions(
        parse_positions("### 公司 岗位\n- " + text.replace("\n", " ") + "\n"), index
    )
    for pm in pms:
        for m in pm.matches:
            assert m.topics and m.kind in {"exact", "alias", "fuzzy", "context"}


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "CUDA",
                "k8s",
                "Trition",
                "分布式KV Cache系统",
                "ＭＰＩ",
                "调度",
                "☃",
                "x" * 300,
                "（如A/B/C）",
            ]
        ),
        max_size=2000,
    )
)
def test_matcher_many_terms_on_one_line(index, words):
    (pm,) = match_positions(parse_positions("### 公司 岗位\n- " + "、".join(words) + "\n"), index)
    assert len(pm.matches) + len(pm.unmatched) >= 0


def test_bundled_bank_context_rules():
    """Generic words in the shipped bank resolve by their neighbours, not by the sample's wording."""
    from prep.paths import bundled_topics

    index = build_index(load_bank(bundled_topics()))
    got = by_term(match_one(index, "- CUDA 内核开发\n- Linux 内核\n- 显卡方向：调度\n- 调度"))
    assert got["CUDA 内核开发"][0] == {"cuda-programming"}
    assert got["Linux 内核"][0] == {"linux-kernel"}
    assert got["调度"] == ({"kube-scheduler"}, "exact")
    (pm,) = match_positions(parse_positions("### 某司 岗位\n- GPU 方向：调度\n"), index)
    assert "gpu-scheduling" in pm.topics and "kube-scheduler" not in pm.topics


def test_company_with_no_position_of_that_status_is_no_unknown_company(banks):
    args = ["map", "虾皮", "--status", "interviewing", "--topics", str(banks / "valid")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "no positions match" in result.stderr and "unknown company" not in result.stderr
