"""The outbox table's bookkeeping: claiming rows under a lease, recording what became of them,
taking over the claims of a dead sender, pruning settled rows, and what `jobs` and /metrics show.

A sender claims, per destination, the rows whose turn it is: due (past their backoff), not held by
a living claim, and with no earlier undelivered row of the same aggregate still waiting (so one
customer's events arrive in order, across processes too). Claims are made one sender at a time:
SQLite's BEGIN IMMEDIATE serialises them, PostgreSQL a transaction-scoped advisory lock, so two
senders never claim one row, and a row's later siblings wait while an earlier one is held.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import and_, case, delete, exists, func, or_, select, text, true, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.models.outbox import DELIVERED, GAVE_UP, PENDING, OutboxMessage
from storage.outbox import UnknownEvent, resolve
from storage.uow import UnitOfWork

CLAIM_LOCK: Final = 0x72626F78  # "rbox": PostgreSQL advisory lock key of the claim step
DELIVERED_KEPT: Final = timedelta(days=7)
"""Delivered rows stay this long (to answer "did that alert go out?"), then the daily upkeep prunes them."""
GAVE_UP_KEPT: Final = timedelta(days=30)
"""Rows given up stay listed by `retention-bot jobs` this long."""
PRUNE_BATCH: Final = 5000

T = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    destination: str
    event_type: str
    aggregate: str | None
    payload: str
    done: tuple[str, ...]
    failures: int
    failing_since: datetime | None
    taken_over: bool
    """Another sender held it and let go without saying how it ended (it died, or stopped mid-send):
    the event may have been delivered already."""


@dataclass(frozen=True)
class Claim:
    owner: str
    now: datetime
    lease: timedelta
    subscribed: Mapping[str, Collection[str]]
    """Per destination this sender delivers: the event type names it has subscribers for (it claims
    only those). Pending rows of other types this version knows are dropped (nothing would
    deliver them); rows of types it does not know wait for a process that does."""
    limit: int


@dataclass(frozen=True)
class Claimed:
    rows: list[ClaimedRow] = field(default_factory=list)
    soonest: datetime | None = None
    """When the next row that is waiting now (a backoff, another sender's lease) may be claimable."""


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed row. kind: delivered, retry (at `next_attempt_at`), gave_up,
    released (never started: free at once), abandoned (started, then stopped: free at once, and
    the next sender knows it was taken over)."""

    id: int
    kind: str
    done: tuple[str, ...] = ()
    next_attempt_at: datetime | None = None
    failures: int = 0
    failing_since: datetime | None = None
    error: str = ""


def sync(
    uow: UnitOfWork, owner: str, now: datetime, outcomes: Sequence[Outcome], claim: Claim | None
) -> Claimed:
    """Record `outcomes` and claim the next rows, in one transaction."""
    with uow:
        _record(uow, owner, now, outcomes)
        if claim is None or not claim.subscribed:
            return Claimed()
        if uow.dialect == "postgresql":
            uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
        _drop_unsubscribed(uow, claim)
        return Claimed(_claim_rows(uow, claim), _soonest(uow, claim))


def _record(uow: UnitOfWork, owner: str, now: datetime, outcomes: Sequence[Outcome]) -> None:
    mine = T.c.claimed_by == owner
    delivered = [o.id for o in outcomes if o.kind == "delivered"]
    if delivered:
        uow.session.execute(
            update(T)
            .where(T.c.id.in_(delivered), mine)
            .values(state=DELIVERED, settled_at=now, claimed_by=None, lease_until=None)
        )
    released = [o.id for o in outcomes if o.kind == "released"]
    if released:
        uow.session.execute(
            update(T).where(T.c.id.in_(released), mine).values(claimed_by=None, lease_until=None)
        )
    abandoned = [o.id for o in outcomes if o.kind == "abandoned"]
    if abandoned:  # the claim stays named, expired: whoever takes it knows it may have gone out
        uow.session.execute(update(T).where(T.c.id.in_(abandoned), mine).values(lease_until=now))
    for outcome in outcomes:
        values: dict[str, object]
        if outcome.kind == "retry":
            values = {
                "next_attempt_at": outcome.next_attempt_at,
                "failures": outcome.failures,
                "failing_since": outcome.failing_since,
                "claimed_by": None,
                "lease_until": None,
            }
        elif outcome.kind == "gave_up":
            values = {"state": GAVE_UP, "settled_at": now, "failures": outcome.failures}
        else:
            continue
        values["last_error"] = outcome.error[:500]
        values["done"] = json.dumps(list(outcome.done))
        uow.session.execute(update(T).where(T.c.id == outcome.id, mine).values(**values))


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(T.c.lease_until.is_(None), T.c.lease_until <= now)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now)


def _drop_unsubscribed(uow: UnitOfWork, claim: Claim) -> None:
    """Delete the pending rows of event types this version knows and this adapter does not react to
    (a complaint's event for Telegram). A type this version does not know (a newer version wrote
    it) stays for a process that does."""
    for destination, types in claim.subscribed.items():
        others = [
            T.c.destination == destination,
            T.c.state == PENDING,
            T.c.event_type.not_in(list(types)) if types else true(),
            _free(claim.now),
        ]
        names = uow.session.execute(select(T.c.event_type).where(*others).distinct()).scalars().all()
        known = [name for name in names if _known(name)]
        if known:
            uow.session.execute(delete(T).where(*others, T.c.event_type.in_(known)))


def _known(name: str) -> bool:
    try:
        resolve(name)
    except UnknownEvent:
        return False
    return True


def _claim_rows(uow: UnitOfWork, claim: Claim) -> list[ClaimedRow]:
    if claim.limit <= 0:
        return []
    now = claim.now
    earlier = aliased(T)
    waiting = exists().where(
        earlier.c.destination == T.c.destination,
        earlier.c.aggregate == T.c.aggregate,
        earlier.c.state == PENDING,
        earlier.c.id < T.c.id,
        or_(
            and_(earlier.c.lease_until.is_not(None), earlier.c.lease_until > now),
            and_(earlier.c.next_attempt_at.is_not(None), earlier.c.next_attempt_at > now),
        ),
    )
    ids = list(
        uow.session.execute(
            select(T.c.id)
            .where(
                or_(
                    *(
                        and_(T.c.destination == destination, T.c.event_type.in_(list(types)))
                        for destination, types in claim.subscribed.items()
                    )
                ),
                T.c.state == PENDING,
                _due(now),
                _free(now),
                ~waiting,
            )
            .order_by(T.c.id)
            .limit(claim.limit)
        ).scalars()
    )
    if not ids:
        return []
    rows = uow.session.execute(
        select(
            T.c.id,
            T.c.destination,
            T.c.event_type,
            T.c.aggregate,
            T.c.payload,
            T.c.done,
            T.c.failures,
            T.c.failing_since,
            T.c.claimed_by,
        )
        .where(T.c.id.in_(ids))
        .order_by(T.c.id)
    ).all()
    uow.session.execute(
        update(T).where(T.c.id.in_(ids)).values(claimed_by=claim.owner, lease_until=now + claim.lease)
    )
    return [
        ClaimedRow(
            id=int(row.id),
            destination=row.destination,
            event_type=row.event_type,
            aggregate=row.aggregate,
            payload=row.payload,
            done=tuple(json.loads(row.done or "[]")),
            failures=int(row.failures),
            failing_since=row.failing_since,
            taken_over=row.claimed_by is not None,
        )
        for row in rows
    ]


def _soonest(uow: UnitOfWork, claim: Claim) -> datetime | None:
    now = claim.now
    pending = and_(T.c.destination.in_(list(claim.subscribed)), T.c.state == PENDING)
    backoff = uow.session.execute(
        select(func.min(T.c.next_attempt_at)).where(pending, T.c.next_attempt_at > now)
    ).scalar()
    lease = uow.session.execute(
        select(func.min(T.c.lease_until)).where(pending, T.c.lease_until > now, T.c.claimed_by != claim.owner)
    ).scalar()
    moments = [m for m in (backoff, lease) if m is not None]
    return min(moments) if moments else None


def save_progress(uow: UnitOfWork, *, row_id: int, owner: str, done: Sequence[str]) -> None:
    """Some of a row's subscribers handled it: a retry (or a sender taking over) skips them."""
    with uow:
        uow.session.execute(
            update(T).where(T.c.id == row_id, T.c.claimed_by == owner).values(done=json.dumps(list(done)))
        )


def renew(uow: UnitOfWork, *, owner: str, ids: Collection[int], until: datetime) -> set[int]:
    """Extend this sender's claims on `ids`; the ids still held (another sender took the rest over)."""
    if not ids:
        return set()
    with uow:
        uow.session.execute(
            update(T).where(T.c.id.in_(list(ids)), T.c.claimed_by == owner).values(lease_until=until)
        )
        return set(
            uow.session.execute(
                select(T.c.id).where(T.c.id.in_(list(ids)), T.c.claimed_by == owner)
            ).scalars()
        )


def expire_dead_claims(uow: UnitOfWork, *, host: str, now: datetime) -> int:
    """Expire the claims of senders on this host whose process is gone (a `kill -9`, a crash): a
    restarted bot takes their rows at once instead of after the lease. Returns how many."""
    with uow:
        owners = uow.session.execute(
            select(T.c.claimed_by)
            .where(
                T.c.state == PENDING,
                T.c.claimed_by.startswith(f"{host}:", autoescape=True),
                T.c.lease_until > now,
            )
            .distinct()
        ).scalars()
        dead = [owner for owner in owners if owner and not _alive(owner)]
        if not dead:
            return 0
        expired = uow.session.execute(
            update(T).where(T.c.claimed_by.in_(dead), T.c.state == PENDING).values(lease_until=now)
        )
        return int(expired.rowcount)  # type: ignore[attr-defined]


def _alive(owner: str) -> bool:
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return True  # an earlier sender of this very process: its lease runs out by itself
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prune_settled(uow: UnitOfWork, *, now: datetime, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` rows delivered more than DELIVERED_KEPT ago or given up more than
    GAVE_UP_KEPT ago; how many went (fewer than `limit`: done)."""
    old = or_(
        and_(T.c.state == DELIVERED, T.c.settled_at < now - DELIVERED_KEPT),
        and_(T.c.state == GAVE_UP, T.c.settled_at < now - GAVE_UP_KEPT),
    )
    with uow:
        ids = select(T.c.id).where(old).limit(limit)
        gone = uow.session.execute(delete(T).where(T.c.id.in_(ids)))
        return int(gone.rowcount)  # type: ignore[attr-defined]


def still_pending(uow: UnitOfWork, ids: Collection[int], destination: str | None = None) -> int:
    """How many of `ids` (for `destination`, if given) are not delivered or given up yet."""
    if not ids:
        return 0
    where = [T.c.id.in_(list(ids)), T.c.state == PENDING]
    if destination is not None:
        where.append(T.c.destination == destination)
    with uow.reading():
        return int(uow.session.execute(select(func.count()).where(*where)).scalar_one())


def pending_count(uow: UnitOfWork) -> int:
    """Undelivered rows (the outbox depth of /metrics)."""
    with uow.reading():
        return int(uow.session.execute(select(func.count()).where(T.c.state == PENDING)).scalar_one())


@dataclass(frozen=True)
class Waiting:
    destination: str
    rows: int
    retrying: int
    """Of which have failed at least once and wait for their next try."""
    oldest: datetime | None


@dataclass(frozen=True)
class GivenUp:
    id: int
    destination: str
    event_type: str
    aggregate: str | None
    failures: int
    settled_at: datetime | None
    error: str


@dataclass(frozen=True)
class OutboxSummary:
    waiting: list[Waiting]
    given_up: list[GivenUp]


def summary(uow: UnitOfWork, *, limit: int = 20) -> OutboxSummary:
    """What `retention-bot jobs` shows: undelivered rows per destination, and the latest given up."""
    with uow.reading():
        waiting = [
            Waiting(row.destination, int(row.rows), int(row.retrying or 0), row.oldest)
            for row in uow.session.execute(
                select(
                    T.c.destination,
                    func.count().label("rows"),
                    func.sum(case((T.c.failures > 0, 1), else_=0)).label("retrying"),
                    func.min(T.c.created_at).label("oldest"),
                )
                .where(T.c.state == PENDING)
                .group_by(T.c.destination)
                .order_by(T.c.destination)
            ).all()
        ]
        given_up = [
            GivenUp(
                int(row.id),
                row.destination,
                row.event_type,
                row.aggregate,
                int(row.failures),
                row.settled_at,
                row.last_error,
            )
            for row in uow.session.execute(
                select(T).where(T.c.state == GAVE_UP).order_by(T.c.id.desc()).limit(limit)
            ).all()
        ]
    return OutboxSummary(waiting, given_up)


def record_events(uow: UnitOfWork, events: Sequence[object]) -> int:
    """Commit `events` to the outbox on their own (what a service does with its writes)."""
    with uow:
        for event in events:
            uow.emit(event)
    return len(events)
