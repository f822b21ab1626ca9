"""Sending messages: a question to a listing's author, or a word to the other member of an
exchange, in the conversation of that listing and asker, or of that exchange."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import (
    Conversation,
    ConversationMember,
    Exchange,
    Listing,
    ListingStatus,
    Message,
    NotificationKind,
)
from models.columns import utcnow
from models.database import upsert
from realtime.events import MessageAdded
from resolvers import blocks, idempotency, suspensions
from resolvers.errors import DomainError, ErrorCode
from resolvers.feed_order import take_feed_turns
from resolvers.notifications import notify
from resolvers.rate_limits import count_hit, rate_limited
from resolvers.services import Services, UnitOfWork
from resolvers.translations import N_
from resolvers.validation import Checks

MAX_BODY = 2000


@dataclass(frozen=True, slots=True)
class Addressee:
    """Where a message goes: exactly one of the three."""

    conversation_id: int | None = None
    listing_id: int | None = None
    exchange_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Place:
    conversation: Conversation
    parties: tuple[int, int]


def _not_found(field: str, message: str) -> DomainError:
    return DomainError.of(ErrorCode.NOT_FOUND, message, field)


def _checked(to: Addressee, body: str, key: str | None) -> str:
    checks = Checks()
    given = [x for x in (to.conversation_id, to.listing_id, to.exchange_id) if x is not None]
    if len(given) != 1:
        checks.refuse(
            "conversationId", N_("give exactly one of conversationId, listingId and exchangeId")
        )
    body = checks.text("body", body, min_length=1, max_length=MAX_BODY)
    idempotency.check_key(checks, key)
    checks.done()
    return body


async def send_message(
    services: Services,
    member_id: int,
    to: Addressee,
    body: str,
    *,
    idempotency_key: str | None = None,
) -> Message:
    """Post a message; the other member is told (MESSAGE_RECEIVED), and both hear it on
    `messageAdded`. The sender has read everything up to their own message."""
    body = _checked(to, body, idempotency_key)
    async with services.unit_of_work() as work:
        wait = await count_hit(
            work.session, f"message:{member_id}", limit=services.rate_limits.messages_per_minute
        )
    if wait is not None:
        raise rate_limited(wait)
    digest = hashlib.sha256(body.encode()).hexdigest()
    request = f"sendMessage {to.conversation_id}/{to.listing_id}/{to.exchange_id} {digest}"
    async with services.unit_of_work() as work:
        session = work.session
        if idempotency_key is not None:
            first = await idempotency.claim(session, member_id, idempotency_key, request)
            if first is not None:
                replayed = await session.get(Message, first)
                assert replayed is not None
                return replayed
        place = await _place(session, member_id, to)
        other = place.parties[0] if place.parties[1] == member_id else place.parties[1]
        field = _field_of(to)
        await blocks.refuse_if_blocked(session, member_id, other, field)
        await suspensions.refuse_if_other_suspended(session, other, field)
        await take_feed_turns(session, place.parties)
        assert place.conversation.id is not None
        message = Message(conversation_id=place.conversation.id, author_id=member_id, body=body)
        session.add(message)
        await session.flush()
        assert message.id is not None
        place.conversation.last_message_id = message.id
        place.conversation.updated_at = message.created_at
        await session.execute(
            update(ConversationMember)
            .where(
                col(ConversationMember.conversation_id) == place.conversation.id,
                col(ConversationMember.member_id) == member_id,
            )
            .values(read_up_to=message.id)
        )
        if idempotency_key is not None:
            await idempotency.record(session, member_id, idempotency_key, message.id)
        _told(work, message, place, other)
    return message


def _field_of(to: Addressee) -> str:
    """The input field that names where a message goes."""
    if to.conversation_id is not None:
        return "conversationId"
    return "listingId" if to.listing_id is not None else "exchangeId"


def _told(work: UnitOfWork, message: Message, place: _Place, other: int) -> None:
    assert message.id is not None
    notify(
        work,
        other,
        NotificationKind.MESSAGE_RECEIVED,
        actor_id=message.author_id,
        message_id=message.id,
        listing_id=place.conversation.listing_id,
        exchange_id=place.conversation.exchange_id,
    )
    work.publish_after_commit(MessageAdded(message.id, place.parties))


async def _place(session: AsyncSession, member_id: int, to: Addressee) -> _Place:
    if to.conversation_id is not None:
        return await _existing(session, member_id, to.conversation_id)
    if to.listing_id is not None:
        return await _question(session, member_id, to.listing_id)
    assert to.exchange_id is not None
    exchange = await session.get(Exchange, to.exchange_id)
    if exchange is None or member_id not in (exchange.provider_id, exchange.beneficiary_id):
        raise _not_found("exchangeId", N_("no exchange has this id"))
    parties = (exchange.provider_id, exchange.beneficiary_id)
    return await _opened(
        session,
        f"exchange:{exchange.id}",
        parties,
        listing_id=exchange.listing_id,
        exchange_id=exchange.id,
    )


async def _existing(session: AsyncSession, member_id: int, conversation_id: int) -> _Place:
    parties = (
        await session.scalars(
            select(col(ConversationMember.member_id)).where(
                col(ConversationMember.conversation_id) == conversation_id
            )
        )
    ).all()
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or member_id not in parties or len(parties) != 2:
        raise _not_found("conversationId", N_("no conversation has this id"))
    return _Place(conversation, (parties[0], parties[1]))


async def _question(session: AsyncSession, member_id: int, listing_id: int) -> _Place:
    listing = await session.get(Listing, listing_id)
    if listing is None:
        raise _not_found("listingId", N_("no listing has this id"))
    if listing.author_id == member_id:
        raise DomainError.of(
            ErrorCode.OWN_LISTING, N_("you cannot ask a question on your own listing"), "listingId"
        )
    topic = f"listing:{listing_id}:{member_id}"
    if listing.status != ListingStatus.OPEN:
        # A conversation already started goes on; a new question needs an open listing.
        started = await session.scalar(
            select(Conversation).where(col(Conversation.topic) == topic)
        )
        if started is None:
            raise DomainError.of(
                ErrorCode.LISTING_CLOSED, N_("this listing is closed"), "listingId"
            )
    return await _opened(session, topic, (member_id, listing.author_id), listing_id=listing_id)


async def _opened(
    session: AsyncSession,
    topic: str,
    parties: tuple[int, int],
    *,
    listing_id: int | None = None,
    exchange_id: int | None = None,
) -> _Place:
    """The conversation of `topic`, opened now if it is the first message. Two first
    messages at once queue on the topic's unique index, and the second finds the first's."""
    insert = upsert(session)
    now = utcnow()
    opened = await session.scalar(
        insert(Conversation)
        .values(
            topic=topic,
            listing_id=listing_id,
            exchange_id=exchange_id,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["topic"])
        .returning(col(Conversation.id))
    )
    if opened is not None:
        for party in parties:
            session.add(ConversationMember(conversation_id=opened, member_id=party))
        await session.flush()
    conversation = await session.scalar(
        select(Conversation).where(col(Conversation.topic) == topic)
    )
    assert conversation is not None
    return _Place(conversation, parties)
