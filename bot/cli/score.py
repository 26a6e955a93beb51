"""`score`: recompute segments, P(alive), CLV and at-risk flags, and store the day's snapshots."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bot.cli.common import app_context, console, err_console, fail
from bot.context import AppContext
from bot.i18n import translator
from bot.services.scoring import ScoringRun, ScoringStage, score_all
from bot.services.scoring_detail import DETAIL_COLUMNS, detail_rows
from storage.schema import require_current

score_app = typer.Typer()

AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="DATE", help="Only purchases up to this day count (YYYY-MM-DD); default today."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the machine-readable summary (SPEC §1).")]
STAGES: dict[ScoringStage, str] = {
    "read": "reading purchases",
    "fit": "fitting BG/NBD and Gamma-Gamma",
    "write": "writing the day's snapshots",
}
DetailOpt = Annotated[
    Path | None,
    typer.Option("--detail", metavar="FILE.csv", help="Also write one row per customer to FILE.csv."),
]


def parse_day(value: str) -> date:
    """An ISO date from the command line, or exit 2 with one line."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"--as-of takes a date like 1997-09-30, got {value!r}")


@score_app.command("score")
def score_command(as_of: AsOfOpt = None, as_json: JsonOpt = False, detail: DetailOpt = None) -> None:
    """Recompute segments, P(alive), CLV and at-risk flags; --json prints the summary, --detail a CSV."""
    day = parse_day(as_of) if as_of is not None else None
    if detail is not None and (detail.is_dir() or not detail.parent.exists()):
        fail(f"--detail: cannot write {detail} (no such directory or it is a directory)")
    with app_context() as ctx:
        require_current(ctx.engine)
        run = _score(ctx, day)
        if detail is not None:
            with detail.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(DETAIL_COLUMNS)
                writer.writerows(detail_rows(ctx.uow(), run, translator(ctx.settings.default_language)))
        if as_json:
            typer.echo(json.dumps(run.summary(), ensure_ascii=False))
        else:
            _print_summary(run, detail)


def _score(ctx: AppContext, day: date | None) -> ScoringRun:
    """score_all with its stages shown on stderr, in a terminal only (stdout stays the summary or JSON)."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    shown = err_console.is_interactive
    with Progress(*columns, console=err_console, transient=True, disable=not shown) as progress:
        task = progress.add_task("scoring", total=len(STAGES))
        steps = list(STAGES)

        def stage(name: ScoringStage) -> None:
            progress.update(task, description=STAGES[name], completed=steps.index(name), refresh=True)

        run = score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, as_of=day, progress=stage)
        progress.update(task, completed=len(STAGES))
    return run


def _print_summary(run: ScoringRun, detail: Path | None) -> None:
    bg, gg = run.bgnbd, run.gamma_gamma
    table = Table(title=f"Scores as of {run.as_of.isoformat()}", show_header=False)
    table.add_row("customers scored", f"{run.customers:,}")
    table.add_row("BG/NBD (weeks)", f"r {bg.r:.4g}  alpha {bg.alpha:.4g}  a {bg.a:.4g}  b {bg.b:.4g}")
    table.add_row("log-likelihood", f"{bg.log_likelihood:,.1f}")
    table.add_row("Gamma-Gamma", f"p {gg.p:.4g}  q {gg.q:.4g}  v {gg.v:.4g}")
    for name, count in run.result.stage_counts.items():
        table.add_row(f"stage: {name}", f"{count:,}")
    for name, count in run.result.segment_counts.items():
        if count:
            table.add_row(f"segment: {name}", f"{count:,}")
    table.add_row("at risk (listed)", f"{run.at_risk:,}")
    if run.snoozed:
        table.add_row("at risk but snoozed", f"{run.snoozed:,}")
    since = run.previous_as_of.isoformat() if run.previous_as_of else "no earlier snapshot"
    table.add_row(f"newly at risk (since {since})", f"{len(run.entered):,}")
    table.add_row("snapshots written", f"{run.snapshots_written:,}")
    if run.snapshots_thinned:
        table.add_row("old snapshots thinned out", f"{run.snapshots_thinned:,}")
    if detail is not None:
        table.add_row("detail", str(detail))
    console.print(table)
