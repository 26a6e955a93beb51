"""At-risk reasons as stored (a JSON list of codes and numbers) and as read (words, per language)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.analytics import Reason, ReasonCode
from bot.i18n import Translator

MAX_JSON_CHARS = 4000  # RiskSnapshot.reasons column size
MAX_COMMENT_CHARS = 200  # a survey comment is quoted, not reproduced: the survey keeps the full text
_ROUNDING = {"severity": 4, "p_from": 4, "p_to": 4, "threshold": 4, "days": 1, "usual_days": 1, "hours": 1}

ReasonJson = Mapping[str, Any]


_FACTS = {
    ReasonCode.OVERDUE: ("days", "usual_days"),
    ReasonCode.P_ALIVE_DROP: ("p_from", "p_to"),
    ReasonCode.LOW_P_ALIVE: ("p_to", "threshold"),
    ReasonCode.LOW_NPS: ("score", "on", "comment"),
    ReasonCode.TICKET_OPEN: ("ticket_id", "hours"),
}
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def reason_to_json(reason: Reason) -> dict[str, Any]:
    """One reason as a JSON-ready dict: its code, severity and the facts that phrase it."""
    out: dict[str, Any] = {"code": reason.code.value, "severity": round(reason.severity, 4)}
    for key in _FACTS.get(reason.code, ()):
        value = getattr(reason, key)
        if value is None:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif key in _ROUNDING:
            value = round(value, _ROUNDING[key])
        elif key == "comment" and len(value) > MAX_COMMENT_CHARS:
            value = value[: MAX_COMMENT_CHARS - 1] + "…"
        out[key] = value
    return out


def reasons_to_json(reasons: Sequence[Reason]) -> str:
    """The stored form: a JSON list, most severe first, cut to fit the column (least severe go first)."""
    items = [reason_to_json(r) for r in reasons]
    text: str = _ENCODER.encode(items)
    while len(text) > MAX_JSON_CHARS and items:
        items.pop()
        text = _ENCODER.encode(items)
    return text


def reasons_from_json(text: str | None) -> list[dict[str, Any]]:
    """The stored list back as dicts; an empty or unreadable value is no reasons."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return []
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def describe_reason(reason: ReasonJson | str, translator: Translator) -> str:
    """One reason in the reader's language: "no purchase for 64 days; usually buys every 21"."""
    r: Mapping[str, Any] = json.loads(reason) if isinstance(reason, str) else reason
    code = r.get("code")
    t = translator
    if code == ReasonCode.OVERDUE:
        return t.format("risk.reason.overdue", days=_whole(r.get("days")), usual=_whole(r.get("usual_days")))
    if code == ReasonCode.P_ALIVE_DROP:
        return t.format("risk.reason.p_alive_drop", p_from=_prob(r.get("p_from")), p_to=_prob(r.get("p_to")))
    if code == ReasonCode.LOW_P_ALIVE:
        return t.format(
            "risk.reason.low_p_alive", p_to=_prob(r.get("p_to")), threshold=_prob(r.get("threshold"))
        )
    if code == ReasonCode.LOW_NPS:
        return _describe_nps(r, t)
    if code == ReasonCode.TICKET_OPEN:
        hours = float(r.get("hours") or 0.0)
        ticket = str(r.get("ticket_id", "?"))
        if hours >= 48:
            days = int(hours // 24)
            return t.nformat("risk.reason.ticket_open_days", days, ticket=ticket, days=days)
        whole = round(hours)
        return t.nformat("risk.reason.ticket_open_hours", whole, ticket=ticket, hours=whole)
    return str(code)


def describe_reasons(reasons_json: str | Sequence[ReasonJson], translator: Translator) -> list[str]:
    """Every stored reason in words, most severe first."""
    items = reasons_from_json(reasons_json) if isinstance(reasons_json, str) else reasons_json
    return [describe_reason(item, translator) for item in items]


def _describe_nps(r: Mapping[str, Any], t: Translator) -> str:
    score = r.get("score")
    on = r.get("on")
    if not on:
        return t.format("risk.reason.low_nps_undated", score=score)
    when = t.format_date(dt.date.fromisoformat(str(on)), t.gettext("risk.reason.date_format"))
    comment = (r.get("comment") or "").strip()
    if comment:
        return t.format("risk.reason.low_nps", score=score, date=when, comment=comment)
    return t.format("risk.reason.low_nps_no_comment", score=score, date=when)


def _whole(value: object) -> str:
    return str(round(float(value))) if isinstance(value, int | float) else "?"


def _prob(value: object) -> str:
    return f"{float(value):.2f}" if isinstance(value, int | float) else "?"
