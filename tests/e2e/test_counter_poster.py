"""At the counter (SPEC §9): the poster from the CLI and `/crm qr`, the join link's /start, and the
bot's description and short description per language, each through the real app and sandboxes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.clock import ManualClock
from bot.context import AppContext
from bot.sandbox.telegram import SandboxServer, TelegramSandbox
from bot.services.customers import customer_for_chat
from handlers.telegram.component import TelegramComponent
from tests.e2e.telegram_harness import (  # noqa: F401
    BUSINESS,
    bot_context,
    fixture_tg_bot,
    fixture_tg_ctx,
    fixture_tg_db_bot,
    fixture_tg_db_ctx,
    fixture_tg_server,
    new_chat,
    running,
)
from tests.support.slack_world import slack_world

LINK = "https://t.me/shop_loyalty_bot?start=join"


def decoded(png: bytes) -> list[str]:
    """What a phone camera would read off the poster: every QR code's text."""
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def poster_cli(tmp_path: Path, *args: str, **env: str) -> Any:
    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", "BUSINESS_NAME": "Lotus Tea House"}
    return CliRunner().invoke(cli_app, ["poster", *args], env={**base, **env}, catch_exceptions=False)


def test_cli_writes_a_png_whose_qr_code_is_the_join_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)

    result = poster_cli(tmp_path, "--bot-username", "@shop_loyalty_bot")

    assert result.exit_code == 0, result.output
    assert LINK in result.output
    png = (tmp_path / "poster.png").read_bytes()  # the default --out
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1240, 1754)  # A4 portrait at 150 dpi
    assert decoded(png) == [LINK]


async def test_cli_asks_telegram_for_the_username_and_writes_an_a4_pdf(tmp_path: Path) -> None:
    telegram = TelegramSandbox(bot_username="shop_loyalty_bot")
    async with SandboxServer(telegram) as server:
        out = tmp_path / "counter.PDF"
        env = {"TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": server.bot_api_base_url}
        result = await _in_thread(poster_cli, tmp_path, "--out", str(out), **env)

    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert b"/MediaBox [ 0 0 595.2 841.92 ]" in pdf  # one A4 page (points)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--out", "poster.jpg", "--bot-username", "shop_loyalty_bot"], {}, "--out must end in .png or .pdf"),
        (["--out", "poster.png"], {}, "TELEGRAM_BOT_TOKEN is not set"),
        (["--bot-username", "no spaces please"], {}, "is not a Telegram username"),
        (["--out", "missing/dir/p.png", "--bot-username", "shop_loyalty_bot"], {}, "cannot write"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    result = poster_cli(tmp_path, *args, **env)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob("*.jpg"))


async def test_crm_qr_uploads_the_poster_png_to_the_channel(sqlite_url: str, clock: ManualClock) -> None:
    telegram = TelegramSandbox(bot_username="shop_loyalty_bot")
    async with SandboxServer(telegram) as server:
        options = {"telegram_bot_token": telegram.token, "telegram_api_base_url": server.bot_api_base_url}
        async with slack_world(sqlite_url, clock, business_name="Lotus Tea House", **options) as world:
            await world.crm("qr", user=world.alice)  # staff, not an admin

            assert (
                world.last_ephemeral(world.alice)["text"]
                == f"Here is the counter poster. Its QR code opens {LINK}"
            )
            [posted] = [m for m in world.driver.messages(world.channel) if m.get("files")]
            file = posted["files"][0]
            assert file["title"] == "Counter poster for Lotus Tea House: print it and put it by the till"
            assert decoded(world.driver.file_content(file["id"])) == [LINK]


async def test_crm_qr_goes_to_the_dm_outside_the_channel_and_says_when_telegram_is_unknown(
    sqlite_url: str, clock: ManualClock
) -> None:
    telegram = TelegramSandbox(bot_username="shop_loyalty_bot")
    async with SandboxServer(telegram) as server:
        options = {"telegram_bot_token": telegram.token, "telegram_api_base_url": server.bot_api_base_url}
        async with slack_world(sqlite_url, clock, **options) as world:
            lounge = world.driver.add_channel("lounge", members=[world.alice], bot_member=False)
            await world.crm("qr", channel=lounge, user=world.alice)
            assert world.last_ephemeral(world.alice)["text"].startswith("I'm not in this channel")
            dm = world.driver.dm_channel(world.alice)
            [posted] = [m for m in world.driver.messages(dm) if m.get("files")]
            assert decoded(world.driver.file_content(posted["files"][0]["id"])) == [LINK]

    async with slack_world(sqlite_url, clock) as world:  # no TELEGRAM_BOT_TOKEN
        await world.crm("qr")
        assert "the Telegram bot's name is not known" in world.last_ephemeral()["text"]
        assert [m for m in world.driver.messages(world.channel) if m.get("files")] == []
        await world.crm("qr please")
        assert world.last_ephemeral()["text"].startswith("Usage: `/crm qr`")


