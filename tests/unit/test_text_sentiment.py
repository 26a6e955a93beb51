"""Sentiment routed by script: right sign for English and Chinese, an honest unknown otherwise."""

from __future__ import annotations

import pytest

from bot.text.sentiment import MAX_SCORED_CHARS, clean_text, is_complaint, score_sentiment, warm_up


@pytest.fixture(scope="module", autouse=True)
def _analysers_loaded() -> None:
    warm_up()  # snownlp's ~3 s import once per module, not inside a timed test


@pytest.mark.parametrize(
    "text", ["I love this shop, great coffee and friendly staff!", "Absolutely wonderful experience"]
)
def test_positive_english_is_positive(text: str) -> None:
    sentiment = score_sentiment(text)
    assert sentiment.method == "textblob"
    assert sentiment.label == "positive"
    assert sentiment.score is not None and sentiment.score > 0


@pytest.mark.parametrize("text", ["Terrible service, the staff were rude.", "I am very disappointed"])
def test_negative_english_is_negative(text: str) -> None:
    sentiment = score_sentiment(text)
    assert sentiment.label == "negative"
    assert sentiment.score is not None and sentiment.score < 0


@pytest.mark.parametrize("text", ["这个产品非常好，我很喜欢", "這個產品非常好，我很喜歡"])
def test_positive_chinese_is_positive_in_both_scripts(text: str) -> None:
    sentiment = score_sentiment(text)
    assert sentiment.method == "snownlp"
    assert sentiment.label == "positive"
    assert sentiment.score is not None and 0 < sentiment.score <= 1


@pytest.mark.parametrize("text", ["服务太差了，再也不来了", "服務太差了，再也不來了", "東西壞了，我要退貨"])
def test_negative_chinese_is_negative_in_both_scripts(text: str) -> None:
    sentiment = score_sentiment(text)
    assert sentiment.label == "negative"
    assert sentiment.score is not None and -1 <= sentiment.score < 0


def test_chinese_with_a_latin_word_is_scored_as_chinese() -> None:
    assert score_sentiment("这个app很好用").method == "snownlp"


@pytest.mark.parametrize(
    "text",
    [
        "شكرا جزيلا، الخدمة ممتازة",
        "😀😀😀",
        "👍",
        "",
        "   ",
        "12345",
        "\x00\x07",
        "とても良いお店です",
        "정말 좋아요",
    ],
)
def test_unscorable_text_is_unknown_with_no_score(text: str) -> None:
    sentiment = score_sentiment(text)
    assert sentiment.label == "unknown"
    assert sentiment.score is None
    assert sentiment.method is None


def test_control_characters_do_not_change_the_reading() -> None:
    assert score_sentiment("great\x00 \u202eservice\x07") == score_sentiment("great service")


def test_clean_text_turns_line_breaks_into_spaces_and_drops_controls() -> None:
    assert clean_text("a\nb\t c\x00\u200bd") == "a b cd"


@pytest.mark.parametrize("filler", ["服务太差了，再也不来了", "The staff were rude. "])
def test_a_ten_thousand_character_message_is_scored_on_its_opening_only(filler: str) -> None:
    """Only the first MAX_SCORED_CHARS are scored, so a flood of text costs what a message does
    (the time itself is measured by `make bench`, not asserted on a shared machine)."""
    text = (filler * (10_000 // len(filler) + 1))[:10_000]
    assert len(text) > MAX_SCORED_CHARS
    sentiment = score_sentiment(text)
    assert sentiment.label == "negative"
    assert sentiment == score_sentiment(text[:MAX_SCORED_CHARS])


@pytest.mark.parametrize(
    "text",
    [
        "I want a refund",
        "The item arrived BROKEN",
        "I'd like to make a complaint",
        "Terrible.",
        "我要投诉",
        "我要投訴你們",
        "能退款吗",
        "我要退貨",
        "服务太差了",
        "質量很差",
    ],
)
def test_complaint_words_mark_a_complaint(text: str) -> None:
    assert is_complaint(text)


@pytest.mark.parametrize(
    "text",
    [
        "No complaints, great service!",
        "not terrible at all",
        "Lovely coffee",
        "差不多就这样",
        "我下周出差",
        "还不差",
        "",
        "😀",
    ],
)
def test_praise_and_neutral_words_are_not_a_complaint(text: str) -> None:
    assert not is_complaint(text)
