"""What a posted digest leaves behind: its message and the numbers it showed, in its job run's detail.

The scheduler's claim row (job_run, one per job and local day) already says "this day's digest is
done"; its detail line carries a JSON tail with the Slack message (to update it in place) and the
headline KPIs (so the next digest shows the change since this one). No table of its own needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select

from storage.models import JobRun
from storage.uow import UnitOfWork

JOB_NAME = "digest"
_MARK = " ⟦"
_END = "⟧"


def for_people(detail: str) -> str:
    """A job run's detail without the digest's machine-readable record (what `jobs` and the demo show)."""
    return detail.rsplit(_MARK, 1)[0] if _MARK in detail else detail


@dataclass(frozen=True)
class DigestFailure:
    attempt: int
    reason: str
    fix: str | None = None


@dataclass(frozen=True)
class DigestRecord:
    channel: str | None = None
    ts: str | None = None
    until: datetime | None = None
    """The end of what the digest covered (the next one covers from here)."""
    headline: dict[str, float | int | None] = field(default_factory=dict)
    chart: str | None = None
    """Fingerprint of the data of the chart in the digest's thread (None: no chart there yet)."""
    failed: DigestFailure | None = None
    """Why the Slack part could not post the scheduled run's try (the job reads it and fails)."""

    def to_detail(self, summary: str) -> str:
        """`summary` for people (`retention-bot jobs`), then the record as compact JSON."""
        data: dict[str, Any] = {
            "channel": self.channel,
            "ts": self.ts,
            "until": self.until.isoformat() if self.until else None,
            "kpis": self.headline,
            "chart": self.chart,
        }
        if self.failed is not None:
            data["failed"] = {
                "attempt": self.failed.attempt,
                "reason": self.failed.reason,
                "fix": self.failed.fix,
            }
        return f"{summary}{_MARK}{json.dumps(data, separators=(',', ':'))}{_END}"

    @classmethod
    def from_detail(cls, detail: str | None) -> DigestRecord | None:
        if not detail or _MARK not in detail:
            return None
        raw = detail.rsplit(_MARK, 1)[1].removesuffix(_END)
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        until = data.get("until")
        kpis = data.get("kpis")
        failed = data.get("failed")
        return cls(
            channel=data.get("channel"),
            ts=data.get("ts"),
            until=datetime.fromisoformat(until) if isinstance(until, str) else None,
            headline=dict(kpis) if isinstance(kpis, dict) else {},
            chart=data.get("chart") if isinstance(data.get("chart"), str) else None,
            failed=DigestFailure(int(failed["attempt"]), str(failed["reason"]), failed.get("fix"))
            if isinstance(failed, dict)
            else None,
        )


def day_run(uow: UnitOfWork, day: date) -> JobRun | None:
    """The digest's claim row for a local day, if any."""
    with uow:
        return uow.session.get(JobRun, (JOB_NAME, day.isoformat()))


def previous_record(uow: UnitOfWork, day: date) -> DigestRecord | None:
    """What the newest digest posted before `day` showed (None before the first one)."""
    with uow:
        runs = uow.session.exec(
            select(JobRun)
            .where(JobRun.job_name == JOB_NAME, col(JobRun.period) < day.isoformat(), JobRun.status == "done")
            .order_by(col(JobRun.period).desc())
            .limit(5)
        ).all()
        for run in runs:
            record = DigestRecord.from_detail(run.detail)
            if record is not None:
                return record
        return None


def save_record(uow: UnitOfWork, day: date, detail: str) -> None:
    """Write the day's record right after posting (before the run is finished), so a retry after a
    crash updates the message it finds there instead of posting a second one."""
    with uow:
        run = uow.session.get(JobRun, (JOB_NAME, day.isoformat()))
        if run is not None:
            run.detail = detail[:2000]
            uow.session.add(run)


def record_failure(uow: UnitOfWork, day: date, failure: DigestFailure) -> None:
    """The Slack part could not post try `failure.attempt` of the day's scheduled run: say so in the
    run's record (keeping the message it names, so the next try updates it), for the job to read."""
    with uow:
        run = uow.session.get(JobRun, (JOB_NAME, day.isoformat()))
        if run is None:
            return
        record = DigestRecord.from_detail(run.detail) or DigestRecord()
        reason = DigestFailure(failure.attempt, failure.reason[:300], failure.fix)
        summary = for_people(run.detail) if _MARK in run.detail else ""
        run.detail = replace(record, failed=reason).to_detail(summary)[:2000]
        uow.session.add(run)
