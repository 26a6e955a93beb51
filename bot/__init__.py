"""retention-bot: customer retention for small businesses (Telegram for customers, Slack for staff)."""

__version__ = "0.1.0"
