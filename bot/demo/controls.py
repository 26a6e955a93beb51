"""What the demo adds to playing people: moving time, and knowing which parts of the bot are running.

The till control posts a sale to the running API (`POST /api/v1/purchases`) with the demo's own
key (bot/demo/till.py), so the customer's phone gets the live points notice. The digest control
is a staff command typed into the sandbox Slack (`/crm digest`), the path a real team uses. The
survey campaign control is what an operator's `retention-bot survey send --segment all` does
(the service, in this process); the surveys then reach the customers through the running
Telegram bot and the sandbox. Moving time has no platform equivalent: it shifts the bot's clock
and both sandboxes' clocks, then runs the daily jobs that became due, as the scheduler would on
its next tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.app import Component
from bot.clock import OffsetClock
from bot.context import AppContext
from bot.demo.cast import Cast, DemoCustomer
from bot.demo.platforms import SandboxPlatforms
from bot.demo.till import SALE_AMOUNT, TILL_KEY_NAME
from bot.i18n import translator
from bot.jobs.scheduler import SchedulerComponent
from bot.services.campaigns import start_campaign
from bot.services.customers import find_customer
from bot.services.digest_record import for_people

TEAM_LANGUAGE = "en"  # the demo's staff use Slack in English
DIGEST_COMMAND = ("/crm", "digest")
MISSING = {
    "telegram": "the Telegram bot (handlers/telegram) is not part of this build yet",
    "slack": "the Slack app (handlers/slack) is not part of this build yet",
    "scheduler": "the scheduler is switched off",
}


@dataclass(frozen=True)
class Advanced:
    now: datetime
    offset: timedelta
    jobs: list[tuple[str, str, str]]

    def describe(self) -> str:
        ran = "; ".join(f"{job} for {period}: {for_people(outcome)}" for job, period, outcome in self.jobs)
        return f"it is now {self.now:%a %d %b %Y %H:%M}" + (f" — ran {ran}" if ran else " — no job was due")


class DemoControls:
    """Shared by the playground page and the console; `status` is the Runtime's live part states."""

    def __init__(
        self,
        ctx: AppContext,
        clock: OffsetClock,
        platforms: SandboxPlatforms,
        cast: Cast,
        components: Sequence[Component],
        status: dict[str, str],
        till_key: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.till_key = till_key
        """The key of the demo's till (bot/demo/till.py); None: no till in this run."""
        self.clock = clock
        self.platforms = platforms
        self.cast = cast
        self.components = components
        self.status = status

    def running(self, part: str) -> bool:
        return self.status.get(part) == "running"

    def why_not(self, part: str) -> str | None:
        """None when `part` runs; otherwise a sentence saying why it is not available."""
        state = self.status.get(part, "off")
        if state == "running":
            return None
        return MISSING.get(part, f"{part} is off") if state == "off" else f"the {part} part is {state}"

    def api_url(self) -> str:
        """Where the running HTTP server (and so /api/v1) answers on this machine."""
        host = self.ctx.settings.http_host
        host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        return f"http://{host}:{self.ctx.settings.http_port}"

    def customer(self, telegram_id: object) -> DemoCustomer | None:
        return next((c for c in self.cast.customers if str(c.telegram_id) == str(telegram_id)), None)

    def now(self) -> datetime:
        return self.clock.now().astimezone(self.ctx.settings.tz)

    async def advance(self, delta: timedelta) -> Advanced:
        """Move the demo's time forward, then run the daily jobs that became due."""
        self.clock.advance(delta)
        self.platforms.slack.driver.advance_clock(delta.total_seconds())
        self.platforms.telegram.state.changed()  # the page shows the clock; let it re-read
        jobs: list[tuple[str, str, str]] = []
        for component in self.components:
            if isinstance(component, SchedulerComponent) and self.running("scheduler"):
                jobs.extend(await component.tick())
        return Advanced(self.now(), self.clock.offset, jobs)

    async def start_campaign(self, *, segment: str | None = None, customer: str | None = None) -> str:
        """What `retention-bot survey send --segment NAME` (or `--customer ID`) does: queue an NPS
        campaign under the contact rules; the running Telegram bot sends it at once."""
        customer_id = None
        if customer is not None:
            region = self.ctx.settings.default_phone_region
            customer_id = (await self.ctx.call(find_customer, customer, default_region=region)).id
        summary = await self.ctx.call(
            start_campaign,
            self.ctx.clock,
            self.ctx.rules,
            started_by="demo",
            segment=segment,
            customer_id=customer_id,
        )
        skipped = ", ".join(
            f"{reason.replace('_', ' ')} {n:,}" for reason, n in sorted(summary.skipped.items())
        )
        head = f"survey campaign {summary.campaign_id} ({segment or customer})"
        return (
            f"{head}: {summary.queued:,} to send on Telegram"
            + (f"; skipped: {skipped}" if skipped else "")
            + (f"; {summary.not_on_telegram:,} not on Telegram" if summary.not_on_telegram else "")
        )

    def describe(self) -> dict[str, Any]:
        """Everything the playground page needs to draw itself (people, parts, clock, controls)."""
        settings = self.ctx.settings
        tg = self.platforms.telegram
        unavailable = {part: self.why_not(part) for part in ("telegram", "slack", "scheduler")}
        return {
            "business": settings.business_name,
            "timezone": settings.timezone,
            "clock": {"now": self.now().isoformat(), "offset_days": self.clock.offset / timedelta(days=1)},
            "parts": dict(self.status),
            "unavailable": unavailable,
            "telegram": {
                "bot": {"username": tg.bot_username, "name": tg.state.bot_first_name},
                "customers": [
                    {
                        "id": c.telegram_id,
                        "name": c.name,
                        "phone": c.phone,
                        "customer_id": c.customer_id,
                        "role": c.role,
                        "language_code": c.language_code,
                    }
                    for c in self.cast.customers
                ],
            },
            "slack": {
                "team": self.platforms.slack.state.ws.team_name,
                "bot_user_id": self.platforms.slack.state.ws.bot_user_id,
                "channel": {"id": self.cast.channel_id, "name": self.cast.channel_name},
                "staff": [
                    {
                        "id": s.slack_id,
                        "name": s.display_name,
                        "real_name": s.real_name,
                        "is_admin": s.is_admin,
                    }
                    for s in self.cast.staff
                ],
            },
            "commands": {"digest": " ".join(DIGEST_COMMAND)},
            "till": {"amount": f"{SALE_AMOUNT:.2f}", "key": TILL_KEY_NAME if self.till_key else None},
            "refusals": {"digest": self.refusal(DIGEST_COMMAND)},
        }

    @staticmethod
    def refusal(command: tuple[str, str]) -> str:
        """What the Slack app answers to a /crm subcommand it does not have (it is not built yet)."""
        return translator(TEAM_LANGUAGE).format("slack.help.unknown", word=command[1].split()[0])
