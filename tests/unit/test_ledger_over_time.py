"""One replay of a ledger gives, at every moment, the balance a replay up to that moment gives:
the KPI liability trend reads all its weeks from one pass over each customer's ledger."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.ledger import balance_at, outstanding_over_time

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Entry:
    id: int | None
    delta: int
    available_at: datetime
    expires_at: datetime | None
    lot_id: int | None
    created_at: datetime


def random_ledger(rng: random.Random, size: int) -> list[Entry]:
    """Purchases (some pending, most expiring), refunds of a purchase's batch, redemptions."""
    entries: list[Entry] = []
    credits: list[Entry] = []
    at = START
    for n in range(1, size + 1):
        at += timedelta(hours=rng.choice([1, 6, 24, 24, 72, 240]))
        roll = rng.random()
        if roll < 0.55 or not credits:
            pending = timedelta(days=rng.choice([0, 0, 7, 14]))
            expiry = None if rng.random() < 0.2 else at + timedelta(days=rng.choice([30, 90, 365]))
            entry = Entry(n, rng.randint(5, 200), at + pending, expiry, None, at)
            credits.append(entry)
        elif roll < 0.7:
            batch = rng.choice(credits)
            entry = Entry(n, -rng.randint(1, batch.delta), at, None, batch.id, at)
        else:
            entry = Entry(n, -rng.randint(1, 150), at, None, None, at)
        entries.append(entry)
    rng.shuffle(entries)  # the replay orders them itself
    return entries


@pytest.mark.parametrize("seed", range(40))
def test_each_moment_matches_a_replay_up_to_that_moment(seed: int) -> None:
    rng = random.Random(seed)
    entries = random_ledger(rng, rng.randint(1, 60))
    last = max(e.created_at for e in entries)
    moments = [START + (last - START) * rng.random() for _ in range(12)] + [
        last,
        START,
        entries[0].created_at,
    ]

    got = outstanding_over_time(entries, moments)

    expected = []
    for moment in moments:
        known = [e for e in entries if e.created_at <= moment]
        balance = balance_at(known, moment, lookahead_days=0) if known else None
        expected.append((balance.spendable, balance.pending) if balance else (0, 0))
    assert got == expected
    assert any(spendable or pending for spendable, pending in got)
