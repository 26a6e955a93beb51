"""`retention-bot demo --console`: play a customer (Telegram) and a staff member (Slack) in the terminal.

Every gesture goes to a sandbox driver; after it, the console waits (on the sandboxes' change
feeds, not on a timer) for the bot's answer, then for a quiet moment, and prints what appeared
on either platform. run.py reads the lines: from the terminal, or from a script.
"""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.text import Text

from bot.demo.controls import DIGEST_COMMAND
from bot.demo.runner import Demo
from bot.sandbox.slack import AppResponse, SandboxError
from bot.sandbox.telegram import SandboxError as TelegramSandboxError
from bot.services.errors import DomainError
from handlers.console import commands
from handlers.console.commands import Command, UsageError
from handlers.console.people import Customer, Staff, pick
from handlers.console.render import Shown, choice_labels, modal, mrkdwn
from handlers.console.watch import Watcher

STYLE = {"customer": "cyan", "staff": "magenta"}
CUSTOMER_VERBS = frozenset({"customer", "tap", "share", "campaign"})
STAFF_VERBS = frozenset({"staff", "thread", "click", "submit", "cancel", "home", "digest"})


class Stop(Exception):
    """:quit"""


class ConsoleSession:
    def __init__(
        self,
        demo: Demo,
        out: Console,
        *,
        quiet: float = 1.0,
        reply_timeout: float = 10.0,
        expect_timeout: float = 30.0,
    ) -> None:
        self.demo = demo
        self.out = out
        self.quiet, self.reply_timeout, self.expect_timeout = quiet, reply_timeout, expect_timeout
        cast = demo.cast
        self.customer, self.staff, self.role = cast.customers[0], cast.admin, "customer"
        self.hands = Customer(demo.platforms.telegram)
        self.staff_hands = Staff(demo.platforms.slack, cast)
        self.watcher = Watcher(demo.platforms.telegram, demo.platforms.slack, cast)
        self.history: list[Shown] = []
        self.batch: list[Shown] = []

    # --- output -------------------------------------------------------------------------------------
    def say(self, text: str, style: str = "dim") -> None:
        self.out.print(Text(text, style=style), soft_wrap=True)

    def show(self, items: list[Shown]) -> None:
        for item in items:
            if not item.heading:
                continue  # retires what it replaces (a keyboard that was hidden) without a line
            self.out.print(Text(item.heading, style=f"bold {STYLE[item.side]}"), soft_wrap=True)
            for line in item.lines:
                self.out.print(Text(f"  │ {line}"), soft_wrap=True)
            if item.buttons:
                self.out.print(Text(f"  └ {choice_labels(item.buttons)}", style="bold"), soft_wrap=True)
        self.history.extend(items)
        self.batch.extend(items)

    async def settle(self, first_timeout: float) -> None:
        """Show what appears: wait up to `first_timeout` for something, then until `quiet` s pass quietly."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + first_timeout
        got = False
        while True:
            fresh = self.watcher.collect()
            self.show(fresh)
            got = got or bool(fresh)
            wait = self.quiet if got else deadline - loop.time()
            if not await self.watcher.wait_change(wait):
                return

    def who(self) -> None:
        for n, person in enumerate(self.demo.cast.customers, start=1):
            here = "→" if person == self.customer else " "
            self.say(f"{here} {n}. customer {person.name} ({person.phone}): {person.role}", "")
        for staff in self.demo.cast.staff:
            here = "→" if staff == self.staff else " "
            self.say(
                f"{here}    staff {staff.display_name} ({'admin' if staff.is_admin else 'not an admin'})", ""
            )

    # --- commands -----------------------------------------------------------------------------------
    async def execute(self, line: str) -> bool:
        """Run one line; False when it was an :expect that failed. Raises Stop on :quit."""
        try:
            command = commands.parse(self.expand(line), self.role)
            if command is None:
                return True
            if command.verb == "expect":
                return await self.expect(command.arg)
            self.batch = []
            await self.dispatch(command)
        except (UsageError, DomainError, SandboxError, TelegramSandboxError, KeyError) as exc:
            self.say(f"! {exc}", "yellow")
        return True

    async def dispatch(self, c: Command) -> None:
        part = "telegram" if c.verb in CUSTOMER_VERBS else "slack" if c.verb in STAFF_VERBS else None
        if part is not None and self.unavailable(part):
            return
        if c.verb in ("as", "who", "help", "quit"):
            self.local(c)
            return
        gesture = getattr(self, f"_{c.verb}", None)
        settle = await gesture(c.arg) if gesture is not None else True
        if settle:
            await self.settle(self.reply_timeout if c.verb != "look" else 0)

    # Gestures: each does one thing on a platform; True when the console should then show the answers.
    async def _customer(self, text: str) -> bool:
        self.role = "customer"
        self.hands.say(self.customer, text)
        return True

    async def _share(self, _: str) -> bool:
        self.hands.share_phone(self.customer)
        return True

    async def _tap(self, wanted: str) -> bool:
        chat = str(self.customer.telegram_id)
        query = self.hands.press(pick([s for s in self.history if s.audience == chat], wanted))
        await self.settle(self.reply_timeout)
        toast = self.hands.toast(query) if query else None
        if toast:
            self.say(f"  ⚡ {toast}", "bold cyan")
        return False

    async def _campaign(self, segment: str) -> bool:
        self.say(f"⏵ {await self.demo.controls.start_campaign(segment=segment or 'all')}", "bold")
        return True

    async def _staff(self, text: str, thread: str | None = None) -> bool:
        self.role = "staff"
        self.ack(await self.staff_hands.type(self.staff, text, thread))
        return True

    async def _thread(self, text: str) -> bool:
        return await self._staff(text, self.staff_hands.latest_alert_ts())

    async def _digest(self, _: str) -> bool:
        await self._staff(" ".join(DIGEST_COMMAND))
        await self.settle(self.reply_timeout)
        refusal = mrkdwn(self.demo.controls.refusal(DIGEST_COMMAND), {})
        if any(refusal in shown.text for shown in self.batch):
            self.say("not available yet: /crm digest is not in this build's Slack app", "yellow")
        return False

    async def _click(self, wanted: str) -> bool:
        visible = [s for s in self.history if s.side == "staff" and s.audience in (None, self.staff.slack_id)]
        self.ack(await self.staff_hands.press(self.staff, pick(visible, wanted)))
        return True

    async def _submit(self, values: str) -> bool:
        self.ack(await self.staff_hands.submit(self.staff, commands.form_values(values)))
        return True

    async def _cancel(self, _: str) -> bool:
        self.ack(await self.staff_hands.cancel(self.staff))
        return True

    async def _home(self, _: str) -> bool:
        response, view = await self.staff_hands.open_home(self.staff)
        self.ack(response)
        if view is not None:
            self.show([modal(view, self.staff.slack_id, self.watcher.names())])
        return True

    async def _advance(self, duration: str) -> bool:
        advanced = await self.demo.controls.advance(commands.duration(duration))
        self.say(f"⏩ {advanced.describe()}", "bold")
        return True

    def local(self, c: Command) -> None:
        """Commands about the console itself: who you are, help, quitting."""
        if c.verb == "as":
            self.switch(c.arg)
        elif c.verb == "who":
            self.who()
        elif c.verb == "help":
            self.say(commands.HELP, "")
        else:
            raise Stop

    def expand(self, line: str) -> str:
        """{customer_id}, {phone} and {name} stand for the current customer (scripts need not know them)."""
        person = self.customer
        for key, value in (("customer_id", person.customer_id or person.phone), ("phone", person.phone),
                           ("name", person.name)):  # fmt: skip
            line = line.replace("{" + key + "}", value)
        return line

    def unavailable(self, part: str) -> bool:
        why = self.demo.controls.why_not(part)
        if why:
            self.say(f"not available yet: {why}", "yellow")
        return why is not None

    def ack(self, response: AppResponse | None) -> None:
        """What Slack shows the person when the app's ack fails (the app's own answers come as messages)."""
        if response is None or (response.status == 200 and not response.error):
            return
        if response.timed_out:
            self.say("  ⚠ Slack: operation_timeout (the app did not answer within 3 seconds)", "yellow")
        else:
            self.say(f"  ⚠ Slack: {response.error or 'dispatch_failed'} (HTTP {response.status})", "yellow")

    def switch(self, who: str) -> None:
        cast = self.demo.cast
        if who.isdigit() and 1 <= int(who) <= len(cast.customers):
            self.customer, self.role = cast.customers[int(who) - 1], "customer"
        elif staff := next((s for s in cast.staff if s.display_name.lower().startswith(who.lower())), None):
            self.staff, self.role = staff, "staff"
        elif person := next((p for p in cast.customers if p.name.lower().startswith(who.lower())), None):
            self.customer, self.role = person, "customer"
        else:
            raise UsageError(f"nobody called {who!r}; :who lists the cast")
        self.say(
            f"you are now {self.customer.name if self.role == 'customer' else self.staff.display_name}",
            "bold",
        )

    async def expect(self, arg: str) -> bool:
        side, pattern = commands.expectation(arg)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.expect_timeout

        def seen() -> bool:
            return any(pattern.search(s.text) for s in self.batch if side in ("any", s.side))

        while not seen():
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self.watcher.wait_change(remaining):
                self.say(
                    f"✗ expected {side} to see /{pattern.pattern}/ (not within {self.expect_timeout:g} s)",
                    "bold red",
                )
                return False
            self.show(self.watcher.collect())
        self.say(f"✓ {side} saw /{pattern.pattern}/", "green")
        return True

    def prompt(self) -> str:
        name = (
            self.customer.name
            if self.role == "customer"
            else f"{self.staff.display_name}@#{self.demo.cast.channel_name}"
        )
        return f"{self.role} {name}> "
