"""The handle tests and the playground hold: set up the workspace, act as people, read what the app did."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, TypeVar

from bot.sandbox.slack.actions import Actions
from bot.sandbox.slack.models import JSON, Channel, SandboxError, User, UserGroup
from bot.sandbox.slack.rate_limit import RateLimiter
from bot.sandbox.slack.state import Delay, SandboxState

T = TypeVar("T")


class SlackDriver(Actions):
    """Workspace setup and reading on top of `Actions` (commands, buttons, modals, events)."""

    def __init__(
        self,
        state: SandboxState,
        base_url: str,
        limiter: RateLimiter,
        ack_timeout: float = 3.0,
        event_retries: Sequence[float] = (),
    ) -> None:
        super().__init__(state, base_url, ack_timeout, event_retries)
        self._limiter = limiter
        self._cursors: dict[tuple[object, ...], int] = {}

    # --- workspace ---------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        is_admin: bool = False,
        tz: str = "UTC",
        email: str | None = None,
        user_id: str | None = None,
        channels: Iterable[str] = (),
        guest: Literal["multi", "single"] | None = None,
        team_id: str | None = None,
        listed: bool = True,
        deleted: bool = False,
        locale: str = "en-US",
    ) -> str:
        """Add a person (and join them to `channels`); returns their user id.

        `guest` makes a multi- or single-channel guest; `team_id` someone from another workspace
        (in a shared channel); `listed=False` someone users.info will not describe (a stranger);
        `deleted` a deactivated account."""
        state = self.state
        user = User(
            id=user_id or state.new_id("U" if team_id is None else "W"),
            name=name,
            real_name=real_name or name.title(),
            display_name=display_name if display_name is not None else name,
            tz=tz,
            is_admin=is_admin,
            email=email,
            is_restricted=guest is not None,
            is_ultra_restricted=guest == "single",
            team_id=team_id,
            listed=listed,
            deleted=deleted,
            locale=locale,
        )
        with state.locked():
            state.users[user.id] = user
            state.touch()
        for channel in channels:
            self.join(channel, user.id)
        return user.id

    def add_channel(
        self,
        name: str,
        *,
        members: Iterable[str] = (),
        is_private: bool = False,
        bot_member: bool = True,
        channel_id: str | None = None,
    ) -> str:
        """Create a channel (the app's bot is in it unless `bot_member=False`); returns its id."""
        state = self.state
        channel = Channel(
            id=channel_id or state.new_id("C"),
            name=name.removeprefix("#"),
            is_private=is_private,
            members=set(members),
            bot_member=bot_member,
        )
        unknown = channel.members - state.users.keys()
        if unknown:
            raise SandboxError(f"unknown users {sorted(unknown)}")
        with state.locked():
            state.channels[channel.id] = channel
            state.messages[channel.id] = []
            state.touch()
        return channel.id

    def deactivate(self, user: str) -> None:
        """An admin deactivates the account (users.info then says `deleted`)."""
        with self.state.locked():
            self.state.users[self._user(user)].deleted = True
            self.state.touch()

    def add_usergroup(self, handle: str, members: Iterable[str] = (), *, name: str | None = None) -> str:
        """A user group `@handle` with these members; returns its id (S…)."""
        state = self.state
        group = UserGroup(id=state.new_id("S"), handle=handle.removeprefix("@"), name=name or handle.title())
        with state.locked():
            state.usergroups[group.id] = group
            state.touch()
        self.set_usergroup_members(group.id, members)
        return group.id

    def set_usergroup_members(self, group_id: str, members: Iterable[str]) -> None:
        state = self.state
        users = [self._user(member) for member in members]
        with state.locked():
            state.usergroups[group_id].users = users
            state.touch()

    def join(self, channel: str, user: str) -> None:
        target = self.state.find_channel(channel)
        if target is None or user not in self.state.users:
            raise SandboxError(f"cannot add {user!r} to {channel!r}")
        with self.state.locked():
            if user == self.state.ws.bot_user_id:
                target.bot_member = True
            else:
                target.members.add(user)
            self.state.touch()

    def remove(self, channel: str, user: str) -> None:
        """Take `user` (or the app's bot user: /kick @app) out of `channel`."""
        target = self.state.find_channel(channel)
        if target is None or user not in self.state.users:
            raise SandboxError(f"cannot remove {user!r} from {channel!r}")
        with self.state.locked():
            if user == self.state.ws.bot_user_id:
                target.bot_member = False
            else:
                target.members.discard(user)
            self.state.touch()

    def dm_channel(self, user: str) -> str:
        """The app's DM channel id with `user` (the Messages tab), opening it if needed."""
        return self.state.dm_channel(self._user(user)).id

    def connect_app(self, url: str, *, signing_secret: str | None = None) -> None:
        """Point the app's Request URL (commands, interactivity, events) at `url`."""
        with self.state.locked():
            self.state.ws.app_url = url
            if signing_secret is not None:
                self.state.ws.signing_secret = signing_secret
            self.state.touch()

    def set_rate_limit(self, method: str, per_minute: int) -> None:
        self._limiter.set_limit(method, per_minute)

    def set_delay(self, method: str, seconds: float, *, acts_first: bool = True) -> None:
        """Make `method` answer `seconds` late (0 makes it prompt again); see `Delay.acts_first`."""
        with self.state.locked():
            if seconds > 0:
                self.state.delays[method] = Delay(seconds, acts_first)
            else:
                self.state.delays.pop(method, None)

    def advance_clock(self, seconds: float) -> None:
        """Age triggers, response_urls and rate windows without sleeping."""
        self.state.advance(seconds)

    # --- reading -----------------------------------------------------------------------
    def messages(self, channel: str, *, thread_ts: str | None = None) -> list[JSON]:
        """Top-level messages oldest first, or with `thread_ts` the thread (parent first), edits applied."""
        state = self.state
        target = state.find_channel(channel)
        if target is None:
            raise SandboxError(f"no channel {channel!r}")
        with state.locked():
            found = state.messages.get(target.id, [])
            if thread_ts is None:
                chosen = [
                    m for m in found
                    if m.thread_ts in (None, m.ts) or m.extra.get("subtype") == "thread_broadcast"
                ]  # fmt: skip
            else:
                chosen = [m for m in found if m.ts == thread_ts or m.thread_ts == thread_ts]
            return [state.message_json(m) | {"channel": target.id} for m in chosen]

    def message(self, channel: str, ts: str) -> JSON:
        target = self.state.find_channel(channel)
        found = self.state.find_message(target.id, ts) if target else None
        if found is None:
            raise SandboxError(f"no message {ts} in {channel}")
        return self.state.message_json(found) | {"channel": found.channel}

    def api_calls(self, method: str | None = None) -> list[tuple[str, str | None]]:
        """The app's Web API calls so far (of `method`): (method, Slack's error, or None if it was ok)."""
        with self.state.locked():
            return [call for call in self.state.api_calls if method is None or call[0] == method]

    def ephemerals(self, *, user: str | None = None, channel: str | None = None) -> list[JSON]:
        """Ephemeral messages still visible (not deleted), oldest first."""
        with self.state.locked():
            return [
                e.to_json()
                for e in self.state.ephemerals
                if not e.deleted and user in (None, e.user) and channel in (None, e.channel)
            ]

    def home_view(self, user: str) -> JSON | None:
        view = self.state.views.get(self.state.home_views.get(user, ""))
        return view.to_json(self.state.ws) if view else None

    def open_modals(self, user: str) -> list[JSON]:
        """The user's modal stack, bottom first; the last one is on screen."""
        with self.state.locked():
            stack = self.state.modal_stacks.get(user, [])
            return [self.view(v) for v in stack]

    def top_modal(self, user: str) -> JSON | None:
        """The modal on the user's screen, if any (handy with `wait_for`)."""
        stack = self.open_modals(user)
        return stack[-1] if stack else None

    def view(self, view_id: str) -> JSON:
        view = self.state.views.get(view_id)
        if view is None:
            raise SandboxError(f"no view {view_id}")
        return view.to_json(self.state.ws) | {"errors": dict(view.errors), "closed": view.closed}

    def file_content(self, file_id: str) -> bytes:
        file = self.state.files.get(file_id)
        if file is None or file.content is None:
            raise SandboxError(f"no uploaded file {file_id}")
        return file.content

    # --- waiting -----------------------------------------------------------------------
    async def wait_for(
        self, check: Callable[[], T | None], *, within: float = 2.0, what: str = "change"
    ) -> T:
        """Re-run `check` on every sandbox change until it returns something other than None."""
        return await self.state.wait_until(check, within, what)

    async def next_message(
        self, channel: str, *, thread_ts: str | None = None, from_app: bool = True, within: float = 2.0
    ) -> JSON:
        """The next message (by default the app's) in the channel or one thread, never returned before."""
        target = self.state.find_channel(channel)
        if target is None:
            raise SandboxError(f"no channel {channel!r}")
        key = ("message", target.id, thread_ts, from_app)

        def check() -> JSON | None:
            seen = self._cursors.get(key, 0)
            for m in self.state.messages.get(target.id, []):
                in_scope = thread_ts is None or thread_ts in (m.ts, m.thread_ts)
                if m.seq > seen and in_scope and (not from_app or m.bot_id == self.state.ws.bot_id):
                    self._cursors[key] = m.seq
                    return self.state.message_json(m) | {"channel": target.id}
            return None

        return await self.wait_for(check, within=within, what=f"new message in {target.id}")

    async def next_ephemeral(self, user: str, *, within: float = 2.0) -> JSON:
        """The next ephemeral message shown to `user`, not returned before."""
        key = ("ephemeral", user)

        def check() -> JSON | None:
            seen = self._cursors.get(key, 0)
            for e in self.state.ephemerals:
                if e.seq > seen and e.user == user and not e.deleted:
                    self._cursors[key] = e.seq
                    return e.to_json()
            return None

        return await self.wait_for(check, within=within, what=f"ephemeral for {user}")
