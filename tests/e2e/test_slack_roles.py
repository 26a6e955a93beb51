"""Who may do what (SPEC §10), end to end: the real Bolt app behind the sandbox Slack, a real database.

Each refusal is asserted from both sides: what the person sees in Slack (a short refusal naming the
role needed, on the path they used) and the database (nothing changed: every row of every table as
it was). The kinds of people: guests (multi- and single-channel), someone from another workspace in
a shared channel, a stranger users.info will not describe, a deactivated account, a member who is
not on the staff list, and a staff member who is not an admin.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select

from bot.clock import ManualClock
from bot.events import StaffReplied
from bot.services.customers import link_chat
from bot.services.tickets import get_ticket, receive_feedback
from storage.models import AuditLog, Customer, LinkCode, Purchase, SurveyDispatch
from tests.services.helpers import buy, new_customer
from tests.support.slack_world import SlackWorld, balance, shown, slack_world

OTHER_TEAM = "T0OTHERORG"
OUTSIDERS = ("guest", "single_guest", "other_team", "stranger", "deactivated", "not_staff")
WHY = {
    "guest": "Guests of this workspace cannot use retention-bot. Nothing was done.",
    "single_guest": "Guests of this workspace cannot use retention-bot. Nothing was done.",
    "other_team": "You are from another workspace, and retention-bot works only for members of its own."
    " Nothing was done.",
    "stranger": "Slack does not list you as a member of this workspace. Nothing was done.",
    "deactivated": "Your account in this workspace is deactivated. Nothing was done.",
    "not_staff": "You are not on the staff list (SLACK_STAFF_USER_IDS or the SLACK_STAFF_GROUP user group);"
    " an admin can add you. Nothing was done.",
    "non_admin": "You are staff, not an admin (SLACK_ADMIN_USER_IDS); ask an admin. Nothing was done.",
}
ALERT_BUTTONS = {
    "alert_reply": "Reply to customer",
    "alert_assign": "Assign to me",
    "alert_contacted": "Mark contacted",
    "alert_snooze": "Snooze…",
    "alert_resolve": "Resolve",
}


class Minutes:
    """The gate's own clock for how long a users.info answer stands (a minute)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds

    def pass_a_minute(self) -> None:
        self.seconds += 61


@pytest.fixture
async def world(sqlite_url: str, clock: ManualClock) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_url, clock, slack_thread_relay="all") as w:
        w.record(StaffReplied)
        yield w


def staff_only(world: SlackWorld, *user_ids: str) -> None:
    """SLACK_STAFF_USER_IDS set to these people (the gate reads the settings on each request)."""
    settings = world.ctx.settings.model_copy(update={"slack_staff_user_ids": ",".join(user_ids)})
    world.ctx.settings = settings


def outsider(world: SlackWorld, kind: str) -> str:
    """A person of this kind, in the team channel (a shared channel, for another workspace's)."""
    options: dict[str, Any] = {
        "guest": {"guest": "multi"},
        "single_guest": {"guest": "single"},
        "other_team": {"team_id": OTHER_TEAM},
        "stranger": {"listed": False},
        "deactivated": {"deleted": True},
        "not_staff": {},
    }[kind]
    user = world.driver.add_user(kind.replace("_", "-"), channels=[world.channel], **options)
    if kind == "not_staff":
        staff_only(world, world.alice)
    return user


def become(world: SlackWorld, user: str, kind: str) -> None:
    """A staff member's account changes (made a guest, deactivated, dropped from the staff list…)."""
    person = world.sandbox.state.users[user]
    with world.sandbox.state.locked():
        if kind in ("guest", "single_guest"):
            person.is_restricted, person.is_ultra_restricted = True, kind == "single_guest"
        elif kind == "other_team":
            person.team_id = OTHER_TEAM
        elif kind == "stranger":
            person.listed = False
        elif kind == "deactivated":
            person.deleted = True
        world.sandbox.state.touch()
    if kind == "not_staff":
        staff_only(world, world.alice)


def footprint(world: SlackWorld) -> dict[str, list[str]]:
    """Every row of every table: a refusal must leave all of them as they were."""
    with world.ctx.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()).all())
            for table in SQLModel.metadata.sorted_tables
        }


def refusal(world: SlackWorld, user: str) -> str:
    [shown_to_them] = world.driver.ephemerals(user=user)
    return str(shown_to_them["text"])


