"""Who may do what (SPEC §10): the permission table, and the one decision every staff request goes through.

Pure rules over plain facts: the Slack adapter gathers the facts (users.info, the staff user group,
the request's team) and asks `decide` before any listener runs; services that have a rule of their
own about roles (the purchase cap, point adjustments) ask `may` with the role it settled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from bot.services.errors import NotAllowed

Role = Literal["staff", "admin"]
Refusal = Literal[
    "unverified", "other_team", "stranger", "deactivated", "guest", "bot", "not_staff", "not_admin"
]

STAFF: Final = "staff"
ADMIN: Final = "admin"

PERMISSIONS: Final[Mapping[str, Role]] = {
    # /crm subcommands
    "crm.help": STAFF,
    "crm.find": STAFF,
    "crm.log": STAFF,
    "crm.purchase": STAFF,  # above rules.max_staff_purchase: "purchase.over_cap"
    "crm.atrisk": STAFF,
    "crm.nps": STAFF,
    "crm.digest": STAFF,
    "crm.faq": STAFF,
    "crm.coupon": STAFF,  # check a coupon
    "crm.qr": STAFF,  # the counter poster: no personal data, and staff stand at the counter
    "crm.survey": STAFF,  # one customer
    "crm.points": ADMIN,
    "crm.refund": ADMIN,
    "crm.merge": ADMIN,
    "crm.link": ADMIN,
    "crm.survey_segment": ADMIN,
    "crm.winback": ADMIN,
    "purchase.over_cap": ADMIN,
    # buttons, modals, shortcut, thread, App Home
    "card.pick": STAFF,
    "coupon.use": STAFF,  # Mark used
    "coupon.void": ADMIN,  # Void: never drawn for staff, and refused here when forged
    "merge.confirm": ADMIN,
    "merge.cancel": ADMIN,
    "alert.reply": STAFF,
    "alert.assign": STAFF,
    "alert.contacted": STAFF,
    "alert.snooze": STAFF,
    "alert.resolve": STAFF,
    "digest.assign": STAFF,
    "digest.contacted": STAFF,
    "digest.snooze": STAFF,
    "digest.winback": STAFF,
    "digest.see_all": STAFF,
    "shortcut.log": STAFF,
    "thread.message": STAFF,
    "home.open": STAFF,
}
"""Every action a person can take in Slack and the least role it needs. Anything not listed needs
staff: a listener someone forgets to list is closed to guests and strangers, never open."""


def required_role(action: str) -> Role:
    return PERMISSIONS.get(action, STAFF)


@dataclass(frozen=True)
class Member:
    """What Slack says about the person acting (users.info) and about the request."""

    user_id: str
    team_id: str | None
    """The person's own workspace (users.info `team_id`, or the payload's user team)."""
    request_team_id: str | None
    """The workspace the request is for (the payload's team)."""
    deleted: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    is_stranger: bool = False
    found: bool = True
    """False when users.info does not know them here (`user_not_found`)."""


@dataclass(frozen=True)
class StaffPolicy:
    """SLACK_ADMIN_USER_IDS, SLACK_STAFF_USER_IDS and the members of SLACK_STAFF_GROUP."""

    home_team_id: str
    admin_ids: frozenset[str] = frozenset()
    staff_ids: frozenset[str] = frozenset()
    group_set: bool = False
    group_members: frozenset[str] = frozenset()

    @property
    def everyone_is_staff(self) -> bool:
        """With neither staff setting, every full member of the workspace is staff."""
        return not self.staff_ids and not self.group_set


@dataclass(frozen=True)
class Decision:
    action: str
    needed: Role
    role: Role | None
    """The role the person holds (None: none, or refused before roles were looked at)."""
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def who_they_are(member: Member | None, policy: StaffPolicy) -> Refusal | None:
    """Why this person cannot act in this workspace at all, whatever the action (None: they can)."""
    if member is None:
        return "unverified"
    if member.request_team_id not in (None, policy.home_team_id):
        return "other_team"
    if member.team_id not in (None, policy.home_team_id):
        return "other_team"  # known by their team even when users.info will not describe them
    if not member.found or member.is_stranger:
        return "stranger"
    if member.deleted:
        return "deactivated"
    if member.is_restricted or member.is_ultra_restricted:
        return "guest"
    if member.is_bot:
        return "bot"
    return None


def role_of(member: Member, policy: StaffPolicy) -> Role | None:
    """The role of a full member: admin, staff, or none."""
    if member.user_id in policy.admin_ids:
        return ADMIN
    listed = member.user_id in policy.staff_ids or member.user_id in policy.group_members
    if policy.everyone_is_staff or listed:
        return STAFF
    return None


def decide(member: Member | None, action: str, policy: StaffPolicy) -> Decision:
    """May this person do `action`? Identity first (guests, other teams, strangers, the deactivated
    are refused whatever they ask), then the role the permission table asks for."""
    needed = required_role(action)
    refusal = who_they_are(member, policy)
    if refusal is not None or member is None:
        return Decision(action, needed, None, refusal or "unverified")
    role = role_of(member, policy)
    if role is None:
        return Decision(action, needed, None, "not_staff")
    if needed == ADMIN and role != ADMIN:
        return Decision(action, needed, role, "not_admin")
    return Decision(action, needed, role)


class RoleRequired(NotAllowed):
    """A role rule inside a service refused: the message names the role needed."""

    def __init__(self, needed: Role, detail: str) -> None:
        super().__init__(detail)
        self.needed = needed


def as_role(value: str | None) -> Role | None:
    """A stored role name (`StaffMember.role`) as a Role."""
    return ADMIN if value == ADMIN else STAFF if value == STAFF else None


def may(role: Role | None, action: str) -> bool:
    needed = required_role(action)
    return role == ADMIN or (needed == STAFF and role == STAFF)


def check_staff_purchase(role: Role | None, amount: Decimal, cap: Decimal) -> None:
    """A staff purchase above the rules file's `max_staff_purchase` needs an admin."""
    if amount > cap and not may(role, "purchase.over_cap"):
        raise PurchaseOverCap(amount, cap)


class PurchaseOverCap(RoleRequired):
    def __init__(self, amount: Decimal, cap: Decimal) -> None:
        super().__init__(ADMIN, f"a purchase of {amount} is above the staff limit of {cap}")
        self.amount = amount
        self.cap = cap
