"""Who a Slack user is (users.info) and who is in the staff user group (usergroups.users.list),
each asked of Slack and remembered briefly: long enough that a burst of clicks costs one call, short
enough that a guest, a deactivation or a change of the group counts within a minute."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.authorization import Member
from handlers.slack.notify import api_error

log = logging.getLogger(__name__)

TEAM_LANGUAGE: Final = "en"
"""Messages many people read (alerts in the team channel) are in English."""
TRUST_SECONDS: Final = 60.0
"""How long a users.info or user-group answer stands for a role decision."""


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    language: str


def language_from_slack_locale(locale: str | None) -> str:
    """English, unless the person's Slack runs in Chinese (zh-CN → Simplified, zh-TW → Traditional)."""
    tag = (locale or "").lower().replace("_", "-")
    if tag in ("zh-tw", "zh-hk", "zh-mo") or tag.startswith("zh-hant"):
        return "zh-Hant"
    if tag.startswith("zh"):
        return "zh-Hans"
    return "en"


@dataclass(frozen=True)
class SlackUser:
    """What users.info said about someone: their name and language, and the facts roles rest on."""

    person: Person
    team_id: str | None = None
    deleted: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    is_stranger: bool = False
    found: bool = True

    def member(self, request_team_id: str | None, payload_team_id: str | None) -> Member:
        """As the authorization service sees them; a payload naming another team than users.info
        does (a shared channel) counts as that other team."""
        team = self.team_id
        if payload_team_id and team and payload_team_id != team:
            team = payload_team_id
        return Member(
            user_id=self.person.user_id,
            team_id=team or payload_team_id,
            request_team_id=request_team_id,
            deleted=self.deleted,
            is_restricted=self.is_restricted,
            is_ultra_restricted=self.is_ultra_restricted,
            is_bot=self.is_bot,
            is_stranger=self.is_stranger,
            found=self.found,
        )


def _user_from(user_id: str, user: dict[str, Any]) -> SlackUser:
    profile: dict[str, Any] = user.get("profile") or {}
    name = str(profile.get("display_name") or user.get("real_name") or user.get("name") or user_id)
    return SlackUser(
        person=Person(user_id, name, language_from_slack_locale(user.get("locale"))),
        team_id=user.get("team_id") or profile.get("team"),
        deleted=bool(user.get("deleted")),
        is_restricted=bool(user.get("is_restricted")),
        is_ultra_restricted=bool(user.get("is_ultra_restricted")),
        is_bot=bool(user.get("is_bot")) or bool(user.get("is_app_user")),
        is_stranger=bool(user.get("is_stranger")),
    )


@dataclass
class People:
    """Slack users as users.info describes them, asked once a minute at most per user."""

    now: Callable[[], float] = time.monotonic
    trust_seconds: float = TRUST_SECONDS
    _known: dict[str, tuple[float, SlackUser]] = field(default_factory=dict)

    def peek(self, user_id: str) -> Person | None:
        """The person if already known (no API call: for answers due within the ack)."""
        known = self._known.get(user_id)
        return known[1].person if known else None

    async def get(self, client: AsyncWebClient, user_id: str) -> Person:
        """Name and language (an older answer will do); the id and English when Slack cannot say."""
        known = self._known.get(user_id)
        if known is not None:
            return known[1].person
        user = await self.lookup(client, user_id)
        return user.person if user else Person(user_id, user_id, TEAM_LANGUAGE)

    async def lookup(self, client: AsyncWebClient, user_id: str) -> SlackUser | None:
        """users.info, at most `trust_seconds` old; None when Slack could not be asked (unreachable,
        a missing scope): a role cannot be decided on nothing."""
        known = self._known.get(user_id)
        if known is not None and self.now() - known[0] < self.trust_seconds:
            return known[1]
        try:
            info = await client.users_info(user=user_id, include_locale=True)
            user = _user_from(user_id, info.get("user") or {})
        except SlackApiError as exc:
            error = api_error(exc)
            if error != "user_not_found":
                log.warning("users.info for %s failed: %s", user_id, error)
                return None
            user = SlackUser(Person(user_id, user_id, TEAM_LANGUAGE), found=False)
        except (aiohttp.ClientError, TimeoutError) as exc:  # Slack unreachable: not remembered
            log.warning("users.info for %s failed: %s", user_id, type(exc).__name__)
            return None
        self._known[user_id] = (self.now(), user)
        return user


@dataclass
class StaffGroup:
    """The members of SLACK_STAFF_GROUP (an id `S…`, or a handle such as `@shop-staff`)."""

    ref: str | None
    now: Callable[[], float] = time.monotonic
    trust_seconds: float = TRUST_SECONDS
    _group_id: str | None = None
    _members: frozenset[str] = frozenset()
    _read_at: float | None = None

    async def members(self, client: AsyncWebClient) -> frozenset[str]:
        """Who is in the group now (asked at most once per `trust_seconds`). When Slack cannot say,
        the last answer stands; with none yet, nobody is in it."""
        if self.ref is None:
            return frozenset()
        if self._read_at is not None and self.now() - self._read_at < self.trust_seconds:
            return self._members
        try:
            group_id = self._group_id or await self._resolve(client)
            if group_id is None:
                log.error("SLACK_STAFF_GROUP %r is not a user group of this workspace", self.ref)
                self._read_at = self.now()
                return self._members
            answer = await client.usergroups_users_list(usergroup=group_id)
            self._group_id, self._members = group_id, frozenset(str(u) for u in answer.get("users") or [])
        except SlackApiError as exc:
            error = api_error(exc)
            hint = " (reinstall the app with the usergroups:read scope)" if error == "missing_scope" else ""
            log.error("usergroups.users.list for %s failed: %s%s", self.ref, error, hint)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("usergroups.users.list for %s failed: %s", self.ref, type(exc).__name__)
            return self._members
        self._read_at = self.now()
        return self._members

    async def _resolve(self, client: AsyncWebClient) -> str | None:
        """The group's id: the setting itself when it is one, else the group with that handle."""
        ref = self.ref or ""
        if ref.startswith("S") and ref[1:].isalnum() and ref.isupper():
            return ref
        handle = ref.removeprefix("@").lower()
        answer = await client.usergroups_list()
        for group in answer.get("usergroups") or []:
            if str(group.get("handle", "")).lower() == handle:
                return str(group["id"])
        return None
