"""Several instances (SPEC §7, issue 13): two real `retention-bot run` processes on one PostgreSQL,
Telegram in webhook mode and Slack in HTTP mode, behind a round-robin load balancer. Customer
messages and staff thread replies are spread across both; between them every update is handled
once: one ticket and one alert per complaint, every message once in the thread, every staff reply
delivered once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.sandbox.slack import LoopbackServer, SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services.customers import create_customer, link_chat
from storage.models import Interaction, Ticket
from tests.conftest import make_context
from tests.e2e.test_schedule_process import wait_for
from tests.support.balancer import Balancer
from tests.support.bot_process import (
    BINARY,
    clean_env,
    free_port,
    running_bot,
    slack_settings,
    telegram_settings,
)

SECRET = "instances-signing-secret"
COMPLAINTS = [
    "My order arrived broken and the cup is cracked!",
    "The delivery is late again, this is terrible",
    "You charged me twice, I want my money back",
    "The milk in my latte was sour. Disgusting.",
    "Rude staff at the counter today, very disappointed",
    "The app lost my points, this is a scam",
]
FOLLOW_UPS = ["Hello? Is anyone reading this? ({})", "I am still waiting for an answer ({})"]
CHATTER = ["hi", "thanks!", "ok 👍"]


@pytest.mark.postgres
async def test_two_instances_behind_a_balancer_handle_every_message_and_reply_once(
    postgres_url: str, tmp_path: Path
) -> None:
    telegram = TelegramSandbox(flood_limits=FloodLimits.unlimited())
    balancer = Balancer()
    async with (
        SandboxServer(telegram) as server,
        SlackSandbox(Workspace(signing_secret=SECRET)) as slack,
        LoopbackServer(balancer.app) as front,
    ):
        boss = slack.driver.add_user("boss", real_name="Bea Boss")
        channel = slack.driver.add_channel("retention-team", members=[boss])
        bot_id = slack.state.ws.bot_id
        ctx = make_context(postgres_url, ManualClock(datetime.now(UTC)))
        people = []
        for n in range(10):
            user = telegram.create_user(f"Customer{n}", language_code="en")
            customer = create_customer(ctx.uow(), ctx.clock, external_id=f"c-{n}", name=f"Customer{n}")
            link_chat(
                ctx.uow(),
                ctx.clock,
                customer,
                platform="telegram",
                user_id=str(user.id),
                chat_id=str(user.id),
            )
            people.append((user, customer))
        complainers, chatty = people[: len(COMPLAINTS)], people[len(COMPLAINTS) :]

        settings = {
            "DATABASE_URL": postgres_url,
            **telegram_settings(server),
            "TELEGRAM_WEBHOOK_URL": f"{front.url}/telegram/updates",
            "TELEGRAM_WEBHOOK_SECRET": "instances-webhook-secret",
            **slack_settings(slack, channel, SECRET),
            "SLACK_THREAD_RELAY": "all",
            "BUSINESS_NAME": "Tea House",
        }
        ports = free_port(), free_port()
        balancer.rotate(*(f"http://127.0.0.1:{port}" for port in ports))
        parts = ("telegram", "slack")
        async with (
            running_bot(tmp_path, settings, "--no-scheduler", parts=parts, port=ports[0]) as first,
            running_bot(tmp_path, settings, "--no-scheduler", parts=parts, port=ports[1]) as second,
        ):
            slack.driver.connect_app(f"{front.url}/slack/events")
            deadline = datetime.now(UTC) + timedelta(seconds=60)

            # 30 customer messages, interleaved between customers, round-robin between instances.
            sent: dict[int, list[str]] = {user.id: [] for user, _ in people}
            for round_ in range(3):
                for (user, _), complaint in zip(complainers, COMPLAINTS, strict=True):
                    text = complaint if round_ == 0 else FOLLOW_UPS[round_ - 1].format(user.id)
                    telegram.push_text(user.id, text)
                    sent[user.id].append(text)
                for user, _ in chatty:
                    telegram.push_text(user.id, CHATTER[round_])
                    sent[user.id].append(CHATTER[round_])
                await asyncio.sleep(0.3)

            def alerts() -> list[dict[str, Any]]:
                return [m for m in slack.driver.messages(channel) if m.get("bot_id") == bot_id]

            def thread(ts: str) -> list[str]:
                return [
                    m["text"] for m in slack.driver.messages(channel, thread_ts=ts)[1:] if m.get("bot_id")
                ]

            def tickets() -> list[Ticket]:
                with ctx.uow() as uow:
                    return list(uow.session.exec(select(Ticket)).all())

            def every_follow_up_in_its_thread() -> bool:
                found = tickets()
                return len(found) == len(COMPLAINTS) and all(
                    t.slack_ts and sum(1 for line in thread(t.slack_ts) if "(" in line) >= 2 for t in found
                )

            await wait_for(every_follow_up_in_its_thread, deadline, "every follow-up in its alert's thread")

            # Staff answer each complaint in its thread; the balancer spreads the events too.
            by_customer = {t.customer_id: t for t in tickets()}
            replies = {}
            for user, customer in complainers:
                ticket = by_customer[customer.id]
                assert ticket.slack_ts is not None
                reply = f"Sorry about that, we are on it (for {user.id})"
                await slack.driver.post_user_message(
                    reply, user=boss, channel=channel, thread_ts=ticket.slack_ts
                )
                replies[user.id] = reply

            def replies_delivered() -> bool:
                return all(
                    any(reply in (m.text or "") for m in telegram.bot_messages(uid))
                    for uid, reply in replies.items()
                )

            await wait_for(replies_delivered, deadline, "every staff reply at its customer")
            await asyncio.sleep(3)  # a second alert, relay or reply from the other instance would land by now

            # Both instances took a share of the updates and events, and neither fell over.
            for bot in (first, second):
                assert bot.process.returncode is None, bot.output()
                assert balancer.forwarded[bot.url] >= 15, balancer.forwarded

        # One ticket and one alert per complaint, none for chatter.
        found = tickets()
        assert sorted(t.customer_id for t in found) == sorted(c.id for _, c in complainers)
        assert sorted(m["ts"] for m in alerts()) == sorted(t.slack_ts for t in found if t.slack_ts)
        # Every follow-up is in its thread once; every staff reply reached its customer once.
        for user, customer in complainers:
            lines = thread(by_customer[customer.id].slack_ts or "")
            for text in sent[user.id][1:]:
                assert sum(text in line for line in lines) == 1, (text, lines)
            answered = [m.text for m in telegram.bot_messages(user.id) if replies[user.id] in (m.text or "")]
            assert len(answered) == 1, answered
        # No update was processed twice: each message is on its customer's timeline once.
        with ctx.uow() as uow:
            inbound = uow.session.exec(
                select(Interaction).where(
                    Interaction.direction == "inbound", Interaction.channel == "telegram"
                )
            ).all()
        by_person = Counter((i.customer_id, i.text) for i in inbound)
        expected = Counter((c.id, text) for user, c in people for text in sent[user.id])
        assert by_person == expected
        ctx.close()


async def start_second(directory: Path, settings: dict[str, str], *args: str) -> tuple[int, str]:
    """`retention-bot run ARGS` that is expected to stop on its own: its exit code and stderr."""
    process = await asyncio.create_subprocess_exec(
        str(BINARY),
        "run",
        *args,
        cwd=directory,
        env=clean_env({**settings, "HTTP_PORT": str(free_port())}),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("the second long-polling instance kept running") from None
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_a_second_long_polling_instance_on_one_database_is_refused_in_one_line(
    database_url: str, tmp_path: Path
) -> None:
    telegram = TelegramSandbox(flood_limits=FloodLimits.unlimited())
    async with SandboxServer(telegram) as server:
        ann = telegram.create_user("Ann", language_code="en")
        settings = {"DATABASE_URL": database_url, **telegram_settings(server)}
        only = ("--no-slack", "--no-scheduler")
        async with running_bot(tmp_path, settings, *only, parts=("telegram",)) as first:
            code, err = await start_second(tmp_path, settings, *only)
            assert code == 2, err
            [line] = err.strip().splitlines()
            assert line.startswith("error: another retention-bot run") and "TELEGRAM_WEBHOOK_URL" in line
            # The first one still runs and answers.
            assert (await first.health())["telegram"] == "running"
            before = len(telegram.bot_messages(ann.id))
            telegram.push_text(ann.id, "/start")
            await wait_for(
                lambda: len(telegram.bot_messages(ann.id)) > before,
                datetime.now(UTC) + timedelta(seconds=20),
                "an answer from the first instance",
            )
        # Once the first has stopped, another may take over.
        async with running_bot(tmp_path, settings, *only, parts=("telegram",)) as successor:
            assert (await successor.health())["telegram"] == "running"
