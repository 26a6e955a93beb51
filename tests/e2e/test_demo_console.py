"""`retention-bot demo --console --script`: the real bot against the sandboxes, played from a script."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from pathlib import Path

from tests.support.demo import demo_command, demo_env, running_demo

FIRST_VISIT = """\
# a customer links their chat by phone and checks their points; staff look them up
:customer /start
:tap Share my phone number
:expect customer linked
:customer /points
:expect customer You have [0-9,]+ points
:staff /crm find {customer_id}
:expect staff {name}
:expect staff Tier
"""


def run_script(directory: Path, script: str) -> subprocess.CompletedProcess[str]:
    path = directory / "session.txt"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        demo_command("--script", str(path)),
        cwd=directory,
        env=demo_env(directory),
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_scripted_session_links_the_customer_by_phone_shows_points_and_the_staff_card(tmp_path: Path) -> None:
    result = run_script(tmp_path, FIRST_VISIT)

    transcript = result.stdout
    assert result.returncode == 0, transcript + result.stderr
    assert "Traceback" not in result.stderr
    assert "✗" not in transcript
    assert transcript.count("✓") == 4
    customer_part = transcript.split("» :staff", 1)[0]
    assert "📱 bot → " in customer_part
    assert "You have" in customer_part and "Tier" in customer_part
    staff_part = transcript.split("» :staff", 1)[1]
    assert "#retention-team" in staff_part
    assert "Customer id" in staff_part and "Points" in staff_part


def test_unmet_expectation_fails_the_script_with_exit_1(tmp_path: Path) -> None:
    result = run_script(tmp_path, ":expect customer this text never appears\n")

    assert result.returncode == 1
    assert "✗ expected customer to see /this text never appears/" in result.stdout
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_the_browser_demo_cleanly_and_releases_its_port(tmp_path: Path) -> None:
    from bot.demo.runner import free_port

    port = free_port()
    with running_demo(tmp_path, port) as demo:
        assert demo.url == f"http://127.0.0.1:{port}/playground"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as health:
            assert health.status == 200
        with urllib.request.urlopen(demo.url, timeout=10) as page:
            assert b"retention-bot playground" in page.read()

    output = "".join(demo.lines)
    assert demo.process.returncode == 0, output
    assert "Traceback" not in output
    with socket.socket() as probe:  # nothing listens any more…
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    with socket.socket() as probe:  # …and a new demo can take the port (as servers bind: SO_REUSEADDR)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_advancing_a_day_says_which_jobs_ran_in_words_only(tmp_path: Path) -> None:
    result = run_script(tmp_path, ":advance 1d\n")
    transcript = result.stdout
    assert result.returncode == 0, transcript + result.stderr
    [line] = [line for line in transcript.splitlines() if line.startswith("⏩ it is now")]
    assert "ran digest for" in line and "posted digest" in line, line
    assert "⟦" not in line and '"kpis"' not in line, line  # the job's own record is not for people
