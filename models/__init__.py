"""SQLModel tables, the engine and sessions: nothing else.

Importing this package registers every table on `SQLModel.metadata`.
"""

from models.database import Database
from models.ledger import Account, Asset, LedgerEntry, Transfer, TransferKind
from models.members import AuthToken, Member
from models.rate_limits import RateLimitCounter

__all__ = [
    "Account",
    "Asset",
    "AuthToken",
    "Database",
    "LedgerEntry",
    "Member",
    "RateLimitCounter",
    "Transfer",
    "TransferKind",
]
