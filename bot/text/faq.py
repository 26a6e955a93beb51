"""Which FAQ entry (the shop's own answers, `[[faq]]` in the rules file) a customer's message asks,
if any. Pure and fast: the entries are read once into an index; a message costs tens of µs.

How it decides, in order:

1. Only a question or an information request is answered (`bot.text.triage`): a complaint that
   mentions opening hours goes to a person, and chatter, thanks and praise are never "answered".
2. The message and every example question become weighted features: concepts from the synonym list
   (`faq_lexicon`: "close", "shut", "营业", "幾點關門" → hours), English word stems, and Chinese
   character pairs, with Traditional folded to Simplified. Concepts carry the meaning across
   languages and paraphrases; words and pairs catch what the list does not know.
3. A feature shared by several entries counts for less (it tells them apart less), and one that no
   entry knows still counts in the message: "what time is the open mic night" is not mostly about
   opening hours.
4. The score of an entry is its best example's similarity to the message (shared weight over the
   geometric mean of both weights); the best entry above `THRESHOLD` answers, provided every action
   the message asks for (cancel, change, refund…) is also in that entry's questions: "please cancel
   my delivery" is not answered with the delivery fees.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.text import faq_lexicon as lex
from bot.text.chinese import fold
from bot.text.triage import triage

THRESHOLD: Final = 0.5
"""Chosen on the tune part of tests/data/faq_messages.csv (see tests/unit/test_faq_matcher.py)."""
EXPONENT: Final = 0.5
"""Score = shared / (example ** EXPONENT * message ** (1 - EXPONENT)); 0.5 is the cosine."""
ANSWERABLE_KINDS: Final = frozenset({"question", "request"})
"""A request may be a question asked politely ("opening hours pls", "can you tell me the wifi
password"); one that asks for something done must find that action in the entry (rule 4)."""
UNSURE: Final = "unsure"
"""How triage's rule starts when a message has no question form (`bot.text.triage`, its last rule):
such a message is answered only when it is nothing but the entry's keywords ("opening hours",
"wifi password", "营业时间"); a statement that names a topic ("WiFi 一直斷線，很難用", "your vegan
cake had dairy in it") is no question about it."""
MAX_CHARS: Final = 500
"""A longer message is no quick question: it goes to a person."""

WEIGHTS: Final = {"topic": 1.0, "action": 1.0, "light": 0.35, "word": 0.5, "pair": 0.35}

UNKNOWN_TOPIC: Final = 1.5
"""The weight, in a message, of a listed topic no entry is about ("open mic night": an event)."""

Feature = str


@dataclass(frozen=True, slots=True)
class FaqMatch:
    index: int
    """The entry's position in the rules file's [[faq]] list."""
    score: float
    question: str
    """The entry's example question that matched best."""


@dataclass(frozen=True, slots=True)
class _Concept:
    name: str
    kind: str


def _build_lexicon() -> tuple[
    dict[str, _Concept], dict[str, list[tuple[tuple[str, ...], _Concept]]], list[tuple[str, _Concept]]
]:
    words: dict[str, _Concept] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], _Concept]]] = defaultdict(list)
    zh_terms: list[tuple[str, _Concept]] = []
    for line in lex.LEXICON.strip().splitlines():
        name, kind, english, chinese = (part.strip() for part in line.split("|"))
        concept = _Concept(name, kind)
        for item in english.split(","):
            stems = tuple(_stem(w) for w in _WORD.findall(item.strip().lower()))
            if len(stems) == 1:
                words.setdefault(stems[0], concept)
            elif stems:
                phrases[stems[0]].append((stems, concept))
        zh_terms.extend((fold(term.strip()), concept) for term in chinese.split(",") if term.strip())
    for options in phrases.values():
        options.sort(key=lambda option: -len(option[0]))  # the longest phrase first
    zh_terms.sort(key=lambda term: -len(term[0]))
    return words, dict(phrases), zh_terms


def _stem(word: str) -> str:
    """A light English stemmer, the same on both sides: closes/closing/closed/close → clos."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


_WORD: Final = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CJK_RUN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ZH_FUNCTION: Final = frozenset(fold("".join(lex.ZH_FUNCTION_CHARS)))
_STOP_STEMS: Final = frozenset(_stem(w) for w in lex.EN_STOPWORDS) | lex.EN_STOPWORDS
_WORDS, _PHRASES, _ZH_TERMS = _build_lexicon()


def normalise(text: str) -> str:
    """NFKC (full-width letters and ？), lower case, straight apostrophes, Traditional folded."""
    return fold(unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("-", " "))


def features(text: str) -> tuple[dict[Feature, str], frozenset[str]]:
    """The message's features with their class, and the actions it asks for."""
    t = normalise(text)
    found: dict[Feature, str] = {}
    actions: set[str] = set()

    def concept(c: _Concept) -> None:
        found[f"@{c.name}"] = c.kind
        if c.kind == "action":
            actions.add(c.name)

    tokens = [_stem(w) for w in _WORD.findall(t)]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        for stems, c in _PHRASES.get(token, ()):
            if tuple(tokens[i : i + len(stems)]) == stems:
                concept(c)
                i += len(stems)
                break
        else:
            c1 = _WORDS.get(token)
            if c1 is not None:
                concept(c1)
            elif token not in _STOP_STEMS and len(token) > 1 and not token.isdigit():
                found[f"w:{token}"] = "word"
            i += 1
    for run in _CJK_RUN.findall(t):
        covered = [False] * len(run)
        for term, c in _ZH_TERMS:
            start = run.find(term)
            if start < 0:
                continue
            concept(c)
            while start >= 0:
                covered[start : start + len(term)] = [True] * len(term)
                start = run.find(term, start + 1)
        for i in range(len(run) - 1):
            a, b = run[i], run[i + 1]
            if not (covered[i] and covered[i + 1]) and a not in _ZH_FUNCTION and b not in _ZH_FUNCTION:
                found[f"z:{a}{b}"] = "pair"  # a pair the synonym list did not already read
    return found, frozenset(actions)


