"""Bodies Slack sends to an app: slash-command forms, interaction payloads and event envelopes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.slack.element_state import input_state
from bot.sandbox.slack.models import JSON, Channel
from bot.sandbox.slack.state import SandboxState


def team_ref(state: SandboxState) -> JSON:
    return {"id": state.ws.team_id, "domain": state.ws.domain}


def user_ref(state: SandboxState, user_id: str) -> JSON:
    """The acting user; `team_id` is their own workspace (another one for a shared channel's guest)."""
    user = state.users[user_id]
    return {"id": user_id, "username": user.name, "name": user.name, "team_id": user.team(state.ws)}


def channel_ref(channel: Channel) -> JSON:
    return {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name}


def interactive_body(payload: JSON) -> str:
    """Interactivity requests are form-encoded with the JSON in a single `payload` field."""
    return urlencode({"payload": json.dumps(payload)})


def slash_command_body(
    state: SandboxState,
    command: str,
    text: str,
    user: str,
    channel: Channel,
    trigger_id: str,
    response_url: str,
) -> str:
    ws = state.ws
    return urlencode({
        "token": ws.verification_token, "team_id": ws.team_id, "team_domain": ws.domain,
        "channel_id": channel.id, "channel_name": channel_ref(channel)["name"], "user_id": user,
        "user_name": state.users[user].name, "command": command, "text": text, "api_app_id": ws.app_id,
        "is_enterprise_install": "false", "response_url": response_url, "trigger_id": trigger_id,
    })  # fmt: skip


def action_item(block: JSON, element: JSON, value: Any, action_ts: str) -> JSON:
    """One entry of a block_actions payload's `actions` list."""
    item: JSON = {"action_id": element["action_id"], "block_id": block["block_id"]}
    if element["type"] == "button":
        item.update(type="button", text=element["text"])
        for key in ("value", "style", "url"):
            if key in element:
                item[key] = element[key]
    else:
        item.update(input_state(element, value))
    item["action_ts"] = action_ts
    return item


def block_actions(
    state: SandboxState,
    *,
    user: str,
    trigger_id: str,
    container: JSON,
    action: JSON,
    channel: Channel | None = None,
    message: JSON | None = None,
    view: JSON | None = None,
    response_url: str | None = None,
) -> JSON:
    ws = state.ws
    payload: JSON = {
        "type": "block_actions", "user": user_ref(state, user), "api_app_id": ws.app_id,
        "token": ws.verification_token, "container": container, "trigger_id": trigger_id,
        "team": team_ref(state), "enterprise": None, "is_enterprise_install": False,
    }  # fmt: skip
    if channel is not None:
        payload["channel"] = channel_ref(channel)
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    payload["state"] = {"values": view["state"]["values"] if view else {}}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def view_payload(state: SandboxState, kind: str, user: str, view: JSON, trigger_id: str | None) -> JSON:
    """A view_submission or view_closed payload."""
    ws = state.ws
    payload: JSON = {
        "type": kind,
        "team": team_ref(state),
        "user": user_ref(state, user),
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "view": view,
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if kind == "view_submission":
        payload.update(trigger_id=trigger_id, response_urls=[])
    else:
        payload["is_cleared"] = False
    return payload


def message_action(
    state: SandboxState,
    *,
    callback_id: str,
    user: str,
    channel: Channel,
    message: JSON,
    trigger_id: str,
    response_url: str,
    action_ts: str,
) -> JSON:
    ws = state.ws
    return {
        "type": "message_action", "token": ws.verification_token, "action_ts": action_ts,
        "team": team_ref(state), "user": {"id": user, "name": state.users[user].name,
                                          "team_id": state.users[user].team(ws)},
        "channel": channel_ref(channel), "is_enterprise_install": False, "enterprise": None,
        "callback_id": callback_id, "trigger_id": trigger_id, "response_url": response_url,
        "message_ts": message["ts"], "message": message,
    }  # fmt: skip


def event_envelope(state: SandboxState, event: JSON, event_id: str, event_time: int) -> JSON:
    """An event_callback; an event by someone of another workspace marks the channel as shared."""
    ws = state.ws
    external = event.get("user_team") not in (None, ws.team_id)
    return {
        "token": ws.verification_token, "team_id": ws.team_id, "context_team_id": ws.team_id,
        "context_enterprise_id": None, "api_app_id": ws.app_id, "event": event, "type": "event_callback",
        "event_id": event_id, "event_time": event_time,
        "authorizations": [{"enterprise_id": None, "team_id": ws.team_id, "user_id": ws.bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": external, "event_context": f"4-sandbox-{event_id}",
    }  # fmt: skip
