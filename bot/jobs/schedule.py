"""When a daily job is due, in the business's time zone (pure: no clock, no database).

A job is due for "today" (the local date) once the local time has passed its time of day. The
scheduler asks often; the database claim makes each local date run once, so a process that
was down at the time catches up once when it starts, not once per missed day, and a DST
change never runs a day twice or skips it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DailySchedule:
    at: time
    tz: ZoneInfo

    def scheduled_moment(self, local_day: date) -> datetime:
        """The aware moment the job is due on `local_day` (a time skipped by DST moves forward)."""
        naive = datetime.combine(local_day, self.at)
        moment = naive.replace(tzinfo=self.tz)
        # A wall time inside a DST gap does not exist; round-tripping through UTC lands after the gap.
        return moment.astimezone(ZoneInfo("UTC")).astimezone(self.tz)

    def due_period(self, now: datetime) -> str | None:
        """The period (local date, ISO) due at `now`, or None before today's time."""
        local_day = now.astimezone(self.tz).date()
        return local_day.isoformat() if now >= self.scheduled_moment(local_day) else None

    def next_run(self, now: datetime) -> datetime:
        local_day = now.astimezone(self.tz).date()
        moment = self.scheduled_moment(local_day)
        return moment if moment > now else self.scheduled_moment(local_day + timedelta(days=1))


@dataclass(frozen=True)
class HourlySchedule:
    """Due once per local clock hour, at `minute` past (reminders, win-back conversions)."""

    minute: int
    tz: ZoneInfo

    def due_period(self, now: datetime) -> str | None:
        local = now.astimezone(self.tz)
        if local.minute < self.minute:
            return None
        # The UTC offset is part of the period: the repeated hour at the end of DST is its own hour.
        return local.strftime("%Y-%m-%dT%H%z")

    def next_run(self, now: datetime) -> datetime:
        local = now.astimezone(self.tz).replace(second=0, microsecond=0)
        candidate = local.replace(minute=self.minute)
        if candidate <= local:
            candidate = (local.replace(minute=0) + timedelta(hours=1)).replace(minute=self.minute)
        return candidate


Schedule = DailySchedule | HourlySchedule
