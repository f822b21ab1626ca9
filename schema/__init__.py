"""The GraphQL schema: a table of contents of the API, each area in its own module."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.tools import merge_types

from schema.account import AccountMutation
from schema.alerts import AlertMutation, AlertQuery
from schema.community_subscriptions import CommunitySubscription
from schema.conversations import ConversationMutation, ConversationQuery
from schema.credentials import CredentialsMutation
from schema.errors import IndigoSchema, ProductionSchema
from schema.exchanges import ExchangeMutation, ExchangeQuery
from schema.ledger import LedgerQuery
from schema.limits import CachedParse, QueryLimits, ValidationRules
from schema.listings import ListingMutation, ListingQuery
from schema.listings_map import ListingsMapQuery
from schema.members import MemberQuery
from schema.moderation import ModerationMutation, ModerationQuery
from schema.nearby import NearbyQuery
from schema.nodes import NodeQuery
from schema.notifications import NotificationMutation, NotificationQuery
from schema.outcomes import NamedOperation
from schema.own_listings import OwnListingMutation, OwnListingQuery
from schema.privacy import PrivacyMutation, PrivacyQuery
from schema.rate_limits import rate_limit_mutations
from schema.reviews import ReviewMutation
from schema.safety import SafetyMutation, SafetyQuery
from schema.shared_execution import SharedEventExecution
from schema.subscriptions import Subscription as FeedSubscription

Query = merge_types(
    "Query",
    (
        MemberQuery,
        ListingQuery,
        NearbyQuery,
        ExchangeQuery,
        LedgerQuery,
        OwnListingQuery,
        PrivacyQuery,
        ListingsMapQuery,
        ConversationQuery,
        NotificationQuery,
        AlertQuery,
        NodeQuery,
        SafetyQuery,
        ModerationQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutation,
        ListingMutation,
        ExchangeMutation,
        OwnListingMutation,
        CredentialsMutation,
        PrivacyMutation,
        ConversationMutation,
        NotificationMutation,
        AlertMutation,
        ReviewMutation,
        SafetyMutation,
        ModerationMutation,
    ),
)

Subscription = merge_types("Subscription", (FeedSubscription, CommunitySubscription))


def build_schema(
    *, production: bool = False, introspection: bool = True, limits: QueryLimits | None = None
) -> strawberry.Schema:
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        *(limits or QueryLimits()).extensions(),
        # Strawberry's DisableIntrospection, but its rule added before ValidationCache runs.
        *([] if introspection else [partial(ValidationRules, [NoSchemaIntrospectionCustomRule])]),
        CachedParse,
        ValidationCache,
        NamedOperation,
    ]
    rate_limit_mutations(Mutation)
    schema_class = ProductionSchema if production else IndigoSchema
    return schema_class(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=SharedEventExecution,
    )
