"""What one client address may hold of a process's anonymous sockets.

Anonymous feeds need no account, so nothing but the address bounds what one client makes a
process hold: sockets, and subscriptions (each with its queue and its share of channels).
Counted per process, as the memory they bound is; a socket's share is freed when it closes.
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Protocol


class Socket(Protocol):
    @property
    def operations(self) -> Sized: ...


class AnonymousSockets:
    def __init__(self, *, max_sockets: int, max_subscriptions: int) -> None:
        self.max_sockets = max_sockets
        self.max_subscriptions = max_subscriptions
        self._by_address: dict[str, set[Socket]] = {}

    def admit(self, address: str, socket: Socket) -> bool:
        """Count `socket` against its address, unless the address holds its share already."""
        held = self._by_address.setdefault(address, set())
        if len(held) >= self.max_sockets:  # so `held` is not empty: it stays
            return False
        held.add(socket)
        return True

    def release(self, address: str, socket: Socket) -> None:
        held = self._by_address.get(address)
        if held is not None:
            held.discard(socket)
            if not held:
                del self._by_address[address]

    def may_subscribe(self, address: str) -> bool:
        """Whether the address's anonymous sockets run fewer operations than they may."""
        running = sum(len(s.operations) for s in self._by_address.get(address, ()))
        return running < self.max_subscriptions

    @property
    def addresses(self) -> int:
        return len(self._by_address)
