"""An admin's points adjustment reaches the customer's Telegram in their language, with or without a note."""

from __future__ import annotations

from bot.context import AppContext
from bot.events import PointsAdjusted
from bot.sandbox.telegram import SandboxServer
from bot.services.customers import create_customer, link_chat
from bot.services.outbox import record_events
from tests.e2e.telegram_harness import (  # noqa: F401
    fixture_tg_ctx,
    fixture_tg_server,
    running,
)


async def test_points_adjustment_notice_shows_the_note_only_when_there_is_one(
    tg_server: SandboxServer, tg_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    user = sandbox.create_user("Ann", language_code="en")
    with tg_ctx.uow() as uow:
        customer = create_customer(uow, tg_ctx.clock, external_id="C1", name="Ann")
        link_chat(
            uow, tg_ctx.clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id)
        )
    assert customer.id is not None
    async with running(tg_ctx):
        await tg_ctx.call(
            record_events, [PointsAdjusted(customer_id=customer.id, delta=50, note="Sorry for the wait!")]
        )
        first = await sandbox.next_bot_message(user.id)
        await tg_ctx.call(record_events, [PointsAdjusted(customer_id=customer.id, delta=-20, note="")])
        second = await sandbox.next_bot_message(user.id)
    assert first.text == "Our team adjusted your points: +50. Note: Sorry for the wait!"
    assert second.text == "Our team adjusted your points: -20."
