"""Conversations between two members, their messages, and each member's read position."""

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from models.columns import UTCDateTime, utcnow


class Conversation(SQLModel, table=True):
    """A question on a listing (one per listing and asker) or an exchange's conversation.

    `topic` names which, and is unique, so two first messages racing open one conversation.
    """

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=60, unique=True)
    listing_id: int | None = Field(default=None, foreign_key="listing.id")
    exchange_id: int | None = Field(default=None, foreign_key="exchange.id")
    last_message_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConversationMember(SQLModel, table=True):
    """One of the two parties of a conversation, and the last message they have read."""

    __tablename__ = "conversation_member"

    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)
    read_up_to: int = 0


class Message(SQLModel, table=True):
    __table_args__ = (Index("ix_message_conversation_id_id", "conversation_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    author_id: int = Field(foreign_key="member.id")
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    hidden_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # by a moderator
