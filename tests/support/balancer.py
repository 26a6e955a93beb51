"""A load balancer for end-to-end tests: several bot instances behind one URL, as §7 deploys them
(Telegram webhook mode, Slack HTTP mode, one database). Each request goes to the next instance in
the rotation the test sets."""

from __future__ import annotations

from collections import Counter
from itertools import cycle

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOP_BY_HOP = frozenset({"host", "content-length", "connection", "transfer-encoding"})


class Balancer:
    def __init__(self) -> None:
        self._turns = cycle([""])
        self.forwarded: Counter[str] = Counter()
        """Requests sent on, by backend: that every instance took a share."""
        self.app = Starlette(routes=[Route("/{path:path}", self._forward, methods=["GET", "POST"])])

    def rotate(self, *backends: str) -> None:
        """Send the next requests to these base URLs in turn, starting with the first."""
        self._turns = cycle(backends)

    async def _forward(self, request: Request) -> Response:
        backend = next(self._turns)
        self.forwarded[backend] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with httpx.AsyncClient(timeout=30.0) as http:
            answer = await http.request(
                request.method, backend + request.url.path, content=await request.body(), headers=headers
            )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(answer.content, answer.status_code, headers=kept)
