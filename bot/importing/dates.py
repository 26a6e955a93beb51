"""Dates as people and spreadsheets write them (SPEC §1, §11).

Read without being told:
- year first: ISO 8601 (2024-01-05; with a time 2024-01-05T14:30 or 2024-01-05 14:30:00+08:00),
  20240105, 2024/1/5, 2024.1.5 and 2024年1月5日;
- day and month with a four-digit year last: 5/1/2024, 01/05/2024, 5.1.2024, 5-1-2024 (a purchase
  date may carry a time, `1/5/2024 14:30` or `1/5/2024 2:30 PM`, as Excel's CSV export writes it).
  A part above 12 settles the order of that value. Otherwise the column decides: when some value
  of the same column in the same file proves an order (13/01/2024) and none proves the other,
  every ambiguous value of the column is read that way, with a warning saying so. When the column
  proves neither order, or both, an ambiguous value is a bad row that names both readings and the
  `--date-format` that picks one. Files from the US and from Europe are both common, so nothing is
  assumed from the business's region;
- a number cell of an XLSX file: an Excel serial day (45296 is 2024-01-05, a fraction is the time
  of day), in the workbook's date system. The same digits as CSV text are not a date.

Two-digit years (1/5/24) are refused unless `--date-format` says how to read them. A strptime
`--date-format` (%m/%d/%Y) says how the file writes its dates; the unambiguous year-first forms
and number cells are still read with it, since XLSX date cells arrive as ISO text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
from typing import Literal

from openpyxl.utils.datetime import from_excel

from .errors import FieldError
from .text import NumberCell, shown

EARLIEST = dt.date(1900, 1, 1)
MAX_SERIAL = 2958465  # 9999-12-31 as an Excel serial day

DayOrder = Literal["day first", "month first"]
DAY_FIRST: DayOrder = "day first"
MONTH_FIRST: DayOrder = "month first"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip
_YEAR_FIRST = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII),
    # Excel in Chinese locales writes 2024/1/5; 2024.1.5 and 2024年1月5日 are common too.
    re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", re.ASCII),
)
_DATETIME_START = re.compile(r"\d{4}-\d{2}-\d{2}[T ]", re.ASCII)
_DAY_MONTH = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?",
    re.ASCII,
)
_SHORT_YEAR = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d{2}(?:[ T].*)?", re.ASCII)
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?", re.ASCII)


def check_date_format(date_format: str) -> str:
    """The strptime format, or ValueError (one line) when it cannot read a day, month and year."""
    sample = dt.datetime(2024, 11, 23, 13, 45, 56, tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.strptime(sample.strftime(date_format), date_format)
    except ValueError as error:
        raise ValueError(f"--date-format {date_format!r} is not a date format ({error})") from None
    if parsed.date() != sample.date():
        raise ValueError(
            f"--date-format {date_format!r} must contain a day, a month and a year, e.g. %d/%m/%Y or %m/%d/%Y"
        )
    return date_format


@dataclasses.dataclass
class DateColumn:
    """How one file's date column is read, and what its values showed about the day/month order.

    On a first reading (`order` None, `guess` True) an ambiguous value is read in the order the
    column has proved so far, if exactly one, and refused otherwise; `needs_second_reading` then
    says whether the end of the file changed that answer for any value. A second reading fixes
    `order` (or, after a conflict, refuses every ambiguous value).
    """

    field: str
    date_format: str | None = None
    order: DayOrder | None = None
    guess: bool = True
    proof: dict[DayOrder, str] = dataclasses.field(default_factory=dict)
    ambiguous: int = 0  # values that needed an order, read or refused
    first_ambiguous: str = ""
    guessed: int = 0  # read in the order proved by an earlier value
    refused: int = 0

    def read(self, value: str, hint: str, *, with_time: bool) -> tuple[dt.date, dt.datetime | None]:
        """The date, and the date-time when the value gave a time of day (naive = local time)."""
        if self.date_format:
            found = (
                _formatted(value, self.date_format) or _year_first(self.field, value, hint) or _serial(value)
            )
        else:
            found = _year_first(self.field, value, hint) or _serial(value) or self._day_month(value)
        if found is None:
            if self.date_format:
                raise FieldError(
                    f"{self.field} '{shown(value)}' does not match --date-format {self.date_format}"
                )
            if _SHORT_YEAR.fullmatch(value):
                raise FieldError(
                    f"{self.field} '{shown(value)}' has a two-digit year: write the year in full "
                    f"or pass --date-format, e.g. %m/%d/%y or %d/%m/%y"
                )
            raise FieldError(f"{self.field} '{shown(value)}' is not a valid date ({hint})")
        day, moment = found
        if moment is not None and not with_time:
            raise FieldError(f"{self.field} '{shown(value)}' is not a valid date ({hint})")
        return day, moment

    def settled_order(self) -> DayOrder | None:
        """The order the column proved, when it proved exactly one."""
        return next(iter(self.proof)) if len(self.proof) == 1 else None

    def needs_second_reading(self) -> bool:
        """Whether some value was refused before the order was proved, or read in an order
        that a later value contradicted."""
        settled = self.settled_order()
        return (settled is not None and self.refused > 0) or (settled is None and self.guessed > 0)

    def second_reading(self) -> DateColumn:
        """A fresh column that reads every value as the whole file says."""
        return DateColumn(self.field, self.date_format, self.settled_order(), guess=False)

    def warnings(self) -> list[str]:
        """What the user should know about how this column's day/month dates were read."""
        if len(self.proof) == 2:
            return [
                f"{self.field}: the file writes dates both day first ('{self.proof[DAY_FIRST]}') and "
                f"month first ('{self.proof[MONTH_FIRST]}'); check it, or pass --date-format"
            ]
        order = self.order or self.settled_order()
        if order is not None and self.ambiguous:
            layout = "day/month/year" if order == DAY_FIRST else "month/day/year"
            return [
                f"{self.field}: {self.ambiguous:,} dates such as '{self.first_ambiguous}' were read as "
                f"{layout}, as '{self.proof[order]}' in the same column can only be read that way; "
                f"pass --date-format to read them otherwise"
            ]
        return []

    def _day_month(self, value: str) -> tuple[dt.date, dt.datetime | None] | None:
        match = _DAY_MONTH.fullmatch(value)
        if match is None:
            return None
        first, separator, second, year = match.group(1, 2, 3, 4)
        readings: dict[DayOrder, dt.date] = {}
        for way, (day, month) in ((DAY_FIRST, (first, second)), (MONTH_FIRST, (second, first))):
            with contextlib.suppress(ValueError):
                readings[way] = dt.date(int(year), int(month), int(day))
        clock = _clock(*match.group(5, 6, 7, 8))
        if not readings or clock is False:
            return None
        if len(readings) == 1:
            self.proof.setdefault(next(iter(readings)), value)
            return _with_time(next(iter(readings.values())), clock)
        if readings[DAY_FIRST] == readings[MONTH_FIRST]:
            return _with_time(readings[DAY_FIRST], clock)
        self.ambiguous += 1
        self.first_ambiguous = self.first_ambiguous or value
        order = self.order
        if order is None and self.guess:
            order = self.settled_order()
            if order is not None:
                self.guessed += 1
        if order is None:
            self.refused += 1
            raise FieldError(self._ambiguous_reason(value, readings, separator, match.group(5, 7, 8)))
        return _with_time(readings[order], clock)

    def _ambiguous_reason(
        self, value: str, readings: dict[DayOrder, dt.date], separator: str, time: tuple[str | None, ...]
    ) -> str:
        hour, seconds, half = time
        clock = "" if hour is None else (" %I:%M" if half else " %H:%M") + (":%S" if seconds else "")
        clock += " %p" if half else ""
        formats = [f"%d{separator}%m{separator}%Y{clock}", f"%m{separator}%d{separator}%Y{clock}"]
        words = [
            f"{readings[order].day} {_MONTHS[readings[order].month - 1]}"
            for order in (DAY_FIRST, MONTH_FIRST)
        ]
        return (
            f"{self.field} '{shown(value)}' could be {words[0]} or {words[1]}: "
            f"pass --date-format {formats[0]} or {formats[1]}"
        )


