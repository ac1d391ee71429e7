"""Database integrity checks, reusable after any sweep of random input.

`integrity_problems()` reads every tenant (no scoping) through the current session and returns a list
of human-readable problems (empty when the database is consistent); `assert_integrity()` fails with
all of them. The invariants are those the product promises (DESIGN sections 4 and 9): ceilings and
participation limits equal the sum of the committed orders and are never overrun, nothing is
half-saved or orphaned, money that must be positive is, and every audit event names a real object.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from catalog.listings.models import Listing, ListingRevision, PriceItem
from catalog.pilots.models import Pilot
from catalog.reviews.models import Review
from consortium.models import ApiToken, Organization, Supplier, User
from consortium.planning.models import Need, PriorityRound
from contracts.finance import services as finance_services
from contracts.finance.models import Draw, FinancingInstrument, Fund
from contracts.invoices import services as invoice_services
from contracts.invoices.models import COUNTED_STATUSES, Invoice, InvoiceLine
from contracts.observations.models import Observation
from contracts.orders import services as order_services
from contracts.orders.models import COMMITTED_STATUSES, Order, OrderLine
from contracts.performance import TermsError, not_to_exceed, parse_terms
from contracts.reporting.models import SalesReport
from contracts.sourcing.models import Interest, Rfi, RfiResponse
from contracts.sourcing.rfqs.models import Quote, Rfq
from contracts.vehicles.models import Participation, ScheduleItem, Vehicle
from marketplace.audit import AuditEvent
from marketplace.documents.models import Document
from marketplace.extensions import db

ZERO = Decimal("0")
CENT = Decimal("0.01")

# What `AuditEvent.object_type` names, and the model it points at.
AUDITED = {
    "organization": Organization,
    "supplier": Supplier,
    "user": User,
    "api_token": ApiToken,
    "listing": Listing,
    "listing_revision": ListingRevision,
    "pilot": Pilot,
    "vehicle": Vehicle,
    "participation": Participation,
    "order": Order,
    "observation": Observation,
    "invoice": Invoice,
    "fund": Fund,
    "financing_instrument": FinancingInstrument,
    "need": Need,
    "priority_round": PriorityRound,
    "rfi": Rfi,
    "rfi_interest": Interest,
    "rfi_response": RfiResponse,
    "rfq": Rfq,
    "quote": Quote,
    "sales_report": SalesReport,
    "document": Document,
    "review": Review,
}


def _all(model) -> list:
    """Every row of `model`, whatever tenant the session is scoped to."""
    return list(db.session.scalars(select(model).execution_options(all_tenants=True).order_by(model.id)))


def _ids(model) -> set[int]:
    return set(db.session.scalars(select(model.id).execution_options(all_tenants=True)))


def _order_value(order: Order, lines: list[OrderLine]) -> Decimal | None:
    value = sum((line.total for line in lines), Decimal("0.00"))
    if order.performance:
        try:
            value += not_to_exceed(parse_terms(order.performance))
        except TermsError:
            return None
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _commitments(problems: list[str], vehicles: list[Vehicle], orders: list[Order],
                 participations: list[Participation]) -> None:
    by_vehicle: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_member: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for order in orders:
        by_vehicle[order.vehicle_id] += order.committed
        by_member[(order.vehicle_id, order.member_id)] += order.committed
    for vehicle in vehicles:
        label = f"vehicle {vehicle.id} ({vehicle.number})"
        if vehicle.ceiling is None or vehicle.ceiling <= 0:
            problems.append(f"{label}: ceiling {vehicle.ceiling} is not positive")
        if vehicle.committed != by_vehicle[vehicle.id]:
            problems.append(f"{label}: committed {vehicle.committed} != sum of its orders' commitments "
                            f"{by_vehicle[vehicle.id]}")
        if not ZERO <= vehicle.committed <= (vehicle.ceiling or ZERO):
            problems.append(f"{label}: committed {vehicle.committed} outside 0..ceiling {vehicle.ceiling}")
        if vehicle.end_date <= vehicle.start_date:
            problems.append(f"{label}: ends {vehicle.end_date} on or before it starts {vehicle.start_date}")
    vehicle_by_id = {v.id: v for v in vehicles}
    executed: dict[tuple[int, int], list[Participation]] = defaultdict(list)
    for p in participations:
        label = f"participation {p.id}"
        if p.vehicle_id not in vehicle_by_id:
            problems.append(f"{label}: vehicle {p.vehicle_id} does not exist")
            continue
        if p.status == "executed":
            executed[(p.vehicle_id, p.member_id)].append(p)
        elif p.committed != ZERO:
            problems.append(f"{label}: {p.status} but has {p.committed} committed")
        if p.committed < ZERO:
            problems.append(f"{label}: committed {p.committed} is negative")
        if p.member_not_to_exceed is not None and not p.member_not_to_exceed > ZERO:
            problems.append(f"{label}: member not-to-exceed {p.member_not_to_exceed} is not positive")
        if p.member_not_to_exceed is not None and p.committed > p.member_not_to_exceed:
            problems.append(f"{label}: committed {p.committed} above its limit {p.member_not_to_exceed}")
    for key, found in executed.items():
        if len(found) > 1:
            problems.append(f"vehicle {key[0]} member {key[1]}: {len(found)} executed participations")
        if found[0].committed != by_member[key]:
            problems.append(f"participation {found[0].id}: committed {found[0].committed} != sum of the member's "
                            f"orders' commitments under vehicle {key[0]} ({by_member[key]})")
    for (vehicle_id, member_id), amount in by_member.items():
        vehicle = vehicle_by_id.get(vehicle_id)
        if amount and vehicle is not None and member_id != vehicle.lead_agency_id \
                and (vehicle_id, member_id) not in executed:
            problems.append(f"member {member_id} has {amount} committed under vehicle {vehicle_id} "
                            "without an executed participation")


def _orders(problems: list[str], orders: list[Order], vehicle_ids: set[int]) -> None:
    lines_by_order: dict[int, list[OrderLine]] = defaultdict(list)
    schedule = {s.id: s for s in _all(ScheduleItem)}
    for line in _all(OrderLine):
        lines_by_order[line.order_id].append(line)
        label = f"order line {line.id}"
        if line.unit_price is None or line.unit_price <= 0:
            problems.append(f"{label}: unit price {line.unit_price} is not positive")
        if line.quantity is None or line.quantity <= 0:
            problems.append(f"{label}: quantity {line.quantity} is not positive")
        elif line.total != (line.quantity * line.unit_price).quantize(CENT, rounding=ROUND_HALF_UP):
            problems.append(f"{label}: total {line.total} != quantity × unit price")
        item = schedule.get(line.schedule_item_id)
        if item is None:
            problems.append(f"{label}: schedule item {line.schedule_item_id} does not exist")
        elif item.price_item_id != line.price_item_id:
            problems.append(f"{label}: price item {line.price_item_id} is not its schedule item's")
    order_by_id = {o.id: o for o in orders}
    for order_id in set(lines_by_order) - set(order_by_id):
        problems.append(f"order lines {[ln.id for ln in lines_by_order[order_id]]} belong to no order ({order_id})")
    for order in orders:
        label = f"order {order.id} ({order.status})"
        if order.vehicle_id not in vehicle_ids:
            problems.append(f"{label}: vehicle {order.vehicle_id} does not exist")
        for line in lines_by_order[order.id]:
            item = schedule.get(line.schedule_item_id)
            if item is not None and item.vehicle_id != order.vehicle_id:
                problems.append(f"{label}: line {line.id} is priced from another vehicle's schedule")
        if order.value is None or order.value < ZERO:
            problems.append(f"{label}: value {order.value} is negative")
        expected = _order_value(order, lines_by_order[order.id])
        if expected is None:
            problems.append(f"{label}: stored performance terms are not valid")
        elif order.value != expected:
            problems.append(f"{label}: value {order.value} != lines + not-to-exceed of its terms {expected}")
        _order_commitment(problems, label, order)
        if order.status in COMMITTED_STATUSES and order.submitted_at is None:
            problems.append(f"{label}: no submission time")
        if order.status in ("approved", "active", "completed", "terminated") and order.approved_at is None:
            problems.append(f"{label}: no approval time")
        if order.status in ("active", "completed", "terminated") and order.accepted_at is None:
            problems.append(f"{label}: no acceptance time")
        if (order.status in ("completed", "terminated")) != (order.closed_at is not None):
            problems.append(f"{label}: closed at {order.closed_at}")


def _order_commitment(problems: list[str], label: str, order: Order) -> None:
    """Open orders commit their whole value; closeout trims a completed order to exactly what it made
    payable, a terminated one to what its started periods can still pay (it only shrinks from there)."""
    if order.status == "completed":
        expected = min(order_services.payable_value(order), order.value)
        if order.committed != expected:
            problems.append(f"{label}: committed {order.committed}, expected what it made payable {expected}")
    elif order.status == "terminated":
        if not min(order_services.payable_value(order), order.value) <= order.committed <= order.value:
            problems.append(f"{label}: committed {order.committed} outside payable..value")
    else:
        committed = order.value if order.status in COMMITTED_STATUSES else ZERO
        if order.committed != committed:
            problems.append(f"{label}: committed {order.committed}, expected {committed}")


def _invoices(problems: list[str], orders: list[Order]) -> None:
    """Amounts are positive and add up; what is invoiced never exceeds a period's payable or a line's
    total; a paid invoice has a payment date no earlier than its own."""
    order_by_id = {o.id: o for o in orders}
    lines_of: dict[int, list[InvoiceLine]] = defaultdict(list)
    for line in _all(InvoiceLine):
        lines_of[line.invoice_id].append(line)
    per_period: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    per_line: dict[int, Decimal] = defaultdict(Decimal)
    revenue_billed: dict[tuple, Decimal] = defaultdict(Decimal)
    for invoice in _all(Invoice):
        label = f"invoice {invoice.id} ({invoice.status})"
        if invoice.order_id not in order_by_id:
            problems.append(f"{label}: order {invoice.order_id} does not exist")
            continue
        if invoice.amount is None or invoice.amount <= ZERO:
            problems.append(f"{label}: amount {invoice.amount} is not positive")
        if invoice.is_revenue_share:  # the city bills the vendor: at most what its revenue share makes due
            revenue_billed[(invoice.order_id, invoice.period, invoice.block)] += (
                invoice.amount if invoice.status in COUNTED_STATUSES else ZERO)
            if (invoice.status == "paid") != (invoice.paid_on is not None):
                problems.append(f"{label}: paid on {invoice.paid_on}, status {invoice.status}")
            continue
        if invoice.period is None and sum((ln.amount for ln in lines_of[invoice.id]), ZERO) != invoice.amount:
            problems.append(f"{label}: its lines do not add up to {invoice.amount}")
        if (invoice.status == "paid") != (invoice.paid_on is not None) or (
                invoice.paid_on is not None and invoice.paid_on < invoice.issued_on):
            problems.append(f"{label}: paid on {invoice.paid_on}, issued {invoice.issued_on}")
        if invoice.status in COUNTED_STATUSES:
            if invoice.period is not None:
                per_period[(invoice.order_id, invoice.period)] += invoice.amount
            for line in lines_of[invoice.id]:
                per_line[line.order_line_id] += line.amount
    for (order_id, period), amount in per_period.items():
        payable = invoice_services.period_payable(invoice_services.settlement_for(order_by_id[order_id]), period)
        if payable is None or amount > payable:
            problems.append(f"order {order_id} period {period}: invoiced {amount}, payable {payable}")
    for (order_id, period, block), amount in revenue_billed.items():
        rows = invoice_services.revenue_due(order_by_id[order_id])
        key = ("share", period) if period else ("true_up", block)
        due = next((r.amount for r in rows if (r.kind, r.number) == key), None)
        if amount and (due is None or amount > due):
            problems.append(f"order {order_id} revenue {period or f'block {block}'}: billed {amount}, due {due}")
    totals = {line.id: line.total for line in _all(OrderLine)}
    for line_id, amount in per_line.items():
        if amount > totals.get(line_id, ZERO):
            problems.append(f"order line {line_id}: invoiced {amount}, total {totals.get(line_id)}")


def _observations(problems: list[str], orders: list[Order]) -> None:
    order_by_id = {o.id: o for o in orders}
    for obs in _all(Observation):
        label = f"observation {obs.id}"
        order = order_by_id.get(obs.order_id)
        if order is None:
            problems.append(f"{label}: order {obs.order_id} does not exist")
            continue
        if not order.performance:
            problems.append(f"{label}: its order {order.id} has no performance terms")
            continue
        terms = parse_terms(order.performance)
        if obs.kpi not in terms.kpi_codes():
            problems.append(f"{label}: KPI {obs.kpi!r} is not one of its order's")
        if not 1 <= obs.period <= terms.periods:
            problems.append(f"{label}: period {obs.period} outside 1..{terms.periods}")
        if obs.status in ("verified", "disputed") and obs.decided_at is None:
            problems.append(f"{label}: {obs.status} without a decision time")


def _catalog(problems: list[str]) -> None:
    vendors = {o.id for o in _all(Organization) if o.kind == "vendor"}
    listings = _all(Listing)
    listing_ids = {x.id for x in listings}
    for listing in listings:
        if listing.vendor_id not in vendors:
            problems.append(f"listing {listing.id}: vendor {listing.vendor_id} is not a vendor organization")
        if not (listing.title or "").strip() or not (listing.summary or "").strip():
            problems.append(f"listing {listing.id}: no title or summary")
        if listing.status in ("published", "suspended", "withdrawn") and listing.published_at is None:
            problems.append(f"listing {listing.id}: {listing.status} but never published")
    for item in _all(PriceItem):
        if item.listing_id not in listing_ids:
            problems.append(f"price item {item.id}: listing {item.listing_id} does not exist")
        if item.list_price is None or item.list_price <= 0:
            problems.append(f"price item {item.id}: list price {item.list_price} is not positive")
    for item in _all(ScheduleItem):
        if item.contract_price is None or item.contract_price <= 0:
            problems.append(f"schedule item {item.id}: contract price {item.contract_price} is not positive")
    for pilot in _all(Pilot):
        if pilot.listing_id is not None and pilot.listing_id not in listing_ids:
            problems.append(f"pilot {pilot.id}: listing {pilot.listing_id} does not exist")
        if pilot.cost is not None and pilot.cost < ZERO:
            problems.append(f"pilot {pilot.id}: cost {pilot.cost} is negative")
        if not pilot.metrics:
            problems.append(f"pilot {pilot.id}: no metrics")
        if pilot.end_date < pilot.start_date:
            problems.append(f"pilot {pilot.id}: ends before it starts")
    for org in _all(Organization):
        if org.approval_limit is not None and org.approval_limit < ZERO:
            problems.append(f"organization {org.id}: approval limit {org.approval_limit} is negative")


def _funds(problems: list[str]) -> None:
    """A fund's balance is never negative; no draw is repaid beyond its amount; an order has one draw."""
    for fund in _all(Fund):
        state = finance_services.fund_state(fund)
        if state.balance < ZERO:
            problems.append(f"fund {fund.id}: balance {state.balance} is negative")
        for draw in state.draws:
            if draw.repaid > draw.draw.amount or draw.outstanding < ZERO:
                problems.append(f"fund {fund.id} draw {draw.draw.id}: repaid {draw.repaid} of {draw.draw.amount}")
    orders = [draw.order_id for draw in _all(Draw)]
    if len(orders) != len(set(orders)):
        problems.append("an order is financed by more than one draw")


