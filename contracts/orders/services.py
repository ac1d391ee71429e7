"""Order operations: drafting from the price schedule, and the order lifecycle.

The lifecycle is the table below; `marketplace.transitions.run` executes every step (locked re-read, state
check, predicate, side effects, audit). Submitting commits the order's not-to-exceed value against the
vehicle ceiling and the member's participation limit with those rows locked too, so concurrent submissions
can never together overrun either; declining and cancelling give the commitment back, exactly once,
because the step that does it can only run from a committed state. Services take the acting user, flush,
and never commit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import inspect

from consortium.models import Organization, User
from contracts.orders import permissions as can
from contracts.orders.models import ORDER_STATUSES, STATUS_LABELS, Order, OrderLine
from contracts.orders.validation import clean_order_data, line_total
from contracts.performance import not_to_exceed, parse_terms, period_dates
from contracts.vehicles import models as vehicle_models
from contracts.vehicles import queries as vehicles
from contracts.vehicles.models import Participation, ScheduleItem, Vehicle
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.inputs import to_cents
from marketplace.transitions import Lifecycle, transition

# --- who may buy ---------------------------------------------------------------------------------


def check_can_buy(vehicle: Vehicle, member: Organization) -> None:
    """Raise unless `member` may order under `vehicle` today (DESIGN: the lead agency, or a member
    with an executed participating addendum, while the vehicle is in force)."""
    if not vehicles.is_in_force(vehicle):
        state = vehicles.effective_status(vehicle)
        reason = "its term has not started" if state == "active" else f"it is {state}"
        raise Conflict(f"No new orders can be placed under vehicle {vehicle.number}: {reason}.")
    if not vehicles.is_buyer_of(member.id, vehicle):
        raise PermissionDenied(
            f"{member.name} has not joined vehicle {vehicle.number}. Your approver can request a participating "
            "addendum on the vehicle's page."
        )


# --- value and commitment ------------------------------------------------------------------------


def order_value(order: Order) -> Decimal:
    """Not-to-exceed value: the lines plus the most the performance terms can ever pay."""
    value = sum((line.total for line in order.lines), Decimal("0.00"))
    if order.performance:
        value += not_to_exceed(parse_terms(order.performance))
    return to_cents(value)


def is_concession(order: Order) -> bool:
    """Terms with a revenue share: the vendor pays the city, so such an order may cost the city nothing (a
    concession) and still be submitted; it then commits nothing against the ceiling."""
    return bool(order.performance) and parse_terms(order.performance).revenue_share is not None


def _locked_participation(order: Order, vehicle: Vehicle) -> Participation | None:
    if order.member_id == vehicle.lead_agency_id:
        return None
    current = vehicles.executed_participation(vehicle, order.member_id)
    return transitions.lock(Participation, current.id) if current is not None else None


def _commit_value(order: Order, ctx) -> None:
    """Side effect of `submit`: commit the value against the vehicle ceiling and the participation limit,
    both rows locked (the order row is already locked by the kernel)."""
    check_can_buy(order.vehicle, order.member)
    order.value = order_value(order)
    if order.value <= 0 and not is_concession(order):
        raise ValidationFailed("The order has no value.", {"lines": "Add at least one line."})
    vehicle = transitions.lock(Vehicle, order.vehicle_id)
    participation = _locked_participation(order, vehicle)
    if order.member_id != vehicle.lead_agency_id and participation is None:
        raise Conflict("Your city's participation in this vehicle is no longer executed.")
    value = order.value
    if vehicle.committed + value > vehicle.ceiling:
        over = vehicle.committed + value - vehicle.ceiling
        raise Conflict(
            f"This order ({money(value)}) would exceed the ceiling of vehicle {vehicle.number} by {money(over)}: "
            f"{money(vehicle.remaining)} remains of {money(vehicle.ceiling)}.",
            {"value": f"Exceeds the vehicle ceiling by {money(over)}."},
        )
    limit = participation.member_not_to_exceed if participation is not None else None
    if limit is not None and participation.committed + value > limit:
        over = participation.committed + value - limit
        raise Conflict(
            f"This order ({money(value)}) would exceed {order.member.name}'s not-to-exceed under this vehicle "
            f"by {money(over)}: {money(participation.remaining)} remains of {money(limit)}.",
            {"value": f"Exceeds the participation limit by {money(over)}."},
        )
    vehicle.committed += value
    if participation is not None:
        participation.committed += value
    order.committed = value
    order.submitted_at = utcnow()


def _release(order: Order, ctx) -> None:
    """Side effect of `decline` and `cancel`: give the commitment back to the ceiling and the limit."""
    if order.committed <= 0:
        return
    vehicle = transitions.lock(Vehicle, order.vehicle_id)
    vehicle.committed -= order.committed
    participation = _locked_participation(order, vehicle)
    if participation is not None:
        participation.committed = max(participation.committed - order.committed, Decimal("0"))
    order.committed = Decimal("0")


def _keep_reason(order: Order, ctx) -> None:
    order.status_reason = ctx.reason


# --- closeout ------------------------------------------------------------------------------------
# What keeps an order open (undecided holdback windows, unsettled periods, undecided invoices) and what it
# can still cost are known above orders: the settlement in contracts.observations, invoices in
# contracts.invoices. Those register here when imported (the factory imports every domain), as the order
# page's panels do; orders never import them.

# Callables (order) -> list of sentences, each naming one thing still open ("Window 2 is pending: …").
CLOSEOUT_OPEN_ITEMS: list = []
# Callables (order) -> Decimal: what the order's performance terms have made payable, or can still make
# payable through its last period; absent for orders without terms.
PERFORMANCE_PAYABLE: list = []


def payable_value(order: Order) -> Decimal:
    """What the order has cost or can still cost: its lines plus what its terms made payable (every period
    settled) or can still pay through its last period. Closeout trims the commitment to this."""
    value = sum((line.total for line in order.lines), Decimal("0.00"))
    if order.performance:
        if not PERFORMANCE_PAYABLE:
            raise RuntimeError("No settlement is registered for closeout (contracts.invoices is not imported).")
        value += PERFORMANCE_PAYABLE[0](order)
    return to_cents(max(value, Decimal("0.00")))


def open_items(order: Order) -> list[str]:
    """Everything that keeps the order from being completed, as sentences (empty: it can be completed)."""
    return [item for check in CLOSEOUT_OPEN_ITEMS for item in check(order)]


def _require_nothing_open(order: Order, ctx) -> None:
    items = open_items(order)
    if items:
        raise Conflict(f"Order {order.reference} cannot be completed yet. " + " ".join(items))


def _end_unstarted_periods(order: Order, ctx) -> None:
    """Terminating ends the periods that have not started; those already running are still measured,
    settled and paid."""
    if order.performance:
        order.last_period = started_periods(order)


def _trim_commitment(order: Order, ctx) -> None:
    """Closeout: keep committed only what was (or can still be) payable; give the rest back to the vehicle
    ceiling and the participation limit, with both rows locked in the usual order."""
    keep = min(payable_value(order), order.committed)
    released = order.committed - keep
    inspect(order).info["released"] = released  # for the audit event (_closeout_after)
    if released > 0:
        vehicle = transitions.lock(Vehicle, order.vehicle_id)
        vehicle.committed -= released
        participation = _locked_participation(order, vehicle)
        if participation is not None:
            participation.committed = max(participation.committed - released, Decimal("0"))
        order.committed = keep
    order.closed_at, order.closed_by_id = utcnow(), ctx.actor.id


def started_periods(order: Order) -> int:
    """How many of the order's periods have started by today (the running one included)."""
    terms = parse_terms(order.performance)
    start = period_start(order)
    if start is None:
        return 0
    today = vehicle_models.today()
    return sum(1 for n in range(1, terms.periods + 1) if period_dates(start, terms, n)[0] <= today)


