"""Telling one staff member something privately, wherever they acted."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


async def notify_user(client: AsyncWebClient, user_id: str, channel: str | None, text: str) -> None:
    """An ephemeral message in `channel`; the app's DM when it cannot post there (not a member)."""
    if channel:
        try:
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
