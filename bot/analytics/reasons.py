"""Why a customer is at risk: reason codes and the facts each reason carries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from enum import StrEnum


class ReasonCode(StrEnum):
    """Why a customer is at risk; the i18n layer keys its sentences on these."""

    OVERDUE = "overdue"
    P_ALIVE_DROP = "p_alive_drop"
    LOW_P_ALIVE = "low_p_alive"
    LOW_NPS = "low_nps"
    TICKET_OPEN = "ticket_open"


@dataclass(frozen=True, slots=True)
class NpsAnswer:
    """A customer's latest NPS answer."""

    score: int
    answered_on: dt.date | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class OpenTicket:
    """An open ticket (complaint) and how long it has been open."""

    ticket_id: int | str
    age_hours: float


@dataclass(frozen=True, slots=True)
class Reason:
    """One fired rule with the numbers to phrase it; unused facts are None."""

    code: ReasonCode
    severity: float = field(default=0.0, compare=False)
    days: float | None = None  # overdue: days since the last purchase
    usual_days: float | None = None  # overdue: the customer's usual interval
    p_from: float | None = None  # p_alive_drop: previous P(alive)
    p_to: float | None = None  # p_alive_drop / low_p_alive: current P(alive)
    threshold: float | None = None  # low_p_alive: the threshold it is under
    score: int | None = None  # low_nps
    on: dt.date | None = None  # low_nps: when answered
    comment: str | None = None  # low_nps
    ticket_id: int | str | None = None  # ticket_open
    hours: float | None = None  # ticket_open: age of the ticket

    def facts(self) -> dict[str, object]:
        """The numbers of this reason (the set fields), for message templates."""
        found = ((name, getattr(self, name)) for name in _FACTS)
        return {name: value for name, value in found if value is not None}

    def as_english(self) -> str:
        """A plain English fallback sentence; real wording comes from the i18n catalogues."""
        if self.code is ReasonCode.OVERDUE:
            return f"no purchase for {self.days:.0f} days; usually buys every {self.usual_days:.0f}"
        if self.code is ReasonCode.P_ALIVE_DROP:
            return f"P(alive) fell from {self.p_from:.2f} to {self.p_to:.2f}"
        if self.code is ReasonCode.LOW_P_ALIVE:
            return f"P(alive) is {self.p_to:.2f}, below {self.threshold:.2f}"
        if self.code is ReasonCode.LOW_NPS:
            when = f" on {self.on.day} {self.on:%b}" if self.on else ""
            said = f": '{self.comment}'" if self.comment else ""
            return f"NPS {self.score}{when}{said}"
        hours = self.hours or 0.0
        age = f"{int(hours // 24)} days" if hours >= 48 else f"{hours:.0f} hours"
        return f"complaint #{self.ticket_id} open for {age}"


_FACTS = tuple(f.name for f in fields(Reason) if f.name not in ("code", "severity"))
