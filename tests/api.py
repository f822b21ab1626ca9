"""A GraphQL client for tests, speaking to the app as a front-end would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from indigo.trusted_documents import client_documents

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "docs" / "clients"

_emails = itertools.count(1)

CLIENT_DOCUMENTS = client_documents(CLIENTS)


@dataclass
class SignedIn:
    token: str
    id: str
    email: str


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        operation: str | None = None,
    ) -> dict[str, Any]:
        """The whole response body of one GraphQL request, which must answer 200."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation:
            body["operationName"] = operation
        response = await self.http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def client_op(
        self, operation: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Send one of the front-end clients' own operations, as they send it."""
        return await self.post(
            CLIENT_DOCUMENTS[operation], variables, token=token, operation=operation
        )

    async def data(
        self, operation: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The `data` of a client operation that must succeed without any GraphQL error."""
        result = await self.client_op(operation, variables, token=token)
        assert "errors" not in result, result["errors"]
        data: dict[str, Any] = result["data"]
        return data

    async def register(
        self,
        *,
        email: str | None = None,
        password: str = "correct horse battery",
        display_name: str = "Camille",
        location: dict[str, float] | None = None,
    ) -> SignedIn:
        email = email or f"member{next(_emails)}@example.org"
        payload = (
            await self.data(
                "Register",
                {
                    "input": {
                        "email": email,
                        "password": password,
                        "displayName": display_name,
                        "location": location,
                    }
                },
            )
        )["register"]
        assert payload["userErrors"] == [], payload["userErrors"]
        return SignedIn(token=payload["token"], id=payload["member"]["id"], email=email)


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors", [])]
