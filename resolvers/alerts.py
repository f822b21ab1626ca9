"""Alerts: searches a member saved (at most ten), and the ALERT_MATCH notification of each
new listing that one of them matches.

A match is decided from the listing's rounded point, like every distance shown to others,
so alerts placed at will recover a point no better than the grid.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import col, func, select

from models import Alert, Listing, ListingType, Member, NotificationKind
from models.lookups import rows_by_id
from resolvers import blocks
from resolvers.errors import DomainError, ErrorCode
from resolvers.geo import GeoPoint, distance_to_shown_km
from resolvers.listing_feed import MAX_RADIUS_KM, check_circle
from resolvers.notifications import notify
from resolvers.services import Services, UnitOfWork
from resolvers.translations import N_
from resolvers.validation import Checks

MAX_ALERTS = 10
MAX_TEXT = 200
KM_PER_DEGREE_OF_LATITUDE = 111.19


@dataclass(frozen=True, slots=True)
class AlertDraft:
    near: GeoPoint
    radius_km: float
    types: Collection[ListingType] | None = None
    categories: Collection[str] | None = None
    text: str | None = None


def _checked(draft: AlertDraft) -> AlertDraft:
    checks = Checks()
    check_circle(checks, draft.near, draft.radius_km, draft.categories)
    text = None
    if draft.text is not None:
        text = checks.text("text", draft.text, max_length=MAX_TEXT) or None
    checks.done()
    return AlertDraft(draft.near, draft.radius_km, draft.types, draft.categories, text)


async def create_alert(services: Services, member_id: int, draft: AlertDraft) -> Alert:
    draft = _checked(draft)
    async with services.unit_of_work() as work:
        # The member's row, locked: two alerts created at once are counted one after the other.
        await work.session.scalar(
            select(Member.id).where(col(Member.id) == member_id).with_for_update()
        )
        saved = await work.session.scalar(
            select(func.count()).select_from(Alert).where(col(Alert.member_id) == member_id)
        )
        if (saved or 0) >= MAX_ALERTS:
            raise DomainError.of(
                ErrorCode.LIMIT_REACHED,
                N_("at most {limit} alerts: delete one before saving another"),
                limit=MAX_ALERTS,
            )
        alert = Alert(
            member_id=member_id,
            latitude=draft.near.latitude,
            longitude=draft.near.longitude,
            radius_km=draft.radius_km,
            types=sorted(set(draft.types or ())),
            categories=sorted(set(draft.categories or ())),
            text=draft.text,
        )
        work.session.add(alert)
        await work.session.flush()
    return alert


async def delete_alert(services: Services, member_id: int, alert_id: int) -> int:
    async with services.unit_of_work() as work:
        deleted = await work.session.execute(
            delete(Alert).where(col(Alert.id) == alert_id, col(Alert.member_id) == member_id)
        )
        if not getattr(deleted, "rowcount", 0):
            raise DomainError.of(
                ErrorCode.NOT_FOUND, N_("no alert of yours has this id"), "alertId"
            )
    return alert_id


async def my_alerts(services: Services, member_id: int) -> list[Alert]:
    """The member's alerts, newest first."""
    async with services.db.lookups() as session:
        found = await session.scalars(
            select(Alert).where(col(Alert.member_id) == member_id).order_by(col(Alert.id).desc())
        )
        return list(found.all())


async def get_alerts(
    services: Services, alert_ids: list[int], member_id: int
) -> list[Alert | None]:
    """The alerts with these ids, in the same order: None where there is none or it is not
    `member_id`'s."""
    async with services.db.lookups() as session:
        return await rows_by_id(session, Alert, alert_ids, col(Alert.member_id) == member_id)


def matches(alert: Alert, listing: Listing, text: str) -> bool:
    """Whether a listing is what `alert` looks for; `text` is the listing's searchable text."""
    if alert.types and listing.type not in alert.types:
        return False
    if alert.categories and listing.category not in alert.categories:
        return False
    if alert.text and alert.text.casefold() not in text:
        return False
    near = GeoPoint(alert.latitude, alert.longitude)
    distance = distance_to_shown_km(near, GeoPoint(listing.latitude, listing.longitude))
    return distance <= alert.radius_km


async def tell_watchers(work: UnitOfWork, listing: Listing) -> None:
    """Notify, once each, the members with an alert that the new `listing` matches."""
    shown = GeoPoint(listing.latitude, listing.longitude).rounded()
    reach = MAX_RADIUS_KM / KM_PER_DEGREE_OF_LATITUDE
    near = await work.session.scalars(
        select(Alert).where(
            col(Alert.latitude).between(shown.latitude - reach, shown.latitude + reach),
            col(Alert.member_id) != listing.author_id,
        )
    )
    watchers = {a.member_id for a in near if matches(a, listing, listing.search_text)}
    watchers -= await blocks.blocked_either_way(work.session, listing.author_id)
    for member_id in sorted(watchers):
        notify(
            work,
            member_id,
            NotificationKind.ALERT_MATCH,
            actor_id=listing.author_id,
            listing_id=listing.id,
        )