def _rfqs(problems: list[str], orders: list[Order]) -> None:
    """A quote answers every line of its RFQ and adds up; its vendor is awarded on the vehicle; an awarded RFQ has
    its order, from the awarded vendor, and quotes of its own; an RFQ that was never closed has no award."""
    order_by_id = {o.id: o for o in orders}
    for rfq in _all(Rfq):
        label = f"rfq {rfq.id} ({rfq.status})"
        awarded = {a.vendor_id for a in rfq.vehicle.awards}
        for quote in rfq.quotes:
            if quote.vendor_id not in awarded:
                problems.append(f"{label}: quote {quote.id} from vendor {quote.vendor_id}, not awarded on the vehicle")
            if len(quote.lines) != len(rfq.lines) or sum((ln.total for ln in quote.lines), ZERO) != quote.total:
                problems.append(f"{label}: quote {quote.id} does not answer every line or add up to {quote.total}")
        if rfq.status == "awarded":
            order = order_by_id.get(rfq.order_id)
            if order is None or rfq.quote_of(rfq.awarded_vendor_id) is None or order.vendor_id != rfq.awarded_vendor_id:
                problems.append(f"{label}: award without its order or quote from the awarded vendor")
        elif rfq.order_id is not None or rfq.awarded_vendor_id is not None:
            problems.append(f"{label}: has an award")
        if rfq.status in ("closed", "awarded") and rfq.closed_at is None:
            problems.append(f"{label}: never closed")


