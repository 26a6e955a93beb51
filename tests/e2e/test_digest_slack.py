"""The daily digest in Slack: scheduled once per local day (DST, downtime, two processes), an explicit
request updates instead of duplicating, the chart is a real PNG in the thread, and the buttons act."""

from __future__ import annotations

import asyncio
import io
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.demo.seed import seed_demo
from bot.jobs.claims import recent_runs
from bot.jobs.scheduler import default_jobs, run_due_jobs
from bot.services.digest import build_digest
from bot.services.digest_record import JOB_NAME
from bot.services.follow_ups import follow_up_of, snooze
from storage.models import AuditLog, FollowUp, Interaction, JobRun, WinbackOffer
from storage.schema import upgrade
from tests.conftest import make_context
from tests.support.slack_world import SlackWorld, slack_world

BERLIN = ZoneInfo("Europe/Berlin")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BINARY = Path(sys.executable).parent / "retention-bot"


def digests(world: SlackWorld) -> list[dict[str, Any]]:
    """The digest messages at the top of the team channel."""
    return [m for m in world.app_messages() if "digest" in str(m.get("text", "")).lower()]


def digest_runs(ctx: AppContext) -> list[JobRun]:
    return [r for r in recent_runs(ctx.uow(), limit=1000) if r.job_name == JOB_NAME]


async def tick(ctx: AppContext) -> None:
    await run_due_jobs(ctx, default_jobs(ctx))


# --- scheduled: once per local day ------------------------------------------------------------------


async def test_digest_posts_once_per_day_at_local_time_across_a_dst_change(
    sqlite_url: str, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 27, 0, 0, tzinfo=UTC))
    async with slack_world(sqlite_url, clock, timezone="Europe/Berlin", digest_time="09:00") as world:
        while clock.now() < datetime(2026, 3, 31, 0, 0, tzinfo=UTC):
            await tick(world.ctx)
            clock.advance(timedelta(minutes=30))
        runs = sorted(digest_runs(world.ctx), key=lambda r: r.period)
        assert [r.period for r in runs] == ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30"]
        for run in runs:  # 09:00 local on both sides of the change (08:00 UTC before, 07:00 UTC after)
            local = run.started_at.replace(tzinfo=run.started_at.tzinfo or UTC).astimezone(BERLIN)
            assert (local.hour, local.minute) == (9, 0), run
            assert run.status == "done"
        assert len(digests(world)) == 4


async def test_after_two_days_of_downtime_the_digest_posts_once(sqlite_url: str, clock: ManualClock) -> None:
    clock.set(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))  # 10:00 in Berlin: today's is due
    async with slack_world(sqlite_url, clock, timezone="Europe/Berlin") as world:
        await tick(world.ctx)
        clock.advance(timedelta(days=2, hours=3))  # down for two days; back at 13:00 on 3 May
        await tick(world.ctx)
        await tick(world.ctx)
        assert sorted(r.period for r in digest_runs(world.ctx)) == ["2026-05-01", "2026-05-03"]
        assert len(digests(world)) == 2


@pytest.mark.postgres
async def test_two_processes_on_one_postgresql_post_the_digest_once(
    postgres_url: str, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 5, 1, 9, 30, tzinfo=UTC))  # DIGEST_TIME 09:00 UTC has passed
    async with slack_world(postgres_url, clock) as world:
        other = make_context(postgres_url, clock, **_slack_settings(world))
        try:
            for _ in range(3):  # both processes tick at the same moments, three times
                await asyncio.gather(tick(world.ctx), tick(other))
            clock.advance(timedelta(days=1))
            await asyncio.gather(tick(world.ctx), tick(other))
        finally:
            other.close()
        assert sorted(r.period for r in digest_runs(world.ctx)) == ["2026-05-01", "2026-05-02"]
        assert len(digests(world)) == 2


def _slack_settings(world: SlackWorld) -> dict[str, Any]:
    settings = world.ctx.settings
    return {
        "slack_bot_token": settings.slack_bot_token,
        "slack_api_base_url": settings.slack_api_base_url,
        "slack_team_channel": settings.slack_team_channel,
    }


