"""At-risk rules fire for the constructed cases, say why with numbers, and stay quiet otherwise."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bot.analytics import (
    AtRiskResult,
    AtRiskThresholds,
    InvalidInput,
    NpsAnswer,
    OpenTicket,
    ReasonCode,
    assess_at_risk,
)

NAN = float("nan")


def one(
    *,
    p_alive: float = 0.95,
    previous: float | None = None,
    frequency: int = 5,
    days: float = 10,
    usual: float = 21,
    clv: float = 100.0,
    nps: NpsAnswer | None = None,
    tickets: tuple[OpenTicket, ...] = (),
    thresholds: AtRiskThresholds | None = None,
) -> AtRiskResult:
    """Assess a single customer."""
    return assess_at_risk(
        [p_alive],
        [frequency],
        [days],
        [usual],
        [clv],
        previous_p_alive=[previous],
        nps=[nps],
        open_tickets=[tickets],
        thresholds=thresholds,
    )


def test_a_healthy_customer_is_not_flagged() -> None:
    result = one(nps=NpsAnswer(9, dt.date(2024, 11, 20), "great"), tickets=(OpenTicket(5, 3.0),))
    assert result.flagged.tolist() == [False]
    assert result.reasons == ((),)
    assert result.risk_score[0] == pytest.approx(1 - 0.95)  # ranks everybody; only flags count
    assert result.value_at_risk.tolist() == [0.0]


def test_overdue_by_more_than_twice_the_usual_interval() -> None:
    result = one(days=64, usual=21)
    (reason,) = result.reasons[0]
    assert reason.code is ReasonCode.OVERDUE
    assert (reason.days, reason.usual_days) == (64, 21)
    assert reason.as_english() == "no purchase for 64 days; usually buys every 21"


def test_silent_for_exactly_twice_the_usual_interval_is_not_yet_overdue() -> None:
    assert not one(days=42, usual=21).flagged[0]  # 42 days is not more than 2 × 21
    assert one(days=43, usual=21).flagged[0]


def test_one_time_buyers_are_never_overdue() -> None:
    assert not one(frequency=0, days=300, usual=NAN, p_alive=1.0).flagged[0]


def test_p_alive_falling_below_half_since_the_last_snapshot() -> None:
    result = one(p_alive=0.41, previous=0.92)
    (reason,) = result.reasons[0]
    assert reason.code is ReasonCode.P_ALIVE_DROP and (reason.p_from, reason.p_to) == (0.92, 0.41)
    assert reason.as_english() == "P(alive) fell from 0.92 to 0.41"
    assert result.value_at_risk[0] == pytest.approx(100.0 * (1 - 0.41))  # clv × (1 − P(alive))


def test_low_p_alive_without_a_previous_snapshot() -> None:
    (reason,) = one(p_alive=0.3).reasons[0]
    assert reason.code is ReasonCode.LOW_P_ALIVE and reason.p_to == 0.3 and reason.threshold == 0.5


def test_low_p_alive_of_a_one_time_buyer_is_not_a_reason() -> None:
    assert not one(p_alive=0.3, frequency=0, usual=NAN).flagged[0]


def test_a_large_drop_above_the_threshold_flags_only_when_configured() -> None:
    assert not one(p_alive=0.6, previous=0.95).flagged[0]
    result = one(p_alive=0.6, previous=0.95, thresholds=AtRiskThresholds(min_p_alive_drop=0.3))
    assert [r.code for r in result.reasons[0]] == [ReasonCode.P_ALIVE_DROP]


def test_detractor_nps_with_its_date_and_comment() -> None:
    (reason,) = one(nps=NpsAnswer(3, dt.date(2024, 11, 20), "delivery was late")).reasons[0]
    assert reason.code is ReasonCode.LOW_NPS
    assert reason.facts() == {"score": 3, "on": dt.date(2024, 11, 20), "comment": "delivery was late"}
    assert reason.as_english() == "NPS 3 on 20 Nov: 'delivery was late'"


def test_passive_nps_is_not_a_reason() -> None:
    assert not one(nps=NpsAnswer(7)).flagged[0]
    assert one(nps=NpsAnswer(6)).flagged[0]


def test_ticket_open_past_its_sla() -> None:
    result = one(tickets=(OpenTicket(17, 72.0), OpenTicket(18, 47.0)))
    (reason,) = result.reasons[0]
    assert reason.code is ReasonCode.TICKET_OPEN and reason.ticket_id == 17 and reason.hours == 72.0
    assert reason.as_english() == "complaint #17 open for 3 days"


def test_reasons_come_most_severe_first_and_add_up_in_the_risk_score() -> None:
    single = one(days=64, usual=21, p_alive=0.1).risk_score[0]
    result = one(days=64, usual=21, p_alive=0.1, nps=NpsAnswer(0))
    codes = [r.code for r in result.reasons[0]]
    assert codes[0] in (ReasonCode.LOW_P_ALIVE, ReasonCode.LOW_NPS) and ReasonCode.OVERDUE in codes
    severities = [r.severity for r in result.reasons[0]]
    assert severities == sorted(severities, reverse=True)
    assert single < result.risk_score[0] <= 1.0


def test_the_risk_score_is_one_minus_p_alive_for_repeat_buyers_with_nps_and_tickets_on_top() -> None:
    plain = one(p_alive=0.8, days=64, usual=21)  # overdue: flagged, but the score stays model-based
    assert plain.flagged[0] and plain.risk_score[0] == pytest.approx(0.2)
    assert plain.value_at_risk[0] == pytest.approx(100.0 * 0.2)
    detractor = one(p_alive=0.8, nps=NpsAnswer(5))
    assert detractor.risk_score[0] == pytest.approx(1 - 0.8 * (1 - 0.5))


def test_one_time_buyers_are_scored_by_silence_against_the_reference_interval() -> None:
    result = assess_at_risk(
        [1.0, 1.0, 1.0], [0, 0, 0], [0, 60, 200], [NAN, NAN, NAN], [10.0] * 3, reference_interval_days=30
    )
    assert result.risk_score.tolist() == pytest.approx([0.0, 0.5, 1.0])  # 60 days = 2 × 30: half
    assert not result.flagged.any()  # a score, never a flag: they have no rhythm of their own


def test_flagged_customers_rank_by_value_at_risk() -> None:
    result = assess_at_risk(
        p_alive=[0.2, 0.9, 0.4, 0.1],
        frequency=[3, 3, 3, 3],
        days_since_last=[10, 10, 10, 10],
        usual_interval_days=[20, 20, 20, 20],
        clv=[50.0, 500.0, 400.0, 10.0],
    )
    assert result.flagged.tolist() == [True, False, True, True]
    assert result.ranking().tolist() == [2, 0, 3]  # 240, 40, 9 at risk
    assert result.n_flagged == 3


def test_thresholds_come_from_the_dataclass() -> None:
    lenient = AtRiskThresholds(p_alive=0.2, overdue_factor=5.0, nps_max_score=2, ticket_sla_hours=100.0)
    result = one(
        p_alive=0.3, days=64, usual=21, nps=NpsAnswer(3), tickets=(OpenTicket(1, 72.0),), thresholds=lenient
    )
    assert not result.flagged[0]


def test_inputs_must_line_up_and_be_probabilities() -> None:
    with pytest.raises(InvalidInput):
        assess_at_risk([1.2], [1], [1], [1], [1.0])
    with pytest.raises(InvalidInput):
        assess_at_risk([0.5, 0.5], [1], [1], [1], [1.0])
    with pytest.raises(InvalidInput):
        assess_at_risk([0.5], [1], [1], [1], [1.0], nps=[None, None])


def test_previous_p_alive_may_be_nan_or_none() -> None:
    result = assess_at_risk(
        [0.3, 0.3], [2, 2], [1, 1], [10, 10], [1.0, 1.0], previous_p_alive=np.array([NAN, 0.8])
    )
    assert [r[0].code for r in result.reasons] == [ReasonCode.LOW_P_ALIVE, ReasonCode.P_ALIVE_DROP]
