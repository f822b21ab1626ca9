"""SQLModel tables, the engine and sessions: nothing else.

Importing this package registers every table on `SQLModel.metadata`.
"""

from models.database import Database
from models.exchanges import OPEN_STATUSES, Exchange, ExchangeStatus, IdempotencyKey
from models.ledger import Account, Asset, LedgerEntry, Transfer, TransferKind
from models.listings import Listing, ListingKind, ListingStatus, ListingType
from models.members import AccountToken, AccountTokenPurpose, AuthToken, Member
from models.rate_limits import RateLimitCounter

__all__ = [
    "OPEN_STATUSES",
    "Account",
    "AccountToken",
    "AccountTokenPurpose",
    "Asset",
    "AuthToken",
    "Database",
    "Exchange",
    "ExchangeStatus",
    "IdempotencyKey",
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
