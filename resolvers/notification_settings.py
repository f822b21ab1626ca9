"""How each kind of notification reaches a member: in the app only, by mail at once, or in
a daily digest."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import col, select

from models import Delivery, NotificationKind, NotificationSetting
from resolvers.notifications import DEFAULT_DELIVERY
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

Choice = tuple[NotificationKind, Delivery]


async def notification_settings(services: Services, member_id: int) -> list[Choice]:
    """The delivery of every kind, in the kinds' order: the member's choice or the default."""
    async with services.db.lookups() as session:
        chosen = await session.scalars(
            select(NotificationSetting).where(col(NotificationSetting.member_id) == member_id)
        )
        choices = {NotificationKind(s.kind): Delivery(s.delivery) for s in chosen}
    return [(kind, choices.get(kind, DEFAULT_DELIVERY[kind])) for kind in NotificationKind]


async def update_notification_settings(
    services: Services, member_id: int, changes: Sequence[Choice]
) -> list[Choice]:
    """Set the delivery of the kinds given (the others stay as they are): every setting."""
    kinds = [kind for kind, _ in changes]
    if len(set(kinds)) != len(kinds):
        checks = Checks()
        checks.refuse("settings", N_("names a kind more than once"))
        checks.done()
    async with services.unit_of_work() as work:
        if kinds:
            await work.session.execute(
                delete(NotificationSetting).where(
                    col(NotificationSetting.member_id) == member_id,
                    col(NotificationSetting.kind).in_(kinds),
                )
            )
        for kind, delivery in changes:
            if delivery is not DEFAULT_DELIVERY[kind]:
                work.session.add(
                    NotificationSetting(member_id=member_id, kind=kind, delivery=delivery)
                )
    return await notification_settings(services, member_id)
