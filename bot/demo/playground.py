"""The playground page at /playground: a Telegram-like phone and a Slack-like channel in one page.

The page talks only to the sandboxes' driver APIs, which this component relays unchanged:
/playground/telegram/X → the Telegram sandbox's /sandbox/X, /playground/slack/X → the Slack
sandbox's /sandbox/X (same origin for the page, nothing but the driver reachable). So what the
page shows is what the platforms hold, and what it does is what a person could do there.
The demo's own endpoints are under /playground/api: state (people, parts, clock), clock (advance
time), campaign (a survey campaign) and till (a sale posted to the real /api/v1/purchases).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.demo.controls import DemoControls
from bot.demo.till import TillRefused, sell
from bot.services.errors import DomainError

STATIC = Path(__file__).with_name("static")
_PASSED_HEADERS = ("content-type", "content-disposition")
_NO_CACHE = {"Cache-Control": "no-store"}


class PlaygroundComponent:
    """Serves the page and relays the driver APIs; stopping it releases the page's long polls."""

    name = "playground"

    def __init__(self, controls: DemoControls) -> None:
        self._controls = controls
        self._client: httpx.AsyncClient | None = None
        self._closing = asyncio.Event()
        platforms = controls.platforms
        self.routes: list[BaseRoute] = [
            Route("/playground", self._page),
            Mount("/playground/static", StaticFiles(directory=STATIC), name="playground-static"),
            Route("/playground/api/state", self._state),
            Route("/playground/api/clock", self._advance, methods=["POST"]),
            Route("/playground/api/campaign", self._campaign, methods=["POST"]),
            Route("/playground/api/till", self._till, methods=["POST"]),
            Route(
                "/playground/telegram/{path:path}",
                self._relay(platforms.telegram_url),
                methods=["GET", "POST"],
            ),
            Route("/playground/slack/{path:path}", self._relay(platforms.slack_url), methods=["GET", "POST"]),
        ]

    async def start(self) -> None:
        self._closing.clear()
        # trust_env=False: the sandboxes are on this machine; a company proxy in the environment
        # (HTTP_PROXY…, which httpx follows without exempting loopback) must not carry the relay.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(75.0, connect=5.0), trust_env=False)

    async def stop(self) -> None:
        self._closing.set()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _page(self, request: Request) -> Response:
        return FileResponse(STATIC / "playground.html", headers=_NO_CACHE)

    async def _state(self, request: Request) -> Response:
        return JSONResponse(self._controls.describe(), headers=_NO_CACHE)

    async def _advance(self, request: Request) -> Response:
        try:
            days = float((await _json(request)).get("days", 1))
        except (TypeError, ValueError):
            days = 0
        if not 0 < days <= 31:
            return JSONResponse({"error": "advance by 0 to 31 days"}, status_code=400)
        advanced = await self._controls.advance(timedelta(days=days))
        return JSONResponse(
            {
                "now": advanced.now.isoformat(),
                "offset_days": advanced.offset / timedelta(days=1),
                "jobs": [{"job": j, "period": p, "outcome": o} for j, p, o in advanced.jobs],
                "message": advanced.describe(),
            }
        )

    async def _campaign(self, request: Request) -> Response:
        """`retention-bot survey send --segment all` (or {"customer": ID}), as an operator would run it."""
        if self._controls.why_not("telegram"):
            return JSONResponse({"error": f"not available yet: {self._controls.why_not('telegram')}"}, 409)
        body = await _json(request)
        customer = body.get("customer")
        segment = None if customer else str(body.get("segment") or "all")
        try:
            message = await self._controls.start_campaign(
                segment=segment, customer=customer and str(customer)
            )
        except DomainError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"message": message})

    async def _till(self, request: Request) -> Response:
        """{"customer": TELEGRAM_ID}: sell SALE_AMOUNT to that playground customer at the demo's till."""
        key, client = self._controls.till_key, self._client
        if key is None or client is None:
            return JSONResponse({"error": "the demo's till has no API key in this run"}, status_code=409)
        customer = self._controls.customer((await _json(request)).get("customer"))
        if customer is None:
            return JSONResponse({"error": "pick one of the playground's customers"}, status_code=400)
        try:
            sale = await sell(client, self._controls.api_url(), key, customer)
        except TillRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=502)
        return JSONResponse({"message": sale.describe(), "purchase": sale.body})

    def _relay(self, base_url: str) -> Callable[[Request], Awaitable[Response]]:
        async def relay(request: Request) -> Response:
            client = self._client
            if client is None or self._closing.is_set():
                return JSONResponse({"error": "the demo is stopping"}, status_code=503)
            forwarded = client.build_request(
                request.method,
                f"{base_url}/sandbox/{request.path_params['path']}",
                params=str(request.query_params),
                content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k in _PASSED_HEADERS},
            )
            sending = asyncio.ensure_future(client.send(forwarded))
            closing = asyncio.ensure_future(self._closing.wait())
            await asyncio.wait({sending, closing}, return_when=asyncio.FIRST_COMPLETED)
            closing.cancel()
            if not sending.done():
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                    await sending
                return JSONResponse({"error": "the demo is stopping"}, status_code=503)
            try:
                answer = sending.result()
            except httpx.HTTPError as exc:
                return JSONResponse({"error": f"sandbox unreachable: {exc}"}, status_code=502)
            headers = {k: v for k, v in answer.headers.items() if k in _PASSED_HEADERS} | _NO_CACHE
            return Response(answer.content, status_code=answer.status_code, headers=headers)

        return relay


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
