"""deploy/: the systemd unit of README "Going live" is one systemd accepts, and hardened."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "retention-bot.service"
HOME = "/srv/retention-bot"


def verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` on the unit with its home moved under tmp_path, where a stand-in
    executable satisfies ExecStart (verify insists the binary exists; no systemd needs to run)."""
    systemd_analyze = shutil.which("systemd-analyze")
    assert systemd_analyze is not None, "systemd-analyze is missing (Debian's systemd package has it)"
    home = tmp_path / "srv" / "retention-bot"
    binary = home / ".venv" / "bin" / "retention-bot"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n", encoding="utf-8")
    binary.chmod(0o755)
    unit = tmp_path / "retention-bot.service"
    unit.write_text(unit_text.replace(HOME, str(home)), encoding="utf-8")
    return subprocess.run(
        [systemd_analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = verify(UNIT.read_text(encoding="utf-8"), tmp_path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_would_catch_a_mistake_in_the_unit(tmp_path: Path) -> None:
    broken = UNIT.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSystem=strictly")
    result = verify(broken, tmp_path)
    assert "Failed to parse protect system value" in result.stderr


def test_the_unit_runs_the_bot_unprivileged_in_its_own_directory_only() -> None:
    lines = {line.strip() for line in UNIT.read_text(encoding="utf-8").splitlines()}
    for expected in (
        f"ExecStart={HOME}/.venv/bin/retention-bot run",
        f"WorkingDirectory={HOME}",
        "User=retention-bot",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        f"ReadWritePaths={HOME}",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "KillSignal=SIGTERM",
        "Restart=on-failure",
    ):
        assert expected in lines, expected
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "deploy/retention-bot.service /etc/systemd/system/" in readme
