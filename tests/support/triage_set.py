"""The labelled triage set (tests/data/triage_messages.csv) and how well triage does on it."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "triage_messages.csv"
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
PARTS = ("tune", "holdout")


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    lang: str
    shop: str
    kind: str
    needs_human: bool
    split: str
    tags: str
    text: str


@dataclass(frozen=True, slots=True)
class Score:
    """ "Needs a human" as a detection task: recall, precision, and the messages it got wrong."""

    messages: int
    true_positives: int
    false_negatives: tuple[Message, ...]
    false_positives: tuple[Message, ...]
    kind_correct: int

    @property
    def recall(self) -> float:
        found = self.true_positives + len(self.false_negatives)
        return self.true_positives / found if found else 1.0

    @property
    def precision(self) -> float:
        flagged = self.true_positives + len(self.false_positives)
        return self.true_positives / flagged if flagged else 1.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_correct / self.messages if self.messages else 1.0


def load(part: str | None = None) -> list[Message]:
    """The labelled messages, all of them or one part ("tune" or "holdout")."""
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = [
            Message(
                id=r["id"],
                lang=r["lang"],
                shop=r["shop"],
                kind=r["kind"],
                needs_human=r["needs_human"] == "yes",
                split=r["split"],
                tags=r["tags"],
                text=r["text"],
            )
            for r in csv.DictReader(f)
        ]
    return [m for m in rows if part is None or m.split == part]


def score(messages: Iterable[Message], classify: Callable[[str], tuple[str, bool]]) -> Score:
    """Score `classify` (text → (kind, needs a human)) on `messages`."""
    n = tp = kind_ok = 0
    missed: list[Message] = []
    extra: list[Message] = []
    for m in messages:
        kind, human = classify(m.text)
        n += 1
        kind_ok += kind == m.kind
        if human and m.needs_human:
            tp += 1
        elif m.needs_human:
            missed.append(m)
        elif human:
            extra.append(m)
    return Score(n, tp, tuple(missed), tuple(extra), kind_ok)


def scores_by_language(
    messages: list[Message], classify: Callable[[str], tuple[str, bool]]
) -> dict[str, Score]:
    """One score per language and one for "all"."""
    out = {lang: score([m for m in messages if m.lang == lang], classify) for lang in LANGUAGES}
    out["all"] = score(messages, classify)
    return out
