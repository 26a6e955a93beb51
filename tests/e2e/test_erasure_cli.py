"""`retention-bot forget` as a shop owner runs it: the person and their merged duplicate are erased, the
Slack alert about them is edited to "erased" at once, and importing the same files again brings nobody
back and says so."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import ManualClock
from bot.importing import read_customers, read_purchases
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.services import imports
from bot.services.customers import create_customer, find_customer
from bot.services.merge import merge_customers
from bot.services.tickets import attach_slack_thread, receive_feedback
from tests.conftest import make_context
from tests.e2e.test_cli_data import count, run
from tests.support.privacy_scan import traces

CUSTOMERS = """customer_id,name,phone,email,birthday
C-1,Ann Lee,+1 415 234 5678,Ann.Lee@Example.com,1990-05-17
C-2,Bob Stone,+1 415 234 5679,bob@example.com,
"""
PURCHASES = """customer_id,date,amount,order_id
C-1,2026-01-05,12.50,A-100
C-1,2026-02-03,30.00,A-101
C-2,2026-02-04,8.00,B-200
"""
COMPLAINT = "Terrible! The cake for my daughter Lily was squashed, I want a refund"
NEEDLES = ["Ann Lee", "4152345678", "ann.lee@example.com", "Annie L", "4155550123", "Lily was squashed"]


async def test_forget_erases_the_merged_person_edits_slack_and_a_reimport_is_suppressed(
    tmp_path: Path, sqlite_url: str
) -> None:
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "purchases.csv").write_text(PURCHASES, encoding="utf-8")
    ctx = make_context(sqlite_url, ManualClock(datetime.now(UTC)))
    try:  # the files as `import` reads them (the CLI's own import is what the end of the test runs)
        imports.import_customers(
            ctx.uow(), ctx.clock, [r for _, r in read_customers(tmp_path / "customers.csv").records]
        )
        records = [r for _, r in read_purchases(tmp_path / "purchases.csv").records]
        imports.import_purchases(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, records)
    finally:
        ctx.close()

    async with SlackSandbox(Workspace()) as sandbox:
        channel = sandbox.driver.add_channel("retention-team")
        bot = AsyncWebClient(token=sandbox.state.ws.bot_token, base_url=sandbox.api_url)
        alert = await bot.chat_postMessage(channel=channel, text=f"Complaint #1 from Annie L: {COMPLAINT}")
        await bot.chat_postMessage(channel=channel, thread_ts=alert["ts"], text=f"Annie L wrote: {COMPLAINT}")
        # Ann also wrote from Telegram (another number); staff merged that duplicate into C-1.
        ctx = make_context(sqlite_url, ManualClock(datetime.now(UTC)))
        try:
            dup = create_customer(
                ctx.uow(), ctx.clock, external_id="tg-55", name="Annie L", phone="+14155550123"
            )
            assert dup.id is not None
            opened = receive_feedback(
                ctx.uow(), ctx.clock, customer_id=dup.id, text=COMPLAINT, source_event_id="t1"
            )
            assert opened.ticket is not None and opened.ticket.id is not None
            attach_slack_thread(ctx.uow(), ticket_id=opened.ticket.id, channel=channel, ts=str(alert["ts"]))
            kept = find_customer(ctx.uow(), "C-1", default_region="US")
            assert kept.id is not None
            merge_customers(ctx.uow(), ctx.clock, keep_id=kept.id, duplicate_id=dup.id, actor="slack:U1")
        finally:
            ctx.close()
        customers = count(db, "customer")

        slack = {"SLACK_BOT_TOKEN": sandbox.state.ws.bot_token, "SLACK_API_BASE_URL": sandbox.api_url}
        forgot = await asyncio.to_thread(run, db, "forget", "customer", "C-1", "--yes", **slack)
        assert forgot.returncode == 0, forgot.stderr
        assert "Customer C-1 was forgotten with 1 merged record(s)" in forgot.stdout
        assert 'Slack: 2 message(s) edited to "erased".' in forgot.stdout
        thread = sandbox.driver.messages(channel, thread_ts=str(alert["ts"]))
        assert [m["text"] for m in thread] == ["erased", "erased"]

    again = run(db, "import", "customers", str(tmp_path / "customers.csv"))
    assert again.returncode == 0, again.stderr
    assert "1 row suppressed (erased customer)" in again.stdout
    bought = run(db, "import", "purchases", str(tmp_path / "purchases.csv"))
    assert bought.returncode == 0, bought.stderr
    assert "2 rows suppressed (erased customers)" in bought.stdout
    assert count(db, "customer") == customers and count(db, "purchase") == 3

    gone = run(db, "export", "customer", "C-1")
    assert gone.returncode == 2 and "no customer matches" in gone.stderr
    ctx = make_context(sqlite_url, ManualClock(datetime.now(UTC)))
    try:
        assert traces(ctx.engine, NEEDLES, exact=["C-1", "tg-55"]) == []
        # Nor in the file's bytes: SQLite zeroes what was deleted (secure_delete), and `forget` empties
        # the write-ahead log that still held the pages as they were before.
        for path in db.parent.glob(db.name + "*"):
            data = path.read_bytes().lower()
            assert not [n for n in NEEDLES if n.lower().encode() in data], path.name
        assert find_customer(ctx.uow(), "C-2", default_region="US").name == "Bob Stone"
    finally:
        ctx.close()
