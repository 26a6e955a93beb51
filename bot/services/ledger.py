"""Balances derived from the points ledger (pure functions over its entries).

Credits are batches ("lots") with an availability time (pending until then) and an expiry.
Debits consume lots: first the lot they name (a refund reverses its own purchase's batch),
then spendable lots soonest-expiring first, then pending lots. Expiry needs no job to be
correct: a lot past its expiry simply stops counting (the job writes the `expire` entry so
the history says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class LedgerRow(Protocol):
    id: int | None
    delta: int
    available_at: datetime
    expires_at: datetime | None
    lot_id: int | None
    created_at: datetime


@dataclass
class Lot:
    entry_id: int
    amount: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Balance:
    spendable: int
    pending: int
    pending_until: datetime | None
    """When the earliest pending batch becomes spendable."""
    expiring: tuple[tuple[datetime, int], ...] = field(default=())
    """(expiry time, points) of batches expiring within the look-ahead window, soonest first."""
    expired_unrecorded: tuple[tuple[int, int], ...] = field(default=())
    """(lot entry id, points) of batches past expiry with points left and no `expire` entry yet."""


def _order(lot: Lot) -> tuple[bool, datetime, datetime, int]:
    never = lot.expires_at is None
    return (never, lot.expires_at or lot.created_at, lot.created_at, lot.entry_id)


def build_lots(entries: Iterable[LedgerRow]) -> list[Lot]:
    """Replay the ledger in order and return each credit batch with what is left of it."""
    lots: dict[int, Lot] = {}
    for entry in _in_order(entries):
        _apply(lots, entry)
    return list(lots.values())


def outstanding_over_time(entries: Iterable[LedgerRow], moments: Sequence[datetime]) -> list[tuple[int, int]]:
    """(spendable, pending) at each moment, as `balance_at` counts them, from one replay: the lots
    after the entries up to a moment are a state every later replay passes through, so each moment
    is read on the way instead of replaying the ledger once per moment."""
    rows = _in_order(entries)
    lots: dict[int, Lot] = {}
    out = [(0, 0)] * len(moments)
    applied = 0
    for i in sorted(range(len(moments)), key=moments.__getitem__):
        moment = moments[i]
        while applied < len(rows) and rows[applied].created_at <= moment:
            _apply(lots, rows[applied])
            applied += 1
        spendable = sum(
            lot.remaining for lot in lots.values() if lot.available_at <= moment and not _expired(lot, moment)
        )
        pending = sum(lot.remaining for lot in lots.values() if lot.available_at > moment)
        out[i] = (spendable, pending)
    return out


def _in_order(entries: Iterable[LedgerRow]) -> list[LedgerRow]:
    return sorted(entries, key=lambda e: (e.created_at, e.id or 0))


def _apply(lots: dict[int, Lot], entry: LedgerRow) -> None:
    """One entry of the replay: a credit opens a lot, a debit consumes lots."""
    if entry.delta > 0:
        assert entry.id is not None
        lots[entry.id] = Lot(
            entry.id, entry.delta, entry.delta, entry.available_at, entry.expires_at, entry.created_at
        )
    else:
        _consume(lots, -entry.delta, at=entry.created_at, first=entry.lot_id)


def _consume(lots: dict[int, Lot], amount: int, *, at: datetime, first: int | None) -> None:
    if first is not None and first in lots:
        amount -= _take(lots[first], amount)
    live = [lot for lot in lots.values() if lot.remaining > 0 and not _expired(lot, at)]
    spendable = sorted((lot for lot in live if lot.available_at <= at), key=_order)
    pending = sorted((lot for lot in live if lot.available_at > at), key=_order)
    for lot in (*spendable, *pending):
        if amount <= 0:
            return
        amount -= _take(lot, amount)


def _take(lot: Lot, amount: int) -> int:
    taken = min(lot.remaining, amount)
    lot.remaining -= taken
    return taken


def _expired(lot: Lot, at: datetime) -> bool:
    return lot.expires_at is not None and lot.expires_at <= at


def balance_at(entries: Sequence[LedgerRow], now: datetime, *, lookahead_days: int = 30) -> Balance:
    """Spendable and pending points at `now`, and the batches expiring in the next `lookahead_days`."""
    lots = build_lots(entries)
    spendable = sum(lot.remaining for lot in lots if lot.available_at <= now and not _expired(lot, now))
    pending_lots = [lot for lot in lots if lot.available_at > now and lot.remaining > 0]
    horizon = now.timestamp() + lookahead_days * 86400
    expiring = sorted(
        (lot.expires_at, lot.remaining)
        for lot in lots
        if lot.expires_at is not None
        and lot.remaining > 0
        and not _expired(lot, now)
        and lot.expires_at.timestamp() <= horizon
    )
    expired = tuple((lot.entry_id, lot.remaining) for lot in lots if lot.remaining > 0 and _expired(lot, now))
    return Balance(
        spendable=spendable,
        pending=sum(lot.remaining for lot in pending_lots),
        pending_until=min((lot.available_at for lot in pending_lots), default=None),
        expiring=tuple(expiring),
        expired_unrecorded=expired,
    )
