"""How long what the server hands out lasts, as configured: a sign-in, a listing."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Lifetimes:
    token_ttl_hours: int = 720
    listing_ttl_days: int = 60
