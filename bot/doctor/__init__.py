"""`retention-bot doctor` (SPEC §11): checks what a live setup needs and says how to fix each
problem. A service: it returns a Report; the CLI renders it, `run` logs it."""

from bot.doctor.model import Check, Report, Status
from bot.doctor.runner import DEFAULT_TIMEOUT, Scope, check_at_start, diagnose

__all__ = ["DEFAULT_TIMEOUT", "Check", "Report", "Scope", "Status", "check_at_start", "diagnose"]
