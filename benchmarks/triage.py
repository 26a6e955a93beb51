"""The triage suite: "needs a human" on the labelled set, per language and part, and triage latency.

Also measured, as the evidence for the method: a small model trained on the same tune part
(character 1–3-gram TF-IDF and logistic regression, scikit-learn), its threshold set by 5-fold
cross-validation on the tune part for recall ≥ 0.97, scored on the held-out part.

    python -m benchmarks --only triage
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.machine import describe
from bot.text.triage import triage
from tests.support.triage_set import PARTS, Message, Score, load, scores_by_language

REPEATS = 50
RECALL_GOAL, PRECISION_GOAL, P99_GOAL_MS = 0.97, 0.85, 1.0


def run() -> str:
    messages = load()
    ours = {part: scores_by_language(load(part), _ours) for part in PARTS}
    latency = _latency([m.text for m in messages], triage)
    baseline, baseline_latency = _baseline(load("tune"), load("holdout"))
    held = ours["holdout"]
    met = all(s.recall >= RECALL_GOAL and s.precision >= PRECISION_GOAL for s in held.values())
    lines = [
        '## Triage: "needs a human"',
        "",
        describe(),
        "",
        f"`python -m benchmarks --only triage`: `bot.text.triage` on the {len(messages)} labelled",
        "messages of `tests/data/triage_messages.csv` (split once, stratified by language and kind, before",
        'any rule was written; rules tuned on the tune part only). "Needs a human" = complaint, question',
        "or request.",
        "",
        "| part | language | messages | needing a human | recall | precision | kind right |",
        "|---|---|---|---|---|---|---|",
    ]
    for part in PARTS:
        for lang, s in ours[part].items():
            label = f"**{lang}**" if lang == "all" else lang
            needing = s.true_positives + len(s.false_negatives)
            lines.append(
                f"| {part} | {label} | {s.messages} | {needing} | {s.recall:.3f} | {s.precision:.3f} "
                f"| {s.kind_accuracy:.3f} |"
            )
    lines += [
        "",
        f"Held-out misses: {_ids(held['all'].false_negatives)}; "
        f"held-out false alarms: {_ids(held['all'].false_positives)}.",
        "",
        f"Latency, every message {REPEATS} times after a warm-up, one thread: "
        f"p50 **{latency[0]:.0f} µs**, p99 **{latency[1]:.0f} µs**, max {latency[2]:.0f} µs.",
        "",
        f"Goals on the held-out part (recall ≥ {RECALL_GOAL}, precision ≥ {PRECISION_GOAL}, every language) "
        f"{'**met**' if met else '**not met**'}; p99 < {P99_GOAL_MS:.0f} ms "
        f"{'**met**' if latency[1] < P99_GOAL_MS * 1000 else '**not met**'}.",
        "",
        "### The model it was weighed against",
        "",
        "Character 1–3-gram TF-IDF + logistic regression (balanced classes) trained on the tune part;",
        "threshold from 5-fold cross-validation on the tune part for recall ≥ 0.97; scored on the",
        "held-out part.",
        "",
        "| language | recall | precision |",
        "|---|---|---|",
    ]
    lines += [f"| {lang} | {s.recall:.3f} | {s.precision:.3f} |" for lang, s in baseline.items()]
    lines += [
        "",
        f"Its latency, one message a call: p50 {baseline_latency[0]:.0f} µs, "
        f"p99 {baseline_latency[1]:.0f} µs.",
    ]
    return "\n".join(lines) + "\n"


def _ours(text: str) -> tuple[str, bool]:
    result = triage(text)
    return result.kind, result.needs_human


def _ids(messages: Sequence[Message]) -> str:
    return ", ".join(f"{m.id} ({m.kind}) “{m.text}”" for m in messages) or "none"


def _latency(texts: list[str], classify: Callable[[str], Any], repeats: int = REPEATS) -> tuple[float, ...]:
    """p50, p99 and max in microseconds of `classify` over `texts`, each `repeats` times."""
    for text in texts:
        classify(text)
    times: list[float] = []
    for _ in range(repeats):
        for text in texts:
            start = time.perf_counter_ns()
            classify(text)
            times.append((time.perf_counter_ns() - start) / 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)], times[-1]


def _baseline(tune: list[Message], holdout: list[Message]) -> tuple[dict[str, Score], tuple[float, ...]]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline, make_pipeline

    def model() -> Pipeline:
        return make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True),
            LogisticRegression(class_weight="balanced", max_iter=2000),
        )

    texts = [m.text for m in tune]
    y = np.array([m.needs_human for m in tune])
    strata = [f"{m.lang}/{m.kind}" for m in tune]
    p = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, strata):
        fold = model().fit([texts[i] for i in train], y[train])
        p[test] = fold.predict_proba([texts[i] for i in test])[:, 1]
    positives = np.sort(p[y])
    threshold = float(positives[int(np.floor((1 - RECALL_GOAL) * len(positives)))])
    fitted = model().fit(texts, y)

    def classify(text: str) -> tuple[str, bool]:
        human = bool(fitted.predict_proba([text])[0, 1] >= threshold)
        return ("question" if human else "chatter"), human

    scores = scores_by_language(holdout, classify)
    return scores, _latency([m.text for m in holdout], classify, repeats=3)
