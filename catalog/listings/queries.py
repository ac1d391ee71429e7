"""Loading listings for the HTML views and the API alike: visibility, lists, the approval queue and a
listing's history. Every query here is scoped to the current consortium by `marketplace.tenancy`."""

from __future__ import annotations

from flask import abort
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from catalog.listings.models import Listing, ListingRevision
from catalog.listings.permissions import can_view_listing
from consortium.models import Organization, User
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.inputs import parse_id
from marketplace.tenancy import get_or_404


def get_listing_or_404(listing_id, user) -> Listing:
    """A listing of the current consortium that `user` may see; otherwise 404 (no enumeration)."""
    listing = get_or_404(Listing, listing_id)
    if not can_view_listing(user, listing):
        abort(404)
    return listing


def published_listing(consortium_id: int, listing_id) -> Listing | None:
    """A published listing of the consortium by id, or None (unknown, unpublished or elsewhere)."""
    listing_id = parse_id(listing_id)
    if listing_id is None:
        return None
    stmt = (
        select(Listing)
        .where(Listing.id == listing_id, Listing.consortium_id == consortium_id, Listing.status == "published")
        .options(joinedload(Listing.vendor))
    )
    return db.session.scalar(stmt)


def published_listing_choices(consortium_id: int) -> list[tuple[int, str]]:
    """(id, "title — vendor") of the consortium's published listings, for choosing one in a form."""
    stmt = (
        select(Listing.id, Listing.title, Organization.name)
        .join(Organization, Organization.id == Listing.vendor_id)
        .where(Listing.consortium_id == consortium_id, Listing.status == "published")
        .order_by(Listing.title, Listing.id)
    )
    return [(row.id, f"{row.title} — {row.name}") for row in db.session.execute(stmt)]


def vendor_listings(vendor_id: int) -> list[Listing]:
    """A vendor's listings in the current consortium, most recently changed first."""
    return list(db.session.scalars(
        select(Listing)
        .where(Listing.vendor_id == vendor_id)
        .options(selectinload(Listing.revisions), selectinload(Listing.price_items))
        .order_by(Listing.updated_at.desc(), Listing.id.desc())
    ))


def pending_revisions(listing: Listing) -> list[ListingRevision]:
    """The listing's pending revisions, oldest first (normally at most one), read afresh."""
    return list(db.session.scalars(
        select(ListingRevision)
        .where(ListingRevision.listing_id == listing.id, ListingRevision.status == "pending")
        .order_by(ListingRevision.id)
    ))


def latest_revision(listing: Listing) -> ListingRevision | None:
    """The listing's pending revision, else its most recent one (what a decision on a live listing is
    about), read afresh."""
    pending = pending_revisions(listing)
    if pending:
        return pending[-1]
    return db.session.scalar(
        select(ListingRevision).where(ListingRevision.listing_id == listing.id)
        .order_by(ListingRevision.id.desc()).limit(1)
    )


def approval_queue() -> list[tuple[str, object, Listing]]:
    """Submissions and pending revisions, oldest first, as (kind, waiting since, listing)."""
    submitted = db.session.scalars(
        select(Listing).where(Listing.status == "submitted").options(selectinload(Listing.vendor))
        .order_by(Listing.submitted_at, Listing.id)
    ).all()
    revisions = db.session.scalars(
        select(ListingRevision).where(ListingRevision.status == "pending")
        .options(selectinload(ListingRevision.listing).selectinload(Listing.vendor))
        .order_by(ListingRevision.created_at, ListingRevision.id)
    ).all()
    entries = [("submission", x.submitted_at, x) for x in submitted]
    entries += [("revision", r.created_at, r.listing) for r in revisions]
    entries.sort(key=lambda e: (e[1], e[2].id))
    return entries


def listing_history(listing: Listing) -> tuple[list[AuditEvent], dict[int, User]]:
    """The audit events of a listing and of its revisions, newest first, with the people who caused them."""
    revision_ids = select(ListingRevision.id).where(ListingRevision.listing_id == listing.id)
    events = db.session.scalars(
        select(AuditEvent)
        .where(or_(
            and_(AuditEvent.object_type == "listing", AuditEvent.object_id == listing.id),
            and_(AuditEvent.object_type == "listing_revision", AuditEvent.object_id.in_(revision_ids)),
        ))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return list(events), actors
