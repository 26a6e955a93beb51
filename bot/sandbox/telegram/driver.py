"""TelegramSandbox: the fake Telegram's state plus the driver tests and the playground use to play users.

A test creates users, pushes what they type or tap (as updates the bot receives by long polling
or webhook), and reads back what the bot sent. Sync methods are instant and thread-safe; waits
come in an async form and a `_blocking` form for synchronous callers. Waits take a default
timeout (not only asyncio.timeout) so a bot that never answers fails a test in seconds.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from bot.clock import Clock
from bot.sandbox.telegram import inbound
from bot.sandbox.telegram.errors import SandboxError
from bot.sandbox.telegram.faults import Fault
from bot.sandbox.telegram.flood import FloodLimits
from bot.sandbox.telegram.state import (
    DEFAULT_TOKEN,
    ChatState,
    SandboxState,
    SandboxStats,
    SandboxUser,
    Upload,
    WebhookConfig,
)
from bot.sandbox.telegram.views import MessageView
from bot.sandbox.telegram.webhook import WebhookPump

T = TypeVar("T")


class TelegramSandbox:
    """One fake bot account and its private chats; serve it with SandboxServer, drive it from here."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "retention_sandbox_bot",
        bot_first_name: str = "Retention Sandbox Bot",
        flood_limits: FloodLimits | None = None,
        clock: Clock | None = None,
        callback_timeout: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = SandboxState(
            token=token,
            bot_first_name=bot_first_name,
            bot_username=bot_username,
            flood_limits=flood_limits,
            clock=clock,
            callback_timeout=callback_timeout,
            monotonic=monotonic,
        )
        self.webhook_pump = WebhookPump(self.state)
        self._user_ids = itertools.count(700_000_001)

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def bot_username(self) -> str:
        return self.state.bot_username

    # -- users and chats -------------------------------------------------------------------------

    def create_user(
        self,
        first_name: str = "Test",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        phone_number: str | None = None,
        started: bool = True,
    ) -> SandboxUser:
        """A Telegram user with a private chat (chat id == user id); `started=False`: never opened the bot."""
        with self.state.lock:
            if user_id is None:
                user_id = next(i for i in self._user_ids if i not in self.state.chats)
            if user_id in self.state.chats:
                raise SandboxError(f"user {user_id} already exists")
            user = SandboxUser(user_id, first_name, last_name, username, language_code, phone_number)
            self.state.chats[user_id] = ChatState(user=user, started=started)
        self.state.changed()
        return user

    def user(self, user_id: int) -> SandboxUser:
        with self.state.lock:
            return copy.copy(self._chat(user_id).user)

    def users(self) -> list[SandboxUser]:
        with self.state.lock:
            return [copy.copy(chat.user) for chat in self.state.chats.values()]

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends get 403 and the bot receives my_chat_member (kicked)."""
        inbound.set_blocked(self.state, chat_id, True)

    def unblock(self, chat_id: int) -> None:
        inbound.set_blocked(self.state, chat_id, False)

    # -- what users do ---------------------------------------------------------------------------

    def push_text(self, chat_id: int, text: str, *, reply_to_message_id: int | None = None) -> dict[str, Any]:
        """The user sends text; entities (bot_command for /start CODE, urls, ...) as the client computes them.

        Longer than 4096 characters, the client splits it into several messages, as the apps do;
        the last one is returned.
        """
        return inbound.push_text(self.state, chat_id, text, reply_to_message_id=reply_to_message_id)

    def push_contact(
        self, chat_id: int, phone_number: str | None = None, *, first_name: str | None = None
    ) -> dict[str, Any]:
        """The user shares their own contact (as a request_contact button does); phone defaults to theirs."""
        return inbound.push_contact(self.state, chat_id, phone_number, first_name=first_name)

    def press_reply_button(self, chat_id: int, text: str) -> dict[str, Any]:
        """Press a button of the reply keyboard the bot currently shows (it must be there)."""
        return inbound.press_reply_button(self.state, chat_id, text)

    def tap_button(
        self, chat_id: int, message_id: int | None = None, *, data: str | None = None, text: str | None = None
    ) -> str:
        """Tap an inline button, by callback data or label, on a bot message's current markup.

        Without message_id, the latest bot message with an inline keyboard is used. Returns the
        callback query id (see callback_answer).
        """
        return inbound.tap_button(self.state, chat_id, message_id, data=data, text=text)

    # -- what the bot did ------------------------------------------------------------------------

    def transcript(self, chat_id: int) -> list[MessageView]:
        """Every message of the chat, both sides, edits applied, deleted ones flagged."""
        with self.state.lock:
            return [MessageView.of(m) for m in self._chat(chat_id).messages]

    def bot_messages(self, chat_id: int) -> list[MessageView]:
        return [m for m in self.transcript(chat_id) if m.from_bot]

    def mark_read(self, chat_id: int) -> None:
        """Skip what the bot has sent so far: next_bot_message then waits for something new."""
        with self.state.lock:
            chat = self._chat(chat_id)
            chat.read_cursor = sum(1 for m in chat.messages if m.from_bot)

    async def next_bot_message(self, chat_id: int, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        """The oldest bot message this driver has not handed out yet, waiting up to `timeout` s for one."""
        return await self.wait_for(lambda: self._take_next(chat_id), timeout)

    def next_bot_message_blocking(self, chat_id: int, timeout: float = 5.0) -> MessageView:
        found = self.state.feed.wait_for_blocking(lambda: self._take_next(chat_id), timeout)
        if found is None:
            raise TimeoutError(f"the bot sent nothing new to chat {chat_id} within {timeout} s")
        return found

    async def wait_for(self, check: Callable[[], T | None], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until `check()` (called on every change) returns non-None; TimeoutError otherwise."""
        found = await self.state.feed.wait_for(check, timeout)
        if found is None:
            raise TimeoutError(f"sandbox condition not met within {timeout} s")
        return found

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """How the bot answered a tap (text, show_alert, url, cache_time), or None if not (yet) answered."""
        with self.state.lock:
            query = self.state.callback_queries.get(query_id)
            return dict(query.answer) if query and query.answer else None

    async def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        return await self.wait_for(lambda: self.callback_answer(query_id), timeout)

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        with self.state.lock:
            return copy.deepcopy(self._chat(chat_id).reply_keyboard)

    def chat_action(self, chat_id: int) -> str | None:
        with self.state.lock:
            return self._chat(chat_id).chat_action

    def file(self, file_id: str) -> Upload:
        with self.state.lock:
            upload = self.state.uploads.get(file_id)
        if upload is None:
            raise SandboxError(f"no file {file_id}")
        return upload

    def menu_commands(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu the user sees: the most specific scope and language set, as clients resolve it."""
        with self.state.lock:
            user = self._chat(chat_id).user
            language = (user.language_code or "")[:2].lower()
            scopes = (
                {"type": "chat", "chat_id": chat_id},
                {"type": "all_private_chats"},
                {"type": "default"},
            )
            for scope in (json.dumps(s, sort_keys=True) for s in scopes):
                for lang in (language, ""):
                    if (scope, lang) in self.state.commands:
                        return list(self.state.commands[(scope, lang)])
        return []

    def description(self, language_code: str = "") -> str:
        """The bot's description (shown in an empty chat) set for this language; "" if none."""
        with self.state.lock:
            return self.state.descriptions.get(language_code, "")

    def short_description(self, language_code: str = "") -> str:
        """The bot's short description (its profile and share text) set for this language."""
        with self.state.lock:
            return self.state.short_descriptions.get(language_code, "")

    # -- the platform itself ---------------------------------------------------------------------

    @property
    def stats(self) -> SandboxStats:
        with self.state.lock:
            return copy.deepcopy(self.state.stats)

    def webhook(self) -> WebhookConfig | None:
        with self.state.lock:
            return copy.copy(self.state.webhook)

    def pending_updates(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [u.to_json() for u in self.state.updates]

    def set_flood_limits(self, limits: FloodLimits) -> None:
        with self.state.lock:
            self.state.flood.reset(limits)

    def fail(self, method: str, *, code: int = 500, times: int | None = None, retry_after: int = 5) -> None:
        """Make `method` refuse its next `times` calls (None: until `heal`) as Telegram does: 429 with
        `retry_after`, 500 Internal Server Error, or 502 from the front proxy (see faults.py)."""
        if code not in (429, 500, 502):
            raise ValueError("the sandbox fails with 429, 500 or 502")
        with self.state.lock:
            self.state.faults[method.lower()] = Fault(code=code, times=times, retry_after=retry_after)

    def set_delay(self, method: str, seconds: float, *, acts_first: bool = True) -> None:
        """Make `method` answer `seconds` late (0: prompt again); `acts_first`: the message is in the
        chat before the late answer (a client that times out cannot tell it arrived)."""
        with self.state.lock:
            if seconds > 0:
                self.state.faults[method.lower()] = Fault(delay=seconds, acts_first=acts_first)
            else:
                self.state.faults.pop(method.lower(), None)

    def heal(self, method: str | None = None) -> None:
        """Take back the failures and delays ordered for `method` (None: for every method)."""
        with self.state.lock:
            if method is None:
                self.state.faults.clear()
            else:
                self.state.faults.pop(method.lower(), None)

    def set_clock_offset(self, offset: timedelta | float) -> None:
        """Shift every `date` the sandbox stamps (messages, edits) by this much from its clock."""
        with self.state.lock:
            self.state.clock_offset = offset if isinstance(offset, timedelta) else timedelta(seconds=offset)
        self.state.changed()

    def fail_method(self, method: str, code: int = 500, description: str = "Internal Server Error") -> None:
        """From now on `method` answers this error (Telegram having a bad moment with one method)."""
        with self.state.lock:
            self.state.failing[method.lower()] = (code, description)

    def reset(self) -> None:
        """Forget users, chats, updates, webhook, commands, descriptions, counters; update_id grows on."""
        self.state.clear()

    # -- internals -------------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> ChatState:
        return inbound.chat_of(self.state, chat_id)

    def _take_next(self, chat_id: int) -> MessageView | None:
        with self.state.lock:
            chat = self._chat(chat_id)
            sent = [m for m in chat.messages if m.from_bot]
            if chat.read_cursor >= len(sent):
                return None
            chat.read_cursor += 1
            return MessageView.of(sent[chat.read_cursor - 1])
