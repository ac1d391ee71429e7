"""The dashboard's figures, for what the person may see (DESIGN sections 3, 5 and 7).

Every figure is a sum of what the ledgers store, never a rule recomputed here:

- **committed**: `Order.committed` of the orders in a committed state (submitted … terminated), which the
  orders' own services keep (a closeout trims it to what the order made payable); dated by the order's
  submission, in the consortium's time zone;
- **invoiced**: the vendors' invoices to the cities (`vendor_to_city`) that are submitted, approved or paid;
  **paid**: those that are paid; both dated by the invoice's `issued_on`;
- **ceiling use**: each vehicle's `ceiling` and `committed` as the vehicle stores them;
- **verified savings and holdbacks**: each order's settlement as its page shows it
  (`contracts.observations.services.settlement_for`), worked out for many orders at once; a shared-savings row
  counts when its period ended within the range, a holdback window when its last period did;
- **admin fees**: billed is the stored fee of every accepted sales report whose quarter shares a day with the
  range; paid, the fee payments recorded against them.

Who sees what follows each ledger's own visibility rule: orders (`contracts.orders.queries.visible_orders_stmt`:
the office the whole consortium, a member its own orders, a vendor its own once approved), vehicles' ceilings
(`can_see_commitments`) and sales reports (`contracts.reporting.queries.visible_reports_stmt`: the office and
the report's vendor). Tenancy is applied by `marketplace.tenancy`. A fixed number of SQL queries, whatever the
number of orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from catalog.listings.models import Listing, PriceItem
from consortium.models import Consortium, Organization
from consortium.queries import local_date
from contracts.invoices.models import COUNTED_STATUSES, VENDOR_TO_CITY, Invoice
from contracts.invoices.permissions import INVOICING_ORDER_STATES
from contracts.observations import services as observations
from contracts.observations.models import Observation
from contracts.observations.services import settlement_for
from contracts.orders.models import COMMITTED_STATUSES, Order, OrderLine
from contracts.orders.queries import visible_orders_stmt
from contracts.performance import Settlement
from contracts.reporting.dashboards.validation import Filters
from contracts.reporting.models import FeePayment, SalesReport
from contracts.reporting.permissions import can_list_sales_reports
from contracts.reporting.queries import visible_reports_stmt
from contracts.vehicles.models import Award, Vehicle, award_listing
from contracts.vehicles.permissions import can_see_commitments
from marketplace.categories import CATEGORIES
from marketplace.extensions import db

ZERO = Decimal("0.00")
# The dimension each grouping reads from an order.
_DIMENSION = {"member": "member_id", "vehicle": "vehicle_id", "vendor": "vendor_id"}


def quarter_of(day: date) -> str:
    """The calendar quarter of `day`, as sales reports name it: "2026Q3"."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_label(key: str) -> str:
    """"2026Q3" → "Q3 2026"."""
    return f"{key[4:]} {key[:4]}"


def default_group(user) -> str:
    """What the page groups by first: the office by member, a member by vehicle, a vendor by member (its
    customers)."""
    return "vehicle" if user.role in ("buyer", "approver") else "member"


@dataclass
class SpendRow:
    key: str
    label: str
    committed: Decimal = ZERO
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "label": self.label, "committed": f"{self.committed:.2f}",
                "invoiced": f"{self.invoiced:.2f}", "paid": f"{self.paid:.2f}"}


@dataclass
class Spend:
    group_by: str
    rows: list[SpendRow] = field(default_factory=list)
    totals: SpendRow = field(default_factory=lambda: SpendRow("", "Total"))


@dataclass(frozen=True)
class _OrderFacts:
    id: int
    member_id: int
    vehicle_id: int
    vendor_id: int
    status: str
    committed: Decimal
    submitted_on: date | None


