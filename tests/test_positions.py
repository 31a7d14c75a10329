"""The positions parser: the sample, the variants real notes have, and arbitrary text."""

import contextlib
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prep.errors import PositionsError
from prep.positions import (
    Position,
    normalize_status,
    parse_heading,
    parse_positions,
    read_positions,
    split_terms,
)


def terms_of(p: Position, section: str | None = None) -> list[str]:
    return [t.text for t in p.terms if section is None or t.section == section]


# ---------------------------------------------------------------------------------------------
# The sample


def test_sample_has_14_positions_at_10_companies(sample_text):
    positions = parse_positions(sample_text)
    assert len(positions) == 14
    assert len({p.company for p in positions}) == 10
    assert Counter(p.status for p in positions) == {
        "interested": 9,
        "interviewing": 3,
        "rejected": 2,
    }


def test_sample_bytedance_positions(sample_text):
    bd = [p for p in parse_positions(sample_text) if p.company == "字节"]
    assert [(p.title, p.status) for p in bd] == [
        ("AML 机器学习系统调度编排", "interested"),
        ("AML 大模型推理系统研发", "interested"),
        ("字节云 算力与AI基础设施", "interested"),
        ("混合云 云原生AI研发（社招）", "interviewing"),
    ]
    assert bd[0].link == "https://jobs.bytedance.com/campus/position/7529810995080202514/detail"
    # The aside is a note, not a requirement.
    assert bd[0].notes == ("（PS： 岗位描述较详细）",)
    assert terms_of(bd[0], "description") == [
        "k8s 调度框架",
        "AutoScaling",
        "多集群混合调度",
        "抢占",
        "驱逐",
        "混部",
        "超卖",
    ]
    assert terms_of(bd[0], "requirements") == ["分布式系统原理"]


def test_sample_prefix_context_and_line_numbers(sample_text):
    baidu = next(p for p in parse_positions(sample_text) if p.company == "百度")
    k8s = [t for t in baidu.requirements if t.context == "Kubernetes"]
    assert [t.text for t in k8s] == ["调度器", "资源扩展机制", "容器运行时", "容器网络"]
    line = sample_text.splitlines()[k8s[0].line - 1]
    assert line.strip() == "- Kubernetes：调度器、资源扩展机制、容器运行时、容器网络"
    assert k8s[0].siblings == ("调度器", "资源扩展机制", "容器运行时", "容器网络")


def test_sample_parenthesised_lists_yield_items(sample_text):
    tencent = next(p for p in parse_positions(sample_text) if p.title == "高性能计算")
    terms = terms_of(tencent)
    for t in [
        "分布式网络架构",
        "InfiniBand",
        "RoCE",
        "DPU",
        "PyTorch",
        "Megatron-LM",
        "模型并行",
        "梯度压缩",
        "显存优化",
        "动态计算图调度",
        "TensorRT",
        "DPDK",
        "SPDK",
    ]:
        assert t in terms
    assert "GPU方向" not in terms  # a prefix is context, not a term
    assert {t.context for t in tencent.terms if t.text == "调度"} == {"GPU方向"}


def test_position_without_link_and_round_trip(sample_text):
    shopee = next(p for p in parse_positions(sample_text) if p.company == "虾皮")
    assert shopee.link is None and shopee.title == "AI基础架构师"
    assert Position.from_dict(shopee.to_dict()) == shopee


# ---------------------------------------------------------------------------------------------
# Variants


@pytest.mark.parametrize(
    "heading, status",
    [
        ("## Interested", "interested"),
        ("## 🤔 感兴趣", "interested"),
        ("## 关注", "interested"),
        ("## 💬 Interviewing", "interviewing"),
        ("## 面试中", "interviewing"),
        ("## ❌ Rejected", "rejected"),
        ("## 已拒", "rejected"),
        ("## 挂了", "rejected"),
        ("## ✅ Accepted", "accepted"),
        ("## Offer", "accepted"),
        ("## 🎉 已录用", "accepted"),
        ("## 🧊 Paused", "Paused"),
    ],
)
def test_status_sections(heading, status):
    (p,) = parse_positions(f"{heading}\n\n### 某司 某岗位\n- CUDA\n")
    assert p.status == status


def test_unknown_status_kept_as_written():
    assert normalize_status("⏸ On hold") == "On hold"


@pytest.mark.parametrize(
    "heading, company, title, link",
    [
        (
            "字节 AML 推理 [【投递】](https://x.example/1)",
            "字节",
            "AML 推理",
            "https://x.example/1",
        ),
        ("字节 AML 推理", "字节", "AML 推理", None),
        (
            "字节 混合云 云原生AI研发（社招） [link](https://x.example/2)",
            "字节",
            "混合云 云原生AI研发（社招）",
            "https://x.example/2",
        ),
        ("腾讯 基础架构 https://join.qq.com/p", "腾讯", "基础架构", "https://join.qq.com/p"),
        ("京东", "京东", "", None),
    ],
)
def test_headings(heading, company, title, link):
    assert parse_heading(heading) == (company, title, link)


