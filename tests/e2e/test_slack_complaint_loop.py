"""The whole complaint loop across both platforms: the real Telegram bot and the real Slack app on one
database and one event bus, each against its sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.clock import ManualClock
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from tests.e2e.telegram_harness import new_chat, running
from tests.support.slack_world import SlackWorld, slack_world

NOTE = "Internal: she is a regular, offer a voucher if she pushes"
REPLY = "So sorry, Ann! A new cup leaves today, and your refund is on its way."


async def press(world: SlackWorld, action_id: str, ts: str, clicks: int = 1) -> None:
    presses = (
        world.driver.press_button(action_id, user=world.alice, channel=world.channel, ts=ts)
        for _ in range(clicks)
    )
    assert all(r.status == 200 for r in await asyncio.gather(*presses))
    await world.settle()


def thread_texts(world: SlackWorld, ts: str) -> list[str]:
    return [m["text"] for m in world.driver.messages(world.channel, thread_ts=ts)[1:]]


async def test_feedback_alert_note_reply_answer_resolve_and_one_csat(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram:
        options: dict[str, Any] = {
            "telegram_bot_token": telegram.sandbox.token,
            "telegram_api_base_url": telegram.bot_api_base_url,
            "business_name": "Tom's Café",
        }
        async with slack_world(sqlite_url, clock, **options) as world, running(world.ctx):
            ann = new_chat(telegram.sandbox, "Ann")
            await ann.join()

            # 1. Telegram feedback opens a ticket and the team channel gets the alert.
            opened = await ann.say("My order arrived broken and the cup is cracked. I want a refund!")
            assert opened.text is not None and "#1" in opened.text
            alert = await world.driver.next_message(world.channel, within=5.0)
            assert "Complaint #1" in str(alert["blocks"])

            # 2. A staff message in the thread is an internal note: it never reaches Telegram.
            await world.driver.post_user_message(
                NOTE, user=world.alice, channel=world.channel, thread_ts=alert["ts"]
            )
            await world.settle()
            before_reply = ann.messages()

            # 3. "Reply to customer" sends exactly what the modal holds.
            await press(world, "alert_reply", alert["ts"])
            modal = world.driver.top_modal(world.alice)
            assert modal is not None
            await world.driver.submit_view(modal["id"], {"reply": {"text": REPLY}})
            await world.settle()
            delivered = await ann.next()
            assert delivered.text == f"Message from the Tom's Café team:\n{REPLY}"
            assert ann.messages() == [*before_reply, delivered.text]

            # 4. The customer's answer comes back into the alert's thread.
            added = await ann.say("Thanks! When will it arrive?")
            assert added.text is not None and "#1" in added.text
            answer = await world.driver.wait_for(
                lambda: next(
                    (t for t in thread_texts(world, alert["ts"]) if "When will it arrive?" in t), None
                ),
                within=5.0,
            )
            assert answer.startswith(":speech_balloon: *Ann")

            # 5. Resolve (double-clicked) closes the ticket at once; the customer is asked CSAT once.
            await press(world, "alert_resolve", alert["ts"], clicks=2)
            csat = await ann.next()
            assert csat.text is not None and "#1 has been resolved" in csat.text
            assert csat.buttons == [["1", "2", "3", "4", "5"]]
            await world.settle()
            transcript = ann.messages()
            assert sum("has been resolved" in text for text in transcript) == 1
            assert not any(NOTE in text for text in transcript)
            thread = thread_texts(world, alert["ts"])
            assert thread[0] == NOTE and REPLY in thread[1] and "When will it arrive?" in thread[2]