def _visible_orders(user, consortium: Consortium) -> dict[int, _OrderFacts]:
    """The dimensions of every order the user may see that ever committed money (invoices only exist on
    such orders), in one query."""
    stmt = visible_orders_stmt(user).where(Order.status.in_(COMMITTED_STATUSES)).with_only_columns(
        Order.id, Order.member_id, Order.vehicle_id, Order.vendor_id, Order.status, Order.committed,
        Order.submitted_at)
    return {row.id: _OrderFacts(row.id, row.member_id, row.vehicle_id, row.vendor_id, row.status, row.committed,
                                local_date(consortium, row.submitted_at) if row.submitted_at else None)
            for row in db.session.execute(stmt)}


def _invoices(user, filters: Filters) -> list:
    """(order id, issued on, amount, status) of the vendors' invoices to the cities that count (not rejected),
    issued within the range, on orders the user may see."""
    visible_ids = visible_orders_stmt(user).where(Order.status.in_(COMMITTED_STATUSES)).with_only_columns(Order.id)
    stmt = select(Invoice.order_id, Invoice.issued_on, Invoice.amount, Invoice.status).where(
        Invoice.direction == VENDOR_TO_CITY, Invoice.status.in_(COUNTED_STATUSES), Invoice.order_id.in_(visible_ids))
    if filters.start is not None:
        stmt = stmt.where(Invoice.issued_on >= filters.start)
    if filters.end is not None:
        stmt = stmt.where(Invoice.issued_on <= filters.end)
    return list(db.session.execute(stmt))


def order_categories(order_ids: Iterable[int]) -> dict[int, str]:
    """Each order's category: that of the listing of its first line; an order without lines (paid by its
    terms only) takes the first listing, by title, that its vendor's award on the vehicle covers. Two
    queries."""
    ids = set(order_ids)
    if not ids:
        return {}
    categories: dict[int, str] = {}
    first_lines = select(OrderLine.order_id, Listing.category).join(
        PriceItem, PriceItem.id == OrderLine.price_item_id).join(Listing, Listing.id == PriceItem.listing_id).where(
        OrderLine.order_id.in_(ids)).order_by(OrderLine.order_id, OrderLine.position, OrderLine.id)
    for order_id, category in db.session.execute(first_lines):
        categories.setdefault(order_id, category)
    missing = ids - categories.keys()
    if missing:
        orders = db.session.execute(select(Order.id, Order.vehicle_id, Order.vendor_id).where(Order.id.in_(missing)))
        wanted = {row.id: (row.vehicle_id, row.vendor_id) for row in orders}
        award_first: dict[tuple[int, int], str] = {}
        awards = select(Award.vehicle_id, Award.vendor_id, Listing.category).join(
            award_listing, award_listing.c.award_id == Award.id).join(Listing, Listing.id == award_listing.c.listing_id
        ).where(Award.vehicle_id.in_({v for v, _ in wanted.values()})).order_by(Listing.title, Listing.id)
        for vehicle_id, vendor_id, category in db.session.execute(awards):
            award_first.setdefault((vehicle_id, vendor_id), category)
        for order_id, pair in wanted.items():
            if pair in award_first:
                categories[order_id] = award_first[pair]
    return categories


def _labels(group_by: str, keys: Iterable[str]) -> dict[str, str]:
    """The names shown for the groups' keys (one query for members, vendors or vehicles)."""
    keys = set(keys)
    if group_by == "quarter":
        return {k: quarter_label(k) for k in keys}
    if group_by == "category":
        return {k: CATEGORIES.get(k, "Uncategorised" if k == "" else k) for k in keys}
    ids = {int(k) for k in keys}
    if not ids:
        return {}
    if group_by == "vehicle":
        rows = db.session.execute(select(Vehicle.id, Vehicle.number, Vehicle.title).where(Vehicle.id.in_(ids)))
        return {str(r.id): f"{r.number} {r.title}" for r in rows}
    rows = db.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids)))
    return {str(r.id): r.name for r in rows}


def _key(order: _OrderFacts, group_by: str, categories: dict[int, str], day: date | None) -> str:
    if group_by == "quarter":
        return quarter_of(day) if day is not None else ""
    if group_by == "category":
        return categories.get(order.id, "")
    return str(getattr(order, _DIMENSION[group_by]))


