"""Order operations: drafting from the price schedule, submission against ceilings, delegated-authority
approval, vendor acceptance, cancellation. Services take the acting user, flush, audit, never commit.

Submitting commits the order's not-to-exceed value against the vehicle ceiling and the member's
participation limit in one transaction, with the rows locked (see `marketplace.locking`), so
concurrent submissions can never together overrun either.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select

from consortium.models import Organization, User
from contracts.orders.models import COMMITTED_STATUSES, Order, OrderLine
from contracts.performance.settlement import TermsError, not_to_exceed, parse_terms
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Participation, ScheduleItem, Vehicle
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import CONTROL_CHARS as _CONTROL
from marketplace.inputs import decision_reason, parse_date, to_cents

MAX_LINES = 100
MAX_QUANTITY = Decimal("10000000")
# The most one line may total: larger amounts would overflow the money columns (integer cents), and no
# vehicle ceiling comes near it anyway.
MAX_LINE_TOTAL = Decimal("999999999999.99")


# --- who may buy ---------------------------------------------------------------------------------


def executed_participation(vehicle: Vehicle, member_id: int) -> Participation | None:
    return db.session.scalar(
        select(Participation).where(
            Participation.vehicle_id == vehicle.id, Participation.member_id == member_id,
            Participation.status == "executed",
        )
    )


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


# --- input ---------------------------------------------------------------------------------------


def _decimal(raw, path: str, fields: dict, *, what: str, places: int) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        fields[path] = f"Enter the {what} as a number in a string, such as \"12\"."
        return None
    text = str(raw).strip().replace(",", "")
    if not re.fullmatch(r"-?\d{1,12}(\.\d+)?", text):
        fields[path] = f"Enter the {what} as a number, such as 12 or 12.50."
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        fields[path] = f"Enter the {what} as a number."
        return None
    if value <= 0:
        fields[path] = f"The {what} must be more than zero."
        return None
    if -value.as_tuple().exponent > places:
        fields[path] = (f"Use at most {places} decimals for the {what} (fractions of a cent are not allowed)."
                        if what == "unit price" else f"Use at most {places} decimals for the {what}.")
        return None
    return value


def _text(data: dict, name: str, fields: dict, limit: int) -> str:
    raw = data.get(name) or ""
    if not isinstance(raw, str):
        fields[name] = "Must be text."
        return ""
    value = _CONTROL.sub("", raw).strip()
    if len(value) > limit:
        fields[name] = f"Use at most {limit} characters."
    return value


def clean_order_data(data: dict, vehicle: Vehicle) -> dict:
    """Validate an order body against the vehicle's price schedule; raises ValidationFailed."""
    fields: dict[str, str] = {}
    schedule = {s.price_item_id: s for s in vehicle.schedule}
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list):
        fields["lines"] = "Must be a list of lines."
        raw_lines = []
    if len(raw_lines) > MAX_LINES:
        fields["lines"] = f"Use at most {MAX_LINES} lines."
        raw_lines = []
    lines, seen = [], set()
    for i, raw in enumerate(raw_lines):
        path = f"lines.{i}"
        if not isinstance(raw, dict):
            fields[path] = "Each line needs price_item_id, quantity and unit_price."
            continue
        item_id = raw.get("price_item_id")
        item = schedule.get(item_id) if isinstance(item_id, int) and not isinstance(item_id, bool) else None
        if item is None:
            fields[f"{path}.price_item_id"] = f"This item is not on the price schedule of vehicle {vehicle.number}."
            continue
        if item_id in seen:
            fields[f"{path}.price_item_id"] = "This item is already on another line; change that line's quantity."
            continue
        seen.add(item_id)
        quantity = _decimal(raw.get("quantity"), f"{path}.quantity", fields, what="quantity", places=2)
        if quantity is not None and quantity > MAX_QUANTITY:
            fields[f"{path}.quantity"] = "The quantity is too large."
        unit_price = item.contract_price
        if raw.get("unit_price") not in (None, ""):
            unit_price = _decimal(raw.get("unit_price"), f"{path}.unit_price", fields, what="unit price", places=2)
            if unit_price is not None and unit_price > item.contract_price:
                fields[f"{path}.unit_price"] = (
                    f"{unit_price} is above the contract price {item.contract_price} "
                    f"(by {unit_price - item.contract_price})."
                )
        if quantity is not None and unit_price is not None and quantity * unit_price > MAX_LINE_TOTAL:
            fields[f"{path}.quantity"] = f"This line would total more than {MAX_LINE_TOTAL:,.2f}; order less."
        lines.append({"item": item, "quantity": quantity, "unit_price": unit_price})
    terms = None
    performance = data.get("performance")
    if performance not in (None, {}):
        if not isinstance(performance, dict):
            fields["performance"] = "Must be an object with the performance terms."
        else:
            try:
                terms = parse_terms(performance)
            except TermsError as err:
                fields.update({f"performance.{k}": v for k, v in err.fields.items()})
    if not lines and performance in (None, {}) and not any(k.startswith("lines.") for k in fields):
        fields.setdefault("lines", "Add at least one line from the price schedule, or performance terms.")
    clean = {
        "po_number": _text(data, "po_number", fields, 60),
        "notes": _text(data, "notes", fields, 5000),
        "delivery_start": parse_date(data.get("delivery_start"), "delivery_start", fields, required=False),
        "delivery_end": parse_date(data.get("delivery_end"), "delivery_end", fields, required=False),
        "lines": lines,
        "terms": terms,
    }
    if clean["delivery_start"] and clean["delivery_end"] and clean["delivery_end"] < clean["delivery_start"]:
        fields["delivery_end"] = "The end of the period of performance must not be before its start."
    if fields:
        raise ValidationFailed("The order has problems to correct.", fields)
    return clean