def period_start(order: Order):
    """The first day of period 1 (the terms' start date)."""
    raw = (order.performance or {}).get("start_date")
    return date.fromisoformat(raw) if raw else None


def _stamp_approved(order: Order, ctx) -> None:
    order.approved_at = order.submitted_at if ctx.before == "submitted" else utcnow()
    if ctx.before == "pending_approval":
        order.approved_by_id = ctx.actor.id


def _stamp_accepted(order: Order, ctx) -> None:
    order.accepted_at = utcnow()


def _why_not_approver(user, order: Order) -> str:
    if user.id == order.created_by_id:
        return "You cannot approve an order you created yourself."
    return "Only the member's approver can approve this order."


def _value_after(order: Order) -> dict:
    return {"value": str(order.value)}


def _closeout_after(order: Order) -> dict:
    return {"value": str(order.value), "committed": str(order.committed), "last_period": order.last_period,
            "released": str(inspect(order).info.pop("released", Decimal("0.00")))}


ORDER_LIFECYCLE = Lifecycle(
    model=Order, noun="order", states=ORDER_STATUSES, object_type="order", state_labels=STATUS_LABELS,
    transitions=(
        transition("submit", {"draft"}, "submitted", can.can_submit_order, "order.submitted", "submitted",
                   reason="none", effects=(_commit_value,), audit_after=_value_after,
                   denied="Only buyers and approvers of the member city place its orders."),
        # Taken at once after `submit`, for the same person: within the member's delegated approval limit
        # the order is approved; above it, it waits for the member's approver.
        transition("approve_within_limit", {"submitted"}, "approved", can.can_route_order, "order.approved",
                   "approved", effects=(_stamp_approved,)),
        transition("await_approval", {"submitted"}, "pending_approval", can.can_route_order,
                   "order.pending_approval", "sent for approval"),
        transition("approve", {"pending_approval"}, "approved", can.can_approve_order, "order.approved", "approved",
                   effects=(_stamp_approved,), denied=_why_not_approver),
        transition("decline", {"pending_approval", "approved"}, "declined", can.can_decline_order, "order.declined",
                   "declined", reason="required", effects=(_release, _keep_reason),
                   denied="Only the member's approver (not the order's author) declines a pending order, and only "
                          "the vendor an approved one."),
        transition("accept", {"approved"}, "active", can.can_accept_order, "order.accepted", "accepted",
                   effects=(_stamp_accepted,), denied="Only the vendor accepts an order."),
        transition("cancel", {"draft", "submitted", "pending_approval", "approved"}, "cancelled",
                   can.can_cancel_order, "order.cancelled", "cancelled", effects=(_release, _keep_reason),
                   denied="Only buyers and approvers of the member city cancel its orders."),
        transition("complete", {"active", "terminated"}, "completed", can.can_complete_order, "order.completed",
                   "completed", effects=(_require_nothing_open, _trim_commitment), audit_after=_closeout_after,
                   denied="Only buyers and approvers of the member city complete its orders."),
        transition("terminate", {"active"}, "terminated", can.can_terminate_order, "order.terminated",
                   "terminated", reason="required", reason_message="Say why the order is terminated.",
                   effects=(_keep_reason, _end_unstarted_periods, _trim_commitment), audit_after=_closeout_after,
                   denied="Only the member's approver or the consortium office terminates an order."),
    ),
)


