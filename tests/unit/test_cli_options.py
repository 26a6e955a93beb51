"""The `retention-bot` console script's own options, and a bad log setting, as a user meets them."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from bot.config import Settings

BINARY = Path(sys.executable).parent / "retention-bot"


def retention_bot(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """The real console script in an empty directory, with only `settings` from the environment."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(settings)
    return subprocess.run(
        [str(BINARY), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_version_prints_the_installed_version_and_exits_0(tmp_path: Path) -> None:
    done = retention_bot(tmp_path, "--version")
    installed = version("retention-bot")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"retention-bot {installed}\n", "")
    assert installed.count(".") >= 2  # X.Y.Z


def test_a_bad_log_level_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = retention_bot(tmp_path, "jobs", LOG_LEVEL="loud", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert done.returncode == 2, done
    [line] = done.stderr.splitlines()
    assert line.startswith("error: LOG_LEVEL: ") and "'loud'" in line
    assert "DEBUG, INFO, WARNING, ERROR" in line
    assert not (tmp_path / "x.db").exists()
