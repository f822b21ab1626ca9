"""Exchanges: the Exchange type, the member's own list, and the five moves of its state
machine. An exchange is visible to its two members alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated

import strawberry

from models import Exchange as ExchangeRow
from models import ExchangeStatus
from resolvers import exchanges, settlement
from resolvers.errors import DomainError, invalid
from resolvers.exchanges import Moved
from resolvers.pages import check_first
from resolvers.settlement import Reward
from resolvers.translations import N_
from schema.context import Info
from schema.errors import UserError, bad_user_input, payload_or_user_errors
from schema.idempotency import IDEMPOTENCY_KEY
from schema.ids import decode_id, encode_id
from schema.listings import Listing
from schema.members import Member, load_member
from schema.nodes import Node, node_kind
from schema.pages import PageInfo
from schema.permissions import IsAuthenticated, signed_in_id

strawberry.enum(ExchangeStatus)
strawberry.enum(Reward, description="What the provider of an exchange receives.")


@strawberry.type(description="One member helping another. Visible to those two alone.")
class Exchange(Node):
    row: strawberry.Private[ExchangeRow]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Exchange", self.row.id)

    @strawberry.field
    def status(self) -> ExchangeStatus:
        return ExchangeStatus(self.row.status)

    @strawberry.field
    async def listing(self, info: Info) -> Listing:
        listing = await info.context.loaders.listing.load(self.row.listing_id)
        if listing is None:
            raise LookupError(f"exchange {self.row.id} has no listing {self.row.listing_id}")
        return Listing(row=listing)

    @strawberry.field(description="Who helps, and receives the reward.")
    async def provider(self, info: Info) -> Member:
        return await load_member(info, self.row.provider_id)

    @strawberry.field(description="Who is helped, and pays (except on an appeal).")
    async def beneficiary(self, info: Info) -> Member:
        return await load_member(info, self.row.beneficiary_id)

    @strawberry.field(description="The price, or on an appeal the value of the help.")
    def digos(self) -> int:
        return self.row.digos

    @strawberry.field(description="What the commons pays of the price, for goodvibes applied.")
    def discount_digos(self) -> int:
        return self.row.discount_digos

    @strawberry.field(description="What the beneficiary spends for the discount.")
    def goodvibes_applied(self) -> int:
        return self.row.goodvibes_applied

    @strawberry.field
    def reward(self) -> Reward:
        return settlement.reward(self.row)

    @strawberry.field(description="What the provider receives on completion.")
    def reward_amount(self) -> int:
        return self.row.digos

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at


async def _own_exchanges(info: Info, exchange_ids: list[int]) -> list[Exchange | None]:
    viewer_id = info.context.viewer_id
    if viewer_id is None:
        return [None] * len(exchange_ids)
    found = await exchanges.get_exchanges(info.context.services, exchange_ids, viewer_id)
    return [None if row is None else Exchange(row=row) for row in found]


node_kind("Exchange", _own_exchanges)


@strawberry.input
class RequestExchangeInput:
    listing_id: strawberry.ID
    goodvibes: int | None = strawberry.field(
        default=0, description="On an offer: goodvibes to apply for a discount."
    )
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.input
class AcceptExchangeInput:
    exchange_id: strawberry.ID
    goodvibes: int | None = strawberry.field(
        default=0, description="On your need: goodvibes to apply for a discount."
    )
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.input
class ExchangeActionInput:
    exchange_id: strawberry.ID
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.type
class ExchangePayload:
    exchange: Exchange | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ExchangeEdge:
    cursor: str
    node: Exchange


@strawberry.type
class ExchangeConnection:
    edges: list[ExchangeEdge]
    page_info: PageInfo


def after_id(kind: str, after: str | None) -> int | None:
    """The keyset inside an `after` cursor; BAD_USER_INPUT for anything else."""
    if after is None:
        return None
    try:
        return decode_id(kind, after, "after")
    except DomainError:
        raise bad_user_input(invalid("after", N_("is not a cursor of this list"))) from None


def page_size(first: int | None) -> int:
    try:
        return check_first(first)
    except DomainError as error:
        raise bad_user_input(error) from None


async def _done(info: Info, outcome: Awaitable[Moved]) -> ExchangePayload:
    """The payload of a move; the rows the move read are not read again for its answer."""
    moved = await outcome
    loaders, viewer = info.context.loaders, info.context.viewer
    if moved.listing is not None and moved.listing.id is not None:
        loaders.listing.prime(moved.listing.id, moved.listing)
    shown = [*moved.members, *([viewer] if viewer else [])]
    loaders.member.prime_many({m.id: m for m in shown if m.id is not None})
    return ExchangePayload(exchange=Exchange(row=moved.exchange))


def _exchange_id(value: strawberry.ID) -> int:
    return decode_id("Exchange", value, "exchangeId")


@strawberry.type
class ExchangeQuery:
    @strawberry.field(
        description="Your exchanges, as provider or beneficiary, newest first.",
        permission_classes=[IsAuthenticated],
    )
    async def my_exchanges(
        self,
        info: Info,
        status: list[ExchangeStatus] | None = None,
        first: Annotated[int | None, strawberry.argument(description="1 to 100; 20.")] = None,
        after: str | None = None,
    ) -> ExchangeConnection | None:
        size, before = page_size(first), after_id("Exchange", after)
        page = await exchanges.my_exchanges(
            info.context.services, signed_in_id(info), statuses=status, first=size, before=before
        )
        edges = [
            ExchangeEdge(cursor=encode_id("Exchange", x.id), node=Exchange(row=x))
            for x in page.items
        ]
        return ExchangeConnection(
            edges=edges,
            page_info=PageInfo.forward(page.has_next, edges),
        )


@strawberry.type
class ExchangeMutation:
    @strawberry.mutation(
        description="Answer a listing. On an offer, the price (less any discount) is held.",
        permission_classes=[IsAuthenticated],
    )
    async def request_exchange(
        self, info: Info, input: RequestExchangeInput
    ) -> ExchangePayload | None:
        async def requested() -> ExchangePayload:
            return await _done(
                info,
                exchanges.request_exchange(
                    info.context.services,
                    signed_in_id(info),
                    listing_id=decode_id("Listing", input.listing_id, "listingId"),
                    goodvibes=input.goodvibes or 0,
                    idempotency_key=input.idempotency_key,
                ),
            )

        return await payload_or_user_errors(ExchangePayload, requested())

    @strawberry.mutation(
        description="Accept a request on your listing. On a need, you commit the price now.",
        permission_classes=[IsAuthenticated],
    )
    async def accept_exchange(
        self, info: Info, input: AcceptExchangeInput
    ) -> ExchangePayload | None:
        async def accepted() -> ExchangePayload:
            return await _done(
                info,
                exchanges.accept_exchange(
                    info.context.services,
                    signed_in_id(info),
                    exchange_id=_exchange_id(input.exchange_id),
                    goodvibes=input.goodvibes or 0,
                    idempotency_key=input.idempotency_key,
                ),
            )

        return await payload_or_user_errors(ExchangePayload, accepted())

    @strawberry.mutation(
        description="Decline a request on your listing; what it held is released.",
        permission_classes=[IsAuthenticated],
    )
    async def decline_exchange(
        self, info: Info, input: ExchangeActionInput
    ) -> ExchangePayload | None:
        return await _close(info, exchanges.DECLINE, input)

    @strawberry.mutation(
        description="Either member calls off an open exchange; what it held is released.",
        permission_classes=[IsAuthenticated],
    )
    async def cancel_exchange(
        self, info: Info, input: ExchangeActionInput
    ) -> ExchangePayload | None:
        return await _close(info, exchanges.CANCEL, input)

    @strawberry.mutation(
        description="The beneficiary confirms the help: the provider is paid.",
        permission_classes=[IsAuthenticated],
    )
    async def complete_exchange(
        self, info: Info, input: ExchangeActionInput
    ) -> ExchangePayload | None:
        return await _close(info, exchanges.COMPLETE, input)


async def _close(
    info: Info, transition: exchanges.Transition, input: ExchangeActionInput
) -> ExchangePayload:
    async def closed() -> ExchangePayload:
        return await _done(
            info,
            exchanges.close_exchange(
                info.context.services,
                signed_in_id(info),
                transition,
                exchange_id=_exchange_id(input.exchange_id),
                idempotency_key=input.idempotency_key,
            ),
        )

    return await payload_or_user_errors(ExchangePayload, closed())
