"""Request bodies over a limit are refused with 413 before they are read whole (SPEC §7).

An ASGI middleware around the whole HTTP app, so every route is covered: a Content-Length over
the limit is answered at once, before any of the body is read; a body without one (chunked) is
read up to the limit and cut off as soon as it passes it. The app sees none of a refused body.

The 413 goes out at once, then the connection closes. In between, what the client is still
sending is read and thrown away, up to LINGER_BYTES or LINGER_SECONDS (nginx's "lingering
close"): an ordinary client (httpx, requests) sends its whole body before it reads the answer,
and closing a socket with unread data makes the kernel send a reset that destroys the 413 on its
way. A client that asked `Expect: 100-continue` has sent nothing and gets no linger.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 256 * 1024
"""Slack's payloads and Telegram's updates are a few KB; 256 KB leaves room for a modal's state."""
LINGER_BYTES: Final = 1024 * 1024
"""At most this much more of a refused body is read (and dropped) so the client can read the 413."""
LINGER_SECONDS: Final = 2.0
JSON_ERRORS_UNDER: Final = "/api/"
"""Paths whose 413 is a JSON error body, like every other error of the HTTP API."""


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(scope, receive, send, f"Content-Length {declared}")
                return
            await self.app(scope, receive, send)  # the server never passes on more than declared
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before the body ended: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, f"over {self.max_bytes} bytes without a length")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, what: str) -> None:
        client = scope.get("client")
        log.warning(
            "refused a request body over %d bytes (%s) to %s from %s",
            self.max_bytes,
            what,
            scope.get("path"),
            client[0] if client else "?",
        )
        message = f"request body too large: the limit is {self.max_bytes // 1024} KB"
        if str(scope.get("path", "")).startswith(JSON_ERRORS_UNDER):  # the API answers errors in JSON
            body, content_type = json.dumps({"error": message}).encode(), b"application/json"
        else:
            body, content_type = (
                f"{message[0].upper()}{message[1:]}.\n".encode(),
                b"text/plain; charset=utf-8",
            )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if (b"expect", b"100-continue") not in scope["headers"]:
            await _linger(receive)
        await send({"type": "http.response.body", "body": b"", "more_body": False})  # then closes


async def _linger(receive: Receive) -> None:
    """Read and drop what the client still sends, within the linger budget."""
    dropped = 0
    try:
        async with asyncio.timeout(LINGER_SECONDS):
            while dropped <= LINGER_BYTES:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                dropped += len(message.get("body", b""))
    except TimeoutError:
        return


def _content_length(scope: Scope) -> int | None:
    """The declared body length, if any (the server has already refused a malformed one)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over the whole body once, then listens to the real one (disconnect)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
