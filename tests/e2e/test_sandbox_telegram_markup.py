"""The sandbox's parse_mode handling matches tdlib's on the cases bots get wrong (no server needed)."""

from __future__ import annotations

import pytest

from bot.sandbox.telegram.errors import ApiError
from bot.sandbox.telegram.markup import format_text, parse


def test_entity_offsets_count_utf16_code_units_like_telegram() -> None:
    text, entities = parse("🎁 <b>Gold</b> 金", "HTML")
    assert text == "🎁 Gold 金"
    assert entities == [{"type": "bold", "offset": 3, "length": 4}]


def test_html_decodes_only_the_entities_telegram_knows() -> None:
    text, _ = parse("&lt;5&gt; &amp; &quot;q&quot; &#x1F600; &nbsp;", "HTML")
    assert text == '<5> & "q" 😀 &nbsp;'


def test_html_pre_with_code_language_becomes_one_pre_entity() -> None:
    _, entities = parse('<pre><code class="language-python">x = 1</code></pre>', "HTML")
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_html_links_are_normalised_and_unusable_ones_dropped() -> None:
    _, entities = parse('<a href="example.com/x">ok</a> <a href="javascript:alert(1)">no</a>', "HTML")
    assert entities == [{"type": "text_link", "offset": 0, "length": 2, "url": "http://example.com/x"}]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<p>hi</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("é<b>x</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("</b>", "Unexpected end tag at byte offset 0"),
    ],
)
def test_html_errors_carry_tdlib_wording_and_byte_offsets(html: str, error: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse(html, "HTML")
    assert refused.value.description == f"Bad Request: can't parse entities: {error}"


def test_markdown_v2_bold_may_span_lines() -> None:
    assert parse("*two\nlines*", "MarkdownV2") == ("two\nlines", [{"type": "bold", "offset": 0, "length": 9}])


def test_markdown_v2_escapes_nesting_and_code_blocks() -> None:
    text, entities = parse(
        "*Gold* tier \\(x1\\.5\\) `a.b` __*both*__ [site](https://x.org/a\\)b)", "MarkdownV2"
    )
    assert text == "Gold tier (x1.5) a.b both site"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "code", "offset": 17, "length": 3},
        {"type": "bold", "offset": 21, "length": 4},
        {"type": "underline", "offset": 21, "length": 4},
        {"type": "text_link", "offset": 26, "length": 4, "url": "https://x.org/a)b"},
    ]


@pytest.mark.parametrize(
    ("markdown", "error"),
    [
        ("Done!", "Character '!' is reserved and must be escaped with the preceding '\\'"),
        ("*bold", "Can't find end of Bold entity at byte offset 0"),
        ("[x](http://a.b", "Can't find end of a URL at byte offset 4"),
    ],
)
def test_markdown_v2_errors_carry_tdlib_wording(markdown: str, error: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse(markdown, "MarkdownV2")
    assert refused.value.description == f"Bad Request: can't parse entities: {error}"


def test_legacy_markdown_still_works() -> None:
    assert parse("*b* _i_ `c`", "Markdown") == (
        "b i c",
        [
            {"type": "bold", "offset": 0, "length": 1},
            {"type": "italic", "offset": 2, "length": 1},
            {"type": "code", "offset": 4, "length": 1},
        ],
    )


def test_surrounding_whitespace_is_trimmed_and_entities_follow() -> None:
    formatted = format_text("\n  <b>Hi</b> /help  \n", "HTML", None, what="text")
    assert formatted.text == "Hi /help"
    assert formatted.entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "bot_command", "offset": 3, "length": 5},
    ]


def test_caption_limit_is_1024_and_may_be_empty() -> None:
    assert format_text(None, None, None, what="caption").text == ""
    with pytest.raises(ApiError, match="message caption is too long"):
        format_text("x" * 1025, None, None, what="caption")