def _line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def order_value(order: Order) -> Decimal:
    """Not-to-exceed value: the lines plus the most the performance terms can ever pay."""
    value = sum((line.total for line in order.lines), Decimal("0.00"))
    if order.performance:
        value += not_to_exceed(parse_terms(order.performance))
    return to_cents(value)


def _apply(order: Order, clean: dict) -> None:
    order.po_number = clean["po_number"]
    order.notes = clean["notes"]
    order.delivery_start = clean["delivery_start"]
    order.delivery_end = clean["delivery_end"]
    order.performance = clean["terms"].to_dict() if clean["terms"] is not None else None
    order.lines.clear()
    db.session.flush()
    for position, line in enumerate(clean["lines"]):
        item: ScheduleItem = line["item"]
        order.lines.append(OrderLine(
            schedule_item_id=item.id, price_item_id=item.price_item_id, description=item.price_item.name,
            unit=item.price_item.unit, quantity=line["quantity"], unit_price=line["unit_price"],
            total=_line_total(line["quantity"], line["unit_price"]), position=position,
        ))
    order.value = order_value(order)


def snapshot(order: Order) -> dict:
    return {
        "status": order.status, "value": str(order.value), "po_number": order.po_number,
        "lines": [{"item": ln.description, "quantity": str(ln.quantity), "unit_price": str(ln.unit_price)}
                  for ln in order.lines],
        "performance": order.performance,
    }


def _record(order: Order, actor, action: str, *, before=None, after=None, reason=None) -> None:
    audit.record(consortium_id=order.consortium_id, actor=actor, action=action, obj=order, object_type="order",
                 before=before, after=after, reason=reason)


def _member_staff(actor: User, member: Organization) -> None:
    if actor.role not in ("buyer", "approver") or actor.organization_id != member.id:
        raise PermissionDenied("Only buyers and approvers of the member city place its orders.")


# --- lifecycle -----------------------------------------------------------------------------------


def create_order(*, vehicle: Vehicle, data: dict, actor: User) -> Order:
    """A buyer drafts an order under a vehicle their city may buy under."""
    member = actor.organization
    _member_staff(actor, member)
    check_can_buy(vehicle, member)
    clean = clean_order_data(data, vehicle)
    order = Order(consortium_id=vehicle.consortium_id, vehicle_id=vehicle.id, member_id=member.id,
                  vendor_id=vehicle.vendor_id, created_by_id=actor.id, status="draft")
    order.vehicle = vehicle
    db.session.add(order)
    _apply(order, clean)
    db.session.flush()
    _record(order, actor, "order.created", after=snapshot(order))
    return order


def update_order(order: Order, data: dict, *, actor: User) -> Order:
    if order.status != "draft":
        raise Conflict("Only a draft order can be edited.")
    _member_staff(actor, order.member)
    before = snapshot(order)
    clean = clean_order_data(data, order.vehicle)
    _apply(order, clean)
    db.session.flush()
    _record(order, actor, "order.edited", before=before, after=snapshot(order))
    return order


def _locked(model, object_id):
    """Re-read a row with a lock (FOR UPDATE on PostgreSQL) and fresh values."""
    stmt = select(model).where(model.id == object_id).with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def _commit_value(order: Order) -> None:
    vehicle = _locked(Vehicle, order.vehicle_id)
    participation = None
    if order.member_id != vehicle.lead_agency_id:
        current = executed_participation(vehicle, order.member_id)
        participation = _locked(Participation, current.id) if current else None
        if participation is None:
            raise Conflict("Your city's participation in this vehicle is no longer executed.")
    value = order.value
    if vehicle.committed + value > vehicle.ceiling:
        over = vehicle.committed + value - vehicle.ceiling
        raise Conflict(
            f"This order ({value:,.2f}) would exceed the ceiling of vehicle {vehicle.number} by {over:,.2f}: "
            f"{vehicle.remaining:,.2f} remains of {vehicle.ceiling:,.2f}.",
            {"value": f"Exceeds the vehicle ceiling by {over:,.2f}."},
        )
    limit = participation.member_not_to_exceed if participation is not None else None
    if limit is not None and participation.committed + value > limit:
        over = participation.committed + value - limit
        raise Conflict(
            f"This order ({value:,.2f}) would exceed {order.member.name}'s not-to-exceed under this vehicle "
            f"by {over:,.2f}: {participation.remaining:,.2f} remains of {limit:,.2f}.",
            {"value": f"Exceeds the participation limit by {over:,.2f}."},
        )
    vehicle.committed += value
    if participation is not None:
        participation.committed += value
    order.committed = value


