"""What staff do from the digest's buttons, one transaction each, claimed so a double click is one click."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services import follow_ups
from bot.services.inbound import claim_inbound
from bot.services.winback import queue_offers
from storage.models import WinbackOffer
from storage.uow import UnitOfWork

DigestAction = Literal["assign", "contacted", "snooze", "winback"]
OfferState = Literal["queued", "already", "not_eligible", "off"]
SNOOZE_REASON = "snoozed from the daily digest"


@dataclass(frozen=True)
class DigestActed:
    done: bool
    """False when this click was seen before (nothing changed)."""
    offer: OfferState | None = None


def act_on_digest(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    key: str,
    customer_id: int,
    action: DigestAction,
    staff_id: int,
    actor: str,
    episode: str,
    snooze_until: datetime | None = None,
) -> DigestActed:
    """Assign, mark contacted, snooze or queue a win-back offer for one customer of the digest."""
    with uow:
        if not claim_inbound(uow, platform="slack", key=key, now=clock.now()):
            return DigestActed(done=False)
        if action == "assign":
            follow_ups.assign(uow, clock, customer_id=customer_id, staff_id=staff_id, actor=actor)
        elif action == "contacted":
            follow_ups.mark_contacted(uow, clock, customer_id=customer_id, staff_id=staff_id, actor=actor)
        elif action == "snooze":
            assert snooze_until is not None
            follow_ups.snooze(
                uow, clock, customer_id=customer_id, until=snooze_until, reason=SNOOZE_REASON, actor=actor
            )
        else:
            return DigestActed(done=True, offer=_queue_offer(uow, clock, rules, customer_id, episode))
        return DigestActed(done=True)


def _queue_offer(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, customer_id: int, episode: str
) -> OfferState:
    if not rules.winback.enabled or not rules.winback.variants:
        return "off"
    existing = _offer(uow, customer_id, episode)
    if existing is not None:
        return "queued" if existing.status == "queued" else "already"
    queue_offers(uow, clock, rules, customer_ids=[customer_id], episode=episode)
    return "queued" if _offer(uow, customer_id, episode) is not None else "not_eligible"


def _offer(uow: UnitOfWork, customer_id: int, episode: str) -> WinbackOffer | None:
    return uow.session.exec(
        select(WinbackOffer).where(WinbackOffer.customer_id == customer_id, WinbackOffer.episode == episode)
    ).first()
