"""The machine's TCP sockets as Linux lists them in /proc/net/tcp and /proc/net/tcp6."""

from __future__ import annotations

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