# --- drafting ------------------------------------------------------------------------------------


def _apply(order: Order, clean: dict) -> None:
    order.po_number = clean["po_number"]
    order.notes = clean["notes"]
    order.delivery_start = clean["delivery_start"]
    order.delivery_end = clean["delivery_end"]
    order.performance = clean["terms"].to_dict() if clean["terms"] is not None else None
    order.pricing_model = clean["pricing_model"]
    order.lines.clear()
    db.session.flush()
    for position, line in enumerate(clean["lines"]):
        item: ScheduleItem = line["item"]
        order.lines.append(OrderLine(
            schedule_item_id=item.id, price_item_id=item.price_item_id, description=item.price_item.name,
            unit=item.price_item.unit, quantity=line["quantity"], unit_price=line["unit_price"],
            total=line_total(line["quantity"], line["unit_price"]), position=position,
        ))
    order.value = order_value(order)


def snapshot(order: Order) -> dict:
    return {
        "status": order.status, "value": str(order.value), "po_number": order.po_number,
        "pricing_model": order.pricing_model,
        "lines": [{"item": ln.description, "quantity": str(ln.quantity), "unit_price": str(ln.unit_price)}
                  for ln in order.lines],
        "performance": order.performance,
    }


def _record(order: Order, actor, action: str, *, before=None, after=None) -> None:
    audit.record(consortium_id=order.consortium_id, actor=actor, action=action, obj=order, object_type="order",
                 before=before, after=after)


