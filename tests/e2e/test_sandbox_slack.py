"""A real slack-bolt AsyncApp, served over loopback HTTP, driven through the sandbox Slack platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox.slack import LoopbackServer, SandboxError, Signing, SlackDriver, SlackSandbox, Workspace

SECRET = "e2e-signing-secret"


@dataclass
class World:
    sandbox: SlackSandbox
    app: AsyncApp
    channel: str
    alice: str

    @property
    def driver(self) -> SlackDriver:
        return self.sandbox.driver


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with SlackSandbox(Workspace(signing_secret=SECRET)) as sandbox:
        client = AsyncWebClient(token=sandbox.state.ws.bot_token, base_url=sandbox.api_url)
        app = AsyncApp(client=client, signing_secret=SECRET)
        handler = AsyncSlackRequestHandler(app)

        async def events(request: Request) -> Response:
            return await handler.handle(request)

        async with LoopbackServer(
            Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
        ) as web:
            sandbox.driver.connect_app(f"{web.url}/slack/events")
            alice = sandbox.driver.add_user("alice", real_name="Alice Liddell", tz="Europe/Berlin")
            channel = sandbox.driver.add_channel("retention-team", members=[alice])
            yield World(sandbox, app, channel, alice)


async def test_signed_slash_command_is_acked_and_reply_lands_in_channel(world: World) -> None:
    @world.app.command("/crm")
    async def crm(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=command["channel_id"], text=f"finding {command['text']}")

    response = await world.driver.send_slash_command(
        "/crm", "find Ann", user=world.alice, channel=world.channel
    )

    assert response.status == 200
    message = await world.driver.next_message(world.channel)
    assert message["text"] == "finding find Ann"
    assert message["bot_id"] == world.sandbox.state.ws.bot_id


async def test_slash_command_with_wrong_signing_secret_gets_401(world: World) -> None:
    response = await world.driver.send_slash_command(
        "/crm", "help", user=world.alice, channel=world.channel, signing=Signing(secret="not-the-secret")
    )

    assert response.status == 401
    assert response.error == "dispatch_failed"


async def test_slash_command_signed_more_than_five_minutes_ago_gets_401(world: World) -> None:
    response = await world.driver.send_slash_command(
        "/crm", "help", user=world.alice, channel=world.channel, signing=Signing(timestamp_offset=-301)
    )

    assert response.status == 401


async def test_ack_text_is_shown_to_the_invoking_user_only(world: World) -> None:
    @world.app.command("/crm")
    async def crm(ack: Any) -> None:
        await ack("Usage: /crm find QUERY")

    await world.driver.send_slash_command("/crm", "help", user=world.alice, channel=world.channel)

    shown = world.driver.ephemerals(user=world.alice)
    assert [e["text"] for e in shown] == ["Usage: /crm find QUERY"]
    assert world.driver.messages(world.channel) == []


ALERT_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Detractor* Ann scored 3"}},
    {
        "type": "actions",
        "block_id": "alert",
        "elements": [
            {
                "type": "button",
                "action_id": "assign_to_me",
                "text": {"type": "plain_text", "text": "Assign to me"},
                "value": "customer-42",
            },
        ],
    },
]


async def test_button_press_built_from_stored_message_lets_listener_update_it(world: World) -> None:
    posted = await world.app.client.chat_postMessage(channel=world.channel, text="alert", blocks=ALERT_BLOCKS)
    seen: list[dict[str, Any]] = []

    @world.app.action("assign_to_me")
    async def assign(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen.append(body)
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"assigned {action['value']}",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"Assigned to <@{body['user']['id']}>"},
                }
            ],
        )

    response = await world.driver.press_button(
        "assign_to_me", user=world.alice, channel=world.channel, ts=posted["ts"]
    )

    assert response.status == 200

    def assigned() -> dict[str, Any] | None:
        message: dict[str, Any] = world.driver.message(world.channel, posted["ts"])
        return message if message["text"].startswith("assigned") else None

    updated = await world.driver.wait_for(assigned)
    assert updated["blocks"][0]["text"]["text"] == f"Assigned to <@{world.alice}>"
    assert seen[0]["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": world.channel,
        "is_ephemeral": False,
    }
    assert seen[0]["actions"][0]["block_id"] == "alert"


async def test_pressing_a_button_the_message_does_not_have_is_refused(world: World) -> None:
    posted = await world.app.client.chat_postMessage(channel=world.channel, text="alert", blocks=ALERT_BLOCKS)

    with pytest.raises(SandboxError, match="resolve"):
        await world.driver.press_button("resolve", user=world.alice, channel=world.channel, ts=posted["ts"])


async def test_files_upload_v2_appears_as_a_file_share_message(world: World) -> None:
    result = await world.app.client.files_upload_v2(
        channel=world.channel,
        content=b"\x89PNG fake chart",
        filename="nps.png",
        title="NPS trend",
        initial_comment="NPS, last 90 days",
    )

    file_id = result["file"]["id"]
    message = await world.driver.next_message(world.channel)
    assert message["text"] == "NPS, last 90 days"
    assert message["files"][0]["id"] == file_id
    assert message["files"][0]["title"] == "NPS trend"
    assert world.driver.file_content(file_id) == b"\x89PNG fake chart"
    assert result["file"]["shares"]["public"][world.channel][0]["ts"] == message["ts"]


MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "snooze",
    "title": {"type": "plain_text", "text": "Snooze"},
    "submit": {"type": "plain_text", "text": "Snooze"},
    "blocks": [
        {
            "type": "input",
            "block_id": "until",
            "label": {"type": "plain_text", "text": "Until"},
            "element": {"type": "datepicker", "action_id": "date"},
        }
    ],
}


async def test_modal_opens_with_a_fresh_trigger_and_submission_reaches_the_app(world: World) -> None:
    submitted: list[dict[str, Any]] = []

    @world.app.command("/crm")
    async def crm(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @world.app.view("snooze")
    async def snooze(ack: Any, view: dict[str, Any]) -> None:
        submitted.append(view["state"]["values"])
        await ack()

    await world.driver.send_slash_command("/crm", "snooze", user=world.alice, channel=world.channel)
    modal = await world.driver.wait_for(lambda: world.driver.top_modal(world.alice))
    response = await world.driver.submit_view(modal["id"], {"until": {"date": "2026-12-01"}})

    assert response.status == 200
    assert submitted == [{"until": {"date": {"type": "datepicker", "selected_date": "2026-12-01"}}}]
    assert world.driver.open_modals(world.alice) == []


async def test_views_open_with_an_expired_trigger_fails_with_expired_trigger_id(world: World) -> None:
    errors: list[str] = []

    @world.app.command("/crm")
    async def crm(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        world.driver.advance_clock(3.5)  # as if the app took too long before opening the modal
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        except SlackApiError as exc:
            errors.append(exc.response["error"])

    await world.driver.send_slash_command("/crm", "snooze", user=world.alice, channel=world.channel)

    assert await world.driver.wait_for(lambda: errors or None) == ["expired_trigger_id"]
    assert world.driver.open_modals(world.alice) == []


async def test_event_retry_headers_reach_the_app(world: World) -> None:
    retries: list[tuple[str | None, str | None, str]] = []

    @world.app.event("message")
    async def on_message(event: dict[str, Any], request: AsyncBoltRequest) -> None:
        num, reason = request.headers.get("x-slack-retry-num"), request.headers.get("x-slack-retry-reason")
        retries.append((num[0] if num else None, reason[0] if reason else None, event["text"]))

    _, first = await world.driver.post_user_message("hi there", user=world.alice, channel=world.channel)
    assert first is not None and first.status == 200 and first.event_id
    again = await world.driver.retry_event(first.event_id, retry_num=1, retry_reason="http_timeout")

    assert again.status == 200
    got = await world.driver.wait_for(lambda: retries if len(retries) == 2 else None)
    assert got == [(None, None, "hi there"), ("1", "http_timeout", "hi there")]


async def test_thread_reply_event_carries_thread_ts(world: World) -> None:
    events: list[dict[str, Any]] = []

    @world.app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        events.append(event)

    parent = await world.app.client.chat_postMessage(channel=world.channel, text="alert")
    await world.driver.post_user_message(
        "called her", user=world.alice, channel=world.channel, thread_ts=parent["ts"]
    )

    event = (await world.driver.wait_for(lambda: events or None))[0]
    assert (event["thread_ts"], event["parent_user_id"]) == (parent["ts"], world.sandbox.state.ws.bot_user_id)
    assert event["channel_type"] == "channel"


async def test_app_home_opened_lets_the_app_publish_a_home_tab(world: World) -> None:
    @world.app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "KPIs"}}],
            },
        )

    response = await world.driver.open_app_home(world.alice)

    assert response.status == 200
    view = await world.driver.wait_for(lambda: world.driver.home_view(world.alice))
    assert view["blocks"][0]["text"]["text"] == "KPIs"


def pick(customer: str) -> dict[str, Any]:
    button = {
        "type": "button",
        "action_id": "pick",
        "text": {"type": "plain_text", "text": "Pick"},
        "value": customer,
    }
    return {
        "type": "section",
        "block_id": customer,
        "text": {"type": "mrkdwn", "text": customer},
        "accessory": button,
    }


async def test_respond_with_replace_original_swaps_the_ephemeral_pick_list(world: World) -> None:
    @world.app.command("/crm")
    async def crm(ack: Any) -> None:
        await ack(text="Which Ann?", blocks=[pick("c-1"), pick("c-2")])

    @world.app.action("pick")
    async def picked(ack: Any, action: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text=f"card for {action['value']}")

    await world.driver.send_slash_command("/crm", "find Ann", user=world.alice, channel=world.channel)
    pick_list = world.driver.ephemerals(user=world.alice)[0]
    await world.driver.press_button(
        "pick", block_id="c-2", user=world.alice, channel=world.channel, ts=pick_list["ts"]
    )

    card = await world.driver.wait_for(
        lambda: next(
            (e for e in world.driver.ephemerals(user=world.alice) if e["text"].startswith("card")), None
        )
    )
    assert (card["ts"], card["text"]) == (pick_list["ts"], "card for c-2")
    assert len(world.driver.ephemerals(user=world.alice)) == 1


async def test_message_shortcut_carries_the_message_and_a_usable_trigger(world: World) -> None:
    @world.app.shortcut("log_interaction")
    async def log_interaction(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        note = {"type": "section", "text": {"type": "mrkdwn", "text": shortcut["message"]["text"]}}
        await client.views_open(
            trigger_id=shortcut["trigger_id"], view={**MODAL, "blocks": [note, *MODAL["blocks"]]}
        )

    ts, _ = await world.driver.post_user_message(
        "Ann called about her refund", user=world.alice, channel=world.channel
    )
    response = await world.driver.message_shortcut(
        "log_interaction", user=world.alice, channel=world.channel, ts=ts
    )

    assert response.status == 200
    modal = await world.driver.wait_for(lambda: world.driver.top_modal(world.alice))
    assert modal["blocks"][0]["text"]["text"] == "Ann called about her refund"