async def alert_for_a_complaint(world: SlackWorld) -> dict[str, Any]:
    ann = new_customer(world.ctx, "C1", name="Ann Lee", language="en")
    link_chat(world.ctx.uow(), world.ctx.clock, ann, platform="telegram", user_id="7001", chat_id="7001")
    assert ann.id is not None
    await world.ctx.call(
        receive_feedback,
        world.ctx.clock,
        customer_id=ann.id,
        text="My parcel arrived broken",
        source_event_id="t1",
    )
    await world.settle()
    [alert] = world.app_messages()
    return alert


# --- the five paths, for each kind of person who is not staff -------------------------------------


@pytest.mark.parametrize("kind", OUTSIDERS)
async def test_a_slash_command_is_refused_naming_the_staff_role_and_changes_nothing(
    world: SlackWorld, kind: str
) -> None:
    new_customer(world.ctx, "C1", name="Ann Lee")
    person = outsider(world, kind)
    before = footprint(world)

    await world.crm("find C1", user=person)
    await world.crm("merge C1 C2", user=person)

    find, merge = (e["text"] for e in world.driver.ephemerals(user=person))
    assert find == "`/crm find` needs the staff role. " + WHY[kind]
    assert merge == "`/crm merge` needs the admin role. " + WHY[kind]
    assert "Ann Lee" not in find + merge
    assert footprint(world) == before  # no card read (no audit entry), no staff row, nothing


@pytest.mark.parametrize("kind", OUTSIDERS)
async def test_every_alert_button_is_refused_and_the_alert_and_ticket_stay_as_they_were(
    world: SlackWorld, kind: str
) -> None:
    alert = await alert_for_a_complaint(world)
    person = outsider(world, kind)
    before = footprint(world)

    for action_id in ALERT_BUTTONS:
        response = await world.driver.press_button(
            action_id, user=person, channel=world.channel, ts=alert["ts"]
        )
        assert response.status == 200 and response.elapsed < 1.0
    await world.settle()

    said = [e["text"] for e in world.driver.ephemerals(user=person)]
    assert said == [f"“{label}” needs the staff role. {WHY[kind]}" for label in ALERT_BUTTONS.values()]
    assert world.driver.open_modals(person) == []  # neither Reply nor Snooze opened
    assert world.app_messages() == [world.driver.message(world.channel, alert["ts"])]
    assert world.driver.message(world.channel, alert["ts"])["blocks"] == alert["blocks"]
    assert get_ticket(world.ctx.uow(), 1).status == "open"
    assert footprint(world) == before


@pytest.mark.parametrize("kind", OUTSIDERS)
async def test_a_modal_submitted_after_its_author_lost_the_staff_role_is_refused_in_the_modal(
    world: SlackWorld, kind: str
) -> None:
    minutes = Minutes()
    world.component.deps.people.now = minutes
    alert = await alert_for_a_complaint(world)
    mo = world.driver.add_user("mo", channels=[world.channel])  # staff: every full member is
    await world.driver.press_button("alert_reply", user=mo, channel=world.channel, ts=alert["ts"])
    await world.settle()
    reply = world.driver.top_modal(mo)
    assert reply is not None and reply["callback_id"] == "alert_reply_view"
    become(world, mo, kind)
    minutes.pass_a_minute()
    before = footprint(world)

    response = await world.driver.submit_view(reply["id"], {"reply": {"text": "Here is 20% off, sorry!"}})
    await world.settle()

    assert json.loads(response.body)["response_action"] == "update"
    now_shown = world.driver.top_modal(mo)
    assert now_shown is not None and now_shown["id"] == reply["id"]
    assert f"This form needs the staff role. {WHY[kind]}" in shown(now_shown)
    assert now_shown["submit"] is None and not any(b["type"] == "input" for b in now_shown["blocks"])
    assert world.recorded(StaffReplied) == []  # nothing reaches the customer
    assert world.app_messages(thread_ts=alert["ts"])[1:] == []
    assert footprint(world) == before


