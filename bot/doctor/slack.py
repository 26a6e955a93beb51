"""The Slack checks: the token (auth.test), granted scopes against the manifest's, the team channel
(conversations.info), and what Socket Mode or HTTP mode needs."""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.doctor.manifest import ManifestError, bot_scopes
from bot.doctor.model import Check, failed, ok, skipped, warning
from bot.proxies import describe
from handlers.slack.web_client import close_client, slack_client, slack_proxy

TOKEN = "slack token"
SCOPES = "slack scopes"
CHANNEL = "slack channel"
CONNECTION = "slack connection"
APP_PAGE = "api.slack.com/apps → your app"
TOKEN_FIX = (
    f"copy the Bot User OAuth Token (xoxb-…) from {APP_PAGE} → OAuth & Permissions into "
    "SLACK_BOT_TOKEN (no token there? Install App → Install to Workspace first)"
)
REINSTALL = (
    f"reinstall the app from the manifest: {APP_PAGE} → App Manifest → paste slack-manifest.yml → "
    "Save Changes, then Install App → Reinstall to Workspace"
)
BAD_TOKEN = frozenset({
    "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
    "not_allowed_token_type",
})  # fmt: skip
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
TOKEN_KINDS = {
    "xoxb-": "a bot token (xoxb-…)",
    "xoxp-": "a user token (xoxp-…)",
    "xapp-": "an app-level token",
}


@dataclass(frozen=True)
class SlackAnswer:
    data: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-cased header names."""
    error: str | None = None
    """Slack's error code (`invalid_auth`, `channel_not_found`…)."""
    unreachable: str | None = None


async def call(client: AsyncWebClient, method: str, **params: str) -> SlackAnswer:
    try:
        response = await client.api_call(method, http_verb="GET", params=params)
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or f"HTTP {exc.response.status_code}, not Slack's API")
        return SlackAnswer(data, _lower(exc.response.headers), error=error)
    except TimeoutError:
        return SlackAnswer(unreachable=f"no answer within {client.timeout} s")
    except Exception as exc:  # aiohttp's connection errors and slack-sdk's request errors alike
        return SlackAnswer(unreachable=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    data = response.data if isinstance(response.data, dict) else {}
    return SlackAnswer(data, _lower(response.headers))


def _lower(headers: Any) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in dict(headers or {}).items()}


async def slack_checks(settings: Settings, timeout: float) -> list[Check]:  # noqa: ASYNC109
    if settings.slack_bot_token is None:
        reason = "SLACK_BOT_TOKEN not set: the Slack part is off"
        return [skipped(name, reason) for name in (TOKEN, SCOPES, CHANNEL, CONNECTION)]
    # The bot's own factory: the same proxy; one short try (the doctor reports, the bot retries).
    client = slack_client(settings, timeout=max(1, math.ceil(timeout)), retries=False)
    channel = settings.slack_team_channel
    try:
        auth, info = await asyncio.gather(
            call(client, "auth.test"),
            call(client, "conversations.info", channel=channel) if channel else _nothing(),
        )
    finally:
        await close_client(client)
    token_check = _token_check(settings, auth)
    if token_check.status == "failed":
        reason = "not checked: the slack token check failed"
        return [token_check, skipped(SCOPES, reason), skipped(CHANNEL, reason), _connection_check(settings)]
    bot = str(auth.data.get("user") or "retention-bot")
    return [token_check, _scopes_check(auth), _channel_check(channel, info, bot), _connection_check(settings)]


async def _nothing() -> SlackAnswer:
    return SlackAnswer()


def _token_check(settings: Settings, auth: SlackAnswer) -> Check:
    proxy = slack_proxy(settings)
    host = (urlsplit(settings.slack_api_base_url).netloc or settings.slack_api_base_url) + describe(proxy)
    if auth.unreachable:
        return failed(
            TOKEN,
            f"cannot reach Slack at {host}: {auth.unreachable}",
            (
                "check that the proxy is running and HTTPS_PROXY (its address and password) and "
                "NO_PROXY are right"
                if proxy is not None
                else "check this machine's internet connection (HTTPS_PROXY if Slack is reachable only "
                "through a proxy)"
            )
            + " and SLACK_API_BASE_URL (leave it empty for https://slack.com/api/)",
        )
    if auth.error in BAD_TOKEN:
        return failed(TOKEN, f"Slack refused the token: {auth.error}", TOKEN_FIX)
    if auth.error:
        busy = auth.error in ("ratelimited", "fatal_error", "internal_error", "service_unavailable")
        fix = "Slack is busy or has a problem: run the doctor again in a few minutes" if busy else TOKEN_FIX
        return failed(TOKEN, f"Slack answered auth.test with {auth.error}", fix)
    data = auth.data
    who = f"@{data.get('user')} in the workspace {data.get('team')} ({data.get('team_id')}) via {host}"
    assert settings.slack_bot_token is not None
    kind = _token_kind(settings.slack_bot_token.get_secret_value())
    if kind != TOKEN_KINDS["xoxb-"]:
        return warning(
            TOKEN, f"works as {who}, but SLACK_BOT_TOKEN is {kind}, not the bot's token", TOKEN_FIX
        )
    return ok(TOKEN, who)


