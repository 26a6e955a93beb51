"""The playground's till control (SPEC §9 as a visitor meets it): "Till: sell 25.00 to <customer>"
posts a sale to the real `POST /api/v1/purchases` of the running demo with the demo's own API key,
and the customer's phone shows the live points notice. Played over HTTP as the page plays it:
the demo's control endpoint and the relayed Telegram sandbox driver, against `retention-bot demo`
running as a real process."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bot.demo.runner import free_port
from tests.support.demo import running_demo


def call(port: int, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def bot_texts(port: int, chat_id: int) -> list[str]:
    _, transcript = call(port, f"/playground/telegram/chats/{chat_id}/transcript")
    return [m.get("text") or "" for m in transcript["messages"] if m["from_bot"]]


def wait_for_bot(port: int, chat_id: int, pattern: str, timeout: float = 20) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while True:
        for text in reversed(bot_texts(port, chat_id)):
            if found := re.search(pattern, text):
                return found
        assert time.monotonic() < deadline, f"no bot message like {pattern!r}: {bot_texts(port, chat_id)}"
        time.sleep(0.2)


def test_the_till_sells_through_the_api_and_the_linked_customers_phone_lights_up(tmp_path: Path) -> None:
    port = free_port()
    with running_demo(tmp_path, port):
        _, state = call(port, "/playground/api/state")
        assert state["till"] == {"amount": "25.00", "key": "demo-till"}
        customer = state["telegram"]["customers"][0]
        chat = customer["id"]

        # the customer starts the bot and shares their phone: the chat is linked
        call(port, f"/playground/telegram/chats/{chat}/messages", {"text": "/start"})
        wait_for_bot(port, chat, ".")
        call(port, f"/playground/telegram/chats/{chat}/contact", {"phone_number": customer["phone"]})
        wait_for_bot(port, chat, "linked")

        status, sold = call(port, "/playground/api/till", {"customer": chat})
        assert status == 200, sold
        purchase = sold["purchase"]
        assert purchase["customer_id"] == customer["customer_id"] and purchase["amount"] == "25.00"
        assert purchase["points_earned"] >= 25  # 1 a unit, times the customer's tier multiplier
        assert f"to {customer['name']} through POST /api/v1/purchases" in sold["message"]
        notice = wait_for_bot(port, chat, r"^\+([\d,]+) points for your purchase today — balance ([\d,]+)$")
        assert int(notice[1]) == purchase["points_earned"]
        assert int(notice[2].replace(",", "")) == purchase["balance"]

        refused, answer = call(port, "/playground/api/till", {"customer": 12345})
        assert refused == 400 and answer == {"error": "pick one of the playground's customers"}

        nina = next(c for c in state["telegram"]["customers"] if c["name"] == "Nina Novak")
        assert call(port, "/playground/api/till", {"customer": nina["id"]})[0] == 200

    # restarted on its database, the demo cannot know the last run's key (only a hash is kept):
    # it puts a new one on the same demo-till record, and the till sells again
    port = free_port()
    with running_demo(tmp_path, port):
        _, state = call(port, "/playground/api/state")
        nina = next(c for c in state["telegram"]["customers"] if c["name"] == "Nina Novak")
        status, again = call(port, "/playground/api/till", {"customer": nina["id"]})
        assert status == 200, again
    assert again["purchase"]["balance"] == 50  # both sales went to the one customer found by phone

    with sqlite3.connect(tmp_path / "demo.db") as db:  # every sale came in with the demo's own key
        actors = db.execute(
            "SELECT DISTINCT actor FROM audit_log WHERE action = 'purchase.record' AND actor LIKE 'api:%'"
        ).fetchall()
        keys = db.execute("SELECT name, revoked_at FROM api_key").fetchall()
        ninas = db.execute("SELECT count(*) FROM customer WHERE phone = '+12025550143'").fetchone()
    assert actors == [("api:demo-till",)]
    assert keys == [("demo-till", None)] and ninas == (1,)
