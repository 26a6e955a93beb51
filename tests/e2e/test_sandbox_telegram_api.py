"""The Telegram sandbox's Bot API and driver endpoints over raw HTTP: shapes, errors, long polling, limits."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(TelegramSandbox()) as running:
        yield running


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


async def call(http: httpx.AsyncClient, server: SandboxServer, method: str, **params: Any) -> dict[str, Any]:
    """A Bot API call as PTB makes it: form fields, non-strings JSON-encoded."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = await http.post(f"/bot{server.sandbox.token}/{method}", data=data)
    body: dict[str, Any] = response.json()
    assert response.status_code == body.get("error_code", 200)
    return body


async def test_long_poll_waits_for_a_pushed_update_and_offset_confirms_it(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    sandbox = server.sandbox
    ann = sandbox.create_user("Ann")
    started = time.monotonic()
    polling = asyncio.create_task(call(http, server, "getUpdates", timeout=3))
    await sandbox.wait_for(lambda: True if sandbox.state.poll_generation else None, 2)
    sandbox.push_text(ann.id, "😀 /points now")
    first = (await polling)["result"]
    assert time.monotonic() - started < 1.5
    assert first[0]["message"]["entities"] == [{"type": "bot_command", "offset": 3, "length": 7}]
    sandbox.push_text(ann.id, "second")
    again = (await call(http, server, "getUpdates", offset=first[0]["update_id"] + 1))["result"]
    assert [u["message"]["text"] for u in again] == ["second"]
    assert [u["update_id"] for u in again] == [first[0]["update_id"] + 1]
    assert (await call(http, server, "getUpdates", offset=-1))["result"] == again
    assert (await call(http, server, "getUpdates", offset=again[0]["update_id"] + 1))["result"] == []
    sandbox.reset()
    bob = sandbox.create_user("Bob")
    sandbox.push_text(bob.id, "after reset")
    assert sandbox.pending_updates()[0]["update_id"] > again[0]["update_id"]


@pytest.mark.parametrize(
    ("params", "code", "description"),
    [
        ({"text": ""}, 400, "Bad Request: message text is empty"),
        ({"text": " \n "}, 400, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, 400, "Bad Request: message is too long"),
        ({"text": "<b>hi</b>", "parse_mode": "Html5"}, 400, "Bad Request: unsupported parse_mode"),
        (
            {"text": "Score: 9.5", "parse_mode": "MarkdownV2"},
            400,
            "Bad Request: can't parse entities: "
            "Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
        (
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "é" * 33}]]}},
            400,
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "plain"}]]}},
            400,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"text": "hi", "reply_markup": "{not json"},
            400,
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        ({"text": "hi", "chat_id": 999}, 400, "Bad Request: chat not found"),
        ({"text": "hi", "chat_id": ""}, 400, "Bad Request: chat_id is empty"),
    ],
)
async def test_send_message_is_refused_with_the_real_api_wording(
    server: SandboxServer, http: httpx.AsyncClient, params: dict[str, Any], code: int, description: str
) -> None:
    chat = server.sandbox.create_user("Ann").id
    body = await call(http, server, "sendMessage", **({"chat_id": chat} | params))
    assert body == {"ok": False, "error_code": code, "description": description}
    assert server.sandbox.bot_messages(chat) == []


