"""`/crm qr` (staff): the counter poster as a PNG in the channel (or the DM when the app is not in
the channel), with its join link in words. The same poster as `retention-bot poster`."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.poster.fonts import FontMissing
from bot.poster.render import counter_poster, join_link
from handlers.slack.blocks.common import escape
from handlers.slack.cmd_analytics import NOT_POSTABLE
from handlers.slack.crm_command import Crm, CrmCall, Run
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import api_error
from handlers.slack.replies import UsageError
from handlers.slack.telegram_bot import TelegramBotName

log = logging.getLogger(__name__)
FILENAME = "counter-poster.png"


def qr_command(bot_name: TelegramBotName) -> Run:
    async def qr(call: CrmCall) -> None:
        if call.args.strip():
            raise UsageError
        settings = call.deps.settings
        username = await bot_name.get()
        if username is None:
            await call.reply(call.t.format("slack.qr.no_telegram"))
            return
        try:
            png = await asyncio.to_thread(
                counter_poster,
                settings.business_name,
                username,
                "png",
                default_language=settings.default_language,
            )
        except FontMissing:
            await call.reply(call.t.format("slack.qr.no_font", business=escape(settings.business_name)))
            return
        title = call.t.format("slack.qr.title", business=settings.business_name)

        async def upload(channel: str) -> None:
            await call.client.files_upload_v2(channel=channel, content=png, filename=FILENAME, title=title)

        link = join_link(username)
        try:
            await upload(call.channel_id)
        except SlackApiError as exc:
            if api_error(exc) not in NOT_POSTABLE:
                raise
            opened = await call.client.conversations_open(users=call.person.user_id)
            await upload(str(opened["channel"]["id"]))
            await call.reply(
                call.t.format("slack.qr.in_dm") + "\n" + call.t.format("slack.qr.done", link=link)
            )
            return
        await call.reply(call.t.format("slack.qr.done", link=link))

    return qr


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("qr", "slack.usage.qr", qr_command(TelegramBotName(deps.settings)))
