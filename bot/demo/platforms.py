"""The built-in sandbox platforms of `retention-bot demo`: a fake Telegram and a fake Slack on loopback.

Each sandbox serves on its own free loopback port, and the bot reaches it exactly as it reaches
the real platform: through TELEGRAM_API_BASE_URL and SLACK_API_BASE_URL, with the Slack
sandbox delivering signed requests to the app's /slack/events on HTTP_PORT. The playground page
reaches their /sandbox/... driver endpoints through the demo server (see playground.py).

As a Runtime component it is listed first: the platforms are up before the bots start and
stay up until the bots have stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import SecretStr
from starlette.routing import BaseRoute

from bot.clock import Clock
from bot.config import Settings
from bot.demo.cast import ADMIN_IDS, TEAM_CHANNEL_ID, Cast
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import SandboxServer, TelegramSandbox

DEMO_BUSINESS_NAME = "Corner Records"
DEMO_RULES = Path(__file__).resolve().parent / "data" / "rules.toml"
"""The demo shop's rules file: the defaults plus its FAQ (used unless RETENTION_CONFIG is set)."""


class SandboxPlatforms:
    """Both sandboxes, bound to free ports at construction (so their URLs are known before settings)."""

    name = "sandboxes"

    def __init__(self, clock: Clock) -> None:
        self.routes: list[BaseRoute] = []
        self.telegram = TelegramSandbox(  # message dates follow the demo clock
            bot_username="corner_records_bot", bot_first_name="Corner Records", clock=clock
        )
        self.telegram_server = SandboxServer(self.telegram)
        # The demo database outlives the sandboxes, and the bot claims each update_id, event_id and view
        # id once. Real platforms never hand out one twice, so neither may a restarted demo.
        workspace = Workspace(team_name="Corner Records", domain="corner-records")
        self.slack = SlackSandbox(workspace, id_seed=time.time_ns())
        self.telegram.state.next_update_id = time.time_ns() // 1_000_000
        self._running = False

    @property
    def telegram_url(self) -> str:
        return self.telegram_server.url

    @property
    def slack_url(self) -> str:
        return self.slack.url

    def settings(self, base: Settings, port: int) -> Settings:
        """`base` with both platforms pointing at the sandboxes; the real ones are never reached."""
        ws = self.slack.state.ws
        update: dict[str, object] = {
            "telegram_bot_token": SecretStr(self.telegram.token),
            "telegram_api_base_url": self.telegram_server.bot_api_base_url,
            "telegram_webhook_url": None,
            "telegram_webhook_secret": None,
            "slack_bot_token": SecretStr(ws.bot_token),
            "slack_signing_secret": SecretStr(ws.signing_secret),
            "slack_app_token": None,  # HTTP mode: the sandbox posts to /slack/events
            "slack_api_base_url": self.slack.api_url,
            "slack_team_channel": TEAM_CHANNEL_ID,
            "slack_admin_user_ids": ADMIN_IDS,
            "http_host": "127.0.0.1",
            "http_port": port,
        }
        if "business_name" not in base.model_fields_set:
            update["business_name"] = DEMO_BUSINESS_NAME
        if base.retention_config is None:
            update["retention_config"] = DEMO_RULES
        return base.model_copy(update=update)

    def populate(self, cast: Cast, app_url: str) -> None:
        """The people: Telegram users for the cast's customers, the workspace's staff and channel."""
        for person in cast.customers:
            self.telegram.create_user(
                person.first_name,
                user_id=person.telegram_id,
                last_name=person.last_name,
                language_code=person.language_code,
                phone_number=person.phone,
                started=False,
            )
        driver = self.slack.driver
        for staff in cast.staff:
            driver.add_user(
                staff.display_name.lower(),
                real_name=staff.real_name,
                display_name=staff.display_name,
                is_admin=staff.is_admin,
                user_id=staff.slack_id,
            )
        driver.add_channel(
            cast.channel_name, members=[s.slack_id for s in cast.staff], channel_id=cast.channel_id
        )
        driver.connect_app(app_url)

    async def start(self) -> None:
        await self.telegram_server.__aenter__()
        await self.slack.start()
        self._running = True

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        try:
            with self.slack.state.locked():  # wake the driver's long polls, or shutdown waits them out
                self.slack.state.touch()
            await self.slack.stop()
        finally:
            await self.telegram_server.__aexit__(None, None, None)
