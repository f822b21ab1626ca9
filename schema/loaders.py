"""DataLoaders: related rows fetched in one query per batch instead of one per row.

A set is made per HTTP request; a subscription must make a fresh one per event, or it would
serve rows cached from an earlier event.
"""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from models import Listing, Member
from resolvers import listings, members
from resolvers.platform import Platform


class Loaders:
    def __init__(self, platform: Platform) -> None:
        self.member: DataLoader[int, Member | None] = DataLoader(
            lambda ids: members.get_members(platform, list(ids))
        )
        self.listing: DataLoader[int, Listing | None] = DataLoader(
            lambda ids: listings.get_listings(platform, list(ids))
        )
