"""Benchmarks for prep: stages in process, whole commands as processes, peak memory.

    python tests/bench/bench.py            # the full run (N = 100, 1,000, 10,000)
    python tests/bench/bench.py --quick    # N = 100 and 1,000 only

Not part of the unit tests. Prints one table with the targets of the performance section of the
README and whether each is met; exits 1 if one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PROSE = [
    "负责大模型训练推理平台的研发与优化",
    "有大规模分布式系统开发经验者优先",
    "良好的沟通能力和团队合作精神",
    "计算机相关专业本科及以上学历",
    "熟悉 Linux 开发环境",
    "对技术有热情，能独立解决问题",
    "参与公司核心基础设施建设",
    "Strong communication skills",
    "3+ years of backend experience",
]
FULLWIDTH = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）"})
COMPANIES = [
    "字节",
    "腾讯",
    "百度",
    "阿里",
    "美团",
    "快手",
    "京东",
    "华为",
    "商汤",
    "小红书",
    "米哈游",
    "蚂蚁",
    "滴滴",
    "虾皮",
    "拼多多",
    "月之暗面",
    "智谱",
    "Minimax",
    "零一万物",
    "阶跃星辰",
]


def noisy(term: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.15 and len(term) > 4 and term.isascii():  # typo: swap two letters
        i = rng.randrange(len(term) - 1)
        term = term[:i] + term[i + 1] + term[i] + term[i + 2 :]
    elif r < 0.30:
        term = term.upper() if rng.random() < 0.5 else term.lower()
    elif r < 0.40:
        term = term.replace(" ", "")
    elif r < 0.50:
        term = f"熟悉{term}"
    elif r < 0.55:
        term = f"{term}原理及源码"
    return term


def synthetic_positions(n: int, aliases: list[str], seed: int = 0) -> str:
    """N positions in the sample's format, terms drawn from the bank's aliases with noise."""
    rng = random.Random(seed)
    out = ["# Positions", ""]
    statuses = ["## Interested", "## 💬 Interviewing", "## ❌ Rejected", "## ✅ Accepted"]
    per_status = max(1, n // len(statuses))
    for i in range(n):
        if i % per_status == 0 and i // per_status < len(statuses):
            out += [statuses[i // per_status], ""]
        company = rng.choice(COMPANIES)
        out.append(f"### {company} 岗位{i} AI Infra研发 [【投递】](https://jobs.example.com/{i})")
        out.append("")
        out.append(
            "【描述】"
            + rng.choice(PROSE)
            + "；"
            + "、".join(noisy(rng.choice(aliases), rng) for _ in range(rng.randint(1, 3)))
        )
        out += ["", "【要求】"]
        for _ in range(rng.randint(3, 7)):
            kind = rng.random()
            terms = [noisy(rng.choice(aliases), rng) for _ in range(rng.randint(1, 4))]
            if kind < 0.3:
                line = (
                    f"{rng.choice(['Kubernetes', 'GPU方向', '网络', 'LLM', 'HPC'])}："
                    + "、".join(terms)
                )
            elif kind < 0.45:
                line = f"{terms[0]}（如{'/'.join(terms[1:] or terms)}）"
            elif kind < 0.55:
                line = rng.choice(PROSE)
            else:
                line = ", ".join(terms)
            if rng.random() < 0.3:
                line = line.translate(FULLWIDTH)
            out.append(f"- {line}")
        out.append("")
    return "\n".join(out) + "\n"


def timed(fn, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


# Runs one command and reports its wall time and peak RSS. A fresh, small process starts the command,
# so the child's peak RSS is its own, not inherited from this (large) benchmark process at fork time.
_MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
elapsed = time.perf_counter() - t
print(json.dumps({"code": code, "t": elapsed,
                  "rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run(cmd: list[str], env: dict, cwd: str, repeat: int = 3) -> tuple[float, float]:
    """Best wall time (s) and peak RSS (MB) of a command, after one warm-up run."""
    best, peak = float("inf"), 0.0
    for i in range(repeat + 1):
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, *cmd],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        )
        m = json.loads(out.stdout)
        if m["code"] != 0:
            raise SystemExit(f"command failed: {' '.join(cmd)}")
        if i:  # the first run warms the OS cache and writes bytecode, as any installed copy has
            best, peak = min(best, m["t"]), max(peak, m["rss"])
    return best, peak


MINIMAL_GENANKI = r"""
import json, sys, genanki
data = json.load(open(sys.argv[1], encoding="utf-8"))
model = genanki.Model(1764390001, "m", fields=[{"name": f} for f in data["fields"]],
                      templates=[{"name": "c", "qfmt": "{{Question}}", "afmt": "{{Answer}}"}])
