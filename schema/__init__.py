"""The GraphQL schema: a table of contents of the API, each area in its own module."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types

from schema.account import AccountMutation
from schema.members import MemberQuery

Query = merge_types("Query", (MemberQuery,))
Mutation = merge_types("Mutation", (AccountMutation,))


def build_schema(*, production: bool = False, introspection: bool = True) -> strawberry.Schema:
    extensions: list[type[SchemaExtension]] = [ParserCache, ValidationCache]
    if not introspection:
        extensions.append(DisableIntrospection)
    if production:
        extensions.append(MaskErrors)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)
