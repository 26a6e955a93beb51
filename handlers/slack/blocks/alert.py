"""The real-time alert (one per open ticket, updated in place), its thread lines and its modals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.rules import ResponseTargets
from bot.i18n import Translator
from bot.services.alerts import AlertView
from handlers.slack.blocks.common import (
    Block,
    actions,
    button,
    clip,
    context,
    display_name,
    escape,
    mention,
    mention_actor,
    number,
    plain,
    quote,
    section,
    when,
)

REPLY = "alert_reply"
ASSIGN = "alert_assign"
CONTACTED = "alert_contacted"
SNOOZE = "alert_snooze"
RESOLVE = "alert_resolve"
REPLY_VIEW = "alert_reply_view"
SNOOZE_VIEW = "alert_snooze_view"
REPLY_MAX = 3000


MARKER_EVENT = "retention_alert"
LINE_EVENT = "retention_thread_line"
"""The event_type of the metadata every alert carries, so a post Slack did not answer can be found."""


def marker(view: AlertView) -> dict[str, Any]:
    """The alert's message metadata: its ticket, and when it opened (ids restart with a new database)."""
    payload = {"ticket_id": view.ticket.id, "opened_at": view.ticket.opened_at.isoformat()}
    return {"event_type": MARKER_EVENT, "event_payload": payload}


def line_marker(outbox_row: int, part: int = 0) -> dict[str, Any]:
    """A thread line's message metadata: the outbox row it delivers (and which of that event's lines
    it is, for an event that posts several), so a retry after a post Slack did not answer finds the
    line if it landed, rather than posting it twice."""
    payload: dict[str, Any] = {"outbox_row": outbox_row}
    if part:
        payload["part"] = part
    return {"event_type": LINE_EVENT, "event_payload": payload}


def is_alert_for(message: dict[str, Any], view: AlertView) -> bool:
    """Whether a message from conversations.history (with include_all_metadata) is this ticket's alert."""
    meta = message.get("metadata") or {}
    return (
        meta.get("event_type") == MARKER_EVENT and meta.get("event_payload") == marker(view)["event_payload"]
    )


def button_value(view: AlertView) -> str:
    """The ticket and the state the buttons were drawn for (a double click on one state is one click)."""
    return f"{view.ticket.id}:{view.revision}"


def parse_value(value: str) -> tuple[int, str]:
    ticket, _, revision = value.partition(":")
    return int(ticket), revision


KINDS = ("complaint", "question", "request")
"""The kinds of conversation an alert names (anything else is shown as a complaint)."""


def _kind(view: AlertView) -> str:
    return view.ticket.kind if view.ticket.kind in KINDS else "complaint"


def _who(t: Translator, view: AlertView) -> str:
    c = view.customer
    if c.unknown_contact:
        return unknown_contact(t, c.name, view.telegram_username)
    return f"*{display_name(c.name, c.external_id)}* (`{escape(c.external_id)}`)"


def unknown_contact(t: Translator, name: str | None, username: str | None) -> str:
    """A chat not linked to a customer: its Telegram name and @username, and that it is unknown."""
    shown = f"*{escape(name)}*" if name else t.format("slack.alert.no_name")
    if username:
        return t.format("slack.alert.unknown_contact", name=shown, username=escape(f"@{username}"))
    return t.format("slack.alert.unknown_contact_no_username", name=shown)


def alert_text(t: Translator, view: AlertView) -> str:
    """The notification text (and what screen readers say)."""
    name = display_name(view.customer.name, view.customer.external_id)
    nps = view.latest_nps
    if view.ticket.source == "survey" and nps is not None:
        return t.format("slack.alert.detractor_text", name=name, score=nps.score)
    if view.ticket.source == "faq":
        return t.format("slack.alert.faq_text", name=name, ticket=view.ticket.id)
    if _kind(view) == "complaint":
        return t.format("slack.alert.ticket_text", name=name, ticket=view.ticket.id)
    return t.format(f"slack.alert.{_kind(view)}_text", name=name, ticket=view.ticket.id)