# --- seeded data: explicit requests, the chart, the buttons --------------------------------------------


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datetime]:
    """The demo data (real CDNOW rhythms) seeded as of now, in a migrated SQLite file copied per test."""
    path = tmp_path_factory.mktemp("digest-seed") / "seeded.db"
    now = datetime.now(UTC).replace(microsecond=0)
    ctx = make_context(f"sqlite:///{path}", ManualClock(now))
    upgrade(ctx.engine)
    seed_demo(ctx)
    ctx.close()
    return path, now


@pytest.fixture
async def seeded(seeded_file: tuple[Path, datetime], tmp_path: Path) -> AsyncIterator[SlackWorld]:
    source, now = seeded_file
    shutil.copyfile(source, tmp_path / "retention.db")
    async with slack_world(f"sqlite:///{tmp_path / 'retention.db'}", ManualClock(now)) as world:
        yield world


async def run_cli(world: SlackWorld, *args: str) -> tuple[int, str, str]:
    """`retention-bot ARGS` in a real subprocess (system clock), posting to the sandbox over HTTP."""
    settings = world.ctx.settings
    assert settings.slack_bot_token is not None
    env = {
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": settings.slack_bot_token.get_secret_value(),
        "SLACK_API_BASE_URL": settings.slack_api_base_url,
        "SLACK_TEAM_CHANNEL": settings.slack_team_channel or "",
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        str(BINARY), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_cli_posts_once_then_force_and_crm_digest_update_the_same_message(seeded: SlackWorld) -> None:
    code, out, err = await run_cli(seeded, "digest")
    assert code == 0, err
    assert "posted" in out
    [posted] = digests(seeded)
    assert "New at-risk customers" in str(posted["blocks"])

    code, out, err = await run_cli(seeded, "digest")  # the day was posted: nothing new
    assert code == 0, err
    assert "already posted" in out
    assert len(digests(seeded)) == 1

    code, out, err = await run_cli(seeded, "digest", "--force")
    assert code == 0, err
    assert "updated" in out
    [updated] = digests(seeded)
    assert updated["ts"] == posted["ts"]
    assert digest_runs(seeded.ctx)[0].detail.startswith("updated")  # chat.update of the day's message

    await seeded.crm("digest")
    assert "updated" in seeded.last_ephemeral()["text"]
    assert [m["ts"] for m in digests(seeded)] == [posted["ts"]]
    [run] = digest_runs(seeded.ctx)
    assert run.status == "done" and posted["ts"] in run.detail


async def test_digest_chart_is_a_png_in_the_thread(seeded: SlackWorld) -> None:
    await seeded.crm("digest")
    [message] = digests(seeded)
    uploads = [m for m in seeded.driver.messages(seeded.channel, thread_ts=message["ts"]) if m.get("files")]
    assert len(uploads) == 1
    content = seeded.driver.file_content(uploads[0]["files"][0]["id"])
    assert content.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG" and image.size == (800, 360)


async def test_an_update_uploads_the_chart_again_only_when_its_numbers_changed(seeded: SlackWorld) -> None:
    ctx = seeded.ctx
    await seeded.crm("digest")
    [message] = digests(seeded)

    def charts() -> int:
        thread = seeded.driver.messages(seeded.channel, thread_ts=message["ts"])
        return sum(1 for m in thread if m.get("files"))

    await seeded.crm("digest")  # updated in place, same numbers: the thread keeps its one chart
    assert "updated" in seeded.last_ephemeral()["text"] and charts() == 1

    today = ctx.clock.now().astimezone(ctx.settings.tz).date()
    top = build_digest(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, today).new_at_risk[0]
    until = ctx.clock.now() + timedelta(days=7)
    snooze(ctx.uow(), ctx.clock, customer_id=top.customer_id, until=until, reason="away", actor="test")
    await seeded.crm("digest")  # this week's at-risk count changed: the chart too
    assert charts() == 2


async def test_digest_buttons_act_on_the_customer_and_update_the_message(seeded: SlackWorld) -> None:
    world = seeded
    await world.crm("digest")
    [message] = digests(world)
    value = _first_value(message, "digest_assign")
    customer_id = int(value.split(":")[0])

    await _press(
        world, "digest_assign", message, clicks=2, customer_id=customer_id
    )  # a double click is one assignment
    follow_up = follow_up_of(world.ctx.uow(), customer_id)
    assert follow_up is not None and follow_up.assignee_staff_id is not None
    shown = str(world.driver.message(world.channel, message["ts"])["blocks"])
    assert f"Assigned to <@{world.alice}>" in shown
    assert len(_audits(world, customer_id, "follow_up.assign")) == 1

    await _press(world, "digest_contacted", message, customer_id=customer_id)
    with world.ctx.uow() as uow:
        contacted = uow.session.exec(
            select(Interaction).where(Interaction.customer_id == customer_id, Interaction.kind == "contacted")
        ).all()
    assert len(contacted) == 1
    assert f"Contacted by <@{world.alice}>" in str(
        world.driver.message(world.channel, message["ts"])["blocks"]
    )

    await _press(world, "digest_snooze", message, customer_id=customer_id)
    with world.ctx.uow() as uow:
        row = uow.session.exec(select(FollowUp).where(FollowUp.customer_id == customer_id)).one()
    assert row.snoozed_until is not None
    until = row.snoozed_until.replace(tzinfo=row.snoozed_until.tzinfo or UTC)
    assert timedelta(days=6) < until - world.ctx.clock.now() <= timedelta(days=7)
    assert "Snoozed until" in str(world.driver.message(world.channel, message["ts"])["blocks"])

    await _press(world, "digest_winback", message, customer_id=customer_id)
    with world.ctx.uow() as uow:
        offers = uow.session.exec(select(WinbackOffer).where(WinbackOffer.customer_id == customer_id)).all()
    assert [o.status for o in offers] == ["queued"]
    assert "queued" in world.last_ephemeral()["text"]
    assert len(digests(world)) == 1


async def test_see_all_posts_the_full_list_in_the_thread_once(seeded: SlackWorld) -> None:
    world = seeded
    await world.crm("digest")
    [message] = digests(world)
    await _press(world, "digest_see_all", message, clicks=2)
    thread = [
        m for m in world.driver.messages(world.channel, thread_ts=message["ts"]) if m["ts"] != message["ts"]
    ]
    lists = [m for m in thread if "All new at-risk customers" in str(m.get("blocks"))]
    assert len(lists) == 1
    assert "no purchase for" in str([m.get("blocks") for m in thread])


def _first_value(message: dict[str, Any], action_id: str) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


async def _press(
    world: SlackWorld,
    action_id: str,
    message: dict[str, Any],
    *,
    clicks: int = 1,
    customer_id: int | None = None,
) -> None:
    block_id = None if customer_id is None else f"digest_a_{customer_id}"
    responses = await asyncio.gather(
        *(
            world.driver.press_button(
                action_id, user=world.alice, channel=world.channel, ts=message["ts"], block_id=block_id
            )
            for _ in range(clicks)
        )
    )
    assert all(r.status == 200 for r in responses)
    await world.settle()


def _audits(world: SlackWorld, customer_id: int, action: str) -> list[AuditLog]:
    with world.ctx.uow() as uow:
        return list(
            uow.session.exec(
                select(AuditLog)
                .where(AuditLog.customer_id == customer_id, AuditLog.action == action)
                .order_by(col(AuditLog.id))
            ).all()
        )


async def test_digest_print_shows_kpis_at_risk_with_reasons_and_writes_the_chart(
    seeded: SlackWorld, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    code, out, err = await run_cli(seeded, "digest", "--print", "--chart", str(chart))
    assert code == 0, err
    assert "headline KPIs" in out and "Active customers" in out and "Points outstanding" in out
    assert "New at-risk customers" in out and "no purchase for" in out
    assert f"Chart: {chart}" in out.replace("\n", "")
    assert chart.read_bytes().startswith(PNG_MAGIC)
    assert digests(seeded) == []  # printing posts nothing

    code, out, err = await run_cli(seeded, "digest", "--date", "2026-13-45")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--date" in err


async def test_a_snoozed_customer_leaves_the_new_at_risk_list(seeded: SlackWorld) -> None:
    ctx = seeded.ctx
    today = ctx.clock.now().astimezone(ctx.settings.tz).date()
    before = build_digest(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, today)
    top = before.new_at_risk[0]
    snooze(
        ctx.uow(),
        ctx.clock,
        customer_id=top.customer_id,
        until=ctx.clock.now() + timedelta(days=7),
        reason="on holiday",
        actor="test",
    )
    after = build_digest(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, today)
    assert [r.customer_id for r in after.new_at_risk] == [r.customer_id for r in before.new_at_risk[1:]]
    assert after.metric("at_risk").value == before.metric("at_risk").value - 1  # type: ignore[operator]
