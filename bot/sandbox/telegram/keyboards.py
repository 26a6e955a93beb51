"""reply_markup validation: inline keyboards, reply keyboards, keyboard removal, force reply.

Errors use the Bot API's wording. Rows wider than clients show (8 inline, 12 reply buttons) are
accepted, as by Telegram, but recorded as warnings on the message so tests can catch them.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.telegram.entities import checked_link
from bot.sandbox.telegram.errors import bad_request

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_MAX_INLINE_BUTTONS = 100
_MAX_REPLY_BUTTONS = 300
_INLINE_ROW_SHOWN = 8
_REPLY_ROW_SHOWN = 12


def parse_reply_markup(markup: Any, *, inline_only: bool = False) -> tuple[dict[str, Any] | None, list[str]]:
    """Normalised markup (reply buttons as objects) and display warnings; ApiError as the real API."""
    if markup is None:
        return None, []
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _inline(markup)
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        return _reply(markup)
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup, []
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(markup: dict[str, Any], field: str, owner: str) -> list[list[Any]]:
    rows = markup[field]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" of the {owner} must be an Array of Arrays')
    return rows


def _inline(markup: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    rows = _rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
    warnings: list[str] = []
    for number, row in enumerate(rows, start=1):
        for button in row:
            _check_inline_button(button)
        if len(row) > _INLINE_ROW_SHOWN:
            warnings.append(
                f"inline row {number} has {len(row)} buttons; clients show at most {_INLINE_ROW_SHOWN}"
            )
    if sum(len(row) for row in rows) > _MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    return {"inline_keyboard": rows}, warnings


def _check_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    actions = [name for name in _INLINE_ACTIONS if button.get(name) not in (None, "")]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data not in (None, "") and (not isinstance(data, str) or len(data.encode("utf-8")) > 64):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url not in (None, "") and (not isinstance(url, str) or not checked_link(url)):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _reply(markup: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    rows = _rows(markup, "keyboard", "ReplyKeyboardMarkup")
    warnings: list[str] = []
    normalised: list[list[dict[str, Any]]] = []
    for number, row in enumerate(rows, start=1):
        buttons: list[dict[str, Any]] = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
            buttons.append(button)
        if len(buttons) > _REPLY_ROW_SHOWN:
            warnings.append(
                f"keyboard row {number} has {len(buttons)} buttons; clients show at most {_REPLY_ROW_SHOWN}"
            )
        normalised.append(buttons)
    if sum(len(row) for row in normalised) > _MAX_REPLY_BUTTONS:
        raise bad_request("reply markup is too long")
    return {**markup, "keyboard": normalised}, warnings


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """All inline buttons of a message's markup, row by row."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def reply_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup or "keyboard" not in markup:
        return []
    return [button for row in markup["keyboard"] for button in row]
