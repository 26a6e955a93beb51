"""The Slack sandbox retries a failed Events API delivery as Slack does: the same envelope, with
X-Slack-Retry-Num and X-Slack-Retry-Reason, on a schedule (Slack's: at once, 1 min, 5 min; here a
fast one), until the app answers 2xx or says X-Slack-No-Retry: 1."""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox.slack import SLACK_EVENT_RETRIES, LoopbackServer, SlackSandbox
from tests.support.bot_process import free_port

FAST = (0.05, 0.2, 0.4)


@dataclass
class ScriptedApp:
    """Answers each delivery with the next scripted status ("slow": later than the ack timeout)."""

    script: list[int | str]
    seen: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    no_retry: bool = False

    async def endpoint(self, request: Request) -> Response:
        body = (await request.body()).decode()
        headers = request.headers
        self.seen.append((body, headers.get("x-slack-retry-num"), headers.get("x-slack-retry-reason")))
        step = self.script.pop(0) if self.script else 200
        if step == "slow":
            await asyncio.sleep(1.0)
            step = 200
        extra = {"X-Slack-No-Retry": "1"} if self.no_retry else {}
        return Response(status_code=int(step), headers=extra)


def serve(app: ScriptedApp, port: int = 0) -> LoopbackServer:
    routes = [Route("/slack/events", app.endpoint, methods=["POST"])]
    return LoopbackServer(Starlette(routes=routes), port=port)


async def test_a_failed_event_is_retried_with_slacks_headers_until_the_app_answers_200() -> None:
    app = ScriptedApp(script=[500, "slow"])
    async with SlackSandbox(ack_timeout=0.5, event_retries=FAST) as sandbox, serve(app) as web:
        driver = sandbox.driver
        driver.connect_app(f"{web.url}/slack/events")
        ann = driver.add_user("ann")
        channel = driver.add_channel("ops", members=[ann])
        _, first = await driver.post_user_message("hello", user=ann, channel=channel)
        assert first is not None and first.status == 500
        await driver.settle_event_retries(within=10)

    bodies = {body for body, _, _ in app.seen}
    assert len(bodies) == 1, "a retry is the same envelope, byte for byte"
    assert [(num, reason) for _, num, reason in app.seen] == [
        (None, None),
        ("1", "http_error"),
        ("2", "http_timeout"),
    ]
    assert [d.retry_num for d in driver.event_deliveries] == [None, 1, 2]


async def test_an_app_that_is_down_gets_the_event_when_it_comes_back_and_no_retry_is_honoured() -> None:
    port = free_port()
    app = ScriptedApp(script=[])
    async with SlackSandbox(event_retries=(0.05, 0.5, 5.0)) as sandbox:
        driver = sandbox.driver
        driver.connect_app(f"http://127.0.0.1:{port}/slack/events")
        ann = driver.add_user("ann")
        channel = driver.add_channel("ops", members=[ann])
        _, refused = await driver.post_user_message("anyone there?", user=ann, channel=channel)
        assert refused is not None and refused.failure == "connection_failed" and not refused.timed_out
        await asyncio.sleep(0.3)  # the first retry (at once) failed too; the app starts before the next
        async with serve(app, port=port):
            await driver.settle_event_retries(within=10)
        assert [(num, reason) for _, num, reason in app.seen] == [("2", "connection_failed")]

        refusing = ScriptedApp(script=[503], no_retry=True)
        async with serve(refusing, port=port):
            _, answered = await driver.post_user_message("again", user=ann, channel=channel)
            await asyncio.sleep(0.2)
        assert answered is not None and answered.status == 503
        assert driver.event_retries_pending == 0 and len(refusing.seen) == 1


def test_slacks_own_schedule_is_at_once_then_one_then_five_minutes() -> None:
    assert SLACK_EVENT_RETRIES == (0.0, 60.0, 300.0)
    default = inspect.signature(SlackSandbox).parameters["event_retries"].default
    assert default == ()  # off unless a test asks: a test sees exactly the deliveries it makes
