"""Conversations and messages: the inbox, one conversation, sending and reading. Visible to
the conversation's two members alone."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

import strawberry

from models import Message as MessageRow
from resolvers import conversations, messages
from resolvers.conversations import SeenConversation
from resolvers.errors import DomainError
from schema.context import Info
from schema.errors import UserError, bad_user_input, payload_or_user_errors
from schema.exchanges import Exchange, after_id, page_size
from schema.idempotency import IDEMPOTENCY_KEY
from schema.ids import decode_id, encode_id
from schema.listings import Listing
from schema.members import Member, load_member
from schema.nodes import Node, private_node_kind
from schema.pages import PageInfo
from schema.permissions import IsAuthenticated, signed_in_id

INBOX_CURSOR = "Inbox"


def _viewer(info: Info) -> int:
    return signed_in_id(info)


@strawberry.type(description="A text in a conversation.")
class Message(Node):
    row: strawberry.Private[MessageRow]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Message", self.row.id)

    @strawberry.field(description="Empty once a moderator hid the message.")
    def body(self) -> str:
        return conversations.shown_body(self.row)

    @strawberry.field(description="Whether a moderator hid the message.")
    def hidden(self) -> bool:
        return self.row.hidden_at is not None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="Whether you wrote it.")
    def mine(self, info: Info) -> bool:
        return info.context.viewer_id == self.row.author_id

    @strawberry.field
    async def author(self, info: Info) -> Member:
        return await load_member(info, self.row.author_id)

    @strawberry.field
    async def conversation(self, info: Info) -> Conversation:
        seen = await info.context.loaders.conversation.load(
            (self.row.conversation_id, _viewer(info))
        )
        if seen is None:
            raise LookupError(f"message {self.row.id} is in no conversation of the viewer")
        return Conversation(seen=seen)


@strawberry.type
class MessageEdge:
    cursor: str
    node: Message


@strawberry.type
class MessageConnection:
    edges: list[MessageEdge]
    page_info: PageInfo


@strawberry.type(
    description="Two members talking: a question on a listing, or the members of an "
    "exchange. Visible to those two alone."
)
class Conversation(Node):
    seen: strawberry.Private[SeenConversation]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("Conversation", self.seen.row.id)

    @strawberry.field(name="with", description="The other member.")
    async def with_(self, info: Info) -> Member:
        return await load_member(info, self.seen.other_id)

    @strawberry.field(description="The listing asked about, or the exchange's listing.")
    async def listing(self, info: Info) -> Listing | None:
        if self.seen.row.listing_id is None:
            return None
        row = await info.context.loaders.listing.load(self.seen.row.listing_id)
        return None if row is None else Listing(row=row)

    @strawberry.field
    async def exchange(self, info: Info) -> Exchange | None:
        if self.seen.row.exchange_id is None:
            return None
        row = await info.context.loaders.exchange.load(
            (self.seen.row.exchange_id, self.seen.member_id)
        )
        return None if row is None else Exchange(row=row)

    @strawberry.field(description="Messages of the other member you have not read.")
    async def unread_count(self, info: Info) -> int:
        assert self.seen.row.id is not None
        return await info.context.loaders.unread.load((self.seen.row.id, self.seen.member_id))

    @strawberry.field(description="When its latest message was sent.")
    def updated_at(self) -> datetime:
        return self.seen.row.updated_at

    @strawberry.field
    async def last_message(self, info: Info) -> Message | None:
        if self.seen.row.last_message_id is None:
            return None
        row = await info.context.loaders.message.load(
            (self.seen.row.last_message_id, self.seen.member_id)
        )
        return None if row is None else Message(row=row)

    @strawberry.field(description="Oldest to newest: the `last` (20) before `before`.")
    async def messages(
        self,
        info: Info,
        last: Annotated[int | None, strawberry.argument(description="1 to 100; 20.")] = None,
        before: str | None = None,
    ) -> MessageConnection:
        assert self.seen.row.id is not None
        size, older_than = page_size(last), after_id("Message", before)
        page = await conversations.messages(
            info.context.services, self.seen.row.id, last=size, before=older_than
        )
        edges = [
            MessageEdge(cursor=encode_id("Message", m.id), node=Message(row=m)) for m in page.items
        ]
        return MessageConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=False,
                end_cursor=edges[-1].cursor if edges else None,
                has_previous_page=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
            ),
        )


@strawberry.type
class ConversationEdge:
    cursor: str
    node: Conversation


@strawberry.type
class ConversationConnection:
    edges: list[ConversationEdge]
    page_info: PageInfo


private_node_kind(
    "Conversation", conversations.get_conversations, lambda seen: Conversation(seen=seen)
)
private_node_kind("Message", conversations.get_messages, lambda row: Message(row=row))


@strawberry.input
class SendMessageInput:
    conversation_id: strawberry.ID | None = None
    listing_id: strawberry.ID | None = strawberry.field(
        default=None, description="A question to the listing's author."
    )
    exchange_id: strawberry.ID | None = strawberry.field(
        default=None, description="To the other member of the exchange."
    )
    body: str = strawberry.field(description="1 to 2,000 characters.")
    idempotency_key: str | None = IDEMPOTENCY_KEY


@strawberry.type
class SendMessagePayload:
    message: Message | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class MarkConversationReadInput:
    conversation_id: strawberry.ID
    up_to_message_id: strawberry.ID | None = strawberry.field(
        default=None, description="The latest message when not given."
    )


@strawberry.type
class MarkConversationReadPayload:
    conversation: Conversation | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _optional_id(kind: str, value: strawberry.ID | None, field: str) -> int | None:
    return None if value is None else decode_id(kind, value, field)


@strawberry.type
class ConversationQuery:
    @strawberry.field(
        description="Your conversations, the one with the latest message first.",
        permission_classes=[IsAuthenticated],
    )
    async def conversations(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1 to 100; 20.")] = None,
        after: str | None = None,
    ) -> ConversationConnection | None:
        size, before = page_size(first), after_id(INBOX_CURSOR, after)
        page = await conversations.inbox(
            info.context.services, _viewer(info), first=size, before=before
        )
        edges = [
            ConversationEdge(
                cursor=encode_id(INBOX_CURSOR, seen.row.last_message_id),
                node=Conversation(seen=seen),
            )
            for seen in page.items
        ]
        return ConversationConnection(
            edges=edges,
            page_info=PageInfo.forward(page.has_next, edges),
        )

    @strawberry.field(
        description="One of your conversations; null for any other id.",
        permission_classes=[IsAuthenticated],
    )
    async def conversation(self, info: Info, id: strawberry.ID) -> Conversation | None:
        try:
            conversation_id = decode_id("Conversation", id)
        except DomainError as error:
            raise bad_user_input(error) from None
        seen = await info.context.loaders.conversation.load((conversation_id, _viewer(info)))
        return None if seen is None else Conversation(seen=seen)


@strawberry.type
class ConversationMutation:
    @strawberry.mutation(
        description="Send a message: exactly one of conversationId, listingId (a question "
        "to its author) and exchangeId (to the other member).",
        permission_classes=[IsAuthenticated],
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload | None:
        async def sent() -> SendMessagePayload:
            to = messages.Addressee(
                conversation_id=_optional_id(
                    "Conversation", input.conversation_id, "conversationId"
                ),
                listing_id=_optional_id("Listing", input.listing_id, "listingId"),
                exchange_id=_optional_id("Exchange", input.exchange_id, "exchangeId"),
            )
            row = await messages.send_message(
                info.context.services,
                _viewer(info),
                to,
                input.body,
                idempotency_key=input.idempotency_key,
            )
            return SendMessagePayload(message=Message(row=row))

        return await payload_or_user_errors(SendMessagePayload, sent())

    @strawberry.mutation(
        description="Mark read one of your conversations, up to a message or all of it.",
        permission_classes=[IsAuthenticated],
    )
    async def mark_conversation_read(
        self, info: Info, input: MarkConversationReadInput
    ) -> MarkConversationReadPayload | None:
        async def marked() -> MarkConversationReadPayload:
            seen = await conversations.mark_read(
                info.context.services,
                _viewer(info),
                decode_id("Conversation", input.conversation_id, "conversationId"),
                _optional_id("Message", input.up_to_message_id, "upToMessageId"),
            )
            return MarkConversationReadPayload(conversation=Conversation(seen=seen))

        return await payload_or_user_errors(MarkConversationReadPayload, marked())