decks = {}
for n in data["notes"]:
    d = decks.setdefault(n["deck"], genanki.Deck(abs(hash(n["deck"])) % (1 << 31), n["deck"]))
    d.add_note(genanki.Note(model=model, fields=n["fields"], tags=n["tags"], guid=n["guid"]))
genanki.Package(list(decks.values())).write_to_file(sys.argv[2], timestamp=1)
"""


def bench_stages(n: int, bank, work: Path) -> tuple[list[tuple[str, str, str]], Path]:
    """Parse, match, deck export and quiz selection on N synthetic positions, in process."""
    from prep.anki import plan_deck, write_deck
    from prep.companies import canonicalize, load_companies
    from prep.match import build_index, match_positions, topic_weights
    from prep.positions import parse_positions
    from prep.quiz import candidates, select

    aliases = [a for t in bank.topics.values() for a in t.aliases]
    text = synthetic_positions(n, aliases, seed=n)
    path = work / f"positions-{n}.md"
    path.write_text(text, encoding="utf-8")
    t_parse, positions = timed(lambda: parse_positions(text))
    positions = canonicalize(positions, load_companies())
    t_index, _ = timed(lambda: build_index(bank))
    t_match, matched = timed(lambda: match_positions(positions, build_index(bank)), repeat=1)
    weights = topic_weights(matched)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    t_select, _ = timed(lambda: select(candidates(bank, weights, {}, now), 20, random.Random(1)))
    company = matched[0].position.company
    chosen = [pm for pm in matched if pm.position.company == company]
    t_plan, plan = timed(lambda: plan_deck(company, chosen, matched, bank), repeat=1)
    t_write, _ = timed(lambda: write_deck(plan, work / "decks"), repeat=1)
    terms = sum(len(p.terms) for p in positions)
    return [
        (f"parse {n:,} positions", f"{1000 * t_parse:.0f} ms", f"{terms:,} terms"),
        (f"match {n:,} positions", f"{1000 * t_match:.0f} ms", f"index {1000 * t_index:.1f} ms"),
        (
            f"deck export ({company}, N={n:,})",
            f"{1000 * (t_plan + t_write):.0f} ms",
            f"{len(plan.notes)} notes",
        ),
        (f"quiz selection (N={n:,})", f"{1000 * t_select:.0f} ms", "20 of all cards"),
    ], path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 100 and 1,000 only")
    args = ap.parse_args()

    from prep.anki import plan_deck
    from prep.bank import load_bank
    from prep.companies import canonicalize, load_companies
    from prep.match import build_index, match_positions
    from prep.paths import bundled_topics, sample_positions
    from prep.positions import read_positions

    rows: list[tuple[str, str, str]] = []
    checks: list[tuple[str, bool, str]] = []
    work = Path(tempfile.mkdtemp(prefix="prep-bench-"))
    env = dict(os.environ, PREP_HOME=str(work / "home"))
    env.pop("PREP_POSITIONS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with compiled bytecode
    env.pop("PREP_TOPICS", None)
    prep = [sys.executable, "-m", "prep"]

    # -- stages, in process --------------------------------------------------------------------
    t_bank, bank = timed(lambda: load_bank(bundled_topics()))
    rows.append(
        (
            "bank load",
            f"{1000 * t_bank:.1f} ms",
            f"{len(bank.topics)} topics, {sum(len(t.cards) for t in bank.topics.values())} cards",
        )
    )
    sizes = [100, 1_000] if args.quick else [100, 1_000, 10_000]
    map_times: dict[int, float] = {}
    for n in sizes:
        stage_rows, path = bench_stages(n, bank, work)
        rows += stage_rows
        # The caches are off here: this measures parsing and matching, not a cache hit.
        cold = dict(env, PREP_CACHE="0")
        t_map, rss = run([*prep, "map", "--json", "--positions", str(path)], cold, str(work), 1)
        map_times[n] = t_map
        rows.append((f"prep map --json, {n:,} positions", f"{t_map:.2f} s", f"peak {rss:.0f} MB"))
        if n == 10_000:
            checks.append(("prep map 10,000 < 3 s", t_map < 3, f"{t_map:.2f} s"))
            checks.append(("prep map 10,000 < 300 MB", rss < 300, f"{rss:.0f} MB"))
    if 10_000 in map_times:
        ratio = map_times[10_000] / map_times[1_000]
        checks.append(("map time 10,000 / 1,000 ≤ 12", ratio <= 12, f"{ratio:.1f}×"))

    # -- whole commands ------------------------------------------------------------------------
    t_help, _ = run([*prep, "--help"], env, str(work), 5)
    t_click, _ = run([sys.executable, "-c", "import click"], env, str(work), 5)
    rows.append(
        ("prep --help", f"{1000 * t_help:.0f} ms", f"import click: {1000 * t_click:.0f} ms")
    )
    checks.append(
        ("prep --help ≤ 2× import click", t_help <= 2 * t_click, f"{t_help / t_click:.2f}×")
    )

    t_deck, rss = run([*prep, "deck", "字节", "-o", str(work / "d1")], env, str(work), 5)
    t_cold, _ = run(
        [*prep, "deck", "字节", "-o", str(work / "d2")], dict(env, PREP_CACHE="0"), str(work), 3
    )
    sample = canonicalize(read_positions(sample_positions()), load_companies())
    matched = match_positions(sample, build_index(bank))
    plan = plan_deck("字节", [pm for pm in matched if pm.position.company == "字节"], matched, bank)
    data = {
        "fields": ["Question", "Answer", "Topic", "AskedIn", "Key"],
        "notes": [
            {"deck": n.deck, "fields": list(n.fields), "tags": list(n.tags), "guid": n.guid}
            for n in plan.notes
        ],
    }
    (work / "notes.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (work / "minimal.py").write_text(MINIMAL_GENANKI, encoding="utf-8")
    t_min, _ = run(
        [
            sys.executable,
            str(work / "minimal.py"),
            str(work / "notes.json"),
            str(work / "min.apkg"),
        ],
        env,
        str(work),
        5,
    )
    rows.append(
        (
            "prep deck 字节 (sample)",
            f"{1000 * t_deck:.0f} ms",
            f"minimal genanki script: {1000 * t_min:.0f} ms; peak {rss:.0f} MB",
        )
    )
    rows.append(
        (
            "prep deck 字节, caches off",
            f"{1000 * t_cold:.0f} ms",
            f"first run after the bank or notes change: {t_cold / t_min:.2f}× minimal",
        )
    )
    checks.append(
        ("prep deck 字节 ≤ 1.5× minimal genanki", t_deck <= 1.5 * t_min, f"{t_deck / t_min:.2f}×")
    )
    t_quiz, _ = run([*prep, "quiz", "-n", "1", "--seed", "1"], env, str(work), 3)
    rows.append(("prep quiz -n 1 (no input)", f"{1000 * t_quiz:.0f} ms", "start-up and one card"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'time':>9}  notes")
    for name, t, note in rows:
        print(f"{name:<{width}}  {t:>9}  {note}")
    print()
    for name, ok, value in checks:
        print(f"{'PASS' if ok else 'MISS'}  {name}: {value}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
