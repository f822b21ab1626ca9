"""Helpers for the tests of reviews, reports, blocks and moderation: the contract's operations
sent as clients send them, scripted exchanges, and moderators."""

from __future__ import annotations

from typing import Any

from models import Database
from resolvers import moderators
from tests.api import Api, SignedIn
from tests.economy import exchange_of, post_listing


async def send(
    api: Api, operation: str, variables: dict[str, Any] | None = None, *, token: str | None = None
) -> dict[str, Any]:
    """The whole answer to one of the contract's operations, sent as a client sends it."""
    return await api.client_op(operation, variables, token=token)


async def payload(
    api: Api, operation: str, member: SignedIn | None, **input: Any
) -> dict[str, Any]:
    """The payload of one of the contract's mutations, which must answer without a GraphQL
    error."""
    result = await send(api, operation, {"input": input}, token=member.token if member else None)
    assert "errors" not in result, result["errors"]
    data: dict[str, Any] = next(iter(result["data"].values()))
    return data


def codes(found: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in found["userErrors"]]


async def completed_exchange(
    api: Api, provider: SignedIn, beneficiary: SignedIn, *, digos: int = 5
) -> str:
    """The id of an exchange on an offer of `provider` that `beneficiary` took, completed."""
    offer = await post_listing(api, provider, "OFFER", digos)
    exchange = await exchange_of(api, "RequestExchange", beneficiary, listingId=offer)
    await exchange_of(api, "AcceptExchange", provider, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", beneficiary, exchangeId=exchange["id"])
    exchange_id: str = exchange["id"]
    return exchange_id


async def moderator(api: Api, database: Database, **register: Any) -> SignedIn:
    """A new member granted the moderators' console."""
    member = await api.register(**register)
    assert await moderators.grant(database, member.email)
    return member
