"""SQLModel tables, the engine and sessions: nothing else.

Importing this package registers every table on `SQLModel.metadata`.
"""

from models.database import Database
from models.exchanges import OPEN_STATUSES, Exchange, ExchangeStatus, IdempotencyKey
from models.ledger import Account, Asset, LedgerEntry, Transfer, TransferKind
from models.listings import Listing, ListingKind, ListingStatus, ListingType
from models.members import AuthToken, Member
from models.moderation import ModerationAction, ModerationLogEntry, Moderator, Suspension
from models.rate_limits import RateLimitCounter
from models.reviews import Review
from models.safety import Block, Report, ReportReason, ReportStatus

__all__ = [
    "OPEN_STATUSES",
    "Account",
    "Asset",
    "AuthToken",
    "Block",
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
    "ModerationAction",
    "ModerationLogEntry",
    "Moderator",
    "RateLimitCounter",
    "Report",
    "ReportReason",
    "ReportStatus",
    "Review",
    "Suspension",
    "Transfer",
    "TransferKind",
]
