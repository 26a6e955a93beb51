"""The sandbox Web API answers slack-sdk the way Slack does: shapes, errors, limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackSandbox, Workspace


@pytest.fixture
async def sandbox() -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def client(sandbox: SlackSandbox) -> AsyncWebClient:
    return AsyncWebClient(token=sandbox.state.ws.bot_token, base_url=sandbox.api_url)


@pytest.fixture
def channel(sandbox: SlackSandbox) -> str:
    return sandbox.driver.add_channel("general")


async def error_of(call: Awaitable[Any]) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


async def test_auth_test_reports_the_bot_identity(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    me = await client.auth_test()

    ws = sandbox.state.ws
    assert (me["user_id"], me["bot_id"], me["team_id"], me["team"]) == (
        ws.bot_user_id,
        ws.bot_id,
        ws.team_id,
        ws.team_name,
    )
    assert me["url"] == "https://sandbox.slack.com/"
    assert "chat:write" in me.headers["x-oauth-scopes"]


async def test_missing_token_is_not_authed_and_unknown_token_is_invalid_auth(sandbox: SlackSandbox) -> None:
    async with httpx.AsyncClient() as http:
        anonymous = (await http.post(sandbox.api_url + "auth.test")).json()
        wrong = (
            await http.post(sandbox.api_url + "auth.test", headers={"Authorization": "Bearer xoxb-no"})
        ).json()
        unknown = (await http.post(sandbox.api_url + "chat.postNothing")).json()

    assert anonymous == {"ok": False, "error": "not_authed"}
    assert wrong == {"ok": False, "error": "invalid_auth"}
    assert unknown["error"] == "unknown_method"


async def test_post_message_errors_match_slack(client: AsyncWebClient, channel: str) -> None:
    too_many = [{"type": "divider"}] * 51

    assert await error_of(client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    with pytest.warns(UserWarning, match="text"):  # slack-sdk warns too, before Slack refuses
        assert await error_of(client.chat_postMessage(channel=channel)) == "no_text"
    assert (
        await error_of(client.chat_postMessage(channel=channel, text="x", blocks=too_many))
        == "invalid_blocks"
    )
    unknown_type = client.chat_postMessage(channel=channel, text="x", blocks=[{"type": "banner"}])
    assert await error_of(unknown_type) == "invalid_blocks"
    assert await error_of(client.chat_update(channel=channel, ts="1.000001", text="x")) == "message_not_found"


async def test_invalid_blocks_explain_where_as_slack_does(client: AsyncWebClient, channel: str) -> None:
    empty_section = [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]

    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=channel, text="x", blocks=empty_section)

    assert info.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]"
    ]


async def test_form_encoded_calls_work_like_json_ones(client: AsyncWebClient, channel: str) -> None:
    posted = await client.api_call(
        "chat.postMessage", data={"channel": channel, "text": "form", "blocks": '[{"type": "divider"}]'}
    )

    assert posted["message"]["blocks"][0]["type"] == "divider"


async def test_ts_is_unique_and_increasing_within_a_channel(client: AsyncWebClient, channel: str) -> None:
    stamps = [(await client.chat_postMessage(channel=channel, text=str(i)))["ts"] for i in range(5)]

    assert len(set(stamps)) == 5
    assert stamps == sorted(stamps, key=float)
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


async def test_update_with_text_only_drops_blocks_and_marks_edited(
    client: AsyncWebClient, channel: str
) -> None:
    posted = await client.chat_postMessage(channel=channel, text="a", blocks=[{"type": "divider"}])

    updated = await client.chat_update(channel=channel, ts=posted["ts"], text="b")

    assert "blocks" not in updated["message"]
    assert updated["message"]["edited"]["user"] == posted["message"]["user"]


async def test_thread_replies_are_counted_on_the_parent(client: AsyncWebClient, channel: str) -> None:
    parent = await client.chat_postMessage(channel=channel, text="alert")
    await client.chat_postMessage(channel=channel, text="note 1", thread_ts=parent["ts"])
    await client.chat_postMessage(channel=channel, text="note 2", thread_ts=parent["ts"])

    history = await client.conversations_history(channel=channel)
    replies = await client.conversations_replies(channel=channel, ts=parent["ts"])

    assert [m["text"] for m in history["messages"]] == ["alert"]
    assert history["messages"][0]["reply_count"] == 2
    assert [m["text"] for m in replies["messages"]] == ["alert", "note 1", "note 2"]


async def test_rate_limited_method_answers_429_with_retry_after(
    sandbox: SlackSandbox, client: AsyncWebClient, channel: str
) -> None:
    sandbox.driver.set_rate_limit("chat.postMessage", 2)
    for _ in range(2):
        await client.chat_postMessage(channel=channel, text="ok")

    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=channel, text="too many")

    assert info.value.response.status_code == 429
    assert info.value.response["error"] == "ratelimited"
    assert 1 <= int(info.value.response.headers["Retry-After"]) <= 60
    sandbox.driver.advance_clock(61)
    assert (await client.chat_postMessage(channel=channel, text="again"))["ok"]


async def test_users_info_has_slack_user_shape(sandbox: SlackSandbox, client: AsyncWebClient) -> None:
    boss = sandbox.driver.add_user("boss", real_name="Bo Ss", is_admin=True, tz="Asia/Taipei")

    user = (await client.users_info(user=boss))["user"]

    assert (user["id"], user["name"], user["real_name"], user["tz"]) == (boss, "boss", "Bo Ss", "Asia/Taipei")
    assert user["tz_offset"] == 8 * 3600
    assert user["is_admin"] is True
    assert user["profile"]["display_name"] == "boss"
    assert await error_of(client.users_info(user="U0NOBODY")) == "user_not_found"


async def test_users_info_tells_guests_other_workspaces_strangers_and_deactivated_users_apart(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    driver = sandbox.driver
    multi, single = driver.add_user("gus", guest="multi"), driver.add_user("sal", guest="single")
    other = driver.add_user("otto", team_id="T0OTHERORG")
    gone = driver.add_user("dee")
    driver.deactivate(gone)
    hidden = driver.add_user("stan", listed=False)
    zh = driver.add_user("mei", locale="zh-TW")

    def flags(user: dict[str, Any]) -> tuple[object, ...]:
        return user["is_restricted"], user["is_ultra_restricted"], user["deleted"], user["team_id"]

    here = sandbox.state.ws.team_id
    users = {u: (await client.users_info(user=u))["user"] for u in (multi, single, other, gone)}
    assert flags(users[multi]) == (True, False, False, here)
    assert flags(users[single]) == (True, True, False, here)
    assert flags(users[other]) == (False, False, False, "T0OTHERORG") and other.startswith("W")
    assert flags(users[gone]) == (False, False, True, here)
    assert await error_of(client.users_info(user=hidden)) == "user_not_found"
    assert "locale" not in users[multi]
    assert (await client.users_info(user=zh, include_locale=True))["user"]["locale"] == "zh-TW"


async def test_user_groups_list_their_members_with_the_usergroups_read_scope(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    driver = sandbox.driver
    ann, bob = driver.add_user("ann"), driver.add_user("bob")
    staff = driver.add_usergroup("shop-staff", [ann, bob])
    driver.add_usergroup("old-staff", [ann])
    sandbox.state.usergroups[driver.add_usergroup("gone", [bob])].disabled = True

    assert (await client.usergroups_users_list(usergroup=staff))["users"] == [ann, bob]
    groups = (await client.usergroups_list(include_users=True))["usergroups"]
    assert {g["handle"]: g["users"] for g in groups} == {"shop-staff": [ann, bob], "old-staff": [ann]}
    assert "users" not in (await client.usergroups_list())["usergroups"][0]
    assert await error_of(client.usergroups_users_list(usergroup="S0NOTHERE")) == "no_such_subteam"
    async with SlackSandbox(Workspace(scopes=("users:read",))) as bare:
        no_scope = AsyncWebClient(token=bare.state.ws.bot_token, base_url=bare.api_url)
        with pytest.raises(SlackApiError) as info:
            await no_scope.usergroups_users_list(usergroup=staff)
    answer = info.value.response
    assert (answer["error"], answer["needed"]) == ("missing_scope", "usergroups:read")


async def test_dm_opened_for_a_user_receives_posts_addressed_to_them(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    ann = sandbox.driver.add_user("ann")

    dm = (await client.conversations_open(users=ann))["channel"]["id"]
    posted = await client.chat_postMessage(channel=ann, text="hello")

    assert dm.startswith("D")
    assert posted["channel"] == dm
    assert [m["text"] for m in sandbox.driver.messages(dm)] == ["hello"]


async def test_permalink_points_into_the_thread(client: AsyncWebClient, channel: str) -> None:
    parent = await client.chat_postMessage(channel=channel, text="alert")
    reply = await client.chat_postMessage(channel=channel, text="note", thread_ts=parent["ts"])

    link = (await client.chat_getPermalink(channel=channel, message_ts=reply["ts"]))["permalink"]

    assert link == (
        f"https://sandbox.slack.com/archives/{channel}/p{reply['ts'].replace('.', '')}"
        f"?thread_ts={parent['ts']}&cid={channel}"
    )


async def test_ephemeral_needs_a_channel_member(
    sandbox: SlackSandbox, client: AsyncWebClient, channel: str
) -> None:
    outsider = sandbox.driver.add_user("outsider")
    insider = sandbox.driver.add_user("insider", channels=[channel])

    shown = await client.chat_postEphemeral(channel=channel, user=insider, text="only you")

    assert sandbox.driver.ephemerals(user=insider)[0]["ts"] == shown["message_ts"]
    assert (
        await error_of(client.chat_postEphemeral(channel=channel, user=outsider, text="x"))
        == "user_not_in_channel"
    )


async def test_missing_scope_names_the_needed_one() -> None:
    async with SlackSandbox(Workspace(scopes=("chat:write",))) as sandbox:
        client = AsyncWebClient(token=sandbox.state.ws.bot_token, base_url=sandbox.api_url)
        with pytest.raises(SlackApiError) as info:
            await client.users_info(user=sandbox.state.ws.bot_user_id)

    assert (info.value.response["error"], info.value.response["needed"]) == ("missing_scope", "users:read")


async def test_trigger_ids_are_single_use_and_unknown_ones_invalid(
    sandbox: SlackSandbox, client: AsyncWebClient, channel: str
) -> None:
    ann = sandbox.driver.add_user("ann", channels=[channel])
    trigger = sandbox.driver.issue_trigger_id(ann)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}

    opened = await client.views_open(trigger_id=trigger, view=modal)

    assert opened["view"]["id"].startswith("V")
    assert await error_of(client.views_open(trigger_id=trigger, view=modal)) == "exchanged_trigger_id"
    assert await error_of(client.views_open(trigger_id="1.2.abc", view=modal)) == "invalid_trigger_id"
    stale_hash = client.views_update(view_id=opened["view"]["id"], hash="1.old", view=modal)
    assert await error_of(stale_hash) == "hash_conflict"


async def test_json_body_is_ignored_by_form_only_methods_as_in_slack(
    sandbox: SlackSandbox, client: AsyncWebClient
) -> None:
    me = sandbox.state.ws.bot_user_id

    assert (await client.api_call("users.info", params={"user": me}))["user"]["id"] == me
    assert await error_of(client.api_call("users.info", json={"user": me})) == "user_not_found"


async def test_a_delayed_method_acts_at_once_and_answers_late_so_a_client_timeout_hides_the_post(
    sandbox: SlackSandbox, client: AsyncWebClient, channel: str
) -> None:
    sandbox.driver.set_delay("chat.postMessage", 0.6)
    impatient = AsyncWebClient(token=sandbox.state.ws.bot_token, base_url=sandbox.api_url, timeout=0.3)  # type: ignore[arg-type]

    posting = asyncio.create_task(client.chat_postMessage(channel=channel, text="slow"))
    arrived = await sandbox.driver.next_message(channel, within=0.3)
    assert arrived["text"] == "slow" and not posting.done()
    answer = await posting
    assert answer["ts"] == arrived["ts"]

    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=channel, text="gave up waiting")
    assert [m["text"] for m in sandbox.driver.messages(channel)] == ["slow", "gave up waiting"]

    sandbox.driver.set_delay("chat.postMessage", 0)
    started = time.monotonic()
    await client.chat_postMessage(channel=channel, text="prompt")
    assert time.monotonic() - started < 0.3


async def test_a_delay_before_acting_holds_the_request_and_it_lands_even_if_the_client_gave_up(
    sandbox: SlackSandbox, client: AsyncWebClient, channel: str
) -> None:
    sandbox.driver.set_delay("chat.postMessage", 0.4, acts_first=False)
    impatient = AsyncWebClient(token=sandbox.state.ws.bot_token, base_url=sandbox.api_url, timeout=0.2)  # type: ignore[arg-type]

    posting = asyncio.create_task(client.chat_postMessage(channel=channel, text="held"))
    await asyncio.sleep(0.2)
    assert sandbox.driver.messages(channel) == [] and not posting.done()
    answer = await posting
    assert [m["ts"] for m in sandbox.driver.messages(channel)] == [answer["ts"]]

    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=channel, text="gave up waiting")
    assert [m["text"] for m in sandbox.driver.messages(channel)] == ["held"]
    texts = await sandbox.driver.wait_for(
        lambda: [m["text"] for m in sandbox.driver.messages(channel)][1:] or None, within=1.0
    )
    assert texts == ["gave up waiting"]


async def test_history_shows_message_metadata_only_when_asked_for_it(
    client: AsyncWebClient, channel: str
) -> None:
    marker = {"event_type": "ticket_alert", "event_payload": {"ticket_id": 7}}
    posted = await client.chat_postMessage(channel=channel, text="alert", metadata=marker)

    plain = await client.conversations_history(channel=channel)
    full = await client.conversations_history(channel=channel, include_all_metadata=True)
    thread = await client.conversations_replies(channel=channel, ts=posted["ts"], include_all_metadata=True)

    assert "metadata" not in plain["messages"][0]
    assert full["messages"][0]["metadata"] == marker
    assert thread["messages"][0]["metadata"] == marker
