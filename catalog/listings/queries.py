"""Loading listings for the HTML views and the API alike: visibility, lists, the approval queue and a
listing's history. Every query here is scoped to the current consortium by `marketplace.tenancy`.

It also holds the catalog's **contract-terms port** (`CONTRACT_TERMS`): what the catalog needs to know
about contract vehicles (the contract prices in force on a listing's items, the active vehicles covering
it) without importing `contracts` (the dependencies point contracts → catalog). By default it answers
"none"; the application factory (`marketplace.app`) plugs in the implementation of
`contracts.vehicles.queries` with `provide_contract_terms(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

from flask import abort, url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from catalog.listings.models import PRICING_MODELS, Listing, ListingRevision
from catalog.listings.permissions import (
    can_approve_listing,
    can_approve_revision,
    can_submit_listing,
    can_view_listing,
)
from catalog.pilots.models import Pilot, proves_listing
from consortium.context import belongs
from consortium.models import Organization, User
from consortium.permissions import is_office_of
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.formats import money
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


def _no_vehicles(user, listing_ids) -> dict:
    return {}


@dataclass
class ContractTerms:
    """The two questions the catalog asks about contract vehicles.

    `active_contract_prices(listing)` → [ContractPrice]: the schedule lines of active, unexpired vehicles
    covering the listing, on its price items. `covering_vehicles(listing, lock=False)` → [CoveringVehicle]:
    the active, unexpired vehicles covering it; with `lock=True` the covering vehicles are locked first
    (the withdraw transition asks this way, so an activation in flight finishes before the answer).
    `vehicles_to_order_under(user, listing_ids)` → {listing id: [CoveringVehicle]}: for a member city's
    buyer or approver, the vehicles in force today that cover each listing and that their city may order
    under (empty for anyone else); one query for a whole page of results."""

    active_contract_prices: Callable[..., list[ContractPrice]] = _none
    covering_vehicles: Callable[..., list[CoveringVehicle]] = _none
    vehicles_to_order_under: Callable[..., dict[int, list[CoveringVehicle]]] = _no_vehicles


CONTRACT_TERMS = ContractTerms()


def provide_contract_terms(*, active_contract_prices, covering_vehicles, vehicles_to_order_under=None) -> None:
    """Plug the contracts domain's answers into the port (called once, by the application factory)."""
    CONTRACT_TERMS.active_contract_prices = active_contract_prices
    CONTRACT_TERMS.covering_vehicles = covering_vehicles
    CONTRACT_TERMS.vehicles_to_order_under = vehicles_to_order_under or _no_vehicles


# --- search result cards --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultCard:
    """What a catalog result says about a listing, labelled on the page (Vendor, Category, Pricing,
    Price, Evidence, Contract). `proven_in` names the member cities whose verified pilot proved it, for
    the people of the consortium (the public sees only that it is proven); `on_contract` are the vehicles
    the viewer's city can order it under today, with `city` the viewer's city."""

    listing: Listing
    pricing: str
    price: str | None
    proven: bool
    proven_in: tuple[str, ...] = ()
    city: str | None = None
    on_contract: tuple[CoveringVehicle, ...] = ()


def price_with_unit(amount, unit: str | None) -> str:
    """'$310.00 per fixture' (unit 'fixture' or 'per fixture'), '$450.00 each', '$9.50 per pole per month'."""
    text = money(amount)
    unit = (unit or "").strip()
    if not unit:
        return text
    if unit.casefold() == "each" or unit.casefold().startswith("per "):
        return f"{text} {unit}"
    return f"{text} per {unit}"


def lowest_price_text(listing: Listing) -> str | None:
    """The lowest list price with its unit, "from …" when the listing has several price items; None
    without any."""
    items = listing.active_price_items
    if not items:
        return None
    cheapest = min(items, key=lambda p: (p.list_price, p.position, p.id))
    text = price_with_unit(cheapest.list_price, cheapest.unit)
    return f"from {text}" if len(items) > 1 else text


def proving_cities(listing_ids: Iterable[int]) -> dict[int, list[str]]:
    """The member cities whose pilot proves each listing (`catalog.pilots.models.proves_listing`), by
    name; one query. Unproven listings are absent."""
    ids = sorted(set(listing_ids))
    if not ids:
        return {}
    stmt = (
        select(Pilot.listing_id, Organization.name).distinct()
        .join(Organization, Organization.id == Pilot.host_member_id)
        .where(Pilot.listing_id.in_(ids), proves_listing())
        .order_by(Pilot.listing_id, Organization.name)
    )
    found: dict[int, list[str]] = {}
    for listing_id, name in db.session.execute(stmt):
        found.setdefault(listing_id, []).append(name)
    return found


def result_cards(listings: list[Listing], user) -> list[ResultCard]:
    """The cards of a page of results (listings loaded with vendor and price items): two queries
    whatever their number, one for the proving cities and one for the vehicles the viewer's city can
    order under (none for a viewer without a city here)."""
    ids = [listing.id for listing in listings]
    proving = proving_cities(ids)
    member = belongs(user)
    vehicles = CONTRACT_TERMS.vehicles_to_order_under(user, ids) if ids else {}
    city = user.organization.name if vehicles else None
    return [
        ResultCard(
            listing=listing,
            pricing=", ".join(PRICING_MODELS.get(m, m) for m in listing.pricing_models or ()),
            price=lowest_price_text(listing),
            proven=listing.id in proving,
            proven_in=tuple(proving.get(listing.id, ())) if member else (),
            city=city if vehicles.get(listing.id) else None,
            on_contract=tuple(vehicles.get(listing.id, ())),
        )
        for listing in listings
    ]


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
