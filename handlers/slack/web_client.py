"""The one way this code makes a Slack Web API client: 429s waited out and retried, and /metrics
told about every answer.

Bolt makes a fresh `AsyncWebClient` for each request it dispatches (the `client` a listener gets),
copying only the app client's token, address, session and retry handlers, so a subclass that
overrode `api_call` would count nothing a listener sends. The retry handlers are the hook every
copy keeps: slack-sdk asks them about each response and each failed attempt (one HTTP exchange
each, retries included), so the counting is a retry handler that never retries.
"""

from __future__ import annotations

import re
from typing import Final

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.metrics import NETWORK, RATE_LIMITED, PlatformMetrics

RATE_LIMIT_RETRIES: Final = 5
"""429s waited out (each for its Retry-After) before the call fails: a rate limit delays a post,
it does not drop it (SPEC §7)."""
MESSAGE_METHODS: Final = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "files.completeUploadExternal", "files.upload"}
)
"""Calls that put a message (or a file, which Slack shows as one) in front of people."""
_ERROR_CODE = re.compile(r"[a-z0-9_]{1,64}")


class CountingHandler(AsyncRetryHandler):
    """Counts what Slack answered: accepted messages, and refusals by error code (429s as
    rate_limited, also those a later handler waits out and retries). Never asks for a retry."""

    def __init__(self, counts: PlatformMetrics) -> None:
        super().__init__(max_retry_count=0)
        self._counts = counts

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is not None or response is None:
            self._counts.error(
                NETWORK if isinstance(error, aiohttp.ClientError | TimeoutError) else "bad_response"
            )
            return False
        body = response.body if isinstance(response.body, dict) else {}
        if response.status_code == 429:
            self._counts.error(RATE_LIMITED)
        elif response.status_code != 200:
            self._counts.error(f"http_{response.status_code}")
        elif body.get("ok") is False:
            code = str(body.get("error", ""))
            self._counts.error(code if _ERROR_CODE.fullmatch(code) else "unknown")
        elif body.get("ok") is True and _method(request.url) in MESSAGE_METHODS:
            self._counts.message_sent()
        return False


def _method(url: str) -> str:
    """`https://slack.com/api/chat.postMessage?x=1` → `chat.postMessage`."""
    return url.split("?", 1)[0].rstrip("/").rpartition("/")[2]


def slack_client(settings: Settings, counts: PlatformMetrics | None = None) -> AsyncWebClient:
    """A client for SLACK_BOT_TOKEN at SLACK_API_BASE_URL (Bolt's app client and the scheduler's and
    CLI's own), waiting out 429s; with `counts`, /metrics counts what it sends."""
    assert settings.slack_bot_token is not None
    handlers: list[AsyncRetryHandler] = [] if counts is None else [CountingHandler(counts)]
    handlers += [
        AsyncConnectionErrorRetryHandler(),  # slack-sdk's default
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_base_url,
        retry_handlers=handlers,
    )
