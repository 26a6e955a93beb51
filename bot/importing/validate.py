"""One row's raw text → a validated record, or a FieldError listing everything wrong with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TypeVar

from babel import Locale

from . import fields
from .amounts import parse_amount, parse_quantity
from .dates import DateColumn, check_range
from .errors import FieldError
from .identity import StableOrderIds
from .records import CustomerRecord, PurchaseRecord
from .text import NumberCell, clean, within_limit

T = TypeVar("T")

ID_LIMIT = 64
NAME_LIMIT = 200
SHORT_LIMIT = 40  # dates, amounts, phones, languages …
EMAIL_LIMIT = 254  # RFC 5321's limit on a forward path
TAGS_LIMIT = 1000
BIRTHDAY_HINT = "use YYYY-MM-DD, YYYYMMDD or YYYY/MM/DD"
DATE_HINT = "use YYYY-MM-DD or YYYYMMDD"


class _Row:
    """Collects every reason a row is bad, so one message tells the user all there is to fix."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values
        self.reasons: list[str] = []

    def _cleaned(self, field: str, limit: int) -> str | None:
        """The cleaned value, or None (with the reason noted) when it is too long."""
        try:
            return within_limit(field, clean(self._values.get(field, "")), limit)
        except FieldError as error:
            self.reasons.append(str(error))
            return None

    def text(self, field: str, limit: int) -> str:
        """The cleaned value as is ("" when empty or too long)."""
        return self._cleaned(field, limit) or ""

    def parse(
        self, field: str, limit: int, parser: Callable[[str], T], *, required: bool = False
    ) -> T | None:
        """The parsed value; None when empty (a reason if `required`) or unusable (a reason)."""
        text = self._cleaned(field, limit)
        if not text:
            if required and text == "":
                self.reasons.append(f"{field} is required")
            return None
        raw = self._values.get(field, "")
        if isinstance(raw, NumberCell):
            text = type(raw)(text)  # the parser may read a number cell differently
        try:
            return parser(text)
        except FieldError as error:
            self.reasons.append(str(error))
            return None

    def failed(self) -> FieldError:
        """The error that makes this a bad row, naming every problem found."""
        return FieldError("; ".join(self.reasons))


def parse_customer(
    values: Mapping[str, str], *, region: str, today: dt.date, birthdays: DateColumn
) -> CustomerRecord:
    """A customer; the phone is read in `region` unless it starts with +."""
    row = _Row(values)
    customer_id = row.parse("customer_id", ID_LIMIT, str, required=True)
    name = row.parse("name", NAME_LIMIT, lambda text: " ".join(text.split()))
    phone = row.parse("phone", SHORT_LIMIT, lambda text: fields.parse_phone(text, region))
    email = row.parse("email", EMAIL_LIMIT, fields.parse_email)
    birthday = row.parse("birthday", SHORT_LIMIT, lambda text: _birthday(text, today, birthdays))
    language = row.parse("language", SHORT_LIMIT, fields.parse_language)
    tags = row.parse("tags", TAGS_LIMIT, fields.parse_tags)
    if row.reasons or customer_id is None:
        raise row.failed()
    return CustomerRecord(customer_id, name, phone, email, birthday, language, tags or ())


def _birthday(text: str, today: dt.date, birthdays: DateColumn) -> dt.date:
    day, _ = birthdays.read(text, BIRTHDAY_HINT, with_time=False)
    check_range("birthday", text, day, today)
    return day


def _moment(text: str, today: dt.date, dates: DateColumn) -> tuple[dt.date, dt.datetime | None]:
    day, moment = dates.read(text, DATE_HINT, with_time=True)
    check_range("date", text, day, today + dt.timedelta(days=1))  # a day's slack for time zones
    return day, moment


def parse_purchase(
    values: Mapping[str, str],
    *,
    today: dt.date,
    order_ids: StableOrderIds,
    locale: Locale,
    dates: DateColumn,
) -> PurchaseRecord:
    """A purchase; amounts are read in `locale`, dates by `dates`; without an order_id it gets a
    stable one from `order_ids` (see identity.py)."""
    row = _Row(values)
    customer_id = row.parse("customer_id", ID_LIMIT, str, required=True)
    when = row.parse("date", SHORT_LIMIT, lambda text: _moment(text, today, dates), required=True)
    amount = row.parse("amount", SHORT_LIMIT, lambda text: parse_amount(text, locale), required=True)
    order_id = row.text("order_id", ID_LIMIT)
    quantity = row.parse("quantity", SHORT_LIMIT, lambda text: parse_quantity(text, locale))
    currency = row.parse("currency", SHORT_LIMIT, fields.parse_currency)
    if row.reasons or customer_id is None or when is None or amount is None:
        raise row.failed()
    day, timestamp = when
    generated = not order_id
    if generated:
        order_id = order_ids.next_id(customer_id, timestamp or day, amount, quantity, currency)
    return PurchaseRecord(customer_id, day, amount, order_id, generated, timestamp, quantity, currency)
