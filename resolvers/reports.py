"""Reports: any member may report a member, a listing or a message to the moderators."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import Listing, Member, Message, Report, ReportReason
from models.columns import REPORT_DETAILS_LENGTH
from models.lookups import rows_by_id
from resolvers import conversations, idempotency
from resolvers.errors import DomainError, ErrorCode, invalid
from resolvers.moderators import moderates
from resolvers.services import Services
from resolvers.translations import N_
from resolvers.validation import Checks

TARGETS = ("memberId", "listingId", "messageId")


@dataclass(frozen=True, slots=True)
class ReportDraft:
    reason: ReportReason
    member_id: int | None = None
    listing_id: int | None = None
    message_id: int | None = None
    details: str | None = None
    idempotency_key: str | None = None

    @property
    def request(self) -> str:
        return (
            f"report member={self.member_id} listing={self.listing_id} "
            f"message={self.message_id} "
            f"reason={self.reason} details={sha256((self.details or '').encode()).hexdigest()}"
        )


def _checked(draft: ReportDraft) -> ReportDraft:
    checks = Checks()
    given = [
        name
        for name, value in zip(
            TARGETS, (draft.member_id, draft.listing_id, draft.message_id), strict=True
        )
        if value is not None
    ]
    if not given:
        checks.refuse(TARGETS[0], N_("name what you report: one member, listing or message"))
    for extra in given[1:]:
        checks.refuse(extra, N_("report one thing at a time: a member, a listing or a message"))
    details = (
        None
        if draft.details is None
        else checks.text("details", draft.details, max_length=REPORT_DETAILS_LENGTH) or None
    )
    idempotency.check_key(checks, draft.idempotency_key)
    checks.done()
    return ReportDraft(
        draft.reason,
        draft.member_id,
        draft.listing_id,
        draft.message_id,
        details,
        draft.idempotency_key,
    )


async def report(services: Services, reporter_id: int, draft: ReportDraft) -> Report:
    """File a report; the same idempotency key with the same input returns the first one."""
    draft = _checked(draft)
    if draft.idempotency_key is not None:
        first = await _first_use(services, reporter_id, draft)
        if first is not None:
            return first
    try:
        async with services.unit_of_work() as work:
            member_id = await _member_concerned(work.session, reporter_id, draft)
            filed = Report(
                reporter_id=reporter_id,
                member_id=member_id,
                listing_id=draft.listing_id,
                message_id=draft.message_id,
                reason=draft.reason,
                details=draft.details,
                idempotency_key=draft.idempotency_key,
                request=draft.request,
            )
            work.session.add(filed)
            await work.session.flush()
    except IntegrityError:  # the same key, sent twice at once: the other one won
        first = await _first_use(services, reporter_id, draft)
        if first is None:
            raise
        return first
    return filed


async def reported_message(services: Services, message_id: int) -> Message | None:
    """A reported message, for its reporter (a member of its conversation) or a moderator."""
    async with services.db.lookups() as session:
        return await session.get(Message, message_id)


async def _first_use(services: Services, reporter_id: int, draft: ReportDraft) -> Report | None:
    async with services.db.lookups() as session:
        first = await session.scalar(
            select(Report).where(
                col(Report.reporter_id) == reporter_id,
                col(Report.idempotency_key) == draft.idempotency_key,
            )
        )
    if first is not None and first.request != draft.request:
        raise invalid(idempotency.FIELD, N_("was already used for another request"))
    return first


async def _member_concerned(session: AsyncSession, reporter_id: int, draft: ReportDraft) -> int:
    """The member a report is about: the one reported, or the author of the listing or
    message. A message is reported by the other member of its conversation alone: to anyone
    else it does not exist."""
    if draft.message_id is not None:
        message = await session.get(Message, draft.message_id)
        if message is None or not await conversations.is_party(
            session, message.conversation_id, reporter_id
        ):
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no message has this id"), "messageId")
        member_id, field = message.author_id, "messageId"
    elif draft.listing_id is not None:
        listing = await session.get(Listing, draft.listing_id)
        if listing is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no listing has this id"), "listingId")
        member_id, field = listing.author_id, "listingId"
    else:
        assert draft.member_id is not None
        if await session.get(Member, draft.member_id) is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no member has this id"), "memberId")
        member_id, field = draft.member_id, "memberId"
    if member_id == reporter_id:
        raise invalid(field, N_("you cannot report yourself"))
    return member_id


async def get_reports(
    services: Services, report_ids: list[int], member_id: int
) -> list[Report | None]:
    """The reports with these ids, in the same order: None where there is none, or where
    `member_id` is neither its reporter nor a moderator."""
    async with services.db.lookups() as session:
        return await rows_by_id(
            session,
            Report,
            report_ids,
            (col(Report.reporter_id) == member_id) | moderates(member_id),
        )
