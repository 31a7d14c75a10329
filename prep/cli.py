"""The ``prep`` command line. Commands are thin: parse options, call the library, print.

Heavy modules (rich, rapidfuzz, genanki, fsrs, yaml) are imported inside the commands that need them,
so ``prep --help`` stays instant.
"""

from __future__ import annotations

import sys

import click

from prep import __version__
from prep.errors import PrepError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class PrepGroup(click.Group):
    """Turns prep's own errors, and OS errors nobody caught, into one line and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PrepError as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:
            where = f"{e.filename}: " if getattr(e, "filename", None) else ""
            raise click.ClickException(f"{where}{e.strerror or e}") from None


@click.group(cls=PrepGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="prep")
def cli():
    """Turn your notes on AI-infrastructure positions into interview preparation.

    \b
    prep companies            companies in your notes, positions per status
    prep deck 字节            write decks/字节.apkg for Anki
    prep quiz                 spaced-repetition quiz in the terminal
    prep map / prep topics    what each posting asks for, and the bank's gaps

    The positions file is, first match wins: --positions FILE, $PREP_POSITIONS,
    ./positions.md, else the bundled sample.
    """


# ---------------------------------------------------------------------------------------------
# Shared options and loading


positions_option = click.option(
    "--positions",
    "positions_file",
    metavar="FILE",
    help="Positions notes (Markdown). Default: $PREP_POSITIONS, ./positions.md, the sample.",
)
topics_option = click.option(
    "--topics",
    "topics_dir",
    metavar="DIR",
    help="Topic bank folder. Default: $PREP_TOPICS, else the bundled bank.",
)
status_option = click.option(
    "--status",
    metavar="S[,S]",
    help="Only positions with these statuses, e.g. interviewing,interested.",
)
companies_argument = click.argument("company_names", nargs=-1, metavar="[COMPANY]...")


def selection_options(f):
    """``[COMPANY]... --positions --topics --status``: which positions a command covers."""
    for decorate in reversed((companies_argument, positions_option, topics_option, status_option)):
        f = decorate(f)
    return f


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def positions_path(positions_file):
    """The positions file to read; says so on stderr when it is the bundled sample."""
    from prep.paths import positions_source

    path, is_sample = positions_source(positions_file)
    if is_sample:
        click.echo(
            "prep: no positions file given; using the bundled sample "
            "(pass --positions FILE or set PREP_POSITIONS)",
            err=True,
        )
    return path


def load_positions(positions_file):
    """Read the positions file (saying so when it is the sample) with canonical company names."""
    from prep.companies import canonicalize, load_companies
    from prep.positions import read_positions

    path = positions_path(positions_file)
    companies = load_companies()
    return canonicalize(read_positions(path), companies), companies


def filter_positions(positions, companies, names, status):
    """Positions of the named companies (all when none) with the given statuses."""
    from prep.companies import resolve
    from prep.positions import STATUSES, parse_status_filter

    wanted_status = parse_status_filter(status)
    if wanted_status:
        present = {p.status for p in positions}
        unknown = wanted_status - set(STATUSES) - present
        if unknown:
            raise click.BadParameter(
                f"unknown status {', '.join(sorted(unknown))}; use one of: " + ", ".join(STATUSES),
                param_hint="--status",
            )
    if names:  # names resolve against every company in the notes, whatever --status says
        known = list(dict.fromkeys(p.company for p in positions))
        chosen = {resolve(n, known, companies) for n in names}
        positions = [p for p in positions if p.company in chosen]
    if wanted_status:
        positions = [p for p in positions if p.status in wanted_status]
    return positions


def plural(n: int, word: str) -> str:
    """``plural(1, "term")`` → "1 term"; ``plural(3, "term")`` → "3 terms"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def print_json(data) -> None:
    """One JSON object on stdout: indented for a person at a terminal, compact (and fast) for pipes."""
    import json

    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent))


def print_json_stream(key: str, items, rest: dict) -> None:
    """``{key: [items…], **rest}`` written item by item: flat memory for 10,000 positions."""
    import json

    if sys.stdout.isatty():
        print_json({key: list(items), **rest})
        return
    out = sys.stdout
    out.write("{" + json.dumps(key) + ": [")
    for i, item in enumerate(items):
        out.write((", " if i else "") + json.dumps(item, ensure_ascii=False))
    out.write("]")
    for k, v in rest.items():
        out.write(", " + json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False))
    out.write("}\n")