def spend(user, consortium: Consortium, filters: Filters) -> Spend:
    """Committed, invoiced and paid, grouped by `filters.group_by`, within the date range."""
    orders = _visible_orders(user, consortium)
    invoices = _invoices(user, filters)
    group_by = filters.group_by
    categories = order_categories(orders) if group_by == "category" else {}
    sums: dict[str, SpendRow] = defaultdict(lambda: SpendRow("", ""))
    for order in orders.values():
        if order.committed and filters.includes(order.submitted_on):
            sums[_key(order, group_by, categories, order.submitted_on)].committed += order.committed
    for order_id, issued_on, amount, status in invoices:
        row = sums[_key(orders[order_id], group_by, categories, issued_on)]
        row.invoiced += amount
        if status == "paid":
            row.paid += amount
    labels = _labels(group_by, sums)
    result = Spend(group_by)
    for key, row in sums.items():
        row.key, row.label = key, labels.get(key, key)
        result.rows.append(row)
        result.totals.committed += row.committed
        result.totals.invoiced += row.invoiced
        result.totals.paid += row.paid
    ordered_by_key = group_by in ("quarter", "category")
    result.rows.sort(key=lambda r: (r.key,) if ordered_by_key else (r.label.casefold(), r.key))
    return result


# --- ceiling use -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CeilingRow:
    vehicle: Vehicle
    ceiling: Decimal
    committed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.ceiling - self.committed

    @property
    def used_pct(self) -> Decimal:
        """How much of the ceiling is committed, in % to one decimal (for reading, never summed)."""
        return (self.committed * 100 / self.ceiling).quantize(Decimal("0.1")) if self.ceiling else Decimal("0.0")


def ceiling_use(user) -> list[CeilingRow]:
    """Every vehicle (not a draft) whose ceiling the user may see: the office all, a member those it leads or
    participates in; a vendor none (the vehicles' permission rule, `can_see_commitments`). Two queries."""
    vehicles = db.session.scalars(select(Vehicle).where(Vehicle.status != "draft").options(
        selectinload(Vehicle.participations)).order_by(Vehicle.number))
    return [CeilingRow(v, v.ceiling, v.committed) for v in vehicles if can_see_commitments(user, v)]


# --- verified savings and holdbacks ----------------------------------------------------------------------


RELEASED, FORFEITED, PENDING = "released", "forfeited", "pending"


