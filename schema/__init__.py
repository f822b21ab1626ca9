"""The GraphQL schema: a table of contents of the API, each area in its own module."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import DisableIntrospection, SchemaExtension, ValidationCache
from strawberry.tools import merge_types

from schema.account import AccountMutation
from schema.errors import IndigoSchema, ProductionSchema
from schema.exchanges import ExchangeMutation, ExchangeQuery
from schema.ledger import LedgerQuery
from schema.limits import CachedParse, QueryLimits
from schema.listings import ListingMutation, ListingQuery
from schema.members import MemberQuery
from schema.nearby import NearbyQuery
from schema.rate_limits import rate_limit_mutations
from schema.shared_execution import SharedEventExecution
from schema.subscriptions import Subscription

Query = merge_types("Query", (MemberQuery, ListingQuery, NearbyQuery, ExchangeQuery, LedgerQuery))
Mutation = merge_types("Mutation", (AccountMutation, ListingMutation, ExchangeMutation))


def build_schema(
    *, production: bool = False, introspection: bool = True, limits: QueryLimits | None = None
) -> strawberry.Schema:
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        *(limits or QueryLimits()).extensions(),
        CachedParse,
        ValidationCache,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    rate_limit_mutations(Mutation)
    schema_class = ProductionSchema if production else IndigoSchema
    return schema_class(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=SharedEventExecution,
    )
