"""The one way this code makes a Slack Web API client: 429s waited out and retried, /metrics told
about every answer, and the proxy bot/proxies.py decides for SLACK_API_BASE_URL.

Bolt makes a fresh `AsyncWebClient` for each request it dispatches (the `client` a listener gets),
copying only the app client's token, address, session and retry handlers, so a subclass that
overrode `api_call` would count nothing a listener sends. The retry handlers are the hook every
copy keeps: slack-sdk asks them about each response and each failed attempt (one HTTP exchange
each, retries included), so the counting is a retry handler that never retries.

Proxies: slack-sdk takes an HTTP proxy as `proxy=` (one URL string) and knows no SOCKS; a SOCKS proxy
is the connector of the client's own aiohttp `session=` instead. When a client is made without a
proxy, slack-sdk looks HTTPS_PROXY up in the environment itself and ignores NO_PROXY, so the factory
sets `client.proxy` after making it; Bolt makes its per-request copies the same way, which
`keep_proxy` undoes before any listener (or Bolt's own auth.test) runs. Bolt's `respond()` makes a
webhook client of its own with neither our proxy nor a session: `Respond` takes its place.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import aiohttp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.config import Settings
from bot.metrics import NETWORK, RATE_LIMITED, PlatformMetrics
from bot.proxies import PROXY_ERRORS, Proxy, connector

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
            network = isinstance(error, aiohttp.ClientError | TimeoutError | PROXY_ERRORS)
            self._counts.error(NETWORK if network else "bad_response")
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


def slack_proxy(settings: Settings) -> Proxy | None:
    """The proxy for SLACK_API_BASE_URL (Web API calls, and Socket Mode's connection, which Slack
    opens under the same domain); None connects directly."""
    return settings.proxies.for_url(settings.slack_api_base_url)


def http_proxy_url(proxy: Proxy | None) -> str | None:
    """What slack-sdk's `proxy=` takes: an HTTP proxy's URL (credentials included), else None."""
    return proxy.url if proxy is not None and not proxy.socks else None


def slack_client(
    settings: Settings,
    counts: PlatformMetrics | None = None,
    *,
    timeout: int = 30,
    retries: bool = True,
) -> AsyncWebClient:
    """A client for SLACK_BOT_TOKEN at SLACK_API_BASE_URL (Bolt's app client and the scheduler's,
    CLI's and doctor's own), through the proxy of the settings, waiting out 429s (`retries=False`:
    one try); with `counts`, /metrics counts what it sends. Through a SOCKS proxy it has a session:
    make it inside the event loop and `close_client` it when done."""
    assert settings.slack_bot_token is not None
    handlers: list[AsyncRetryHandler] = [] if counts is None else [CountingHandler(counts)]
    if retries:
        handlers += [
            AsyncConnectionErrorRetryHandler(),  # slack-sdk's default
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ]
    proxy = slack_proxy(settings)
    session = None
    if proxy is not None and proxy.socks:
        session = aiohttp.ClientSession(
            connector=connector(proxy), timeout=aiohttp.ClientTimeout(total=timeout), trust_env=False
        )
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_base_url,
        timeout=timeout,
        retry_handlers=handlers,
        session=session,
    )
    client.proxy = http_proxy_url(proxy)  # not the environment's HTTPS_PROXY, which slack-sdk put there
    return client


async def close_client(client: AsyncWebClient) -> None:
    """Closes the session a client through a SOCKS proxy has (the others open one per call)."""
    if client.session is not None and not client.session.closed:
        await client.session.close()


def keep_proxy(app_client: AsyncWebClient) -> Callable[..., Awaitable[None]]:
    """A Bolt `before_authorize` middleware: the per-request client and `respond()` go the way of the
    app's client (its proxy, or none) rather than the environment's HTTPS_PROXY."""

    async def middleware(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
        context.client.proxy = app_client.proxy
        context.client.session = app_client.session
        if context.response_url is not None:
            context["respond"] = Respond(context.response_url, app_client)
        await next_()

    return middleware


class Respond(AsyncRespond):
    """Bolt's `respond()` (a message to a response_url) through the app client's proxy or session."""

    def __init__(self, response_url: str, client: AsyncWebClient) -> None:
        super().__init__(response_url=response_url, proxy=client.proxy, ssl=client.ssl)
        self._client = client

    async def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        assert self.response_url is not None
        hook = AsyncWebhookClient(
            url=self.response_url, ssl=self.ssl, session=self._client.session, timeout=self._client.timeout
        )
        hook.proxy = self._client.proxy  # after __init__, as for the Web API client
        if isinstance(text, dict):
            return await hook.send_dict(_build_message(**text))
        message = _build_message(
            text=text,
            blocks=blocks,
            attachments=attachments,
            response_type=response_type,
            replace_original=replace_original,
            delete_original=delete_original,
            unfurl_links=unfurl_links,
            unfurl_media=unfurl_media,
            thread_ts=thread_ts,
            metadata=metadata,
        )
        return await hook.send_dict(message)
