"""Indigo's business rules: plain async functions over a database session.

Nothing here knows GraphQL; failures are raised as `DomainError`s with a code.
"""
