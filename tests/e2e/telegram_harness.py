"""The real TelegramComponent (PTB Application, long polling or webhook) against the Telegram sandbox
over HTTP on loopback, with a real database: what the Telegram end-to-end tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.sandbox.telegram import FloodLimits, MessageView, SandboxServer, SandboxUser, TelegramSandbox
from bot.services.customers import customer_for_chat
from handlers.telegram.application import TelegramOptions
from handlers.telegram.component import TelegramComponent
from storage.models import Customer, Interaction
from tests.conftest import make_context

BUSINESS = "Tom's Café & Co"
FAST = TelegramOptions(tick_seconds=None, poll_timeout=5)
"""Tests call the upkeep themselves (tick), so nothing happens behind their back."""


def bot_context(database_url: str, clock: ManualClock, server: SandboxServer, **settings: Any) -> AppContext:
    return make_context(
        database_url,
        clock,
        telegram_bot_token=server.sandbox.token,
        telegram_api_base_url=server.bot_api_base_url,
        **{"business_name": BUSINESS, **settings},
    )


@asynccontextmanager
async def running(ctx: AppContext, options: TelegramOptions = FAST) -> AsyncIterator[TelegramComponent]:
    component = TelegramComponent(ctx, options)
    await component.start()
    try:
        yield component
    finally:
        await component.stop()


@dataclass
class Chat:
    """One simulated customer and their private chat with the bot."""

    sandbox: TelegramSandbox
    user: SandboxUser

    @property
    def id(self) -> int:
        return self.user.id

    async def say(self, text: str, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        """Send text and return the bot's next message."""
        self.sandbox.push_text(self.id, text)
        return await self.sandbox.next_bot_message(self.id, timeout)

    async def next(self, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        return await self.sandbox.next_bot_message(self.id, timeout)

    async def tap(
        self, label: str | None = None, *, data: str | None = None, message_id: int | None = None
    ) -> dict[str, Any]:
        """Tap an inline button; returns how the bot answered the tap (its notice)."""
        query_id = self.sandbox.tap_button(self.id, message_id, data=data, text=label)
        return await self.sandbox.wait_for_callback_answer(query_id)

    async def join(self) -> MessageView:
        """/start, then share the phone number with the button the bot shows."""
        prompt = await self.say("/start")
        (button,) = prompt.reply_markup["keyboard"][0] if prompt.reply_markup else [None]
        assert button is not None and button.get("request_contact")
        self.sandbox.press_reply_button(self.id, button["text"])
        return await self.next()

    def messages(self) -> list[str]:
        return [m.text or "" for m in self.sandbox.bot_messages(self.id)]


def new_chat(
    sandbox: TelegramSandbox,
    first_name: str = "Ann",
    *,
    phone: str | None = None,
    language_code: str | None = "en",
) -> Chat:
    number = phone or f"+1415555{len(sandbox.users()):04d}"
    user = sandbox.create_user(first_name, language_code=language_code, phone_number=number)
    return Chat(sandbox, user)


def customer_of(ctx: AppContext, chat: Chat) -> Customer:
    customer = customer_for_chat(ctx.uow(), "telegram", str(chat.id))
    assert customer is not None, f"chat {chat.id} is not linked"
    return customer


def inbound_texts(ctx: AppContext, customer_id: int | None) -> list[str]:
    with ctx.uow() as uow:
        rows = uow.session.exec(
            select(Interaction)
            .where(Interaction.customer_id == customer_id, Interaction.direction == "inbound")
            .order_by(col(Interaction.id))
        ).all()
        return [row.text for row in rows]


# Fixtures: import them into a test module (`from tests.e2e.telegram_harness import fixture_tg_bot`).


@pytest.fixture(name="tg_server")
async def fixture_tg_server() -> AsyncIterator[SandboxServer]:
    """The sandbox without flood limits (tests about flood control set their own)."""
    async with SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as server:
        yield server


@pytest.fixture(name="tg_ctx")
def fixture_tg_ctx(sqlite_url: str, clock: ManualClock, tg_server: SandboxServer) -> Iterator[AppContext]:
    context = bot_context(sqlite_url, clock, tg_server)
    yield context
    context.close()


@pytest.fixture(name="tg_bot")
async def fixture_tg_bot(tg_ctx: AppContext) -> AsyncIterator[TelegramComponent]:
    async with running(tg_ctx) as component:
        yield component


@pytest.fixture(name="tg_db_ctx")
def fixture_tg_db_ctx(
    database_url: str, clock: ManualClock, tg_server: SandboxServer
) -> Iterator[AppContext]:
    """Like tg_ctx, on SQLite and on PostgreSQL (for replays and races)."""
    context = bot_context(database_url, clock, tg_server)
    yield context
    context.close()


@pytest.fixture(name="tg_db_bot")
async def fixture_tg_db_bot(tg_db_ctx: AppContext) -> AsyncIterator[TelegramComponent]:
    async with running(tg_db_ctx) as component:
        yield component
