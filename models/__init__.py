"""SQLModel tables, the engine and sessions: nothing else.

Importing this package registers every table on `SQLModel.metadata`.
"""

from models.database import Database
from models.ledger import Account, Asset, LedgerEntry, Transfer, TransferKind
from models.listings import Listing, ListingKind, ListingStatus, ListingType
from models.members import AuthToken, Member
from models.rate_limits import RateLimitCounter

__all__ = [
    "Account",
    "Asset",
    "AuthToken",
    "Database",
    "LedgerEntry",
    "Listing",
    "ListingKind",
    "ListingStatus",
    "ListingType",
    "Member",
    "RateLimitCounter",
    "Transfer",
    "TransferKind",
]
