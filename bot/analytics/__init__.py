"""Retention analytics on plain arrays: summaries, BG/NBD, Gamma-Gamma, CLV, RFM, lifecycle, at-risk.

Pure numpy/scipy: no database, chat or pandas imports. Time is in weeks throughout.
"""

from bot.analytics.at_risk import (
    AtRiskResult,
    AtRiskThresholds,
    NpsAnswer,
    OpenTicket,
    Reason,
    ReasonCode,
    assess_at_risk,
)
from bot.analytics.bgnbd import (
    BgNbdParams,
    conditional_expected_purchases,
    conditional_probability_alive,
    fit_bgnbd,
)
from bot.analytics.clv import customer_lifetime_value
from bot.analytics.errors import AnalyticsError, InvalidInput, NotEnoughData, NumericalError
from bot.analytics.gamma_gamma import GammaGammaParams, conditional_expected_order_value, fit_gamma_gamma
from bot.analytics.lifecycle import STAGES, LifecycleThresholds, lifecycle_stages
from bot.analytics.pipeline import ScoreResult, score_customers
from bot.analytics.rfm import SEGMENTS, RfmScores, rfm_scores
from bot.analytics.summary import CustomerSummary, Transactions, summarize

__all__ = [
    "SEGMENTS",
    "STAGES",
    "AnalyticsError",
    "AtRiskResult",
    "AtRiskThresholds",
    "BgNbdParams",
    "CustomerSummary",
    "GammaGammaParams",
    "InvalidInput",
    "LifecycleThresholds",
    "NotEnoughData",
    "NpsAnswer",
    "NumericalError",
    "OpenTicket",
    "Reason",
    "ReasonCode",
    "RfmScores",
    "ScoreResult",
    "Transactions",
    "assess_at_risk",
    "conditional_expected_order_value",
    "conditional_expected_purchases",
    "conditional_probability_alive",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "lifecycle_stages",
    "rfm_scores",
    "score_customers",
    "summarize",
]
