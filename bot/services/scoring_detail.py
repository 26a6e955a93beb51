"""One row per scored customer (`score --detail`), in SPEC §1's column order."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import col, select

from bot.i18n import Translator
from bot.services.risk_reasons import describe_reason, reason_to_json
from bot.services.scoring import ScoringRun
from storage.models import Customer
from storage.uow import UnitOfWork

DETAIL_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "p_alive",
    "expected_purchases_90d",
    "expected_order_value",
    "clv",
    "r",
    "f",
    "m",
    "segment",
    "stage",
    "at_risk",
    "reasons",
)
REASON_SEPARATOR = " | "  # the overdue sentence itself contains a semicolon


def detail_rows(uow: UnitOfWork, run: ScoringRun, translator: Translator) -> Iterator[tuple[object, ...]]:
    """Rows for DETAIL_COLUMNS: the business's customer id, full-precision numbers, reasons in words."""
    with uow:
        external = dict(
            uow.session.execute(select(col(Customer.id), col(Customer.external_id))).tuples().all()
        )
    result = run.result
    s, rfm, risk = result.summary, result.rfm, result.at_risk
    columns = zip(
        s.customer.tolist(),
        s.frequency.tolist(),
        s.recency.tolist(),
        s.T.tolist(),
        result.p_alive.tolist(),
        result.expected_purchases.tolist(),
        result.expected_order_value.tolist(),
        result.clv.tolist(),
        rfm.r.tolist(),
        rfm.f.tolist(),
        rfm.m.tolist(),
        rfm.segment.tolist(),
        result.stage.tolist(),
        risk.flagged.tolist(),
        risk.reasons,
        strict=True,
    )
    for key, *numbers, flagged, reasons in columns:
        words = REASON_SEPARATOR.join(describe_reason(reason_to_json(r), translator) for r in reasons)
        yield (external.get(key, str(key)), *numbers, int(flagged), words)
