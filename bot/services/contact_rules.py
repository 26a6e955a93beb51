"""The contact rules of SPEC §3: cool-down between surveys, no two bot-initiated messages within
24 hours, automated sends only inside the local window and under a daily cap, opt-outs.

Queries answer for everyone at once (sets of customer ids), so a campaign of thousands checks
its audience in a handful of statements rather than several per customer.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.config.rules import BusinessRules, ContactRules
from bot.services.survey_states import DELIVERED, NPS, OPEN, PENDING, SENDING
from storage.models import Customer, Interaction, SurveyCampaign, SurveyDispatch

OPTED_OUT: Final = "opted_out"
UNREACHABLE: Final = "unreachable"
ERASED: Final = "erased"
IN_PROGRESS: Final = "survey_in_progress"
COOLDOWN: Final = "cooldown"
CONTACTED_RECENTLY: Final = "contacted_recently"
SKIP_REASONS: Final = frozenset({OPTED_OUT, UNREACHABLE, ERASED, IN_PROGRESS, COOLDOWN, CONTACTED_RECENTLY})
"""Why a customer is left out of a campaign; each has a `slack.survey.reason.<code>` text for staff."""


def bot_contacted_since(
    session: Session, since: datetime, customer_ids: Collection[int] | None = None
) -> set[int]:
    """Customers who got a bot-initiated message (survey, reminder, offer, greeting) at or after `since`."""
    query = select(Interaction.customer_id).where(
        col(Interaction.bot_initiated).is_(True), col(Interaction.created_at) >= since
    )
    if customer_ids is not None:
        query = query.where(col(Interaction.customer_id).in_(list(customer_ids)))
    return set(session.exec(query.distinct()).all())


def surveyed_since(
    session: Session, since: datetime, customer_ids: Collection[int] | None = None
) -> set[int]:
    """Customers an NPS survey reached at or after `since` (the cool-down)."""
    query = select(SurveyDispatch.customer_id).where(
        SurveyDispatch.kind == NPS,
        col(SurveyDispatch.status).in_(DELIVERED),
        col(SurveyDispatch.sent_at) >= since,
    )
    if customer_ids is not None:
        query = query.where(col(SurveyDispatch.customer_id).in_(list(customer_ids)))
    return set(session.exec(query.distinct()).all())


def surveys_in_progress(
    session: Session,
    now: datetime,
    customer_ids: Collection[int] | None = None,
    *,
    other_than_campaign: int | None = None,
) -> set[int]:
    """Customers with an NPS survey queued, being sent, or still open for their answer."""
    open_now = col(SurveyDispatch.status).in_(OPEN) & (col(SurveyDispatch.expires_at) > now)
    query = select(SurveyDispatch.customer_id).where(
        SurveyDispatch.kind == NPS, col(SurveyDispatch.status).in_(PENDING) | open_now
    )
    if customer_ids is not None:
        query = query.where(col(SurveyDispatch.customer_id).in_(list(customer_ids)))
    if other_than_campaign is not None:
        query = query.where(
            col(SurveyDispatch.campaign_id).is_(None)
            | (col(SurveyDispatch.campaign_id) != other_than_campaign)
        )
    return set(session.exec(query.distinct()).all())


def last_surveyed(session: Session, customer_id: int) -> datetime | None:
    return session.exec(
        select(func.max(SurveyDispatch.sent_at)).where(
            SurveyDispatch.customer_id == customer_id,
            SurveyDispatch.kind == NPS,
            col(SurveyDispatch.status).in_(DELIVERED),
        )
    ).one()


def block_reason(customer: Customer) -> str | None:
    """Why nothing unsolicited may go to this customer at all (an opt-out is never overridden)."""
    if customer.erased_at is not None or customer.merged_into_id is not None:
        return ERASED
    if not customer.allows_promotions:
        return OPTED_OUT
    if customer.unreachable:
        return UNREACHABLE
    return None


def survey_skip_reasons(
    session: Session,
    customers: Collection[Customer],
    rules: BusinessRules,
    now: datetime,
    *,
    override_cooldown: bool = False,
    campaign_id: int | None = None,
) -> dict[int, str]:
    """Customer id → why they get no survey now; customers not in the result may be surveyed.

    `campaign_id`: the campaign asking, whose own queued rows do not count as a survey in progress.
    """
    ids = [c.id for c in customers if c.id is not None]
    cooldown_since = now - timedelta(days=rules.survey.cooldown_days)
    cooling = set() if override_cooldown else surveyed_since(session, cooldown_since, ids)
    quiet = timedelta(hours=rules.contact.min_hours_between_bot_messages)
    recent = bot_contacted_since(session, now - quiet, ids) if quiet else set()
    busy = surveys_in_progress(session, now, ids, other_than_campaign=campaign_id)
    reasons: dict[int, str] = {}
    for customer in customers:
        assert customer.id is not None
        reason = block_reason(customer)
        if reason is None and customer.id in busy:
            reason = IN_PROGRESS
        if reason is None and customer.id in cooling:
            reason = COOLDOWN
        if reason is None and customer.id in recent:
            reason = CONTACTED_RECENTLY
        if reason is not None:
            reasons[customer.id] = reason
    return reasons


def in_send_window(now: datetime, tz: ZoneInfo, contact: ContactRules) -> bool:
    """Automated sends go out only between window_start_hour and window_end_hour, local time."""
    hour = now.astimezone(tz).hour
    return contact.window_start_hour <= hour < contact.window_end_hour


def local_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def automated_sent_today(session: Session, now: datetime, tz: ZoneInfo) -> int:
    """Surveys of trickle (automated) campaigns sent since local midnight: what the daily cap counts."""
    return session.exec(
        select(func.count())
        .select_from(SurveyDispatch)
        .join(SurveyCampaign, col(SurveyCampaign.id) == col(SurveyDispatch.campaign_id))
        .where(
            col(SurveyCampaign.trickle).is_(True),
            col(SurveyDispatch.sent_at) >= local_midnight(now, tz),
            col(SurveyDispatch.status).in_((*DELIVERED, SENDING)),
        )
    ).one()


def automated_allowance(session: Session, rules: BusinessRules, now: datetime, tz: ZoneInfo) -> int:
    """How many automated surveys may go out right now (0 outside the window or over the cap)."""
    if not in_send_window(now, tz, rules.contact):
        return 0
    return max(0, rules.contact.daily_cap - automated_sent_today(session, now, tz))