def console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


# ---------------------------------------------------------------------------------------------
# Commands


@cli.command()
@positions_option
@json_option
def companies(positions_file, as_json):
    """List the companies in your notes with their positions per status.

    \b
    Example:
        prep companies --positions ~/notes/positions.md
    """
    from prep.positions import STATUSES

    positions, _ = load_positions(positions_file)
    counts: dict[str, dict[str, int]] = {}
    for p in positions:
        counts.setdefault(p.company, {}).setdefault(p.status, 0)
        counts[p.company][p.status] += 1
    statuses = list(STATUSES) + sorted({p.status for p in positions} - set(STATUSES))
    if as_json:
        print_json(
            {
                "companies": [
                    {"name": c, "positions": sum(s.values()), "statuses": s}
                    for c, s in counts.items()
                ]
            }
        )
        return
    from rich.table import Table

    table = Table(title=f"{len(counts)} companies, {len(positions)} positions")
    table.add_column("company")
    for s in statuses:
        table.add_column(s, justify="right")
    table.add_column("total", justify="right")
    for company, by_status in counts.items():
        table.add_row(
            company,
            *[str(by_status.get(s, "")) for s in statuses],
            str(sum(by_status.values())),
        )
    console().print(table)


@cli.command()
def path():
    """Print where prep keeps its files: progress database, bank, sample.

    \b
    Example:
        prep path
    """
    from prep import paths

    click.echo(f"data folder:  {paths.user_dir()}")
    click.echo(f"progress:     {paths.progress_path()}")
    click.echo(f"topic bank:   {paths.topics_source(None)}")
    click.echo(f"sample notes: {paths.sample_positions()}")


@cli.command()
@topics_option
def check(topics_dir):
    """Validate the topic bank: schema, ids, aliases, the taxonomy's required topics.

    Prints every problem as path:line: message and exits 1, or a one-line summary.

    \b
    Example:
        prep check --topics ./my-topics
    """
    from prep.bank import check_bank
    from prep.paths import topics_source

    root = topics_source(topics_dir)
    bank, problems = check_bank(root)
    if problems:
        for p in problems:
            click.echo(str(p), err=True)
        raise click.ClickException(f"{len(problems)} problem(s) in the topic bank {root}")
    topics = bank.topics.values()
    n_cards = sum(len(t.cards) for t in topics)
    n_alias = sum(len(t.aliases) + len(t.shared_aliases) for t in topics)
    n_deep = sum(1 for t in topics for c in t.cards if c.level == "deep")
    click.echo(
        f"ok: {len(bank.topics)} topics in {len({t.domain for t in topics})} domains, "
        f"{n_cards} cards ({n_cards - n_deep} basic, {n_deep} deep), {n_alias} aliases"
    )


def load_matches(positions_file, topics_dir):
    """All positions of the notes matched against the bank, plus the companies file and the bank.

    Parsing and matching are skipped when the notes, the bank and prep are unchanged (cache).
    """
    from prep.bank import load_bank
    from prep.cache import cached_matches
    from prep.companies import canonicalize, load_companies
    from prep.match import PositionMatch, build_index, match_positions
    from prep.paths import topics_source
    from prep.positions import read_positions

    bank = load_bank(topics_source(topics_dir))
    path = positions_path(positions_file)
    companies = load_companies()

    def compute():
        positions = canonicalize(read_positions(path), companies)
        return match_positions(positions, build_index(bank))

    salt = f"{bank.fingerprint}:{sorted(companies.aliases.items())}"
    if not bank.fingerprint:  # the bank was not cached: neither are the matches
        return compute(), companies, bank
    matched = cached_matches(
        path, salt, compute, PositionMatch.to_record, PositionMatch.from_record
    )
    return matched, companies, bank


def select_matches(matched, companies, names, status):
    """The matches whose positions ``filter_positions`` keeps (named companies, given statuses)."""
    keep = {
        id(p) for p in filter_positions([pm.position for pm in matched], companies, names, status)
    }
    return [pm for pm in matched if id(pm.position) in keep]


def load_bank_and_matches(positions_file, topics_dir, names=(), status=None):
    """The bank, and the matches of the positions of the named companies with the given statuses."""
    matched_all, companies, bank = load_matches(positions_file, topics_dir)
    chosen = select_matches(matched_all, companies, names, status)
    if not chosen:
        raise click.ClickException("no positions match the chosen companies and --status")
    return bank, chosen