def _release(order: Order) -> None:
    if order.committed <= 0:
        return
    vehicle = _locked(Vehicle, order.vehicle_id)
    vehicle.committed -= order.committed
    if order.member_id != vehicle.lead_agency_id:
        current = executed_participation(vehicle, order.member_id)
        if current is not None:
            participation = _locked(Participation, current.id)
            participation.committed = max(participation.committed - order.committed, Decimal("0"))
    order.committed = Decimal("0")


def submit_order(order: Order, *, actor: User) -> Order:
    """Commit the value against the ceilings; approved at once within the member's approval limit,
    otherwise waiting for the member's approver."""
    if order.status != "draft":
        raise Conflict(f"This order is already {order.status.replace('_', ' ')}.")
    _member_staff(actor, order.member)
    check_can_buy(order.vehicle, order.member)
    order.value = order_value(order)
    if order.value <= 0:
        raise ValidationFailed("The order has no value.", {"lines": "Add at least one line."})
    _commit_value(order)
    order.submitted_at = utcnow()
    limit = order.member.approval_limit or Decimal("0")
    _record(order, actor, "order.submitted", before={"status": "draft"}, after={"status": "submitted",
            "value": str(order.value)})
    if order.value <= limit:
        order.status = "approved"
        order.approved_at = order.submitted_at
        _record(order, actor, "order.approved", before={"status": "submitted"}, after={"status": "approved"},
                reason=f"Within {order.member.name}'s delegated approval limit of {limit:,.2f}.")
    else:
        order.status = "pending_approval"
        _record(order, actor, "order.pending_approval", before={"status": "submitted"},
                after={"status": "pending_approval"},
                reason=f"Above {order.member.name}'s delegated approval limit of {limit:,.2f}.")
    db.session.flush()
    return order


def approve_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    if order.status != "pending_approval":
        raise Conflict(f"Only an order pending approval can be approved (this one is {order.status}).")
    if actor.role != "approver" or actor.organization_id != order.member_id:
        raise PermissionDenied("Only the member's approver can approve this order.")
    if actor.id == order.created_by_id:
        raise PermissionDenied("You cannot approve an order you created yourself.")
    reason = decision_reason(reason, required=False)
    order.status = "approved"
    order.approved_at = utcnow()
    order.approved_by_id = actor.id
    db.session.flush()
    _record(order, actor, "order.approved", before={"status": "pending_approval"}, after={"status": "approved"},
            reason=reason)
    return order


def decline_order(order: Order, *, actor: User, reason: str | None) -> Order:
    """The approver declines a pending order, or the vendor declines an approved one; the
    commitment is released either way."""
    reason = decision_reason(reason, required=True)
    if order.status == "pending_approval":
        if actor.role != "approver" or actor.organization_id != order.member_id or actor.id == order.created_by_id:
            raise PermissionDenied("Only the member's approver (not the order's author) can decline it.")
    elif order.status == "approved":
        if actor.role != "vendor" or actor.organization_id != order.vendor_id:
            raise PermissionDenied("Only the vendor can decline an approved order.")
    else:
        raise Conflict(f"An order that is {order.status.replace('_', ' ')} cannot be declined.")
    before = order.status
    _release(order)
    order.status = "declined"
    order.status_reason = reason
    db.session.flush()
    _record(order, actor, "order.declined", before={"status": before}, after={"status": "declined"}, reason=reason)
    return order


def accept_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    if order.status != "approved":
        raise Conflict(f"Only an approved order can be accepted (this one is {order.status.replace('_', ' ')}).")
    if actor.role != "vendor" or actor.organization_id != order.vendor_id:
        raise PermissionDenied("Only the vendor accepts an order.")
    order.status = "active"
    order.accepted_at = utcnow()
    db.session.flush()
    _record(order, actor, "order.accepted", before={"status": "approved"}, after={"status": "active"},
            reason=decision_reason(reason, required=False))
    return order


def cancel_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    if order.status not in ("draft", "submitted", "pending_approval", "approved"):
        raise Conflict(f"An order that is {order.status.replace('_', ' ')} cannot be cancelled.")
    _member_staff(actor, order.member)
    before = order.status
    _release(order)
    order.status = "cancelled"
    order.status_reason = decision_reason(reason, required=False)
    db.session.flush()
    _record(order, actor, "order.cancelled", before={"status": before}, after={"status": "cancelled"},
            reason=order.status_reason)
    return order


def complete_order(order: Order, *, actor: User, reason: str | None = None) -> Order:
    if order.status != "active":
        raise Conflict("Only an active order can be completed.")
    _member_staff(actor, order.member)
    order.status = "completed"
    db.session.flush()
    _record(order, actor, "order.completed", before={"status": "active"}, after={"status": "completed"},
            reason=decision_reason(reason, required=False))
    return order


def is_committed(order: Order) -> bool:
    return order.status in COMMITTED_STATUSES
