"""Reviews and recognition: after a completed exchange each party may review the other once,
within 30 days; a member's card shows what they did for others and what others said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import (
    Exchange,
    ExchangeStatus,
    ListingType,
    NotificationKind,
    Review,
    Transfer,
    TransferKind,
)
from models.columns import REVIEW_COMMENT_LENGTH, utcnow
from models.lookups import rows_by_id
from resolvers import idempotency
from resolvers.errors import DomainError, ErrorCode, invalid
from resolvers.notifications import notify
from resolvers.pages import Page, newest_first
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

REVIEW_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    exchange_id: int
    rating: int
    comment: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Recognition:
    exchanges_completed: int
    helps_given: int
    appeals_answered: int
    goodvibes_earned: int
    reviews_count: int
    average_rating: float | None


def _checked(draft: ReviewDraft) -> ReviewDraft:
    checks = Checks()
    checks.whole_number("rating", draft.rating, minimum=1, maximum=5)
    comment = (
        None
        if draft.comment is None
        else checks.text("comment", draft.comment, max_length=REVIEW_COMMENT_LENGTH) or None
    )
    idempotency.check_key(checks, draft.idempotency_key)
    checks.done()
    return ReviewDraft(draft.exchange_id, draft.rating, comment, draft.idempotency_key)


def _already_done() -> DomainError:
    return DomainError.of(
        ErrorCode.ALREADY_DONE, N_("you already reviewed this exchange"), "exchangeId"
    )


async def review_exchange(services: Services, author_id: int, draft: ReviewDraft) -> Review:
    """Review the other party of a completed exchange of one's own."""
    draft = _checked(draft)
    try:
        async with services.unit_of_work() as work:
            session = work.session
            exchange = await session.get(Exchange, draft.exchange_id)
            if exchange is None or author_id not in (
                exchange.provider_id,
                exchange.beneficiary_id,
            ):
                raise DomainError.of(
                    ErrorCode.NOT_FOUND, N_("no exchange has this id"), "exchangeId"
                )
            first = await _first_review(session, author_id, draft)
            if first is not None:
                return first
            if exchange.status != ExchangeStatus.COMPLETED:
                raise DomainError.of(
                    ErrorCode.INVALID_STATE,
                    N_("an exchange is reviewed once it is completed"),
                    "exchangeId",
                )
            if utcnow() - exchange.updated_at > REVIEW_WINDOW:
                raise DomainError.of(
                    ErrorCode.INVALID_STATE,
                    N_("reviews close 30 days after the exchange was completed"),
                    "exchangeId",
                )
            review = Review(
                exchange_id=draft.exchange_id,
                listing_id=exchange.listing_id,
                author_id=author_id,
                subject_id=(
                    exchange.beneficiary_id
                    if exchange.provider_id == author_id
                    else exchange.provider_id
                ),
                rating=draft.rating,
                comment=draft.comment,
                idempotency_key=draft.idempotency_key,
            )
            session.add(review)
            await session.flush()
            notify(
                work,
                review.subject_id,
                NotificationKind.REVIEW_RECEIVED,
                actor_id=author_id,
                exchange_id=exchange.id,
                listing_id=exchange.listing_id,
            )
    except IntegrityError:  # the same review, sent twice at once: the other one won
        async with services.db.lookups() as session:
            first = await _first_review(session, author_id, draft)
        if first is None:
            raise
        return first
    return review


async def _first_review(
    session: AsyncSession, author_id: int, draft: ReviewDraft
) -> Review | None:
    """The review a repeated idempotency key gave; ALREADY_DONE if the exchange was reviewed
    already, VALIDATION if the key was used for another review; None to go ahead."""
    same_exchange = col(Review.exchange_id) == draft.exchange_id
    same_key = col(Review.idempotency_key) == draft.idempotency_key
    earlier = (
        await session.scalars(
            select(Review).where(
                col(Review.author_id) == author_id,
                same_exchange if draft.idempotency_key is None else same_exchange | same_key,
            )
        )
    ).all()
    for review in earlier:
        if draft.idempotency_key is not None and review.idempotency_key == draft.idempotency_key:
            repeated = (review.exchange_id, review.rating, review.comment) == (
                draft.exchange_id,
                draft.rating,
                draft.comment,
            )
            if not repeated:
                raise invalid(idempotency.FIELD, N_("was already used for another request"))
            return review
    if earlier:
        raise _already_done()
    return None


async def recognition(services: Services, member_id: int) -> Recognition:
    """What a member did for others, and what others said of them."""
    is_party = (col(Exchange.provider_id) == member_id) | (
        col(Exchange.beneficiary_id) == member_id
    )
    provided = col(Exchange.provider_id) == member_id
    async with services.db.lookups() as session:
        completed, helps, appeals = (
            await session.execute(
                select(
                    func.count(),
                    func.count().filter(provided),
                    func.count().filter(
                        provided, col(Exchange.listing_type) == ListingType.APPEAL
                    ),
                ).where(is_party, col(Exchange.status) == ExchangeStatus.COMPLETED)
            )
        ).one()
        goodvibes = await session.scalar(
            select(func.coalesce(func.sum(col(Transfer.amount)), 0))
            .join(Exchange, col(Exchange.id) == col(Transfer.exchange_id))
            .where(col(Transfer.kind) == TransferKind.APPEAL_REWARD, provided)
        )
        count, average = (
            await session.execute(
                select(func.count(), func.avg(col(Review.rating))).where(
                    col(Review.subject_id) == member_id
                )
            )
        ).one()
    return Recognition(
        exchanges_completed=completed,
        helps_given=helps,
        appeals_answered=appeals,
        goodvibes_earned=int(goodvibes or 0),
        reviews_count=count,
        average_rating=None if average is None else round(float(average), 2),
    )


async def reviews_of(
    services: Services, member_id: int, *, first: int, before: int | None = None
) -> Page[Review]:
    """The reviews a member received, newest first; `before` is the id of the last one seen."""
    query = newest_first(
        select(Review).where(col(Review.subject_id) == member_id), col(Review.id), first, before
    )
    async with services.db.lookups() as session:
        return Page.of(list((await session.scalars(query)).all()), first)


async def get_reviews(services: Services, review_ids: list[int]) -> list[Review | None]:
    """The reviews with these ids, in the same order (None where there is none): public, as
    on the member card."""
    async with services.db.lookups() as session:
        return await rows_by_id(session, Review, review_ids)
