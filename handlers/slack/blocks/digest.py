"""The daily digest message: the conversations waiting for a reply, headline KPIs with changes, new
at-risk customers with buttons, detractors, negative feedback, kind words and tickets past their
SLA; plus the "see all" thread and the per-customer status lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.i18n import Translator
from bot.services.digest import Digest, Metric, first
from bot.services.digest_queries import Said
from bot.services.response_clock import WaitingConversation
from bot.services.risk_list import AtRiskCustomer
from bot.services.risk_reasons import describe_reason
from handlers.slack.blocks.alert import response_hours
from handlers.slack.blocks.common import (
    Block,
    actions,
    button,
    clip,
    context,
    display_name,
    divider,
    escape,
    fields,
    header,
    money,
    number,
    section,
)

ASSIGN = "digest_assign"
CONTACTED = "digest_contacted"
SNOOZE = "digest_snooze"
WINBACK = "digest_winback"
SEE_ALL = "digest_see_all"
CUSTOMER_ACTIONS = (ASSIGN, CONTACTED, SNOOZE, WINBACK)
THREAD_PAGE = 40
"""Customers per "see all" message (Block Kit allows 50 blocks)."""
THREAD_MAX = 400
"""More than this goes to `retention-bot score --detail`."""

_RATES = ("response_rate", "churn_rate")
_HOURS = ("first_response_hours",)


def button_value(customer_id: int, day: date) -> str:
    return f"{customer_id}:{day.isoformat()}"


def parse_value(value: str) -> tuple[int, date]:
    customer, _, day = value.partition(":")
    return int(customer), date.fromisoformat(day)


def metric_value(t: Translator, metric: Metric) -> str:
    value = metric.value
    if value is None:
        return "—"
    if metric.key == "nps":
        return f"{value:+.0f}"
    if metric.key in _RATES:
        return f"{100 * value:.0f}%"
    if metric.key in _HOURS:
        return f"{response_hours(t, float(value))} h"
    return number(t, int(value))


def metric_change(t: Translator, metric: Metric) -> str:
    """ "▲ +3", "▼ −2 pts", "= 0"; empty when there is nothing to compare with."""
    change = metric.change
    if change is None:
        return ""
    if metric.key in _RATES:
        change, unit = round(100 * change), " pp"
    elif metric.key == "nps":
        change, unit = round(change), ""
    elif metric.key in _HOURS:
        change, unit = round(change, 1), " h"
    else:
        change, unit = int(change), ""
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    sign = "+" if change > 0 else ""
    return f"{arrow} {sign}{number(t, change)}{unit}"


def digest_text(t: Translator, digest: Digest) -> str:
    return t.format(
        "slack.digest.text", date=t.format_date(digest.day, "medium"), count=len(digest.new_at_risk)
    )


def customer_title(row: AtRiskCustomer) -> str:
    return f"*{display_name(row.name, row.external_id)}* (`{escape(row.external_id)}`)"


def customer_section(t: Translator, rank: int, row: AtRiskCustomer) -> Block:
    facts = t.format("slack.digest.facts", value=money(t, row.value_at_risk), p_alive=number(t, row.p_alive))
    reasons = "\n".join(f"• {escape(describe_reason(r, t))}" for r in row.reasons)
    return section(
        f"{rank}. {customer_title(row)} · {facts}\n{reasons}", block_id=f"digest_c_{row.customer_id}"
    )


def customer_buttons(t: Translator, row: AtRiskCustomer) -> Block:
    value = button_value(row.customer_id, row.as_of)
    return actions(
        f"digest_a_{row.customer_id}",
        button(t.format("slack.digest.assign"), ASSIGN, value),
        button(t.format("slack.digest.contacted"), CONTACTED, value),
        button(t.format("slack.digest.snooze"), SNOOZE, value),
        button(t.format("slack.digest.winback"), WINBACK, value, style="primary"),
    )


def digest_blocks(t: Translator, digest: Digest) -> list[Block]:
    compared = "slack.digest.compared_digest" if digest.compared_with_digest else "slack.digest.compared_day"
    pairs = []
    for metric in digest.metrics:
        change = metric_change(t, metric)
        pairs.append(
            (
                t.format(f"slack.digest.kpi.{metric.key}"),
                metric_value(t, metric) + (f"  {change}" if change else ""),
            )
        )
    blocks: list[Block] = [
        header(t.format("slack.digest.header", date=t.format_date(digest.day, "medium"))),
        waiting_section(t, digest.waiting),
        divider(),
        context(t.format(compared)),
        fields(pairs),
        divider(),
    ]
    blocks.extend(_at_risk(t, digest))
    blocks.append(divider())
    blocks.append(_said(t, "detractors", digest.detractors))
    blocks.append(_said(t, "feedback", digest.negative_feedback))
    blocks.append(_said(t, "kind_words", digest.kind_words))
    blocks.append(_tickets(t, digest))
    return blocks


def waiting_line(t: Translator, item: WaitingConversation, *, viewer_slack_id: str | None = None) -> str:
    """One conversation waiting for a reply: who, its kind, business hours waited of its target,
    "unassigned" (or, for the viewer of App Home, "yours"), and a mark when it is past the target.
    No mention: the overdue thread line pings the assignee once; a daily list should not."""
    kind = item.kind if item.kind in ("complaint", "question", "request") else "complaint"
    line = t.format(
        "slack.waiting.line",
        ticket=item.ticket_id,
        name=display_name(item.name, item.external_id),
        kind=t.format(f"slack.conversation.kind.{kind}"),
        waited=response_hours(t, item.waited_hours),
        hours=response_hours(t, item.target_hours),
    )
    if item.assignee_slack_id is None:
        line += " · " + t.format("slack.waiting.unassigned")
    elif item.assignee_slack_id == viewer_slack_id:
        line += " · " + t.format("slack.waiting.yours")
    if item.overdue:
        line += " · " + t.format("slack.waiting.overdue")
    return line


def waiting_section(t: Translator, waiting: Sequence[WaitingConversation]) -> Block:
    """The digest's first section (SPEC §8): every conversation waiting for a reply, oldest first."""
    if not waiting:
        return section(t.format("slack.digest.no_waiting"))
    shown, rest = first(waiting)
    lines = ["• " + waiting_line(t, item) for item in shown]
    if rest:
        lines.append(t.format("slack.digest.more", count=rest))
    return section(t.format("slack.digest.waiting", count=len(waiting)) + "\n" + "\n".join(lines))


