"""The Telegram checks: the token (getMe) and how updates arrive (getWebhookInfo), over plain HTTP.

The Bot API is called on the bot's own transport (handlers/telegram/transport.py: the same proxy,
the same errors) but not through python-telegram-bot's Bot: the doctor reports Telegram's own answer
(`401 Unauthorized`, a webhook's `last_error_message`) word for word.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from telegram.error import NetworkError, TimedOut

from bot.config import Settings
from bot.doctor.model import Check, failed, ok, skipped, warning
from bot.proxies import describe
from handlers.telegram.transport import AiohttpRequest, bot_api_proxy

TOKEN = "telegram token"
WEBHOOK = "telegram webhook"
OFFICIAL_HOST = "api.telegram.org"
WEBHOOK_PORTS = (443, 80, 88, 8443)
"""The only ports api.telegram.org delivers webhooks to."""
TOKEN_FIX = (
    "copy the token from @BotFather again (in Telegram: /mybots → your bot → API Token) "
    "into TELEGRAM_BOT_TOKEN"
)


@dataclass(frozen=True)
class Answer:
    """A Bot API answer: its result, or why there is none."""

    result: Any = None
    code: int | None = None
    """Telegram's error_code (or the HTTP status of an answer that is not the Bot API's)."""
    description: str | None = None
    unreachable: str | None = None
    """Why no answer came at all (connection refused, timeout…)."""
    not_bot_api: bool = False


def method_url(base_url: str, token: str, method: str) -> str:
    """`{base}{token}/{method}`, or the token put in place of `{token}` (as python-telegram-bot does)."""
    base = base_url.replace("{token}", token) if "{token}" in base_url else f"{base_url}{token}"
    return f"{base}/{method}"


def api_host(base_url: str) -> str:
    return urlsplit(base_url.replace("{token}", "")).netloc or base_url


async def call(http: AiohttpRequest, settings: Settings, method: str, timeout: float) -> Answer:  # noqa: ASYNC109
    assert settings.telegram_bot_token is not None
    url = method_url(settings.telegram_api_base_url, settings.telegram_bot_token.get_secret_value(), method)
    try:
        status, raw = await http.do_request(
            url, "POST", read_timeout=timeout, connect_timeout=timeout, pool_timeout=timeout
        )
    except TimedOut:
        return Answer(unreachable=f"no answer within {timeout:g} s")
    except NetworkError as exc:
        return Answer(unreachable=exc.message)
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict) or "ok" not in body:
        return Answer(code=status, description=_reason(status), not_bot_api=True)
    if body["ok"]:
        return Answer(result=body.get("result"))
    return Answer(code=body.get("error_code", status), description=body.get("description"))


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def telegram_checks(settings: Settings, now: datetime, timeout: float) -> list[Check]:  # noqa: ASYNC109
    if settings.telegram_bot_token is None:
        reason = "TELEGRAM_BOT_TOKEN not set: the Telegram part is off"
        return [skipped(TOKEN, reason), skipped(WEBHOOK, reason)]
    http = AiohttpRequest(2, proxy=bot_api_proxy(settings))
    await http.initialize()
    try:
        me, info = await asyncio.gather(
            call(http, settings, "getMe", timeout), call(http, settings, "getWebhookInfo", timeout)
        )
    finally:
        await http.shutdown()
    token_check = _token_check(settings, me)
    if token_check.status != "ok":
        return [token_check, skipped(WEBHOOK, "not checked: the telegram token check failed")]
    return [token_check, _webhook_check(settings, info, now)]


def _token_check(settings: Settings, me: Answer) -> Check:
    proxy = bot_api_proxy(settings)
    host = api_host(settings.telegram_api_base_url) + describe(proxy)
    if me.unreachable:
        return failed(
            TOKEN,
            f"cannot reach the Bot API at {host}: {me.unreachable}",
            (
                "check that the proxy is running and HTTPS_PROXY (its address and password) and "
                "NO_PROXY are right"
                if proxy is not None
                else "check this machine's internet connection (HTTPS_PROXY if Telegram is reachable "
                "only through a proxy)"
            )
            + " and TELEGRAM_API_BASE_URL (leave it empty for api.telegram.org)",
        )
    if me.not_bot_api:
        return failed(
            TOKEN,
            f"{host} answered HTTP {me.code} {me.description or ''}, which is not the Bot API".replace(
                "  ", " "
            ),
            "check TELEGRAM_API_BASE_URL (leave it empty for https://api.telegram.org/bot)",
        )
    if me.code is not None:
        said = f"Telegram answered getMe with {me.code} {me.description or ''}".strip()
        if me.code == 401:
            return failed(TOKEN, f"{said}: the token is wrong or was revoked", TOKEN_FIX)
        if me.code == 404:
            return failed(
                TOKEN,
                f"{said}: the token is malformed, or TELEGRAM_API_BASE_URL is not the Bot API",
                TOKEN_FIX + "; check TELEGRAM_API_BASE_URL (leave it empty for api.telegram.org)",
            )
        if me.code == 429 or me.code >= 500:  # Telegram's side: says nothing about the token
            return failed(
                TOKEN, said, "Telegram is busy or has a problem: run the doctor again in a few minutes"
            )
        return failed(TOKEN, said, TOKEN_FIX)
    user = me.result if isinstance(me.result, dict) else {}
    name = f"@{user.get('username')}" if user.get("username") else str(user.get("first_name", "the bot"))
    return ok(TOKEN, f"{name} (id {user.get('id')}) via {host}")


def _webhook_check(settings: Settings, info: Answer, now: datetime) -> Check:
    if info.result is None or not isinstance(info.result, dict):
        said = info.unreachable or f"{info.code} {info.description or ''}".strip()
        return warning(WEBHOOK, f"getWebhookInfo failed: {said}", "run `retention-bot doctor` again")
    registered = str(info.result.get("url") or "")
    pending = int(info.result.get("pending_update_count") or 0)
    waiting = f"{pending} update{'' if pending == 1 else 's'} waiting"
    wanted = settings.telegram_webhook_url
    if not wanted:
        if registered:
            return warning(
                WEBHOOK,
                f"long polling is configured, but a webhook is set ({registered}): Telegram sends "
                f"updates there, and getUpdates is refused while it is ({waiting})",
                "`retention-bot run` removes a leftover webhook when it starts; if it comes back, another "
                "copy of the bot runs in webhook mode (another server, an old setup): stop it, or set "
                "TELEGRAM_WEBHOOK_URL here too",
            )
        return ok(WEBHOOK, f"long polling: no webhook set ({waiting})")
    unusable = _unusable_webhook_url(settings, wanted)
    if unusable:
        return failed(WEBHOOK, unusable, _reach_fix(settings, wanted))
    if not registered:
        return warning(
            WEBHOOK,
            f"no webhook registered yet for {wanted} ({waiting})",
            "start `retention-bot run`: it registers TELEGRAM_WEBHOOK_URL with Telegram",
        )
    if registered != wanted:
        return warning(
            WEBHOOK,
            f"Telegram delivers to {registered}, not to TELEGRAM_WEBHOOK_URL {wanted}",
            "`retention-bot run` registers TELEGRAM_WEBHOOK_URL when it starts; if the other URL comes "
            "back, another copy of the bot (another server, an old setup) is running: stop it",
        )
    error = info.result.get("last_error_message")
    if not error:
        return ok(WEBHOOK, f"registered: {wanted}; no delivery errors ({waiting})")
    when = _ago(info.result.get("last_error_date"), now)
    detail = f"Telegram cannot deliver to {wanted}: {error!r} ({when}; {waiting})"
    if pending == 0:  # an old error: what was waiting has been delivered since
        return warning(
            WEBHOOK,
            f"last delivery error {when}: {error!r}; nothing is waiting now",
            _reach_fix(settings, wanted),
        )
    return failed(WEBHOOK, detail, _reach_fix(settings, wanted))


def _unusable_webhook_url(settings: Settings, url: str) -> str | None:
    """What api.telegram.org refuses (a self-hosted Bot API server accepts http:// and any port)."""
    if api_host(settings.telegram_api_base_url) != OFFICIAL_HOST:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"TELEGRAM_WEBHOOK_URL {url} is not HTTPS: Telegram delivers only to https:// URLs"
    port = parts.port or 443
    if port not in WEBHOOK_PORTS:
        allowed = ", ".join(str(p) for p in WEBHOOK_PORTS)
        return f"TELEGRAM_WEBHOOK_URL {url} uses port {port}: Telegram delivers only to ports {allowed}"
    return None


def _reach_fix(settings: Settings, url: str) -> str:
    return (
        f"make sure {url} can be opened from the internet over HTTPS (ports 443, 80, 88 or 8443) and "
        f"that your web server passes it on to this machine's {settings.http_host}:{settings.http_port}, "
        "where `retention-bot run` must be running"
    )


def _ago(stamp: Any, now: datetime) -> str:
    if not isinstance(stamp, int | float):
        return "time unknown"
    minutes = max(int(now.timestamp() - stamp) // 60, 0)
    if minutes < 1:
        return "less than a minute ago"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago"