@cli.command("map")
@selection_options
@json_option
def map_(company_names, positions_file, topics_dir, status, as_json):
    """Show how each position's terms map to topics, and which terms map to none.

    Each term is shown with its topics, a score (0–100) and the kind of evidence: exact (the term is
    an alias), alias (aliases inside the term), context (the line prefix or neighbouring terms
    decided), fuzzy (a close spelling).

    \b
    Examples:
        prep map 字节
        prep map --status interviewing --json
    """
    from prep.match import coverage, topic_weights

    _bank, matched = load_bank_and_matches(positions_file, topics_dir, company_names, status)
    weights = topic_weights(matched)
    if as_json:
        print_json_stream(
            "positions", (pm.to_dict() for pm in matched), {"weights": dict(weights.most_common())}
        )
        return
    from rich.table import Table
    from rich.text import Text

    out = console()
    for pm in matched:
        p = pm.position
        table = Table(
            title=Text(f"{p.company} · {p.title}  [{p.status}]", style="bold"),
            title_justify="left",
            expand=False,
        )
        for col, just in (
            ("term", "left"),
            ("where", "left"),
            ("topics", "left"),
            ("score", "right"),
            ("kind", "left"),
        ):
            table.add_column(col, justify=just)
        for m in pm.matches:
            table.add_row(
                Text(m.term.text),
                f"{m.term.section}:{m.term.line}",
                Text(", ".join(m.topics), style="green"),
                f"{m.score:.0f}",
                m.kind,
            )
        for t in pm.unmatched:
            table.add_row(
                Text(t.text, style="red"),
                f"{t.section}:{t.line}",
                Text("— no topic", style="red"),
                "",
                "",
            )
        if not pm.matches and not pm.unmatched:
            table.add_row(Text("(no terms in this position)", style="yellow"), "", "", "", "")
        out.print(table)
    hit, total = coverage(matched)
    pct = f"{100 * hit / total:.0f}%" if total else "n/a"
    out.print(
        f"coverage: {hit}/{total} terms matched ({pct}); {plural(len(weights), 'topic')} asked "
        f"for across {plural(len(matched), 'position')}"
    )


@cli.command()
@selection_options
@json_option
def topics(company_names, positions_file, topics_dir, status, as_json):
    """Rank topics by how many positions ask for them, and list the terms no topic covers.

    \b
    Examples:
        prep topics
        prep topics 字节 腾讯 --status interviewing,interested --json
    """
    from prep.match import topic_weights

    bank, matched = load_bank_and_matches(positions_file, topics_dir, company_names, status)
    weights = topic_weights(matched)
    askers: dict[str, list[str]] = {}
    for pm in matched:
        for t in pm.topics:
            askers.setdefault(t, [])
            if pm.position.company not in askers[t]:
                askers[t].append(pm.position.company)
    ranked = [(tid, n) for tid, n in weights.most_common() if tid in bank.topics]
    if as_json:
        print_json(
            {
                "topics": [
                    {
                        "id": tid,
                        "title": bank.topics[tid].title,
                        "domain": bank.topics[tid].domain,
                        "count": n,
                        "companies": askers[tid],
                    }
                    for tid, n in ranked
                ]
            }
        )
        return
    from rich.table import Table
    from rich.text import Text

    top = ranked[0][1] if ranked else 1
    table = Table(
        title=f"{plural(len(ranked), 'topic')} asked for by {plural(len(matched), 'position')}",
        title_justify="left",
    )
    for col in ("topic", "title", "domain", "positions", "", "companies"):
        table.add_column(
            col,
            justify="right" if col == "positions" else "left",
            no_wrap=col in ("topic", "domain", ""),
            min_width=16 if col == "companies" else None,
        )
    for tid, n in ranked:
        bar = "█" * max(1, round(10 * n / top))
        table.add_row(
            tid,
            Text(bank.topics[tid].title_zh),
            bank.topics[tid].domain,
            str(n),
            Text(bar, style="cyan"),
            Text(", ".join(askers[tid])),
        )
    out = console()
    out.print(table)
    gaps: dict[str, list[str]] = {}
    for pm in matched:
        for t in pm.unmatched:
            gaps.setdefault(t.text, []).append(pm.position.company)
    if gaps:
        out.print(f"\n[bold]{len(gaps)} terms map to no topic[/bold] (gaps in the bank, or prose):")
        for text, who in gaps.items():
            out.print(Text(f"  {text}  — {', '.join(dict.fromkeys(who))}", style="yellow"))


