"""Helpers for the exchange and ledger tests: listings, the five moves, wallets, and a
snapshot of the books to show that a refused call changed nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select

from indigo.settings import Settings
from models import Account, Database, Exchange, IdempotencyKey, LedgerEntry
from tests.api import Api, SignedIn

PARIS = {"latitude": 48.85661, "longitude": 2.35222}


def roomy_settings(database_url: str) -> Settings:
    """The test settings, with room for the many mutations one member sends at once."""
    return Settings(
        database_url=database_url,
        broadcast_url="memory://",
        mutations_per_minute=1_000_000,
        _env_file=None,
    )


FIELDS = {
    "RequestExchange": "requestExchange",
    "AcceptExchange": "acceptExchange",
    "DeclineExchange": "declineExchange",
    "CancelExchange": "cancelExchange",
    "CompleteExchange": "completeExchange",
}


async def post_listing(api: Api, author: SignedIn, type_: str, digos: int) -> str:
    """The id of a new listing of `type_` (OFFER, NEED, APPEAL) by `author`."""
    payload = (
        await api.data(
            "CreateListing",
            {
                "input": {
                    "type": type_,
                    "kind": "SERVICE",
                    "category": "lessons",
                    "title": f"{type_.lower()} for {digos}",
                    "description": "",
                    "digos": digos,
                    "location": PARIS,
                }
            },
            token=author.token,
        )
    )["createListing"]
    assert payload["userErrors"] == [], payload["userErrors"]
    listing_id: str = payload["listing"]["id"]
    return listing_id


async def members(api: Api, count: int) -> list[SignedIn]:
    return [await api.register(display_name=f"Member {i}") for i in range(count)]


async def earn_goodvibes(api: Api, helper: SignedIn, amount: int = 30) -> None:
    """`helper` helps a member short of digos on an appeal worth `amount` (more than 20)."""
    short = await api.register(display_name="Short")
    appeal = await post_listing(api, short, "APPEAL", amount)
    exchange = await exchange_of(api, "RequestExchange", helper, listingId=appeal)
    await exchange_of(api, "AcceptExchange", short, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", short, exchangeId=exchange["id"])


async def move(api: Api, operation: str, member: SignedIn, **input: Any) -> dict[str, Any]:
    """The payload of one of the five exchange mutations, sent by `member`."""
    data = await api.data(operation, {"input": input}, token=member.token)
    payload: dict[str, Any] = data[FIELDS[operation]]
    return payload


async def exchange_of(api: Api, operation: str, member: SignedIn, **input: Any) -> dict[str, Any]:
    """The exchange of a move that must succeed."""
    payload = await move(api, operation, member, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    exchange: dict[str, Any] = payload["exchange"]
    return exchange


def refusal(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    assert payload["exchange"] is None
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def wallet(api: Api, member: SignedIn) -> dict[str, int]:
    found: dict[str, int] = (await api.data("Me", token=member.token))["me"]["wallet"]
    return found


def wallet_of(
    digos: int, held: int = 0, goodvibes: int = 0, held_goodvibes: int = 0
) -> dict[str, int]:
    return {
        "digos": digos,
        "heldDigos": held,
        "availableDigos": digos - held,
        "goodvibes": goodvibes,
        "heldGoodvibes": held_goodvibes,
    }


@dataclass(frozen=True)
class Books:
    """Everything an exchange may change: balances, holds, entries, exchanges, keys."""

    accounts: list[tuple[int | None, int, int]]
    entries: int
    exchanges: list[tuple[int, str, int, int, int, int]]
    keys: int


async def books(database: Database) -> Books:
    async with database.read() as session:
        accounts = (
            await session.execute(
                select(col(Account.id), col(Account.balance), col(Account.held)).order_by(
                    col(Account.id)
                )
            )
        ).all()
        rows = (await session.scalars(select(Exchange).order_by(col(Exchange.id)))).all()
        entries = await session.scalar(select(func.count()).select_from(LedgerEntry))
        keys = await session.scalar(select(func.count()).select_from(IdempotencyKey))
    return Books(
        accounts=[(i, balance, held) for i, balance, held in accounts],
        entries=entries or 0,
        exchanges=[
            (
                x.id or 0,
                x.status,
                x.discount_digos,
                x.goodvibes_applied,
                x.held_digos,
                x.held_goodvibes,
            )
            for x in rows
        ],
        keys=keys or 0,
    )
