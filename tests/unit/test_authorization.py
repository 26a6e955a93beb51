"""The permission table and the one decision (SPEC §10), as plain rules over plain facts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.services.authorization import (
    PERMISSIONS,
    Member,
    PurchaseOverCap,
    StaffPolicy,
    check_staff_purchase,
    decide,
    required_role,
)

HOME = "T0HOME"
EVERYONE = StaffPolicy(home_team_id=HOME, admin_ids=frozenset({"UBOSS"}))
LISTED = StaffPolicy(home_team_id=HOME, admin_ids=frozenset({"UBOSS"}), staff_ids=frozenset({"UALICE"}))


def member(user_id: str = "UALICE", **facts: object) -> Member:
    base: dict[str, object] = {"team_id": HOME, "request_team_id": HOME}
    return Member(user_id=user_id, **{**base, **facts})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "refusal"),
    [
        ({"is_restricted": True}, "guest"),
        ({"is_restricted": True, "is_ultra_restricted": True}, "guest"),
        ({"team_id": "T0ELSE"}, "other_team"),
        ({"request_team_id": "T0ELSE"}, "other_team"),
        ({"found": False}, "stranger"),
        ({"found": False, "team_id": "T0ELSE"}, "other_team"),
        ({"is_stranger": True}, "stranger"),
        ({"deleted": True}, "deactivated"),
        ({"is_bot": True}, "bot"),
    ],
)
def test_who_someone_is_refuses_them_whatever_they_ask_even_an_admin(
    facts: dict[str, object], refusal: str
) -> None:
    for action in ("crm.find", "crm.merge", "home.open"):
        decision = decide(member("UBOSS", **facts), action, EVERYONE)
        assert (decision.allowed, decision.refusal, decision.needed) == (
            False,
            refusal,
            required_role(action),
        )


def test_nobody_verified_is_refused_as_unverified() -> None:
    assert decide(None, "crm.find", EVERYONE).refusal == "unverified"


def test_with_neither_staff_setting_every_full_member_is_staff_and_only_admins_do_admin_actions() -> None:
    assert decide(member("UNORA"), "crm.find", EVERYONE).allowed
    assert decide(member("UNORA"), "crm.merge", EVERYONE).refusal == "not_admin"
    assert decide(member("UBOSS"), "crm.merge", EVERYONE).role == "admin"


def test_with_a_staff_list_or_group_only_those_and_the_admins_are_staff() -> None:
    assert decide(member("UALICE"), "alert.resolve", LISTED).role == "staff"
    assert decide(member("UNORA"), "alert.resolve", LISTED).refusal == "not_staff"
    assert decide(member("UBOSS"), "alert.resolve", LISTED).role == "admin"
    grouped = StaffPolicy(home_team_id=HOME, group_set=True, group_members=frozenset({"UNORA"}))
    assert decide(member("UNORA"), "crm.find", grouped).allowed
    assert decide(member("UALICE"), "crm.find", grouped).refusal == "not_staff"
    assert decide(member("UALICE"), "crm.find", StaffPolicy(home_team_id=HOME, group_set=True)).refusal == (
        "not_staff"  # a group Slack would not list makes nobody staff through it
    )


def test_the_table_matches_spec_10_and_an_unlisted_action_needs_staff() -> None:
    admin_only = {action for action, role in PERMISSIONS.items() if role == "admin"}
    assert admin_only == {
        "crm.points", "crm.refund", "crm.merge", "crm.link", "crm.survey_segment", "crm.winback",
        "purchase.over_cap", "merge.confirm", "merge.cancel", "coupon.void",
    }  # fmt: skip
    assert (PERMISSIONS["crm.coupon"], PERMISSIONS["coupon.use"]) == ("staff", "staff")  # check, mark used
    assert required_role("button.something_new") == "staff"


def test_a_staff_purchase_above_the_cap_needs_an_admin() -> None:
    check_staff_purchase("staff", Decimal("500"), Decimal("500"))
    check_staff_purchase("admin", Decimal("5000"), Decimal("500"))
    with pytest.raises(PurchaseOverCap) as refused:
        check_staff_purchase("staff", Decimal("500.01"), Decimal("500"))
    assert refused.value.needed == "admin"
