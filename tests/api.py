"""A GraphQL client for tests, speaking to the app as a front-end would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "docs" / "clients"

_emails = itertools.count(1)


def client_documents() -> dict[str, str]:
    """Each operation of the contract (docs/clients) by name, as a client sends it: the
    operation and the fragments it spreads, so each stands on its own."""
    documents: dict[str, str] = {}
    for path in sorted(CLIENTS.glob("*.graphql")):
        definitions = parse(path.read_text()).definitions
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        for definition in definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                used = [fragments[name] for name in sorted(_spreads(definition, fragments))]
                documents[definition.name.value] = "\n\n".join(
                    print_ast(node) for node in [definition, *used]
                )
    return documents


def _spreads(node: Node, fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    """The names of the fragments a node spreads, directly or through other fragments."""
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            name = spread.name.value
            if name not in names:
                names.add(name)
                names.update(_spreads(fragments[name], fragments))

    visit(node, Spreads())
    return names


CLIENT_DOCUMENTS = client_documents()


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
