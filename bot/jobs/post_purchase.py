"""The post-purchase NPS survey: customers who bought N days ago (rules.survey.post_purchase_delay_days)
get one survey, as an automated (trickle) campaign that the Telegram side sends inside the local
window under the daily cap (SPEC §3, §6).

The audience is every purchase whose local day lies in the CATCH_UP_DAYS days ending N days ago,
minus customers already handled for that purchase (a post-purchase dispatch queued after it), so a
process that was down for a few days still surveys those buyers, and no purchase is surveyed twice.
The contact rules (cool-down, opt-out, unreachable, a survey in progress, 24 hours) are checked
when queuing, as a staff campaign does, and once more when each survey is sent. A customer skipped
only because of the 24-hour rule is tried again on the next day's run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.campaigns import CampaignSummary, queue_campaign, telegram_chats
from bot.services.contact_rules import CONTACTED_RECENTLY
from bot.services.digest_queries import day_start
from storage.models import Purchase, SurveyCampaign, SurveyDispatch
from storage.uow import UnitOfWork

SEGMENT: Final = "post-purchase"
STARTED_BY: Final = "automation:post-purchase"
CATCH_UP_DAYS: Final = 7


def queue_post_purchase_surveys(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, *, day: date
) -> CampaignSummary | None:
    """Queue the day's post-purchase surveys as a trickle campaign; None when nobody is due."""
    now = clock.now()
    last = day - timedelta(days=rules.survey.post_purchase_delay_days)
    since, until = (
        day_start(last - timedelta(days=CATCH_UP_DAYS - 1), tz),
        day_start(last + timedelta(days=1), tz),
    )
    with uow:
        bought = dict(
            uow.session.exec(
                select(Purchase.customer_id, func.max(Purchase.created_at))
                .where(
                    col(Purchase.created_at) >= since,
                    col(Purchase.created_at) < until,
                    col(Purchase.refunded_at).is_(None),
                )
                .group_by(col(Purchase.customer_id))
            ).all()
        )
        if not bought:
            return None
        handled = uow.session.exec(
            select(SurveyDispatch.customer_id, func.max(SurveyDispatch.queued_at))
            .join(SurveyCampaign, col(SurveyCampaign.id) == col(SurveyDispatch.campaign_id))
            .where(
                SurveyCampaign.segment == SEGMENT,
                col(SurveyDispatch.customer_id).in_(list(bought)),
                col(SurveyDispatch.skip_reason).is_(None)
                | (col(SurveyDispatch.skip_reason) != CONTACTED_RECENTLY),
            )
            .group_by(col(SurveyDispatch.customer_id))
        ).all()
        for customer_id, queued_at in handled:
            if queued_at is not None and as_utc(queued_at) >= as_utc(bought[customer_id]):
                del bought[customer_id]
        if not telegram_chats(uow, sorted(bought)):
            return None
        return queue_campaign(
            uow,
            rules,
            now,
            name=f"NPS post-purchase {day.isoformat()}",
            segment=SEGMENT,
            started_by=STARTED_BY,
            trickle=True,
            customer_ids=sorted(bought),
        )


def as_utc(moment: datetime) -> datetime:
    """Stored moments are UTC; SQLite gives them back naive."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
