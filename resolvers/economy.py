"""The numbers of the economy, as configured (see design.md, "The economy")."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Economy:
    welcome_digos: int = 20
    max_price: int = 100
    goodvibe_value: int = 1
    max_discount_percent: int = 50
    max_open_appeals: int = 3
    # Collusion bounds, per 30 days: goodvibes one helper earns from appeals, and appeals one
    # helper answers for one member.
    max_appeal_rewards_per_month: int = 200
    max_pair_appeals_per_month: int = 3
