"""Which audit events the office sees: the filters, newest first, a page at a time or streamed for CSV.

Tenancy is automatic (marketplace.tenancy scopes every AuditEvent query to the current consortium), so
another consortium's events, and the people who caused only those, never appear.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from consortium.audit.validation import SYSTEM, AuditFilters
from consortium.models import User
from marketplace.audit import AuditEvent
from marketplace.extensions import db

PAGE_SIZE = 50
CSV_CHUNK = 500  # rows fetched (and labelled) at a time while a CSV file streams


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    number: int
    total: int

    @property
    def count(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of `day` in the consortium's zone, as a UTC moment (a day is the office's day)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _filtered(stmt: Select, filters: AuditFilters, zone: ZoneInfo) -> Select:
    if filters.actor == SYSTEM:
        stmt = stmt.where(AuditEvent.actor_id.is_(None))
    elif filters.actor is not None:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor)
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.created_at >= _start_of(filters.date_from, zone))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.created_at < _start_of(filters.date_to + timedelta(days=1), zone))
    return stmt


def events(filters: AuditFilters, zone: ZoneInfo) -> Select:
    """The matching events, newest first (the id breaks ties within one transaction)."""
    return _filtered(select(AuditEvent), filters, zone).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def page_of(filters: AuditFilters, zone: ZoneInfo, number: int) -> Page:
    """One page of matching events; a page past the end shows the last one."""
    total = db.session.scalar(_filtered(select(func.count(AuditEvent.id)), filters, zone)) or 0
    last = max(1, -(-total // PAGE_SIZE))
    number = min(max(number, 1), last)
    rows = db.session.scalars(events(filters, zone).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return Page(events=list(rows), number=number, total=total)


def stream(filters: AuditFilters, zone: ZoneInfo) -> Iterator[list[AuditEvent]]:
    """Every matching event in chunks of CSV_CHUNK, fetched as they are written out (never all in memory)."""
    result = db.session.scalars(events(filters, zone).execution_options(yield_per=CSV_CHUNK))
    yield from (list(chunk) for chunk in result.partitions())


def actors() -> list[tuple[int, str]]:
    """The people who caused at least one event here, by name (the actor filter's choices)."""
    stmt = (select(User.id, User.name).join(AuditEvent, AuditEvent.actor_id == User.id).distinct()
            .order_by(User.name, User.id))
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def names_of(user_ids: set[int]) -> dict[int, str]:
    """The names of the people who caused a page's (or a chunk's) events: one query."""
    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


def object_types() -> list[str]:
    """The kinds of object that have events here (the object-type filter's choices)."""
    return list(db.session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))


def actions() -> list[str]:
    """The actions recorded here (the action filter's choices)."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
