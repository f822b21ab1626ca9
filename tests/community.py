"""Helpers for the community tests: messages, notifications, and counts of what is stored."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel, func, select

from models import Database
from tests.api import Api, SignedIn


async def send(api: Api, member: SignedIn, body: str, **to: Any) -> dict[str, Any]:
    """The payload of SendMessage from `member`: `to` is conversationId, listingId or
    exchangeId (and idempotencyKey)."""
    data = await api.data("SendMessage", {"input": {"body": body, **to}}, token=member.token)
    payload: dict[str, Any] = data["sendMessage"]
    return payload


async def sent(api: Api, member: SignedIn, body: str, **to: Any) -> dict[str, Any]:
    """The message of a SendMessage that must succeed."""
    payload = await send(api, member, body, **to)
    assert payload["userErrors"] == [], payload["userErrors"]
    message: dict[str, Any] = payload["message"]
    return message


def refused(payload: dict[str, Any], thing: str = "message") -> list[tuple[str, str | None]]:
    assert payload[thing] is None
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def unread(api: Api, member: SignedIn) -> tuple[int, int]:
    """(unread messages, unread notifications) of `member`, as the app's badges show them."""
    me = (await api.data("Unread", token=member.token))["me"]
    return me["unreadMessages"], me["unreadNotifications"]


async def notifications_of(api: Api, member: SignedIn, **variables: Any) -> list[dict[str, Any]]:
    data = await api.data("Notifications", variables, token=member.token)
    return [edge["node"] for edge in data["notifications"]["edges"]]


async def count(database: Database, table: type[SQLModel]) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(table)) or 0
