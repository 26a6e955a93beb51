"""What a scoring run reads: purchases as arrays, the previous snapshot, latest NPS, open tickets, snoozes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlalchemy import select as core_select
from sqlmodel import col, select

from bot.analytics import NpsAnswer, OpenTicket, Transactions
from bot.services.columns import fetch_columns
from storage.models import Customer, FollowUp, RiskSnapshot, SurveyResponse, Ticket
from storage.uow import UnitOfWork

# NOT INDEXED: the date index would turn the scan of (nearly) every row into a lookup per row (3× slower).
_PURCHASES_SQLITE = (
    "SELECT customer_id, CAST(julianday(purchased_on) - 2440587.5 AS INTEGER), CAST(amount AS REAL) "
    "FROM purchase NOT INDEXED WHERE refunded_at IS NULL AND purchased_on <= '{day}'"
)
_PURCHASES_POSTGRESQL = (
    "SELECT customer_id, (purchased_on - DATE '1970-01-01')::int4, amount::float8 "
    "FROM purchase WHERE refunded_at IS NULL AND purchased_on <= DATE '{day}'"
)
_SNAPSHOT_SQLITE = (
    "SELECT customer_id, COALESCE(p_alive, -1.0), at_risk FROM risk_snapshot WHERE as_of = '{day}'"
)
_SNAPSHOT_POSTGRESQL = (
    "SELECT customer_id, COALESCE(p_alive, -1.0)::float8, at_risk "
    "FROM risk_snapshot WHERE as_of = DATE '{day}'"
)


@dataclass(frozen=True)
class PreviousSnapshot:
    """The latest snapshot day before the run: each customer's P(alive) and at-risk flag then."""

    as_of: date | None
    p_alive: dict[int, float]
    at_risk: frozenset[int]


@dataclass(frozen=True)
class Snoozes:
    """Customers snoozed now, and those whose snooze ended since the previous snapshot."""

    active: frozenset[int]
    ended_since_previous: frozenset[int]


def load_purchases(uow: UnitOfWork, as_of: date) -> Transactions:
    """Non-refunded purchases dated on or before `as_of`, as aligned arrays (one query, no ORM rows)."""
    day = as_of.isoformat()
    cols = fetch_columns(
        uow,
        [("customer", "int4"), ("day", "int4"), ("amount", "float8")],
        sqlite=_PURCHASES_SQLITE.format(day=day),
        postgresql=_PURCHASES_POSTGRESQL.format(day=day),
    )
    return Transactions(customer=cols["customer"], day=cols["day"], amount=cols["amount"])


def load_previous_snapshot(uow: UnitOfWork, as_of: date) -> PreviousSnapshot:
    """P(alive) and flags from the latest snapshot day strictly before `as_of` (none: empty)."""
    previous = uow.session.exec(select(func.max(RiskSnapshot.as_of)).where(RiskSnapshot.as_of < as_of)).one()
    if previous is None:
        return PreviousSnapshot(None, {}, frozenset())
    day = previous.isoformat()
    cols = fetch_columns(
        uow,
        [("customer", "int4"), ("p_alive", "float8"), ("at_risk", "bool")],
        sqlite=_SNAPSHOT_SQLITE.format(day=day),
        postgresql=_SNAPSHOT_POSTGRESQL.format(day=day),
    )
    customers, p_alive = cols["customer"], cols["p_alive"]
    known = p_alive >= 0  # -1: not stored
    return PreviousSnapshot(
        as_of=previous,
        p_alive=dict(zip(customers[known].tolist(), p_alive[known].tolist(), strict=True)),
        at_risk=frozenset(customers[cols["at_risk"]].tolist()),
    )


def load_latest_nps(uow: UnitOfWork, at: datetime, tz: ZoneInfo) -> dict[int, NpsAnswer]:
    """Each customer's latest NPS answer given at or before `at`, with its local date and comment."""
    ranked = (
        core_select(
            col(SurveyResponse.customer_id),
            col(SurveyResponse.score),
            col(SurveyResponse.comment),
            col(SurveyResponse.answered_at),
            func.row_number()
            .over(
                partition_by=col(SurveyResponse.customer_id),
                order_by=(col(SurveyResponse.answered_at).desc(), col(SurveyResponse.id).desc()),
            )
            .label("rank"),
        )
        .where(col(SurveyResponse.kind) == "nps", col(SurveyResponse.answered_at) <= at)
        .subquery()
    )
    rows = uow.session.execute(
        core_select(ranked.c.customer_id, ranked.c.score, ranked.c.comment, ranked.c.answered_at).where(
            ranked.c.rank == 1
        )
    ).all()
    return {
        int(customer): NpsAnswer(int(score), _utc(answered).astimezone(tz).date(), comment or None)
        for customer, score, comment, answered in rows
    }


def load_open_tickets(uow: UnitOfWork, at: datetime) -> dict[int, list[OpenTicket]]:
    """Tickets open at `at` (opened before, not resolved by then), with their age in hours."""
    rows = uow.session.execute(
        select(col(Ticket.id), col(Ticket.customer_id), col(Ticket.opened_at)).where(
            col(Ticket.opened_at) <= at,
            or_(col(Ticket.resolved_at).is_(None), col(Ticket.resolved_at) > at),
        )
    ).all()
    tickets: dict[int, list[OpenTicket]] = defaultdict(list)
    for ticket_id, customer_id, opened_at in rows:
        hours = (at - _utc(opened_at)).total_seconds() / 3600.0
        tickets[int(customer_id)].append(OpenTicket(int(ticket_id), hours))
    return dict(tickets)


def load_snoozes(uow: UnitOfWork, now: datetime, previous_end: datetime | None) -> Snoozes:
    """Snoozed customers (until a moment after `now`), and snoozes that ended after `previous_end`."""
    rows = uow.session.execute(
        select(col(FollowUp.customer_id), col(FollowUp.snoozed_until)).where(
            col(FollowUp.snoozed_until).is_not(None)
        )
    ).all()
    active, ended = set(), set()
    for customer_id, until in rows:
        moment = _utc(until)
        if moment > now:
            active.add(int(customer_id))
        elif previous_end is not None and moment > previous_end:
            ended.add(int(customer_id))
    return Snoozes(frozenset(active), frozenset(ended))


def inactive_customers(uow: UnitOfWork) -> frozenset[int]:
    """Customers merged into another or erased: scored as anonymous aggregates, never listed."""
    rows = uow.session.exec(
        select(Customer.id).where(
            or_(col(Customer.merged_into_id).is_not(None), col(Customer.erased_at).is_not(None))
        )
    ).all()
    return frozenset(int(r) for r in rows if r is not None)


def customer_labels(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """(external id, name) of the given customers, queried in chunks (or all at once, for many)."""
    found: dict[int, tuple[str, str | None]] = {}
    unique = sorted(set(ids))
    if len(unique) > 20_000:  # a first run, where every at-risk customer is new: one pass is faster
        rows = uow.session.execute(
            select(col(Customer.id), col(Customer.external_id), col(Customer.name))
        ).all()
        wanted = set(unique)
        return {int(cid): (str(ext), name) for cid, ext, name in rows if cid in wanted}
    for start in range(0, len(unique), 1000):
        chunk = unique[start : start + 1000]
        for cid, external_id, name in uow.session.execute(
            select(col(Customer.id), col(Customer.external_id), col(Customer.name)).where(
                col(Customer.id).in_(chunk)
            )
        ).all():
            found[int(cid)] = (str(external_id), name)
    return found


def _utc(moment: datetime) -> datetime:
    """Stored datetimes are UTC; SQLite may hand them back naive."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
