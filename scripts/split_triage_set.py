"""Give every row of tests/data/triage_messages.csv without a `split` one: tune or holdout.

Stratified by (language, kind): in each stratum, rows are shuffled with a fixed seed and 30% of
them (rounded) become the held-out part. Rows that already have a split keep it, so the split
is made once and adding messages later never moves an old one between the parts.

    python scripts/split_triage_set.py
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage_messages.csv"
HOLDOUT_SHARE = 0.3
SEED = 20261203


def main() -> None:
    with DATA.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    strata: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if not row["split"]:
            strata[(row["lang"], row["kind"])].append(row)
    rng = random.Random(SEED)
    for key in sorted(strata):
        members = strata[key]
        rng.shuffle(members)
        held = round(len(members) * HOLDOUT_SHARE)
        for i, row in enumerate(members):
            row["split"] = "holdout" if i < held else "tune"
    with DATA.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
