"""Sentiment of customer feedback, routed by script.

Chinese (Han ideographs) is scored with snownlp, Latin-script text with TextBlob's bundled
PatternAnalyzer lexicon (no NLTK corpora, which cannot be downloaded here). Anything else —
Arabic, Cyrillic, Japanese kana, Korean, emoji or digits only — gets an honest "unknown"
(score None) rather than a made-up 0.0.

Known limits: TextBlob's lexicon is English, so other Latin-script languages mostly score
0.0 ("neutral"); snownlp was trained on shopping reviews and rates short neutral questions
as negative ("请问几点关门" -0.94), so a Chinese question may be labelled negative.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

Label = Literal["positive", "neutral", "negative", "unknown"]

MAX_SCORED_CHARS: Final = 500
"""Only the first 500 characters (after cleaning) are scored.

snownlp costs about 0.1 ms per character, so a 10,000-character message would take ~1 s;
feedback states its gist early (500 characters is a long paragraph, in Chinese especially),
and a capped cost keeps hostile input from stalling a handler (~50 ms at most).
"""
MAX_SCANNED_CHARS: Final = 10_000
"""`is_complaint` reads further (a regex scan is cheap), and nothing reads beyond this."""

# Label thresholds on the common [-1, 1] scale, per method, because the two scales differ:
# TextBlob's polarity is an average of adjective intensities ("delivery was late" -0.3,
# "Thanks" +0.2), while snownlp's 2p-1 comes from a naive-Bayes probability that drifts
# around ±0.2 for bland text ("还可以" +0.15, "一般般" +0.01) and is near ±1 when it is sure.
TEXTBLOB_POSITIVE_FROM: Final = 0.1
TEXTBLOB_NEGATIVE_UPTO: Final = -0.1
SNOWNLP_POSITIVE_FROM: Final = 0.3  # P(positive) >= 0.65
SNOWNLP_NEGATIVE_UPTO: Final = -0.3  # P(positive) <= 0.35


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A score in [-1, 1] (None when the language is not one we can score) and its label."""

    score: float | None
    method: str | None
    label: Label

    @property
    def is_negative(self) -> bool:
        return self.label == "negative"


UNKNOWN: Final = Sentiment(score=None, method=None, label="unknown")


def score_sentiment(text: str) -> Sentiment:
    """Score `text`: snownlp for Chinese, TextBlob for Latin script, otherwise unknown."""
    cleaned = clean_text(text[:MAX_SCANNED_CHARS])[:MAX_SCORED_CHARS]
    script = _dominant_script(cleaned)
    if script == "han":
        p = _snownlp_positive_probability(cleaned)
        return _labelled(2.0 * p - 1.0, "snownlp", SNOWNLP_POSITIVE_FROM, SNOWNLP_NEGATIVE_UPTO)
    if script == "latin":
        polarity = float(_textblob_class()(cleaned).sentiment.polarity)
        return _labelled(polarity, "textblob", TEXTBLOB_POSITIVE_FROM, TEXTBLOB_NEGATIVE_UPTO)
    return UNKNOWN


def warm_up() -> None:
    """Load both analysers now (snownlp takes ~3 s), e.g. at process start, not on a customer's message."""
    score_sentiment("好")  # the import, and snownlp's conversion tables
    score_sentiment("good")  # TextBlob reads its lexicon on first use


def clean_text(text: str) -> str:
    """Drop control and format characters, turn line breaks and tabs into spaces, squeeze spaces."""
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) not in _DROPPED_CATEGORIES:
            out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


_DROPPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co"})
_SPACES: Final = re.compile(r"\s+")


def _labelled(score: float, method: str, positive_from: float, negative_upto: float) -> Sentiment:
    score = max(-1.0, min(1.0, score))
    label: Label = "neutral"
    if score >= positive_from:
        label = "positive"
    elif score <= negative_upto:
        label = "negative"
    return Sentiment(score=score, method=method, label=label)


def _dominant_script(text: str) -> Literal["han", "latin", "other", "none"]:
    """The script with the most letters; kana or Hangul means Japanese/Korean, which we cannot score.

    Chinese feedback often carries Latin words ("这个app很好用"), so Han wins whenever it has
    at least as many characters as there are Latin letters.
    """
    han = latin = other = 0
    for ch in text:
        if _is_han(ch):
            han += 1
        elif ch.isalpha():
            if _is_kana_or_hangul(ch):
                return "other"
            if _is_latin(ch):
                latin += 1
            else:
                other += 1
    if han == latin == other == 0:
        return "none"
    if han >= latin and han >= other:
        return "han"
    if latin > other:
        return "latin"
    return "other"


