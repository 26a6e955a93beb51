"""Customer-facing text in English, Simplified and Traditional Chinese.

Messages live in gettext catalogues under `locale/` (edit the .po, then run
`python -m bot.i18n.compile`); dates and numbers are formatted by Babel for each language's
locale. Message ids are stable keys (`survey.nps.question`), and the English catalogue holds
the English text, so rewording English never orphans a translation. Placeholders are named
(`{business}`) and filled with `str.format`; escaping for Telegram happens in the adapter.
"""

from __future__ import annotations

import functools
import gettext
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import format_decimal as _babel_format_decimal

SUPPORTED: Final = ("en", "zh-Hans", "zh-Hant")
FALLBACK: Final = "en"
LANGUAGE_NAMES: Final = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
"""Each language named in its own script, for the /language buttons (never translated)."""

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DOMAIN: Final = "messages"
PLURAL_SUFFIX: Final = ".plural"
"""A plural message `points.balance` has the msgid_plural `points.balance.plural`."""

_CATALOGUE_DIRS: Final = {"en": "en", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant"}
# Regions pick the conventions customers expect: mainland for Simplified, Taiwan for Traditional
# (the catalogue's wording is Taiwan usage too: 點數, 優惠券, 訊息).
_BABEL_LOCALES: Final = {"en": "en_US", "zh-Hans": "zh_Hans_CN", "zh-Hant": "zh_Hant_TW"}

# Telegram's language_code is an IETF tag chosen by the user's app (SPEC §3).
_ZH_HANS_SUBTAGS: Final = frozenset({"", "hans", "cn", "sg"})
_ZH_HANT_SUBTAGS: Final = frozenset({"hant", "tw", "hk", "mo"})


def parse_language(value: str | None) -> str | None:
    """The supported language `value` spells (`zh_hant`, `ZH-Hans`, `en`), or None."""
    if not value:
        return None
    wanted = value.strip().replace("_", "-").lower()
    return next((code for code in SUPPORTED if code.lower() == wanted), None)


def language_from_telegram(language_code: str | None, default: str) -> str:
    """The customer's language from Telegram's `language_code`, as SPEC §3 maps it.

    `zh`, `zh-hans`, `zh-cn`, `zh-sg` → zh-Hans; `zh-hant`, `zh-tw`, `zh-hk`, `zh-mo` →
    zh-Hant (a script subtag wins over a region: `zh-Hant-CN` is Traditional); `en`, `en-*` →
    en; case-insensitive, `_` or `-`; anything else (other languages, `zh-my`, None) → `default`.
    """
    if default not in SUPPORTED:
        raise ValueError(f"default language must be one of {', '.join(SUPPORTED)}, not {default!r}")
    if not language_code:
        return default
    primary, _, rest = language_code.strip().lower().replace("_", "-").partition("-")
    if primary == "en":
        return "en"
    if primary == "zh":
        subtag = rest.partition("-")[0]
        if subtag in _ZH_HANS_SUBTAGS:
            return "zh-Hans"
        if subtag in _ZH_HANT_SUBTAGS:
            return "zh-Hant"
    return default


class Translator:
    """Messages and formats for one language; missing messages fall back to English."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self.locale = Locale.parse(_BABEL_LOCALES[language])
        self._translations = translations

    def gettext(self, msgid: str) -> str:
        return self._translations.gettext(msgid)

    def ngettext(self, msgid: str, msgid_plural: str, n: int) -> str:
        return self._translations.ngettext(msgid, msgid_plural, n)

    def format(self, msgid: str, /, **values: object) -> str:
        """The message with its named placeholders filled: `format("points.tier", tier="Gold")`."""
        return self.gettext(msgid).format(**values)

    def nformat(self, msgid: str, n: int, /, **values: object) -> str:
        """The plural form for `n`, filled: `nformat("points.balance", 5, points="5")`.

        `n` only chooses the form; pass the shown number as a placeholder too, formatted
        (`format_decimal`) as the reader expects.
        """
        return self.ngettext(msgid, msgid + PLURAL_SUFFIX, n).format(**values)

    def format_date(self, value: date, format: str = "long") -> str:
        return format_date(value, self.language, format)

    def format_decimal(self, number: int | float | Decimal) -> str:
        return format_decimal(number, self.language)


def translator(language: str | None) -> Translator:
    """The Translator for `language` (any spelling `parse_language` accepts); unknown → English."""
    return _translator(parse_language(language) or FALLBACK)


@functools.cache
def _translator(language: str) -> Translator:
    translations = _load_catalogue(language)
    if language != FALLBACK:
        translations.add_fallback(_load_catalogue(FALLBACK))
    return Translator(language, translations)


def _load_catalogue(language: str) -> gettext.GNUTranslations:
    # Opened directly: gettext.translation() would run "zh_Hans" through locale.normalize().
    path = LOCALE_DIR / _CATALOGUE_DIRS[language] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as fileobj:
        return gettext.GNUTranslations(fileobj)


def format_date(value: date, language: str, format: str = "long") -> str:
    """`value` as the language writes it: "December 1, 2026", "2026年12月1日".

    A datetime is formatted by its own date, so convert it to the business's TIMEZONE first.
    """
    if isinstance(value, datetime):
        value = value.date()
    return _babel_format_date(value, format=format, locale=_locale(language))


def format_decimal(number: int | float | Decimal, language: str) -> str:
    """`number` with the language's grouping and decimal signs: "1,234.5"."""
    return _babel_format_decimal(number, locale=_locale(language))


def _locale(language: str) -> str:
    return _BABEL_LOCALES[parse_language(language) or FALLBACK]
