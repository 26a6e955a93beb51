"""Give every row of tests/data/faq_messages.csv without a `split` one: tune or holdout.

Stratified by language and by whether the message should be answered (an entry) or not ("none"):
in each stratum, rows are shuffled with a fixed seed and 35% of them (rounded) become the
held-out part, which the matcher is never tuned on. Rows that already have a split keep it.

    python scripts/split_faq_set.py
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "faq_messages.csv"
HOLDOUT_SHARE = 0.35
SEED = 20261205


def main() -> None:
    with DATA.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    strata: dict[tuple[str, bool], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if not row["split"]:
            strata[(row["lang"], row["expected"] == "none")].append(row)
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
