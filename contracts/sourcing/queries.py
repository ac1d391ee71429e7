"""Loading RFIs and responses for pages and the API alike (strangers get 404, never 403), the pooled demand of
an RFI, the work queue's RFIs, and what planning learns about the needs an RFI, a pilot, a vehicle or an order
took up (`consortium.planning.queries.NEED_OUTCOMES`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from catalog.listings.models import Listing
from catalog.pilots.models import Pilot
from catalog.pilots.permissions import can_view_pilot
from consortium.context import belongs, current_consortium
from consortium.models import Organization
from consortium.permissions import is_office_of
from consortium.planning.models import Need
from consortium.planning.queries import NEED_OUTCOMES, Outcome
from contracts.orders.models import STATUS_LABELS as ORDER_STATUS_LABELS
from contracts.orders.models import Order
from contracts.orders.permissions import can_view_order
from contracts.sourcing import models
from contracts.sourcing import permissions as can
from contracts.sourcing.models import Rfi, RfiResponse, rfi_need
from contracts.sourcing.services import LINKABLE_ORDERS
from contracts.vehicles.models import STATUS_LABELS as VEHICLE_STATUS_LABELS
from contracts.vehicles.models import Vehicle
from contracts.vehicles.permissions import can_view_vehicle
from marketplace.extensions import db
from marketplace.queue import QueueItem, provider
from marketplace.templating import local_zone
from marketplace.tenancy import get_or_404

ZERO = Decimal("0.00")


def in_consortium() -> None:
    """401 for nobody signed in; 404 for anyone who does not work in the current consortium."""
    if not current_user.is_authenticated:
        abort(401)
    if current_consortium() is None or not belongs(current_user):
        abort(404)


def get_rfi_or_404(rfi_id) -> Rfi:
    in_consortium()
    rfi = get_or_404(Rfi, rfi_id)
    if not can.can_view_rfi(current_user, rfi):
        abort(404)
    return rfi


def visible_rfis_stmt(user):
    """Published RFIs, plus the drafts of the person's own member (all drafts, for the office)."""
    stmt = select(Rfi)
    if is_office_of(user, current_consortium().id):
        return stmt
    mine = Rfi.issuer_id == user.organization_id if user.role in ("buyer", "approver") else False
    return stmt.where(or_(Rfi.published_at.is_not(None), mine))


def visible_responses(rfi: Rfi, user) -> list[RfiResponse]:
    """Every response for the issuer and the office; a vendor's own only, for that vendor; none for others."""
    stmt = select(RfiResponse).where(RfiResponse.rfi_id == rfi.id).options(
        joinedload(RfiResponse.vendor), joinedload(RfiResponse.listing)).order_by(RfiResponse.id)
    if can.can_view_responses(user, rfi):
        return list(db.session.scalars(stmt))
    if user.role == "vendor":
        return list(db.session.scalars(stmt.where(RfiResponse.vendor_id == user.organization_id)))
    return []


def own_response(rfi: Rfi, user) -> RfiResponse | None:
    if user.role != "vendor":
        return None
    return db.session.scalar(select(RfiResponse).where(RfiResponse.rfi_id == rfi.id,
                                                       RfiResponse.vendor_id == user.organization_id))


def response_count(rfi: Rfi) -> int:
    return len(db.session.scalars(select(RfiResponse.id).where(RfiResponse.rfi_id == rfi.id)).all())


@dataclass(frozen=True)
class Pooled:
    members: int
    quantity: int
    budget: Decimal


def pooled_demand(rfi: Rfi) -> Pooled:
    """The members that registered interest, their total indicative quantity and budget."""
    return Pooled(len(rfi.interests), sum(i.indicative_quantity for i in rfi.interests),
                  sum((i.indicative_budget for i in rfi.interests), ZERO))


def own_listings(user, rfi: Rfi) -> list[Listing]:
    """The vendor's published listings in the RFI's consortium (those of its category first)."""
    listings = db.session.scalars(select(Listing).where(
        Listing.vendor_id == user.organization_id, Listing.consortium_id == rfi.consortium_id,
        Listing.status == "published").order_by(Listing.title))
    return sorted(listings, key=lambda x: x.category != rfi.category)


def linkable_needs(user) -> list[Need]:
    """The needs an RFI of the person may link: their member's selected ones (any member's, for the office)."""
    stmt = select(Need).where(Need.status.in_(("selected", "sourcing"))).options(joinedload(Need.member)) \
        .order_by(Need.fiscal_year, Need.id)
    if not is_office_of(user, current_consortium().id):
        stmt = stmt.where(Need.member_id == user.organization_id)
    return list(db.session.scalars(stmt))


def member_choices() -> list[Organization]:
    return list(db.session.scalars(select(Organization).where(
        Organization.consortium_id == current_consortium().id, Organization.kind == "member")
        .order_by(Organization.name)))


def orders_for_need(need: Need) -> list[Order]:
    """The need's city's orders that could fulfil it (not cancelled or declined), newest first."""
    return list(db.session.scalars(select(Order).where(Order.member_id == need.member_id,
                                                       Order.status.in_(LINKABLE_ORDERS))
                                   .order_by(Order.id.desc()).limit(200)))


# --- what became of the needs (planning's port) ---------------------------------------------------------


