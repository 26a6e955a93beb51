"""Bot-initiated notices of the scheduled automations (birthday greetings, expiry notices, win-back
offers): publishing them as `CustomerNotice` events, and the contact-rule check that claims a
notice's key right before the Telegram side sends it.

A notice's key is claimed by inserting its outbound interaction (`source_event_id` is unique), so a
key goes out at most once even if two processes try at the same time; the 24-hour rule counts it
because the interaction is bot-initiated. Rules (SPEC §3): the opt-out of /stop applies to
promotional notices only (an expiry notice is a service message about the customer's own points);
unreachable, erased and merged customers get nothing; every notice waits for the local send window,
counts against the daily cap of automated sends (together with trickled surveys) and waits out
the 24 hours since the last bot-initiated message (the jobs run hourly and try again).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.events import CustomerNotice
from bot.services.contact_rules import (
    CONTACTED_RECENTLY,
    ERASED,
    OPTED_OUT,
    UNREACHABLE,
    automated_sent_today,
    bot_contacted_since,
    in_send_window,
    local_midnight,
)
from bot.services.interactions import MAX_TEXT
from storage.models import Customer, Interaction
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore

BIRTHDAY: Final = "birthday_greeting"
EXPIRY: Final = "expiry_notice"
WINBACK: Final = "winback_offer"
NOTICE_KINDS: Final = (BIRTHDAY, EXPIRY, WINBACK)

ALREADY_SENT: Final = "already_sent"
OUTSIDE_WINDOW: Final = "outside_window"
DAILY_CAP: Final = "daily_cap"
NO_CHAT: Final = "no_chat"
PERMANENT: Final = frozenset({ERASED, OPTED_OUT, UNREACHABLE, NO_CHAT})
"""Reasons a later attempt will not fix (a win-back offer then counts as failed, not still queued)."""


def publish_notices(uow: UnitOfWork, notices: Sequence[CustomerNotice]) -> int:
    """Record the notices as events (outbox rows); the Telegram side's outbox sender delivers them."""
    with uow:
        for notice in notices:
            uow.emit(notice)
    return len(notices)


def sent_keys(uow: UnitOfWork, keys: Collection[str]) -> set[str]:
    """Which of `keys` went out already (their interaction is logged)."""
    found: set[str] = set()
    wanted = list(keys)
    with uow:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                key
                for key in uow.session.exec(
                    select(Interaction.source_event_id).where(col(Interaction.source_event_id).in_(chunk))
                ).all()
                if key is not None
            )
    return found


def notices_sent_today(session: Session, now: datetime, tz: ZoneInfo) -> int:
    return session.exec(
        select(func.count())
        .select_from(Interaction)
        .where(
            col(Interaction.bot_initiated).is_(True),
            col(Interaction.kind).in_(NOTICE_KINDS),
            col(Interaction.created_at) >= local_midnight(now, tz),
        )
    ).one()


def skip_reason(
    session: Session, rules: BusinessRules, tz: ZoneInfo, now: datetime, notice: CustomerNotice
) -> str | None:
    """Why `notice` may not go out now (None: it may)."""
    customer = session.get(Customer, notice.customer_id)
    if customer is None or customer.erased_at is not None or customer.merged_into_id is not None:
        return ERASED
    if notice.promotional and not customer.allows_promotions:
        return OPTED_OUT
    if customer.unreachable:
        return UNREACHABLE
    if session.exec(select(Interaction.id).where(Interaction.source_event_id == notice.key)).first():
        return ALREADY_SENT
    if notice.receipt:
        return None
    if not in_send_window(now, tz, rules.contact):
        return OUTSIDE_WINDOW
    if (
        automated_sent_today(session, now, tz) + notices_sent_today(session, now, tz)
        >= rules.contact.daily_cap
    ):
        return DAILY_CAP
    quiet = timedelta(hours=rules.contact.min_hours_between_bot_messages)
    if quiet and bot_contacted_since(session, now - quiet, [notice.customer_id]):
        return CONTACTED_RECENTLY
    return None


def claim_notice(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, *, notice: CustomerNotice, text: str
) -> str | None:
    """Check the contact rules and, if the notice may go out, log it (claiming its key); None = send it."""
    now = clock.now()
    with uow:
        reason = skip_reason(uow.session, rules, tz, now, notice)
        if reason is not None:
            return reason
        row = {
            "customer_id": notice.customer_id,
            "channel": "telegram",
            "direction": "outbound",
            "kind": notice.kind,
            "text": text[:MAX_TEXT],
            "bot_initiated": not notice.receipt,
            "source_event_id": notice.key,
            "created_at": now,
        }
        return None if insert_ignore(uow.session, Interaction, [row]) else ALREADY_SENT


def release_notice(uow: UnitOfWork, *, key: str) -> None:
    """The send of a claimed notice failed (it did not go out, or may not have): free its key, so the
    outbox's next try claims it again instead of finding it "already sent"."""
    with uow:
        uow.session.execute(
            delete(Interaction).where(
                col(Interaction.source_event_id) == key, col(Interaction.bot_initiated).is_(True)
            )
        )
