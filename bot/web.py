"""The one HTTP server: /healthz, /metrics, and the routes the parts add (/slack/events, the Telegram
webhook, …), all behind the request-body limit of bot/body_limit.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn
from prometheus_client.exposition import choose_encoder
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.body_limit import BodyLimit
from bot.context import AppContext

log = logging.getLogger(__name__)


def build_web_app(ctx: AppContext, routes: Sequence[BaseRoute], status: dict[str, str]) -> Starlette:
    """A Starlette app with `/healthz` and `/metrics` plus the given routes; `status` is each part's
    live state."""
    registry = ctx.metrics.registry

    async def healthz(_: Request) -> JSONResponse:
        try:
            await asyncio.to_thread(_ping, ctx)
            database = "ok"
        except Exception as exc:  # health must answer, whatever the database does
            log.warning("health check: database unreachable: %s", exc)
            database = "unreachable"
        healthy = database == "ok" and all(state in ("running", "off") for state in status.values())
        body: dict[str, Any] = {"status": "ok" if healthy else "degraded", "database": database, **status}
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def metrics(request: Request) -> Response:
        # Not prometheus_client's make_asgi_app(): it renders on the event loop, and rendering
        # reads the database (the backlog gauges); here that happens in a worker thread.
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        body = await asyncio.to_thread(encode, registry)
        return Response(body, headers={"Content-Type": content_type})

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/metrics", metrics), *routes],
        middleware=[Middleware(BodyLimit)],  # every route: bodies over 256 KB get 413 (SPEC §7)
    )


def _ping(ctx: AppContext) -> None:
    with ctx.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runner owns SIGINT/SIGTERM and stops every part."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False, http="httptools"
    )
    return _Server(config)
