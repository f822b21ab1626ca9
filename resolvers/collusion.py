"""The collusion bounds (design.md, "The economy"): members answering each other's appeals in
a loop to draw goodvibes from the commons. Per 30 days, a helper earns at most
`max_appeal_rewards_per_month` goodvibes from appeals, and answers at most
`max_pair_appeals_per_month` appeals of the same member. `patterns` lists, for moderators,
the pairs and rings closest to those bounds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import Exchange, Transfer, TransferKind
from models.columns import utcnow
from resolvers.economy import Economy
from resolvers.errors import DomainError, ErrorCode
from resolvers.translations import N_

WINDOW = timedelta(days=30)
LONGEST_RING = 4


def _since() -> datetime:
    return utcnow() - WINDOW


def _rewards() -> ColumnElement[bool]:
    """Appeal rewards of the window, joined to the exchange each paid."""
    return and_(
        col(Exchange.id) == col(Transfer.exchange_id),
        col(Transfer.kind) == TransferKind.APPEAL_REWARD,
        col(Transfer.created_at) >= _since(),
    )


async def check_appeal_help(
    session: AsyncSession, economy: Economy, helper_id: int, member_id: int, reward: int
) -> None:
    """LIMIT_REACHED if `helper_id` answering one more appeal of `member_id`, worth `reward`
    goodvibes, would go past a bound. Run under the lock of the commons' goodvibe account
    when completing, so that two completions cannot both pass it."""
    earned, pair = (
        await session.execute(
            select(
                func.coalesce(func.sum(col(Transfer.amount)), 0),
                func.count().filter(col(Exchange.beneficiary_id) == member_id),
            )
            .select_from(Transfer)
            .join(Exchange, _rewards())
            .where(col(Exchange.provider_id) == helper_id)
        )
    ).one()
    if pair >= economy.max_pair_appeals_per_month:
        raise DomainError.of(
            ErrorCode.LIMIT_REACHED,
            N_(
                "you already answered {pair} appeals of this member in the last 30 days: "
                "at most {limit}"
            ),
            pair=pair,
            limit=economy.max_pair_appeals_per_month,
        )
    if earned + reward > economy.max_appeal_rewards_per_month:
        raise DomainError.of(
            ErrorCode.LIMIT_REACHED,
            N_(
                "you earned {earned} goodvibes from appeals in the last 30 days: this one "
                "would pass the bound of {limit}"
            ),
            earned=earned,
            limit=economy.max_appeal_rewards_per_month,
        )


@dataclass(frozen=True, slots=True)
class Help:
    """What one helper did for one member through appeals in the window."""

    helper_id: int
    member_id: int
    appeals: int
    goodvibes: int


@dataclass(frozen=True, slots=True)
class Ring:
    """Members answering each other's appeals in a cycle: each helps the next."""

    member_ids: tuple[int, ...]
    appeals: int
    goodvibes: int


@dataclass(frozen=True, slots=True)
class Patterns:
    pairs: list[Help]
    rings: list[Ring]
    earned: dict[int, int]


async def patterns(session: AsyncSession, economy: Economy, *, top: int = 20) -> Patterns:
    """The pairs nearest the pair bound, the helpers nearest the reward bound, and the rings
    (two to four members helping each other round) that drew the most goodvibes."""
    rows = await session.execute(
        select(
            col(Exchange.provider_id),
            col(Exchange.beneficiary_id),
            func.count(),
            func.sum(col(Transfer.amount)),
        )
        .select_from(Transfer)
        .join(Exchange, _rewards())
        .group_by(col(Exchange.provider_id), col(Exchange.beneficiary_id))
    )
    helps = [Help(h, m, appeals, goodvibes) for h, m, appeals, goodvibes in rows.all()]
    earned: dict[int, int] = defaultdict(int)
    for help_ in helps:
        earned[help_.helper_id] += help_.goodvibes
    pairs = sorted(helps, key=lambda h: (-h.appeals, -h.goodvibes, h.helper_id, h.member_id))
    return Patterns(pairs=pairs[:top], rings=_rings(helps)[:top], earned=dict(earned))


def _rings(helps: list[Help]) -> list[Ring]:
    edges = {(h.helper_id, h.member_id): h for h in helps}
    helped: dict[int, list[int]] = defaultdict(list)
    for helper, member in sorted(edges):
        helped[helper].append(member)
    rings: list[Ring] = []

    def walk(path: list[int]) -> None:
        for member in helped[path[-1]]:
            if member == path[0] and len(path) > 1:
                steps = [edges[a, b] for a, b in zip(path, [*path[1:], path[0]], strict=True)]
                rings.append(
                    Ring(
                        tuple(path),
                        sum(s.appeals for s in steps),
                        sum(s.goodvibes for s in steps),
                    )
                )
            # Each ring is found once: from its smallest member, never revisiting one.
            elif member > path[0] and member not in path and len(path) < LONGEST_RING:
                walk([*path, member])

    for start in sorted(helped):
        walk([start])
    return sorted(rings, key=lambda r: (-r.goodvibes, -r.appeals, r.member_ids))
