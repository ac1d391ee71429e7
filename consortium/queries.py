"""Who is told: the people of a consortium's office, of a member city and of a vendor company.

One place for every recipient lookup the notifications and the daily reminders make (DESIGN section 7,
"Who is told what"). Only active people count. A vendor company supplies one or more consortia and has
no consortium of its own, so its people are looked up by organization, whatever the consortium.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import select

from consortium.models import Consortium, Organization, User
from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.services import link_for
from marketplace.templating import local_zone


def _active_people(*criteria) -> list[User]:
    return list(db.session.scalars(select(User).where(User.is_active.is_(True), *criteria).order_by(User.email)))


def admins_of(consortium_id: int) -> list[User]:
    """The active admins of the consortium's office."""
    return admins_by_consortium([consortium_id]).get(consortium_id, [])


def approvers_of(organization_id: int) -> list[User]:
    """The active approvers (champions) of a member city."""
    return _active_people(User.organization_id == organization_id, User.role == "approver")


def users_of(organization_id: int) -> list[User]:
    """Every active person of an organization (a vendor company's users, whatever the consortium)."""
    return _active_people(User.organization_id == organization_id)


def admins_by_consortium(consortium_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active office admins of several consortia in one query: {consortium id: [admins]}."""
    ids = sorted(set(consortium_ids))
    found: dict[int, list[User]] = defaultdict(list)
    if not ids:
        return found
    rows = db.session.execute(
        select(User, Organization.consortium_id).join(Organization, User.organization_id == Organization.id)
        .where(User.is_active.is_(True), User.role == "admin", Organization.kind == "office",
               Organization.consortium_id.in_(ids))
        .order_by(User.email))
    for person, consortium_id in rows:
        found[consortium_id].append(person)
    return found


def approvers_by_organization(organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active approvers of several member cities in one query: {organization id: [approvers]}."""
    return _by_organization(organization_ids, User.role == "approver")


def users_by_organization(organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active people of several organizations in one query: {organization id: [people]}."""
    return _by_organization(organization_ids)


def _by_organization(organization_ids: Iterable[int], *criteria) -> dict[int, list[User]]:
    ids = sorted(set(organization_ids))
    found: dict[int, list[User]] = defaultdict(list)
    if ids:
        for person in _active_people(User.organization_id.in_(ids), *criteria):
            found[person.organization_id].append(person)
    return found


def person(user_id: int | None) -> User | None:
    """The person behind an audit event's `actor_id` (usually already in the session)."""
    return db.session.get(User, user_id) if user_id else None


def consortium_link(consortium_id: int, endpoint: str, **values) -> str:
    """The path of a page of consortium `consortium_id` (`/c/<slug>/…`), also outside a request: what a
    notification links to."""
    consortium = db.session.get(Consortium, consortium_id)
    return link_for(endpoint, consortium_slug=consortium.slug, **values)


def days_by_consortium(today: date | None = None) -> list[tuple[Consortium, date]]:
    """Every consortium with the day the daily job acts on there: `today` when given, else today in the
    consortium's own time zone."""
    return [(c, today or local_date(c)) for c in db.session.scalars(select(Consortium).order_by(Consortium.id))]


def local_date(consortium: Consortium, moment: datetime | None = None) -> date:
    """The date of `moment` (default: now) where the consortium is: its time zone decides what "today" is."""
    return (moment or utcnow()).astimezone(local_zone(consortium.time_zone)).date()


def start_of_day(consortium: Consortium, day: date) -> datetime:
    """The moment `day` begins in the consortium's time zone, in UTC (timestamps are stored in UTC, and
    SQLite compares them as text)."""
    return datetime(day.year, day.month, day.day, tzinfo=local_zone(consortium.time_zone)).astimezone(UTC)
