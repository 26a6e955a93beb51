"""Run the sandbox Slack on its own: `python -m bot.sandbox.slack --port 8090 --app-url URL`."""

from __future__ import annotations

import argparse
import asyncio

from bot.sandbox.slack.models import Workspace
from bot.sandbox.slack.server import SlackSandbox


async def serve(args: argparse.Namespace) -> None:
    workspace = Workspace(signing_secret=args.signing_secret, bot_token=args.bot_token)
    sandbox = SlackSandbox(workspace, port=args.port)
    if args.app_url:
        sandbox.driver.connect_app(args.app_url)
    async with sandbox:
        print(
            f"sandbox Slack: SLACK_API_BASE_URL={sandbox.api_url}  driver: {sandbox.url}/sandbox/", flush=True
        )
        await asyncio.Event().wait()  # until Ctrl+C cancels the run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.slack", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--app-url", help="the app's Request URL, e.g. http://127.0.0.1:8000/slack/events")
    parser.add_argument("--signing-secret", default=Workspace.signing_secret)
    parser.add_argument("--bot-token", default=Workspace.bot_token)
    try:
        asyncio.run(serve(parser.parse_args()))
    except KeyboardInterrupt:
        return  # Ctrl+C is how this foreground server is meant to stop


if __name__ == "__main__":
    main()