@dataclass
class SettlementRow:
    """One order's verified savings and holdbacks within the range (or the totals of all of them)."""

    order: Order | None
    savings: Decimal = ZERO     # shared savings verified (IPMVP), before the vendor's share
    city_net: Decimal = ZERO    # what of them stays with the city
    released: Decimal = ZERO    # holdbacks paid out at the end of a window that met its floors
    forfeited: Decimal = ZERO   # holdbacks kept by the city
    pending: Decimal = ZERO     # holdbacks of windows not yet decided

    def add(self, other: SettlementRow) -> None:
        for name in ("savings", "city_net", "released", "forfeited", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def is_empty(self) -> bool:
        return not (self.savings or self.city_net or self.released or self.forfeited or self.pending)


def _verified_values(order_ids) -> dict[int, dict[tuple[int, str], Decimal]]:
    rows = db.session.execute(select(Observation.order_id, Observation.period, Observation.kpi, Observation.value)
                              .where(Observation.status == "verified", Observation.order_id.in_(order_ids)))
    values: dict[int, dict[tuple[int, str], Decimal]] = defaultdict(dict)
    for order_id, period, kpi, value in rows:
        values[order_id][(period, kpi)] = value
    return values


def order_row(order: Order, settlement: Settlement, filters: Filters) -> SettlementRow:
    """One order's figures within the range."""
    row = SettlementRow(order)
    for saving in settlement.savings:
        if filters.includes(settlement.period(saving.period).end_date):
            row.savings += saving.result.savings
            row.city_net += saving.result.city_net
    for window in settlement.windows:
        if filters.includes(settlement.period(max(window.periods)).end_date):
            name = window.status if window.status in (RELEASED, FORFEITED) else PENDING
            setattr(row, name, getattr(row, name) + window.holdback)
    return row


def settlements(user, consortium: Consortium, filters: Filters) -> tuple[list[SettlementRow], SettlementRow]:
    """The orders with performance terms the user may see (once accepted), each with its figures, and the
    totals. Orders with nothing to show in the range are left out of the rows."""
    visible_ids = visible_orders_stmt(user).where(Order.status.in_(INVOICING_ORDER_STATES)).with_only_columns(
        Order.id)
    orders = [o for o in db.session.scalars(
        visible_orders_stmt(user).where(Order.status.in_(INVOICING_ORDER_STATES))
        .options(joinedload(Order.member), joinedload(Order.vendor)).order_by(Order.id)) if o.performance]
    values = _verified_values(visible_ids) if orders else {}
    today = local_date(consortium, observations.now())  # the observations' clock, which tests move
    rows, totals = [], SettlementRow(None)
    for order in orders:
        settlement = settlement_for(order, values.get(order.id, {}), today)
        if settlement is None:
            continue
        row = order_row(order, settlement, filters)
        totals.add(row)
        if not row.is_empty:
            rows.append(row)
    return rows, totals


# --- admin fees ----------------------------------------------------------------------------------------------


def quarter_span(quarter: str) -> tuple[date, date]:
    """The first and last day of a quarter such as "2026Q3"."""
    year, number = int(quarter[:4]), int(quarter[5])
    first = date(year, 3 * number - 2, 1)
    last = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


@dataclass
class FeeRow:
    key: str
    label: str
    billed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.billed - self.paid


@dataclass
class Fees:
    rows: list[FeeRow] = field(default_factory=list)  # by vendor (office) or by quarter (a vendor)
    totals: FeeRow = field(default_factory=lambda: FeeRow("", "Total"))
    late: list[SalesReport] = field(default_factory=list)      # not filed after the due date
    overdue: list[SalesReport] = field(default_factory=list)   # accepted, fee unpaid after its due date
    by: str = "vendor"


def _reports_stmt(user, consortium: Consortium):
    """The reports the user may list (the sales reports' own rule), with what the dashboard names."""
    return visible_reports_stmt(user, consortium).options(
        joinedload(SalesReport.vendor), joinedload(SalesReport.vehicle)).order_by(SalesReport.quarter, SalesReport.id)


def fees(user, consortium: Consortium, filters: Filters) -> Fees | None:
    """The admin fees the user may see (None for members). Two queries."""
    if not can_list_sales_reports(user, consortium):
        return None
    reports = list(db.session.scalars(_reports_stmt(user, consortium)))
    ids = [r.id for r in reports if r.status == "accepted"]
    paid = dict(db.session.execute(select(FeePayment.report_id, func.sum(FeePayment.amount))
                                   .where(FeePayment.report_id.in_(ids)).group_by(FeePayment.report_id)).all()
                ) if ids else {}
    result = Fees(by="quarter" if user.role == "vendor" else "vendor")
    groups: dict[str, FeeRow] = defaultdict(lambda: FeeRow("", ""))
    today = local_date(consortium)
    for report in reports:
        if report.is_late(today):
            result.late.append(report)
        if report.is_fee_overdue(today):
            result.overdue.append(report)
        if report.status != "accepted" or not filters.overlaps(*quarter_span(report.quarter)):
            continue
        if result.by == "quarter":
            row = groups[report.quarter]
            row.key, row.label = report.quarter, quarter_label(report.quarter)
        else:
            row = groups[str(report.vendor_id)]
            row.key, row.label = str(report.vendor_id), report.vendor.name
        amount_paid = Decimal(paid.get(report.id) or 0).quantize(Decimal("0.01"))
        row.billed += report.fee
        row.paid += amount_paid
        result.totals.billed += report.fee
        result.totals.paid += amount_paid
    result.rows = sorted(groups.values(), key=lambda r: r.key if result.by == "quarter" else r.label.casefold())
    return result