def _clock(
    hour: str | None, minute: str | None, second: str | None, half: str | None
) -> dt.time | Literal[False] | None:
    """The time of day of a day/month value; None without one, False when it is not a time."""
    if hour is None or minute is None:
        return None
    hours = int(hour)
    if half is not None:
        if not 1 <= hours <= 12:
            return False
        hours = hours % 12 + (12 if half in "Pp" else 0)
    try:
        return dt.time(hours, int(minute), int(second or 0))
    except ValueError:
        return False


def _with_time(day: dt.date, clock: dt.time | None) -> tuple[dt.date, dt.datetime | None]:
    if clock is None or clock == dt.time(0):
        return day, None
    return day, dt.datetime.combine(day, clock)


def _moment(moment: dt.datetime) -> tuple[dt.date, dt.datetime | None]:
    """Midnight without an offset counts as a plain date."""
    if moment.tzinfo is None and moment.time() == dt.time(0):
        return moment.date(), None
    return moment.date(), moment


def _formatted(value: str, date_format: str) -> tuple[dt.date, dt.datetime | None] | None:
    try:
        return _moment(dt.datetime.strptime(value, date_format))
    except ValueError:
        return None


def _year_first(field: str, value: str, hint: str) -> tuple[dt.date, dt.datetime | None] | None:
    if _DATETIME_START.match(value):
        try:
            return _moment(dt.datetime.fromisoformat(value))
        except ValueError:
            raise FieldError(f"{field} '{shown(value)}' is not a valid date ({hint})") from None
    for pattern in _YEAR_FIRST:
        match = pattern.fullmatch(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day), None
            except ValueError:
                raise FieldError(f"{field} '{shown(value)}' is not a valid date ({hint})") from None
    return None


def _serial(value: str) -> tuple[dt.date, dt.datetime | None] | None:
    """An Excel serial day from a number cell (an 8-digit number cell is YYYYMMDD, read before)."""
    if not isinstance(value, NumberCell) or not _SERIAL.fullmatch(value):
        return None
    number = float(value)
    if not 1 <= number <= MAX_SERIAL:
        return None
    moment = from_excel(number, value.epoch)
    if not isinstance(moment, dt.datetime):
        return None
    return _moment((moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0))  # whole seconds


def check_range(field: str, value: str, day: dt.date, latest: dt.date) -> None:
    """Refuse dates before 1900 (typos such as 0197) and dates after `latest`."""
    if day < EARLIEST:
        raise FieldError(f"{field} '{shown(value)}' is before 1900")
    if day > latest:
        raise FieldError(f"{field} '{shown(value)}' is in the future")