@pytest.mark.parametrize(
    "text",
    [
        "### A 岗位\n【描述】CUDA、RDMA\n【要求】\n- Kubernetes\n",
        "### A 岗位\n描述：CUDA、RDMA\n要求:\n- Kubernetes\n",
        "### A 岗位\n职位描述\n- CUDA\n- RDMA\n任职要求：\n1. Kubernetes\n",
        "### A 岗位\nResponsibilities:\n* CUDA\n* RDMA\nRequirements：Kubernetes\n",
        "### A 岗位\n**职位描述：**\n  - CUDA\n    - RDMA\nQualifications:\n  1) Kubernetes\n",
        "### A 岗位\n#### 岗位职责\n- CUDA；RDMA\n#### 任职要求\n- Kubernetes\n",
    ],
)
def test_section_variants(text):
    (p,) = parse_positions(text)
    assert terms_of(p, "description") == ["CUDA", "RDMA"]
    assert terms_of(p, "requirements") == ["Kubernetes"]


@pytest.mark.parametrize(
    "line, prefix, terms",
    [
        ("Kubernetes：调度器、资源扩展机制", "Kubernetes", ["调度器", "资源扩展机制"]),
        ("k8s: 调度器, 容器网络", "k8s", ["调度器", "容器网络"]),
        ("pytorch、tensorflow", "", ["pytorch", "tensorflow"]),
        ("熟悉 TCP/IP、I/O 多路复用", "", ["TCP/IP", "I/O 多路复用"]),
        ("P/D 分离；CI/CD", "", ["P/D 分离", "CI/CD"]),
        ("CUDA/Triton/OpenCL底层优化", "", ["CUDA", "Triton", "OpenCL底层优化"]),
        (
            "分布式网络架构（如InfiniBand/RoCE/DPU）",
            "",
            ["分布式网络架构", "InfiniBand", "RoCE", "DPU"],
        ),
        ("训练加速（梯度压缩、显存优化）等", "", ["训练加速", "梯度压缩", "显存优化"]),
        ("vllm/sglang", "", ["vllm", "sglang"]),
        ("见 https://example.com/a:b", "", ["见 https://example.com/a:b"]),
        ("（PS： 岗位描述较详细）", "", []),
        ("C/C++、Go", "", ["C/C++", "Go"]),
    ],
)
def test_split_terms(line, prefix, terms):
    assert split_terms(line) == (prefix, terms)


def test_nested_and_numbered_bullets_keep_prefix_context():
    text = "### A 岗位\n【要求】\n1. 网络：\n   - RDMA、RoCE\n2. GPU：CUDA\n"
    (p,) = parse_positions(text)
    assert [(t.text, t.context) for t in p.terms] == [
        ("网络", ""),
        ("RDMA", ""),
        ("RoCE", ""),
        ("CUDA", "GPU"),
    ]


def test_position_with_no_terms_is_kept():
    ps = parse_positions("### A 岗位一\n\n### B 岗位二\n- CUDA\n")
    assert [p.company for p in ps] == ["A", "B"]
    assert ps[0].terms == ()


def test_crlf_and_bom(tmp_path, sample_text):
    f = tmp_path / "p.md"
    f.write_bytes(b"\xef\xbb\xbf" + sample_text.replace("\n", "\r\n").encode("utf-8"))
    assert read_positions(f) == parse_positions(sample_text)


def test_gb18030_notes_are_decoded(tmp_path, sample_text):
    f = tmp_path / "p.md"
    f.write_bytes(sample_text.encode("gb18030"))
    assert read_positions(f) == parse_positions(sample_text)


def test_huge_file_streams(tmp_path):
    block = "### 公司{n} 岗位 [投递](https://x.example/{n})\n【要求】\n- Kubernetes：调度器、资源扩展机制\n- CUDA\n\n"
    f = tmp_path / "big.md"
    with open(f, "w", encoding="utf-8") as out:
        out.write("## Interested\n")
        out.writelines(block.format(n=n) for n in range(20_000))
    ps = read_positions(f)
    assert len(ps) == 20_000 and ps[-1].company == "公司19999"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"# just a title\n\nsome prose\n", "holds no positions"),
        ("### 公司 岗位\n- CUDA\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_bad_files(tmp_path, content, message):
    f = tmp_path / "p.md"
    f.write_bytes(content)
    with pytest.raises(PositionsError, match=message):
        read_positions(f)


# ---------------------------------------------------------------------------------------------
# Arbitrary input


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_never_crashes(text):
    for p in parse_positions(text):
        assert p.company
        for t in p.terms:
            assert t.text and t.line >= 1


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_reading_any_bytes_gives_positions_or_our_error(tmp_path_factory, data):
    f = tmp_path_factory.mktemp("any") / "p.md"
    f.write_bytes(data)
    with contextlib.suppress(PositionsError):
        read_positions(f)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30),
        min_size=1,
        max_size=300,
    )
)
def test_many_terms_on_one_line(words):
    line = "、".join(words)
    (p,) = parse_positions(f"### 公司 岗位\n- {line}\n" if "\n" not in line else "### 公司 岗位\n")
    assert all(len(t.text) <= 200 for t in p.terms)
