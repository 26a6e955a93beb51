"""Staff in Slack: `/crm`, real-time alerts with their threads, App Home and a message shortcut."""

from handlers.slack.component import SlackComponent

__all__ = ["SlackComponent"]
