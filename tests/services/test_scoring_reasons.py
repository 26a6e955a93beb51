"""Reasons stored with the snapshot carry numbers; people read them in their own language."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.analytics import Reason, ReasonCode
from bot.context import AppContext
from bot.i18n import translator
from bot.services.risk_reasons import (
    MAX_JSON_CHARS,
    describe_reason,
    describe_reasons,
    reasons_from_json,
    reasons_to_json,
)
from bot.services.scoring import score_all
from storage.models import Customer, RiskSnapshot, SurveyDispatch, SurveyResponse, Ticket
from tests.services.test_scoring import history, load

EXAMPLES = [
    {"code": "overdue", "severity": 0.76, "days": 64.0, "usual_days": 21.0},
    {"code": "p_alive_drop", "severity": 0.59, "p_from": 0.92, "p_to": 0.41},
    {"code": "low_nps", "severity": 0.7, "score": 3, "on": "2024-11-20", "comment": "delivery was late"},
    {"code": "ticket_open", "severity": 0.75, "ticket_id": 17, "hours": 72.0},
]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "no purchase for 64 days; usually buys every 21",
                "P(alive) fell from 0.92 to 0.41",
                "NPS 3 on 20 Nov: 'delivery was late'",
                "complaint #17 open for 3 days",
            ],
        ),
        (
            "zh-Hans",
            [
                "已 64 天未购买；通常每 21 天购买一次",
                "P(alive) 从 0.92 降至 0.41",
                "11月20日 NPS 评分 3：“delivery was late”",
                "投诉 #17 已 3 天未解决",
            ],
        ),
        (
            "zh-Hant",
            [
                "已 64 天未消費；通常每 21 天消費一次",
                "P(alive) 從 0.92 降至 0.41",
                "11月20日 NPS 評分 3：「delivery was late」",
                "客訴 #17 已 3 天未解決",
            ],
        ),
    ],
)
def test_reasons_read_as_the_spec_words_them_in_each_language(language: str, expected: list[str]) -> None:
    assert describe_reasons(json.dumps(EXAMPLES), translator(language)) == expected


def test_short_tickets_low_p_alive_and_missing_comments_have_their_own_wording() -> None:
    en = translator("en")
    assert describe_reason({"code": "ticket_open", "ticket_id": 5, "hours": 30.2}, en) == (
        "complaint #5 open for 30 hours"
    )
    assert describe_reason({"code": "low_p_alive", "p_to": 0.3, "threshold": 0.5}, en) == (
        "P(alive) is 0.30, below 0.50"
    )
    assert describe_reason({"code": "low_nps", "score": 6, "on": "2026-03-01"}, en) == "NPS 6 on 1 Mar"
    assert describe_reason('{"code": "low_nps", "score": 2}', en) == "NPS 2"


def test_stored_reasons_round_trip_and_fit_the_column() -> None:
    reason = Reason(ReasonCode.LOW_NPS, 0.9, score=1, on=date(2026, 1, 2), comment="x" * 5000)
    stored = reasons_to_json([reason] * 30)
    assert len(stored) <= MAX_JSON_CHARS
    back = reasons_from_json(stored)
    assert back and back[0]["on"] == "2026-01-02" and len(back[0]["comment"]) == 200
    assert reasons_from_json("not json") == [] and reasons_from_json(None) == []


def test_a_detractor_and_an_overdue_ticket_are_reasons_in_the_snapshot(ctx: AppContext) -> None:
    load(ctx, history())
    now = ctx.clock.now()
    with ctx.uow() as uow:
        cid = uow.session.exec(select(Customer.id).where(Customer.external_id == "R03")).one()
        assert cid is not None
        dispatch = SurveyDispatch(customer_id=cid, status="answered", sent_at=now - timedelta(days=3))
        uow.session.add(dispatch)
        uow.flush()
        assert dispatch.id is not None
        answered = datetime(2026, 2, 27, 9, 0, tzinfo=UTC)
        uow.session.add(
            SurveyResponse(
                dispatch_id=dispatch.id,
                customer_id=cid,
                score=3,
                comment="delivery was late",
                answered_at=answered,
            )
        )
        ticket = Ticket(
            customer_id=cid, source="feedback", text="late again", opened_at=now - timedelta(hours=73)
        )
        uow.session.add(ticket)
        uow.flush()
        ticket_id = ticket.id

    run = score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)
    row = next(r for r in run.entered if r.customer_id == cid)
    words = [describe_reason(reason, translator("en")) for reason in row.reasons]
    assert "NPS 3 on 27 Feb: 'delivery was late'" in words
    assert f"complaint #{ticket_id} open for 3 days" in words
    with ctx.uow() as uow:
        stored = uow.session.exec(select(RiskSnapshot).where(RiskSnapshot.customer_id == cid)).one()
    assert stored.at_risk and {r["code"] for r in reasons_from_json(stored.reasons)} >= {
        "low_nps",
        "ticket_open",
    }


def test_answers_and_tickets_after_the_as_of_day_do_not_count(ctx: AppContext) -> None:
    load(ctx, history())
    with ctx.uow() as uow:
        cid = uow.session.exec(select(Customer.id).where(Customer.external_id == "R03")).one()
        assert cid is not None
        uow.session.add(
            Ticket(customer_id=cid, source="feedback", opened_at=datetime(2026, 2, 1, tzinfo=UTC))
        )
    run = score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, as_of=date(2026, 1, 31))
    index = int((run.result.customer == cid).nonzero()[0][0])
    assert all(r.code is not ReasonCode.TICKET_OPEN for r in run.result.at_risk.reasons[index])
