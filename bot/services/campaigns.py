"""NPS survey campaigns: choosing the audience (everyone, a lifecycle stage, an RFM segment, one
customer), queuing one survey per customer under the contact rules, and handing them out to the
sender that holds the campaign's lease, a few at a time (as many as it can send at once), so a
crash halfway leaves only those few in doubt and skips nobody (bot/services/campaign_lease.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.events import SurveyCampaignStarted
from bot.services.campaign_lease import IN_DOUBT, LEASE, LeaseLost, renew_lease
from bot.services.contact_rules import automated_allowance, last_surveyed, survey_skip_reasons
from bot.services.customer_chat import PLATFORM, language_of
from bot.services.errors import CustomerNotFound, InvalidInput
from bot.services.survey_dispatch import SurveyPrompt, advance
from bot.services.survey_states import DELIVERED, NPS, PENDING, QUEUED, SENDING, SKIPPED
from storage import repositories as repo
from storage.models import ChatIdentity, Customer, RiskSnapshot, SurveyCampaign, SurveyDispatch
from storage.uow import UnitOfWork

ALL = "all"


@dataclass(frozen=True)
class CampaignSummary:
    campaign_id: int
    trickle: bool
    queued: int
    skipped: dict[str, int]
    """Skip reason → customers (opted_out, unreachable, cooldown, contacted_recently, …)."""
    not_on_telegram: int
    last_surveyed_at: datetime | None = None
    """One-customer sends: when they were last surveyed (the cool-down this send overrides)."""


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: int
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    """Dispatch status → rows."""
    skip_reasons: dict[str, int] = field(default_factory=dict)
    resent: int = 0
    """Delivered surveys that had been in doubt before (a sender stopped while sending them): those
    customers may have got the question twice."""

    @property
    def in_doubt(self) -> int:
        """Surveys still `sending` once their sender finished (a network failure): they may have
        arrived; whoever takes the campaign over next sends them again."""
        return self.counts.get(SENDING, 0)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _audience(uow: UnitOfWork, segment: str) -> list[int]:
    """Customer ids of `all`, a lifecycle stage or an RFM segment (from the latest risk snapshot)."""
    live = repo.live_customers()
    if _key(segment) == ALL:  # unknown contacts (chats never linked) are nobody's customers yet
        known = col(Customer.unknown_contact).is_(False)
        return list(uow.session.exec(select(Customer.id).where(live, known)).all())  # type: ignore[arg-type]
    as_of = uow.session.exec(select(func.max(RiskSnapshot.as_of))).one()
    if as_of is None:
        raise InvalidInput(
            f"no customer scores yet, so there is no segment {segment!r}: run `retention-bot score` "
            "first (until then only `all` works)"
        )
    rows = uow.session.exec(
        select(RiskSnapshot.customer_id, RiskSnapshot.stage, RiskSnapshot.segment).where(
            RiskSnapshot.as_of == as_of
        )
    ).all()
    wanted = _key(segment)
    chosen = [cid for cid, stage, rfm in rows if wanted in (_key(stage), _key(rfm))]
    if not chosen:
        names = sorted({name for _, stage, rfm in rows for name in (stage, rfm) if name})
        if not any(_key(name) == wanted for name in names):
            raise InvalidInput(f"unknown segment {segment!r}; use all or one of: {', '.join(names)}")
    return chosen


def telegram_chats(uow: UnitOfWork, customer_ids: Sequence[int]) -> dict[int, ChatIdentity]:
    chats: dict[int, ChatIdentity] = {}
    for start in range(0, len(customer_ids), 500):
        chunk = list(customer_ids[start : start + 500])
        for identity in uow.session.exec(
            select(ChatIdentity)
            .where(ChatIdentity.platform == PLATFORM, col(ChatIdentity.customer_id).in_(chunk))
            .order_by(col(ChatIdentity.id))
        ).all():
            chats[identity.customer_id] = identity
    return chats


def customers_by_ids(uow: UnitOfWork, customer_ids: Sequence[int]) -> list[Customer]:
    found: list[Customer] = []
    for start in range(0, len(customer_ids), 500):
        chunk = list(customer_ids[start : start + 500])
        found.extend(uow.session.exec(select(Customer).where(col(Customer.id).in_(chunk))).all())
    return found


def start_campaign(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    started_by: str,
    segment: str | None = None,
    customer_id: int | None = None,
    trickle: bool = False,
    sender_id: str | None = None,
) -> CampaignSummary:
    """Queue one NPS survey per customer of the audience on Telegram; record why the others are skipped.

    One customer: the cool-down is overridden (staff asked for this person), an opt-out never is.
    `sender_id`: the sender that will send it now holds its lease from the start (no other process
    takes a fresh campaign over before its own sender starts).
    """
    if (segment is None) == (customer_id is None):
        raise InvalidInput("say whom to survey: a segment or one customer")
    now = clock.now()
    with uow:
        if customer_id is not None:
            customer = repo.customer_by_id(uow.session, customer_id)
            if customer is None or customer.erased_at is not None:
                raise CustomerNotFound(str(customer_id))
            ids, label = [customer_id], f"customer:{customer.external_id}"
        else:
            assert segment is not None
            ids, label = _audience(uow, segment.strip()), segment.strip()
        single = customer_id is not None
        summary = queue_campaign(
            uow,
            rules,
            now,
            name=f"NPS {label}",
            segment=label,
            started_by=started_by,
            trickle=trickle,
            customer_ids=ids,
            override_cooldown=single,
            sender_id=sender_id,
        )
        if customer_id is not None:
            summary = replace(summary, last_surveyed_at=last_surveyed(uow.session, customer_id))
        return summary


def queue_campaign(
    uow: UnitOfWork,
    rules: BusinessRules,
    now: datetime,
    *,
    name: str,
    segment: str,
    started_by: str,
    trickle: bool,
    customer_ids: Sequence[int],
    override_cooldown: bool = False,
    sender_id: str | None = None,
) -> CampaignSummary:
    """Create the campaign and one dispatch per customer on Telegram (queued, or skipped with its
    reason); the running bot sends what is queued."""
    with uow:
        campaign = SurveyCampaign(
            name=name[:200],
            segment=segment[:64],
            started_by=started_by[:64],
            trickle=trickle,
            override_cooldown=override_cooldown,
            created_at=now,
            sender_id=sender_id,
            sender_lease_until=now + LEASE if sender_id else None,
        )
        uow.session.add(campaign)
        uow.flush()
        assert campaign.id is not None
        chats = telegram_chats(uow, customer_ids)
        customers = customers_by_ids(uow, [cid for cid in customer_ids if cid in chats])
        reasons = survey_skip_reasons(uow.session, customers, rules, now, override_cooldown=override_cooldown)
        rows = [
            {
                "campaign_id": campaign.id,
                "customer_id": c.id,
                "kind": NPS,
                "status": SKIPPED if c.id in reasons else QUEUED,
                "skip_reason": reasons.get(c.id or 0),
                "queued_at": now,
            }
            for c in customers
        ]
        if rows:
            uow.session.execute(insert(SurveyDispatch), rows)
        uow.emit(SurveyCampaignStarted(campaign_id=campaign.id, trickle=trickle))
        return CampaignSummary(
            campaign_id=campaign.id,
            trickle=trickle,
            queued=len(rows) - len(reasons),
            skipped=dict(Counter(reasons.values())),
            not_on_telegram=len(customer_ids) - len(customers),
        )


def claim_batch(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    campaign_id: int,
    limit: int,
    default_language: str,
    sender_id: str | None = None,
) -> list[SurveyPrompt]:
    """The next queued surveys, claimed (queued → sending) for this sender, rules checked once more.

    A trickle campaign only gets what the local window and the daily cap allow right now. With
    `sender_id` the claim renews that sender's lease in the same transaction, and raises LeaseLost
    if another sender has taken the campaign over (without it, as in tests, no lease is involved).
    """
    now = clock.now()
    with uow:
        if sender_id is not None and not renew_lease(
            uow, clock, campaign_id=campaign_id, sender_id=sender_id
        ):
            raise LeaseLost(f"campaign {campaign_id} was taken over by another sender")
        campaign = uow.session.get(SurveyCampaign, campaign_id)
        if campaign is None or campaign.status != "running":
            return []
        if campaign.trickle:
            limit = min(limit, automated_allowance(uow.session, rules, now, tz))
        if limit <= 0:
            return []
        rows = uow.session.exec(
            select(SurveyDispatch)
            .where(SurveyDispatch.campaign_id == campaign_id, SurveyDispatch.status == QUEUED)
            .order_by(col(SurveyDispatch.id))
            .limit(limit)
        ).all()
        ids = [row.customer_id for row in rows]
        customers = {c.id: c for c in customers_by_ids(uow, ids)}
        chats = telegram_chats(uow, ids)
        reasons = survey_skip_reasons(
            uow.session,
            list(customers.values()),
            rules,
            now,
            override_cooldown=campaign.override_cooldown,
            campaign_id=campaign_id,
        )
        prompts: list[SurveyPrompt] = []
        for row in rows:
            assert row.id is not None
            reason = reasons.get(row.customer_id) or (None if row.customer_id in chats else "no_chat")
            if reason is not None:
                advance(uow, row.id, from_status=(QUEUED,), values={"status": SKIPPED, "skip_reason": reason})
            elif advance(uow, row.id, from_status=(QUEUED,), values={"status": SENDING, "sent_at": now}):
                chat = chats[row.customer_id]
                language = language_of(customers.get(row.customer_id), chat.language_code, default_language)
                prompts.append(SurveyPrompt(row.id, row.customer_id, NPS, chat.chat_id, language))
        return prompts


def campaign_report(uow: UnitOfWork, clock: Clock, *, campaign_id: int) -> CampaignReport:
    """Counts per status and skip reason; a campaign with nothing left to send is marked done."""
    with uow:
        campaign = uow.session.get(SurveyCampaign, campaign_id)
        if campaign is None:
            raise InvalidInput(f"no survey campaign {campaign_id}")
        counts = Counter[str]()
        reasons = Counter[str]()
        resent = 0
        for status, reason, n in uow.session.exec(
            select(SurveyDispatch.status, SurveyDispatch.skip_reason, func.count())
            .where(SurveyDispatch.campaign_id == campaign_id)
            .group_by(col(SurveyDispatch.status), col(SurveyDispatch.skip_reason))
        ).all():
            counts[status] += n
            if reason == IN_DOUBT and status in DELIVERED:
                resent += n  # delivered after a takeover: a reason of its history, not of a skip
            elif reason:
                reasons[reason] += n
        if campaign.status == "running" and not any(counts[s] for s in PENDING):
            campaign.status, campaign.finished_at = "done", clock.now()
            uow.session.add(campaign)
        return CampaignReport(campaign_id, campaign.status, dict(counts), dict(reasons), resent)


def campaigns_to_send(uow: UnitOfWork, clock: Clock) -> list[tuple[int, bool]]:
    """(campaign id, trickle) of running campaigns with surveys left to send and no living sender:
    nobody holds the lease, or its holder stopped renewing it (died, or lost the database)."""
    now = clock.now()
    with uow:
        rows = uow.session.exec(
            select(SurveyCampaign.id, SurveyCampaign.trickle)
            .where(
                SurveyCampaign.status == "running",
                col(SurveyCampaign.sender_id).is_(None) | (col(SurveyCampaign.sender_lease_until) < now),
                select(SurveyDispatch.id)
                .where(
                    col(SurveyDispatch.campaign_id) == col(SurveyCampaign.id),
                    col(SurveyDispatch.status).in_(PENDING),
                )
                .exists(),
            )
            .order_by(col(SurveyCampaign.id))
        ).all()
        return [(campaign_id, trickle) for campaign_id, trickle in rows if campaign_id is not None]
