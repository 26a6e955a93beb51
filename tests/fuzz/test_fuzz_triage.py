"""Triage (SPEC §8) under fuzzing: for any Unicode string it answers one of the five kinds, the same
kind every time, fast; and what a customer cannot see (full-width forms, upper case, stretched
letters, invisible characters, extra spaces) does not change the kind."""

from __future__ import annotations

import time
from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.triage import KINDS, NEEDS_HUMAN, triage
from tests.support.triage_set import load

MESSAGES = load()
LABELLED = st.sampled_from([m.text for m in MESSAGES])
ASCII_LABELLED = st.sampled_from([m.text for m in MESSAGES if m.text.isascii()])
PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


def best_of_three(call: Callable[[], object]) -> float:
    """The fastest of three runs: what the code costs, without a busy machine's pauses."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@settings(max_examples=500)
@given(text=st.text(max_size=200))
@example(text="")
@example(text="\x00\udfff\u200b")
@example(text="?" * 5000)
@example(text="退货" * 3000)
@example(text="a" * 20_000)
def test_any_text_gets_one_known_kind_the_same_every_time(text: str) -> None:
    first = triage(text)
    assert first.kind in KINDS
    assert first.needs_human == (first.kind in NEEDS_HUMAN)
    assert triage(text) == first


@settings(max_examples=300)
@given(base=LABELLED, noise=st.text(max_size=50))
def test_a_labelled_message_with_noise_around_it_still_gets_a_known_kind(base: str, noise: str) -> None:
    for text in (noise + base, base + noise, base[: len(base) // 2] + noise + base[len(base) // 2 :]):
        assert triage(text).kind in KINDS


@settings(max_examples=300)
@given(text=st.one_of(ASCII_LABELLED, st.text(PRINTABLE_ASCII, max_size=80)))
def test_full_width_text_gets_the_kind_of_its_ascii_twin(text: str) -> None:
    assert triage(full_width(text)).kind == triage(text).kind


@settings(max_examples=300)
@given(text=LABELLED, spacing=st.sampled_from(["  ", "\n", "\t", " \u200b", "\u3000"]))
def test_spacing_and_invisible_characters_do_not_change_the_kind(text: str, spacing: str) -> None:
    spaced = spacing + text.replace(" ", spacing) + spacing
    assert triage(spaced).kind == triage(text).kind


@settings(max_examples=300)
@given(text=ASCII_LABELLED)
def test_shouting_does_not_change_the_kind(text: str) -> None:
    assert triage(text.upper()).kind == triage(text).kind


@settings(max_examples=40)
@given(chunk=st.text(min_size=1, max_size=40))
def test_a_ten_thousand_character_message_is_triaged_in_milliseconds(chunk: str) -> None:
    text = (chunk * (10_000 // len(chunk) + 1))[:10_000]
    assert best_of_three(lambda: triage(text)) < 0.1  # ~15 ms at worst measured alone
