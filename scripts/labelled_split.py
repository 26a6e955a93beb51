"""The one way a labelled set in tests/data gets its tune / holdout split (scripts/split_*_set.py).

Rows without a `split` are grouped by `stratum(row)`; in each group, shuffled with a fixed seed,
`holdout_share` of them (rounded) become the held-out part. Rows that already have a split keep
it, so the split is made once and adding messages later never moves an old one between the parts.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path


def split_rows(
    path: Path, *, holdout_share: float, seed: int, stratum: Callable[[dict[str, str]], tuple[str, str]]
) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    strata: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if not row["split"]:
            strata[stratum(row)].append(row)
    rng = random.Random(seed)
    for key in sorted(strata):
        members = strata[key]
        rng.shuffle(members)
        held = round(len(members) * holdout_share)
        for i, row in enumerate(members):
            row["split"] = "holdout" if i < held else "tune"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
