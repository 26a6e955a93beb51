"""Read a score out of a typed survey answer (NPS 0–10, CSAT 1–5).

`parse_score` answers None whenever it is not sure; the caller re-asks politely. A wrong
score is worse than a second question, so anything ambiguous is rejected rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

ENGLISH_NUMBERS: Final = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

# Chinese numerals we read: the same characters in Simplified and Traditional, plus 两/兩
# ("two" before a measure word: 两分 = 2 points) and 百/千/万/萬, which only make a number too big.
# Values come from unicodedata.numeric, except 两 (U+4E24), which has no numeric property.
CHINESE_NUMERALS: Final = "〇零一二三四五六七八九十两兩百千万萬"
_LIANG: Final = "两"

# Whole words only: not preceded or followed by another letter (digits and ideographs are fine).
_WORDS: Final = re.compile(r"(?<![^\W\d_])(" + "|".join(ENGLISH_NUMBERS) + r")(?![^\W\d_])")
_DIGITS: Final = re.compile(r"\d+(?:[.,]\d+)*")
_ZH_RUN: Final = re.compile(f"[{CHINESE_NUMERALS}]+")
_NUMBER_TOKEN: Final = rf"\d+|[a-z]+|[{CHINESE_NUMERALS}]+"
_DENOMINATOR: Final = re.compile(rf"\s*(?:/|\bout\s+of\b)\s*({_NUMBER_TOKEN})\s*分?")
_FULL_MARKS: Final = re.compile(rf"(?:满分|滿分)\s*(?:是|為|为)?\s*({_NUMBER_TOKEN})\s*分?")
_MINUS: Final = "-−"
# Longer digit strings are out of range anyway; capping them also keeps int() away from
# Python's 4,300-digit conversion limit on a 10,000-character message.
_MAX_DIGITS: Final = 6
_TOO_BIG: Final = 10**_MAX_DIGITS
# 分 after a number means "points", except in 分钟 (minutes) and 分钱 (cents).
_NOT_POINTS_AFTER_FEN: Final = "钟鐘钱錢"
# A Chinese numeral standing alone may follow these: 我给九 / 我給九 / 打九 / 选九.
_ZH_SCORE_VERBS: Final = "给給打选選"


def parse_score(text: str, low: int = 0, high: int = 10) -> int | None:
    """The whole-number score in [low, high] that `text` states, or None.

    Accepted: `9`, ` 9 / 10 `, `9/10`, `9 out of 10`, `10/10`, `nine`, `Nine!`, `I'd say 8`,
    `10!`, full-width `９`/`１０` and other Unicode digits (NFKC, then `int`), `9️⃣`, Chinese
    `九`, `十`, `零`, `七分`, `8分`, `我给9分`, `我給九分`, `满分10分，我给9分`.

    Decisions:
    - A denominator (`/10`, `out of ten`, `满分10分`) is dropped when it equals `high`; any
      other denominator (`3/5` in an NPS) makes the answer ambiguous → None.
    - Every number in the text must agree: `nine (9)` is 9, but `between 7 and 8`, `7-8`
      and `this one is a 9` (one and 9) are None. The re-ask is cheap; a wrong score is not.
    - Decimals and grouped numbers (`7.5`, `7,5`, `10,000`), negatives (`-3`) and values
      outside [low, high] (`11`, `10000`, `0` for CSAT) are None.
    - 两/兩 count as 2 (两分 is how "2 points" is said); 十 is 10; 十一, 二十, 一百 are too big.
    - A Chinese numeral counts only as a score: followed by 分 (not 分钟 minutes, not 分钱
      cents), or standing alone (after nothing but 给/打/选 or punctuation). So 一般 ("so-so")
      and 第一 hold no number, and 十分满意 ("very satisfied": 十分 is the adverb "very")
      is not 10 — it gets a re-ask.
    - English number words zero…ten count as whole words only (`someone`, `often` hold none).
    """
    normalised = _normalise(text)
    if not normalised:
        return None
    without_denominators = _drop_denominators(normalised, high)
    if without_denominators is None:
        return None
    values = _numbers(without_denominators)
    if values is None or len(set(values)) != 1:
        return None
    value = values[0]
    return value if low <= value <= high else None


def _normalise(text: str) -> str:
    """NFKC (full-width and circled digits, full-width slash), lower case, controls removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in folded).strip()


def _drop_denominators(text: str, high: int) -> str | None:
    """Blank out "/10", "out of ten", "满分10分" when they name `high`; None for another scale."""
    for pattern in (_FULL_MARKS, _DENOMINATOR):
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(text):
            value = _token_value(match.group(1))
            if value is None:
                continue  # "and/or": not a denominator at all
            if value != high:
                return None
            pieces.append(text[last : match.start()])
            pieces.append(" ")
            last = match.end()
        pieces.append(text[last:])
        text = "".join(pieces)
    return text


def _token_value(token: str) -> int | None:
    if token.isdigit():
        return _int(token)
    if token in ENGLISH_NUMBERS:
        return ENGLISH_NUMBERS[token]
    if _ZH_RUN.fullmatch(token):
        return _chinese_value(token)
    return None


def _numbers(text: str) -> list[int] | None:
    """Every number stated in the text; None when one of them rules the answer out."""
    values: list[int] = []
    for match in _DIGITS.finditer(text):
        token = match.group()
        if "." in token or "," in token:
            return None
        start = match.start()
        if start > 0 and text[start - 1] in _MINUS and (start == 1 or not text[start - 2].isalnum()):
            return None
        if _followed_by_non_points_fen(text, match.end()):
            continue
        values.append(_int(token))
    values.extend(ENGLISH_NUMBERS[m.group(1)] for m in _WORDS.finditer(text))
    for match in _ZH_RUN.finditer(text):
        if not _is_chinese_score(text, match.start(), match.end()):
            continue
        value = _chinese_value(match.group())
        if value is None:
            return None
        values.append(value)
    return values


def _followed_by_non_points_fen(text: str, end: int) -> bool:
    rest = text[end:].lstrip()
    return rest.startswith("分") and rest[1:2] in tuple(_NOT_POINTS_AFTER_FEN)


def _is_chinese_score(text: str, start: int, end: int) -> bool:
    after = text[end : end + 1]
    if after == "分":
        if _followed_by_non_points_fen(text, end):
            return False
        # 十分 + another ideograph is the adverb "very" (十分满意), not "ten points".
        return not (text[start:end] == "十" and _is_han(text[end + 1 : end + 2]))
    before = text[start - 1 : start]
    return not _is_han(after) and (not _is_han(before) or before in _ZH_SCORE_VERBS)


def _is_han(ch: str) -> bool:
    return len(ch) == 1 and unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")


def _chinese_value(run: str) -> int | None:
    """The value of a run of Chinese numerals: 九 9, 十 10, 十一 11, 二十 20, 一〇 10 (digit by digit)."""
    digits = [2 if ch == _LIANG else int(unicodedata.numeric(ch)) for ch in run]
    if any(d >= 100 for d in digits):
        return 100  # 百/千/万: certainly out of range
    if 10 not in digits:
        return _int("".join(str(d) for d in digits))
    tens_at = digits.index(10)
    before, after = digits[:tens_at], digits[tens_at + 1 :]
    if len(before) > 1 or len(after) > 1 or 10 in before + after:
        return None  # 十十, 一二十: not a number anyone writes
    return (before[0] if before else 1) * 10 + (after[0] if after else 0)


def _int(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else _TOO_BIG
