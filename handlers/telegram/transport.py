"""The Bot API over aiohttp instead of python-telegram-bot's default httpx.

Every update ends in at least one Bot API request, and on the default transport each request costs
about a millisecond of CPU in httpx/httpcore/anyio (measured in benchmarks/telegram.py: more than
half of the bot's time). aiohttp — already installed for Slack — parses HTTP in C and does the
same request in a fraction of that. PTB supports this through its `BaseRequest` interface; this is
an implementation of it (timeouts mapped as below, errors mapped to PTB's `TimedOut` and
`NetworkError` exactly as its httpx implementation does).

Every Bot API call passes through here, so this is where /metrics counts Telegram's side: messages
it accepted (the send* methods) and every refusal or failure, by kind (see `error_kind`).
"""

from __future__ import annotations

from typing import Final

import aiohttp
import yarl
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.config import Settings
from bot.metrics import NETWORK, RATE_LIMITED, PlatformMetrics
from bot.proxies import PROXY_ERRORS, Proxy, ProxyTimeoutError, connector

DEFAULT_TIMEOUT: Final = 5.0
"""Seconds, as python-telegram-bot's own default for connect, read and pool."""
MEDIA_TIMEOUT: Final = 20.0
"""Seconds to wait for the answer to an upload (PTB's media write timeout)."""

_KINDS: Final = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    409: "conflict",
    429: RATE_LIMITED,
}
_NOT_MESSAGES: Final = frozenset({"sendChatAction"})
"""send* methods that put no message in the chat."""


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's request interface on one aiohttp session.

    Timeouts: `connect_timeout` → connecting a socket, `read_timeout` → the longest silence while
    waiting for the answer, `pool_timeout` → waiting for a free connection. aiohttp has no write
    timeout; an upload is bounded by `read_timeout` (at least MEDIA_TIMEOUT) instead.
    """

    __slots__ = ("_counts", "_pool_size", "_proxy", "_proxy_headers", "_proxy_url", "_session", "_timeouts")

    def __init__(
        self, pool_size: int = 1, counts: PlatformMetrics | None = None, proxy: Proxy | None = None
    ) -> None:
        """`proxy`: the one for the Bot API's address (`bot_api_proxy`); None connects directly."""
        self._pool_size = pool_size
        self._counts = counts
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout] = {}
        self._proxy = proxy
        # A SOCKS proxy is the session's connector; an HTTP one is named to aiohttp on each request,
        # without its credentials, which go in a header instead (so no error message can quote them).
        http = proxy is not None and not proxy.socks
        self._proxy_url = yarl.URL(proxy.address) if http and proxy else None
        self._proxy_headers = proxy.authorization() if http and proxy else None

    @property
    def read_timeout(self) -> float:
        return DEFAULT_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=connector(self._proxy, limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                timeout=self._timeout(),
                trust_env=False,  # the proxy is Settings' (bot/proxies.py), not aiohttp's own reading
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read = _seconds(read_timeout)
        if files:
            read = None if read is None else max(read, MEDIA_TIMEOUT, _seconds(write_timeout) or 0.0)
        timeout = self._timeout(_seconds(connect_timeout), read, _seconds(pool_timeout))
        credentials = self._proxy_headers
        # aiohttp sends proxy_headers with the CONNECT of an https tunnel; a plain http request
        # carries the credentials itself.
        tunnel = url.startswith("https:")
        try:
            async with session.request(
                method,
                url,
                data=_body(request_data, files),
                timeout=timeout,
                proxy=self._proxy_url,
                proxy_headers=credentials if tunnel else None,
                headers=None if tunnel else credentials,
            ) as response:
                status, body = response.status, await response.read()
        except (TimeoutError, ProxyTimeoutError) as err:  # aiohttp's own timeout errors are TimeoutErrors too
            self._count_network()
            raise TimedOut(f"Timed out: {err.__class__.__name__}") from err
        except PROXY_ERRORS as err:  # a SOCKS proxy refused, or could not be reached
            self._count_network()
            raise NetworkError(f"{err.__class__.__name__}: {err}") from err
        except aiohttp.ClientError as err:
            self._count_network()
            # Some aiohttp errors quote the URL, and the URL holds the bot token.
            reason = str(err).replace(url, _without_token(url))
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {reason}") from err
        counts = self._counts
        if counts is not None:
            if status == 200:
                method = url.rpartition("/")[2]
                if method.startswith("send") and method not in _NOT_MESSAGES:
                    counts.message_sent()
            else:
                counts.error(error_kind(status, body))
        return status, body

    def _count_network(self) -> None:
        if self._counts is not None:
            self._counts.error(NETWORK)

    def _timeout(
        self,
        connect: float | None = DEFAULT_TIMEOUT,
        read: float | None = DEFAULT_TIMEOUT,
        pool: float | None = DEFAULT_TIMEOUT,
    ) -> aiohttp.ClientTimeout:
        key = (connect, read, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:  # a handful of combinations; building one per request costs
            timeout = aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)
            self._timeouts[key] = timeout
        return timeout


def error_kind(status: int, body: bytes) -> str:
    """What a refusal was: rate_limited (429), blocked (403 from a user who blocked the bot),
    forbidden (other 403s), bad_request, unauthorized, not_found, conflict, server_error."""
    if status == 403:
        return "blocked" if b"blocked by the user" in body else "forbidden"
    return _KINDS.get(status) or ("server_error" if status >= 500 else f"http_{status}")


def bot_api_proxy(settings: Settings) -> Proxy | None:
    """The proxy for TELEGRAM_API_BASE_URL (None: directly, as for a Bot API server on this machine)."""
    return settings.proxies.for_url(settings.telegram_api_base_url)


def _seconds(value: float | object | None) -> float | None:
    """A timeout argument: PTB's DEFAULT_NONE means this class's default."""
    if isinstance(value, int | float):
        return float(value)
    if value is None:
        return None
    return DEFAULT_TIMEOUT


def _without_token(url: str) -> str:
    """`https://host/bot<token>/sendMessage` → `https://host/bot…/sendMessage`."""
    head, sep, tail = url.rpartition("/bot")
    return f"{head}/bot…/{tail.rpartition('/')[2]}" if sep else url


def _body(request_data: RequestData | None, files: bool) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields, or a multipart form when files are uploaded (as PTB's httpx request sends them)."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in (request_data.multipart_data or {}).items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
