"""Block Kit building blocks shared by every surface (messages, modals, App Home)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from bot.i18n import Translator

Block = dict[str, Any]

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
PLAIN_LIMIT = 150
"""Button, header and option texts are short in Block Kit (75–150 characters)."""


def escape(text: str) -> str:
    """Text people typed, made inert in mrkdwn: no `<!channel>`, no fake links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str, limit: int = 500) -> str:
    """A customer's words as a mrkdwn quote, one `>` per line."""
    body = clip(escape(text.strip()), limit)
    return "\n".join("> " + line for line in body.splitlines() or [""])


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "—"


def mention_actor(actor: str | None) -> str:
    """`slack:U123` (the ledger/audit actor) as a mention; other actors as they are."""
    if actor and actor.startswith("slack:"):
        return mention(actor.removeprefix("slack:"))
    return escape(actor or "—")


def plain(text: str, limit: int = PLAIN_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: list[tuple[str, str]]) -> Block:
    """Up to ten label/value pairs, two columns."""
    return {
        "type": "section",
        "fields": [mrkdwn(clip(f"*{label}*\n{value}", FIELD_LIMIT)) for label, value in pairs[:10]],
    }


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10] if t]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {"type": "button", "text": plain(text, 75), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def actions(block_id: str, *elements: Block) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def when(t: Translator, moment: datetime | None, tz: ZoneInfo) -> str:
    """A date in the business's time zone, as the reader's language writes it (medium format)."""
    if moment is None:
        return "—"
    return t.format_date(moment.astimezone(tz).date(), "medium")


def number(t: Translator, value: int | float | Decimal | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = round(value, digits)
    return t.format_decimal(value)


def money(t: Translator, amount: Decimal | float | None) -> str:
    """An amount with two decimals, grouped as the reader's language groups numbers: 1,234.50."""
    if amount is None:
        return "—"
    return format_decimal(amount, format="#,##0.00", locale=t.locale)


def display_name(name: str | None, external_id: str) -> str:
    return escape(name) if name else escape(external_id)


def sentiment_label(t: Translator, score: float | None) -> str | None:
    """negative / neutral / positive in the reader's language (the thresholds the tickets use)."""
    if score is None:
        return None
    label = "negative" if score <= -0.1 else "positive" if score >= 0.1 else "neutral"
    return t.format(f"slack.sentiment.{label}")
