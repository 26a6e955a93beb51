"""Message text as the Bot API turns it into a Message: parse_mode, entities, trimming and length limits.

Limits count Unicode code points of the text *after* entity parsing (tdlib's utf8_length), so
`<b>hi</b>` is 2 characters; 4096 for message text, 1024 for captions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.sandbox.telegram.entities import Entity, clip_entities, merge_found_entities, trim
from bot.sandbox.telegram.errors import ApiError, bad_request
from bot.sandbox.telegram.markup_html import MarkupError, parse_html
from bot.sandbox.telegram.markup_markdown import parse_markdown, parse_markdown_v2

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


@dataclass(frozen=True)
class FormattedText:
    """What the recipient sees: plain text plus entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[Entity]


def parse(raw: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Plain text and entities for a parse_mode; raises ApiError with Telegram's wording."""
    mode = (parse_mode or "").lower()
    if not mode:
        return raw, []
    parser = _PARSERS.get(mode)
    if parser is None:
        raise bad_request("unsupported parse_mode")
    try:
        return parser(raw)
    except MarkupError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc


def format_text(
    raw: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    what: Literal["text", "caption"],
) -> FormattedText:
    """Validate and render a message text or caption exactly where the real API would refuse it."""
    raw = raw or ""
    _check_utf8(raw)
    if what == "text" and not raw:
        raise bad_request("message text is empty")
    if isinstance(entities, list) and entities:
        text, parsed = raw, clip_entities(raw, [e for e in entities if isinstance(e, dict)])
    else:
        text, parsed = parse(raw, parse_mode)
    text, parsed = trim(text, merge_found_entities(text, parsed))
    if what == "text":
        if not text:
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("message is too long")
    elif len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return FormattedText(text, parsed)


def _check_utf8(raw: str) -> None:
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(400, "Bad Request: text must be encoded in UTF-8") from exc
