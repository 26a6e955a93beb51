"""parse_mode=MarkdownV2 and legacy Markdown, ported from tdlib's parse_markdown_v2 / parse_markdown.

The point of porting rather than approximating: an unescaped '.' or '!' in MarkdownV2 is the most
common way a real bot message fails, and the sandbox must fail it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.telegram.entities import Entity, byte_offset, checked_link, sort_entities, utf16_len
from bot.sandbox.telegram.markup_html import MarkupError

_RESERVED = "_*[]()~`>#+-=|{}.!\n"
# tdlib's names for entity types, as they appear in "Can't find end of Bold entity ..." errors.
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


@dataclass
class _Open:
    kind: str
    argument: str
    offset: int  # UTF-16 offset in the output
    byte_at: int  # byte offset in the input, for errors
    begin: int  # index in the output


def _at(text: str, index: int) -> str:
    return text[index] if 0 <= index < len(text) else "\0"


def _reserved_error(text: str, i: int) -> MarkupError:
    return MarkupError(f"Character '{text[i]}' is reserved and must be escaped with the preceding '\\'")


def _is_end(top: _Open, text: str, i: int, blockquote: bool) -> bool:
    char, nxt = text[i], _at(text, i + 1)
    if blockquote and char == "\n" and (i + 1 == len(text) or nxt != ">"):
        return True
    return {
        "bold": char == "*",
        "italic": char == "_" and nxt != "_",
        "code": char == "`",
        "pre": char == "`" and nxt == "`" and _at(text, i + 2) == "`",
        "pre_code": char == "`" and nxt == "`" and _at(text, i + 2) == "`",
        "text_link": char == "]",
        "underline": char == "_" and nxt == "_",
        "strikethrough": char == "~",
        "spoiler": char == "|" and nxt == "|",
        "custom_emoji": char == "]",
    }.get(top.kind, False)


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    units = 0
    entities: list[Entity] = []
    stack: list[_Open] = []
    blockquote = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and "\x01" <= _at(text, i + 1) <= "~":
            out.append(text[i + 1])
            units += 1
            i += 2
            continue
        reserved = "`" if stack and stack[-1].kind in {"code", "pre", "pre_code"} else _RESERVED
        if char not in reserved:
            out.append(char)
            units += utf16_len(char)
            i += 1
            continue
        if not (stack and _is_end(stack[-1], text, i, blockquote)):
            at = byte_offset(text, i)
            kind, argument = "", ""
            if char == "_":
                kind = "underline" if _at(text, i + 1) == "_" else "italic"
                i += kind == "underline"
            elif char in "*~[":
                kind = {"*": "bold", "~": "strikethrough", "[": "text_link"}[char]
            elif char == "|":
                if _at(text, i + 1) != "|":
                    raise _reserved_error(text, i)
                kind, i = "spoiler", i + 1
            elif char == "`":
                kind = "code"
                if _at(text, i + 1) == "`" and _at(text, i + 2) == "`":
                    kind, argument, i = _open_pre(text, i + 3)
            elif char == "!":
                if _at(text, i + 1) != "[":
                    raise _reserved_error(text, i)
                kind, i = "custom_emoji", i + 1
            elif char == "\n":
                out.append("\n")
                units += 1
                if _at(text, i + 1) == ">":
                    i += 1
                    if not blockquote:
                        kind, blockquote = "blockquote", True
            elif char == ">" and i == 0:
                kind, blockquote = "blockquote", True
            else:
                raise _reserved_error(text, i)
            if kind:
                stack.append(_Open(kind, argument, units, at, len(out)))
            i += 1
            continue
        top = stack[-1]
        if char == "\n" and top.kind != "blockquote":
            raise MarkupError(f"Can't find end of {_NAMES[top.kind]} entity at byte offset {top.byte_at}")
        empty = units == top.offset
        fields: dict[str, str] = {"language": top.argument} if top.kind == "pre_code" else {}
        if top.kind in {"underline", "spoiler"}:
            i += 1
        elif top.kind in {"pre", "pre_code"}:
            i += 2
        elif top.kind in {"text_link", "custom_emoji"}:
            i, fields = _link_target(text, i, "".join(out[top.begin :]), top.kind)
        elif top.kind == "blockquote":
            blockquote = False
            out.append(text[i])
            units += 1
        if not empty and (top.kind != "text_link" or fields.get("url")):
            kind = "pre" if top.kind == "pre_code" else top.kind
            entities.append({"type": kind, "offset": top.offset, "length": units - top.offset, **fields})
        stack.pop()
        i += 1
    if blockquote and stack and stack[-1].kind == "blockquote":
        top = stack.pop()
        if units > top.offset:
            entities.append({"type": "blockquote", "offset": top.offset, "length": units - top.offset})
    if stack:
        raise MarkupError(
            f"Can't find end of {_NAMES[stack[-1].kind]} entity at byte offset {stack[-1].byte_at}"
        )
    return "".join(out), sort_entities(entities)


def _open_pre(text: str, i: int) -> tuple[str, str, int]:
    """After ```: optional language up to whitespace, one skipped newline; returns the last consumed index."""
    kind, language = "pre", ""
    end = i
    while _at(text, end) not in " \t\r\n\0\x0b\x0c" and _at(text, end) != "`":
        end += 1
    if i != end and end < len(text) and text[end] != "`":
        kind, language, i = "pre_code", text[i:end], end
    if _at(text, i) in "\n\r" and _at(text, i) != "\0":
        two = _at(text, i + 1) in "\n\r" and _at(text, i + 1) != "\0" and text[i] != _at(text, i + 1)
        i += 2 if two else 1
    return kind, language, i - 1


