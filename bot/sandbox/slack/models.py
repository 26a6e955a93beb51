"""The workspace itself (team, app, people, channels), each rendering itself in Slack's JSON shape."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

JSON = dict[str, Any]


class SandboxError(Exception):
    """A driver request no real Slack client could make (a button that is not there, an unknown view…)."""


@dataclass
class Workspace:
    """Identity of the team and of the one installed app (its bot user, token and secrets)."""

    team_id: str = "T0SANDBOX1"
    team_name: str = "Sandbox"
    domain: str = "sandbox"
    bot_token: str = "xoxb-sandbox-token"
    bot_user_id: str = "U0SANDBOT1"
    bot_id: str = "B0SANDBOT1"
    app_id: str = "A0SANDAPP1"
    bot_name: str = "retention-bot"
    signing_secret: str = "sandbox-signing-secret"
    verification_token: str = "sandbox-verification-token"
    app_url: str | None = None
    scopes: tuple[str, ...] = (
        "app_mentions:read", "channels:history", "channels:read", "chat:write", "commands", "files:read",
        "files:write", "groups:history", "groups:read", "im:history", "im:read", "im:write",
        "usergroups:read", "users:read", "users:read.email",
    )  # fmt: skip

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"


@dataclass
class User:
    id: str
    name: str
    real_name: str
    display_name: str = ""
    tz: str = "UTC"
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    email: str | None = None
    deleted: bool = False
    is_restricted: bool = False
    """A guest: a multi-channel guest has only this; a single-channel guest has both flags."""
    is_ultra_restricted: bool = False
    team_id: str | None = None
    """The person's own workspace; None is this one. Someone from another workspace in a shared
    channel has theirs (users.info says so, and so do the payloads of what they do)."""
    listed: bool = True
    """False: users.info answers `user_not_found`, as for a user Slack will not describe to this
    workspace (a stranger)."""
    locale: str = "en-US"
    updated: int = field(default_factory=lambda: int(time.time()))

    def team(self, ws: Workspace) -> str:
        return self.team_id or ws.team_id

    def to_json(self, ws: Workspace) -> JSON:
        zone = ZoneInfo(self.tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        profile: JSON = {
            "title": "",
            "phone": "",
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": "g" + self.id[-11:].lower(),
            "image_48": f"https://avatars.example/{self.id}_48.png",
            "image_72": f"https://avatars.example/{self.id}_72.png",
            "team": self.team(ws),
        }
        if self.email is not None:
            profile["email"] = self.email
        if self.is_bot:
            profile.update(bot_id=ws.bot_id, api_app_id=ws.app_id, always_active=True)
        return {
            "id": self.id,
            "team_id": self.team(ws),
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": now.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted or self.is_ultra_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    members: set[str] = field(default_factory=set)
    bot_member: bool = True
    im_user: str | None = None
    is_archived: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def channel_type(self) -> str:
        """The `channel_type` that message events carry."""
        if self.is_im:
            return "im"
        return "group" if self.is_private else "channel"

    def to_json(self, ws: Workspace) -> JSON:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_member": self.bot_member,
            "created": self.created,
            "creator": ws.bot_user_id,
            "num_members": len(self.members) + int(self.bot_member),
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


@dataclass
class UserGroup:
    """A user group (`@handle`), as usergroups.list shows it."""

    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    disabled: bool = False
    created: int = field(default_factory=lambda: int(time.time()))

    def to_json(self, ws: Workspace, *, include_users: bool = False) -> JSON:
        out: JSON = {
            "id": self.id,
            "team_id": ws.team_id,
            "is_usergroup": True,
            "name": self.name,
            "description": "",
            "handle": self.handle,
            "is_external": False,
            "date_create": self.created,
            "date_update": self.created,
            "date_delete": self.created if self.disabled else 0,
            "auto_type": None,
            "created_by": ws.bot_user_id,
            "updated_by": ws.bot_user_id,
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }
        if include_users:
            out["users"] = list(self.users)
        return out
