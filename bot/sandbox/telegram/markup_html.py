"""parse_mode=HTML, ported from tdlib's parse_html: the sandbox accepts and rejects what Telegram does.

Errors carry tdlib's wording (byte offsets in UTF-8); the API prefixes "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.telegram.entities import Entity, byte_offset, checked_link, sort_entities, utf16_len

_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_SPACE = " \t\r\n\0\x0b\x0c"
_SIMPLE = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


class MarkupError(ValueError):
    """Text that Telegram cannot parse in the requested parse_mode."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the output
    begin: int  # index in the output, for <a> without href


def _at(text: str, index: int) -> str:
    return text[index] if index < len(text) else "\0"


def decode_entity(text: str, pos: int) -> tuple[int, int]:
    """(code point, next index) for &lt; &gt; &amp; &quot; and numeric references; (0, pos) otherwise."""
    end = pos + 1
    code = 0
    if _at(text, pos + 1) == "#":
        end += 1
        hexadecimal = _at(text, pos + 2) == "x"
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while _at(text, end) in digits and _at(text, end) != "\0":
            code = code * (16 if hexadecimal else 10) + int(text[end], 16 if hexadecimal else 10)
            end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _at(text, end).isascii() and _at(text, end).isalpha():
            end += 1
        code = {"lt": 60, "gt": 62, "amp": 38, "quot": 34}.get(text[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    return code, end + 1 if _at(text, end) == ";" else end


def parse_html(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    units = 0
    entities: list[Entity] = []
    stack: list[_Open] = []
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char == "&":
            code, end = decode_entity(text, i)
            if code:
                out.append(chr(code))
                units += 1 + (code > 0xFFFF)
                i = end
                continue
        if char != "<":
            out.append(char)
            units += utf16_len(char)
            i += 1
            continue
        begin = i
        i += 1
        if _at(text, i) != "/":
            i, opened = _start_tag(text, begin, i)
            stack.append(_Open(opened[0], opened[1], units, len(out)))
        else:
            if not stack:
                raise MarkupError(f"Unexpected end tag at byte offset {byte_offset(text, begin)}")
            while _at(text, i) not in _SPACE and _at(text, i) != ">":
                i += 1
            end_tag = text[begin + 2 : i].lower()
            while i < size and text[i] in _SPACE:
                i += 1
            if _at(text, i) != ">":
                raise MarkupError(f"Unclosed end tag at byte offset {byte_offset(text, begin)}")
            top = stack[-1]
            if end_tag and end_tag != top.tag:
                raise MarkupError(
                    f'Unmatched end tag at byte offset {byte_offset(text, begin)}, expected "</{top.tag}>", '
                    f'found "</{end_tag}>"'
                )
            if units > top.offset:
                _close(top, units - top.offset, "".join(out[top.begin :]), entities)
            stack.pop()
        i += 1  # past the '>'
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    result = "".join(out)
    try:
        result = result.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise MarkupError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units"
        ) from exc
    return result, sort_entities(entities)


def _start_tag(text: str, begin: int, i: int) -> tuple[int, tuple[str, str]]:
    """Parse `<tag attr="v" ...>` from index i; return the index of '>' and (tag, argument)."""
    size = len(text)
    while _at(text, i) not in _SPACE and _at(text, i) != ">":
        i += 1
    at = byte_offset(text, begin)
    if i >= size:
        raise MarkupError(f"Unclosed start tag at byte offset {at}")
    tag = text[begin + 1 : i].lower()
    if tag not in _TAGS:
        raise MarkupError(f'Unsupported start tag "{tag}" at byte offset {at}')
    argument = ""
    while _at(text, i) != ">":
        while i < size and text[i] in _SPACE:
            i += 1
        if _at(text, i) == ">":
            break
        name_begin = i
        while _at(text, i) not in _SPACE and _at(text, i) not in "=>":
            i += 1
        name = text[name_begin:i]
        if not name:
            raise MarkupError(f'Empty attribute name in the tag "{tag}" at byte offset {at}')
        if tag == "blockquote" and name.lower() == "expandable":  # newer Bot API: <blockquote expandable>
            argument = "expandable"
            continue
        while i < size and text[i] in _SPACE:
            i += 1
        if _at(text, i) != "=":
            raise MarkupError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {at}'
            )
        i += 1
        while i < size and text[i] in _SPACE:
            i += 1
        if i >= size:
            raise MarkupError(f'Unclosed start tag "{tag}" at byte offset {at}')
        i, value = _attribute_value(text, i)
        if i >= size:
            raise MarkupError(f"Unclosed start tag at byte offset {at}")
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[9:]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[3:]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
    if tag == "span" and argument != "spoiler":
        raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    return i, (tag, argument)


def _attribute_value(text: str, i: int) -> tuple[int, str]:
    size = len(text)
    if text[i] not in "'\"":
        token_begin = i
        while i < size and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
            i += 1
        if _at(text, i) not in _SPACE and _at(text, i) != ">":
            raise MarkupError(f"Unexpected end of name token at byte offset {byte_offset(text, token_begin)}")
        return i, text[token_begin:i].lower()
    quote = text[i]
    i += 1
    value: list[str] = []
    while i < size and text[i] != quote:
        if text[i] == "&":
            code, end = decode_entity(text, i)
            if code:
                value.append(chr(code))
                i = end
                continue
        value.append(text[i])
        i += 1
    if i < size:
        i += 1
    return i, "".join(value)


def _close(top: _Open, length: int, inner: str, entities: list[Entity]) -> None:
    offset = top.offset
    tag = top.tag
    if tag in _SIMPLE:
        entities.append({"type": _SIMPLE[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise MarkupError("Invalid custom emoji identifier specified")
        entities.append(
            {"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": top.argument}
        )
    elif tag == "a":
        url = checked_link(top.argument or inner)
        if url:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if top.argument == "expandable" else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    else:
        _close_code(tag, top.argument, offset, length, entities)


def _close_code(tag: str, argument: str, offset: int, length: int, entities: list[Entity]) -> None:
    """<pre><code class="language-x"> nests into one pre entity with a language, in either order."""
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag == "pre":
        if last is not None and same_span and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif last is not None and same_span and last["type"] == "pre" and argument:
        last["language"] = argument
    else:
        entity: Entity = {"type": "code", "offset": offset, "length": length}
        if argument:
            entity["language"] = argument
        entities.append(entity)
