"""Requests that are not GraphQL over HTTP at all get a 400 that says why, never a 500."""

from __future__ import annotations

import pytest

from tests.api import Api

PREFLIGHT = {"Apollo-Require-Preflight": "true"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"null", "Expected a JSON object"),
        (b"3", "Expected a JSON object"),
        (b'"{ __typename }"', "Expected a JSON object"),
        (b"{", "Unable to parse request body as JSON"),
        (b"\xff\xfe", "The request is not UTF-8 text"),
        (
            b'{"query": 3}',
            "The GraphQL operation's `query` must be a string or null, if provided.",
        ),
        (b'{"query": null}', "No GraphQL query found in the request"),
        (
            b'{"query": "{ __typename }", "variables": []}',
            "The GraphQL operation's `variables` must be an object or null, if provided.",
        ),
        (
            b'{"query": "query A { __typename }", "operationName": "B"}',
            'Unknown operation named "B".',
        ),
    ],
)
async def test_a_body_that_is_not_an_operation_is_a_bad_request(
    api: Api, body: bytes, reason: str
) -> None:
    response = await api.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )

    assert (response.status_code, response.text) == (400, reason)


async def test_a_subscription_needs_the_websocket(api: Api) -> None:
    alice = await api.register()
    subscription = "subscription { walletUpdated { digos } }"

    posted = await api.http.post(
        "/graphql",
        json={"query": subscription},
        headers={"Authorization": f"Bearer {alice.token}"},
    )
    got = await api.http.get("/graphql", params={"query": subscription}, headers=PREFLIGHT)

    assert (posted.status_code, posted.text) == (
        400,
        "subscriptions are not allowed when using POST",
    )
    assert (got.status_code, got.text) == (400, "subscriptions are not allowed when using GET")


async def test_bad_variables_in_a_get_are_a_bad_request(api: Api) -> None:
    response = await api.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": "3"}, headers=PREFLIGHT
    )

    assert (response.status_code, response.text) == (400, "Expected a JSON object")
