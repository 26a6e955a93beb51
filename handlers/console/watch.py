"""Noticing what changed on both platforms since the last look: new or edited bot messages, keyboards,
Slack messages (channels and threads), ephemerals and modals. People's own messages are not
repeated (the console already shows what they typed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from bot.demo.cast import Cast
from bot.sandbox.slack import SlackSandbox
from bot.sandbox.telegram import TelegramSandbox
from handlers.console import render
from handlers.console.render import Shown


def _signature(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class Watcher:
    def __init__(self, telegram: TelegramSandbox, slack: SlackSandbox, cast: Cast) -> None:
        self.telegram = telegram
        self.slack = slack
        self.cast = cast
        self._seen: dict[tuple[Any, ...], str] = {}
        self._versions = (-1, -1)

    def names(self) -> dict[str, str]:
        state = self.slack.state
        with state.locked():
            return {u.id: u.display_name or u.real_name or u.name for u in state.users.values()}

    def collect(self) -> list[Shown]:
        """Everything new or changed since the previous call, oldest first, Telegram then Slack."""
        self._versions = (self.telegram.state.feed.version, self.slack.state.version)
        return self._telegram() + self._slack()

    def _fresh(self, key: tuple[Any, ...], value: Any) -> tuple[bool, bool]:
        """(changed, was seen before) for an item, remembering its new signature."""
        signature = _signature(value)
        before = self._seen.get(key)
        self._seen[key] = signature
        return before != signature, before is not None

    def _telegram(self) -> list[Shown]:
        out: list[Shown] = []
        for person in self.cast.customers:
            chat = person.telegram_id
            for view in self.telegram.bot_messages(chat):
                changed, seen = self._fresh(("tg", chat, view.message_id), view.to_json())
                if changed:
                    out.append(render.telegram_message(view, person.name, edited=seen))
            keyboard = self.telegram.reply_keyboard(chat)
            changed, _ = self._fresh(("tg-keyboard", chat), keyboard)
            if changed:
                out.append(render.reply_keyboard(chat, keyboard, person.name))
        return out

    def _slack(self) -> list[Shown]:
        state, driver = self.slack.state, self.slack.driver
        names = self.names()
        out: list[Shown] = []
        with state.locked():
            channels = list(state.channels.values())
            messages = {c.id: list(state.messages.get(c.id, [])) for c in channels}
            ephemerals = [e for e in state.ephemerals if not e.deleted]
        bot_id = state.ws.bot_id
        for channel in channels:
            where = (
                f"DM with {names.get(channel.im_user or '', '?')}" if channel.is_im else f"#{channel.name}"
            )
            for message in messages[channel.id]:
                if message.bot_id != bot_id:
                    continue
                data = state.message_json(message) | {"channel": channel.id}
                content = {k: data.get(k) for k in ("text", "blocks", "files", "attachments")}
                changed, seen = self._fresh(("slack", channel.id, message.ts), content)
                if changed:
                    out.append(render.slack_message(data, where, names, edited=seen))
        for item in ephemerals:
            changed, _ = self._fresh(("ephemeral", item.seq), item.to_json())
            if changed:
                channel_name = next((f"#{c.name}" for c in channels if c.id == item.channel), item.channel)
                out.append(render.ephemeral(item.to_json(), channel_name, names))
        for staff in self.cast.staff:
            top = driver.top_modal(staff.slack_id)
            changed, _ = self._fresh(
                ("modal", staff.slack_id), top and {k: top[k] for k in ("id", "hash", "errors")}
            )
            if changed and top is not None:
                out.append(render.modal(top, staff.slack_id, names))
        return out

    async def wait_change(self, timeout: float) -> bool:  # noqa: ASYNC109
        """True once either platform changed after the last `collect`, False after `timeout` seconds."""
        if timeout <= 0:
            return False
        tg_seen, slack_seen = self._versions
        feed, state = self.telegram.state.feed, self.slack.state

        async def telegram_changed() -> bool:
            return bool(await feed.wait_for(lambda: True if feed.version > tg_seen else None, timeout))

        async def slack_changed() -> bool:
            try:
                return await state.wait_until(
                    lambda: True if state.version > slack_seen else None, timeout, "change"
                )
            except TimeoutError:
                return False

        waits = [asyncio.create_task(telegram_changed()), asyncio.create_task(slack_changed())]
        try:
            for finished in asyncio.as_completed(waits):
                if await finished:
                    return True
            return False
        finally:
            for task in waits:
                task.cancel()
            for task in waits:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
