"""`retention-bot apikey create | list | revoke` as a shop owner runs them: a real process on a real
database; the key is printed once and only its hash is kept; a revoked key is refused by the API
of a server that was already running."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from sqlmodel import select

from bot.clock import ManualClock
from bot.sandbox.slack.server import LoopbackServer
from bot.services.api_keys import create_api_key
from bot.web import build_web_app
from handlers.api import api_routes
from storage.models import ApiKey, AuditLog
from tests.conftest import make_context
from tests.support.bot_process import BINARY, clean_env


def cli(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BINARY), "apikey", *args],
        cwd=cwd,
        env=clean_env({"DATABASE_URL": database_url, "COLUMNS": "200"}),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


async def test_a_key_is_shown_once_kept_as_a_hash_and_revoked_at_once(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    made = cli(sqlite_url, tmp_path, "create", "till-1")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("rbk_") and len(key) == 47
    assert "not shown again" in made.stderr
    ctx = make_context(sqlite_url, clock)
    with ctx.uow() as uow:
        stored = uow.session.exec(select(ApiKey)).one()
        assert key not in {stored.key_hash, stored.prefix} and stored.prefix == key[:12]
    listed = cli(sqlite_url, tmp_path, "list")
    assert "till-1" in listed.stdout and key[:12] in listed.stdout and key not in listed.stdout
    assert "active" in listed.stdout

    app = build_web_app(ctx, api_routes(ctx), {})
    async with LoopbackServer(app) as web, httpx.AsyncClient(base_url=web.url) as client:
        headers = {"Authorization": f"Bearer {key}"}
        body = {"customer": {"customer_id": "C1"}, "order_id": "T-1", "amount": 10}
        assert (await client.post("/api/v1/purchases", json=body, headers=headers)).status_code == 201
        revoked = cli(sqlite_url, tmp_path, "revoke", "till-1")
        assert revoked.returncode == 0, revoked.stderr
        again = await client.post("/api/v1/purchases", json=body | {"order_id": "T-2"}, headers=headers)
        assert again.status_code == 401
    assert "revoked" in cli(sqlite_url, tmp_path, "list").stdout
    twice = cli(sqlite_url, tmp_path, "revoke", "till-1")
    assert (
        twice.returncode == 2 and twice.stderr.strip().count("\n") == 0 and "revoked already" in twice.stderr
    )
    with ctx.uow() as uow:
        actions = [
            (a.actor, a.action) for a in uow.session.exec(select(AuditLog).order_by(AuditLog.id)).all()
        ]
    assert ("cli", "apikey.create") in actions and ("cli", "apikey.revoke") in actions
    assert ("api:till-1", "purchase.record") in actions
    ctx.close()


def test_bad_input_is_one_line_and_exit_2_changing_nothing(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    ctx = make_context(sqlite_url, clock)
    create_api_key(ctx.uow(), ctx.clock, name="webshop")
    for args, words in (
        (("create", "webshop"), "exists already"),
        (("create", "bad name!"), "not valid"),
        (("revoke", "nobody"), "no API key named 'nobody'"),
    ):
        done = cli(sqlite_url, tmp_path, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert words in done.stderr and done.stderr.strip().count("\n") == 0
    with ctx.uow() as uow:
        assert [k.name for k in uow.session.exec(select(ApiKey)).all()] == ["webshop"]
    ctx.close()
