"""The fault suite (issue 13, SPEC §7): `kill -9` of the real process at random points during a
campaign, a redemption, an import, an alert and a staff reply, then a restart; nothing the
platforms or the CLI acknowledged is lost, and nothing is done twice, by the sandboxes' records
and by the database's (tests/support/faults.py).

A customer's own reply lost after its effect committed (the coupon's message, the ticket's number:
sent after the commit, not through the outbox) is not an acknowledged effect lost: it is reported as
a warning here and in its own column by the soak, not failed on.

A few kill points per scenario here; `make soak` runs hundreds and writes docs/benchmarks.md.
Where the kill points fall is random: the seed is printed with a failure, and FAULT_SEED=N runs
the same kill points again.
"""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path

import pytest

from tests.support.faults import SCENARIOS, Run

KILL_POINTS = 2
CASES = [
    *(pytest.param(name, "sqlite", id=name) for name in SCENARIOS),
    # The CLI's transactions on PostgreSQL too: the import's all-or-none, the campaign's lease.
    *(
        pytest.param(name, "postgres", id=f"{name}-postgres", marks=pytest.mark.postgres)
        for name in ("campaign", "import")
    ),
]


def seed() -> int:
    chosen = os.environ.get("FAULT_SEED")
    return int(chosen) if chosen else random.SystemRandom().randrange(1_000_000)


@pytest.mark.parametrize(("scenario", "database"), CASES)
async def test_kill_9_at_random_points_loses_nothing_and_doubles_nothing(
    scenario: str, database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database_url: str = request.getfixturevalue(f"{database}_url")
    chosen = seed()
    tally = await SCENARIOS[scenario](Run(tmp_path, database_url, KILL_POINTS, chosen))

    report = f"{scenario} on {database}, FAULT_SEED={chosen}: {tally}"
    assert tally.kill_points >= 1, report
    assert tally.lost == 0, report
    # A double is only allowed where docs/decisions.md says "at least once" (a survey in doubt).
    assert tally.doubled == tally.doubled_documented, report
    if tally.replies_lost:
        warnings.warn(f"replies lost after their effect committed: {report}", stacklevel=1)
