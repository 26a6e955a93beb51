"""README "Going live", followed as written: a fresh clone, the section's own shell commands, and
at the end `doctor` all green, with the sandbox Telegram and Slack standing in for the real ones.

The commands are read from the README, not copied here, so the section cannot drift from what
works. What needs root on a real server (apt, useradd, systemctl) is left out: the systemd unit
is checked by tests/unit/test_deploy.py. Two changes keep the test fast and offline-safe, and
neither touches the bot's own files: `/srv/retention-bot` is a temporary directory, and pip
installs `./src` without its dependencies (PIP_NO_DEPS) into a virtualenv that sees this test
run's already-installed ones, so the package's own files (migrations, catalogues, the demo's
data) come from the clone's wheel, as a shop's would.
"""

from __future__ import annotations

import asyncio
import csv
import re
import site
import sys
from pathlib import Path

from openpyxl import Workbook

from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from tests.conftest import CDNOW
from tests.e2e.test_env_example_setup import filled_in
from tests.support.bot_process import environment_without_settings, slack_settings, telegram_settings

REPO = Path(__file__).resolve().parents[2]
HOME = "/srv/retention-bot"
SECRET = "going-live-signing-secret"
ADMIN_ONLY = ("sudo apt ", "sudo useradd ", "sudo -u retention-bot -s", "sudo cp ", "sudo systemctl ")


def going_live_blocks() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Going live\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)


def as_script(block: str, home: Path) -> str:
    """The block as a bash script for `home`; root-only lines become no-ops, the clone is of this repo."""
    lines = ["set -euo pipefail"]
    for line in block.replace(HOME, str(home)).splitlines():
        command = line.split("  #")[0].split("    #")[0].strip()
        if command.startswith(ADMIN_ONLY):
            lines.append(f": root only, not run here: {command}")
        elif command.startswith("sudo -u retention-bot git clone "):
            lines.append(f"git clone --quiet {REPO} {command.split()[-1]}")
        elif command.startswith("python3 -m venv "):
            venv = command.split()[-1]
            lines.append(f"{sys.executable} -m venv {venv}")
            deps = site.getsitepackages()[0]
            lines.append(
                f"echo {deps} > {venv}/lib/python3.{sys.version_info.minor}/site-packages/zz_deps.pth"
            )
        else:
            lines.append(command)
    return "\n".join(lines) + "\n"


async def bash(script: str, cwd: Path) -> str:
    env = environment_without_settings()
    env["PIP_NO_DEPS"] = "1"
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 600)
    text = out.decode(errors="replace")
    assert process.returncode == 0, f"{script}\n---\n{text}"
    return text


def spreadsheets(home: Path) -> None:
    """The shop's own files of step 3: customers in Excel, purchases in CSV (real CDNOW rhythms)."""
    with CDNOW.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ids = sorted({row["customer_id"] for row in rows})[:40]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["customer_id", "name", "phone"])
    for n, customer_id in enumerate(ids):
        sheet.append([customer_id, f"Customer {n}", f"+1415555{n:04d}"])
    book.save(home / "customers.xlsx")
    with (home / "purchases.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(row for row in rows if row["customer_id"] in ids)


async def test_the_readme_going_live_section_ends_with_doctor_all_green(tmp_path: Path) -> None:
    home = tmp_path / "srv" / "retention-bot"
    home.mkdir(parents=True)  # what `useradd --create-home --home-dir` makes
    install, settle, day_one, *later = going_live_blocks()
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        SlackSandbox(Workspace(signing_secret=SECRET)) as slack,
    ):
        boss = slack.driver.add_user("boss", real_name="Bea Boss")
        channel = slack.driver.add_channel("retention-team", members=[boss])  # the app invited
        await bash(as_script(install, home), home)
        await bash(as_script(settle, home), home)
        env_file = home / ".env"
        env_file.write_text(
            filled_in(
                env_file.read_text(encoding="utf-8"),
                {
                    **telegram_settings(telegram),
                    **slack_settings(slack, channel, SECRET),
                    "SLACK_ADMIN_USER_IDS": boss,
                    "TIMEZONE": "Asia/Taipei",
                    "BUSINESS_NAME": "Tea House",
                },
            ),
            encoding="utf-8",
        )
        spreadsheets(home)
        said = await bash(as_script(day_one, home), home)  # set -e: doctor's exit 0 is the check
        upgraded = [await bash(as_script(block, home), home) for block in later]

    assert re.search(r"│ new\s+│ 40 ", said), said  # the customers of the spreadsheet
    assert re.search(r"\d+ ok: everything needed works\.", said), said
    assert "Traceback" not in said + "".join(upgraded)
    installed = home / ".venv" / "lib" / f"python3.{sys.version_info.minor}" / "site-packages"
    assert (
        installed / "bot" / "demo" / "data" / "cdnow_sample.csv"
    ).is_file()  # from the wheel, not the repo
    assert list((installed / "storage" / "migrations" / "versions").glob("0003_*.py"))
    assert list((home / "backups").glob("before-upgrade-*.backup"))
