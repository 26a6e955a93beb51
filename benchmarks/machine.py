"""The machine a benchmark ran on: CPU count and model, memory, Python and library versions, date."""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib.metadata import version
from pathlib import Path


def describe() -> str:
    """One markdown line: date, nproc, CPU model, RAM, Python, numpy/scipy."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown RAM"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kib / 1024 / 1024:.1f} GiB RAM"
    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{dt.date.today().isoformat()} · {os.cpu_count()} CPUs ({cpu}) · {ram}{load} · "
        f"Python {platform.python_version()}, numpy {version('numpy')}, scipy {version('scipy')}"
    )
