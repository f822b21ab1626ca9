"""Helpers for the tests of reviews, reports, blocks and moderation: the contract's operations
of those features, scripted exchanges, and moderators."""

from __future__ import annotations

from typing import Any

from graphql import parse, print_ast

from models import Database
from resolvers import moderators
from tests.api import Api, SignedIn
from tests.economy import exchange_of, post_listing

USER_ERRORS = "fragment UserErrorFields on UserError { code field message }"
REPORT_FIELDS = """
fragment ReportFields on Report {
  id reason details status createdAt
  reporter { id displayName }
  member { id displayName }
  listing { id title status }
}
"""

# The contract's operations (community.graphql, moderation.graphql), each with its fragments.
OPERATIONS = {
    "ReviewExchange": """
mutation ReviewExchange($input: ReviewExchangeInput!) {
  reviewExchange(input: $input) {
    review { id rating comment createdAt }
    userErrors { ...UserErrorFields }
  }
}"""
    + USER_ERRORS,
    "MemberProfile": """
query MemberProfile($id: ID!, $reviews: Int, $after: String) {
  member(id: $id) {
    id displayName bio skills memberSince
    location { latitude longitude }
    recognition {
      exchangesCompleted helpsGiven appealsAnswered goodvibesEarned reviewsCount averageRating
    }
    reviews(first: $reviews, after: $after) {
      edges {
        cursor
        node { id rating comment createdAt author { id displayName } listing { id title } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}""",
    "Report": """
mutation Report($input: ReportInput!) {
  report(input: $input) {
    report { id reason status createdAt }
    userErrors { ...UserErrorFields }
  }
}"""
    + USER_ERRORS,
    "BlockMember": """
mutation BlockMember($input: BlockMemberInput!) {
  blockMember(input: $input) {
    member { id displayName }
    userErrors { ...UserErrorFields }
  }
}"""
    + USER_ERRORS,
    "UnblockMember": """
mutation UnblockMember($input: BlockMemberInput!) {
  unblockMember(input: $input) {
    member { id displayName }
    userErrors { ...UserErrorFields }
  }
}"""
    + USER_ERRORS,
    "MyBlocks": "query MyBlocks { myBlocks { id displayName } }",
    "ModerationQueue": """
query ModerationQueue($first: Int, $after: String) {
  moderationQueue(first: $first, after: $after) {
    edges { cursor node { ...ReportFields } }
    pageInfo { hasNextPage endCursor }
  }
}"""
    + REPORT_FIELDS,
    "ResolveReport": """
mutation ResolveReport($input: ResolveReportInput!) {
  resolveReport(input: $input) {
    report { ...ReportFields }
    userErrors { ...UserErrorFields }
  }
}"""
    + REPORT_FIELDS
    + USER_ERRORS,
    "RestoreMember": """
mutation RestoreMember($input: RestoreMemberInput!) {
  restoreMember(input: $input) {
    member { id displayName }
    userErrors { ...UserErrorFields }
  }
}"""
    + USER_ERRORS,
    "ModerationLog": """
query ModerationLog($first: Int, $after: String) {
  moderationLog(first: $first, after: $after) {
    edges {
      cursor
      node {
        id action reason createdAt
        moderator { id displayName }
        member { id displayName }
        listing { id title }
        suspendUntil
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}""",
}
OPERATIONS = {name: print_ast(parse(document)) for name, document in OPERATIONS.items()}


async def send(
    api: Api, operation: str, variables: dict[str, Any] | None = None, *, token: str | None = None
) -> dict[str, Any]:
    """The whole answer to one of these operations."""
    return await api.post(OPERATIONS[operation], variables, token=token, operation=operation)


async def payload(
    api: Api, operation: str, member: SignedIn | None, **input: Any
) -> dict[str, Any]:
    """The payload of one of these mutations, which must answer without a GraphQL error."""
    result = await send(api, operation, {"input": input}, token=member.token if member else None)
    assert "errors" not in result, result["errors"]
    data: dict[str, Any] = next(iter(result["data"].values()))
    return data


def codes(found: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in found["userErrors"]]


async def completed_exchange(
    api: Api, provider: SignedIn, beneficiary: SignedIn, *, digos: int = 5
) -> str:
    """The id of an exchange on an offer of `provider` that `beneficiary` took, completed."""
    offer = await post_listing(api, provider, "OFFER", digos)
    exchange = await exchange_of(api, "RequestExchange", beneficiary, listingId=offer)
    await exchange_of(api, "AcceptExchange", provider, exchangeId=exchange["id"])
    await exchange_of(api, "CompleteExchange", beneficiary, exchangeId=exchange["id"])
    exchange_id: str = exchange["id"]
    return exchange_id


async def moderator(api: Api, database: Database, **register: Any) -> SignedIn:
    """A new member granted the moderators' console."""
    member = await api.register(**register)
    assert await moderators.grant(database, member.email)
    return member
