"""Which purchase a row is: its order id, or one derived from its content.

A row without `order_id` gets "imp-" + the first 20 hex digits of
sha256("customer_id|date|amount|quantity|currency|occurrence"), where the values are the
validated ones (date as ISO text, with the time when the file gave one; amount with two
decimals; empty text for a missing quantity or currency) and `occurrence` counts identical
rows so far in the file, from 1. So re-importing a file yields the same ids (nothing is added
twice), two identical rows in one file are two purchases, and rows appended to a file later
do not change the ids of the earlier ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from decimal import Decimal
from typing import Generic, TypeVar

from .errors import FieldError
from .text import shown

R = TypeVar("R")


class StableOrderIds:
    """Hands out content-derived order ids for one file."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def next_id(
        self,
        customer_id: str,
        when: dt.date | dt.datetime,
        amount: Decimal,
        quantity: int | None,
        currency: str | None,
    ) -> str:
        quantity_text = "" if quantity is None else str(quantity)
        content = f"{customer_id}|{when.isoformat()}|{amount}|{quantity_text}|{currency or ''}"
        self._seen[content] += 1
        digest = hashlib.sha256(f"{content}|{self._seen[content]}".encode()).hexdigest()
        return "imp-" + digest[:20]


class FirstSeen(Generic[R]):
    """Rows sharing an id within one file: an exact repeat is dropped, a different one is a bad row."""

    def __init__(self, id_name: str) -> None:
        self._id_name = id_name
        self._first: dict[str, tuple[int, R]] = {}

    def is_new(self, key: str, line: int, record: R) -> bool:
        """True for a first sighting, False for an exact repeat; FieldError for a conflict."""
        first = self._first.setdefault(key, (line, record))
        if first[0] == line:
            return True
        if first[1] == record:
            return False
        raise FieldError(
            f"{self._id_name} '{shown(key)}' already appears on line {first[0]} with different values"
        )
