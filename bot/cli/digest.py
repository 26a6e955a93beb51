"""`digest`: build the daily digest and post it to SLACK_TEAM_CHANNEL, or `--print` it in the terminal.

Posting shares the scheduler's once-per-day claim: a day already posted is not posted again unless
`--force`, which updates the day's message instead of adding a second one.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.common import EXIT_BAD_INPUT, app_context, console, fail
from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.services.digest import Digest, build_digest, first
from bot.services.digest_chart import chart_title, digest_chart_png
from bot.services.digest_queries import Said
from bot.services.risk_reasons import describe_reason
from storage.schema import require_current

PrintOpt = Annotated[
    bool, typer.Option("--print", help="Show the digest in the terminal instead of posting it.")
]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", metavar="YYYY-MM-DD", help="The local day of the digest; default today."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Post an update even if the day was already posted.")]
ChartOpt = Annotated[
    Path | None,
    typer.Option(
        "--chart",
        metavar="FILE.png",
        help="With --print: where to write the chart (default ./digest-DAY.png).",
    ),
]


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"--date takes a date like 2026-03-02, got {value!r}")


def digest(
    print_: PrintOpt = False, day_text: DateOpt = None, force: ForceOpt = False, chart: ChartOpt = None
) -> None:
    """Build the daily digest; post it to SLACK_TEAM_CHANNEL, or --print it here (chart as a PNG file)."""
    asked = parse_day(day_text) if day_text is not None else None
    if chart is not None and (chart.is_dir() or not chart.parent.exists()):
        fail(f"--chart: cannot write {chart} (no such directory or it is a directory)")
    with app_context() as ctx:
        require_current(ctx.engine)
        today = ctx.clock.now().astimezone(ctx.settings.tz).date()
        day = asked or today
        if day > today:
            fail(f"--date {day.isoformat()} is in the future (today is {today.isoformat()})")
        if print_:
            _print(ctx, day, chart or Path(f"digest-{day.isoformat()}.png"))
        else:
            _post(ctx, day, force=force)


def _post(ctx: AppContext, day: date, *, force: bool) -> None:
    settings = ctx.settings
    if settings.slack_bot_token is None or not settings.slack_team_channel:
        fail("posting needs SLACK_BOT_TOKEN and SLACK_TEAM_CHANNEL (or use --print)", EXIT_BAD_INPUT)
    from handlers.slack.digest_post import DigestPublisher, Published
    from handlers.slack.web_client import close_client, slack_client

    channel = settings.slack_team_channel

    async def publish() -> Published:
        client = slack_client(settings)  # in the loop: through a SOCKS proxy it has a session
        try:
            return await DigestPublisher(ctx, client, channel).request(day, force=force)
        finally:
            await close_client(client)

    published = asyncio.run(publish())
    where = f"{settings.slack_team_channel} (ts {published.ts})"
    messages = {
        "posted": f"Digest for {day.isoformat()} posted to {where}.",
        "updated": f"Digest for {day.isoformat()} updated in {where}.",
        "already": f"The digest for {day.isoformat()} was already posted; --force posts an update.",
        "in_progress": f"The digest for {day.isoformat()} is being posted right now by another process.",
    }
    console.print(messages[published.outcome], markup=False, highlight=False)


def _print(ctx: AppContext, day: date, chart: Path) -> None:
    t = translator(ctx.settings.default_language)
    built = build_digest(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, day)
    _render(t, built)
    chart.write_bytes(digest_chart_png(built.weeks, chart_title(built.weeks)))
    console.print(f"Chart: {chart.resolve()}", markup=False, highlight=False, soft_wrap=True)


def _render(t: Translator, built: Digest) -> None:
    from handlers.slack.blocks.digest import metric_change, metric_value

    waiting = Table(title=f"Waiting for a reply ({len(built.waiting)}), oldest first")
    for column in ("conversation", "customer", "kind", "waited (business h)", "target (h)", "past target"):
        waiting.add_column(column, overflow="fold")
    shown_waiting, more_waiting = first(built.waiting)
    for item in shown_waiting:
        who = f"{item.name or ''} ({item.external_id})".strip()
        waiting.add_row(
            f"#{item.ticket_id}",
            who,
            item.kind,
            f"{item.waited_hours:.1f}",
            f"{item.target_hours:g}",
            "yes" if item.overdue else "",
        )
    console.print(waiting)
    if more_waiting:
        console.print(f"… and {more_waiting} more.", markup=False)

    since = "previous digest" if built.compared_with_digest else "the day before"
    kpis = Table(title=f"Daily digest {built.day.isoformat()} — headline KPIs (change since {since})")
    for column in ("KPI", "value", "change"):
        kpis.add_column(column)
    for metric in built.metrics:
        kpis.add_row(
            t.format(f"slack.digest.kpi.{metric.key}"), metric_value(t, metric), metric_change(t, metric)
        )
    console.print(kpis)

    if built.scored_on != built.day:
        console.print(
            f"New at-risk customers: not scored ({built.scoring_error or 'no snapshot'})", markup=False
        )
    else:
        rows, rest = first(built.new_at_risk)
        risk = Table(title=f"New at-risk customers ({len(built.new_at_risk)}), highest value at risk first")
        for column in ("#", "customer", "value at risk", "P(alive)", "reasons"):
            risk.add_column(column, overflow="fold")
        for rank, row in enumerate(rows, start=1):
            reasons = "\n".join(describe_reason(r, t) for r in row.reasons)
            who = f"{row.name or ''} ({row.external_id})".strip()
            p_alive = "—" if row.p_alive is None else f"{row.p_alive:.2f}"
            risk.add_row(str(rank), who, f"{row.value_at_risk:,.2f}", p_alive, reasons)
        console.print(risk)
        if rest:
            console.print(
                f"… and {rest} more (retention-bot score --detail FILE.csv lists all).", markup=False
            )
    _said("Detractors since the last digest", built.detractors)
    _said("Negative feedback since the last digest", built.negative_feedback)
    _said("Kind words since the last digest", built.kind_words)
    tickets = Table(title=f"Tickets past their {built.sla_hours:g}-hour SLA ({len(built.overdue_tickets)})")
    for column in ("ticket", "customer", "open (hours)", "text"):
        tickets.add_column(column, overflow="fold")
    shown, rest = first(built.overdue_tickets)
    for ticket in shown:
        who = f"{ticket.name or ''} ({ticket.external_id})".strip()
        tickets.add_row(f"#{ticket.ticket_id}", who, f"{ticket.hours_open:.0f}", ticket.text[:120])
    console.print(tickets)
    if rest:
        console.print(f"… and {rest} more.", markup=False)


def _said(title: str, items: tuple[Said, ...]) -> None:
    table = Table(title=f"{title} ({len(items)})")
    for column in ("score", "customer", "said"):
        table.add_column(column, overflow="fold")
    shown, rest = first(items)
    for item in shown:
        who = f"{item.name or ''} ({item.external_id})".strip()
        table.add_row("—" if item.score is None else str(item.score), who, item.text[:150])
    console.print(table)
    if rest:
        console.print(f"… and {rest} more.", markup=False)
