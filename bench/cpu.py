"""CPU time of the processes a benchmark runs, read from /proc."""

from __future__ import annotations

from pathlib import Path

from tests.procfs import children


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its descendants (the uvicorn workers)."""
    return _own_cpu_seconds(pid) + sum(cpu_seconds(child) for child in worker_pids(pid))


def _own_cpu_seconds(pid: int) -> float:
    """The scheduler's count, in nanoseconds, of every live thread's time on a CPU.

    /proc/<pid>/stat counts in clock ticks (10 ms), charged to whichever process a tick finds
    running: a PostgreSQL backend that runs 50 µs at a time is missed or overcharged.
    """
    total = 0
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return 0.0
    for thread in threads:
        try:
            total += int((thread / "schedstat").read_text().split()[0])
        except FileNotFoundError:
            continue  # it ended while we looked
    return total / 1e9


def worker_pids(pid: int) -> list[int]:
    """The processes `pid` started, but for multiprocessing's resource tracker."""
    found = {}
    for child in children(pid):
        try:
            found[child] = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue  # it ended while we looked
    return [child for child, command in found.items() if b"resource_tracker" not in command]


def named_cpu_seconds(name: str) -> float:
    """CPU time of every process called `name` (PostgreSQL's backends)."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                total += _own_cpu_seconds(int(comm.parent.name))
        except FileNotFoundError:
            continue  # it ended while we looked
    return total
