"""The one gate in front of every Slack listener (SPEC §10).

A Bolt global middleware: each request that asks the bot to do something (a `/crm` subcommand, a
button, a modal's submit, the message shortcut, a message in an alert's thread, the App Home tab) is
named as an action of the permission table (`bot.services.authorization`), the person is looked up
(users.info, the staff user group) and the service decides. A refusal is answered here, in the
person's language, naming the role needed, and no listener runs: nothing else happens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator, translator
from bot.services.authorization import (
    Decision,
    Member,
    Role,
    StaffPolicy,
    as_role,
    decide,
    role_of,
    who_they_are,
)
from bot.services.tickets import ticket_for_thread
from handlers.slack.args import clean_input, first_word
from handlers.slack.blocks import alert, card, coupon, digest, shortcut
from handlers.slack.blocks.common import clip, escape
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import notify_user
from handlers.slack.people import TEAM_LANGUAGE, SlackUser
from handlers.slack.threads import is_staff_thread_reply

log = logging.getLogger(__name__)

Path = Literal["command", "button", "modal", "shortcut", "thread", "home"]

LOOKUP_SECONDS: Final = 2.0
"""users.info and the user group must answer within this, or the ack would miss Slack's 3 s."""
BUTTONS: Final[dict[str, str]] = {
    card.PICK_ACTION: "card.pick",
    card.MERGE_CONFIRM: "merge.confirm",
    card.MERGE_CANCEL: "merge.cancel",
    coupon.USE: "coupon.use",
    coupon.VOID: "coupon.void",
    alert.REPLY: "alert.reply",
    alert.ASSIGN: "alert.assign",
    alert.CONTACTED: "alert.contacted",
    alert.SNOOZE: "alert.snooze",
    alert.RESOLVE: "alert.resolve",
    digest.ASSIGN: "digest.assign",
    digest.CONTACTED: "digest.contacted",
    digest.SNOOZE: "digest.snooze",
    digest.WINBACK: "digest.winback",
    digest.SEE_ALL: "digest.see_all",
}
VIEWS: Final[dict[str, str]] = {
    alert.REPLY_VIEW: "alert.reply",
    alert.SNOOZE_VIEW: "alert.snooze",
    shortcut.VIEW: "shortcut.log",
}
SHORTCUTS: Final[dict[str, str]] = {shortcut.CALLBACK: "shortcut.log"}
SEGMENT_PREFIX: Final = "segment:"
ROLE_KEY: Final = "staff_role"
"""Where an allowed request's role (staff or admin) waits in Bolt's context for its listener."""


@dataclass(frozen=True)
class Asked:
    """A request that asks the bot to act, as the permission table names it."""

    path: Path
    action: str
    user_id: str
    what: str = ""
    """How the refusal names it (`/crm merge`, a button's label); empty: by its path."""
    channel: str | None = None
    thread_ts: str | None = None


def crm_action(text: str) -> tuple[str, str]:
    """The action a `/crm` text asks for, and the command as typed (`/crm survey`)."""
    word, args = first_word(clean_input(text))
    if not word:
        return "crm.help", "/crm"
    if word == "survey" and args.lower().startswith(SEGMENT_PREFIX):
        return "crm.survey_segment", "/crm survey segment:"
    return f"crm.{word}", f"/crm {clip(word, 30)}"


