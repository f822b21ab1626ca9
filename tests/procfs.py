"""What Linux's /proc says of processes and their TCP sockets, for the tests and benchmarks
that run servers as processes of their own."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LISTEN = "0A"


@dataclass(frozen=True)
class TcpSocket:
    inode: int
    local_port: int
    remote_port: int
    state: str


def tcp_sockets() -> list[TcpSocket]:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            found.append(TcpSocket(int(fields[9]), _port(fields[1]), _port(fields[2]), fields[3]))
    return found


def listening_on(port: int) -> int:
    """How many sockets listen on `port`: one per worker when each has its own."""
    return sum(1 for s in tcp_sockets() if s.local_port == port and s.state == LISTEN)


def _port(address: str) -> int:
    """An address as the kernel writes it there: hexadecimal IP, a colon, hexadecimal port."""
    return int(address.rsplit(":", 1)[1], 16)


def children(pid: int) -> list[int]:
    """The processes `pid` started and that still run (none if `pid` has ended)."""
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except FileNotFoundError:
        return []


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets a process holds open, as `tcp_sockets` names them."""
    found: set[int] = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return found
    for descriptor in descriptors:
        try:
            target = os.readlink(descriptor)
        except FileNotFoundError:
            continue  # closed while we looked
        if target.startswith("socket:["):
            found.add(int(target[len("socket:[") : -1]))
    return found


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()
