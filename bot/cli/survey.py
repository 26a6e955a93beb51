"""`survey send` and `survey resume`: NPS campaigns through the Telegram bot, under the contact rules."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import app_context, console, err_console, fail
from bot.context import AppContext
from bot.senders import new_sender_id, sender_is_gone
from bot.services.campaign_lease import LeaseGrant, take_lease
from bot.services.campaigns import CampaignReport, CampaignSummary, start_campaign
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
WAIT_POLL_SECONDS = 1.0
"""How often `survey resume` looks again at a lease held by a living sender."""


def _send(ctx: AppContext, campaign_id: int, total: int, sender_id: str) -> CampaignReport:
    """Send through a short-lived bot (no polling), with a progress bar on stderr."""
    from handlers.telegram.application import build_bot
    from handlers.telegram.campaign_sender import send_campaign

    async def run() -> CampaignReport:
        columns = (TextColumn("sending surveys"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err_console, transient=True) as progress:
            task = progress.add_task("send", total=total or None)
            async with build_bot(ctx.settings) as bot:
                return await send_campaign(
                    ctx, bot, campaign_id, progress=lambda _: progress.advance(task), sender_id=sender_id
                )

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
    named = {"sending": "in doubt"}  # left `sending` by a network failure: it may have arrived
    counts = ", ".join(
        f"{named.get(status, status)} {count}" for status, count in sorted(report.counts.items())
    )
    console.print(f"Campaign {report.campaign_id} {report.status}: {counts or 'nothing to send'}.")
    if report.resent:
        console.print(f"  {report.resent} of those sent had been in doubt: they may have arrived twice.")
    if report.in_doubt:
        console.print(
            f"  {report.in_doubt} in doubt (a network failure: they may have arrived); "
            f"`retention-bot survey resume {report.campaign_id}` sends them again."
        )


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
        sender_id = new_sender_id("cli")
        summary = start_campaign(
            ctx.uow(),
            ctx.clock,
            ctx.rules,
            started_by="cli",
            segment=segment,
            customer_id=customer_id,
            trickle=trickle,
            sender_id=None if trickle else sender_id,
        )
        _print_summary(summary)
        if trickle:
            rules = ctx.rules.contact
            console.print(
                f"The running bot sends them between {rules.window_start_hour}:00 and "
                f"{rules.window_end_hour}:00 ({ctx.settings.timezone}), at most {rules.daily_cap} a day."
            )
            return
        _print_report(_send(ctx, summary.campaign_id, summary.queued, sender_id))


def _take_over(ctx: AppContext, campaign_id: int, sender_id: str) -> LeaseGrant:
    """The campaign's sender lease: at once if free or its holder died on this machine, else after
    waiting for the living sender to finish or for its lease to expire (it is never renewed then)."""
    said_waiting = False
    while True:
        grant = take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id=sender_id)
        if grant.acquired or not grant.running or grant.holder is None:
            return grant
        if sender_is_gone(grant.holder):  # killed on this machine: no need to wait for its lease
            gone = grant.holder
            grant = take_lease(
                ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id=sender_id, holder_gone=gone
            )
            if grant.acquired or not grant.running:
                return grant
            continue
        if not said_waiting:
            until = f", lease until {grant.until:%H:%M:%S} UTC" if grant.until else ""
            console.print(
                f"Campaign {campaign_id} is being sent by {grant.holder}{until}: "
                "waiting for it to finish, or for its lease to expire if it stopped…"
            )
            said_waiting = True
        time.sleep(WAIT_POLL_SECONDS)


@survey_app.command("resume")
def resume_command(campaign: Annotated[int, typer.Argument(help="The campaign's number.")]) -> None:
    """Continue a campaign whose sender stopped: send what was not sent, and again what was in doubt."""
    with app_context() as ctx:
        require_current(ctx.engine)
        _require_token(ctx)
        sender_id = new_sender_id("cli")
        grant = _take_over(ctx, campaign, sender_id)
        if grant.in_doubt:
            console.print(
                f"{grant.in_doubt} survey(s) in doubt (claimed by a sender that stopped; they may have "
                "arrived): sending them again."
            )
        elif grant.acquired:
            console.print("No survey was in doubt.")
        _print_report(_send(ctx, campaign, 0, sender_id))
