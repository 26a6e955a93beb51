"""Who sends a survey campaign: one sender at a time holds its lease and renews it while it sends.

A sender claims a survey (queued → sending) only while it holds the lease, and only when it has a
free slot to send it at once, so the surveys a crash leaves `sending` are the few that were on
their way: "in doubt" (they may have arrived). Whoever takes the campaign over next (after the
lease expired, or at once when it was released or its holder is known to be dead) puts those back
in the queue to be sent again: a survey question twice is better than never. Nobody else touches a
campaign while a living sender renews its lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import update
from sqlmodel import col

from bot.clock import Clock
from bot.services.errors import InvalidInput
from bot.services.survey_states import QUEUED, SENDING
from storage.models import SurveyCampaign, SurveyDispatch
from storage.uow import UnitOfWork

LEASE: Final = timedelta(seconds=30)
"""How long a sender's claim on a campaign holds without renewal (it renews every third of it)."""
IN_DOUBT: Final = "in_doubt"
"""Reason recorded on a survey put back in the queue by a takeover: it may have arrived already."""
RUNNING: Final = "running"


class LeaseLost(RuntimeError):
    """This sender's lease was taken over: it must claim nothing more (what it has in flight goes on)."""


@dataclass(frozen=True)
class LeaseGrant:
    campaign_id: int
    acquired: bool
    """This sender holds the lease now."""
    running: bool
    """The campaign still has surveys to send (False: finished or stopped; nothing to take over)."""
    holder: str | None
    """Who holds the lease (this sender, if acquired)."""
    until: datetime | None
    in_doubt: int = 0
    """Surveys a previous sender left `sending`, put back in the queue by this takeover."""


def take_lease(
    uow: UnitOfWork,
    clock: Clock,
    *,
    campaign_id: int,
    sender_id: str,
    ttl: timedelta = LEASE,
    holder_gone: str | None = None,
) -> LeaseGrant:
    """Hold (or renew) the campaign's sender lease if nobody else does; a takeover requeues what its
    predecessor left in doubt. `holder_gone`: a holder the caller knows has died (its lease may
    still look fresh)."""
    now = clock.now()
    with uow:
        campaign = uow.session.get(SurveyCampaign, campaign_id)
        if campaign is None:
            raise InvalidInput(f"no survey campaign {campaign_id}")
        previous = campaign.sender_id
        free = (
            col(SurveyCampaign.sender_id).is_(None)
            | (col(SurveyCampaign.sender_id) == sender_id)
            | (col(SurveyCampaign.sender_lease_until) < now)
        )
        if holder_gone is not None:
            free = free | (col(SurveyCampaign.sender_id) == holder_gone)
        result = uow.session.execute(
            update(SurveyCampaign)
            .where(col(SurveyCampaign.id) == campaign_id, col(SurveyCampaign.status) == RUNNING, free)
            .values(sender_id=sender_id, sender_lease_until=now + ttl)
            .execution_options(synchronize_session=False)
        )
        uow.session.refresh(campaign)
        if not result.rowcount:  # type: ignore[attr-defined]
            running = campaign.status == RUNNING
            return LeaseGrant(campaign_id, False, running, campaign.sender_id, campaign.sender_lease_until)
        in_doubt = 0
        if previous != sender_id:  # a takeover: nobody alive is sending what is left `sending`
            requeued = uow.session.execute(
                update(SurveyDispatch)
                .where(col(SurveyDispatch.campaign_id) == campaign_id, col(SurveyDispatch.status) == SENDING)
                .values(status=QUEUED, skip_reason=IN_DOUBT, sent_at=None)
                .execution_options(synchronize_session=False)
            )
            in_doubt = int(requeued.rowcount)  # type: ignore[attr-defined]
        return LeaseGrant(campaign_id, True, True, sender_id, campaign.sender_lease_until, in_doubt)


def renew_lease(
    uow: UnitOfWork, clock: Clock, *, campaign_id: int, sender_id: str, ttl: timedelta = LEASE
) -> bool:
    """Extend this sender's lease; False if another sender has taken the campaign over."""
    with uow:
        result = uow.session.execute(
            update(SurveyCampaign)
            .where(col(SurveyCampaign.id) == campaign_id, col(SurveyCampaign.sender_id) == sender_id)
            .values(sender_lease_until=clock.now() + ttl)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(uow: UnitOfWork, *, campaign_id: int, sender_id: str) -> None:
    """This sender stopped with nothing in flight: the next one may take over at once."""
    with uow:
        uow.session.execute(
            update(SurveyCampaign)
            .where(col(SurveyCampaign.id) == campaign_id, col(SurveyCampaign.sender_id) == sender_id)
            .values(sender_id=None, sender_lease_until=None)
            .execution_options(synchronize_session=False)
        )
