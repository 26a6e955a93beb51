"""MessageEntity helpers: UTF-16 offsets, the entities Telegram finds by itself, trimming.

Telegram counts entity offsets and lengths in UTF-16 code units, so an emoji before a
/command shifts it by two; getting this wrong is a classic bot bug, so the sandbox does it right.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

Entity = dict[str, Any]

# Characters tdlib trims from both ends of a message (fix_formatted_text).
_TRIMMED = " \t\r\n\x0b\x0c"
# Entities that a found url/mention/command must not overlap (tdlib drops those matches).
_OPAQUE = {"code", "pre", "text_link", "text_mention", "custom_emoji"}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def byte_offset(text: str, index: int) -> int:
    """tdlib reports parse errors at UTF-8 byte offsets."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


def is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _command_spans(text: str) -> list[tuple[int, int]]:
    """Port of tdlib match_bot_commands: /cmd (1-64 chars) with optional @botname (3-32 chars)."""
    spans: list[tuple[int, int]] = []
    size = len(text)
    pos = text.find("/")
    while pos != -1:
        prev = text[pos - 1] if pos > 0 else ""
        end = pos + 1
        while end < size and text[end].isascii() and is_word_char(text[end]):
            end += 1
        ok = not (prev and (is_word_char(prev) or prev in "/<>")) and 1 <= end - pos - 1 <= 64
        if ok and end < size and text[end] == "@":
            mention_end = end + 1
            while mention_end < size and text[mention_end].isascii() and is_word_char(text[mention_end]):
                mention_end += 1
            ok = 3 <= mention_end - end - 1 <= 32
            end = mention_end
        nxt = text[end] if end < size else ""
        if ok and not (nxt and (is_word_char(nxt) or nxt in "/<>")):
            spans.append((pos, end))
        pos = text.find("/", max(end, pos + 1))
    return spans


_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,32}(?![\w])")
_HASHTAG = re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*(?![\w#])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w])")
_URL = re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)


def find_entities(text: str) -> list[Entity]:
    """Entities Telegram detects in any message: bot_command, mention, hashtag, email, url."""
    found: list[tuple[int, int, str]] = [(start, end, "bot_command") for start, end in _command_spans(text)]
    for pattern, kind in ((_EMAIL, "email"), (_URL, "url"), (_MENTION, "mention"), (_HASHTAG, "hashtag")):
        for match in pattern.finditer(text):
            if not any(start < match.end() and match.start() < end for start, end, _ in found):
                found.append((match.start(), match.end(), kind))
    entities = [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in found
    ]
    return sort_entities(entities)


# tdlib's MessageEntity::get_type_priority: the tie-break when two entities cover the same span.
_PRIORITY = {
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "blockquote": 0,
    "expandable_blockquote": 0,
}


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Telegram's order: by offset, longer first, then by type priority."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


def merge_found_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Add the automatically found entities that do not overlap code, pre or links (as Telegram does)."""
    opaque = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _OPAQUE]
    extra = [
        e
        for e in find_entities(text)
        if not any(start < e["offset"] + e["length"] and e["offset"] < end for start, end in opaque)
    ]
    return sort_entities(entities + extra)


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace as tdlib does, moving and clipping the entities with the text."""
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    limit = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def clip_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Keep explicitly passed entities that fit the text (the real server rejects worse cases)."""
    limit = utf16_len(text)
    return sort_entities(
        [e for e in entities if e.get("offset", -1) >= 0 and 0 < e.get("length", 0) <= limit - e["offset"]]
    )


def checked_link(url: str) -> str:
    """A normalised link, or "" when Telegram would drop it (as tdlib's get_checked_link)."""
    url = url.strip()
    if not url:
        return ""
    if url.lower().startswith("tg:"):
        return url
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for "javascript:alert(1)"-like host:port garbage
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https", "ton", "tonsite"} or not parts.hostname:
        return ""
    return url


def plain_slice(text: str, entity: Entity) -> str:
    """The text an entity covers (UTF-16 aware), e.g. for asserting what was bold."""
    units = text.encode("utf-16-le", "surrogatepass")
    start = entity["offset"] * 2
    return units[start : start + entity["length"] * 2].decode("utf-16-le", "surrogatepass")
