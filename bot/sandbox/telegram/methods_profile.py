"""Bot API methods about the bot's profile text: set/getMyDescription and set/getMyShortDescription.

Telegram keeps one text per two-letter `language_code` ("" is the default every other language
falls back to). An empty or missing text removes that language's text. Limits as Telegram's:
a description up to 512 characters, a short description up to 120; longer is 400 Bad Request.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.telegram.calls import Call, Handler
from bot.sandbox.telegram.errors import bad_request

DESCRIPTION_MAX = 512
SHORT_DESCRIPTION_MAX = 120


def _language(call: Call) -> str:
    language = call.params.text("language_code") or ""
    if language and not (len(language) == 2 and language.isascii() and language.isalpha()):
        raise bad_request("invalid language code specified")
    return language.lower()


def _setter(field: str, limit: int, slots: str, too_long: str) -> Handler:
    async def set_text(call: Call) -> Any:
        text = call.params.text(field) or ""
        if len(text) > limit:
            raise bad_request(too_long)
        language = _language(call)
        with call.state.lock:
            stored: dict[str, str] = getattr(call.state, slots)
            if text:
                stored[language] = text
            else:
                stored.pop(language, None)
        call.state.changed()
        return True

    return set_text


def _getter(field: str, slots: str) -> Handler:
    async def get_text(call: Call) -> Any:
        language = _language(call)
        with call.state.lock:
            stored: dict[str, str] = getattr(call.state, slots)
            return {field: stored.get(language, "")}

    return get_text


HANDLERS: dict[str, Handler] = {
    "setmydescription": _setter(
        "description", DESCRIPTION_MAX, "descriptions", "BOT_DESCRIPTION_INVALID: description is too long"
    ),
    "getmydescription": _getter("description", "descriptions"),
    "setmyshortdescription": _setter(
        "short_description",
        SHORT_DESCRIPTION_MAX,
        "short_descriptions",
        "BOT_ABOUT_INVALID: short description is too long",
    ),
    "getmyshortdescription": _getter("short_description", "short_descriptions"),
}
