"""A local fake of the Telegram Bot API for end-to-end tests and the demo playground.

The bot talks to it over HTTP exactly as to a self-hosted Bot API server
(TELEGRAM_API_BASE_URL = SandboxServer.bot_api_base_url); tests and the playground play the
users through TelegramSandbox (in-process) or its /sandbox/... HTTP endpoints.

    sandbox = TelegramSandbox()
    async with SandboxServer(sandbox) as server:
        app = ApplicationBuilder().token(sandbox.token).base_url(server.bot_api_base_url).build()
        ann = sandbox.create_user("Ann", language_code="en")
        sandbox.push_text(ann.id, "/start")
        reply = await sandbox.next_bot_message(ann.id)
"""

from bot.sandbox.telegram.driver import TelegramSandbox
from bot.sandbox.telegram.errors import SandboxError
from bot.sandbox.telegram.flood import FloodLimits
from bot.sandbox.telegram.server import SandboxServer, UvicornServer, create_app
from bot.sandbox.telegram.state import SandboxStats, SandboxUser, Upload
from bot.sandbox.telegram.views import FileView, MessageView

__all__ = [
    "FileView",
    "FloodLimits",
    "MessageView",
    "SandboxError",
    "SandboxServer",
    "SandboxStats",
    "SandboxUser",
    "TelegramSandbox",
    "Upload",
    "UvicornServer",
    "create_app",
]
