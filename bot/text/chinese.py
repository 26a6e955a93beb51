"""Simplified ↔ Traditional Chinese, with OpenCC (the `opencc` package: its C++ library and
dictionaries, no download at run time).

- `to_traditional` / `to_simplified`: whole texts (an FAQ answer written in one script, shown to a
  customer who reads the other). Characters only (OpenCC `s2tw` / `t2s`): the shop's own words
  are kept, only the script changes.
- `fold`: a character table Traditional → Simplified for matching, so 營業時間 and 营业时间 are
  one text. Built once from OpenCC's `t2s` over the CJK blocks (about 10 ms), then `str.translate`
  (about a microsecond a message).

Converters are made on first use (each loads its dictionaries once, ~40 ms), so a process whose
rules need none never pays for them.
"""

from __future__ import annotations

import functools
from typing import Final

import opencc

_CJK_BLOCKS: Final = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    return str(_converter("s2tw").convert(text))


def to_simplified(text: str) -> str:
    return str(_converter("t2s").convert(text))


@functools.cache
def _fold_table() -> dict[int, str]:
    chars = [chr(code) for start, end in _CJK_BLOCKS for code in range(start, end + 1)]
    converted = to_simplified("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # never seen; fall back to no folding rather than a wrong table
        return {}
    return {ord(t): s for t, s in zip(chars, converted, strict=True) if s != t and len(s) == 1}


def fold(text: str) -> str:
    """`text` with every Traditional character that has a Simplified one replaced by it."""
    return text.translate(_fold_table())
