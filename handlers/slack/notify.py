"""Telling one staff member something privately, wherever they acted."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


async def notify_user(
    client: AsyncWebClient, user_id: str, channel: str | None, text: str, *, thread_ts: str | None = None
) -> None:
    """An ephemeral message in `channel` (in the thread `thread_ts`, if given); the app's DM when it
    cannot post there (not a member)."""
    if channel:
        try:
            if thread_ts:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=text, thread_ts=thread_ts)
            else:
                await client.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return
        except SlackApiError as exc:
            log.info("ephemeral in %s failed (%s); using the DM", channel, api_error(exc))
    await client.chat_postMessage(channel=user_id, text=text)


def api_error(exc: SlackApiError) -> str:
    """Slack's error code (`not_in_channel`, …); the HTTP status when the body was not Slack's JSON."""
    data = exc.response.data
    if isinstance(data, dict):
        return str(data.get("error") or "unknown")
    return f"http_{exc.response.status_code}"


_REINSTALL = "the app was uninstalled or its token revoked: reinstall it and update SLACK_BOT_TOKEN"
SLACK_FIXES: dict[str, str] = {
    "not_in_channel": "invite the app to the team channel: type /invite @retention-bot in it",
    "channel_not_found": "SLACK_TEAM_CHANNEL is not a channel the app can see: copy the channel's ID "
    "(channel name → About → Channel ID) into .env",
    "is_archived": "the team channel is archived: unarchive it or set SLACK_TEAM_CHANNEL to another channel",
    "invalid_auth": "SLACK_BOT_TOKEN is wrong: copy the Bot User OAuth Token (Install App) into .env again",
    "token_revoked": _REINSTALL,
    "account_inactive": _REINSTALL,
    "missing_scope": "the app lacks a permission: reinstall it from slack-manifest.yml",
}
CHANNEL_PROBLEMS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
"""Errors that mean the team channel itself cannot be used: a report goes to the admins' DMs instead."""


def slack_fix(error: str) -> str | None:
    """What a person does about Slack's error code, where we know."""
    return SLACK_FIXES.get(error)
