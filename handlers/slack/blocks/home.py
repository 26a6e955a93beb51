"""The App Home tab: KPIs, the conversations waiting for a reply (the viewer's and the unassigned,
oldest first), the viewer's assigned customers, open tickets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.services.response_clock import WaitingConversation
from bot.services.staff_home import AssignedCustomer
from handlers.slack.blocks.common import (
    Block,
    clip,
    context,
    display_name,
    divider,
    escape,
    fields,
    header,
    section,
    when,
)
from handlers.slack.blocks.digest import waiting_line
from storage.models import Customer, Ticket

BLOCK_LIMIT = 100
WAITING_SHOWN = 20


def _age(t: Translator, since: datetime, now: datetime) -> str:
    hours = max(0, int((now - since).total_seconds() // 3600))
    if hours >= 48:
        return t.format("slack.home.age_days", days=hours // 24)
    return t.format("slack.home.age_hours", hours=hours)


def home_view(
    t: Translator,
    *,
    kpis: Sequence[tuple[str, str]],
    kpi_note: str,
    assigned: Sequence[AssignedCustomer],
    waiting: Sequence[WaitingConversation] = (),
    viewer_slack_id: str | None = None,
    tickets: Sequence[tuple[Ticket, Customer]],
    now: datetime,
    tz: ZoneInfo,
) -> dict[str, Any]:
    blocks: list[Block] = [header(t.format("slack.home.kpis"))]
    blocks.append(fields(list(kpis)) if kpis else section(t.format("slack.home.no_kpis")))
    if kpi_note:
        blocks.append(context(kpi_note))
    blocks += [divider(), header(t.format("slack.home.waiting"))]
    if not waiting:
        blocks.append(section(t.format("slack.home.no_waiting")))
    for item in waiting[:WAITING_SHOWN]:
        line = waiting_line(t, item, viewer_slack_id=viewer_slack_id)
        text = clip(escape(" ".join(item.text.split())), 200)
        blocks.append(section(f"{line}\n{text}" if text else line))
    if len(waiting) > WAITING_SHOWN:
        blocks.append(context(t.format("slack.digest.more", count=len(waiting) - WAITING_SHOWN)))
    blocks += [divider(), header(t.format("slack.home.assigned"))]
    if not assigned:
        blocks.append(section(t.format("slack.home.none_assigned")))
    for row in assigned[:20]:
        c = row.customer
        line = f"*{display_name(c.name, c.external_id)}* (`{escape(c.external_id)}`)"
        if row.snoozed_until and row.snoozed_until > now:
            line += " · " + t.format("slack.home.snoozed", date=when(t, row.snoozed_until, tz))
        if row.last_contacted_at:
            line += " · " + t.format("slack.home.contacted", date=when(t, row.last_contacted_at, tz))
        blocks.append(section(line))
    blocks += [divider(), header(t.format("slack.home.open_tickets"))]
    if not tickets:
        blocks.append(section(t.format("slack.home.no_tickets")))
    for ticket, customer in tickets:
        name = display_name(customer.name, customer.external_id)
        text = clip(escape(" ".join(ticket.text.split())), 200)
        blocks.append(section(f"*#{ticket.id}* · {name} · {_age(t, ticket.opened_at, now)}\n{text}"))
    return {"type": "home", "blocks": blocks[:BLOCK_LIMIT]}