def need_outcomes(needs) -> dict[int, list[Outcome]]:
    """For each need: the RFIs linking it, what a converted RFI became (pilot or vehicle), the order recorded for
    it; only what the person may see. A few queries whatever the number of needs."""
    ids = [n.id for n in needs]
    found: dict[int, list[Outcome]] = defaultdict(list)
    if not ids or not current_user.is_authenticated:
        return found
    rows = db.session.execute(select(rfi_need.c.need_id, Rfi).join(Rfi, Rfi.id == rfi_need.c.rfi_id)
                              .where(rfi_need.c.need_id.in_(ids)).options(joinedload(Rfi.conversion))
                              .order_by(Rfi.id)).all()
    for need_id, rfi in rows:
        if not can.can_view_rfi(current_user, rfi):
            continue
        found[need_id].append(Outcome("rfi", f"{rfi.reference} {rfi.title}", rfi.status_label,
                                      url_for("sourcing.rfi", rfi_id=rfi.id)))
        conversion = rfi.conversion
        if conversion is not None and conversion.pilot_id:
            pilot = db.session.get(Pilot, conversion.pilot_id)
            if can_view_pilot(current_user, pilot):
                found[need_id].append(Outcome("pilot", f"Pilot: {pilot.title}", pilot.status.capitalize(),
                                              url_for("pilots.detail", pilot_id=pilot.id)))
        elif conversion is not None and conversion.vehicle_id:
            vehicle = db.session.get(Vehicle, conversion.vehicle_id)
            if can_view_vehicle(current_user, vehicle):
                found[need_id].append(Outcome("vehicle", f"Vehicle {vehicle.number}",
                                              VEHICLE_STATUS_LABELS[vehicle.effective_status()],
                                              url_for("vehicles.detail", vehicle_id=vehicle.id)))
    links = db.session.execute(select(models.NeedOrder.need_id, Order)
                               .join(Order, Order.id == models.NeedOrder.order_id)
                               .where(models.NeedOrder.need_id.in_(ids))).all()
    for need_id, order in links:
        if can_view_order(current_user, order):
            found[need_id].append(Outcome("order", f"Order {order.reference}", ORDER_STATUS_LABELS[order.status],
                                          url_for("orders.order", order_id=order.id)))
    return found


NEED_OUTCOMES.append(need_outcomes)


def linked_rfis(need: Need) -> list[Rfi]:
    """The RFIs linking a need that the person may see."""
    rfis = db.session.scalars(select(Rfi).join(rfi_need).where(rfi_need.c.need_id == need.id).order_by(Rfi.id))
    return [r for r in rfis if can.can_view_rfi(current_user, r)]


def need_order(need: Need) -> Order | None:
    link = db.session.scalar(select(models.NeedOrder).where(models.NeedOrder.need_id == need.id))
    return db.session.get(Order, link.order_id) if link is not None else None


# --- the work queue ------------------------------------------------------------------------------------


def _rfi_title(rfi: Rfi) -> str:
    return f"{rfi.reference} {rfi.title} ({rfi.category_label})"


@provider
def rfis_waiting(user, consortium) -> list[QueueItem]:
    """Open RFIs in a vendor's categories wait for its response until due; an issuer's RFIs wait to be closed
    once due, then to be converted. Two queries at most."""
    now = models.now()
    slug = consortium.slug
    items = []
    if user.role == "vendor":
        categories = select(Listing.category).where(Listing.vendor_id == user.organization_id,
                                                    Listing.consortium_id == consortium.id,
                                                    Listing.status == "published")
        answered = exists().where(RfiResponse.rfi_id == Rfi.id, RfiResponse.vendor_id == user.organization_id)
        for rfi in db.session.scalars(select(Rfi).where(
                Rfi.consortium_id == consortium.id, Rfi.status == "open", Rfi.responses_due > now,
                Rfi.category.in_(categories), ~answered)):
            due = rfi.responses_due.astimezone(local_zone(consortium.time_zone)).date()
            items.append(QueueItem("respond_rfi", _rfi_title(rfi), "Respond to the RFI", "rfi", rfi.id,
                                   url_for("sourcing.respond", consortium_slug=slug, rfi_id=rfi.id),
                                   rfi.published_at or rfi.created_at, due_on=due))
        return items
    if user.role not in ("approver", "admin"):
        return items
    for rfi in db.session.scalars(select(Rfi).where(Rfi.consortium_id == consortium.id,
                                                    Rfi.issuer_id == user.organization_id,
                                                    Rfi.status.in_(("open", "closed")))
                                  .options(selectinload(Rfi.needs))):
        if not can.runs_rfi(user, rfi) and not can.can_convert_rfi(user, rfi):
            continue
        url = url_for("sourcing.rfi", consortium_slug=slug, rfi_id=rfi.id)
        if rfi.status == "open" and rfi.is_due(now):
            items.append(QueueItem("close_rfi", _rfi_title(rfi), "Close the RFI: responses were due", "rfi",
                                   rfi.id, url, rfi.responses_due))
        elif rfi.status == "closed":
            items.append(QueueItem("convert_rfi", _rfi_title(rfi), "Compare the responses and convert the RFI",
                                   "rfi", rfi.id, url, rfi.closed_at or rfi.created_at))
    return items