async def test_start_join_from_the_poster_welcomes_and_offers_the_phone_button(
    tg_server: SandboxServer, tg_db_bot: TelegramComponent, tg_db_ctx: AppContext
) -> None:
    ann = new_chat(tg_server.sandbox)
    reply = await ann.say("/start join")
    assert reply.text is not None and reply.text.startswith(f"Hi! Welcome to {BUSINESS}.")
    assert "please share your phone number" in reply.text
    assert "link" not in reply.text.lower()  # not "this link is not valid"
    assert reply.reply_markup is not None and reply.reply_markup["keyboard"][0][0]["request_contact"] is True
    await ann.join()
    assert customer_for_chat(tg_db_ctx.uow(), "telegram", str(ann.id)) is not None
    again = await ann.say("/start join")  # scanning again once a member: welcome back, no button
    assert again.text is not None and "Welcome back!" in again.text


async def test_the_bot_sets_its_descriptions_per_language_at_start(
    tg_server: SandboxServer, tg_bot: TelegramComponent
) -> None:
    sandbox = tg_server.sandbox
    assert sandbox.description("").startswith(f"Welcome to the {BUSINESS} loyalty club!")
    assert (
        sandbox.short_description("")
        == f"{BUSINESS} loyalty: points on every purchase, rewards and member offers."
    )
    assert sandbox.description("zh").startswith(f"欢迎加入 {BUSINESS} 会员俱乐部")  # Simplified by default
    assert sandbox.short_description("zh").startswith(f"{BUSINESS} 会员")
    for language in ("", "zh"):
        assert len(sandbox.description(language)) <= 512 and len(sandbox.short_description(language)) <= 120


async def test_a_long_shop_name_is_clipped_and_traditional_default_fills_zh(
    sqlite_url: str, clock: ManualClock, tg_server: SandboxServer
) -> None:
    long_name = "The Very Long Name Of A Neighbourhood Tea And Noodle House " * 3
    ctx = bot_context(sqlite_url, clock, tg_server, business_name=long_name, default_language="zh-Hant")
    try:
        async with running(ctx):
            short = tg_server.sandbox.short_description("")
            assert len(short) == 120 and short.endswith("…")
            assert tg_server.sandbox.description("zh").startswith("歡迎加入")
    finally:
        ctx.close()


async def test_a_description_telegram_refuses_does_not_stop_the_bot(
    sqlite_url: str, clock: ManualClock, tg_server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    tg_server.sandbox.fail_method("setMyShortDescription", 400, "Bad Request: BOT_ABOUT_INVALID")
    ctx = bot_context(sqlite_url, clock, tg_server)
    try:
        async with running(ctx):
            assert tg_server.sandbox.short_description("") == ""
            assert "could not set the bot's description" in caplog.text
            ann = new_chat(tg_server.sandbox)
            assert (await ann.say("/start")).text is not None  # the bot runs all the same
    finally:
        ctx.close()


async def test_sandbox_description_limits_are_telegrams(tg_server: SandboxServer) -> None:
    base = f"{tg_server.bot_api_base_url}{tg_server.sandbox.token}"
    async with httpx.AsyncClient() as http:
        ok = await http.post(f"{base}/setMyShortDescription", json={"short_description": "x" * 120})
        too_long = await http.post(f"{base}/setMyShortDescription", json={"short_description": "x" * 121})
        long_ok = await http.post(
            f"{base}/setMyDescription", json={"description": "d" * 512, "language_code": "zh"}
        )
        long_bad = await http.post(f"{base}/setMyDescription", json={"description": "d" * 513})
        got = await http.post(f"{base}/getMyDescription", json={"language_code": "zh"})
        cleared = await http.post(f"{base}/setMyShortDescription", json={"short_description": ""})
    assert ok.json() == {"ok": True, "result": True}
    assert too_long.status_code == 400 and too_long.json()["description"].startswith("Bad Request:")
    assert long_ok.json()["ok"] is True and long_bad.status_code == 400
    assert got.json()["result"] == {"description": "d" * 512}
    assert cleared.json()["ok"] is True and tg_server.sandbox.short_description("") == ""


async def _in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(fn, *args, **kwargs)