def _link_target(text: str, i: int, inner: str, kind: str) -> tuple[int, dict[str, str]]:
    """Read `](url)` at i (pointing at ']'); return the index of the closing char and the entity fields."""
    if _at(text, i + 1) != "(":
        if kind == "custom_emoji":
            raise MarkupError("Custom emoji entity must contain a tg://emoji URL")
        return i, {"url": checked_link(inner)}
    i += 2
    url_begin = i
    url: list[str] = []
    while i < len(text) and text[i] != ")":
        if text[i] == "\\" and "\x01" <= _at(text, i + 1) <= "~":
            url.append(text[i + 1])
            i += 2
            continue
        url.append(text[i])
        i += 1
    if _at(text, i) != ")":
        what = "a custom emoji URL" if kind == "custom_emoji" else "a URL"
        raise MarkupError(f"Can't find end of {what} at byte offset {byte_offset(text, url_begin)}")
    target = "".join(url)
    if kind == "custom_emoji":
        prefix = "tg://emoji?id="
        if not target.startswith(prefix) or not target[len(prefix) :].isdigit():
            raise MarkupError("Invalid custom emoji URL specified")
        return i, {"custom_emoji_id": target[len(prefix) :]}
    return i, {"url": checked_link(target)}


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Legacy Markdown: _italic_, *bold*, `code`, ```pre```, [text](url); no nesting, few escapes."""
    out: list[str] = []
    units = 0
    entities: list[Entity] = []
    i = 0
    size = len(text)
    while i < size:
        char = text[i]
        if char == "\\" and _at(text, i + 1) in "_*`[":
            out.append(text[i + 1])
            units += 1
            i += 2
            continue
        if char not in "_*`[":
            out.append(char)
            units += utf16_len(char)
            i += 1
            continue
        begin = i
        end_char = "]" if char == "[" else char
        is_pre = char == "`" and _at(text, i + 1) == "`" and _at(text, i + 2) == "`"
        language = ""
        i += 1
        if is_pre:
            _, language, i = _open_pre(text, i + 2)
            i += 1
        offset = units
        while i < size and (
            text[i] != end_char or (is_pre and not (_at(text, i + 1) == "`" == _at(text, i + 2)))
        ):
            out.append(text[i])
            units += utf16_len(text[i])
            i += 1
        if i == size:
            raise MarkupError(
                f"Can't find end of the entity starting at byte offset {byte_offset(text, begin)}"
            )
        entity: Entity = {"type": "", "offset": offset, "length": units - offset}
        if char == "[":
            target = text[begin + 1 : i]
            if _at(text, i + 1) == "(":
                close = text.find(")", i + 2)
                target, i = (text[i + 2 :], size - 1) if close == -1 else (text[i + 2 : close], close)
            entity.update(type="text_link", url=checked_link(target))
        else:
            entity["type"] = {"_": "italic", "*": "bold"}.get(char, "pre" if is_pre else "code")
        if language:
            entity["language"] = language
        if entity["length"] > 0 and (entity["type"] != "text_link" or entity["url"]):
            entities.append(entity)
        i += 3 if is_pre else 1
    return "".join(out), sort_entities(entities)
