"""Which orders a person may see, the order loader every page and API call uses, and the timeline."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload

from catalog.listings.models import PriceItem
from catalog.reviews.models import REVIEWABLE_ORDER_STATES
from catalog.reviews.queries import ReviewableOrder
from consortium.context import belongs, current_consortium
from consortium.models import User
from contracts.orders import permissions as can
from contracts.orders import services
from contracts.orders.forms import ReasonForm
from contracts.orders.models import STATUS_LABELS, Order, OrderLine
from contracts.performance import parse_terms, period_dates
from contracts.vehicles.models import Award, award_listing
from contracts.vehicles.queries import executed_participation
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.formats import day, money, period_span
from marketplace.queue import QueueItem, provider
from marketplace.tenancy import get_or_404


def visible_orders_stmt(user):
    """Orders the user may see: their member's, their vendor's once approved, or all for admins."""
    stmt = select(Order)
    if user.role in ("buyer", "approver"):
        stmt = stmt.where(Order.member_id == user.organization_id)
    elif user.role == "vendor":
        stmt = stmt.where(Order.vendor_id == user.organization_id, Order.approved_at.is_not(None))
    return stmt


def get_order_or_404(order_id: int) -> Order:
    """The order, for the signed-in person of the current consortium who may see it; 401 for nobody
    signed in, 404 for everyone else (no enumeration)."""
    if not current_user.is_authenticated:
        abort(401)
    if current_consortium() is None or not belongs(current_user):
        abort(404)
    order = get_or_404(Order, order_id)
    if not can.can_view_order(current_user, order):
        abort(404)
    return order


def timeline(order: Order) -> tuple[list[AuditEvent], dict[int, User]]:
    """The order's audit events, oldest first, and the people who caused them."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "order", AuditEvent.object_id == order.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)).all()
    ids = {e.actor_id for e in events if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return events, actors


def in_consortium() -> None:
    """API calls about orders need a consortium the caller works in (404 otherwise)."""
    if current_consortium() is None or not belongs(current_user):
        abort(404)


# Callables (order) -> Markup that add a panel to the order page; the observations feature registers
# the performance panel here (so neither feature's views import the other's).
ORDER_PANELS: list = []


def order_page_context(order: Order) -> dict:
    """What the order page shows; other features (performance and settlement) add to it."""
    events, actors = timeline(order)
    may_complete = services.ORDER_LIFECYCLE.may("complete", current_user, order)
    return {
        "order": order, "events": events, "actors": actors, "reason_form": ReasonForm(),
        "can": {"edit": can.can_edit_order(current_user, order),
                **{step: services.ORDER_LIFECYCLE.may(step, current_user, order)
                   for step in ("submit", "approve", "decline", "accept", "cancel", "complete", "terminate")}},
        "created_by_self": order.created_by_id == current_user.id,
        # What still stands in the way of closeout, said on the page instead of behind the button.
        "open_for_completion": services.open_items(order) if may_complete else [],
        "panels": [panel(order) for panel in ORDER_PANELS],
    }


# --- what the irreversible steps do (their confirmation pages, marketplace.confirm) --------------


def _given_back(order: Order, amount: Decimal) -> list[str]:
    """The sentences for `amount` going back to the vehicle ceiling and the member's not-to-exceed."""
    vehicle = order.vehicle
    sentences = [f"{money(amount)} committed against vehicle {vehicle.number}'s ceiling is given back; "
                 f"{money(vehicle.remaining + amount)} will remain of its {money(vehicle.ceiling)}."]
    participation = (executed_participation(vehicle, order.member_id)
                     if order.member_id != vehicle.lead_agency_id else None)
    if participation is not None and participation.member_not_to_exceed is not None:
        sentences.append(f"{order.member.name}'s not-to-exceed under the vehicle gets it back too: "
                         f"{money(participation.remaining + amount)} will remain of "
                         f"{money(participation.member_not_to_exceed)}.")
    return sentences


def release_consequences(order: Order) -> list[str]:
    """What cancelling or declining `order` does to the money: its whole commitment goes back."""
    if order.committed <= 0:
        return [f"Nothing is committed against vehicle {order.vehicle.number}'s ceiling for this order yet, "
                "so no money moves."]
    return _given_back(order, order.committed)


def cancel_consequences(order: Order) -> list[str]:
    """Cancelling: the order never goes ahead, and its commitment is given back."""
    tail = ("The vendor can no longer accept it, and no purchase order is issued for it."
            if order.approved_at is None else "The purchase order issued for it no longer holds.")
    return [*release_consequences(order), tail]


def decline_consequences(order: Order) -> list[str]:
    """Declining: the order ends here (the member can draft a new one), and its commitment is given back."""
    return [*release_consequences(order), f"{order.member.name} can draft a new order if it still needs this."]


def complete_consequences(order: Order) -> list[str]:
    """Completing (closeout): the commitment is trimmed to what the order made payable; the rest goes back.
    Raises Conflict, as the step would, while something is still open."""
    items = services.open_items(order)
    if items:
        raise Conflict(f"Order {order.reference} cannot be completed yet. " + " ".join(items))
    keep = min(services.payable_value(order), order.committed)
    sentences = [f"The order stays committed at {money(keep)}: what it made payable.",
                 *_trimmed(order, keep, kept="was payable")]
    sentences.append("No more measurements can be reported, and no more periods are settled.")
    return sentences


def _trimmed(order: Order, keep: Decimal, *, kept: str) -> list[str]:
    """What trimming the commitment to `keep` gives back; `kept` says why the rest stays."""
    released = order.committed - keep
    if released > 0:
        return _given_back(order, released)
    return [f"Nothing goes back to vehicle {order.vehicle.number}'s ceiling: the whole "
            f"{money(order.committed)} committed {kept}."]


def terminate_consequences(order: Order) -> list[str]:
    """Terminating: the periods not started never run; those running are measured, settled and paid to the
    end; the commitment is trimmed to what can still become payable."""
    sentences = []
    last = order.last_period
    with db.session.no_autoflush:  # what the step would do, worked out on the order and then put back
        if order.performance:
            terms = parse_terms(order.performance)
            started = services.started_periods(order)
            start = services.period_start(order)
            if started < terms.periods:
                first_day = period_dates(start, terms, started + 1)[0]
                sentences.append(
                    f"Periods {started + 1} to {terms.periods} "
                    f"({period_span(first_day, period_dates(start, terms, terms.periods)[1])}) never run: "
                    "nothing is measured or paid for them.")
            if started:
                sentences.append(
                    f"Periods 1 to {started} (ending {day(period_dates(start, terms, started)[1])}) have started: "
                    "they are still measured, settled and paid, and the order can be completed once they are.")
            order.last_period = started
        try:
            keep = min(services.payable_value(order), order.committed)
        finally:
            order.last_period = last
    sentences.append(f"The order stays committed at {money(keep)}: its lines and what its terms can still pay.")
    return [*sentences, *_trimmed(order, keep, kept="can still become payable")]


def seen_by(order: Order) -> list[str]:
    """Who sees a decision on `order` (on its page, with the reason)."""
    people = f"{order.member.name}'s buyers and approvers"
    if order.approved_at is not None:
        people += f", {order.vendor.name}"
    return [f"{people} and the consortium office see the order's new status and your reason on its page."]


# --- the work queue (marketplace.queue) ------------------------------------------------------------


def order_title(order: Order) -> str:
    """"TO-000042 (PO TMP-2026-0042) — Tempe, $56,000.00": how the work queue names an order."""
    po = f" (PO {order.po_number})" if order.po_number else ""
    return f"{order.reference}{po} — {order.member.name}, {money(order.value)}"


@provider
def orders_waiting(user, consortium) -> list[QueueItem]:
    """Orders above the city's limit wait for its approver (never the author); approved orders wait for the
    vendor to accept them. One query, whatever the number of orders; who may act is the lifecycle's rule."""
    org = user.organization_id
    rows = db.session.scalars(
        select(Order).where(Order.consortium_id == consortium.id, Order.status.in_(("pending_approval", "approved")),
                            or_(Order.member_id == org, Order.vendor_id == org))
        .options(joinedload(Order.member))).all()
    items = []
    for order in rows:
        url = url_for("orders.order", consortium_slug=consortium.slug, order_id=order.id)
        if services.ORDER_LIFECYCLE.may("approve", user, order):
            items.append(QueueItem("approve_order", order_title(order), "Approve or decline the order", "order",
                                   order.id, url, order.submitted_at or order.created_at))
        elif services.ORDER_LIFECYCLE.may("accept", user, order):
            items.append(QueueItem("accept_order", order_title(order), "Accept or decline the order", "order",
                                   order.id, url, order.approved_at or order.created_at))
    return items


def reviewable_orders(user, listing) -> list[ReviewableOrder]:
    """The orders that entitle a member city to review a listing (the catalog's review port, wired in by the
    application factory): its active or completed orders that include the listing, through a line priced from
    one of the listing's price items or, for an order paid entirely by its performance terms (no lines),
    through the vendor's award on the vehicle covering the listing. Oldest first, one query; nobody else's
    (vendors and the office have none)."""
    if user.role not in ("buyer", "approver"):
        return []
    by_line = exists(select(OrderLine.id).join(PriceItem, PriceItem.id == OrderLine.price_item_id)
                     .where(OrderLine.order_id == Order.id, PriceItem.listing_id == listing.id))
    no_lines = ~exists(select(OrderLine.id).where(OrderLine.order_id == Order.id))
    by_award = exists(select(Award.id).join(award_listing, award_listing.c.award_id == Award.id)
                      .where(Award.vehicle_id == Order.vehicle_id, Award.vendor_id == Order.vendor_id,
                             award_listing.c.listing_id == listing.id))
    orders = db.session.scalars(
        select(Order).where(Order.member_id == user.organization_id, Order.status.in_(REVIEWABLE_ORDER_STATES),
                            Order.vendor_id == listing.vendor_id, by_line | (no_lines & by_award))
        .order_by(Order.id))
    return [ReviewableOrder(o.id, f"{o.reference}{f' (PO {o.po_number})' if o.po_number else ''}, "
                                  f"{STATUS_LABELS[o.status].lower()}") for o in orders]
