"""Settings (environment and `.env`) and business rules (optional TOML), validated once at start."""

from bot.config.rules import BusinessRules, RewardRule, TierRule, load_rules
from bot.config.settings import Settings

__all__ = ["BusinessRules", "RewardRule", "Settings", "TierRule", "load_rules"]
