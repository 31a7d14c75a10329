"""The ``prep`` command line. Commands are thin: parse options, call the library, print.

Heavy modules (rich, rapidfuzz, genanki, fsrs, yaml) are imported inside the commands that need them,
so ``prep --help`` stays instant.
"""

from __future__ import annotations

import functools
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


def positions_option(f):
    return click.option(
        "--positions",
        "positions_file",
        metavar="FILE",
        help="Positions notes (Markdown). Default: $PREP_POSITIONS, ./positions.md, the sample.",
    )(f)


def topics_option(f):
    return click.option(
        "--topics",
        "topics_dir",
        metavar="DIR",
        help="Topic bank folder. Default: $PREP_TOPICS, else the bundled bank.",
    )(f)


def status_option(f):
    return click.option(
        "--status",
        metavar="S[,S]",
        help="Only positions with these statuses, e.g. interviewing,interested.",
    )(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def load_positions(positions_file):
    """Read the positions file (saying so when it is the sample) with canonical company names."""
    from prep.companies import canonicalize, load_companies
    from prep.paths import positions_source
    from prep.positions import read_positions

    path, is_sample = positions_source(positions_file)
    if is_sample:
        click.echo(
            "prep: no positions file given; using the bundled sample "
            "(pass --positions FILE or set PREP_POSITIONS)",
            err=True,
        )
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
                f"unknown status {', '.join(sorted(unknown))}; use one of: "
                + ", ".join(STATUSES),
                param_hint="--status",
            )
        positions = [p for p in positions if p.status in wanted_status]
    if names:
        known = list(dict.fromkeys(p.company for p in positions))
        chosen = {resolve(n, known, companies) for n in names}
        positions = [p for p in positions if p.company in chosen]
    return positions


def print_json(data) -> None:
    import json

    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


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
            {"companies": [{"name": c, "positions": sum(s.values()), "statuses": s}
                           for c, s in counts.items()]}
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
