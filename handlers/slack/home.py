"""App Home: published for the viewer each time they open the Home tab (app_home_opened)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.alerts import open_tickets
from bot.services.response_clock import waiting_for_reply
from bot.services.staff_home import assigned_customers
from handlers.slack.blocks.home import home_view
from handlers.slack.deps import SlackDeps
from handlers.slack.kpi_view import home_kpis

OPEN_TICKETS_SHOWN = 10


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home":
            deps.background.spawn(publish_home(deps, client, str(event["user"])), name="app-home")

    app.event("app_home_opened")(opened)


async def publish_home(deps: SlackDeps, client: AsyncWebClient, user_id: str) -> None:
    person, t = await deps.person(client, user_id)
    ctx = deps.ctx
    staff = await deps.staff(person)
    assert staff.id is not None
    assigned = await ctx.call(assigned_customers, staff.id)
    tickets = await ctx.call(open_tickets, OPEN_TICKETS_SHOWN)
    waiting = await ctx.call(
        waiting_for_reply, ctx.rules, ctx.settings.tz, ctx.clock.now(), viewer_staff_id=staff.id
    )
    kpis, note = await home_kpis(deps, t)
    view = home_view(
        t,
        kpis=kpis,
        kpi_note=note,
        assigned=assigned,
        waiting=waiting,
        viewer_slack_id=user_id,
        tickets=tickets,
        now=ctx.clock.now(),
        tz=ctx.settings.tz,
    )
    await client.views_publish(user_id=user_id, view=view)
