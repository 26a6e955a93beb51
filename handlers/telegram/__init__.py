"""The customer side in Telegram: python-telegram-bot handlers over the domain services."""
