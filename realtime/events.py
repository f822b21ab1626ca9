"""The events the business rules publish after a commit, and the channels they go to.

A message names what changed, not its content: each subscriber reads the row afresh, so a
message can never show a member what they may not see, and stays small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from realtime.channels import OUTBOX_CHANNEL, cell_channels, member_channel, sign_in_channel


@dataclass(frozen=True, slots=True)
class ListingCreated:
    position: int
    listing_id: int
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class ExchangeUpdated:
    exchange_id: int
    member_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WalletUpdated:
    member_id: int


@dataclass(frozen=True, slots=True)
class NotificationAdded:
    notification_id: int
    member_id: int


@dataclass(frozen=True, slots=True)
class MessageAdded:
    message_id: int
    member_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MailQueued:
    """Wakes the process that sends mail, wherever the mail was written."""


@dataclass(frozen=True, slots=True)
class SignInsRevoked:
    """Some of a member's tokens were revoked: their sockets check whether theirs was."""

    member_id: int


Event = (
    ListingCreated
    | ExchangeUpdated
    | WalletUpdated
    | NotificationAdded
    | MessageAdded
    | MailQueued
    | SignInsRevoked
)


def routes(event: Event) -> list[tuple[str, str]]:
    """The (channel, message) pairs that carry an event."""
    match event:
        case ListingCreated(position, listing_id, latitude, longitude):
            message = json.dumps({"listing": position, "id": listing_id})
            return [(channel, message) for channel in cell_channels(latitude, longitude)]
        case ExchangeUpdated(exchange_id, member_ids):
            message = json.dumps({"exchange": exchange_id})
            return [(member_channel(m), message) for m in member_ids]
        case WalletUpdated(member_id):
            return [(member_channel(member_id), json.dumps({"wallet": member_id}))]
        case NotificationAdded(notification_id, member_id):
            return [(member_channel(member_id), json.dumps({"notification": notification_id}))]
        case MessageAdded(message_id, member_ids):
            message = json.dumps({"message": message_id})
            return [(member_channel(m), message) for m in member_ids]
        case MailQueued():
            return [(OUTBOX_CHANNEL, "{}")]
        case SignInsRevoked(member_id):
            return [(sign_in_channel(member_id), json.dumps({"signins": member_id}))]
