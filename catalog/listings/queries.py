"""Loading listings for the HTML views and the API alike: visibility, lists, the approval queue and a
listing's history. Every query here is scoped to the current consortium by `marketplace.tenancy`.

It also holds the catalog's **contract-terms port** (`CONTRACT_TERMS`): what the catalog needs to know
about contract vehicles (the contract prices in force on a listing's items, the active vehicles covering
it) without importing `contracts` (the dependencies point contracts → catalog). By default it answers
"none"; the application factory (`marketplace.app`) plugs in the implementation of
`contracts.vehicles.queries` with `provide_contract_terms(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

from flask import abort, url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from catalog.listings.models import Listing, ListingRevision
from catalog.listings.permissions import (
    can_approve_listing,
    can_approve_revision,
    can_submit_listing,
    can_view_listing,
)
from consortium.models import Organization, User
from consortium.permissions import is_office_of
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.inputs import parse_id
from marketplace.queue import QueueItem, provider
from marketplace.tenancy import get_or_404

# --- the contract-terms port -----------------------------------------------------------------------


@dataclass(frozen=True)
class ContractPrice:
    """A contract price of an active vehicle on one of a listing's price items."""

    price_item_id: int
    contract_price: Decimal
    vehicle_id: int
    vehicle_number: str


@dataclass(frozen=True)
class CoveringVehicle:
    """An active (not expired) vehicle whose covered listings include a listing."""

    vehicle_id: int
    number: str
    title: str
    end_date: date


def _none(listing, **_options) -> list:
    return []


@dataclass
class ContractTerms:
    """The two questions the catalog asks about contract vehicles.

    `active_contract_prices(listing)` → [ContractPrice]: the schedule lines of active, unexpired vehicles
    covering the listing, on its price items. `covering_vehicles(listing, lock=False)` → [CoveringVehicle]:
    the active, unexpired vehicles covering it; with `lock=True` the covering vehicles are locked first
    (the withdraw transition asks this way, so an activation in flight finishes before the answer)."""

    active_contract_prices: Callable[..., list[ContractPrice]] = _none
    covering_vehicles: Callable[..., list[CoveringVehicle]] = _none


CONTRACT_TERMS = ContractTerms()


def provide_contract_terms(*, active_contract_prices, covering_vehicles) -> None:
    """Plug the contracts domain's answers into the port (called once, by the application factory)."""
    CONTRACT_TERMS.active_contract_prices = active_contract_prices
    CONTRACT_TERMS.covering_vehicles = covering_vehicles


# --- one listing -----------------------------------------------------------------------------------


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


# --- what the irreversible steps do (their confirmation pages, marketplace.confirm) --------------


def withdraw_consequences(listing: Listing) -> list[str]:
    """Withdrawing: the listing leaves the catalog for good; no money moves."""
    sentences = [f"“{listing.title}” leaves the catalog: buyers can no longer find it, and no new contract "
                 "vehicle or order can include it.",
                 "No money moves: orders already placed keep their lines and prices."]
    if listing.pending_revision is not None:
        sentences.append("Your change awaiting the office's approval is dropped.")
    return sentences


def request_changes_consequences(listing: Listing, revision: ListingRevision | None) -> list[str]:
    """Sending a submission (or a pending revision) back to the vendor, with the reason."""
    vendor = listing.vendor.name
    if revision is not None:
        return [f"{vendor} gets the proposed change back to edit; the live version stays as it is, prices "
                "included: the proposed prices do not take effect."]
    return [f"{vendor} gets “{listing.title}” back to edit and submit again; it stays off the catalog until "
            "the office approves it.",
            "No money moves: nothing can be ordered from it until it is published."]


# --- the work queue (marketplace.queue) ------------------------------------------------------------


@provider
def listings_waiting(user, consortium) -> list[QueueItem]:
    """The office reviews submitted listings and pending revisions; a vendor revises a listing the office
    sent back. Two queries at most, whatever the number of listings."""
    if is_office_of(user, consortium.id):
        return _to_review(user, consortium)
    if user.role == "vendor":
        return _to_revise(user, consortium)
    return []


def _to_review(user, consortium) -> list[QueueItem]:
    submitted = db.session.scalars(
        select(Listing).where(Listing.consortium_id == consortium.id, Listing.status == "submitted")
        .options(joinedload(Listing.vendor))).all()
    revisions = db.session.scalars(
        select(ListingRevision).join(ListingRevision.listing)
        .where(ListingRevision.consortium_id == consortium.id, ListingRevision.status == "pending")
        .options(contains_eager(ListingRevision.listing).joinedload(Listing.vendor))).all()
    url = partial(url_for, "catalog.review", consortium_slug=consortium.slug)
    items = [QueueItem("review_listing", f"{x.title} — {x.vendor.name}", "Review the listing", "listing", x.id,
                       url(listing_id=x.id), x.submitted_at or x.created_at)
             for x in submitted if can_approve_listing(user, x)]
    items += [QueueItem("review_revision", f"{r.listing.title} — {r.listing.vendor.name}",
                        "Review the proposed change", "listing_revision", r.id, url(listing_id=r.listing_id),
                        r.created_at)
              for r in revisions if can_approve_revision(user, r)]
    return items


def _to_revise(user, consortium) -> list[QueueItem]:
    returned = db.session.scalars(select(Listing).where(
        Listing.consortium_id == consortium.id, Listing.vendor_id == user.organization_id,
        Listing.status == "changes_requested")).all()
    url = partial(url_for, "catalog.edit_listing", consortium_slug=consortium.slug)
    return [QueueItem("revise_listing", x.title, "Make the changes the office asked for and submit again",
                      "listing", x.id, url(listing_id=x.id), x.updated_at)
            for x in returned if can_submit_listing(user, x)]
