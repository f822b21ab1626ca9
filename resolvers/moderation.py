"""The moderators' console: the queue of open reports, the decisions on them, restoring a
suspended member, and the log that keeps who did what, when and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import (
    Exchange,
    ExchangeStatus,
    ListingStatus,
    Member,
    Message,
    ModerationAction,
    ModerationLogEntry,
    NotificationKind,
    Report,
    ReportStatus,
    Suspension,
)
from models.columns import MODERATION_REASON_LENGTH, utcnow
from models.locks import lock_listing
from models.lookups import rows_by_id
from resolvers import exchanges, sanctions, suspensions
from resolvers.errors import DomainError, ErrorCode, invalid
from resolvers.moderators import moderates
from resolvers.notifications import notify
from resolvers.pages import Page, newest_first
from resolvers.services import Services, UnitOfWork
from resolvers.translations import N_
from resolvers.validation import Checks

REPORT_ACTIONS = frozenset(ModerationAction) - {ModerationAction.RESTORE_MEMBER}


@dataclass(frozen=True, slots=True)
class Decision:
    report_id: int
    action: ModerationAction
    reason: str
    suspend_until: datetime | None = None


def _checked(decision: Decision) -> Decision:
    checks = Checks()
    reason = checks.text(
        "reason", decision.reason, min_length=1, max_length=MODERATION_REASON_LENGTH
    )
    if decision.action not in REPORT_ACTIONS:
        checks.refuse("action", N_("is not a decision on a report"))
    if decision.action is ModerationAction.SUSPEND_MEMBER:
        if decision.suspend_until is None:
            checks.refuse("suspendUntil", N_("a suspension needs the date it ends"))
        elif decision.suspend_until.tzinfo is None or decision.suspend_until <= utcnow():
            checks.refuse("suspendUntil", N_("must be a time to come, with its zone"))
    elif decision.suspend_until is not None:
        checks.refuse("suspendUntil", N_("only a suspension has an end date"))
    checks.done()
    return Decision(decision.report_id, decision.action, reason, decision.suspend_until)


async def queue(services: Services, *, first: int, after: int | None = None) -> Page[Report]:
    """Open reports, oldest first; `after` is the id of the last one already seen."""
    query = (
        select(Report)
        .where(col(Report.status) == ReportStatus.OPEN)
        .order_by(col(Report.id))
        .limit(first + 1)
    )
    if after is not None:
        query = query.where(col(Report.id) > after)
    async with services.db.lookups() as session:
        return Page.of(list((await session.scalars(query)).all()), first)


async def log(
    services: Services, *, first: int, before: int | None = None
) -> Page[ModerationLogEntry]:
    """Every moderation action, the latest first."""
    query = newest_first(select(ModerationLogEntry), col(ModerationLogEntry.id), first, before)
    async with services.db.lookups() as session:
        return Page.of(list((await session.scalars(query)).all()), first)


async def get_log_entries(
    services: Services, entry_ids: list[int], member_id: int
) -> list[ModerationLogEntry | None]:
    """The log entries with these ids, in the same order; all None unless `member_id` is a
    moderator."""
    async with services.db.lookups() as session:
        return await rows_by_id(session, ModerationLogEntry, entry_ids, moderates(member_id))


@dataclass(frozen=True, slots=True)
class _Applied:
    """What a decision did in its unit of work, and what it leaves to cancel after it."""

    outcome: str
    suspension_id: int | None = None
    to_cancel: list[int] = field(default_factory=list)


async def resolve_report(services: Services, moderator_id: int, decision: Decision) -> Report:
    """Dismiss a report or act on it. What the decision cancels (a suspended member's open
    exchanges, a hidden listing's requests) is cancelled once it has committed, by the exchange
    state machine itself; the log entry then says how many."""
    decision = _checked(decision)
    async with services.unit_of_work() as work:
        session = work.session
        report = await session.get(Report, decision.report_id, with_for_update=True)
        if report is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no report has this id"), "reportId")
        if report.status != ReportStatus.OPEN:
            raise DomainError.of(
                ErrorCode.INVALID_STATE, N_("this report was already resolved"), "reportId"
            )
        applied = await _apply(work, report, decision, moderator_id)
        report.status = (
            ReportStatus.DISMISSED
            if decision.action is ModerationAction.DISMISS
            else ReportStatus.ACTIONED
        )
        report.resolved_at = utcnow()
        entry = ModerationLogEntry(
            action=decision.action,
            moderator_id=moderator_id,
            member_id=report.member_id,
            listing_id=report.listing_id,
            message_id=report.message_id,
            report_id=report.id,
            reason=decision.reason,
            outcome=applied.outcome,
            suspend_until=decision.suspend_until,
        )
        session.add(entry)
        await session.flush()
        if decision.action is not ModerationAction.DISMISS:
            _tell(work, report.member_id, report.listing_id, report.message_id)

    cancelled: int | None = None
    if applied.suspension_id is not None:
        cancelled = await sanctions.cancel_open_exchanges(services, report.member_id)
    elif applied.to_cancel:
        cancelled = await _cancel(services, report.member_id, applied.to_cancel)
    if cancelled is not None:
        await _record_cancelled(services, entry, applied.suspension_id, cancelled)
    return report


async def _apply(
    work: UnitOfWork, report: Report, decision: Decision, moderator_id: int
) -> _Applied:
    session = work.session
    if decision.action is ModerationAction.DISMISS:
        return _Applied("report dismissed")
    if decision.action is ModerationAction.HIDE_LISTING:
        return _Applied("listing hidden", to_cancel=await _hide_listing(session, report))
    if decision.action is ModerationAction.HIDE_MESSAGE:
        await _hide_message(session, report)
        return _Applied("message hidden")
    if decision.action is ModerationAction.SUSPEND_MEMBER:
        assert decision.suspend_until is not None
        return await _suspend(work, report.member_id, decision.suspend_until, moderator_id)
    raise invalid("action", N_("this report names nothing this action applies to"))


async def _suspend(
    work: UnitOfWork, member_id: int, until: datetime, moderator_id: int
) -> _Applied:
    session = work.session
    if member_id == moderator_id:
        raise invalid("action", N_("you cannot suspend yourself"))
    # The member's row is locked so that two decisions on them take turns.
    await session.get(Member, member_id, with_for_update=True)
    if await suspensions.active(session, member_id) is not None:
        raise DomainError.of(
            ErrorCode.INVALID_STATE, N_("this member is already suspended"), "action"
        )
    suspension, revoked = await sanctions.suspend(work, member_id, until)
    return _Applied(
        f"sign-ins revoked: {revoked}; listings hidden: {len(suspension.hidden_listing_ids)}",
        suspension_id=suspension.id,
    )


def _tell(
    work: UnitOfWork, member_id: int, listing_id: int | None, message_id: int | None = None
) -> None:
    """Tell the member concerned of a decision about them. Who took it is not named."""
    notify(
        work,
        member_id,
        NotificationKind.MODERATION,
        listing_id=listing_id,
        message_id=message_id,
    )


async def _hide_listing(session: AsyncSession, report: Report) -> list[int]:
    """Hide the reported listing: the ids of the requests on it, to cancel."""
    if report.listing_id is None:
        raise invalid("action", N_("this report names no listing"))
    listing = await lock_listing(session, report.listing_id)
    assert listing is not None
    listing.status = ListingStatus.HIDDEN
    listing.updated_at = utcnow()
    requested = await session.scalars(
        select(col(Exchange.id))
        .where(
            col(Exchange.listing_id) == listing.id,
            col(Exchange.status) == ExchangeStatus.REQUESTED,
        )
        .order_by(col(Exchange.id))
    )
    return [i for i in requested.all() if i is not None]


async def _hide_message(session: AsyncSession, report: Report) -> None:
    if report.message_id is None:
        raise invalid("action", N_("this report names no message"))
    message = await session.get(Message, report.message_id, with_for_update=True)
    assert message is not None
    message.hidden_at = utcnow()


async def _cancel(services: Services, party_id: int, exchange_ids: list[int]) -> int:
    cancelled = 0
    for exchange_id in exchange_ids:
        try:
            await exchanges.close_exchange(
                services, party_id, exchanges.CANCEL, exchange_id=exchange_id
            )
        except DomainError:
            continue  # it moved on meanwhile
        cancelled += 1
    return cancelled


async def _record_cancelled(
    services: Services, entry: ModerationLogEntry, suspension_id: int | None, cancelled: int
) -> None:
    async with services.unit_of_work() as work:
        logged = await work.session.get(ModerationLogEntry, entry.id)
        assert logged is not None
        logged.outcome = f"{logged.outcome}; open exchanges cancelled: {cancelled}"
        if suspension_id is not None:
            suspension = await work.session.get(Suspension, suspension_id)
            assert suspension is not None
            suspension.cancelled_exchanges = cancelled


async def restore_member(
    services: Services, moderator_id: int, member_id: int, reason: str
) -> Member:
    """Lift a member's suspension and show again the listings it hid. Their sign-ins stay
    revoked (they sign in again) and the exchanges it cancelled stay cancelled: the log entry
    says so."""
    checks = Checks()
    reason = checks.text("reason", reason, min_length=1, max_length=MODERATION_REASON_LENGTH)
    checks.done()
    async with services.unit_of_work() as work:
        member = await work.session.get(Member, member_id)
        if member is None:
            raise DomainError.of(ErrorCode.NOT_FOUND, N_("no member has this id"), "memberId")
        lifted = await sanctions.lift(work.session, member_id)
        if lifted is None:
            raise DomainError.of(
                ErrorCode.INVALID_STATE, N_("this member is not suspended"), "memberId"
            )
        suspension, shown = lifted
        _tell(work, member_id, None)
        work.session.add(
            ModerationLogEntry(
                action=ModerationAction.RESTORE_MEMBER,
                moderator_id=moderator_id,
                member_id=member_id,
                reason=reason,
                outcome=(
                    f"suspension lifted; listings shown again: {shown}; exchanges cancelled "
                    f"by the suspension stay cancelled: {suspension.cancelled_exchanges}; "
                    "revoked sign-ins stay revoked: the member signs in again"
                ),
            )
        )
    return member
