"""The real Slack component (Bolt AsyncApp on the shared HTTP app) wired to the sandbox Slack and a
real database, for the `tests/e2e/test_slack_*` suites."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.clock import ManualClock
from bot.context import AppContext
from bot.sandbox.slack import AppResponse, LoopbackServer, SlackDriver, SlackSandbox, Workspace
from bot.services.loyalty import current_balance
from bot.web import build_web_app
from handlers.slack import SlackComponent
from tests.conftest import make_context

SECRET = "e2e-slack-signing-secret"
E = TypeVar("E")


@dataclass
class SlackWorld:
    ctx: AppContext
    sandbox: SlackSandbox
    component: SlackComponent
    channel: str
    boss: str
    """An admin (SLACK_ADMIN_USER_IDS)."""
    alice: str
    """A staff member who is not an admin."""
    url: str
    events: list[object] = field(default_factory=list)

    @property
    def driver(self) -> SlackDriver:
        return self.sandbox.driver

    async def settle(self) -> None:
        """Wait until the work started after the acks, and the deliveries of the events it committed
        (and the work those start), are done."""
        background = self.component.deps.background
        while True:
            await background.drain(10.0)
            await self.ctx.outbox.drain(10.0)
            if not background.pending:
                return

    async def crm(self, text: str, *, user: str | None = None, channel: str | None = None) -> AppResponse:
        """`/crm text`, then wait for its work; the ack must have come well within Slack's 3 s."""
        response = await self.driver.send_slash_command(
            "/crm", text, user=user or self.alice, channel=channel or self.channel
        )
        assert response.status == 200, response
        await self.settle()
        return response

    def last_ephemeral(self, user: str | None = None) -> dict[str, Any]:
        shown = self.driver.ephemerals(user=user or self.alice)
        assert shown, "no ephemeral message"
        return shown[-1]

    def record(self, *event_types: type) -> None:
        """Keep the domain events of these types the outbox delivers for Slack (a real subscriber, not
        a mock)."""

        async def keep(event: object) -> None:
            self.events.append(event)

        for event_type in event_types:
            self.ctx.bus.subscribe(event_type, keep, destination="slack")

    def recorded(self, event_type: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, event_type)]

    def app_messages(self, thread_ts: str | None = None) -> list[dict[str, Any]]:
        bot = self.sandbox.state.ws.bot_id
        return [m for m in self.driver.messages(self.channel, thread_ts=thread_ts) if m.get("bot_id") == bot]


def shown(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: its text and the texts in its blocks."""
    return json.dumps([message.get("text"), message.get("blocks")], ensure_ascii=False)


def balance(world: SlackWorld, customer_id: int) -> int:
    return current_balance(world.ctx.uow(), world.ctx.clock, customer_id).spendable


@asynccontextmanager
async def slack_world(
    database_url: str,
    clock: ManualClock,
    *,
    before_start: Callable[[AppContext], None] | None = None,
    relay_tick_seconds: float | None = None,
    **settings: Any,
) -> AsyncIterator[SlackWorld]:
    """`relay_tick_seconds`: the component's own relay tick (off by default: tests call
    `component.poster.relay_held()` after moving the clock)."""
    async with SlackSandbox(Workspace(signing_secret=SECRET)) as sandbox:
        driver = sandbox.driver
        boss = driver.add_user("boss", real_name="Bea Boss")
        alice = driver.add_user("alice", real_name="Alice Liddell")
        channel = driver.add_channel("retention-team", members=[boss, alice])
        options: dict[str, Any] = {
            "slack_bot_token": sandbox.state.ws.bot_token,
            "slack_signing_secret": SECRET,
            "slack_api_base_url": sandbox.api_url,
            "slack_team_channel": channel,
            "slack_admin_user_ids": boss,
            **settings,
        }
        ctx = make_context(database_url, clock, **options)
        if before_start is not None:
            before_start(ctx)
        component = SlackComponent(ctx, relay_tick_seconds=relay_tick_seconds)
        status: dict[str, str] = {}
        try:
            async with LoopbackServer(build_web_app(ctx, component.routes, status)) as web:
                await component.start()
                driver.connect_app(f"{web.url}/slack/events")
                try:
                    yield SlackWorld(ctx, sandbox, component, channel, boss, alice, web.url)
                finally:
                    await component.stop()
        finally:
            ctx.close()