def _audit(problems: list[str]) -> None:
    known = {name: _ids(model) for name, model in AUDITED.items()}
    users = known["user"]
    for event in _all(AuditEvent):
        label = f"audit event {event.id} ({event.action})"
        if event.object_type not in known:
            problems.append(f"{label}: unknown object type {event.object_type!r}")
        elif event.object_id not in known[event.object_type]:
            problems.append(f"{label}: {event.object_type} {event.object_id} does not exist")
        if event.actor_id is not None and event.actor_id not in users:
            problems.append(f"{label}: actor {event.actor_id} does not exist")


def integrity_problems() -> list[str]:
    """Every broken invariant of the database, as readable sentences (empty: all is well)."""
    db.session.expire_all()  # read what is stored, not what the session remembers
    problems: list[str] = []
    vehicles = _all(Vehicle)
    orders = _all(Order)
    _commitments(problems, vehicles, orders, _all(Participation))
    _orders(problems, orders, {v.id for v in vehicles})
    _observations(problems, orders)
    _invoices(problems, orders)
    _catalog(problems)
    _funds(problems)
    _rfqs(problems, orders)
    _audit(problems)
    return problems


def assert_integrity() -> None:
    problems = integrity_problems()
    assert not problems, "database integrity broken:\n  " + "\n  ".join(problems)