@cli.command()
@click.argument("company_names", nargs=-1, metavar="COMPANY...")
@click.option(
    "--all", "all_companies", is_flag=True, help="One deck for every company in the notes."
)
@positions_option
@topics_option
@status_option
@click.option(
    "-o",
    "--output",
    "out_dir",
    default="decks",
    show_default=True,
    metavar="DIR",
    help="Folder for the .apkg files (created if missing).",
)
@click.option(
    "--independent",
    is_flag=True,
    help="Give this company its own copies of shared cards (notes not shared across decks).",
)
def deck(company_names, all_companies, positions_file, topics_dir, status, out_dir, independent):
    """Write an Anki deck (DIR/<company>.apkg) of the topics a company's positions ask for.

    Cards come most-asked topic first, basic before deep. Re-importing a regenerated deck updates
    changed cards and never duplicates them; a card two companies share is one note tagged with both
    (company::字节, company::腾讯) unless --independent.

    \b
    Examples:
        prep deck 字节
        prep deck --all -o ~/anki
        prep deck 腾讯 --status interviewing --positions notes.md
    """
    from prep.anki import RENDER_VERSION, plan_deck, render_markdown, write_deck
    from prep.cache import RenderCache
    from prep.companies import resolve

    if all_companies and company_names:
        raise click.UsageError("give company names or --all, not both")
    if not all_companies and not company_names:
        raise click.UsageError("name a company (e.g. prep deck 字节) or pass --all")
    matched_all, companies, bank = load_matches(positions_file, topics_dir)
    with_status = select_matches(matched_all, companies, (), status)
    known = list(dict.fromkeys(pm.position.company for pm in matched_all))
    names = (
        known
        if all_companies
        else list(dict.fromkeys(resolve(n, known, companies) for n in company_names))
    )
    markdown = RenderCache("rendered", render_markdown, RENDER_VERSION)
    written = 0
    try:
        for name in names:
            chosen = [pm for pm in with_status if pm.position.company == name]
            if not chosen:
                click.echo(f"{name}: no positions with status {status}; skipped", err=True)
                continue
            plan = plan_deck(name, chosen, matched_all, bank, independent, markdown)
            path = write_deck(plan, out_dir)
            written += 1
            hint = f" (see prep map {name})" if plan.unmatched else ""
            click.echo(
                f"{name}: {plural(plan.positions, 'position')}, {plural(len(plan.topics), 'topic')}, "
                f"{plural(len(plan.notes), 'card')}, "
                f"{plural(plan.unmatched, 'unmatched term')}{hint} → {path}"
            )
    finally:
        markdown.save()
    if not written:
        raise click.ClickException(f"no deck written: no positions with status {status}")


def resolve_topics(names, bank):
    """Topic ids from what the user typed: an id or an alias; else the closest ids."""
    from prep.errors import UnknownNameError
    from prep.text import fold

    by_alias = {}
    for t in bank.topics.values():
        for a in (t.id, *t.aliases):
            by_alias.setdefault(fold(a), t.id)
    out = []
    for name in names:
        tid = name if name in bank.topics else by_alias.get(fold(name))
        if tid is None:
            from rapidfuzz import process

            close = [
                m for m, _, _ in process.extract(name, list(bank.topics), limit=5, score_cutoff=50)
            ]
            raise UnknownNameError("topic", name, close, sorted(bank.topics))
        out.append(tid)
    return list(dict.fromkeys(out))


def open_store():
    from prep.paths import progress_path
    from prep.store import Store

    return Store.open(progress_path())


