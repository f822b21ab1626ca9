"""Deleting an account: the member is signed out and erased, their value goes back to the
commons through the ledger, and everyone else's history stays whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy import text as sa_text
from sqlmodel import SQLModel

from models import Database, Member
from resolvers.audit import audit
from schema.ids import decode_id
from tests.api import Api, SignedIn, error_codes
from tests.economy import books, earn_goodvibes, exchange_of, post_listing, wallet, wallet_of

PASSWORD = "correct horse battery"
HOME = {"latitude": 48.84321, "longitude": 2.31234}


@dataclass(frozen=True)
class Story:
    """Alice (who leaves) has a past exchange with Bob, a request from Bob on her offer, an
    accepted request on Bob's offer, goodvibes earned, and a profile full of herself."""

    alice: SignedIn
    bob: SignedIn
    completed: str
    requested_on_hers: str
    accepted_on_bobs: str


@pytest.fixture
async def story(api: Api) -> Story:
    alice = await api.register(
        email="alice.secret@example.org", display_name="Alice Zanzibar", location=HOME
    )
    bob = await api.register(email="bob@example.org")
    await api.data(
        "UpdateProfile",
        {"input": {"bio": "I live by the canal", "skills": ["accordion tuning"]}},
        token=alice.token,
    )
    await earn_goodvibes(api, alice, 30)
    past = await post_listing(api, alice, "OFFER", 4)
    completed = await exchange_of(api, "RequestExchange", bob, listingId=past)
    await exchange_of(api, "AcceptExchange", alice, exchangeId=completed["id"])
    await exchange_of(api, "CompleteExchange", bob, exchangeId=completed["id"])
    offer = await post_listing(api, alice, "OFFER", 3)
    await api.data(
        "UpdateListing", {"input": {"listingId": offer, "location": HOME}}, token=alice.token
    )
    requested = await exchange_of(api, "RequestExchange", bob, listingId=offer)
    bobs = await post_listing(api, bob, "OFFER", 6)
    accepted = await exchange_of(api, "RequestExchange", alice, listingId=bobs)
    await exchange_of(api, "AcceptExchange", bob, exchangeId=accepted["id"])
    return Story(alice, bob, completed["id"], requested["id"], accepted["id"])


async def delete(api: Api, member: SignedIn, password: str) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.data("DeleteAccount", {"input": {"password": password}}, token=member.token)
    )["deleteAccount"]
    return payload


async def test_a_wrong_password_deletes_nothing(
    api: Api, database: Database, story: Story
) -> None:
    before = await books(database)

    refused = await delete(api, story.alice, "not my password")

    assert refused == {
        "ok": False,
        "userErrors": [
            {
                "code": "INVALID_CREDENTIALS",
                "field": "password",
                "message": "this is not your password",
            }
        ],
    }
    assert await books(database) == before
    assert "errors" not in await api.client_op("Me", token=story.alice.token)


async def test_a_deleted_member_is_signed_out_and_cannot_sign_in(api: Api, story: Story) -> None:
    deleted = await delete(api, story.alice, PASSWORD)
    login = await api.data(
        "Login", {"input": {"email": "alice.secret@example.org", "password": PASSWORD}}
    )

    assert deleted == {"ok": True, "userErrors": []}
    assert error_codes(await api.client_op("Me", token=story.alice.token)) == ["UNAUTHENTICATED"]
    assert [e["code"] for e in login["login"]["userErrors"]] == ["INVALID_CREDENTIALS"]


async def test_the_other_party_still_reads_the_history_with_a_former_member(
    api: Api, story: Story
) -> None:
    await delete(api, story.alice, PASSWORD)

    card = (await api.data("MemberCard", {"id": story.alice.id}))["member"]
    history = await api.post(
        "{ myExchanges { edges { node { id status listing { title status } "
        "provider { displayName } beneficiary { displayName } } } } }",
        token=story.bob.token,
    )

    assert (card["displayName"], card["bio"], card["skills"]) == ("former member", "", [])
    by_id = {e["node"]["id"]: e["node"] for e in history["data"]["myExchanges"]["edges"]}
    assert by_id[story.completed]["status"] == "COMPLETED"
    assert by_id[story.completed]["provider"] == {"displayName": "former member"}
    assert by_id[story.requested_on_hers]["status"] == "CANCELLED"
    assert by_id[story.requested_on_hers]["listing"] == {
        "title": "offer for 3",
        "status": "CLOSED",
    }
    assert by_id[story.accepted_on_bobs]["status"] == "CANCELLED"
    assert by_id[story.accepted_on_bobs]["beneficiary"] == {"displayName": "former member"}
    assert await wallet(api, story.bob) == wallet_of(20 - 4)


async def test_what_remains_goes_back_to_the_commons_through_the_ledger(
    api: Api, database: Database, story: Story
) -> None:
    before = await wallet(api, story.alice)
    async with database.read() as session:
        entries_before = await _ledger_kinds(session)

    await delete(api, story.alice, PASSWORD)

    assert before == wallet_of(20 + 4, held=6, goodvibes=30)
    async with database.read() as session:
        entries_after = await _ledger_kinds(session)
        balances = (
            await session.execute(
                sa_text(
                    "SELECT a.asset, a.balance, a.held FROM account a JOIN member m "
                    "ON m.id = a.member_id WHERE m.deleted_at IS NOT NULL ORDER BY a.asset"
                )
            )
        ).all()
        assert await audit(session) == []
    assert [tuple(b) for b in balances] == [("DIGO", 0, 0), ("GOODVIBE", 0, 0)]
    returned = sorted(set(entries_after) - set(entries_before))
    assert returned == [("DIGO", -24), ("DIGO", 24), ("GOODVIBE", -30), ("GOODVIBE", 30)]


async def test_no_personal_datum_remains_in_any_table(
    api: Api, database: Database, story: Story
) -> None:
    async with database.read() as session:
        member = await session.get(Member, decode_id("Member", story.alice.id))
        assert member is not None
        password_hash = member.password_hash
    personal = ["alice.secret", "Zanzibar", "canal", "accordion", password_hash]
    home = [HOME["latitude"], HOME["longitude"]]
    assert len(await _rows_holding(database, texts=personal, numbers=home)) > 5

    await delete(api, story.alice, PASSWORD)

    assert await _rows_holding(database, texts=personal, numbers=home) == []


async def _ledger_kinds(session: Any) -> list[tuple[str, int]]:
    rows = await session.execute(
        sa_text(
            "SELECT t.id, a.asset, e.amount FROM ledger_entry e JOIN transfer t "
            "ON t.id = e.transfer_id JOIN account a ON a.id = e.account_id "
            "WHERE t.kind = 'RETURNED_TO_COMMONS'"
        )
    )
    return [(asset, amount) for _, asset, amount in rows.all()]


async def _rows_holding(
    database: Database, *, texts: list[str], numbers: list[float]
) -> list[tuple[str, str, Any]]:
    """Every (table, column, value) in the database holding one of these texts or numbers."""
    found = []
    async with database.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            for row in rows:
                for column, value in row.items():
                    if (isinstance(value, float) and value in numbers) or any(
                        t.casefold() in str(value).casefold() for t in texts
                    ):
                        found.append((table.name, column, value))
    return found
