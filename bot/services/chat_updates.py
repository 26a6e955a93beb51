"""Before anything else happens to an inbound chat update: check that it was not handled before (a
replay does nothing), find the sender's customer and language, and put what they sent on the
timeline.

The update is not claimed here: its claim is committed with its effect (storage/inbound_claim.py),
or, for an update that changed nothing, with the next batch (`finished`). What is written here is
idempotent per update (the timeline note is keyed by the update), so a redelivered update that
comes back after a crash does not double it.

This runs for every update, so it takes several updates at once (one transaction, a few statements
however many arrived together) and reads columns rather than ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from bot.clock import Clock
from bot.i18n import language_from_telegram, parse_language
from bot.services.customer_chat import INTERACTION_TABLE, ChatSession, ChatUser, InboundNote
from bot.services.customers import customer_for_chat
from bot.services.interactions import MAX_TEXT
from storage.inbound_claim import InboundClaim, insert_claims
from storage.models import ChatIdentity, Customer, ProcessedUpdate
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class UpdateClaim:
    user: ChatUser
    update_key: str
    inbound: InboundNote | None = None
    """Logged on the customer's timeline (plain text and /feedback are logged by their service)."""
    wrote: bool = True
    """A message or a tap: the customer can be reached again, whatever a 403 said before."""


def begin_updates(
    uow: UnitOfWork,
    clock: Clock,
    claims: Sequence[UpdateClaim],
    *,
    default_language: str,
    finished: Sequence[InboundClaim] = (),
) -> list[ChatSession | None]:
    """One session per claim, in order; None for an update handled before (a replay: do nothing).
    `finished`: claims of updates handled without a write of their own, recorded now."""
    now = clock.now()
    if not claims:
        if finished:
            with uow:
                insert_claims(uow.session, finished)
        return []
    platform = claims[0].user.platform
    if any(claim.user.platform != platform for claim in claims):
        raise ValueError("claims of one batch come from one platform")
    with uow:
        if finished:
            insert_claims(uow.session, finished)
        fresh = _unseen(uow, platform, [c.update_key for c in claims])
        senders = {c.user.user_id for c in claims if c.update_key in fresh}
        rows = _senders(uow, platform, senders) if senders else {}
        sessions: list[ChatSession | None] = []
        reachable_again: set[int] = set()
        timeline: list[dict[str, Any]] = []
        for claim in claims:
            if claim.update_key not in fresh:
                sessions.append(None)
                continue
            fresh.discard(claim.update_key)  # the same update twice in one batch: the first one counts
            session, unreachable = _session(uow, claim, rows.get(claim.user.user_id), default_language)
            sessions.append(session)
            timeline_id = session.timeline_id
            if timeline_id is None:
                continue
            if unreachable and claim.wrote:
                reachable_again.add(timeline_id)
            if claim.inbound is not None:
                timeline.append(_entry(now, platform, session, claim.inbound, claim.update_key))
        if reachable_again:
            uow.session.execute(
                update(Customer)
                .where(col(Customer.id).in_(sorted(reachable_again)))
                .values(unreachable=False, updated_at=now)
            )
        if timeline:
            # Keyed by the update (source_event_id): a redelivery after a crash adds no second note.
            uow.session.execute(_NOTE[uow.dialect], timeline)
        return sessions


def _unseen(uow: UnitOfWork, platform: str, keys: Sequence[str]) -> set[str]:
    """The keys of updates not handled before (no claim committed for them)."""
    wanted = list(dict.fromkeys(key[:128] for key in keys))
    seen = set(uow.session.execute(_CLAIMED, {"platform": platform, "keys": wanted}).scalars())
    return {key for key in keys if key[:128] not in seen}


def begin_update(
    uow: UnitOfWork,
    clock: Clock,
    *,
    user: ChatUser,
    update_key: str,
    default_language: str,
    inbound: InboundNote | None = None,
    wrote: bool = True,
) -> ChatSession | None:
    """`begin_updates` for a single update."""
    claim = UpdateClaim(user, update_key, inbound, wrote)
    return begin_updates(uow, clock, [claim], default_language=default_language)[0]


_SENDERS = (
    sa_select(
        col(ChatIdentity.user_id),
        col(Customer.id),
        col(Customer.language),
        col(Customer.unreachable),
        col(Customer.merged_into_id),
        col(Customer.erased_at),
        col(Customer.unknown_contact),
    )
    .join(Customer, col(Customer.id) == col(ChatIdentity.customer_id))
    .where(
        col(ChatIdentity.platform) == bindparam("platform"),
        col(ChatIdentity.user_id).in_(bindparam("user_ids", expanding=True)),
    )
)
"""Built once: constructing a statement costs more than running this one."""

_NOTE = {
    "sqlite": sqlite.insert(INTERACTION_TABLE).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(INTERACTION_TABLE).on_conflict_do_nothing(),
}
_CLAIMED = sa_select(col(ProcessedUpdate.update_key)).where(
    col(ProcessedUpdate.platform) == bindparam("platform"),
    col(ProcessedUpdate.update_key).in_(bindparam("keys", expanding=True)),
)


def _senders(uow: UnitOfWork, platform: str, user_ids: set[str]) -> dict[str, Any]:
    """Chat user id → (customer id, language, unreachable, merged into, erased at, unknown contact) of
    the senders whose chats have a customer row."""
    found = uow.session.execute(_SENDERS, {"platform": platform, "user_ids": sorted(user_ids)}).all()
    return {row.user_id: row for row in found}


def _session(
    uow: UnitOfWork, claim: UpdateClaim, row: Any, default_language: str
) -> tuple[ChatSession, bool]:
    """The sender's session, and whether their customer is marked unreachable."""
    from_app = language_from_telegram(claim.user.language_code, default_language)
    if row is None or row.erased_at is not None:
        return ChatSession(claim.update_key, None, from_app), False
    if row.unknown_contact:  # wrote before, never linked: heard, but no customer's session
        return ChatSession(claim.update_key, None, parse_language(row.language) or from_app, row.id), False
    customer_id, chosen, unreachable = row.id, row.language, row.unreachable
    if row.merged_into_id is not None:  # rare: let the service follow the chain of merges
        merged = customer_for_chat(uow, claim.user.platform, claim.user.user_id)
        if merged is None or merged.id is None:
            return ChatSession(claim.update_key, None, from_app), False
        customer_id, chosen, unreachable = merged.id, merged.language, merged.unreachable
    return ChatSession(claim.update_key, customer_id, parse_language(chosen) or from_app), unreachable


def _entry(now: datetime, platform: str, session: ChatSession, note: InboundNote, key: str) -> dict[str, Any]:
    """A timeline row without sentiment (a command, a shared contact, a sticker)."""
    return {
        "customer_id": session.timeline_id,
        "channel": platform,
        "direction": "inbound",
        "kind": note.kind,
        "text": note.text[:MAX_TEXT],
        "bot_initiated": False,
        "source_event_id": f"{platform}:{key}",
        "created_at": now,
    }