@pytest.mark.parametrize("kind", OUTSIDERS)
async def test_the_message_shortcut_is_refused_before_its_modal_opens(world: SlackWorld, kind: str) -> None:
    new_customer(world.ctx, "C1", name="Ann Lee")
    ts, _ = await world.driver.post_user_message(
        "Ann phoned, she is unhappy", user=world.alice, channel=world.channel
    )
    person = outsider(world, kind)
    before = footprint(world)

    response = await world.driver.message_shortcut(
        "log_interaction", user=person, channel=world.channel, ts=ts
    )
    await world.settle()

    assert response.status == 200
    assert refusal(world, person) == "This shortcut needs the staff role. " + WHY[kind]
    assert world.driver.open_modals(person) == []
    assert footprint(world) == before


@pytest.mark.parametrize("kind", OUTSIDERS)
async def test_a_message_in_an_alert_thread_is_refused_and_neither_noted_nor_relayed(
    world: SlackWorld, kind: str
) -> None:
    alert = await alert_for_a_complaint(world)  # SLACK_THREAD_RELAY=all: staff messages go to the customer
    person = outsider(world, kind)
    before = footprint(world)

    await world.driver.post_user_message(
        "Use code SORRY20 for 20% off", user=person, channel=world.channel, thread_ts=alert["ts"]
    )
    await world.settle()

    [told] = world.driver.ephemerals(user=person)
    assert told["thread_ts"] == alert["ts"]
    assert told["text"] == "Writing in an alert's thread needs the staff role. " + WHY[kind]
    assert world.recorded(StaffReplied) == []
    assert footprint(world) == before  # no internal note, no reply on the customer's timeline


@pytest.mark.parametrize("kind", OUTSIDERS)
async def test_app_home_shows_only_the_refusal(world: SlackWorld, kind: str) -> None:
    await alert_for_a_complaint(world)  # an open ticket App Home would list
    person = outsider(world, kind)
    before = footprint(world)

    await world.driver.open_app_home(person)
    await world.settle()

    home = world.driver.home_view(person)
    assert home is not None
    assert f"retention-bot's Home tab needs the staff role. {WHY[kind]}" in shown(home)
    assert "Ann Lee" not in shown(home) and "Complaint" not in shown(home)
    assert footprint(world) == before  # not even a staff row for them


# --- staff who are not admins -------------------------------------------------------------------

ADMIN_COMMANDS = [
    ("points C1 +50 goodwill", "`/crm points` needs the admin role."),
    ("refund A-100", "`/crm refund` needs the admin role."),
    ("merge C1 C2", "`/crm merge` needs the admin role."),
    ("link C1", "`/crm link` needs the admin role."),
    ("survey segment:all", "`/crm survey segment:` needs the admin role."),
    ("winback", "`/crm winback` needs the admin role."),
]


@pytest.mark.parametrize(("text", "refused"), ADMIN_COMMANDS, ids=[t.split()[0] for t, _ in ADMIN_COMMANDS])
async def test_a_non_admin_is_refused_every_admin_command_before_any_confirmation(
    world: SlackWorld, text: str, refused: str
) -> None:
    ann = new_customer(world.ctx, "C1", name="Ann Lee")
    new_customer(world.ctx, "C2", name="Annie")
    link_chat(world.ctx.uow(), world.ctx.clock, ann, platform="telegram", user_id="7001", chat_id="7001")
    buy(world.ctx, ann, "40", order_id="A-100")
    before = footprint(world)

    await world.crm(text, user=world.alice)

    [told] = world.driver.ephemerals(user=world.alice)
    assert told["text"] == f"{refused} {WHY['non_admin']}"
    assert "blocks" not in told  # never a Merge (or any) button
    assert footprint(world) == before


async def test_a_purchase_above_the_staff_limit_needs_an_admin_and_up_to_it_staff_record_it(
    world: SlackWorld,
) -> None:
    new_customer(world.ctx, "C1", name="Ann Lee")
    before = footprint(world)

    await world.crm("purchase C1 500.01", user=world.alice)

    assert world.last_ephemeral()["text"] == (
        "A purchase of 500.01 is above the staff limit of 500.00: it needs the admin role, so ask an admin"
        " to record it. Nothing was recorded."
    )
    assert footprint(world) == before
    await world.crm("purchase C1 500", user=world.alice)
    await world.crm("purchase C1 1200", user=world.boss)
    assert world.last_ephemeral()["text"].startswith("Recorded order")
    with world.ctx.uow() as uow:
        amounts = uow.session.exec(select(Purchase.amount).order_by(col(Purchase.id))).all()
    assert [str(a) for a in amounts] == ["500.00", "1200.00"]


