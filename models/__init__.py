"""SQLModel tables, the engine and sessions, and the row locks (locks.py): nothing else.

Importing this package registers every table on `SQLModel.metadata`.
"""

from models.alerts import Alert
from models.conversations import Conversation, ConversationMember, Message
from models.database import Database
from models.exchanges import OPEN_STATUSES, Exchange, ExchangeStatus, IdempotencyKey
from models.ledger import Account, Asset, LedgerEntry, Transfer, TransferKind
from models.listing_feed import ListingFeedEntry
from models.listings import Listing, ListingKind, ListingStatus, ListingType
from models.mail import Mail
from models.members import AccountToken, AccountTokenPurpose, AuthToken, Member
from models.moderation import ModerationAction, ModerationLogEntry, Moderator, Suspension
from models.notifications import Delivery, Notification, NotificationKind, NotificationSetting
from models.persisted_queries import PersistedQuery
from models.rate_limits import RateLimitCounter
from models.reviews import Review
from models.safety import Block, Report, ReportReason, ReportStatus
from models.scheduler import ScheduledJob, SchedulerLease

__all__ = [
    "OPEN_STATUSES",
    "Account",
    "AccountToken",
    "AccountTokenPurpose",
    "Alert",
    "Asset",
    "AuthToken",
    "Block",
    "Conversation",
    "ConversationMember",
    "Database",
    "Delivery",
    "Exchange",
    "ExchangeStatus",
    "IdempotencyKey",
    "LedgerEntry",
    "Listing",
    "ListingFeedEntry",
    "ListingKind",
    "ListingStatus",
    "ListingType",
    "Mail",
    "Member",
    "Message",
    "ModerationAction",
    "ModerationLogEntry",
    "Moderator",
    "Notification",
    "NotificationKind",
    "NotificationSetting",
    "PersistedQuery",
    "RateLimitCounter",
    "Report",
    "ReportReason",
    "ReportStatus",
    "Review",
    "ScheduledJob",
    "SchedulerLease",
    "Suspension",
    "Transfer",
    "TransferKind",
]