@dataclass(frozen=True, slots=True)
class _Example:
    entry: int
    text: str
    norm: float
    """The example's total weight raised to EXPONENT."""


class FaqMatcher:
    """The index of one FAQ (entries of example questions), built once per rules file."""

    def __init__(self, entries: Sequence[Sequence[str]], threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self.entry_count = len(entries)
        parsed = [[features(q) for q in questions] for questions in entries]
        entries_with: dict[Feature, set[int]] = defaultdict(set)
        self._entry_actions: list[frozenset[str]] = []
        self._entry_features: list[frozenset[Feature]] = []
        for index, examples in enumerate(parsed):
            names: set[str] = set()
            for found, _ in examples:
                for feature in found:
                    entries_with[feature].add(index)
                names.update(f[1:] for f, kind in found.items() if kind == "action")
            self._entry_actions.append(frozenset(names))
            self._entry_features.append(frozenset(f for found, _ in examples for f in found))
        scale = math.log(1 + max(1, len(entries)))
        self._idf = {f: math.log(1 + len(entries) / len(ids)) / scale for f, ids in entries_with.items()}
        self._examples: list[_Example] = []
        self._postings: dict[Feature, list[tuple[int, float]]] = defaultdict(list)
        for index, (questions, examples) in enumerate(zip(entries, parsed, strict=True)):
            for question, (found, _) in zip(questions, examples, strict=True):
                if not found:
                    continue
                position = len(self._examples)
                total = 0.0
                for feature, kind in found.items():
                    weight = self._weight(feature, kind)
                    self._postings[feature].append((position, weight))
                    total += weight
                self._examples.append(_Example(index, question, total**EXPONENT))

    def _weight(self, feature: Feature, kind: str) -> float:
        idf = self._idf.get(feature)
        if idf is None:  # no entry knows it: a topic the FAQ does not answer weighs most
            return UNKNOWN_TOPIC if kind == "topic" else WEIGHTS[kind]
        return WEIGHTS[kind] * idf

    def scores(self, text: str) -> list[tuple[float, int, str]]:
        """Every entry that shares a feature with `text`: (score, entry, best example), best first.
        No triage here: this is the similarity alone (tuning and tests read it)."""
        found, actions = features(text[:MAX_CHARS])
        if not found:
            return []
        shared: dict[int, float] = defaultdict(float)
        total = 0.0
        for feature, kind in found.items():
            weight = self._weight(feature, kind)
            total += weight
            for position, example_weight in self._postings.get(feature, ()):
                shared[position] += min(weight, example_weight)
        message_norm = total ** (1 - EXPONENT)
        best: dict[int, tuple[float, str]] = {}
        for position, weight in shared.items():
            example = self._examples[position]
            if not actions <= self._entry_actions[example.entry]:
                continue
            score = weight / (example.norm * message_norm)
            if score > best.get(example.entry, (0.0, ""))[0]:
                best[example.entry] = (score, example.text)
        return sorted(((s, e, q) for e, (s, q) in best.items()), reverse=True)

    def match(self, text: str) -> FaqMatch | None:
        """The entry this message asks, or None (not a question, too long, or nothing close enough)."""
        if not self._examples or len(text) > MAX_CHARS:
            return None
        kind = triage(text)
        if kind.kind not in ANSWERABLE_KINDS:
            return None
        ranked = self.scores(text)
        if not ranked or ranked[0][0] < self.threshold:
            return None
        score, entry, question = ranked[0]
        if kind.rule.startswith(UNSURE) and not self._only_keywords_of(entry, text):
            return None
        return FaqMatch(entry, score, question)

    def _only_keywords_of(self, entry: int, text: str) -> bool:
        """Whether every feature of `text` is one of the entry's ("wifi password", "营业时间")."""
        found, _ = features(text[:MAX_CHARS])
        return found.keys() <= self._entry_features[entry]


def matcher_for(entries: Iterable[Sequence[str]], threshold: float = THRESHOLD) -> FaqMatcher:
    return FaqMatcher([tuple(questions) for questions in entries], threshold)