def create_order(*, vehicle: Vehicle, data: dict, actor: User) -> Order:
    """A buyer drafts an order under a vehicle their city may buy under, from one of its awarded vendors
    (`vendor_id`, required when the vehicle awards several) at most at that vendor's contract prices."""
    if not can.can_order_under(actor, vehicle):
        raise PermissionDenied("Only buyers and approvers of the member city place its orders.")
    member = actor.organization
    check_can_buy(vehicle, member)
    clean = clean_order_data(data, vehicle)
    order = Order(consortium_id=vehicle.consortium_id, vehicle_id=vehicle.id, member_id=member.id,
                  vendor_id=clean["award"].vendor_id, created_by_id=actor.id, status="draft")
    order.vehicle = vehicle
    db.session.add(order)
    _apply(order, clean)
    db.session.flush()
    _record(order, actor, "order.created", after=snapshot(order))
    return order


def update_order(order: Order, data: dict, *, actor: User) -> Order:
    """Edit a draft. The row is locked first, so an edit cannot slip in after a concurrent submission
    committed the old value."""
    order = transitions.lock(Order, order.id)
    if order.status != "draft":
        raise Conflict(f"Only a draft order can be edited; this one is {STATUS_LABELS[order.status].lower()}.")
    if not can.can_edit_order(actor, order):
        raise PermissionDenied("Only buyers and approvers of the member city edit its draft orders.")
    before = snapshot(order)
    clean = clean_order_data(data, order.vehicle, vendor_id=order.vendor_id, pricing_model=order.pricing_model)
    _apply(order, clean)
    db.session.flush()
    _record(order, actor, "order.edited", before=before, after=snapshot(order))
    return order


# --- lifecycle -----------------------------------------------------------------------------------


def submit_order(order: Order, *, actor: User) -> Order:
    """Commit the value against the ceilings; approved at once within the member's approval limit,
    otherwise waiting for the member's approver."""
    order = transitions.run(ORDER_LIFECYCLE, order, "submit", actor=actor)
    limit = order.member.approval_limit or Decimal("0")
    # The reasons name the limit but not its amount: the timeline and the PO are also the vendor's, and a
    # city's delegated authority is internal (its own staff and the office see the amount on the order).
    if order.value <= limit:
        reason = f"Within {order.member.name}'s delegated approval limit."
        return transitions.run(ORDER_LIFECYCLE, order, "approve_within_limit", actor=actor, reason=reason)
    reason = f"Above {order.member.name}'s delegated approval limit: it waits for {order.member.name}'s approver."
    return transitions.run(ORDER_LIFECYCLE, order, "await_approval", actor=actor, reason=reason)


def approve_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    return transitions.run(ORDER_LIFECYCLE, order, "approve", actor=actor, reason=reason)


def decline_order(order: Order, *, actor: User, reason: str | None) -> Order:
    """The approver declines a pending order, or the vendor an approved one; the commitment is released."""
    return transitions.run(ORDER_LIFECYCLE, order, "decline", actor=actor, reason=reason)


def accept_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    return transitions.run(ORDER_LIFECYCLE, order, "accept", actor=actor, reason=reason)


def cancel_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    return transitions.run(ORDER_LIFECYCLE, order, "cancel", actor=actor, reason=reason)


def complete_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    """Close the order out: only when every holdback window is decided and every invoice decided; the
    commitment is trimmed to what was payable and the rest given back to the ceiling and the limit."""
    return transitions.run(ORDER_LIFECYCLE, order, "complete", actor=actor, reason=reason)


def terminate_order(order: Order, *, actor: User, reason: str | None) -> Order:
    """End the order early: the periods not yet started never run; the commitment is trimmed to what was
    payable or can still be paid for the periods already running."""
    return transitions.run(ORDER_LIFECYCLE, order, "terminate", actor=actor, reason=reason)
