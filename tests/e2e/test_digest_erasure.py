"""Forgetting a customer redacts them from the digests already in the team channel (SPEC §10): their
line becomes "erased customer", everyone else's lines stay, and a second customer of the same digest
forgotten later is redacted too (the message is queued again, not skipped as "done")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.clock import ManualClock
from bot.services.customers import create_customer
from bot.services.erasure import forget_customer
from bot.services.tickets import receive_feedback
from storage.models import DigestMention
from tests.support.slack_world import SlackWorld, shown, slack_world

ANN_SAYS = "Thank you so much, the blue teapot is wonderful!"
BOB_SAYS = "Lovely service as always, thanks!"


def digest_message(world: SlackWorld) -> dict[str, Any]:
    [message] = [m for m in world.app_messages() if "digest" in str(m.get("text", "")).lower()]
    return message


def customer_praising(world: SlackWorld, external_id: str, name: str, text: str) -> int:
    ctx = world.ctx
    customer = create_customer(ctx.uow(), ctx.clock, external_id=external_id, name=name)
    assert customer.id is not None
    receive_feedback(
        ctx.uow(), ctx.clock, customer_id=customer.id, text=text, source_event_id=None, kind="praise"
    )
    return customer.id


async def forgotten(world: SlackWorld, customer_id: int, gone: str) -> dict[str, Any]:
    """Forget the customer; the digest message once `gone` is no longer in it."""
    ctx = world.ctx
    await ctx.call(forget_customer, ctx.clock, customer_id=customer_id, actor="test")
    await world.settle()

    def redacted() -> dict[str, Any] | None:
        message = digest_message(world)
        return None if gone in shown(message) else message

    found: dict[str, Any] = await world.driver.wait_for(redacted, within=10.0)
    return found


def mentions_left(world: SlackWorld) -> list[DigestMention]:
    with world.ctx.uow() as uow:
        return list(uow.session.exec(select(DigestMention)).all())


async def until(check: Callable[[], bool], within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_forgetting_customers_redacts_their_lines_from_a_posted_digest(
    database_url: str, clock: ManualClock
) -> None:
    async with slack_world(database_url, clock) as world:
        ann = customer_praising(world, "C-ANN", "Annabel Quist", ANN_SAYS)
        bob = customer_praising(world, "C-BOB", "Bob Berry", BOB_SAYS)
        clock.advance(timedelta(minutes=5))  # the digest covers up to now
        await world.crm("digest")
        posted = digest_message(world)
        assert "Annabel Quist" in shown(posted) and "blue teapot" in shown(posted)
        assert "Bob Berry" in shown(posted)

        after_ann = await forgotten(world, ann, "Annabel Quist")
        text = shown(after_ann)
        assert after_ann["ts"] == posted["ts"]  # edited in place
        assert "C-ANN" not in text and "blue teapot" not in text
        assert "erased customer" in text
        assert "Bob Berry" in text and BOB_SAYS in text  # the rest of the digest as it was
        assert after_ann["text"] == posted["text"]

        after_bob = await forgotten(world, bob, "Bob Berry")  # the same message, queued again
        text = shown(after_bob)
        assert "C-BOB" not in text and BOB_SAYS not in text and "Annabel" not in text
        assert text.count("erased customer") == 2
        await until(lambda: not mentions_left(world))  # nothing left to find them by, once done
        assert len([m for m in world.app_messages() if "digest" in str(m.get("text", "")).lower()]) == 1
