"""`make soak` (`python -m benchmarks.soak`): the fault suite's scenarios (tests/support/faults.py)
with many kill points, SOAK_KILLS in all (default 200), shared out evenly; prints a table (scenario,
kill points survived, lost, doubled) and writes it into docs/benchmarks.md (section `soak`).

Each scenario runs in batches of SOAK_BATCH kill points, each on a fresh SQLite database and fresh
sandboxes, SOAK_JOBS batches at a time; a batch that fails outright (a timeout, a crash) is
reported as such and the soak goes on. SOAK_SEED fixes the kill points (default: random, printed).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from benchmarks.docs import write_section
from benchmarks.machine import describe
from storage.db import create_db_engine
from storage.schema import upgrade
from tests.support.faults import SCENARIOS, Run, Tally


def _template(directory: Path) -> Path:
    path = directory / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


async def _batch(
    name: str, kills: int, seed: int, template: Path, root: Path, gate: asyncio.Semaphore
) -> Tally:
    async with gate:
        directory = Path(tempfile.mkdtemp(prefix=f"soak-{name.replace(' ', '-')}-", dir=root))
        database = directory / "retention.db"
        shutil.copyfile(template, database)
        started = time.monotonic()
        try:
            tally = await SCENARIOS[name](Run(directory, f"sqlite:///{database}", kills, seed))
        except Exception as exc:  # a batch that breaks is reported, and the soak goes on
            tally = Tally(name, seconds=time.monotonic() - started)
            tally.note(f"batch seed {seed} failed: {type(exc).__name__}: {str(exc)[:300]}")
            traceback.print_exc()
        print(
            f"  {name}: {tally.kill_points} kill points, lost {tally.lost}, doubled {tally.doubled} "
            f"(seed {seed}, {tally.seconds:.0f} s)",
            flush=True,
        )
        return tally


async def soak(
    kills: int, batch: int, jobs: int, seed: int, root: Path, progress: Callable[[dict[str, Tally]], None]
) -> dict[str, Tally]:
    """Batches interleaved over the scenarios; `progress` gets the totals after each batch."""
    template = _template(root)
    rng = random.Random(seed)
    names = list(SCENARIOS)
    share = {name: kills // len(names) + (1 if i < kills % len(names) else 0) for i, name in enumerate(names)}
    gate = asyncio.Semaphore(jobs)
    totals = {name: Tally(name) for name in names}
    sizes = {name: [min(batch, share[name] - k) for k in range(0, share[name], batch)] for name in names}
    order = [
        (name, size)
        for row in itertools.zip_longest(*sizes.values())
        for name, size in zip(names, row, strict=True)
        if size
    ]

    async def one(name: str, size: int, batch_seed: int) -> None:
        tally = await _batch(name, size, batch_seed, template, root, gate)
        totals[name].add(tally)
        progress(totals)

    await asyncio.gather(*(one(name, size, rng.randrange(1_000_000)) for name, size in order))
    return totals


def table(totals: dict[str, Tally]) -> list[str]:
    rows = [
        "| scenario | kill points | survived | lost | doubled (at-least-once) | replies lost "
        "| effects checked | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in totals.values():
        rows.append(
            f"| {t.scenario} | {t.kill_points} | {t.kill_points - t.failed_points} | {t.lost} "
            f"| {t.doubled} ({t.doubled_documented}) | {t.replies_lost} | {t.effects:,} "
            f"| {t.seconds / 60:.1f} min |"
        )
    all_ = Tally("all")
    for t in totals.values():
        all_.add(t)
    rows.append(
        f"| **all** | **{all_.kill_points}** | **{all_.kill_points - all_.failed_points}** | **{all_.lost}** "
        f"| **{all_.doubled} ({all_.doubled_documented})** | **{all_.replies_lost}** | {all_.effects:,} "
        f"| {all_.seconds / 60:.1f} min |"
    )
    return rows


def section(totals: dict[str, Tally], kills: int, seed: int, wall: float) -> str:
    notes = [f"- {t.scenario}: {line}" for t in totals.values() for line in t.notes]
    notes.sort(key=lambda line: "sent again by design" in line)  # the documented doubles last
    lines = [
        "## Fault soak: `kill -9` at random points",
        "",
        describe(),
        "",
        f"Command: `make soak` (`SOAK_KILLS={kills} python -m benchmarks.soak`, seed {seed}); "
        f"{sum(t.kill_points for t in totals.values())} kill points so far of {kills} planned, "
        f"{wall / 60:.0f} minutes wall time.",
        "",
        "The fault suite's scenarios (tests/support/faults.py) on SQLite, each kill point a SIGKILL of",
        "the real process (`retention-bot run`, or the CLI for the campaign and the import) at a random",
        "moment of the work, then a restart (or `survey resume`, or the import again) and a check from",
        "the sandboxes' records and the database: *lost* is an acknowledged action without its effect,",
        "*doubled* an effect that came twice; in brackets the doubles inside a window docs/decisions.md",
        "documents as at least once (a survey in doubt, an outbox delivery taken over from the killed",
        "process). *Survived*: kill points after which nothing was lost. *Replies lost*: the customer's",
        "own answer (the coupon, the ticket's number) that never came although the effect committed:",
        "those are sent after the commit, not through the outbox; not counted in *lost*.",
        "",
        *table(totals),
    ]
    if notes:
        lines += ["", "What was lost or doubled, by kill point:", "", *notes[:60]]
        if len(notes) > 60:
            lines.append(f"- … and {len(notes) - 60} more")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=int(os.environ.get("SOAK_KILLS", "200")))
    parser.add_argument("--batch", type=int, default=int(os.environ.get("SOAK_BATCH", "10")))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("SOAK_JOBS", "2")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "0")) or None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    parser.add_argument(
        "--raw", default="soak-results.json", help="the totals as JSON (default soak-results.json)"
    )
    args = parser.parse_args(argv)
    seed = args.seed or random.SystemRandom().randrange(1_000_000)
    print(f"soak: {args.kills} kill points, seed {seed}", flush=True)
    started = time.monotonic()

    def record(totals: dict[str, Tally]) -> None:
        """After each batch: the section so far (a soak stopped early still leaves its numbers)."""
        body = section(totals, args.kills, seed, time.monotonic() - started)
        if not args.no_write:
            write_section("soak", body)
        Path(args.raw).write_text(json.dumps([asdict(t) for t in totals.values()], indent=1))

    with tempfile.TemporaryDirectory(prefix="soak-") as root:
        totals = asyncio.run(soak(args.kills, args.batch, args.jobs, seed, Path(root), record))
    record(totals)
    print(section(totals, args.kills, seed, time.monotonic() - started))
    return 1 if any(t.lost for t in totals.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
