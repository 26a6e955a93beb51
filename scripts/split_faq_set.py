"""Give every row of tests/data/faq_messages.csv without a `split` one: tune or holdout.

Stratified by language and by whether the message should be answered (an entry) or not ("none"):
in each stratum, rows are shuffled with a fixed seed and 35% of them (rounded) become the
held-out part, which the matcher is never tuned on. Rows that already have a split keep it.

    python scripts/split_faq_set.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labelled_split import split_rows

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "faq_messages.csv"
HOLDOUT_SHARE = 0.35
SEED = 20261205


def main() -> None:
    split_rows(
        DATA,
        holdout_share=HOLDOUT_SHARE,
        seed=SEED,
        stratum=lambda row: (row["lang"], "none" if row["expected"] == "none" else "entry"),
    )


if __name__ == "__main__":
    main()
