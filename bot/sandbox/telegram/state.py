"""The sandbox's in-memory world: users, private chats, messages, pending updates, uploads, webhook.

One re-entrant threading lock guards everything, because the Bot API side may run on uvicorn's
loop in a background thread while a test drives users from its own loop. Critical sections never
await; every mutation ends with `changed()` so waiters (long polls, webhook pump, tests) wake up.
"""

from __future__ import annotations

import mimetypes
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.sandbox.telegram.faults import Fault
from bot.sandbox.telegram.feed import ChangeFeed
from bot.sandbox.telegram.flood import FloodControl, FloodLimits

DEFAULT_TOKEN = "123456789:SANDBOX-token_for-tests"


@dataclass
class SandboxUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str | None = None


@dataclass
class Upload:
    """A file the bot uploaded (or a user sent): bytes kept so tests and the playground can show them."""

    file_id: str
    file_unique_id: str
    kind: str  # "document" | "photo"
    data: bytes
    filename: str | None
    mime_type: str | None
    width: int = 0
    height: int = 0

    @property
    def file_path(self) -> str:
        suffix = mimetypes.guess_extension(self.mime_type or "") or ""
        return f"{self.kind}s/file_{self.file_unique_id}{suffix}"


@dataclass
class ChatMessage:
    """One message in a private chat, from the user or the bot, with edits applied in place."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    source_text: str | None = None  # text or caption as the bot sent it, before parse_mode
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: Upload | None = None
    photo: Upload | None = None
    contact: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class ChatState:
    user: SandboxUser
    started: bool = True
    blocked: bool = False
    next_message_id: int = 1
    messages: list[ChatMessage] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None  # the reply keyboard the user currently sees
    chat_action: str | None = None
    read_cursor: int = 0  # bot messages already handed out by the driver's next_bot_message


@dataclass
class CallbackQueryRecord:
    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    created_at: float  # monotonic seconds
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class PendingUpdate:
    update_id: int
    kind: str  # "message", "callback_query", "my_chat_member", ...
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class SandboxStats:
    """Counters tests assert on: how many 429s were served, calls per method, webhook outcomes."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    flood_429: int = 0
    flood_429_by_chat: Counter[int] = field(default_factory=Counter)
    webhook_deliveries: int = 0
    webhook_failures: int = 0


class SandboxState:
    """Everything the fake Bot API knows; mutate only while holding `lock`, then call `changed()`."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_first_name: str = "Retention Sandbox Bot",
        bot_username: str = "retention_sandbox_bot",
        flood_limits: FloodLimits | None = None,
        clock: Clock | None = None,
        callback_timeout: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.feed = ChangeFeed()
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self.clock = clock
        self.clock_offset = timedelta()
        self.callback_timeout = callback_timeout
        self.monotonic = monotonic
        self.flood = FloodControl(flood_limits or FloodLimits(), monotonic)
        self.next_update_id = 1  # survives reset(): update_id must only ever grow
        self.closing = False  # set while a server shuts down, so long polls return at once
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.chats: dict[int, ChatState] = {}
            self.updates: list[PendingUpdate] = []
            self.callback_queries: dict[str, CallbackQueryRecord] = {}
            self.uploads: dict[str, Upload] = {}
            self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
            self.descriptions: dict[str, str] = {}  # language_code ("" = default) -> text
            self.short_descriptions: dict[str, str] = {}
            self.failing: dict[str, tuple[int, str]] = {}  # method (lower case) -> (code, description)
            self.webhook: WebhookConfig | None = None
            self.allowed_updates: list[str] | None = None
            self.stats = SandboxStats()
            self.faults: dict[str, Fault] = {}
            """By lower-case method name: what the driver ordered (faults.py)."""
            self.poll_generation = 0
            self.clock_offset = timedelta()
            self.flood.reset()
        self.changed()

    def changed(self) -> None:
        self.feed.changed()

    def now(self) -> int:
        """Unix time for `date` fields: the injected clock (or system time) plus the driver's offset."""
        moment = self.clock.now() if self.clock is not None else datetime.now(UTC)
        return int((moment + self.clock_offset).timestamp())

    def chat(self, chat_id: int) -> ChatState | None:
        return self.chats.get(chat_id)

    def add_message(self, chat: ChatState, *, from_bot: bool, **fields: Any) -> ChatMessage:
        message = ChatMessage(
            message_id=chat.next_message_id,
            chat_id=chat.user.id,
            from_bot=from_bot,
            date=self.now(),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages.append(message)
        return message

    def find_message(self, chat: ChatState, message_id: int) -> ChatMessage | None:
        for message in chat.messages:
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update for getUpdates or the webhook; returns its update_id."""
        with self.lock:
            update = PendingUpdate(self.next_update_id, kind, payload)
            self.next_update_id += 1
            self.updates.append(update)
        self.changed()
        return update.update_id

    def confirm_updates(self, offset: int) -> None:
        """getUpdates' offset: forget updates below it; a negative offset keeps only the last -offset."""
        if offset > 0:
            self.updates = [u for u in self.updates if u.update_id >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

    def deliverable_updates(self, limit: int) -> list[PendingUpdate]:
        """Pending updates of the allowed types; others are dropped, as Telegram never stores them."""
        allowed = self.allowed_updates
        if allowed:
            self.updates = [u for u in self.updates if u.kind in allowed]
        return self.updates[:limit]

    def new_upload(
        self,
        kind: str,
        data: bytes,
        filename: str | None,
        mime_type: str | None,
        size: tuple[int, int] = (0, 0),
    ) -> Upload:
        unique = secrets.token_hex(8)
        upload = Upload(
            file_id=f"{'BQAC' if kind == 'document' else 'AgAC'}AgIAAxkBAA{unique}{secrets.token_hex(12)}",
            file_unique_id=f"AgAD{unique}",
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime_type,
            width=size[0],
            height=size[1],
        )
        self.uploads[upload.file_id] = upload
        return upload

    def find_upload_by_path(self, file_path: str) -> Upload | None:
        return next((u for u in self.uploads.values() if u.file_path == file_path), None)