@cli.command()
@click.argument("company_names", nargs=-1, metavar="[COMPANY]...")
@click.option(
    "-n",
    "count",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many cards to ask.",
)
@click.option(
    "--topic",
    "topic_names",
    multiple=True,
    metavar="ID",
    help="Only these topics (repeatable); ids as in 'prep topics'.",
)
@click.option(
    "--mode",
    type=click.Choice(["flip", "type"]),
    default="flip",
    show_default=True,
    help="flip: reveal and rate yourself; type: type an answer, graded on keywords.",
)
@positions_option
@topics_option
@status_option
@click.option("--seed", type=int, help="Seed the card draw, for a reproducible session.")
def quiz(company_names, count, topic_names, mode, positions_file, topics_dir, status, seed):
    """Spaced-repetition quiz in the terminal, weighted toward the most asked topics.

    Due cards come first; otherwise a card's chance is its topic's frequency × (1 − recall
    probability now). Each answer is saved as it is given. Keys: Enter shows the answer, 1–4 rate
    (Again/Hard/Good/Easy), s skips, q quits, ? shows the keys. Reads one answer per line, so it can
    be scripted: printf '3\\n1\\n' | prep quiz -n 2

    \b
    Examples:
        prep quiz
        prep quiz 字节 -n 20 --mode type
        prep quiz --topic kv-cache --topic pd-disaggregation
    """
    import random
    from datetime import datetime, timezone

    from prep.match import topic_weights
    from prep.quiz import candidates, select
    from prep.session import QuizSession, summary_lines

    bank, matched = load_bank_and_matches(positions_file, topics_dir, company_names, status)
    weights = topic_weights(matched)
    topic_ids = resolve_topics(topic_names, bank) if topic_names else None
    store = open_store()
    try:
        now = datetime.now(timezone.utc)
        cands = candidates(bank, weights, store.states(), now, topic_ids)
        if not cands:
            raise click.ClickException("no cards to ask: the chosen positions match no topic")
        chosen = select(cands, count, random.Random(seed))
        out = console()
        session = QuizSession(
            store, bank, chosen, mode, sys.stdin, out, lambda: datetime.now(timezone.utc)
        )
        result = session.run()
        out.print()
        for line in summary_lines(result, bank, session.states, datetime.now(timezone.utc)):
            out.print(line, highlight=False)
    finally:
        store.close()


@cli.command()
@selection_options
@json_option
def stats(company_names, positions_file, topics_dir, status, as_json):
    """Quiz progress: reviews, retention, readiness per company, what to study next.

    Readiness is the frequency-weighted mean recall probability over the topics a company asks for.

    \b
    Examples:
        prep stats
        prep stats 字节 --json
    """
    from datetime import datetime, timezone

    from prep.match import topic_weights
    from prep.quiz import readiness, review_summary, topic_progress, weakest

    bank, matched = load_bank_and_matches(positions_file, topics_dir, company_names, status)
    store = open_store()
    try:
        states, reviews = store.states(), store.reviews()
    finally:
        store.close()
    now = datetime.now(timezone.utc)
    weights = topic_weights(matched)
    progress = topic_progress(bank, weights, states, now)
    companies = list(dict.fromkeys(pm.position.company for pm in matched))
    ready = {
        c: readiness(
            topic_progress(
                bank, topic_weights(pm for pm in matched if pm.position.company == c), states, now
            )
        )
        for c in companies
    }
    retention, days = review_summary(reviews)
    ranked = sorted(progress, key=lambda p: (-p.weight, p.topic))
    next_up = weakest(progress)
    if as_json:
        print_json(
            {
                "reviews": len(reviews),
                "retention": retention,
                "days_studied": days,
                "readiness": ready,
                "topics": [
                    {
                        "id": p.topic,
                        "weight": p.weight,
                        "cards": p.cards,
                        "seen": p.seen,
                        "mean_retrievability": round(p.mean_r, 4),
                    }
                    for p in ranked
                ],
                "study_next": [p.topic for p in next_up],
            }
        )
        return
    from rich.table import Table

    out = console()
    ret = f"{100 * retention:.0f}%" if retention is not None else "n/a"
    out.print(f"reviews: {len(reviews)} · retention: {ret} · days studied: {days}")
    for c, r in sorted(ready.items(), key=lambda kv: -kv[1]):
        out.print(f"readiness {c}: {100 * r:.0f}%")
    table = Table(title="topics, most asked first", title_justify="left")
    for col in ("topic", "asked", "seen", "mean recall"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    for p in ranked:
        table.add_row(
            f"{bank.topics[p.topic].title_zh} ({p.topic})",
            str(int(p.weight)),
            f"{p.seen}/{p.cards}",
            f"{100 * p.mean_r:.0f}%",
        )
    out.print(table)
    out.print(
        "study next: " + ", ".join(f"{bank.topics[p.topic].title_zh} ({p.topic})" for p in next_up)
    )
