"""Building the python-telegram-bot Application: Bot API address and transport (aiohttp, see
transport.py), rate limiter, per-chat ordered concurrency, our context type, and every feature
module's handlers in their order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, ExtBot

from bot.config import Settings
from bot.context import AppContext
from handlers.telegram import (
    faq,
    feedback,
    gate,
    help_command,
    onboarding,
    points,
    preferences,
    privacy,
    rewards,
    surveys,
)
from handlers.telegram.calls import ServiceCalls
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps
from handlers.telegram.outbox import Outbox
from handlers.telegram.processor import Observer, PerChatUpdateProcessor
from handlers.telegram.transport import AiohttpRequest, bot_api_proxy

ALLOWED_UPDATES: Final = ["message", "callback_query", "my_chat_member"]
FEATURES: Final = (
    gate,
    onboarding,
    points,
    rewards,
    surveys,
    faq,
    feedback,
    preferences,
    privacy,
    help_command,
)
"""Registration order matters for handlers that could both match: commands before free text."""
SEND_CONNECTIONS: Final = 256
"""Connections for sends (python-telegram-bot's own default); getUpdates has one of its own."""


@dataclass(frozen=True)
class TelegramOptions:
    messages_per_second: float = 28.0
    """Overall send rate (Telegram allows about 30/s; a little below leaves room for jitter). 0: no limit."""
    max_retries: int = 5
    """How often a send refused with 429 is retried after its retry_after (PTB's default, 0, drops it)."""
    concurrency: int = 8
    """Updates handled at once (of different chats; one chat's updates are always in order)."""
    tick_seconds: float | None = 60.0
    """How often campaigns, reminders and expiry are looked after; None switches that off."""
    poll_timeout: int = 10
    observe: Observer | None = None
    """Called with each update's handling time in seconds (benchmarks)."""


def file_base_url(api_base_url: str) -> str:
    """`https://host/bot` → `https://host/file/bot` (also for a `{token}` template)."""
    head, sep, tail = api_base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else api_base_url


def rate_limiter(options: TelegramOptions) -> AIORateLimiter:
    return AIORateLimiter(
        overall_max_rate=options.messages_per_second, overall_time_period=1, max_retries=options.max_retries
    )


def build_bot(settings: Settings, options: TelegramOptions = TelegramOptions()) -> ExtBot[Any]:
    """A bare Bot for one-off sends (the CLI): no handlers, no polling, the same address and limits."""
    return ExtBot(
        _token(settings),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
        rate_limiter=rate_limiter(options),
        request=AiohttpRequest(SEND_CONNECTIONS, proxy=bot_api_proxy(settings)),
        # Never used, but PTB would make an httpx one, which reads the environment's proxy itself
        # (and refuses a socks5:// one without an extra package).
        get_updates_request=AiohttpRequest(1, proxy=bot_api_proxy(settings)),
    )


def _token(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    return settings.telegram_bot_token.get_secret_value()


def build_application(
    ctx: AppContext, options: TelegramOptions = TelegramOptions()
) -> tuple[TelegramApp, TelegramDeps]:
    """The Application with all handlers registered (not yet initialized) and what they share. It
    has no Updater: the component polls with its own (handlers/telegram/polling.py) or takes
    webhook requests."""
    settings = ctx.settings
    counts = ctx.metrics.platform("telegram")
    proxy = bot_api_proxy(settings)
    builder = (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .rate_limiter(rate_limiter(options))
        .request(AiohttpRequest(SEND_CONNECTIONS, counts, proxy))
        .get_updates_request(AiohttpRequest(1, counts, proxy))
        .concurrent_updates(
            PerChatUpdateProcessor(options.concurrency, observe=options.observe, counts=counts)
        )
        .context_types(ContextTypes(context=ChatContext))
        .updater(None)
    )
    application: TelegramApp = builder.build()
    deps = TelegramDeps(ctx, Outbox(ctx, application.bot, ServiceCalls(ctx)))
    for feature in FEATURES:
        feature.register(application, deps)
    help_command.register_fallbacks(application, deps)
    return application, deps
