"""Reading conversations: the inbox, one conversation's messages, read positions and unread
counts. A conversation is visible to its two members alone; to anyone else it does not
exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, func, select
from sqlmodel.sql.expression import Select

from models import Conversation, ConversationMember, Message
from models.lookups import in_order_of
from resolvers.errors import DomainError, ErrorCode
from resolvers.pages import Page, newest_first
from resolvers.services import Services
from resolvers.translations import N_


@dataclass(frozen=True, slots=True)
class SeenConversation:
    """A conversation as one of its members sees it."""

    row: Conversation
    member_id: int
    other_id: int
    read_up_to: int

    @property
    def id(self) -> int | None:
        return self.row.id


def _seen_by(member_id: int) -> Select[Conversation, int, int]:
    """Conversations of `member_id`, each with the other member's id and the read position."""
    mine = aliased(ConversationMember)
    other = aliased(ConversationMember)
    return (
        select(Conversation, col(other.member_id), col(mine.read_up_to))
        .join(mine, col(mine.conversation_id) == col(Conversation.id))
        .join(other, col(other.conversation_id) == col(Conversation.id))
        .where(col(mine.member_id) == member_id, col(other.member_id) != member_id)
    )


def _views(member_id: int, rows: Sequence[Row[Conversation, int, int]]) -> list[SeenConversation]:
    return [SeenConversation(c, member_id, other, read) for c, other, read in rows]


async def inbox(
    services: Services, member_id: int, *, first: int, before: int | None = None
) -> Page[SeenConversation]:
    """The member's conversations, the one with the latest message first; `before` is the
    latest message id of the last conversation already seen."""
    query = newest_first(_seen_by(member_id), col(Conversation.last_message_id), first, before)
    async with services.db.lookups() as session:
        rows = (await session.execute(query)).all()
    return Page.of(_views(member_id, rows), first)


async def get_conversations(
    services: Services, conversation_ids: Sequence[int], member_id: int
) -> list[SeenConversation | None]:
    """The conversations with these ids as `member_id` sees them, in the same order: None
    where there is none or where they are not one of its two members."""
    query = _seen_by(member_id).where(col(Conversation.id).in_(list(conversation_ids)))
    async with services.db.lookups() as session:
        rows = (await session.execute(query)).all()
    return in_order_of(conversation_ids, _views(member_id, rows))


async def unread_counts(
    services: Services, member_id: int, conversation_ids: Sequence[int]
) -> list[int]:
    """How many messages of the other member each conversation holds past the member's read
    position, in the order of `conversation_ids`."""
    async with services.db.lookups() as session:
        counted = (
            await session.execute(
                select(col(Message.conversation_id), func.count())
                .join(
                    ConversationMember,
                    col(ConversationMember.conversation_id) == col(Message.conversation_id),
                )
                .where(
                    col(ConversationMember.member_id) == member_id,
                    col(Message.conversation_id).in_(list(conversation_ids)),
                    col(Message.id) > col(ConversationMember.read_up_to),
                    col(Message.author_id) != member_id,
                )
                .group_by(col(Message.conversation_id))
            )
        ).all()
        counts: dict[int, int] = dict(counted)
    return [counts.get(i, 0) for i in conversation_ids]


async def unread_messages(services: Services, member_id: int) -> int:
    """Every message to the member not read yet, over all their conversations."""
    async with services.db.lookups() as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(Message)
                .join(
                    ConversationMember,
                    col(ConversationMember.conversation_id) == col(Message.conversation_id),
                )
                .where(
                    col(ConversationMember.member_id) == member_id,
                    col(Message.id) > col(ConversationMember.read_up_to),
                    col(Message.author_id) != member_id,
                )
            )
            or 0
        )


@dataclass(frozen=True, slots=True)
class MessagePage:
    """Messages oldest to newest; `has_previous` says older ones remain."""

    items: list[Message]
    has_previous: bool


async def messages(
    services: Services, conversation_id: int, *, last: int, before: int | None = None
) -> MessagePage:
    """The latest `last` messages of a conversation older than message id `before`. The
    caller has checked that the member may see the conversation."""
    query = newest_first(
        select(Message).where(col(Message.conversation_id) == conversation_id),
        col(Message.id),
        last,
        before,
    )
    async with services.db.lookups() as session:
        rows = list((await session.scalars(query)).all())
    return MessagePage(items=rows[:last][::-1], has_previous=len(rows) > last)


def shown_body(message: Message) -> str:
    """What a message says to its readers: nothing once a moderator hid it."""
    return "" if message.hidden_at is not None else message.body


async def is_party(session: AsyncSession, conversation_id: int, member_id: int) -> bool:
    found = await session.scalar(
        select(col(ConversationMember.member_id)).where(
            col(ConversationMember.conversation_id) == conversation_id,
            col(ConversationMember.member_id) == member_id,
        )
    )
    return found is not None


async def get_messages(
    services: Services, message_ids: Sequence[int], member_id: int
) -> list[Message | None]:
    """The messages with these ids, in the same order: None where there is none or where
    `member_id` is not a member of its conversation."""
    async with services.db.lookups() as session:
        rows = (
            await session.scalars(
                select(Message)
                .join(
                    ConversationMember,
                    col(ConversationMember.conversation_id) == col(Message.conversation_id),
                )
                .where(
                    col(Message.id).in_(list(message_ids)),
                    col(ConversationMember.member_id) == member_id,
                )
            )
        ).all()
    return in_order_of(message_ids, rows)


async def mark_read(
    services: Services, member_id: int, conversation_id: int, up_to: int | None = None
) -> SeenConversation:
    """Move the member's read position to message `up_to` of the conversation (its latest
    when None). It never moves back: reading an older message leaves it where it is."""
    async with services.unit_of_work() as work:
        session = work.session
        conversation = await session.get(Conversation, conversation_id)
        party = await session.get(ConversationMember, (conversation_id, member_id))
        if conversation is None or party is None:
            raise DomainError.of(
                ErrorCode.NOT_FOUND, N_("no conversation has this id"), "conversationId"
            )
        if up_to is None:
            up_to = conversation.last_message_id or 0
        else:
            message = await session.get(Message, up_to)
            if message is None or message.conversation_id != conversation_id:
                raise DomainError.of(
                    ErrorCode.NOT_FOUND,
                    N_("no message of this conversation has this id"),
                    "upToMessageId",
                )
        await session.execute(
            update(ConversationMember)
            .where(
                col(ConversationMember.conversation_id) == conversation_id,
                col(ConversationMember.member_id) == member_id,
                col(ConversationMember.read_up_to) < up_to,
            )
            .values(read_up_to=up_to)
        )
    seen = await get_conversations(services, [conversation_id], member_id)
    assert seen[0] is not None
    return seen[0]