def _at_risk(t: Translator, digest: Digest) -> list[Block]:
    if digest.scored_on != digest.day:
        reason = escape(digest.scoring_error or t.format("slack.digest.no_snapshot"))
        return [section(t.format("slack.digest.not_scored", reason=reason))]
    rows, rest = first(digest.new_at_risk)
    if not rows:
        return [section(t.format("slack.digest.no_new_at_risk"))]
    blocks = [section(t.format("slack.digest.new_at_risk", count=len(digest.new_at_risk)))]
    for rank, row in enumerate(rows, start=1):
        blocks += [customer_section(t, rank, row), customer_buttons(t, row)]
    if rest:
        blocks.append(context(t.format("slack.digest.more", count=rest)))
        see_all = t.format("slack.digest.see_all", count=len(digest.new_at_risk))
        blocks.append(actions("digest_see_all", button(see_all, SEE_ALL, digest.day.isoformat())))
    return blocks


def _said(t: Translator, kind: str, items: Sequence[Said]) -> Block:
    if not items:
        return section(t.format(f"slack.digest.no_{kind}"))
    shown, rest = first(items)
    lines = []
    for item in shown:
        score = f"*{item.score}* · " if item.score is not None else ""
        said = f": _{escape(clip(item.text.strip(), 150))}_" if item.text.strip() else ""
        lines.append(
            f"• {score}{display_name(item.name, item.external_id)} (`{escape(item.external_id)}`){said}"
        )
    if rest:
        lines.append(t.format("slack.digest.more", count=rest))
    return section(t.format(f"slack.digest.{kind}", count=len(items)) + "\n" + "\n".join(lines))


def _tickets(t: Translator, digest: Digest) -> Block:
    hours = number(t, digest.sla_hours, 0)
    if not digest.overdue_tickets:
        return section(t.format("slack.digest.no_tickets", hours=hours))
    shown, rest = first(digest.overdue_tickets)
    lines = [
        "• "
        + t.format(
            "slack.digest.ticket_line",
            ticket=ticket.ticket_id,
            name=display_name(ticket.name, ticket.external_id),
            hours=number(t, round(ticket.hours_open)),
        )
        + (f": _{escape(clip(ticket.text.strip(), 120))}_" if ticket.text.strip() else "")
        for ticket in shown
    ]
    if rest:
        lines.append(t.format("slack.digest.more", count=rest))
    title = t.format("slack.digest.tickets", hours=hours, count=len(digest.overdue_tickets))
    return section(title + "\n" + "\n".join(lines))


def all_at_risk_pages(t: Translator, rows: Sequence[AtRiskCustomer], day: date) -> list[list[Block]]:
    """The full list for the digest's thread, a page of blocks per message."""
    shown = list(rows[:THREAD_MAX])
    pages: list[list[Block]] = []
    for start in range(0, len(shown), THREAD_PAGE):
        page = [
            customer_section(t, start + i + 1, row)
            for i, row in enumerate(shown[start : start + THREAD_PAGE])
        ]
        pages.append(page)
    if not pages:
        pages.append([])
    pages[0].insert(
        0, section(t.format("slack.digest.all_header", date=t.format_date(day, "medium"), count=len(rows)))
    )
    if len(rows) > THREAD_MAX:
        pages[-1].append(context(t.format("slack.digest.all_more", count=len(rows) - THREAD_MAX)))
    return pages


def with_status(blocks: list[dict[str, Any]], customer_id: int, line: str) -> list[dict[str, Any]]:
    """The message's blocks with `line` added under the customer's buttons (the latest ten kept)."""
    status_id, actions_id = f"digest_s_{customer_id}", f"digest_a_{customer_id}"
    out = [dict(b) for b in blocks]
    for block in out:
        if block.get("block_id") == status_id:
            elements = [*block.get("elements", []), {"type": "mrkdwn", "text": line}]
            block["elements"] = elements[-10:]
            return out
    for index, block in enumerate(out):
        if block.get("block_id") == actions_id:
            status = context(line)
            status["block_id"] = status_id
            out.insert(index + 1, status)
            return out
    return out
