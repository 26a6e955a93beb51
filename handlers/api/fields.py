"""Field types shared by the request models, read with the same parsers as the import.

Validators that need the business's settings (the phone region, the amount locale) find them in
the validation context (`Parsing`), given by the endpoint when it validates a body.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from babel import Locale
from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

from bot.importing import fields as import_fields
from bot.importing.errors import FieldError
from bot.text.amounts import InvalidAmount, parse_amount


@dataclass(frozen=True)
class Parsing:
    region: str
    locale: Locale
    today: dt.date


def parsing(info: ValidationInfo) -> Parsing:
    context = info.context
    if not isinstance(context, Parsing):
        raise RuntimeError("request models are validated with a Parsing context")
    return context


def _amount(value: Any, info: ValidationInfo) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError('must be a number or a text such as "12.50"')
    try:
        if isinstance(value, str):
            return parse_amount(value, parsing(info).locale)
        return parse_amount(str(value), None)  # a JSON number: the machine form, whatever the locale
    except InvalidAmount as exc:
        raise ValueError(str(exc)) from None


def _text_field(parser: Any) -> Any:
    def parse(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be a text")
        text = value.strip()
        if not text:
            return None
        try:
            return parser(text)
        except FieldError as exc:
            raise ValueError(str(exc)) from None

    return parse


def _phone(value: Any, info: ValidationInfo) -> str | None:
    return _text_field(lambda text: import_fields.parse_phone(text, parsing(info).region))(value)  # type: ignore[no-any-return]


def _tags(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        value = ",".join(value)
    if not isinstance(value, str):
        raise ValueError("must be a list of texts, or one text with the tags separated by commas")
    try:
        return import_fields.parse_tags(value)
    except FieldError as exc:
        raise ValueError(str(exc)) from None


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}],
            "description": "Money, 0 or more: a JSON number (12.5), or a text read as the import reads "
            'amounts ("12.50", "$1,234.50", "NT$ 1 200"), in the locale of DEFAULT_PHONE_REGION.',
            "examples": ["42.50"],
        }
    ),
]
Phone = Annotated[
    str | None,
    BeforeValidator(_phone),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A phone number: international (+...) or national in DEFAULT_PHONE_REGION.",
            "examples": ["+14155550123"],
        }
    ),
]
Email = Annotated[
    str | None,
    BeforeValidator(_text_field(import_fields.parse_email)),
    WithJsonSchema({"type": "string", "format": "email"}),
]
Currency = Annotated[
    str | None,
    BeforeValidator(_text_field(import_fields.parse_currency)),
    WithJsonSchema({"type": "string", "description": "ISO 4217 code (RMB and NTD are read as CNY and TWD)."}),
]
Language = Annotated[
    str | None,
    BeforeValidator(_text_field(import_fields.parse_language)),
    WithJsonSchema({"type": "string", "enum": ["en", "zh-Hans", "zh-Hant"]}),
]
Tags = Annotated[
    tuple[str, ...] | None,
    BeforeValidator(_tags),
    WithJsonSchema({"type": "array", "items": {"type": "string"}}),
]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"\S")]
Name = Annotated[str | None, Field(default=None, max_length=200)]
