"""Win-back offers to newly at-risk customers: an A/B split, conversions, and a significance test.

A customer gets at most one offer per at-risk episode (the snapshot day that flagged them). Each
offer carries a coupon (bot/services/coupons.py), issued when the offer is first about to be sent.
Variants are assigned by a hash of customer and episode: random across customers, stable on
replays (a crashed job that runs again assigns the same variant).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from scipy.stats import chi2_contingency, fisher_exact
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.coupons import void_offer_coupon
from storage.models import Customer, Purchase, WinbackOffer
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore


@dataclass(frozen=True)
class VariantResult:
    variant: str
    sent: int
    converted: int

    @property
    def rate(self) -> float:
        return self.converted / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class WinbackReport:
    variants: tuple[VariantResult, ...]
    test: str
    """"fisher" (two variants, exact) or "chi2" (more variants), or "none" when there is too little data."""
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < 0.05


def pick_variant(customer_id: int, episode: str, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256(f"{customer_id}:{episode}".encode()).digest()
    return names[int.from_bytes(digest[:8], "big") % len(names)]


def queue_offers(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, *, customer_ids: Iterable[int], episode: str
) -> list[WinbackOffer]:
    """Queue one offer per newly at-risk customer who allows promotions; returns the queued offers."""
    if not rules.winback.enabled:
        return []
    names = tuple(variant.name for variant in rules.winback.variants)
    now = clock.now()
    with uow:
        eligible = uow.session.exec(
            select(Customer.id).where(
                col(Customer.id).in_(list(customer_ids)),
                Customer.allows_promotions,
                col(Customer.unreachable).is_(False),
            )
        ).all()
        rows = [
            {
                "customer_id": cid,
                "episode": episode,
                "variant": pick_variant(cid, episode, names),
                "status": "queued",
                "created_at": now,
            }
            for cid in eligible
            if cid is not None
        ]
        insert_ignore(uow.session, WinbackOffer, rows)
        return list(
            uow.session.exec(
                select(WinbackOffer).where(WinbackOffer.episode == episode, WinbackOffer.status == "queued")
            ).all()
        )


def mark_offer(uow: UnitOfWork, clock: Clock, *, offer_id: int, sent: bool) -> None:
    """The outcome of sending an offer; one that never reached the customer voids its coupon."""
    with uow:
        offer = uow.session.get(WinbackOffer, offer_id)
        if offer is None or offer.status != "queued":
            return
        offer.status = "sent" if sent else "failed"
        offer.sent_at = clock.now() if sent else None
        uow.session.add(offer)
        if not sent:
            void_offer_coupon(uow, clock, offer_id=offer_id)


def record_conversions(uow: UnitOfWork, clock: Clock, rules: BusinessRules) -> int:
    """Mark offers whose customer bought within the measurement window after the offer; returns new ones."""
    window = timedelta(days=rules.winback.measurement_days)
    converted = 0
    with uow:
        open_offers = uow.session.exec(
            select(WinbackOffer).where(
                WinbackOffer.status == "sent", col(WinbackOffer.converted_at).is_(None)
            )
        ).all()
        for offer in open_offers:
            assert offer.sent_at is not None
            first = uow.session.exec(
                select(Purchase.created_at)
                .where(
                    Purchase.customer_id == offer.customer_id,
                    Purchase.created_at > offer.sent_at,
                    Purchase.created_at <= offer.sent_at + window,
                    col(Purchase.refunded_at).is_(None),
                )
                .order_by(col(Purchase.created_at))
            ).first()
            if first is not None:
                offer.converted_at = first
                uow.session.add(offer)
                converted += 1
    return converted


def winback_report(uow: UnitOfWork) -> WinbackReport:
    """Sends, conversions and conversion rate per variant, with Fisher's exact test (2 variants) or χ²."""
    with uow:
        offers = uow.session.exec(select(WinbackOffer).where(WinbackOffer.status == "sent")).all()
    names = sorted({offer.variant for offer in offers})
    results = tuple(
        VariantResult(
            name,
            sum(o.variant == name for o in offers),
            sum(o.variant == name and o.converted_at is not None for o in offers),
        )
        for name in names
    )
    table = [[r.converted, r.sent - r.converted] for r in results]
    if (
        len(results) < 2
        or any(r.sent == 0 for r in results)
        or all(row[0] == 0 for row in table)
        or all(row[1] == 0 for row in table)
    ):
        return WinbackReport(results, "none", None)
    if len(results) == 2:
        _, p_value = fisher_exact(table)
        return WinbackReport(results, "fisher", float(p_value))
    _, p_value, _, _ = chi2_contingency(table)
    return WinbackReport(results, "chi2", float(p_value))
