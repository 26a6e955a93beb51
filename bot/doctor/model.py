"""What the doctor finds: one Check per thing a live setup needs, and the Report of them all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    """Works, but probably not as the owner wants it (warnings do not fail the doctor)."""
    FAILED = "failed"
    """Something the bot needs is wrong: `retention-bot doctor` exits 1."""
    SKIPPED = "skipped"
    """Not looked at: the part is not configured, or a check it depends on failed."""


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    """One line: what was found."""
    fix: str | None = None
    """What the shop owner does about it, in plain words; None when nothing needs doing."""

    def redacted(self, secrets: list[str]) -> Check:
        """The same check with every secret (a token in an error message, say) replaced by ***."""
        detail, fix = self.detail, self.fix
        for secret in sorted((s for s in secrets if s), key=len, reverse=True):
            detail = detail.replace(secret, "***")
            fix = fix.replace(secret, "***") if fix is not None else None
        return replace(self, detail=detail, fix=fix)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "detail": self.detail, "fix": self.fix}


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def warning(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.WARNING, detail, fix)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAILED, detail, fix)


def skipped(name: str, detail: str) -> Check:
    return Check(name, Status.SKIPPED, detail)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Everything needed works (warnings and skipped checks allowed)."""
        return all(check.status is not Status.FAILED for check in self.checks)

    def counts(self) -> Counter[Status]:
        return Counter(check.status for check in self.checks)

    def summary(self) -> str:
        """`9 ok, 1 warning, 1 failed, 2 skipped` (only the statuses that occur)."""
        counts = self.counts()
        words = {Status.WARNING: ("warning", "warnings")}
        parts = []
        for status in Status:
            if counts[status]:
                singular, plural = words.get(status, (status.value, status.value))
                parts.append(f"{counts[status]} {singular if counts[status] == 1 else plural}")
        return ", ".join(parts)

    def find(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [check.to_json() for check in self.checks]}