def ask_of(body: dict[str, Any]) -> Asked | None:
    """What an interactive payload or slash command asks (None: nothing the bot acts on)."""
    user = body.get("user")
    user_id = str(user.get("id") if isinstance(user, dict) else body.get("user_id") or "")
    if not user_id:
        return None
    if "command" in body:
        action, what = crm_action(str(body.get("text") or ""))
        return Asked("command", action, user_id, what, str(body.get("channel_id") or "") or None)
    kind = body.get("type")
    channel = (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else None
    if kind == "block_actions":
        first = (body.get("actions") or [{}])[0]
        action_id = str(first.get("action_id") or "")
        label = str((first.get("text") or {}).get("text") or "")
        return Asked("button", BUTTONS.get(action_id, f"button.{action_id}"), user_id, label, channel)
    if kind == "view_submission":
        view = body.get("view") or {}
        callback = str(view.get("callback_id") or "")
        return Asked("modal", VIEWS.get(callback, f"view.{callback}"), user_id)
    if kind in ("message_action", "shortcut"):
        callback = str(body.get("callback_id") or "")
        return Asked("shortcut", SHORTCUTS.get(callback, f"shortcut.{callback}"), user_id, "", channel)
    return None


def _payload_user_team(body: dict[str, Any]) -> str | None:
    user, event = body.get("user"), body.get("event")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    if isinstance(event, dict) and event.get("user_team"):
        return str(event["user_team"])
    return None


class Gatekeeper(AsyncMiddleware):
    """Decides every request before its listener; refuses on the request's own path."""

    def __init__(self, deps: SlackDeps) -> None:
        self.deps = deps

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        asked = await self.classify(req.body)
        if asked is None:
            return await next()
        user, decision = await self.decide(req, asked)
        if decision.allowed:
            req.context[ROLE_KEY] = decision.role  # listeners with a rule of their own read it
            return await next()
        log.info("slack: refused %s to %s (%s)", decision.action, asked.user_id, decision.refusal)
        language = user.person.language if user is not None and user.found else TEAM_LANGUAGE
        return await self.refuse(req, asked, decision, translator(language))

    async def classify(self, body: dict[str, Any]) -> Asked | None:
        """Slash commands and interactions by their payload; of the events, App Home and a person's
        message in an alert's thread (other messages are not something the bot acts on)."""
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, dict):
            return ask_of(body)
        if event.get("type") == "app_home_opened" and event.get("tab", "home") == "home":
            return Asked("home", "home.open", str(event.get("user") or ""))
        if event.get("type") == "message" and is_staff_thread_reply(event):
            channel, thread_ts = str(event.get("channel") or ""), str(event["thread_ts"])
            ctx = self.deps.ctx
            if await ctx.call(ticket_for_thread, channel, thread_ts) is None:
                return None
            return Asked("thread", "thread.message", str(event["user"]), "", channel, thread_ts)
        return None

    async def decide(self, req: AsyncBoltRequest, asked: Asked) -> tuple[SlackUser | None, Decision]:
        client = req.context.client
        settings = self.deps.settings
        installed = req.context.authorize_result.team_id if req.context.authorize_result else None
        user: SlackUser | None = None
        with_timeout = asyncio.timeout(LOOKUP_SECONDS)
        try:
            async with with_timeout:
                user = await self.deps.people.lookup(client, asked.user_id)
        except TimeoutError:
            log.warning("users.info for %s took over %gs: not verified", asked.user_id, LOOKUP_SECONDS)
        policy = StaffPolicy(
            home_team_id=installed or "",
            admin_ids=settings.admin_user_ids,
            staff_ids=settings.staff_user_ids,
            group_set=settings.slack_staff_group is not None,
        )
        member: Member | None = None
        if user is not None and installed:
            member = user.member(req.context.team_id, _payload_user_team(req.body))
            if policy.group_set and who_they_are(member, policy) is None and role_of(member, policy) is None:
                policy = await self._with_group(client, policy)
        return user, decide(member, asked.action, policy)

    async def _with_group(self, client: AsyncWebClient, policy: StaffPolicy) -> StaffPolicy:
        try:
            async with asyncio.timeout(LOOKUP_SECONDS):
                members = await self.deps.staff_group.members(client)
        except TimeoutError:
            log.warning("the staff user group took over %gs to list", LOOKUP_SECONDS)
            return policy
        return StaffPolicy(policy.home_team_id, policy.admin_ids, policy.staff_ids, policy.group_set, members)

    async def refuse(
        self, req: AsyncBoltRequest, asked: Asked, decision: Decision, t: Translator
    ) -> BoltResponse:
        text = refusal_text(t, decision, asked)
        ack = req.context.ack
        client = req.context.client
        if asked.path == "command":
            return await ack(text=text, response_type="ephemeral")
        if asked.path == "modal":
            view = req.body.get("view") or {}
            return await ack(response_action="update", view=refused_modal(t, view, text))
        respond = req.context.respond

        async def tell() -> None:
            if asked.path == "home":
                await client.views_publish(user_id=asked.user_id, view=refused_home(text))
            elif asked.path in ("button", "shortcut") and respond is not None:
                await respond(text=text, response_type="ephemeral", replace_original=False)
            else:
                await notify_user(client, asked.user_id, asked.channel, text, thread_ts=asked.thread_ts)

        self.deps.background.spawn(tell(), name=f"refuse-{asked.path}", urgent=True)
        return await ack()


def refusal_text(t: Translator, decision: Decision, asked: Asked) -> str:
    """One line naming what was asked and the role it needs, one saying why this person may not."""
    role = t.format(f"slack.access.role.{decision.needed}")
    if asked.what:
        what = f"`{escape(asked.what)}`" if asked.path == "command" else f"“{escape(asked.what)}”"
    else:
        what = t.format(f"slack.access.what.{asked.path}")
    needs = t.format("slack.access.needs", what=what, role=role)
    return needs + " " + t.format(f"slack.access.refused.{decision.refusal}")


def refused_modal(t: Translator, view: dict[str, Any], text: str) -> dict[str, Any]:
    """The modal turned into the refusal: no inputs, no submit, the same title."""
    title = view.get("title") or {"type": "plain_text", "text": "retention-bot"}
    return {
        "type": "modal",
        "title": title,
        "close": {"type": "plain_text", "text": t.format("slack.access.close")},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def refused_home(text: str) -> dict[str, Any]:
    """The Home tab of someone who may not see the bot's data: the refusal only."""
    return {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def role_in(context: dict[str, Any]) -> Role | None:
    """The role the gate settled for this request (None if it never passed the gate)."""
    return as_role(context.get(ROLE_KEY))
