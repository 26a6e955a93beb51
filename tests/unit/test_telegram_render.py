"""Telegram HTML from the catalogue: data escaped, long texts split within the limit, input cleaned."""

from __future__ import annotations

from bot.i18n import translator
from handlers.telegram.render import Html, bold, clean_input, fmt, plain, split_html


def test_interpolated_values_are_escaped_and_markup_helpers_are_not() -> None:
    t = translator("en")
    text = fmt(t, "points.tier", tier="<b>Tom & Jerry_</b>")
    assert text == "Tier: &lt;b&gt;Tom &amp; Jerry_&lt;/b&gt;"
    assert plain(text) == "Tier: <b>Tom & Jerry_</b>"
    assert fmt(t, "points.tier", tier=bold("Gold")) == "Tier: <b>Gold</b>"


def test_long_text_is_split_between_lines_and_a_giant_line_is_cut() -> None:
    lines = [Html(f"<b>{n:04d}</b> " + "x" * 95) for n in range(100)]
    pieces = split_html(Html("\n".join(lines)))
    assert [len(plain(p)) <= 4096 for p in pieces] == [True, True, True]
    assert "\n".join(pieces) == "\n".join(lines)  # nothing lost, no tag cut in half
    giant = split_html(Html("a&amp;" * 5000))
    assert [len(plain(p)) for p in giant] == [4096, 4096, 1808]
    assert "".join(plain(p) for p in giant) == "a&" * 5000


def test_control_characters_and_lone_surrogates_are_removed_but_newlines_and_emoji_stay() -> None:
    assert clean_input("\x00hi\x07\tthere\r\n\ud800👍🏽\u200d") == "hi\tthere\n👍🏽\u200d"
