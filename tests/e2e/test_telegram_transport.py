"""The Bot API transport (aiohttp) against a real HTTP server on loopback: what python-telegram-bot
hands it arrives as Telegram expects it, and failures become PTB's TimedOut and NetworkError."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from prometheus_client import generate_latest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.config import Settings
from bot.metrics import Metrics
from handlers.telegram.transport import AiohttpRequest, bot_api_proxy

TOKEN = "123456:AAH-transport-test-token"
ME = {"id": 1, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}


def _upload(part: object) -> tuple[str, bytes]:
    assert isinstance(part, web.FileField)
    return part.filename, part.file.read()


class Recorder:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.delay = 0.0
        self.refusals: list[tuple[int, str]] = []
        """(HTTP status, description) for the next requests, in order."""

    async def dispatch(self, request: web.BaseRequest) -> web.Response:
        return await (self.refuse_tunnel(request) if request.method == "CONNECT" else self.handle(request))

    async def refuse_tunnel(self, request: web.BaseRequest) -> web.Response:
        """A proxy asked for an https tunnel: note who asked, and refuse."""
        self.seen.append(
            {"tunnel to": request.host, "proxy_auth": request.headers.get("Proxy-Authorization")}
        )
        return web.Response(status=502)

    async def handle(self, request: web.BaseRequest) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        entry: dict[str, Any] = {
            "path": request.path,
            "type": request.content_type,
            "host": request.host,
            "proxy_auth": request.headers.get("Proxy-Authorization"),
        }
        if request.content_type == "multipart/form-data":
            form = await request.post()
            entry["fields"] = {k: v if isinstance(v, str) else _upload(v) for k, v in form.items()}
        else:
            entry["fields"] = dict(await request.post())
        self.seen.append(entry)
        if self.refusals:
            status, description = self.refusals.pop(0)
            body = {"ok": False, "error_code": status, "description": description}
            if status == 429:
                body["parameters"] = {"retry_after": 1}
            return web.json_response(body, status=status)
        if request.path.endswith("/getMe"):
            return web.json_response({"ok": True, "result": ME})
        chat = {"id": 42, "type": "private", "first_name": "Ann"}
        message = {
            "message_id": len(self.seen),
            "date": 1_700_000_000,
            "chat": chat,
            "from": ME,
            "text": "ok",
        }
        return web.json_response({"ok": True, "result": message})


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Recorder]]:
    recorder = Recorder()
    runner = web.ServerRunner(web.Server(recorder.dispatch))  # every request, CONNECT's authority form too
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", recorder
    await runner.cleanup()


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(4)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_a_bot_on_this_transport_talks_to_the_api(server: tuple[str, Recorder]) -> None:
    base, recorder = server
    bot = Bot(TOKEN, base_url=f"{base}/bot", request=AiohttpRequest(2), get_updates_request=AiohttpRequest(1))
    async with bot:
        me = await bot.get_me()
    assert me.username == "shop_bot"
    assert recorder.seen[-1]["path"] == f"/bot{TOKEN}/getMe"


async def test_fields_go_as_a_form_and_files_as_multipart(server: tuple[str, Recorder]) -> None:
    base, recorder = server
    bot = Bot(TOKEN, base_url=f"{base}/bot", request=AiohttpRequest(2), get_updates_request=AiohttpRequest(1))
    async with bot:
        await bot.send_message(42, "Tom & Jerry 你好")
        assert recorder.seen[-1]["type"] == "application/x-www-form-urlencoded"
        assert recorder.seen[-1]["fields"] == {"chat_id": "42", "text": "Tom & Jerry 你好"}
        await bot.send_document(42, b'{"name": "Ann"}', filename="mydata.json")
    sent = recorder.seen[-1]
    assert sent["type"] == "multipart/form-data"
    assert sent["fields"]["chat_id"] == "42"
    assert any(v == ("mydata.json", b'{"name": "Ann"}') for v in sent["fields"].values())


async def test_a_silent_server_times_out(server: tuple[str, Recorder], transport: AiohttpRequest) -> None:
    base, recorder = server
    recorder.delay = 1.0
    with pytest.raises(TimedOut):
        await transport.do_request(f"{base}/bot{TOKEN}/getMe", "POST", read_timeout=0.2)


async def test_nobody_listening_is_a_network_error(transport: AiohttpRequest) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError) as caught:
        await transport.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    assert "Cannot connect" in str(caught.value)


async def test_an_error_quoting_the_url_leaves_the_token_out(transport: AiohttpRequest) -> None:
    with pytest.raises(NetworkError) as caught:  # aiohttp's InvalidURL quotes the whole URL
        await transport.do_request(f"http://127.0.0.1:99999/bot{TOKEN}/getMe", "POST")
    assert TOKEN not in str(caught.value) and "/bot…/getMe" in str(caught.value)


def proxied(base_url: str, pool: int = 1) -> AiohttpRequest:
    """The transport as the bot builds it: the proxy Settings name (here: the environment) for this
    Bot API address."""
    settings = Settings(_env_file=None, telegram_api_base_url=base_url)  # type: ignore[call-arg]
    return AiohttpRequest(pool, proxy=bot_api_proxy(settings))


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


async def test_the_proxy_named_in_the_environment_carries_the_requests(
    server: tuple[str, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, recorder = server  # the recorder stands in for the proxy: it answers whatever it is sent
    clear_proxies(monkeypatch)
    monkeypatch.setenv("http_proxy", f"http://shop:pw@{base.removeprefix('http://')}")
    bot = Bot(TOKEN, base_url="http://telegram.invalid/bot", request=proxied("http://telegram.invalid/bot"))
    async with bot:
        assert (await bot.get_me()).username == "shop_bot"
    credentials = "Basic " + base64.b64encode(b"shop:pw").decode()
    assert recorder.seen[-1]["host"] == "telegram.invalid"
    assert recorder.seen[-1]["proxy_auth"] == credentials

    monkeypatch.setenv("https_proxy", f"http://shop:pw@{base.removeprefix('http://')}")
    tunnel = Bot(
        TOKEN, base_url="https://telegram.invalid/bot", request=proxied("https://telegram.invalid/bot")
    )
    with pytest.raises(NetworkError):  # the stand-in proxy refuses the tunnel
        async with tunnel:
            pass
    assert recorder.seen[-1] == {"tunnel to": "telegram.invalid", "proxy_auth": credentials}

    monkeypatch.setenv("no_proxy", "telegram.invalid")
    direct = proxied("http://telegram.invalid/bot")
    await direct.initialize()
    try:
        with pytest.raises(NetworkError):  # not proxied: the name does not resolve
            await direct.do_request(f"http://telegram.invalid/bot{TOKEN}/getMe", "POST")
    finally:
        await direct.shutdown()


async def test_this_machine_is_reached_directly_whatever_proxy_is_set(
    server: tuple[str, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, recorder = server  # the sandbox of `make demo` on a machine with a company proxy
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("all_proxy", "socks5://proxy.invalid:1080")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    local = Settings(_env_file=None, telegram_api_base_url="http://localhost:8081/bot")  # type: ignore[call-arg]
    assert bot_api_proxy(local) is None
    url = f"{base}/bot"
    bot = Bot(TOKEN, base_url=url, request=proxied(url), get_updates_request=proxied(url))
    async with bot:
        assert (await bot.get_me()).username == "shop_bot"
    assert recorder.seen[-1]["host"].startswith("127.0.0.1:")


async def test_messages_sent_and_each_refusal_are_counted_by_kind(server: tuple[str, Recorder]) -> None:
    base, recorder = server
    metrics = Metrics()
    counts = metrics.platform("telegram")
    bot = Bot(TOKEN, base_url=f"{base}/bot", request=AiohttpRequest(2, counts))
    async with bot:  # getMe: not a message
        recorder.refusals = [
            (429, "Too Many Requests: retry after 1"),
            (403, "Forbidden: bot was blocked by the user"),
            (403, "Forbidden: user is deactivated"),
            (400, "Bad Request: chat not found"),
        ]
        for refused in (RetryAfter, Forbidden, Forbidden, BadRequest):
            with pytest.raises(refused):
                await bot.send_message(42, "hello")
        await bot.send_message(42, "hello")
        await bot.send_chat_action(42, "typing")  # not a message either
        await bot.send_document(42, b"{}", filename="mydata.json")
    missing = AiohttpRequest(1, counts)
    await missing.initialize()
    with pytest.raises(NetworkError):
        await missing.do_request(f"http://127.0.0.1:99999/bot{TOKEN}/sendMessage", "POST")
    await missing.shutdown()

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, {"platform": "telegram", **labels})

    assert value("retention_messages_sent_total") == 2
    for kind in ("rate_limited", "blocked", "forbidden", "bad_request", "network"):
        assert value("retention_platform_errors_total", kind=kind) == 1, kind
    assert TOKEN not in generate_latest(metrics.registry).decode()
