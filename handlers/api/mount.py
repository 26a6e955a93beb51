"""The API's routes under /api/v1 on the one HTTP server (bot/app.py serves them in `run`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bot.context import AppContext
from bot.text.amounts import amount_locale
from handlers.api.endpoint import ApiError, Endpoint, Gate, error_response, route
from handlers.api.fields import Parsing
from handlers.api.openapi import openapi_document

PREFIX: Final = "/api/v1"


def api_routes(ctx: AppContext, endpoints: Sequence[Endpoint] | None = None) -> list[BaseRoute]:
    """The Mount of /api/v1: every endpoint, openapi.json (no key needed) and JSON 404/405s."""
    from handlers.api.routes import ENDPOINTS

    endpoints = list(ENDPOINTS if endpoints is None else endpoints)
    gate = Gate(ctx)
    settings = ctx.settings
    locale = amount_locale(settings.default_phone_region)

    def parsing() -> Parsing:
        return Parsing(settings.default_phone_region, locale, ctx.clock.now().astimezone(settings.tz).date())

    document = openapi_document(endpoints, PREFIX)

    async def openapi(_: Request) -> Response:
        return JSONResponse(document)

    async def unknown(request: Request) -> Response:
        return error_response(ApiError(404, f"no route {request.method} {request.url.path}"))

    routes: list[BaseRoute] = [
        Route("/openapi.json", openapi, methods=["GET"]),
        *(route(endpoint, gate, parsing) for endpoint in endpoints),
        Route("/{rest:path}", unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    return [Mount(PREFIX, routes=routes)]
