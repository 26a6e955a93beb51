"""The at-risk list: flagged customers of the latest snapshot, ranked by value at risk, snoozes left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import col, select

from bot.clock import Clock
from bot.services.risk_reasons import reasons_from_json
from storage.models import Customer, FollowUp, RiskSnapshot
from storage.repositories import live_customers
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class AtRiskCustomer:
    """One row of the at-risk list; `reasons` are the stored dicts (word them with describe_reason)."""

    customer_id: int
    external_id: str
    name: str | None
    as_of: date
    value_at_risk: float
    clv: float | None
    p_alive: float | None
    stage: str
    segment: str
    reasons_json: str = "[]"  # as stored; decoded on demand (a first run may list a million)

    @property
    def reasons(self) -> tuple[dict[str, Any], ...]:
        """The structured reasons, most severe first."""
        return tuple(reasons_from_json(self.reasons_json))


def latest_snapshot_day(uow: UnitOfWork) -> date | None:
    """The newest day with risk snapshots, or None before the first scoring run."""
    with uow:
        day: date | None = uow.session.exec(select(func.max(RiskSnapshot.as_of))).one()
        return day


def list_at_risk(
    uow: UnitOfWork, clock: Clock, limit: int = 20, *, as_of: date | None = None
) -> list[AtRiskCustomer]:
    """Flagged customers of the latest snapshot day (or `as_of`), highest value at risk first.

    Snoozed customers (snoozed_until in the future), merged duplicates and erased customers are
    left out.
    """
    now = clock.now()
    with uow:
        day = as_of or uow.session.exec(select(func.max(RiskSnapshot.as_of))).one()
        if day is None:
            return []
        snoozed = and_(
            col(FollowUp.customer_id) == col(RiskSnapshot.customer_id), col(FollowUp.snoozed_until) > now
        )
        rows = uow.session.execute(
            select(RiskSnapshot, col(Customer.external_id), col(Customer.name))
            .join(Customer, col(Customer.id) == col(RiskSnapshot.customer_id))
            .outerjoin(FollowUp, snoozed)
            .where(
                col(RiskSnapshot.as_of) == day,
                col(RiskSnapshot.at_risk).is_(True),
                col(FollowUp.id).is_(None),
                live_customers(),
            )
            .order_by(col(RiskSnapshot.value_at_risk).desc(), col(RiskSnapshot.customer_id))
            .limit(limit)
        ).all()
        return [to_row(snapshot, external_id, name) for snapshot, external_id, name in rows]


def to_row(snapshot: RiskSnapshot, external_id: str, name: str | None) -> AtRiskCustomer:
    """An at-risk row from a stored snapshot."""
    return AtRiskCustomer(
        customer_id=snapshot.customer_id,
        external_id=external_id,
        name=name,
        as_of=snapshot.as_of,
        value_at_risk=snapshot.value_at_risk,
        clv=snapshot.clv,
        p_alive=snapshot.p_alive,
        stage=snapshot.stage,
        segment=snapshot.segment,
        reasons_json=snapshot.reasons,
    )


def rank(rows: Sequence[AtRiskCustomer]) -> list[AtRiskCustomer]:
    """Highest value at risk first, ties by customer id (the order every list uses)."""
    return sorted(rows, key=lambda r: (-r.value_at_risk, r.customer_id))
