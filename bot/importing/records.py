"""The validated, plain records the import produces; persisting them is the caller's job."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Language = Literal["en", "zh-Hans", "zh-Hant"]


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """One customer row; None / () means the cell was empty."""

    customer_id: str
    name: str | None = None
    phone: str | None = None  # E.164, e.g. +14155550123
    email: str | None = None  # domain lower-cased
    birthday: dt.date | None = None
    language: Language | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PurchaseRecord:
    """One purchase row.

    `date` is the calendar date as written in the file; `timestamp` is set only when the file
    gave a time of day too (naive means the business's local time). `order_id` is always set:
    taken from the file, or generated from the row's content (`order_id_generated`).
    """

    customer_id: str
    date: dt.date
    amount: Decimal  # >= 0, exactly two decimal places
    order_id: str
    order_id_generated: bool = False
    timestamp: dt.datetime | None = None
    quantity: int | None = None
    currency: str | None = None  # ISO 4217, upper case