def _token_kind(token: str) -> str:
    return next(
        (kind for prefix, kind in TOKEN_KINDS.items() if token.startswith(prefix)), "not a known kind"
    )


def _scopes_check(auth: SlackAnswer) -> Check:
    header = auth.headers.get("x-oauth-scopes")
    if header is None:
        return warning(
            SCOPES,
            "Slack did not say which scopes the app has (no x-oauth-scopes header)",
            f"compare {APP_PAGE} → OAuth & Permissions → Bot Token Scopes with slack-manifest.yml",
        )
    granted = {scope.strip() for scope in header.split(",") if scope.strip()}
    try:
        needed = bot_scopes()
    except ManifestError as exc:
        return warning(
            SCOPES,
            f"granted: {', '.join(sorted(granted))}; cannot compare: {exc}",
            "reinstall retention-bot: the package carries slack-manifest.yml",
        )
    missing = [scope for scope in needed if scope not in granted]
    if missing:
        return failed(
            SCOPES,
            f"the app lacks {', '.join(missing)} ({len(needed) - len(missing)} of the "
            f"{len(needed)} scopes in slack-manifest.yml granted)",
            REINSTALL,
        )
    return ok(SCOPES, f"all {len(needed)} bot scopes of slack-manifest.yml granted")


def _channel_check(channel: str | None, info: SlackAnswer, bot: str) -> Check:
    if not channel:
        return warning(
            CHANNEL,
            "SLACK_TEAM_CHANNEL is not set: no real-time alerts and no daily digest are posted",
            "set SLACK_TEAM_CHANNEL to the team channel's ID (in Slack: click the channel's name; the "
            "Channel ID, C…, is at the bottom of About), then type /invite @" + bot + " in that channel",
        )
    if info.unreachable:
        return failed(CHANNEL, f"cannot look at {channel}: {info.unreachable}", "run the doctor again")
    if info.error == "channel_not_found":
        looks_like_id = CHANNEL_ID.fullmatch(channel) is not None
        fix = (
            f"check SLACK_TEAM_CHANNEL; a private channel stays invisible until you type /invite @{bot} in it"
            if looks_like_id
            else "SLACK_TEAM_CHANNEL must be the channel's ID (C…), not its name: click the channel's name "
            "in Slack, the Channel ID is at the bottom of About"
        )
        return failed(CHANNEL, f"Slack knows no channel {channel} that the app can see", fix)
    if info.error == "missing_scope":
        return warning(
            CHANNEL, f"cannot look at {channel}: the app lacks channels:read/groups:read", REINSTALL
        )
    if info.error:
        return failed(
            CHANNEL, f"Slack answered conversations.info for {channel} with {info.error}", REINSTALL
        )
    found = info.data.get("channel") or {}
    name = f"#{found.get('name', channel)} ({channel})"
    if found.get("is_archived"):
        return failed(
            CHANNEL,
            f"{name} is archived",
            "unarchive it in Slack, or set SLACK_TEAM_CHANNEL to another channel",
        )
    if not found.get("is_member"):
        return failed(
            CHANNEL,
            f"{name} exists, but the app is not a member: alerts and the digest cannot be posted there",
            f"type /invite @{bot} in #{found.get('name', channel)}",
        )
    return ok(CHANNEL, f"{name}: the app is a member")


def _connection_check(settings: Settings) -> Check:
    """Socket Mode needs an app-level token; HTTP mode needs the signing secret."""
    if settings.slack_app_token is not None:
        kind = _token_kind(settings.slack_app_token.get_secret_value())
        if kind == TOKEN_KINDS["xapp-"]:
            return ok(CONNECTION, "Socket Mode (SLACK_APP_TOKEN is an app-level token): no public URL needed")
        return failed(
            CONNECTION,
            f"Socket Mode needs an app-level token (xapp-…), but SLACK_APP_TOKEN is {kind}",
            f"{APP_PAGE} → Basic Information → App-Level Tokens → Generate Token and Scopes, with the "
            "connections:write scope; put the xapp-… token in SLACK_APP_TOKEN (or empty it for HTTP mode)",
        )
    if settings.slack_signing_secret is None:
        return failed(
            CONNECTION,
            "HTTP mode (SLACK_APP_TOKEN is not set) needs SLACK_SIGNING_SECRET, and it is not set",
            f"copy the Signing Secret from {APP_PAGE} → Basic Information → App Credentials into "
            "SLACK_SIGNING_SECRET, or use Socket Mode by setting SLACK_APP_TOKEN (xapp-…)",
        )
    return ok(
        CONNECTION,
        f"HTTP mode: `retention-bot run` serves /slack/events on {settings.http_host}:{settings.http_port}; "
        "the Request URLs in the app's settings must lead there",
    )
