"""usergroups.list and usergroups.users.list: who is in a user group (scope usergroups:read)."""

from __future__ import annotations

from bot.sandbox.slack.methods import ApiError, Args, CallContext, Handler
from bot.sandbox.slack.models import JSON


def usergroups_list(args: Args, ctx: CallContext) -> JSON:
    """Every group of the team (disabled ones only with include_disabled), members with include_users."""
    state = ctx.state
    with state.locked():
        groups = [
            g.to_json(state.ws, include_users=args.flag("include_users"))
            for g in state.usergroups.values()
            if args.flag("include_disabled") or not g.disabled
        ]
    return {"usergroups": groups}


def usergroups_users_list(args: Args, ctx: CallContext) -> JSON:
    """The member ids of one group; a disabled group counts as missing unless include_disabled."""
    state = ctx.state
    group = state.usergroups.get(args.text("usergroup") or "")
    if group is None or (group.disabled and not args.flag("include_disabled")):
        raise ApiError("no_such_subteam")
    with state.locked():
        return {"users": list(group.users)}


METHODS: dict[str, Handler] = {
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
}
