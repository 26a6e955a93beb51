"""Catalogue text as Telegram HTML: everything interpolated is escaped, long texts are split.

Customer-provided text is data, never markup: names such as `<b>Tom & Jerry_</b>` or `*Ann*`
reach the chat exactly as typed. HTML is the parse mode because it needs only `<`, `>` and `&`
escaped (MarkdownV2 reserves eighteen characters, and one missed `_` rejects the message).
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Final

from bot.i18n import Translator

TEXT_LIMIT: Final = 4096
"""Telegram's limit, in characters of the text as shown (after the markup is parsed)."""
_TAG: Final = re.compile(r"<[^>]*>")
_KEEP_CONTROLS: Final = frozenset("\n\t")


class Html(str):
    """Text that is valid Telegram HTML already (its data escaped); never escaped again."""

    __slots__ = ()


def esc(value: object) -> Html:
    return Html(html.escape(str(value), quote=False))


def _html(value: object) -> str:
    return value if isinstance(value, Html) else esc(value)


def fmt(t: Translator, msgid: str, /, **values: object) -> Html:
    """A catalogue message with its placeholders filled, all of it escaped (the catalogue is plain text)."""
    return Html(esc(t.gettext(msgid)).format(**{k: _html(v) for k, v in values.items()}))


def nfmt(t: Translator, msgid: str, n: int, /, **values: object) -> Html:
    """The plural form for `n` (see Translator.nformat), escaped like `fmt`."""
    template = t.ngettext(msgid, msgid + ".plural", n)
    return Html(esc(template).format(**{k: _html(v) for k, v in values.items()}))


def text(t: Translator, msgid: str, /, **values: object) -> str:
    """Plain text (for callback-query notices and menus, which take no markup)."""
    return t.format(msgid, **values)


def bold(value: object) -> Html:
    return Html(f"<b>{_html(value)}</b>")


def code(value: object) -> Html:
    return Html(f"<code>{_html(value)}</code>")


def lines(*parts: Html | None) -> Html:
    return Html("\n".join(part for part in parts if part))


def paragraphs(*parts: Html | None) -> Html:
    return Html("\n\n".join(part for part in parts if part))


def plain(markup: str) -> str:
    """What the reader sees: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


def split_html(markup: Html, limit: int = TEXT_LIMIT) -> list[Html]:
    """Pieces of at most `limit` shown characters, cut between lines; a longer line is cut as plain text."""
    if len(markup) <= limit or len(plain(markup).strip()) <= limit:  # markup is never shorter than shown
        return [markup]
    pieces: list[Html] = []
    current: list[str] = []
    size = 0
    for line in markup.split("\n"):
        shown = len(plain(line)) + 1
        if shown > limit:
            if current:
                pieces.append(Html("\n".join(current)))
                current, size = [], 0
            flat = plain(line)
            pieces.extend(esc(flat[i : i + limit]) for i in range(0, len(flat), limit))
            continue
        if size + shown > limit and current:
            pieces.append(Html("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += shown
    if current:
        pieces.append(Html("\n".join(current)))
    return [piece for piece in pieces if plain(piece).strip()]


def clean_input(raw: str) -> str:
    """A customer's text made safe to store: control characters (NUL, escapes…) and lone surrogates
    removed, newlines and tabs kept."""
    return "".join(
        ch for ch in raw if ch in _KEEP_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
