"""The member's own ledger: every entry on their accounts, with the balance it left."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

import strawberry

from models import Asset, TransferKind
from resolvers import exchanges, ledger
from schema.context import Info
from schema.exchanges import Exchange, after_id, page_size
from schema.ids import encode_id
from schema.nodes import Node, node_kind
from schema.pages import PageInfo
from schema.permissions import IsAuthenticated, signed_in_id

strawberry.enum(Asset)
strawberry.enum(
    TransferKind,
    name="LedgerEntryKind",
    description="Why an entry was made: the welcome grant, an exchange's payment, the "
    "discount the commons paid, an appeal's reward in goodvibes, goodvibes spent on a discount.",
)


@strawberry.type(description="One movement on one of your accounts. Visible to you alone.")
class LedgerEntry(Node):
    entry: strawberry.Private[ledger.Entry]
    exchange_row: strawberry.Private[Exchange | None]
    id: strawberry.ID = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.id = encode_id("LedgerEntry", self.entry.row.id)

    @strawberry.field
    def asset(self) -> Asset:
        return self.entry.asset

    @strawberry.field(description="Signed: what this entry added to (or took from) the account.")
    def amount(self) -> int:
        return self.entry.row.amount

    @strawberry.field(description="The account's balance once this entry was made.")
    def balance_after(self) -> int:
        return self.entry.row.balance_after

    @strawberry.field
    def kind(self) -> TransferKind:
        return self.entry.kind

    @strawberry.field
    def created_at(self) -> datetime:
        return self.entry.row.created_at

    @strawberry.field(description="The exchange that made this entry, if one did.")
    def exchange(self) -> Exchange | None:
        return self.exchange_row


async def _with_exchanges(
    info: Info, member_id: int, entries: list[ledger.Entry]
) -> list[LedgerEntry]:
    """The member's entries with their exchanges, read at once: all the member's own."""
    wanted = sorted({e.exchange_id for e in entries if e.exchange_id is not None})
    found = await exchanges.get_exchanges(info.context.services, wanted, member_id)
    by_id = {x.id: Exchange(row=x) for x in found if x is not None}
    return [LedgerEntry(entry=e, exchange_row=by_id.get(e.exchange_id)) for e in entries]


async def _own_entries(info: Info, entry_ids: list[int]) -> list[LedgerEntry | None]:
    member_id = info.context.viewer_id
    if member_id is None:
        return [None] * len(entry_ids)
    found = await ledger.get_entries(info.context.services.db, member_id, entry_ids)
    shown = iter(await _with_exchanges(info, member_id, [e for e in found if e is not None]))
    return [None if e is None else next(shown) for e in found]


node_kind("LedgerEntry", _own_entries)


@strawberry.type
class LedgerEntryEdge:
    cursor: str
    node: LedgerEntry


@strawberry.type
class LedgerEntryConnection:
    edges: list[LedgerEntryEdge]
    page_info: PageInfo


@strawberry.type
class LedgerQuery:
    @strawberry.field(
        description="Your ledger entries, newest first.", permission_classes=[IsAuthenticated]
    )
    async def my_ledger(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1 to 100; 20.")] = None,
        after: str | None = None,
    ) -> LedgerEntryConnection | None:
        size, before = page_size(first), after_id("LedgerEntry", after)
        member_id = signed_in_id(info)
        page = await ledger.entries(info.context.services.db, member_id, first=size, before=before)
        shown = await _with_exchanges(info, member_id, page.items)
        edges = [LedgerEntryEdge(cursor=e.id, node=e) for e in shown]
        return LedgerEntryConnection(
            edges=edges,
            page_info=PageInfo.forward(page.has_next, edges),
        )