async def test_the_staff_limit_comes_from_the_rules_file(
    sqlite_url: str, clock: ManualClock, tmp_path: Any
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("max_staff_purchase = 50\n", encoding="utf-8")
    async with slack_world(sqlite_url, clock, retention_config=rules) as world:
        new_customer(world.ctx, "C1")

        await world.crm("purchase C1 60", user=world.alice)

        assert "above the staff limit of 50.00" in world.last_ephemeral()["text"]


async def test_a_merge_button_pressed_after_its_admin_lost_the_role_is_refused_and_merges_nothing(
    world: SlackWorld,
) -> None:
    new_customer(world.ctx, "C1", name="Ann Lee")
    new_customer(world.ctx, "C2", name="Annie")
    await world.crm("merge C1 C2", user=world.boss)
    confirmation = world.last_ephemeral(world.boss)
    world.ctx.settings = world.ctx.settings.model_copy(update={"slack_admin_user_ids": ""})
    before = footprint(world)

    await world.driver.press_button(
        "crm_merge_confirm", user=world.boss, channel=world.channel, ts=confirmation["ts"]
    )
    await world.settle()

    said = world.last_ephemeral(world.boss)["text"]
    assert said == f"“Merge B into A” needs the admin role. {WHY['non_admin']}"
    assert footprint(world) == before


async def test_the_admin_path_works_and_every_read_or_change_of_a_customer_is_audited(
    database_url: str, clock: ManualClock
) -> None:
    async with slack_world(database_url, clock) as world:
        ann = new_customer(world.ctx, "C1", name="Ann Lee")
        new_customer(world.ctx, "C2", name="Annie")
        assert ann.id is not None
        link_chat(world.ctx.uow(), world.ctx.clock, ann, platform="telegram", user_id="7001", chat_id="7001")
        buy(world.ctx, ann, "40", order_id="A-100")
        boss = world.boss

        await world.crm("find C1", user=boss)
        await world.crm("points C1 +50 goodwill --quiet", user=boss)
        await world.crm("refund A-100", user=boss)
        await world.crm("link C1", user=boss)
        await world.crm("purchase C1 900 sofa", user=boss)
        await world.crm("survey segment:all", user=boss)
        await world.crm("winback", user=boss)
        await world.crm("merge C1 C2", user=boss)
        confirmation = world.last_ephemeral(boss)
        await world.driver.press_button(
            "crm_merge_confirm", user=boss, channel=world.channel, ts=confirmation["ts"]
        )
        await world.settle()

        said = [e["text"] for e in world.driver.ephemerals(user=boss)]
        assert not any("needs the" in text for text in said)
        assert said[-1].startswith("Merged Annie into Ann Lee.")
        assert balance(world, ann.id) == 50 + 900
        with world.ctx.uow() as uow:
            session = uow.session
            assert session.exec(select(Purchase.refunded_at).where(Purchase.order_id == "A-100")).one()
            assert session.exec(select(LinkCode)).one().created_by == f"slack:{boss}"
            assert session.exec(select(SurveyDispatch)).all() != []
            assert (
                session.exec(select(Customer.merged_into_id).where(Customer.external_id == "C2")).one()
                == ann.id
            )
            audits = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        mine = [(a.action, a.customer_id) for a in audits if a.actor == f"slack:{boss}"]
        for done in (
            "customer.view",
            "points.adjust",
            "purchase.refund",
            "customer.link_code",
            "purchase.record",
        ):
            assert (done, ann.id) in mine, done
        assert ("customer.merge", ann.id) in mine
        assert all(a.created_at is not None for a in audits)


# --- who counts as staff ------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["handle", "id"])
async def test_the_staff_user_group_decides_who_is_staff_and_a_change_counts_within_a_minute(
    sqlite_url: str, clock: ManualClock, by: str
) -> None:
    async with slack_world(sqlite_url, clock, slack_staff_group="@shop-staff") as world:
        driver, minutes = world.driver, Minutes()
        world.component.deps.staff_group.now = minutes
        nora = driver.add_user("nora", channels=[world.channel])
        group = driver.add_usergroup("shop-staff", [world.alice])
        if by == "id":
            world.component.deps.staff_group.ref = group
        new_customer(world.ctx, "C1", name="Ann Lee")

        await world.crm("find C1", user=nora)
        await world.crm("find C1", user=world.alice)
        await world.crm("points C1 +5 thanks --quiet", user=world.boss)  # admins are staff, group or not

        assert refusal(world, nora) == "`/crm find` needs the staff role. " + WHY["not_staff"]
        assert "Ann Lee" in shown(world.last_ephemeral())
        assert world.last_ephemeral(world.boss)["text"].startswith("Adjusted Ann Lee's points by +5")
        driver.set_usergroup_members(group, [world.alice, nora])
        await world.crm("find C1", user=nora)
        assert len(world.driver.ephemerals(user=nora)) == 2 and "needs the" in refusal_last(world, nora)
        minutes.pass_a_minute()
        await world.crm("find C1", user=nora)
        assert "Ann Lee" in shown(world.last_ephemeral(nora))


def refusal_last(world: SlackWorld, user: str) -> str:
    return str(world.driver.ephemerals(user=user)[-1]["text"])


async def test_a_staff_group_slack_will_not_list_makes_nobody_staff_through_it(
    sqlite_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with slack_world(sqlite_url, clock, slack_staff_group="S0NOSUCHGRP") as world:
        world.sandbox.state.ws.scopes = tuple(
            s for s in world.sandbox.state.ws.scopes if s != "usergroups:read"
        )
        new_customer(world.ctx, "C1", name="Ann Lee")

        await world.crm("find C1", user=world.alice)
        await world.crm("find C1", user=world.boss)

        assert refusal(world, world.alice) == "`/crm find` needs the staff role. " + WHY["not_staff"]
        assert "Ann Lee" in shown(world.last_ephemeral(world.boss))
        assert "usergroups:read" in caplog.text


async def test_when_slack_cannot_say_who_someone_is_the_request_is_refused_as_unverified(
    world: SlackWorld,
) -> None:
    new_customer(world.ctx, "C1", name="Ann Lee")
    world.sandbox.state.ws.scopes = tuple(s for s in world.sandbox.state.ws.scopes if s != "users:read")
    before = footprint(world)

    await world.crm("find C1", user=world.alice)

    assert refusal(world, world.alice) == (
        "`/crm find` needs the staff role. I could not check who you are in Slack just now, so nothing was"
        " done; please try again in a minute."
    )
    assert footprint(world) == before


async def test_the_refusal_is_in_the_person_s_slack_language(world: SlackWorld) -> None:
    guest = world.driver.add_user("mei", guest="multi", locale="zh-TW", channels=[world.channel])

    await world.crm("find C1", user=guest)

    assert (
        refusal(world, guest)
        == "`/crm find`需要員工角色。 本工作區的訪客不能使用 retention-bot。未執行任何操作。"
    )


async def test_staff_reads_and_changes_of_a_customer_land_in_the_audit_log(world: SlackWorld) -> None:
    alert = await alert_for_a_complaint(world)
    new_customer(world.ctx, "C2", name="Ann Other")
    alice = world.alice

    await world.crm("find ann", user=alice)  # a pick list: the card opens from its button
    pick = world.last_ephemeral()
    ann_lee = next(b for b in pick["blocks"] if "Ann Lee" in b["text"]["text"])
    await world.driver.press_button(
        "crm_pick", block_id=ann_lee["block_id"], user=alice, channel=world.channel, ts=pick["ts"]
    )
    await world.settle()
    await world.crm("log C1 call promised a refund", user=alice)
    await world.crm("purchase C1 25 cake", user=alice)
    await world.driver.press_button("alert_contacted", user=alice, channel=world.channel, ts=alert["ts"])
    await world.driver.post_user_message(
        "She is a regular", user=alice, channel=world.channel, thread_ts=alert["ts"]
    )
    await world.settle()

    with world.ctx.uow() as uow:
        audits = uow.session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
    assert [(a.actor, a.action, a.customer_id) for a in audits] == [
        (f"slack:{alice}", action, 1)
        for action in (
            "customer.view",
            "interaction.log",
            "purchase.record",
            "follow_up.contacted",
            "customer.reply",
        )
    ]
    assert all(a.created_at == world.ctx.clock.now() for a in audits)
    assert "promised" not in json.dumps([a.detail for a in audits])  # who, what, when: not the words
