"""Give every row of tests/data/triage_messages.csv without a `split` one: tune or holdout.

Stratified by (language, kind): in each stratum, rows are shuffled with a fixed seed and 30% of
them (rounded) become the held-out part. Rows that already have a split keep it, so the split
is made once and adding messages later never moves an old one between the parts.

    python scripts/split_triage_set.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labelled_split import split_rows

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage_messages.csv"
HOLDOUT_SHARE = 0.3
SEED = 20261203


def main() -> None:
    split_rows(DATA, holdout_share=HOLDOUT_SHARE, seed=SEED, stratum=lambda row: (row["lang"], row["kind"]))


if __name__ == "__main__":
    main()
