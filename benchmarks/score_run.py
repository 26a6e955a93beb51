"""`python -m benchmarks.score_run URL AS_OF`: one scoring run; its timings and peak memory as JSON.

A process of its own, so that its peak resident memory is the scoring's and nothing else's.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

from bot.config import Settings
from bot.context import AppContext
from bot.services.scoring import score_all


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ru_maxrss survives exec (it would report the
    parent's peak when that was higher), so read the memory map's high-water mark first."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main(argv: list[str]) -> int:
    url, as_of = argv
    baseline = _peak_rss_mb()
    ctx = AppContext.from_settings(Settings(_env_file=None, database_url=url))
    started = time.perf_counter()
    run = score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, as_of=date.fromisoformat(as_of))
    wall = time.perf_counter() - started
    ctx.close()
    print(
        json.dumps(
            {
                "wall": wall,
                "timings": run.timings,
                "peak_rss_mb": _peak_rss_mb(),
                "baseline_rss_mb": baseline,
                "customers": run.customers,
                "snapshots": run.snapshots_written,
                "at_risk": run.at_risk,
                "entered": len(run.entered),
                "purchases": int(run.result.summary.n_orders.sum()),
                "summary": run.summary(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
