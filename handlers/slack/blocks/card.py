"""The customer card (`/crm find`), the pick list for several matches, and the merge confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.services.customer_card import CustomerCard
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
    quote,
    section,
    sentiment_label,
    when,
)
from storage.models import Customer, Interaction

PICK_ACTION = "crm_pick"
MERGE_CONFIRM = "crm_merge_confirm"
MERGE_CANCEL = "crm_merge_cancel"
PICK_LIMIT = 10


def contact_line(customer: Customer) -> str:
    parts = [escape(p) for p in (customer.phone, customer.email) if p]
    return " · ".join(parts) or "—"


def _interaction_line(t: Translator, item: Interaction, tz: ZoneInfo) -> str:
    label = sentiment_label(t, item.sentiment)
    mood = f" · {label}" if label else ""
    text = clip(escape(" ".join(item.text.split())), 160) if item.text else ""
    return f"• {when(t, item.created_at, tz)} · {escape(item.kind)} ({escape(item.channel)}){mood}: {text}"


def customer_card(t: Translator, card: CustomerCard, tz: ZoneInfo) -> list[Block]:
    c, snap = card.customer, card.snapshot
    points = number(t, card.balance.spendable)
    if card.balance.pending:
        points += " " + t.format("slack.card.pending", points=number(t, card.balance.pending))
    not_scored = t.format("slack.card.not_scored")
    blocks: list[Block] = [
        header(c.name or c.external_id),
        fields(
            [
                (t.format("slack.card.id"), f"`{escape(c.external_id)}`"),
                (t.format("slack.card.contact"), contact_line(c)),
                (t.format("slack.card.tier"), escape(card.tier)),
                (t.format("slack.card.points"), points),
                (
                    t.format("slack.card.segment"),
                    escape(snap.segment) if snap and snap.segment else not_scored,
                ),
                (t.format("slack.card.stage"), escape(snap.stage) if snap and snap.stage else not_scored),
                (t.format("slack.card.p_alive"), number(t, snap.p_alive) if snap else "—"),
                (t.format("slack.card.clv"), money(t, snap.clv) if snap else "—"),
            ]
        ),
    ]
    nps = card.last_nps
    if nps is None:
        blocks.append(section(t.format("slack.card.no_nps")))
    else:
        line = t.format("slack.card.nps", score=nps.score, date=when(t, nps.answered_at, tz))
        blocks.append(section(line + ("\n" + quote(nps.comment) if nps.comment else "")))
    if card.open_tickets:
        lines = [
            f"• #{ticket.id} · {when(t, ticket.opened_at, tz)} · {clip(escape(ticket.text), 200)}"
            for ticket in card.open_tickets
        ]
        blocks.append(section(t.format("slack.card.open_tickets") + "\n" + "\n".join(lines)))
    else:
        blocks.append(section(t.format("slack.card.no_tickets")))
    history = [_interaction_line(t, i, tz) for i in card.recent]
    blocks.append(
        section(
            t.format("slack.card.recent") + "\n" + ("\n".join(history) or t.format("slack.card.no_history"))
        )
    )
    linked = t.format(
        "slack.card.telegram_linked" if card.telegram_linked else "slack.card.telegram_not_linked"
    )
    scored = t.format("slack.card.scored_on", date=t.format_date(snap.as_of, "medium")) if snap else ""
    blocks.append(context(linked, scored))
    return blocks


def pick_list(t: Translator, query: str, customers: Sequence[Customer]) -> list[Block]:
    blocks: list[Block] = [section(t.format("slack.pick.header", query=escape(query), count=len(customers)))]
    for customer in customers[:PICK_LIMIT]:
        assert customer.id is not None
        line = f"*{display_name(customer.name, customer.external_id)}* · `{escape(customer.external_id)}`"
        blocks.append(
            section(
                f"{line}\n{contact_line(customer)}",
                block_id=f"pick-{customer.id}",
                accessory=button(t.format("slack.pick.open"), PICK_ACTION, str(customer.id)),
            )
        )
    return blocks


def merge_confirmation(t: Translator, keep: CustomerCard, duplicate: CustomerCard) -> list[Block]:
    def summary(card: CustomerCard) -> str:
        c = card.customer
        linked = t.format(
            "slack.card.telegram_linked" if card.telegram_linked else "slack.card.telegram_not_linked"
        )
        return (
            f"*{display_name(c.name, c.external_id)}* · `{escape(c.external_id)}`\n"
            f"{contact_line(c)}\n{t.format('slack.merge.points', points=card.balance.spendable)} · {linked}"
        )

    assert keep.customer.id is not None and duplicate.customer.id is not None
    value = f"{keep.customer.id}:{duplicate.customer.id}"
    return [
        section(t.format("slack.merge.question")),
        fields(
            [
                (t.format("slack.merge.keep"), summary(keep)),
                (t.format("slack.merge.duplicate"), summary(duplicate)),
            ]
        ),
        section(t.format("slack.merge.explain")),
        divider(),
        actions(
            "merge",
            button(t.format("slack.merge.confirm"), MERGE_CONFIRM, value, style="danger"),
            button(t.format("slack.merge.cancel"), MERGE_CANCEL, value),
        ),
    ]
