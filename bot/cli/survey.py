"""`survey send` and `survey resume`: NPS campaigns through the Telegram bot, under the contact rules."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import app_context, console, err_console, fail
from bot.context import AppContext
from bot.services.campaigns import CampaignReport, CampaignSummary, recover_interrupted, start_campaign
from bot.services.customers import find_customer
from storage.schema import require_current

survey_app = typer.Typer(help="NPS survey campaigns through the Telegram bot.", no_args_is_help=True)

SegmentOpt = Annotated[
    str | None,
    typer.Option("--segment", metavar="NAME", help="all, a lifecycle stage or an RFM segment."),
]
CustomerOpt = Annotated[
    str | None,
    typer.Option(
        "--customer", metavar="ID", help="One customer (overrides the cool-down, never an opt-out)."
    ),
]
TrickleOpt = Annotated[
    bool,
    typer.Option(
        "--trickle", help="Queue only: the running bot sends inside the local window, under the daily cap."
    ),
]
STALE_SENDER = timedelta(minutes=10)


def _send(ctx: AppContext, campaign_id: int, total: int) -> CampaignReport:
    """Send through a short-lived bot (no polling), with a progress bar on stderr."""
    from handlers.telegram.application import build_bot
    from handlers.telegram.campaign_sender import send_campaign

    async def run() -> CampaignReport:
        columns = (TextColumn("sending surveys"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err_console, transient=True) as progress:
            task = progress.add_task("send", total=total or None)
            async with build_bot(ctx.settings) as bot:
                return await send_campaign(ctx, bot, campaign_id, progress=lambda _: progress.advance(task))

    return asyncio.run(run())


def _print_summary(summary: CampaignSummary) -> None:
    console.print(f"Campaign {summary.campaign_id}: {summary.queued} survey(s) queued.")
    for reason, count in sorted(summary.skipped.items()):
        console.print(f"  skipped ({reason.replace('_', ' ')}): {count}")
    if summary.not_on_telegram:
        console.print(f"  not on Telegram: {summary.not_on_telegram}")
    if summary.last_surveyed_at is not None:
        console.print(
            f"  last surveyed: {summary.last_surveyed_at:%Y-%m-%d %H:%M} UTC (cool-down overridden)"
        )


def _print_report(report: CampaignReport) -> None:
    counts = ", ".join(f"{status} {count}" for status, count in sorted(report.counts.items()))
    console.print(f"Campaign {report.campaign_id} {report.status}: {counts or 'nothing to send'}.")


def _require_token(ctx: AppContext) -> None:
    if ctx.settings.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN is not set: surveys go out through the Telegram bot")


@survey_app.command("send")
def send_command(
    segment: SegmentOpt = None, customer: CustomerOpt = None, trickle: TrickleOpt = False
) -> None:
    """Start an NPS survey campaign for a segment or one customer and send it now (or --trickle)."""
    if (segment is None) == (customer is None):
        raise typer.BadParameter("give exactly one of --segment NAME or --customer ID")
    with app_context() as ctx:
        require_current(ctx.engine)
        if not trickle:
            _require_token(ctx)
        customer_id = None
        if customer is not None:
            customer_id = find_customer(
                ctx.uow(), customer, default_region=ctx.settings.default_phone_region
            ).id
        summary = start_campaign(
            ctx.uow(),
            ctx.clock,
            ctx.rules,
            started_by="cli",
            segment=segment,
            customer_id=customer_id,
            trickle=trickle,
        )
        _print_summary(summary)
        if trickle:
            rules = ctx.rules.contact
            console.print(
                f"The running bot sends them between {rules.window_start_hour}:00 and "
                f"{rules.window_end_hour}:00 ({ctx.settings.timezone}), at most {rules.daily_cap} a day."
            )
            return
        _print_report(_send(ctx, summary.campaign_id, summary.queued))


@survey_app.command("resume")
def resume_command(campaign: Annotated[int, typer.Argument(help="The campaign's number.")]) -> None:
    """Continue a campaign whose sender stopped; a survey that may have gone out is never sent again."""
    with app_context() as ctx:
        require_current(ctx.engine)
        _require_token(ctx)
        stuck = recover_interrupted(ctx.uow(), ctx.clock, campaign_id=campaign, older_than=STALE_SENDER)
        if stuck:
            console.print(
                f"{stuck} survey(s) were being sent when the sender stopped; they are not sent again."
            )
        _print_report(_send(ctx, campaign, 0))
