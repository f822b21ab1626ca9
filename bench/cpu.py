"""CPU time of the processes a benchmark runs, read from /proc."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its descendants (the uvicorn workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children(pid))


def children(pid: int) -> list[int]:
    """The processes `pid` started, but for multiprocessing's resource tracker."""
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        commands = {child: Path(f"/proc/{child}/cmdline").read_bytes() for child in found}
    except FileNotFoundError:
        return []
    return [
        int(child) for child, command in commands.items() if b"resource_tracker" not in command
    ]


def named_cpu_seconds(name: str) -> float:
    """User and system CPU time of every process called `name` (PostgreSQL's backends)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended while we looked
        command, fields = text[text.index("(") + 1 :].rsplit(")", 1)
        if command == name:
            values = fields.split()
            total += int(values[11]) + int(values[12])
    return total / os.sysconf("SC_CLK_TCK")
