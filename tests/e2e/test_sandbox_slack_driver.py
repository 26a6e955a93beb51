"""The sandbox driver: response_url rules, modal handling, the /sandbox/ HTTP API and the threaded runner."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.slack import LoopbackServer, SandboxError, SlackSandbox


@dataclass
class RecordingApp:
    """A stand-in app that keeps what Slack sent and answers with a scripted ack."""

    received: list[dict[str, Any]] = field(default_factory=list)
    ack: Any = None  # JSON to answer with; None means an empty 200
    delay: float = 0.0

    async def endpoint(self, request: Request) -> Response:
        body = (await request.body()).decode()
        fields = {k: v[0] for k, v in parse_qs(body).items()}
        self.received.append(
            json.loads(fields["payload"]) if "payload" in fields else fields or json.loads(body)
        )
        await asyncio.sleep(self.delay)
        return JSONResponse(self.ack) if self.ack is not None else Response()


@dataclass
class Setup:
    sandbox: SlackSandbox
    app: RecordingApp
    channel: str
    ann: str


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    recorder = RecordingApp()
    async with (
        SlackSandbox(ack_timeout=0.5) as sandbox,
        LoopbackServer(
            Starlette(routes=[Route("/slack/events", recorder.endpoint, methods=["POST"])])
        ) as web,
    ):
        sandbox.driver.connect_app(f"{web.url}/slack/events")
        ann = sandbox.driver.add_user("ann")
        yield Setup(sandbox, recorder, sandbox.driver.add_channel("ops", members=[ann]), ann)


async def test_response_url_works_five_times_then_answers_used_url(setup: Setup) -> None:
    await setup.sandbox.driver.send_slash_command("/crm", "atrisk", user=setup.ann, channel=setup.channel)
    url = setup.app.received[0]["response_url"]

    async with httpx.AsyncClient() as http:
        answers = [(await http.post(url, json={"text": f"part {i}"})).json() for i in range(6)]

    assert answers[:5] == [{"ok": True}] * 5
    assert answers[5] == {"ok": False, "error": "used_url"}
    assert len(setup.sandbox.driver.ephemerals(user=setup.ann)) == 5


async def test_response_url_expires_after_thirty_minutes(setup: Setup) -> None:
    await setup.sandbox.driver.send_slash_command("/crm", "nps", user=setup.ann, channel=setup.channel)
    setup.sandbox.driver.advance_clock(30 * 60 + 1)

    async with httpx.AsyncClient() as http:
        answer = (await http.post(setup.app.received[0]["response_url"], json={"text": "late"})).json()

    assert answer["error"] == "expired_url"


async def test_in_channel_response_then_delete_original_removes_it(setup: Setup) -> None:
    await setup.sandbox.driver.send_slash_command("/crm", "digest", user=setup.ann, channel=setup.channel)
    url = setup.app.received[0]["response_url"]

    async with httpx.AsyncClient() as http:
        await http.post(url, json={"response_type": "in_channel", "text": "Digest"})
        assert [m["text"] for m in setup.sandbox.driver.messages(setup.channel)] == ["Digest"]
        await http.post(url, json={"delete_original": True})

    assert setup.sandbox.driver.messages(setup.channel) == []


async def test_slow_ack_is_reported_as_operation_timeout(setup: Setup) -> None:
    setup.app.delay = 1.0

    response = await setup.sandbox.driver.send_slash_command(
        "/crm", "help", user=setup.ann, channel=setup.channel
    )

    assert response.timed_out
    assert response.error == "operation_timeout"


async def test_users_cannot_act_in_channels_they_are_not_in(setup: Setup) -> None:
    other = setup.sandbox.driver.add_channel("elsewhere")

    with pytest.raises(SandboxError, match="not a member"):
        await setup.sandbox.driver.send_slash_command("/crm", "help", user=setup.ann, channel=other)


MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "reply",
    "title": {"type": "plain_text", "text": "Reply"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "msg",
            "label": {"type": "plain_text", "text": "Message"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
        {
            "type": "actions",
            "block_id": "tools",
            "elements": [
                {"type": "button", "action_id": "preview", "text": {"type": "plain_text", "text": "Preview"}}
            ],
        },
    ],
}


async def open_modal(setup: Setup, view: dict[str, Any] = MODAL) -> str:
    async with httpx.AsyncClient() as http:
        opened = await http.post(
            setup.sandbox.api_url + "views.open",
            json={
                "trigger_id": setup.sandbox.driver.issue_trigger_id(setup.ann),
                "view": view,
            },
            headers={"Authorization": f"Bearer {setup.sandbox.state.ws.bot_token}"},
        )
    return str(opened.json()["view"]["id"])


async def test_submission_with_errors_keeps_the_modal_open(setup: Setup) -> None:
    view_id = await open_modal(setup)
    setup.app.ack = {"response_action": "errors", "errors": {"msg": "Too short"}}

    await setup.sandbox.driver.submit_view(view_id, {"msg": {"text": "hi"}})

    assert setup.app.received[-1]["view"]["state"]["values"]["msg"]["text"]["value"] == "hi"
    assert setup.sandbox.driver.view(view_id)["errors"] == {"msg": "Too short"}
    assert [v["id"] for v in setup.sandbox.driver.open_modals(setup.ann)] == [view_id]


async def test_required_input_left_empty_cannot_be_submitted(setup: Setup) -> None:
    view_id = await open_modal(setup)

    with pytest.raises(SandboxError, match="required input 'msg'"):
        await setup.sandbox.driver.submit_view(view_id)


PREFILLED: dict[str, Any] = {
    **MODAL,
    "blocks": [
        {
            "type": "input",
            "block_id": "msg",
            "label": {"type": "plain_text", "text": "Message"},
            "element": {"type": "plain_text_input", "action_id": "text", "initial_value": "Thanks!"},
        },
        {
            "type": "input",
            "block_id": "until",
            "label": {"type": "plain_text", "text": "Until"},
            "element": {"type": "datepicker", "action_id": "date", "initial_date": "2026-12-01"},
        },
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
    ],
}


async def test_untouched_inputs_report_their_initial_values_as_slack_does(setup: Setup) -> None:
    view_id = await open_modal(setup, PREFILLED)

    await setup.sandbox.driver.submit_view(view_id, {"until": {"date": "2026-12-24"}})

    values = setup.app.received[-1]["view"]["state"]["values"]
    assert values["msg"]["text"] == {"type": "plain_text_input", "value": "Thanks!"}  # required, prefilled
    assert values["until"]["date"] == {"type": "datepicker", "selected_date": "2026-12-24"}  # changed
    assert values["note"]["text"] == {"type": "plain_text_input", "value": None}  # optional, left empty


async def test_button_inside_a_modal_sends_the_view_as_container(setup: Setup) -> None:
    view_id = await open_modal(setup)

    await setup.sandbox.driver.press_button("preview", user=setup.ann, view_id=view_id)

    payload = setup.app.received[-1]
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["view"]["id"] == view_id
    assert "response_url" not in payload


async def test_playground_drives_the_app_over_http(setup: Setup) -> None:
    base = setup.sandbox.url + "/sandbox"
    async with httpx.AsyncClient() as http:
        bob = (await http.post(base + "/users", json={"name": "bob", "channels": [setup.channel]})).json()[
            "id"
        ]
        ack = (
            await http.post(
                base + "/commands",
                json={"command": "/crm", "text": "help", "user": bob, "channel": setup.channel},
            )
        ).json()
        version = (await http.get(base + "/changes", params={"since": -1, "timeout": 1})).json()["version"]
        waiting = asyncio.create_task(http.get(base + "/changes", params={"since": version, "timeout": 5}))
        posted = (
            await http.post(base + "/messages", json={"text": "hello", "user": bob, "channel": setup.channel})
        ).json()
        changed = (await waiting).json()["version"]
        history = (await http.get(f"{base}/channels/{setup.channel}/messages")).json()["messages"]
        refused = await http.post(
            base + "/actions",
            json={"action_id": "nope", "user": bob, "channel": setup.channel, "ts": posted["ts"]},
        )

    assert ack["status"] == 200
    assert setup.app.received[0]["command"] == "/crm" and setup.app.received[0]["user_id"] == bob
    assert changed > version
    assert [m["text"] for m in history] == ["hello"]
    assert setup.app.received[1]["event"]["text"] == "hello"
    assert refused.status_code == 400 and "nope" in refused.json()["error"]


def test_threaded_sandbox_serves_while_the_caller_blocks() -> None:
    sandbox = SlackSandbox()
    sandbox.start_in_thread()
    try:
        answer = httpx.post(
            sandbox.api_url + "auth.test", headers={"Authorization": f"Bearer {sandbox.state.ws.bot_token}"}
        ).json()
    finally:
        sandbox.stop_thread()

    assert answer["ok"] is True
    with pytest.raises(httpx.ConnectError):
        httpx.post(sandbox.api_url + "auth.test")