async def test_limits_count_characters_after_entity_parsing(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    chat = server.sandbox.create_user("Ann").id
    body = await call(
        http, server, "sendMessage", chat_id=chat, text=f"<b>{'x' * 4096}</b>", parse_mode="HTML"
    )
    assert body["ok"] and len(body["result"]["text"]) == 4096


async def test_unknown_method_wrong_token_and_unstarted_chat_answer_like_telegram(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    sandbox = server.sandbox
    shy = sandbox.create_user("Shy", started=False).id
    assert (await call(http, server, "sendSticker", chat_id=shy)) == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found",
    }
    wrong = await http.post("/bot1:wrong/getMe")
    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    refused = await call(http, server, "sendMessage", chat_id=shy, text="Hi!")
    assert refused["description"] == "Forbidden: bot can't initiate conversation with a user"
    assert (await call(http, server, "GETME"))["result"][
        "is_bot"
    ] is True  # method names are case-insensitive


async def test_edits_apply_in_place_and_an_identical_edit_is_not_modified(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    chat = server.sandbox.create_user("Ann").id
    keyboard = {"inline_keyboard": [[{"text": "0", "callback_data": "nps:0"}]]}
    sent = (await call(http, server, "sendMessage", chat_id=chat, text="How likely…", reply_markup=keyboard))[
        "result"
    ]
    same = await call(
        http,
        server,
        "editMessageText",
        chat_id=chat,
        message_id=sent["message_id"],
        text="How likely…",
        reply_markup=keyboard,
    )
    assert same["description"].startswith(
        "Bad Request: message is not modified: specified new message content"
    )
    edited = await call(http, server, "editMessageReplyMarkup", chat_id=chat, message_id=sent["message_id"])
    assert "reply_markup" not in edited["result"] and edited["result"]["edit_date"] >= sent["date"]
    missing = await call(http, server, "editMessageText", chat_id=chat, message_id=99, text="x")
    assert missing["description"] == "Bad Request: message to edit not found"
    view = server.sandbox.bot_messages(chat)[0]
    assert (view.text, view.reply_markup, view.edit_count) == ("How likely…", None, 1)


async def test_callback_queries_expire_after_fifteen_seconds() -> None:
    now = [1000.0]
    sandbox = TelegramSandbox(monotonic=lambda: now[0])
    async with SandboxServer(sandbox) as own, httpx.AsyncClient(base_url=own.url) as client:
        chat = sandbox.create_user("Ann").id
        keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
        await call(client, own, "sendMessage", chat_id=chat, text="Sure?", reply_markup=keyboard)
        late = sandbox.tap_button(chat, data="yes")
        now[0] += 15.5
        expired = await call(client, own, "answerCallbackQuery", callback_query_id=late)
        assert expired["description"] == (
            "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
        update = (await call(client, own, "getUpdates"))["result"][-1]["callback_query"]
        assert update["data"] == "yes" and update["message"]["reply_markup"] == keyboard


async def test_overall_flood_limit_spans_chats_and_is_counted(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    sandbox = server.sandbox
    sandbox.set_flood_limits(FloodLimits(overall_per_second=2, overall_burst=2, per_chat_per_second=None))
    chats = [sandbox.create_user(name).id for name in ("A", "B", "C")]
    bodies = [await call(http, server, "sendMessage", chat_id=chat, text="Offer") for chat in chats]
    assert [b["ok"] for b in bodies] == [True, True, False]
    assert bodies[2] == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert sandbox.stats.flood_429 == 1 and sandbox.stats.flood_429_by_chat[chats[2]] == 1


async def test_commands_are_stored_per_scope_and_language(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    sandbox = server.sandbox
    chat = sandbox.create_user("Li", language_code="zh-hans").id
    english = [{"command": "points", "description": "Your points"}]
    chinese = [{"command": "points", "description": "我的积分"}]
    assert (await call(http, server, "setMyCommands", commands=english))["result"] is True
    await call(http, server, "setMyCommands", commands=chinese, language_code="zh")
    assert (await call(http, server, "getMyCommands", language_code="zh"))["result"] == chinese
    assert (await call(http, server, "getMyCommands", scope={"type": "all_private_chats"}))["result"] == []
    assert sandbox.menu_commands(chat) == chinese
    bad = await call(http, server, "setMyCommands", commands=[{"command": "Points", "description": "x"}])
    assert bad["description"] == "Bad Request: BOT_COMMAND_INVALID"


async def test_driver_endpoints_let_the_playground_play_a_customer(
    server: SandboxServer, http: httpx.AsyncClient
) -> None:
    user = (
        await http.post("/sandbox/users", json={"first_name": "Mia", "phone_number": "+6591234567"})
    ).json()
    chat = user["id"]
    version = (await http.get("/sandbox/stats")).json()["version"]
    keyboard = {
        "keyboard": [[{"text": "Share my phone", "request_contact": True}]],
        "one_time_keyboard": True,
    }
    poll = asyncio.create_task(http.get("/sandbox/poll", params={"since": version, "timeout": 5}))
    await call(http, server, "sendMessage", chat_id=chat, text="Share your number?", reply_markup=keyboard)
    assert (await poll).json()["version"] > version
    state = (await http.get(f"/sandbox/chats/{chat}/transcript")).json()
    assert state["reply_keyboard"]["keyboard"][0][0]["request_contact"] is True
    shared = (await http.post(f"/sandbox/chats/{chat}/reply-button", json={"text": "Share my phone"})).json()
    assert shared["contact"] == {"phone_number": "+6591234567", "first_name": "Mia", "user_id": chat}
    assert (await http.get(f"/sandbox/chats/{chat}/transcript")).json()["reply_keyboard"] is None
    missing = await http.post(f"/sandbox/chats/{chat}/callback", json={"data": "nope"})
    assert missing.status_code == 400 and "no bot message with inline buttons" in missing.json()["error"]
    pushed = (await http.post(f"/sandbox/chats/{chat}/messages", json={"text": "/start ABC"})).json()
    assert pushed["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


def test_threaded_server_serves_sync_callers_and_stops_without_waiting_for_long_polls() -> None:
    sandbox = TelegramSandbox()
    outcome: list[Any] = []

    def long_poll(url: str) -> None:
        with httpx.Client(timeout=10) as client:
            outcome.append(client.post(url, data={"timeout": "30"}).json())

    with SandboxServer(sandbox) as server:
        chat = sandbox.create_user("Ann").id
        reply = httpx.post(
            f"{server.bot_api_base_url}{sandbox.token}/sendMessage", data={"chat_id": chat, "text": "Hi"}
        )
        assert reply.json()["result"]["text"] == "Hi"
        assert sandbox.next_bot_message_blocking(chat, timeout=1).text == "Hi"
        poller = threading.Thread(
            target=long_poll, args=(f"{server.bot_api_base_url}{sandbox.token}/getUpdates",)
        )
        poller.start()
        sandbox.state.feed.wait_for_blocking(lambda: True if sandbox.state.poll_generation else None, 2)
        started = time.monotonic()
    poller.join(5)
    assert time.monotonic() - started < 2
    assert outcome == [{"ok": True, "result": []}]


async def test_a_server_in_a_thread_wakes_waiters_on_the_test_event_loop() -> None:
    sandbox = TelegramSandbox()
    with SandboxServer(sandbox) as server:
        chat = sandbox.create_user("Ann").id
        waiting = asyncio.create_task(sandbox.next_bot_message(chat, timeout=2))
        await asyncio.sleep(0)  # let the waiter register before the bot sends
        async with httpx.AsyncClient(base_url=server.url) as client:
            await call(client, server, "sendMessage", chat_id=chat, text="Hi from the server thread")
        assert (await waiting).text == "Hi from the server thread"
