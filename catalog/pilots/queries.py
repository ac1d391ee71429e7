"""Loading pilot evidence for the HTML views and the API alike: who may look, one pilot, the pilot
library, and the evidence listing pages show. Every query here is scoped to the current consortium by
`marketplace.tenancy`."""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from catalog.listings.models import Listing
from catalog.pilots.models import Pilot, proven_clause
from catalog.pilots.permissions import can_view_pilot
from consortium.context import belongs
from marketplace.extensions import db
from marketplace.tenancy import get_or_404


def require_participant(user) -> None:
    """Anonymous: sign in (401). Someone outside the current consortium: 404, never 403."""
    if not getattr(user, "is_authenticated", False):
        abort(401)
    if not belongs(user):
        abort(404)


def get_pilot_or_404(pilot_id, user) -> Pilot:
    """A pilot of the current consortium the user may see; otherwise 404 (no enumeration)."""
    require_participant(user)
    pilot = get_or_404(Pilot, pilot_id)
    if not can_view_pilot(user, pilot):
        abort(404)
    return pilot


def verified_pilots_for(listing_ids: Iterable[int]) -> dict[int, list[Pilot]]:
    """The verified pilots of each listing (newest first), in one query; every id gets a list."""
    ids = sorted(set(listing_ids))
    found: dict[int, list[Pilot]] = {i: [] for i in ids}
    if not ids:
        return found
    stmt = (
        select(Pilot)
        .where(Pilot.listing_id.in_(ids), Pilot.status == "verified")
        .order_by(Pilot.end_date.desc(), Pilot.id.desc())
        .options(joinedload(Pilot.host_member), joinedload(Pilot.verified_by))
    )
    for pilot in db.session.scalars(stmt):
        found[pilot.listing_id].append(pilot)
    return found


def proven_listing_ids(listing_ids: Iterable[int]) -> set[int]:
    """The listings among `listing_ids` with a verified pilot whose derived outcome is met, in one query."""
    ids = sorted(set(listing_ids))
    if not ids:
        return set()
    return set(db.session.scalars(select(Listing.id).where(Listing.id.in_(ids), proven_clause())))


def _contains(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def library(consortium_id: int, filters: dict, *, see_all: bool, member_id: int | None, page: int = 1,
            per_page: int = 20) -> tuple[list[Pilot], int]:
    """One page of the pilot library and the total. Two queries."""
    stmt = library_stmt(consortium_id, filters, see_all=see_all, member_id=member_id)
    total = db.session.scalar(stmt.with_only_columns(func.count(Pilot.id)).order_by(None)) or 0
    return list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))), total


def library_stmt(consortium_id: int, filters: dict, *, see_all: bool, member_id: int | None):
    """Every pilot of the library that matches `filters`, most recently ended first: verified pilots, plus
    the recorded ones of the viewer's own member (`member_id`), or every pilot for the office (`see_all`)."""
    conditions = [Pilot.consortium_id == consortium_id]
    if not see_all:
        visible = Pilot.status == "verified"
        conditions.append(visible | (Pilot.host_member_id == member_id) if member_id else visible)
    if filters.get("q"):
        conditions.append(Pilot.title.ilike(_contains(filters["q"]), escape="\\"))
    if filters.get("kpi"):
        conditions.append(Pilot.kpi_index.like(_contains(filters["kpi"].lower()), escape="\\"))
    # The outcome filter finds what the metrics give, not what a recorder stated (DESIGN section 4).
    for name, column in (("category", Pilot.category), ("outcome", Pilot.derived_outcome), ("status", Pilot.status),
                         ("host", Pilot.host_member_id)):
        if filters.get(name) is not None:
            conditions.append(column == filters[name])
    return (
        select(Pilot).where(*conditions)
        .options(joinedload(Pilot.listing).joinedload(Listing.vendor), joinedload(Pilot.host_member),
                 joinedload(Pilot.verified_by))
        .order_by(Pilot.end_date.desc(), Pilot.id.desc())
    )
