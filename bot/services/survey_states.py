"""The life of one survey (a SurveyDispatch row) and the score scales, shared by the survey services.

queued → sending → sent → (NPS: awaiting_reason →) answered; or expired, skipped, failed.
A row is claimed (queued → sending) by the campaign's lease holder just before its message goes
out, and marked sent or failed after. A row left `sending` by a sender that stopped (a crash, a
network failure) is "in doubt": the next lease holder puts it back in the queue and sends it again,
so nobody is skipped, and only those few may get the question twice (campaign_lease.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

QUEUED: Final = "queued"
SENDING: Final = "sending"
SENT: Final = "sent"
AWAITING_REASON: Final = "awaiting_reason"
ANSWERED: Final = "answered"
EXPIRED: Final = "expired"
SKIPPED: Final = "skipped"
FAILED: Final = "failed"

OPEN: Final = (SENT, AWAITING_REASON)
"""Waiting for the customer (a score, or the reason for it)."""
PENDING: Final = (QUEUED, SENDING)
"""Not yet delivered."""
DELIVERED: Final = (SENT, AWAITING_REASON, ANSWERED, EXPIRED)
"""Reached the customer: these count for the cool-down."""

NPS: Final = "nps"
CSAT: Final = "csat"

Category = Literal["promoter", "passive", "detractor"]


@dataclass(frozen=True)
class Scale:
    low: int
    high: int


SCALES: Final = {NPS: Scale(0, 10), CSAT: Scale(1, 5)}


def nps_category(score: int) -> Category:
    """NPS's own bands: 9–10 promoter, 7–8 passive, 0–6 detractor."""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def is_detractor(kind: str, score: int) -> bool:
    return kind == NPS and nps_category(score) == "detractor"
