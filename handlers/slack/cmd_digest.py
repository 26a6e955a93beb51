"""`/crm digest`: post the daily digest now (an explicit request: today's message is updated if posted)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack.crm_command import Crm, CrmCall
from handlers.slack.deps import SlackDeps
from handlers.slack.digest_post import DigestPublisher
from handlers.slack.replies import UsageError


async def digest(call: CrmCall) -> None:
    if call.args.strip():
        raise UsageError
    channel = call.deps.settings.slack_team_channel
    if not channel:
        await call.reply(call.t.format("slack.digest.no_channel"))
        return
    publisher = DigestPublisher(call.deps.ctx, call.client, channel)
    day = publisher.today()
    published = await publisher.request(day, force=True)
    await call.reply(
        call.t.format(
            f"slack.digest.{published.outcome}",
            date=call.t.format_date(day, "medium"),
            channel=f"<#{channel}>",
        )
    )


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("digest", "slack.usage.digest", digest)
