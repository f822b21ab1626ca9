"""A socket lives no longer than its sign-in: a revoked or expired token closes the sockets
signed in with it, on every process, and no other."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from indigo.settings import Settings
from models import AuthToken, Database
from models.columns import utcnow
from realtime.channels import sign_in_channel
from resolvers import auth
from schema.ids import decode_id
from tests.api import Api, SignedIn
from tests.live import Served, Subscription, served, subscribed
from tests.processes import uvicorn_process
from tests.redis_server import RedisServer
from tests.test_two_processes import subscribers_in_redis
from tests.trust import moderator, payload


def sign_in_channel_of(member: SignedIn) -> str:
    return sign_in_channel(decode_id("Member", member.id))


SIGNED_OUT = (4401, "Unauthorized: sign in again")
CLOSE_SECONDS = 10


async def closed_with(feed: Subscription) -> tuple[int, str]:
    """The code and reason the server closed the socket with (failing if it stays open)."""
    with pytest.raises(ConnectionClosed) as closed:
        await read_all(feed)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def read_all(feed: Subscription) -> None:
    async with asyncio.timeout(CLOSE_SECONDS):
        while True:
            await feed.socket.recv()


async def still_open(feed: Subscription) -> bool:
    """Whether the socket answers a ping: it was not closed."""
    pong = await feed.socket.ping()
    async with asyncio.timeout(CLOSE_SECONDS):
        await pong
    return True


async def login(api: Api, member: SignedIn) -> str:
    payload = (
        await api.data(
            "Login", {"input": {"email": member.email, "password": "correct horse battery"}}
        )
    )["login"]
    token: str = payload["token"]
    return token


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_logging_out_on_one_process_closes_the_tokens_sockets_on_the_other(
    database_url: str, database: Database, redis: RedisServer
) -> None:
    async with (
        uvicorn_process(database_url, redis.url) as first,
        uvicorn_process(database_url, redis.url) as second,
        httpx.AsyncClient(base_url=first.url) as http,
    ):
        api = Api(http)
        alice = await api.register()
        on_phone = await login(api, alice)
        async with (
            subscribed(second.url, "WalletUpdates", token=alice.token) as wallet,
            subscribed(second.url, "ExchangeUpdates", token=on_phone) as phones_feed,
        ):
            await subscribers_in_redis(redis, database_url, sign_in_channel_of(alice), 1)
            await api.data("Logout", token=alice.token)

            assert await closed_with(wallet) == SIGNED_OUT
            # Another sign-in of the same member keeps its socket.
            assert await still_open(phones_feed)


@pytest.fixture
async def server(settings: Settings, database: Database) -> AsyncIterator[Served]:
    async with served(settings) as running:
        yield running


async def test_after_logout_the_socket_takes_no_new_subscription(server: Served) -> None:
    alice = await server.api.register()
    async with subscribed(server.url, "WalletUpdates", token=alice.token) as wallet:
        await server.listening_to(sign_in_channel_of(alice))
        await server.api.data("Logout", token=alice.token)

        assert await closed_with(wallet) == SIGNED_OUT


async def test_revoking_all_tokens_but_one_closes_every_other_socket(server: Served) -> None:
    alice = await server.api.register()
    kept, other = await login(server.api, alice), await login(server.api, alice)
    async with (
        subscribed(server.url, "WalletUpdates", token=alice.token) as first,
        subscribed(server.url, "WalletUpdates", token=kept) as keeping,
        subscribed(server.url, "ExchangeUpdates", token=other) as second,
    ):
        await server.listening_to(sign_in_channel_of(alice), 3)
        async with server.services.unit_of_work() as work:
            await auth.revoke_tokens(work, decode_id("Member", alice.id), keep=kept)

        assert await closed_with(first) == SIGNED_OUT
        assert await closed_with(second) == SIGNED_OUT
        assert await still_open(keeping)
    me = "{ me { id } }"
    assert (await server.api.post(me, token=kept))["data"] == {"me": {"id": alice.id}}
    assert (await server.api.post(me, token=other))["data"] == {"me": None}


async def test_an_expiring_token_closes_its_socket_when_it_expires(server: Served) -> None:
    alice = await server.api.register()
    token = "expiring-token"
    async with server.services.unit_of_work() as work:
        work.session.add(
            AuthToken(
                member_id=decode_id("Member", alice.id),
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                expires_at=utcnow() + timedelta(seconds=2),
            )
        )
    async with subscribed(server.url, "WalletUpdates", token=token) as wallet:
        assert await closed_with(wallet) == SIGNED_OUT


async def test_changing_the_password_closes_the_sockets_of_the_old_sign_ins(
    server: Served,
) -> None:
    alice = await server.api.register()
    async with subscribed(server.url, "WalletUpdates", token=alice.token) as wallet:
        await server.listening_to(sign_in_channel_of(alice))
        change = {"currentPassword": "correct horse battery", "newPassword": "a new password 2"}
        changed = await server.api.data("ChangePassword", {"input": change}, token=alice.token)

        assert changed["changePassword"]["userErrors"] == []
        assert await closed_with(wallet) == SIGNED_OUT
    async with subscribed(
        server.url, "WalletUpdates", token=changed["changePassword"]["token"]
    ) as fresh:
        assert await still_open(fresh)


async def test_deleting_the_account_closes_its_sockets(server: Served) -> None:
    alice = await server.api.register()
    async with subscribed(server.url, "WalletUpdates", token=alice.token) as wallet:
        await server.listening_to(sign_in_channel_of(alice))
        delete = {"input": {"password": "correct horse battery"}}
        deleted = await server.api.data("DeleteAccount", delete, token=alice.token)

        assert deleted["deleteAccount"]["userErrors"] == []
        assert await closed_with(wallet) == SIGNED_OUT


async def test_a_suspension_closes_the_suspended_members_sockets(
    server: Served, database: Database
) -> None:
    reporter = await server.api.register()
    suspect = await server.api.register()
    moderating = await moderator(server.api, database)
    filed = await payload(server.api, "Report", reporter, memberId=suspect.id, reason="SCAM")
    async with (
        subscribed(server.url, "WalletUpdates", token=suspect.token) as suspects_feed,
        subscribed(server.url, "WalletUpdates", token=reporter.token) as reporters_feed,
    ):
        await server.listening_to(sign_in_channel_of(suspect))
        suspended = await payload(
            server.api,
            "ResolveReport",
            moderating,
            reportId=filed["report"]["id"],
            action="SUSPEND_MEMBER",
            reason="took digos and never came",
            suspendUntil=(utcnow() + timedelta(days=7)).isoformat(),
        )

        assert suspended["userErrors"] == []
        assert await closed_with(suspects_feed) == SIGNED_OUT
        assert await still_open(reporters_feed)
