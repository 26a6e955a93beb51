"""The queries behind each KPI (definitions: docs/analytics.md); times are UTC, days are local dates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, distinct, exists, func
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from bot.services.ledger import outstanding_over_time
from storage.models import Customer, PointsEntry, Purchase, RiskSnapshot, SurveyDispatch, SurveyResponse
from storage.uow import UnitOfWork

_LEDGER_BATCH = 10_000
"""Ledger rows fetched at a time while the points liability is summed."""


@dataclass(frozen=True)
class NpsResponse:
    """One NPS answer behind the score (the drill-down)."""

    response_id: int
    customer_id: int
    external_id: str
    name: str | None
    score: int
    comment: str | None
    answered_at: datetime


@dataclass(frozen=True)
class SegmentValue:
    """CLV of one RFM segment in a snapshot."""

    customers: int
    total_clv: float
    mean_clv: float


def nps_responses(uow: UnitOfWork, start: datetime, end: datetime) -> list[NpsResponse]:
    """NPS answers given in [start, end), newest first."""
    rows = uow.session.execute(
        core_select(SurveyResponse, col(Customer.external_id), col(Customer.name))
        .join(Customer, col(Customer.id) == col(SurveyResponse.customer_id))
        .where(
            col(SurveyResponse.kind) == "nps",
            col(SurveyResponse.answered_at) >= start,
            col(SurveyResponse.answered_at) < end,
        )
        .order_by(col(SurveyResponse.answered_at).desc(), col(SurveyResponse.id).desc())
    ).all()
    return [
        NpsResponse(r.id or 0, r.customer_id, ext, name, r.score, r.comment, _utc(r.answered_at))
        for r, ext, name in rows
    ]


def survey_response_counts(uow: UnitOfWork, start: datetime, end: datetime) -> tuple[int, int]:
    """(sent, answered): NPS surveys sent in [start, end), and how many of them got an answer."""
    answered = exists().where(col(SurveyResponse.dispatch_id) == col(SurveyDispatch.id))
    row = uow.session.execute(
        core_select(func.count(), func.count().filter(answered)).where(
            col(SurveyDispatch.kind) == "nps",
            col(SurveyDispatch.sent_at) >= start,
            col(SurveyDispatch.sent_at) < end,
        )
    ).one()
    return int(row[0]), int(row[1])


def csat(uow: UnitOfWork, start: datetime, end: datetime) -> tuple[float | None, int]:
    """(average, count) of CSAT answers given in [start, end)."""
    row = uow.session.execute(
        core_select(func.avg(col(SurveyResponse.score)), func.count()).where(
            col(SurveyResponse.kind) == "csat",
            col(SurveyResponse.answered_at) >= start,
            col(SurveyResponse.answered_at) < end,
        )
    ).one()
    return (None if row[0] is None else float(row[0])), int(row[1])


def _bought_in(start: date, end: date) -> Any:
    return and_(
        col(Purchase.purchased_on) >= start,
        col(Purchase.purchased_on) < end,
        col(Purchase.refunded_at).is_(None),
    )


def buyers(uow: UnitOfWork, start: date, end: date) -> tuple[int, int]:
    """(active, returning): customers who bought in [start, end), and those of them who had bought before."""
    earlier = aliased(Purchase)
    bought_before = exists().where(
        col(earlier.customer_id) == col(Purchase.customer_id),
        col(earlier.purchased_on) < start,
        col(earlier.refunded_at).is_(None),
    )
    row = uow.session.execute(
        core_select(
            func.count(distinct(col(Purchase.customer_id))),
            func.count(distinct(col(Purchase.customer_id))).filter(bought_before),
        ).where(_bought_in(start, end))
    ).one()
    return int(row[0]), int(row[1])


def latest_snapshot_before(uow: UnitOfWork, day: date) -> date | None:
    """The newest snapshot day strictly before `day` (it describes purchases up to that day)."""
    found: date | None = uow.session.exec(
        select(func.max(RiskSnapshot.as_of)).where(col(RiskSnapshot.as_of) < day)
    ).one()
    return found


def churn_counts(uow: UnitOfWork, first: date, last: date) -> tuple[int, int]:
    """(base, churned): customers not churned in snapshot `first`, and those of them churned in `last`."""
    later = aliased(RiskSnapshot)
    row = uow.session.execute(
        core_select(func.count(), func.count().filter(col(later.stage) == "churned"))
        .select_from(RiskSnapshot)
        .join(later, and_(col(later.customer_id) == col(RiskSnapshot.customer_id), col(later.as_of) == last))
        .where(col(RiskSnapshot.as_of) == first, col(RiskSnapshot.stage) != "churned")
    ).one()
    return int(row[0]), int(row[1])


def clv_by_segment(uow: UnitOfWork, day: date) -> dict[str, SegmentValue]:
    """Customers, total and mean CLV per RFM segment in the snapshots of `day`."""
    rows = uow.session.execute(
        core_select(col(RiskSnapshot.segment), func.count(), func.sum(col(RiskSnapshot.clv)))
        .where(col(RiskSnapshot.as_of) == day)
        .group_by(col(RiskSnapshot.segment))
    ).all()
    return {
        str(segment): SegmentValue(int(n), float(total or 0.0), float(total or 0.0) / int(n))
        for segment, n, total in rows
    }


def saved_by_purchase(uow: UnitOfWork, start: date, end: date) -> set[int]:
    """Customers who bought in [start, end) while their latest snapshot before that day flagged them."""
    snap = aliased(RiskSnapshot)
    newest = aliased(RiskSnapshot)
    latest_day = (
        core_select(func.max(col(newest.as_of)))
        .where(
            col(newest.customer_id) == col(Purchase.customer_id),
            col(newest.as_of) < col(Purchase.purchased_on),
        )
        .scalar_subquery()
    )
    flagged_then = exists().where(
        col(snap.customer_id) == col(Purchase.customer_id),
        col(snap.as_of) == latest_day,
        col(snap.at_risk).is_(True),
    )
    rows = uow.session.execute(
        core_select(col(Purchase.customer_id)).where(_bought_in(start, end), flagged_then).distinct()
    ).all()
    return {int(r[0]) for r in rows}


def saved_by_nps(uow: UnitOfWork, answers: Sequence[NpsResponse], tz: ZoneInfo) -> set[int]:
    """Customers whose answer scored above their previous one while flagged at risk before answering."""
    customers = sorted({a.customer_id for a in answers})
    if not customers:
        return set()
    history: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    flags: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for chunk in (customers[i : i + 500] for i in range(0, len(customers), 500)):
        for cid, at, score in uow.session.execute(
            core_select(
                col(SurveyResponse.customer_id), col(SurveyResponse.answered_at), col(SurveyResponse.score)
            ).where(col(SurveyResponse.kind) == "nps", col(SurveyResponse.customer_id).in_(chunk))
        ).all():
            history[int(cid)].append((_utc(at), int(score)))
        for cid, day, at_risk in uow.session.execute(
            core_select(
                col(RiskSnapshot.customer_id), col(RiskSnapshot.as_of), col(RiskSnapshot.at_risk)
            ).where(col(RiskSnapshot.customer_id).in_(chunk))
        ).all():
            flags[int(cid)].append((day, bool(at_risk)))
    saved = set()
    for answer in answers:
        before = [(at, s) for at, s in history[answer.customer_id] if at < answer.answered_at]
        local_day = answer.answered_at.astimezone(tz).date()
        snapshots = [(d, f) for d, f in flags[answer.customer_id] if d < local_day]
        if before and snapshots and max(before)[1] < answer.score and max(snapshots)[1]:
            saved.add(answer.customer_id)
    return saved


@dataclass(slots=True)
class _LedgerEntry:
    """The columns of a points entry a balance needs (no ORM object per row)."""

    id: int | None
    delta: int
    available_at: datetime
    expires_at: datetime | None
    lot_id: int | None
    created_at: datetime


def points_outstanding(uow: UnitOfWork, moments: Sequence[datetime]) -> list[tuple[int, int]]:
    """(spendable, pending) points over all customers at each moment: the ledger is streamed a
    customer at a time, and each customer's is replayed once for all moments."""
    latest = max(moments, default=None)
    if latest is None:
        return []
    ledger = (
        core_select(
            col(PointsEntry.customer_id),
            col(PointsEntry.id),
            col(PointsEntry.delta),
            col(PointsEntry.available_at),
            col(PointsEntry.expires_at),
            col(PointsEntry.lot_id),
            col(PointsEntry.created_at),
        )
        .where(col(PointsEntry.created_at) <= latest)
        .order_by(col(PointsEntry.customer_id), col(PointsEntry.created_at), col(PointsEntry.id))
        .execution_options(yield_per=_LEDGER_BATCH)
    )
    spendable, pending = [0] * len(moments), [0] * len(moments)
    for _, rows in groupby(uow.session.execute(ledger), key=itemgetter(0)):
        entries = [
            _LedgerEntry(
                row.id,
                row.delta,
                _utc(row.available_at),
                None if row.expires_at is None else _utc(row.expires_at),
                row.lot_id,
                _utc(row.created_at),
            )
            for row in rows
        ]
        for i, (s, p) in enumerate(outstanding_over_time(entries, moments)):
            spendable[i] += s
            pending[i] += p
    return list(zip(spendable, pending, strict=True))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