def _headline(t: Translator, view: AlertView) -> list[Block]:
    ticket, nps = view.ticket, view.latest_nps
    if ticket.source == "survey" and nps is not None:
        head = t.format("slack.alert.detractor", who=_who(t, view), score=nps.score, ticket=ticket.id)
        said = quote(nps.comment) if nps.comment else t.format("slack.alert.waiting_reason")
        return [section(f"{head}\n{said}")]
    faq = ticket.source == "faq"
    head = t.format(
        "slack.alert.faq_question" if faq else f"slack.alert.{_kind(view)}",
        who=_who(t, view),
        ticket=ticket.id,
    )
    blocks = [section(f"{head}\n{quote(ticket.text)}" if ticket.text else head)]
    if faq:  # the bot answered from the FAQ first; the customer tapped "Talk to a person"
        blocks.append(context(t.format("slack.alert.faq_asked_person")))
    if nps is not None:
        blocks.append(context(t.format("slack.alert.latest_nps", score=nps.score)))
    return blocks


def _status(
    t: Translator, view: AlertView, tz: ZoneInfo, relay_all: bool, targets: ResponseTargets | None
) -> list[str]:
    lines = []
    ticket = view.ticket
    if ticket.status == "open" and ticket.overdue_at is not None and ticket.first_response_at is None:
        since = ticket.overdue_at.astimezone(tz)
        if targets is not None:
            target = response_hours(t, targets.for_kind(ticket.kind).total_seconds() / 3600)
            lines.append(
                t.format("slack.alert.overdue", hours=target, date=when(t, since, tz), time=f"{since:%H:%M}")
            )
        else:
            lines.append(
                t.format("slack.alert.overdue_no_target", date=when(t, since, tz), time=f"{since:%H:%M}")
            )
    if view.ticket.status == "resolved":
        lines.append(
            t.format(
                "slack.alert.resolved",
                who=mention_actor(view.ticket.resolved_by),
                date=when(t, view.ticket.resolved_at, tz),
            )
        )
    if view.assignee_slack_id:
        lines.append(t.format("slack.alert.assigned", who=mention(view.assignee_slack_id)))
    if view.last_contacted_at:
        lines.append(
            t.format(
                "slack.alert.contacted",
                who=mention(view.contacted_by_slack_id),
                date=when(t, view.last_contacted_at, tz),
            )
        )
    if view.snoozed_until:
        lines.append(
            t.format(
                "slack.alert.snoozed",
                date=when(t, view.snoozed_until, tz),
                reason=escape(clip(view.snooze_reason or "", 200)),
            )
        )
    if view.customer.unknown_contact:
        lines.append(t.format("slack.alert.unknown_contact_hint"))
    if view.ticket.relay_paused_at is not None and view.ticket.status == "open":
        since = view.ticket.relay_paused_at.astimezone(tz)
        lines.append(t.format("slack.alert.relay_paused", time=f"{since:%H:%M}"))
    if not view.reachable:
        lines.append(t.format("slack.alert.unreachable"))
    elif view.ticket.status == "open":
        lines.append(t.format("slack.alert.thread_all" if relay_all else "slack.alert.thread_notes"))
    return lines


def alert_blocks(
    t: Translator,
    view: AlertView,
    tz: ZoneInfo,
    *,
    relay_all: bool,
    targets: ResponseTargets | None = None,
) -> list[Block]:
    """The alert; `targets`: the rules' first-response targets, named when it is overdue."""
    blocks = _headline(t, view)
    status = _status(t, view, tz, relay_all, targets)
    if status:
        blocks.append(context(*status))
    if view.ticket.status == "open":
        value = button_value(view)
        blocks.append(
            actions(
                f"alert-{view.ticket.id}",
                button(t.format("slack.alert.reply"), REPLY, value, style="primary"),
                button(t.format("slack.alert.assign"), ASSIGN, value),
                button(t.format("slack.alert.contacted_button"), CONTACTED, value),
                button(t.format("slack.alert.snooze"), SNOOZE, value),
                button(t.format("slack.alert.resolve"), RESOLVE, value, style="danger"),
            )
        )
    return blocks


def customer_said(t: Translator, view: AlertView, text: str) -> str:
    """A customer's message, relayed into the ticket's thread."""
    name = display_name(view.customer.name, view.customer.external_id)
    return t.format("slack.thread.customer_said", name=name) + "\n" + quote(text, 2900)


COMBINED_MAX = 38_000
"""Characters of one combined post (Slack cuts a message's text at 40,000)."""


