"""Reviews and the member card's recognition: what a member did for others, and what the
other party of each completed exchange said of them."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry

from models import Review as ReviewRow
from resolvers import reviews
from resolvers.reviews import ReviewDraft
from schema.context import Info
from schema.errors import UserError, payload_or_user_errors
from schema.exchanges import after_id, page_size
from schema.idempotency import IDEMPOTENCY_KEY
from schema.ids import decode_id, encode_id
from schema.listings import Listing
from schema.members import Member
from schema.nodes import Node, node_kind
from schema.pages import PageInfo
from schema.permissions import IsAuthenticated, signed_in_id


@strawberry.type(description="What a member did for others, as their card shows it.")
class Recognition:
    exchanges_completed: int = strawberry.field(description="As provider or beneficiary.")
    helps_given: int = strawberry.field(description="Completed exchanges they provided.")
    appeals_answered: int = strawberry.field(description="Appeals of others they answered.")
    goodvibes_earned: int = strawberry.field(description="From the appeals they answered.")
    reviews_count: int
    average_rating: float | None = strawberry.field(description="Null with no review.")

    @classmethod
    def of(cls, recognition: reviews.Recognition) -> Recognition:
        return cls(
            exchanges_completed=recognition.exchanges_completed,
            helps_given=recognition.helps_given,
            appeals_answered=recognition.appeals_answered,
            goodvibes_earned=recognition.goodvibes_earned,
            reviews_count=recognition.reviews_count,
            average_rating=recognition.average_rating,
        )


@strawberry.type(description="What one party of a completed exchange said of the other.")
class Review(Node):
    row: strawberry.Private[ReviewRow]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Review", self.row.id)

    @strawberry.field(description="1 to 5.")
    def rating(self) -> int:
        return self.row.rating

    @strawberry.field
    def comment(self) -> str | None:
        return self.row.comment

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    async def author(self, info: Info) -> Member:
        author = await info.context.loaders.member.load(self.row.author_id)
        if author is None:
            raise LookupError(f"review {self.row.id} has no author {self.row.author_id}")
        return Member(row=author)

    @strawberry.field(description="The listing of the exchange reviewed.")
    async def listing(self, info: Info) -> Listing | None:
        listing = await info.context.loaders.listing.load(self.row.listing_id)
        return None if listing is None else Listing(row=listing)


async def _reviews(info: Info, review_ids: list[int]) -> list[Review | None]:
    found = await reviews.get_reviews(info.context.services, review_ids)
    return [None if row is None else Review(row=row) for row in found]


node_kind("Review", _reviews)


@strawberry.type
class ReviewEdge:
    cursor: str
    node: Review


@strawberry.type
class ReviewConnection:
    edges: list[ReviewEdge]
    page_info: PageInfo


async def recognition_of(info: Info, member_id: int) -> Recognition:
    return Recognition.of(await reviews.recognition(info.context.services, member_id))


async def reviews_of(
    info: Info, member_id: int, first: int | None, after: str | None
) -> ReviewConnection:
    size, before = page_size(first), after_id("Review", after)
    page = await reviews.reviews_of(info.context.services, member_id, first=size, before=before)
    edges = [ReviewEdge(cursor=encode_id("Review", r.id), node=Review(row=r)) for r in page.items]
    return ReviewConnection(
        edges=edges,
        page_info=PageInfo.forward(page.has_next, edges),
    )


@strawberry.input
class ReviewExchangeInput:
    exchange_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5.")
    comment: str | None = strawberry.field(default=None, description="At most 1,000.")
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.type
class ReviewPayload:
    review: Review | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(
        description="Review the other party of a completed exchange: once, within 30 days.",
        permission_classes=[IsAuthenticated],
    )
    async def review_exchange(
        self, info: Info, input: ReviewExchangeInput
    ) -> ReviewPayload | None:
        async def reviewed() -> ReviewPayload:
            draft = ReviewDraft(
                exchange_id=decode_id("Exchange", input.exchange_id, "exchangeId"),
                rating=input.rating,
                comment=input.comment,
                idempotency_key=input.idempotency_key,
            )
            row = await reviews.review_exchange(info.context.services, signed_in_id(info), draft)
            return ReviewPayload(review=Review(row=row))

        return await payload_or_user_errors(ReviewPayload, reviewed())
