"""The HTTP API (/api/v1) served by the real Starlette app on loopback, with httpx as the till."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlmodel import func, select

from bot.context import AppContext
from bot.sandbox.slack.server import LoopbackServer
from bot.services.api_keys import create_api_key
from bot.web import build_web_app
from handlers.api import api_routes


@dataclass
class Api:
    ctx: AppContext
    client: httpx.AsyncClient
    key: str

    def as_key(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def post(self, path: str, body: Any, key: str | None = "") -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.as_key(self.key if key == "" else key))

    async def put(self, path: str, body: Any) -> httpx.Response:
        return await self.client.put(path, json=body, headers=self.as_key(self.key))

    async def get(self, path: str, key: str | None = "") -> httpx.Response:
        return await self.client.get(path, headers=self.as_key(self.key if key == "" else key))

    def new_key(self, name: str) -> str:
        return create_api_key(self.ctx.uow(), self.ctx.clock, name=name).key

    def count(self, table: type[Any]) -> int:
        with self.ctx.uow() as uow:
            return int(uow.session.exec(select(func.count()).select_from(table)).one())


@asynccontextmanager
async def serving(ctx: AppContext, extra_routes: list[Any] | None = None) -> AsyncIterator[Api]:
    key = create_api_key(ctx.uow(), ctx.clock, name="till-1").key
    app = build_web_app(ctx, [*api_routes(ctx), *(extra_routes or [])], {})
    async with LoopbackServer(app) as web, httpx.AsyncClient(base_url=web.url, timeout=30) as client:
        yield Api(ctx, client, key)
