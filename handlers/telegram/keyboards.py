"""Buttons and their callback data (at most 64 bytes: kind, the row it acts on, the choice)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.config.rules import RewardRule
from bot.i18n import LANGUAGE_NAMES, SUPPORTED, Translator
from bot.services.survey_states import CSAT, SCALES

SCORE_PATTERN: Final = r"^(nps|csat):(\d{1,12}):(\d{1,2})$"
REDEEM_ASK_PATTERN: Final = r"^rw:ask:([a-z0-9_-]{1,32})$"
REDEEM_CONFIRM_PATTERN: Final = r"^rw:ok:(\d{1,12})$"
REDEEM_CANCEL_PATTERN: Final = r"^rw:no:(\d{1,12})$"
LANGUAGE_PATTERN: Final = r"^lang:(en|zh-Hans|zh-Hant)$"
DELETE_PATTERN: Final = r"^del:(yes|no)$"


def score_keyboard(kind: str, dispatch_id: int) -> InlineKeyboardMarkup:
    """NPS: 0–5 and 6–10 in two rows (clients show at most 8 buttons a row); CSAT: 1–5 in one."""
    scale = SCALES[kind]
    scores = list(range(scale.low, scale.high + 1))
    rows = [scores] if kind == CSAT else [scores[:6], scores[6:]]
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(str(n), callback_data=f"{kind}:{dispatch_id}:{n}") for n in row]
            for row in rows
        ]
    )


def rewards_keyboard(t: Translator, rewards: Sequence[RewardRule]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.format("rewards.redeem_button", name=reward.display_name(t.language)),
                    callback_data=f"rw:ask:{reward.code}",
                )
            ]
            for reward in rewards
        ]
    )


def confirm_redeem_keyboard(t: Translator, redemption_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("rewards.confirm_button"), callback_data=f"rw:ok:{redemption_id}"
                ),
                InlineKeyboardButton(t.gettext("common.cancel"), callback_data=f"rw:no:{redemption_id}"),
            ]
        ]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    """Each language named in its own script, so anyone can find theirs."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=f"lang:{code}") for code in SUPPORTED]]
    )


def delete_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("deleteme.confirm_button"), callback_data="del:yes"),
                InlineKeyboardButton(t.gettext("common.cancel"), callback_data="del:no"),
            ]
        ]
    )


def share_phone_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.gettext("start.share_phone_button"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


FAQ_HELPED_PATTERN: Final = r"^faq:ok:(\d{1,12})$"
FAQ_PERSON_PATTERN: Final = r"^faq:person:(\d{1,12})$"


def faq_keyboard(t: Translator, reply_id: int) -> InlineKeyboardMarkup:
    """Under an answer from the shop's FAQ: That helps / Talk to a person."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("faq.helped_button"), callback_data=f"faq:ok:{reply_id}"),
                InlineKeyboardButton(t.gettext("faq.person_button"), callback_data=f"faq:person:{reply_id}"),
            ]
        ]
    )