def customer_said_many(
    t: Translator, view: AlertView, messages: Sequence[tuple[datetime, str]], tz: ZoneInfo
) -> str:
    """Several messages the customer sent in a short time, in one thread post, each with its time."""
    name = display_name(view.customer.name, view.customer.external_id)
    first, last = messages[0][0].astimezone(tz), messages[-1][0].astimezone(tz)
    head = t.format(
        "slack.thread.customer_said_many",
        name=name,
        count=len(messages),
        first=first.strftime("%H:%M:%S"),
        last=last.strftime("%H:%M:%S"),
    )
    budget = max(200, (COMBINED_MAX - len(head)) // len(messages))
    lines = [f"`{at.astimezone(tz):%H:%M:%S}`\n{quote(text, budget)}" for at, text in messages]
    return head + "\n" + "\n".join(lines)


def response_hours(t: Translator, hours: float) -> str:
    """A target or a wait in hours, as short as it reads: 4, 0.5, 7.3."""
    return number(t, round(hours, 1) if hours >= 1 else round(hours, 2), 2)


def overdue(t: Translator, view: AlertView, target_hours: float) -> str:
    """The thread line when a conversation passes its first-response target: the assignee is
    mentioned (Slack notifies them); unassigned, the line says nobody has it yet."""
    hours = response_hours(t, target_hours)
    ticket = view.ticket.id
    if view.assignee_slack_id:
        return t.format(
            "slack.thread.overdue", who=mention(view.assignee_slack_id), ticket=ticket, hours=hours
        )
    return t.format("slack.thread.overdue_unassigned", ticket=ticket, hours=hours)


def relay_paused(t: Translator, view: AlertView) -> str:
    name = display_name(view.customer.name, view.customer.external_id)
    return t.format("slack.thread.relay_paused", name=name)


def linked(t: Translator, view: AlertView) -> str:
    """The thread line when an unknown contact's chat is linked and its conversation moves."""
    return t.format("slack.thread.linked", who=_who(t, view))


def reply_sent(t: Translator, view: AlertView, staff_user_id: str, text: str) -> str:
    name = display_name(view.customer.name, view.customer.external_id)
    return (
        t.format("slack.thread.reply_sent", who=mention(staff_user_id), name=name) + "\n" + quote(text, 2900)
    )


def metadata(**values: Any) -> str:
    return json.dumps(values, separators=(",", ":"))


def reply_modal(t: Translator, view: AlertView, first_line: str, private_metadata: str) -> dict[str, Any]:
    """What will be sent, exactly: the first line the customer's app shows, then the text typed here."""
    name = display_name(view.customer.name, view.customer.external_id)
    return {
        "type": "modal",
        "callback_id": REPLY_VIEW,
        "private_metadata": private_metadata,
        "title": plain(t.format("slack.reply.title"), 24),
        "submit": plain(t.format("slack.reply.send"), 24),
        "close": plain(t.format("slack.reply.cancel"), 24),
        "blocks": [
            section(t.format("slack.reply.intro", name=name)),
            context(t.format("slack.reply.first_line", line=escape(first_line))),
            {
                "type": "input",
                "block_id": "reply",
                # plain_text shows characters as they are: the raw name, not the mrkdwn-escaped one
                "label": plain(
                    t.format("slack.reply.label", name=view.customer.name or view.customer.external_id)
                ),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": REPLY_MAX,
                },
            },
            context(t.format("slack.reply.notes_stay_internal")),
        ],
    }


def snooze_modal(t: Translator, view: AlertView, initial: date, private_metadata: str) -> dict[str, Any]:
    name = display_name(view.customer.name, view.customer.external_id)
    return {
        "type": "modal",
        "callback_id": SNOOZE_VIEW,
        "private_metadata": private_metadata,
        "title": plain(t.format("slack.snooze.title"), 24),
        "submit": plain(t.format("slack.snooze.submit"), 24),
        "close": plain(t.format("slack.reply.cancel"), 24),
        "blocks": [
            section(t.format("slack.snooze.intro", name=name)),
            {
                "type": "input",
                "block_id": "until",
                "label": plain(t.format("slack.snooze.until")),
                "element": {"type": "datepicker", "action_id": "date", "initial_date": initial.isoformat()},
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": plain(t.format("slack.snooze.reason")),
                "element": {"type": "plain_text_input", "action_id": "text", "max_length": 500},
            },
        ],
    }
