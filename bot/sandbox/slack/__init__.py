"""A local fake of the Slack platform for end-to-end tests and the demo playground.

`SlackSandbox` serves the Web API (point slack-sdk at `sandbox.api_url`), response_urls and file
uploads on loopback; `sandbox.driver` plays the people in the workspace, sending the app signed
slash commands, button presses, modal submissions and events, and reads back what the app did.
"""

from bot.sandbox.slack.driver import SlackDriver
from bot.sandbox.slack.interactions import SLACK_EVENT_RETRIES, EventDelivery
from bot.sandbox.slack.models import SandboxError, Workspace
from bot.sandbox.slack.server import LoopbackServer, SlackSandbox
from bot.sandbox.slack.signing import AppResponse, Signing, signature

__all__ = [
    "SLACK_EVENT_RETRIES",
    "AppResponse",
    "EventDelivery",
    "LoopbackServer",
    "SandboxError",
    "Signing",
    "SlackDriver",
    "SlackSandbox",
    "Workspace",
    "signature",
]
