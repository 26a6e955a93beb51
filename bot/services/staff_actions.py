"""What staff do from Slack, as one transaction each: the claim that makes a retry or a double
click a no-op commits (or rolls back) together with the change it guards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.events import PointsAdjusted
from bot.services import follow_ups, tickets
from bot.services.alerts import customer_reachable
from bot.services.audit import record_audit
from bot.services.authorization import Role, check_staff_purchase
from bot.services.errors import InvalidInput
from bot.services.inbound import claim_inbound
from bot.services.interactions import log_interaction
from bot.services.ledger import Balance
from bot.services.loyalty import adjust_points, current_balance
from bot.services.purchases import RecordedPurchase, record_purchase
from storage import repositories as repo
from storage.models import Interaction, PointsEntry, Ticket
from storage.uow import UnitOfWork

PLATFORM = "slack"
LOG_KINDS: dict[str, tuple[str, str]] = {
    "call": ("phone", "inbound"),
    "visit": ("visit", "inbound"),
    "email": ("email", "inbound"),
    "note": ("note", "internal"),
}
"""`/crm log` kind → (timeline channel, direction): a note is staff-only, the rest are contacts."""

AlertAction = Literal["assign", "contacted", "resolve"]
ThreadResult = Literal["noted", "sent", "noted_unreachable", "duplicate"]


@dataclass(frozen=True)
class Adjustment:
    entry: PointsEntry
    created: bool
    balance: Balance


@dataclass(frozen=True)
class ThreadOutcome:
    ticket: Ticket
    result: ThreadResult


def adjust_points_and_notify(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    delta: int,
    reason: str,
    note: str,
    quiet: bool,
    actor: str,
    actor_is_admin: bool,
    idempotency_key: str,
) -> Adjustment:
    """An admin's audited adjustment; unless `quiet` the customer is told (PointsAdjusted, with `note`).

    The reason stays internal (ledger and audit); only `note` is meant for the customer.
    """
    with uow:
        entry, created = adjust_points(
            uow,
            clock,
            rules,
            customer_id=customer_id,
            delta=delta,
            reason=reason,
            actor=actor,
            actor_is_admin=actor_is_admin,
            idempotency_key=idempotency_key,
        )
        if created and not quiet:
            uow.emit(PointsAdjusted(customer_id=customer_id, delta=delta, note=note.strip()))
        return Adjustment(entry, created, current_balance(uow, clock, customer_id))


def log_staff_interaction(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    staff_id: int,
    kind: str,
    text: str,
    actor: str,
    source_event_id: str | None = None,
) -> tuple[Interaction, bool]:
    """A call, visit, email or note a staff member records on the customer's timeline (with sentiment),
    audited (the kind, not the words: an audit entry outlives an erasure's edits less easily)."""
    if kind not in LOG_KINDS:
        raise InvalidInput(f"unknown kind {kind!r}: use {', '.join(LOG_KINDS)}")
    if not text.strip():
        raise InvalidInput("say what happened")
    channel, direction = LOG_KINDS[kind]
    with uow:
        if repo.customer_by_id(uow.session, customer_id) is None:
            raise InvalidInput(f"no customer {customer_id}")
        logged, created = log_interaction(
            uow,
            clock,
            customer_id=customer_id,
            channel=channel,
            direction=direction,
            kind=kind,
            text=text.strip(),
            staff_id=staff_id,
            source_event_id=source_event_id,
        )
        if created:
            record_audit(
                uow, actor=actor, action="interaction.log", at=clock.now(), customer_id=customer_id, kind=kind
            )
        return logged, created


def act_on_alert(
    uow: UnitOfWork,
    clock: Clock,
    *,
    key: str,
    ticket_id: int,
    action: AlertAction,
    staff_id: int,
    actor: str,
) -> bool:
    """Assign, mark contacted or resolve from an alert button, once per `key` (False: a repeat)."""
    with uow:
        if not claim_inbound(uow, platform=PLATFORM, key=key, now=clock.now()):
            return False
        ticket = tickets.get_ticket(uow, ticket_id)
        if action == "assign":
            follow_ups.assign(uow, clock, customer_id=ticket.customer_id, staff_id=staff_id, actor=actor)
        elif action == "contacted":
            follow_ups.mark_contacted(
                uow, clock, customer_id=ticket.customer_id, staff_id=staff_id, actor=actor
            )
        else:
            tickets.resolve_ticket(uow, clock, ticket_id=ticket_id, actor=actor)
        return True


def snooze_from_alert(
    uow: UnitOfWork,
    clock: Clock,
    *,
    key: str,
    ticket_id: int,
    until: datetime,
    reason: str,
    actor: str,
) -> bool:
    """The Snooze… modal: keep the ticket's customer out of alerts until `until` (False: a repeat)."""
    with uow:
        if not claim_inbound(uow, platform=PLATFORM, key=key, now=clock.now()):
            return False
        ticket = tickets.get_ticket(uow, ticket_id)
        follow_ups.snooze(uow, clock, customer_id=ticket.customer_id, until=until, reason=reason, actor=actor)
        return True


def thread_message(
    uow: UnitOfWork,
    clock: Clock,
    *,
    key: str,
    ticket: Ticket,
    staff_id: int,
    staff_name: str,
    text: str,
    relay_all: bool,
    actor: str,
) -> ThreadOutcome:
    """A staff message in an alert's thread: an internal note, or (relay mode `all`) a reply.

    A reply that cannot reach the customer (no Telegram chat, blocked) is kept as a note.
    """
    assert ticket.id is not None
    with uow:
        if not claim_inbound(uow, platform=PLATFORM, key=key, now=clock.now()):
            return ThreadOutcome(ticket, "duplicate")
        customer = repo.customer_by_id(uow.session, ticket.customer_id)
        reachable = customer is not None and customer_reachable(uow, customer)
        relayed = relay_all and reachable
        record_audit(
            uow,
            actor=actor,
            action="customer.reply" if relayed else "ticket.note",
            at=clock.now(),
            customer_id=ticket.customer_id,
            ticket_id=ticket.id,
        )
        if relayed:
            tickets.reply_to_customer(
                uow,
                clock,
                customer_id=ticket.customer_id,
                ticket_id=ticket.id,
                staff_id=staff_id,
                staff_name=staff_name,
                text=text,
                source_event_id=f"slack:{key}",
            )
            return ThreadOutcome(ticket, "sent")
        tickets.add_internal_note(
            uow, clock, ticket_id=ticket.id, staff_id=staff_id, text=text, source_event_id=f"slack:{key}"
        )
        return ThreadOutcome(ticket, "noted_unreachable" if relay_all else "noted")


def record_staff_purchase(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    customer_id: int,
    amount: Decimal,
    note: str,
    actor: str,
    actor_role: Role | None,
) -> RecordedPurchase:
    """`/crm purchase`: staff up to the rules' `max_staff_purchase`, admins above it; audited."""
    check_staff_purchase(actor_role, amount, rules.max_staff_purchase)
    with uow:
        recorded = record_purchase(
            uow,
            clock,
            rules,
            tz,
            customer_id=customer_id,
            amount=amount,
            note=note,
            source="slack",
            actor=actor,
        )
        if recorded.created:
            record_audit(
                uow,
                actor=actor,
                action="purchase.record",
                at=clock.now(),
                customer_id=customer_id,
                order_id=recorded.purchase.order_id,
                amount=str(amount),
                points=recorded.points,
            )
        return recorded


def reply_from_alert(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    ticket_id: int | None,
    staff_id: int,
    staff_name: str,
    text: str,
    source_event_id: str,
    actor: str,
) -> bool:
    """The alert's Reply to customer modal: sent once per submission, audited."""
    with uow:
        sent = tickets.reply_to_customer(
            uow,
            clock,
            customer_id=customer_id,
            ticket_id=ticket_id,
            staff_id=staff_id,
            staff_name=staff_name,
            text=text,
            source_event_id=source_event_id,
        )
        if sent:
            record_audit(
                uow,
                actor=actor,
                action="customer.reply",
                at=clock.now(),
                customer_id=customer_id,
                ticket_id=ticket_id,
            )
        return sent
