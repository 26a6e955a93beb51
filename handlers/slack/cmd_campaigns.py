"""`/crm survey` (one customer or a segment) and `/crm winback` (the A/B results)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.campaigns import CampaignSummary, start_campaign
from bot.services.contact_rules import SKIP_REASONS
from bot.services.winback import winback_report
from handlers.slack.args import whole_customer
from handlers.slack.blocks.common import display_name
from handlers.slack.cmd_customers import resolve
from handlers.slack.crm_command import Crm, CrmCall
from handlers.slack.deps import SlackDeps
from handlers.slack.replies import UsageError

SEGMENT_PREFIX = "segment:"


async def survey(call: CrmCall) -> None:
    """To one customer: overrides the cool-down (never an opt-out). To a segment: every contact rule."""
    args = call.args.strip()
    ctx = call.deps.ctx
    if not args:
        raise UsageError
    if args.lower().startswith(SEGMENT_PREFIX):
        segment = args[len(SEGMENT_PREFIX) :].strip()
        if not segment:
            raise UsageError
        summary = await ctx.call(start_campaign, ctx.clock, ctx.rules, started_by=call.actor, segment=segment)
        await call.reply(_segment_text(call, segment, summary))
        return
    customer = await resolve(call, whole_customer(args))
    assert customer.id is not None
    summary = await ctx.call(
        start_campaign, ctx.clock, ctx.rules, started_by=call.actor, customer_id=customer.id
    )
    name = display_name(customer.name, customer.external_id)
    last = (
        call.t.format(
            "slack.survey.last_surveyed", date=call.t.format_date(summary.last_surveyed_at.date(), "medium")
        )
        if summary.last_surveyed_at
        else call.t.format("slack.survey.never_surveyed")
    )
    if summary.queued:
        await call.reply(call.t.format("slack.survey.sent_one", name=name, last=last))
    elif summary.not_on_telegram:
        await call.reply(call.t.format("slack.survey.not_on_telegram", name=name))
    else:
        code = next(iter(summary.skipped), "unknown")
        reason = call.t.format(f"slack.survey.reason.{code if code in SKIP_REASONS else 'unknown'}")
        await call.reply(call.t.format("slack.survey.skipped_one", name=name, reason=reason, last=last))


def _segment_text(call: CrmCall, segment: str, summary: CampaignSummary) -> str:
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(summary.skipped.items())) or "—"
    return call.t.format(
        "slack.survey.sent_segment",
        segment=segment,
        queued=summary.queued,
        skipped=skipped,
        not_on_telegram=summary.not_on_telegram,
    )


async def winback(call: CrmCall) -> None:
    if call.args.strip():
        raise UsageError
    report = await call.deps.ctx.call(winback_report)
    if not report.variants:
        await call.reply(call.t.format("slack.winback.none"))
        return
    lines = [
        call.t.format(
            "slack.winback.variant",
            variant=result.variant,
            sent=result.sent,
            converted=result.converted,
            rate=f"{result.rate:.1%}",
        )
        for result in report.variants
    ]
    if report.p_value is None:
        verdict = call.t.format("slack.winback.too_little_data")
    else:
        key = "slack.winback.significant" if report.significant else "slack.winback.not_significant"
        verdict = call.t.format(key, test=report.test, p=f"{report.p_value:.3f}")
    await call.reply("\n".join([call.t.format("slack.winback.header"), *lines, verdict]))


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("survey", "slack.usage.survey", survey)
    crm.add("winback", "slack.usage.winback", winback)
