"""What a signed-in member hears on their own channel: their exchanges and their wallet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

from sqlmodel import col, or_, select

from models import Exchange
from models.columns import utcnow
from realtime.channels import member_channel
from resolvers import exchanges, ledger
from resolvers.platform import Platform


async def exchange_updates(
    platform: Platform, member_id: int, on_overflow: Callable[[], None]
) -> AsyncIterator[Exchange]:
    """Each exchange of this member, as it stands when its change is announced; and after the
    broadcaster reconnects, every one changed since the last sent (those announcements were
    lost while it was down)."""
    since = utcnow()
    async with platform.hub.listen([member_channel(member_id)], on_overflow) as listener:
        async for notice in listener:
            exchange_id = notice.body.get("exchange")
            found: Sequence[Exchange | None]
            if isinstance(exchange_id, int):
                found = await exchanges.get_exchanges(platform, [exchange_id], member_id)
            elif "resync" in notice.body:
                found = await _changed_since(platform, member_id, since)
            else:
                continue
            for exchange in found:
                if exchange is not None:
                    since = max(since, exchange.updated_at)
                    yield exchange


async def _changed_since(platform: Platform, member_id: int, since: datetime) -> list[Exchange]:
    party = or_(col(Exchange.provider_id) == member_id, col(Exchange.beneficiary_id) == member_id)
    async with platform.db.read() as session:
        changed = await session.scalars(
            select(Exchange)
            .where(party, col(Exchange.updated_at) > since)
            .order_by(col(Exchange.updated_at), col(Exchange.id))
        )
        return list(changed.all())


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
