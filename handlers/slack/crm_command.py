"""`/crm`: one slash command whose subcommands feature modules register explicitly, each with
its usage line (which `/crm help` lists). The listener acks at once; the work runs after."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator
from bot.services.authorization import Role
from handlers.slack.access import role_in
from handlers.slack.args import clean_input, first_word
from handlers.slack.blocks.common import Block, escape
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.people import Person
from handlers.slack.replies import answering
from storage.models import StaffMember

COMMAND = "/crm"


@dataclass
class CrmCall:
    """One `/crm` invocation, as the subcommand sees it."""

    deps: SlackDeps
    client: AsyncWebClient
    respond: AsyncRespond
    person: Person
    t: Translator
    args: str
    channel_id: str
    trigger_id: str
    role: Role | None = None
    """Staff or admin, as the gate decided for this request (handlers/slack/access.py)."""

    @property
    def actor(self) -> str:
        return actor(self.person.user_id)

    async def reply(self, text: str, blocks: list[Block] | None = None) -> None:
        """An ephemeral answer to the person who typed the command."""
        await self.respond(text=text, blocks=blocks, response_type="ephemeral")

    async def staff(self) -> StaffMember:
        return await self.deps.staff(self.person)


Run = Callable[[CrmCall], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    """msgid of the usage line: the syntax and what it does."""
    run: Run


class Crm:
    """The subcommand registry and the `/crm` listener."""

    def __init__(self, deps: SlackDeps) -> None:
        self.deps = deps
        self._subcommands: dict[str, Subcommand] = {}

    def add(self, name: str, usage: str, run: Run) -> None:
        if name in self._subcommands:
            raise ValueError(f"/crm {name} is registered twice")
        self._subcommands[name] = Subcommand(name, usage, run)

    @property
    def names(self) -> list[str]:
        return list(self._subcommands)

    def usage(self, name: str, t: Translator) -> str:
        return t.format("slack.usage", line=t.format(self._subcommands[name].usage))

    def help_text(self, t: Translator) -> str:
        lines = [t.format(sub.usage) for sub in self._subcommands.values()]
        return "\n".join([t.format("slack.help.header"), *(f"• {line}" for line in lines)])

    async def listener(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        role = role_in(context)
        self.deps.background.spawn(self._dispatch(command, respond, client, role), name="crm")

    async def _dispatch(
        self, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, role: Role | None
    ) -> None:
        person, t = await self.deps.person(client, str(command["user_id"]))
        name, args = first_word(clean_input(str(command.get("text") or "")))
        call = CrmCall(
            deps=self.deps,
            client=client,
            respond=respond,
            person=person,
            t=t,
            args=args,
            channel_id=str(command.get("channel_id") or ""),
            trigger_id=str(command.get("trigger_id") or ""),
            role=role,
        )
        subcommand = self._subcommands.get(name)
        if subcommand is None:
            unknown = t.format("slack.help.unknown", word=escape(name[:50])) + "\n" if name else ""
            await call.reply(unknown + self.help_text(t))
            return
        await answering(
            call.reply,
            t,
            subcommand.run(call),
            what=f"/crm {name}",
            usage=lambda: self.usage(name, t),
        )


def register(app: AsyncApp, deps: SlackDeps) -> Crm:
    crm = Crm(deps)

    async def show_help(call: CrmCall) -> None:
        await call.reply(crm.help_text(call.t))

    crm.add("help", "slack.usage.help", show_help)
    app.command(COMMAND)(crm.listener)
    return crm
