"""The numbers of the economy, as configured (see design.md, "The economy")."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Economy:
    welcome_digos: int = 20
    max_price: int = 100
    goodvibe_value: int = 1
    max_discount_percent: int = 50
    max_open_appeals: int = 3
    token_ttl_hours: int = 720
    login_attempts_per_minute: int = 10
    listing_ttl_days: int = 60
    messages_per_minute: int = 20