def _is_han(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= cp <= 0x4DBF  # Extension A
        or 0xF900 <= cp <= 0xFAFF  # Compatibility Ideographs
        or 0x20000 <= cp <= 0x3134F  # Extensions B–H
    )


def _is_kana_or_hangul(ch: str) -> bool:
    cp = ord(ch)
    kana = 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF
    hangul = 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF
    return kana or hangul


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN ")


def _snownlp_positive_probability(text: str) -> float:
    """P(positive) from snownlp, on Simplified characters.

    snownlp's model was trained on Simplified Chinese: "這個產品非常好，我很喜歡" scores 0.46 as
    written and 0.89 once converted with its own `.han`, so Traditional text is converted first.
    """
    snow = _snownlp_class()
    simplified = snow(text).han
    return float(snow(simplified).sentiments)


@functools.cache
def _snownlp_class() -> Callable[[str], Any]:
    """Import snownlp once, on first use: the import loads its models and takes ~3 s."""
    from snownlp import SnowNLP

    return SnowNLP  # type: ignore[no-any-return]


@functools.cache
def _textblob_class() -> Callable[[str], Any]:
    from textblob import TextBlob

    return TextBlob  # type: ignore[no-any-return]


# --- complaints ---------------------------------------------------------------------------

# Words that mean the customer wants something fixed, whatever the tone. English matches whole
# words, case-insensitively; Chinese matches substrings (no word boundaries), both scripts.
_EN_ACTION: Final = (
    r"refunds?|refunded|money\s+back|chargeback|complain(?:t|ts|ed|ing)?|broken|faulty|defective|damaged"
    r"|scam|fraud|rip[\s-]?off|overcharged|not\s+working|doesn'?t\s+work|never\s+again"
)
# Evaluative words, ignored right after a negation ("not terrible", "no complaints").
_EN_EVALUATIVE: Final = (
    r"terrible|awful|horrible|worst|rude|disgusting|disappoint(?:ed|ing)|unacceptable|useless|appalling"
)
_EN_NEGATION: Final = r"(?:not|no|never|nothing|isn'?t|wasn'?t|without)\s+(?:\w+\s+)?"

_ZH_ACTION: Final = re.compile(
    "投诉|投訴|退款|退钱|退錢|退货|退貨|坏了|壞了|骗|騙|差评|差評|维权|維權|举报|檢舉"
)
# Evaluative words, ignored right after a negation (不/没/无: 不失望 "not disappointed").
_ZH_EVALUATIVE: Final = re.compile(
    "(?<![不没沒无無])(?:糟糕|失望|垃圾|恶心|噁心|态度不好|態度不好|太慢|难吃|難吃)"
)
# "差" (bad) alone is the commonest Chinese complaint word, but it also sits inside neutral
# words: 差不多 (about), 差点 (almost), 出差 (business trip), 时差 (jet lag), 误差 (error
# margin), 差异 (difference)…, and 不差 means "not bad".
_ZH_CHA: Final = re.compile("(?<![出时時误誤偏落相温溫不没沒无無])差(?!不多|一?[点點]|[异異额額距别別])")

_EN_COMPLAINT: Final = re.compile(
    rf"(?<!\w)(?:(?P<negated>{_EN_NEGATION})?(?P<evaluative>{_EN_EVALUATIVE})|(?P<action>{_EN_ACTION}))(?!\w)",
    re.IGNORECASE,
)
_EN_NO_COMPLAINT: Final = re.compile(
    r"(?<!\w)(?:no|zero|without)\s+(?:\w+\s+)?complaints?(?!\w)|nothing\s+to\s+complain", re.IGNORECASE
)


def is_complaint(text: str) -> bool:
    """True when the text reads as a complaint (refund, broken, 投诉, 退貨, 差 …).

    A deliberately small keyword list: a missed complaint still opens a ticket through its
    negative sentiment, and a false one only costs staff a glance. The caller combines it
    with `score_sentiment` (negative feedback or a complaint opens a ticket).
    """
    cleaned = clean_text(text[:MAX_SCANNED_CHARS])
    without_praise = _EN_NO_COMPLAINT.sub(" ", cleaned)
    for match in _EN_COMPLAINT.finditer(without_praise):
        if match.group("action") or not match.group("negated"):
            return True
    return _has_zh_complaint(cleaned)


def _has_zh_complaint(text: str) -> bool:
    return any(pattern.search(text) for pattern in (_ZH_ACTION, _ZH_EVALUATIVE, _ZH_CHA))
