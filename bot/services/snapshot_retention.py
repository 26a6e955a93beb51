"""Thinning old risk snapshots, so the table grows by weeks and months rather than by days.

Scoring stores a snapshot per customer per day: a million customers would add 365 million rows a
year. Recent days stay day by day (the digest and "entered at risk" compare neighbouring days);
older ones keep the last scored day of each week, and beyond that of each month. Every reader
asks for "the latest snapshot on or before day X", so a thinned history still answers, with the
nearest kept day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlmodel import col

from bot.config.rules import SnapshotRules
from storage.models import RiskSnapshot
from storage.uow import UnitOfWork

_DELETE_CHUNK = 500
"""Days per DELETE (bound parameters stay well under SQLite's limit)."""


def days_to_drop(days: Iterable[date], newest: date, rules: SnapshotRules) -> list[date]:
    """The scored days that go: older than `daily_days` before `newest` and not the last scored
    day of their week (or, older than `weekly_days`, of their month)."""
    daily_from = newest - timedelta(days=rules.daily_days)
    weekly_from = newest - timedelta(days=rules.weekly_days)

    def group(day: date) -> tuple[str, int, int]:
        if day >= weekly_from:
            year, week, _ = day.isocalendar()
            return ("week", year, week)
        return ("month", day.year, day.month)

    older = sorted(day for day in set(days) if day < daily_from)
    kept: dict[tuple[str, int, int], date] = {}
    for day in older:  # ascending: the last one of a group wins
        kept[group(day)] = day
    keep = set(kept.values())
    return [day for day in older if day not in keep]


def scored_days(uow: UnitOfWork) -> list[date]:
    """Every day with snapshots, oldest first: one index seek per day, not a scan of every row."""
    with uow:
        days: list[date] = []
        day = uow.session.execute(select(func.min(col(RiskSnapshot.as_of)))).scalar()
        while day is not None:
            days.append(day)
            after = select(func.min(col(RiskSnapshot.as_of))).where(col(RiskSnapshot.as_of) > day)
            day = uow.session.execute(after).scalar()
        return days


def thin_snapshots(uow: UnitOfWork, rules: SnapshotRules) -> int:
    """Delete the snapshots of the days `days_to_drop` names; returns how many rows went."""
    with uow:
        days = scored_days(uow)
        if not days:
            return 0
        drop = days_to_drop(days, days[-1], rules)
        removed = 0
        for start in range(0, len(drop), _DELETE_CHUNK):
            chunk = drop[start : start + _DELETE_CHUNK]
            result = uow.session.execute(delete(RiskSnapshot).where(col(RiskSnapshot.as_of).in_(chunk)))
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed
