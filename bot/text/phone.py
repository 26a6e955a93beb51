"""Phone numbers to E.164, the one form we store and match customers by."""

from __future__ import annotations

from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

_E164_MAX_DIGITS: Final = 15
_SHOWN_CHARS: Final = 40


class InvalidPhoneNumber(ValueError):
    """Raised for input that is not a phone number we can dial; `reason` says why in words."""

    def __init__(self, raw: str, reason: str) -> None:
        shown = raw if len(raw) <= _SHOWN_CHARS else raw[:_SHOWN_CHARS] + "…"
        super().__init__(f"not a valid phone number: {shown!r} ({reason})")
        self.raw = raw
        self.reason = reason


_PARSE_REASONS: Final = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code; start with + and the country code",
    NumberParseException.NOT_A_NUMBER: "it does not look like a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


def normalize_phone(raw: str, default_region: str) -> str:
    """`raw` as E.164 (`+14155550123`); national numbers are read in `default_region` (ISO code).

    Imports and staff input are checked strictly (`is_valid_number`: a real number range for
    the country), because a typo that still looks plausible would link the wrong customer.
    """
    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {default_region!r}: use an ISO country code such as US or CN")
    number = _parse(raw, region)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(raw, f"not a valid number for {_region_of(number, region)}")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalize_telegram_contact(raw: str) -> str:
    """A Telegram contact's number as E.164; Telegram sends it international, often without `+`.

    Telegram has verified the number by SMS, so only the shape is checked, not the number
    ranges in our copy of the numbering plan (which can lag; Telegram's anonymous +888
    numbers are not in it at all).
    """
    text = raw.strip()
    number = _parse(raw, None, text if text.startswith("+") else "+" + text)
    digits = len(str(number.country_code)) + len(str(number.national_number))
    if digits > _E164_MAX_DIGITS:
        raise InvalidPhoneNumber(raw, "too long for an international number")
    if not (phonenumbers.is_possible_number(number) or number.country_code == 888):
        raise InvalidPhoneNumber(raw, "wrong length for its country code")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse(raw: str, region: str | None, text: str | None = None) -> phonenumbers.PhoneNumber:
    """Parse `text` (default `raw`); errors quote `raw`, what the person actually typed."""
    if not raw or not raw.strip():
        raise InvalidPhoneNumber(raw, "empty")
    try:
        return phonenumbers.parse(raw if text is None else text, region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(raw, _PARSE_REASONS.get(exc.error_type, str(exc))) from exc


def _region_of(number: phonenumbers.PhoneNumber, default_region: str) -> str:
    return phonenumbers.region_code_for_number(number) or default_region
