"""What a signed-in member hears on their own channel: their exchanges and their wallet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from models import Exchange
from realtime.channels import member_channel
from resolvers import exchanges, ledger
from resolvers.platform import Platform


async def exchange_updates(
    platform: Platform, member_id: int, on_overflow: Callable[[], None]
) -> AsyncIterator[Exchange]:
    """Each exchange of this member, as it stands when its change is announced."""
    async with platform.hub.listen([member_channel(member_id)], on_overflow) as listener:
        async for notice in listener:
            exchange_id = notice.body.get("exchange")
            if isinstance(exchange_id, int):
                [exchange] = await exchanges.get_exchanges(platform, [exchange_id], member_id)
                if exchange is not None:
                    yield exchange


async def wallet_updates(
    platform: Platform, member_id: int, on_overflow: Callable[[], None]
) -> AsyncIterator[ledger.Wallet]:
    """This member's wallet after each change to it, and after the broadcaster reconnects
    (changes announced while it was down were lost)."""
    async with platform.hub.listen([member_channel(member_id)], on_overflow) as listener:
        async for notice in listener:
            if notice.body.get("wallet") == member_id or "resync" in notice.body:
                async with platform.db.read() as session:
                    wallet = await ledger.wallet(session, member_id)
                yield wallet
