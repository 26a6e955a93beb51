"""Parsers for the contact and descriptive columns: phone, email, language, tags, currency."""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from babel.numbers import list_currencies

from bot.text.phone import InvalidPhoneNumber, normalize_phone

from .errors import FieldError
from .records import Language
from .text import shown

MAX_TAG_LENGTH = 50

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
# ASCII and full-width separators: Chinese keyboards type ，；｜ and the enumeration comma 、.
_TAG_SEPARATORS = re.compile(r"[,;|、，；｜]")
_CURRENCY_ALIASES = {"RMB": "CNY", "NTD": "TWD"}

_HANS: Language = "zh-Hans"
_HANT: Language = "zh-Hant"
_LANGUAGES: dict[str, Language] = {
    **dict.fromkeys(["en", "english", "英文", "英语", "英語"], "en"),
    **dict.fromkeys(
        ["zh", "zh-hans", "zh-cn", "zh-sg", "zh-my", "chinese", "中文", "简体", "簡體", "简体中文",
         "簡體中文", "simplified chinese"],
        _HANS,
    ),
    **dict.fromkeys(
        ["zh-hant", "zh-tw", "zh-hk", "zh-mo", "繁體", "繁体", "繁體中文", "繁体中文", "traditional chinese"],
        _HANT,
    ),
}  # fmt: skip
_LANGUAGE_PREFIXES: tuple[tuple[str, Language], ...] = (
    ("en-", "en"),
    ("zh-hans-", _HANS),
    ("zh-hant-", _HANT),
)


def check_region(region: str) -> str:
    """The region upper-cased, or ValueError: a wrong region is a configuration mistake."""
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}; use an ISO country code such as US or TW")
    return region.upper()


def parse_phone(value: str, region: str) -> str:
    """E.164; national numbers are read in `region` (the one normaliser the whole bot uses)."""
    try:
        return normalize_phone(value, region)
    except InvalidPhoneNumber as exc:
        where = "" if value.startswith(("+", "＋")) else f" for region {region}"
        raise FieldError(f"phone '{shown(value)}' is not a valid number{where}") from exc


def parse_email(value: str) -> str:
    """A plausible address (one @, a dotted domain, no spaces); the domain is lower-cased."""
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise FieldError(f"email '{shown(value)}' is not a valid email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def parse_language(value: str) -> Language:
    """en, zh-Hans or zh-Hant, from the codes and names people actually type."""
    key = " ".join(value.casefold().replace("_", "-").split())
    if key in _LANGUAGES:
        return _LANGUAGES[key]
    for prefix, language in _LANGUAGE_PREFIXES:
        if key.startswith(prefix):
            return language
    raise FieldError(f"language '{shown(value)}' is not supported (use en, zh-Hans or zh-Hant)")


def parse_tags(value: str) -> tuple[str, ...]:
    """Tags split on , ; | 、 (and their full-width forms), stripped, without repeats."""
    tags = dict.fromkeys(tag.strip() for tag in _TAG_SEPARATORS.split(value))
    tags.pop("", None)
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH:
            raise FieldError(f"tag '{shown(tag)}' is {len(tag):,} characters long (at most {MAX_TAG_LENGTH})")
    return tuple(tags)


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def parse_currency(value: str) -> str:
    """An ISO 4217 code, upper-cased; RMB and NTD, as often written, mean CNY and TWD."""
    code = value.upper()
    code = _CURRENCY_ALIASES.get(code, code)
    if code not in _currencies():
        raise FieldError(f"currency '{shown(value)}' is not an ISO 4217 code such as USD, CNY or TWD")
    return code
