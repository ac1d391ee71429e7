"""Loading observations for pages and the API alike: visible only to those who may see their order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask import url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from consortium.models import Consortium, Organization
from consortium.queries import local_date
from contracts.observations import services
from contracts.observations.models import Observation
from contracts.observations.permissions import REPORTING_ORDER_STATES, can_report_observation
from contracts.orders.models import ORDER_STATUSES, STATUS_LABELS, Order
from contracts.orders.queries import get_order_or_404, order_title
from contracts.performance.amounts import plain
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.formats import money, period_span
from marketplace.queue import QueueItem, provider
from marketplace.templating import local_zone, number
from marketplace.tenancy import get_or_404


def get_observation_or_404(observation_id: int) -> Observation:
    """The observation, for someone who may see its order (401 for nobody signed in, 404 otherwise)."""
    observation = get_or_404(Observation, observation_id)
    get_order_or_404(observation.order_id)
    return observation


def dispute_consequences(observation: Observation) -> list[str]:
    """What disputing a reported value does: it never counts for payment, and its period waits for a
    corrected value the city verifies (what that period can pay is held until then)."""
    order = observation.order
    terms = services.order_terms(order)
    kpi = next((k for k in terms.kpis if k.code == observation.kpi), None) if terms is not None else None
    what = f"{kpi.name} ({kpi.unit})" if kpi is not None else observation.kpi
    dates = services.order_period_dates(order, terms, observation.period) if terms is not None else None
    period = f"period {observation.period}" + (f" ({period_span(*dates)})" if dates else "")
    sentences = [f"The value {number(observation.value)} of {what} reported for {period} does not count for "
                 f"payment; {order.vendor.name} can correct it, and the corrected value waits for verification."]
    if terms is not None:
        most = terms.fixed_fee + terms.at_risk_fee + terms.bonus_pool
        sentences.append(f"Until a corrected value is verified, {period} is not settled: nothing of the up to "
                         f"{money(most)} it can pay (fixed fee {money(terms.fixed_fee)}, at-risk fee "
                         f"{money(terms.at_risk_fee)}) is paid for it, and its holdback window stays pending.")
    return sentences


# --- the work queue (marketplace.queue) ------------------------------------------------------------


def _order_url(consortium, order_id: int) -> str:
    return url_for("orders.order", consortium_slug=consortium.slug, order_id=order_id, _anchor="performance")


def _measurement_title(obs: Observation) -> str:
    """"Period 3 (Sep 2026): Lighting availability 94.6 — TO-000042 (PO …) — Mesa, $…"."""
    terms = services.order_terms(obs.order)
    kpi = next((k for k in terms.kpis if k.code == obs.kpi), None) if terms is not None else None
    period = (services.period_label(terms, obs.period) if terms is not None and obs.period <= terms.periods
              else f"Period {obs.period}")
    return f"{period}: {kpi.name if kpi else obs.kpi} {number(obs.value)} — {order_title(obs.order)}"


@provider
def measurements_waiting(user, consortium) -> list[QueueItem]:
    """Reported values wait for the buying city to verify or dispute them; disputed ones for the vendor to
    correct. One query, whatever the number of values; who may act is the lifecycle's rule."""
    org = user.organization_id
    rows = db.session.scalars(
        select(Observation).join(Observation.order)
        .where(Observation.consortium_id == consortium.id, Observation.status.in_(("reported", "disputed")),
               or_(Order.member_id == org, Order.vendor_id == org))
        .options(contains_eager(Observation.order).joinedload(Order.member))).all()
    items = []
    for obs in rows:
        what = _measurement_title(obs)
        url = _order_url(consortium, obs.order_id)
        if services.OBSERVATION_LIFECYCLE.may("verify", user, obs):
            items.append(QueueItem("verify_measurement", what, "Verify or dispute the measurement", "observation",
                                   obs.id, url, obs.updated_at or obs.created_at))
        elif services.OBSERVATION_LIFECYCLE.may("correct", user, obs):
            items.append(QueueItem("correct_measurement", what, "Correct the disputed measurement", "observation",
                                   obs.id, url, obs.decided_at or obs.updated_at or obs.created_at))
    return items


@provider
def periods_to_report(user, consortium) -> list[QueueItem]:
    """Periods that have ended (in the consortium's time zone) without a value for every KPI wait for the
    order's vendor, from the day they can be reported, due within 15 days of the period's end. Two
    queries, whatever the number of orders."""
    if user.role != "vendor":
        return []
    mine = (Order.consortium_id == consortium.id, Order.vendor_id == user.organization_id,
            Order.status.in_(REPORTING_ORDER_STATES))
    orders = [o for o in db.session.scalars(select(Order).where(*mine).options(joinedload(Order.member)))
              if o.performance and can_report_observation(user, o)]
    if not orders:
        return []
    reported: dict[tuple[int, int], set[str]] = {}
    for order_id, period, kpi in db.session.execute(
            select(Observation.order_id, Observation.period, Observation.kpi).join(Observation.order).where(*mine)):
        reported.setdefault((order_id, period), set()).add(kpi)
    zone = local_zone(consortium.time_zone)
    today = local_date(consortium, services.now())
    items = []
    for order in orders:
        terms = services.order_terms(order)
        codes = terms.kpi_codes()
        for period in range(1, services.order_elapsed_periods(order, terms, today) + 1):
            if codes <= reported.get((order.id, period), set()):
                continue
            since = services.reportable_from(terms, period)
            items.append(QueueItem(
                "report_period", f"{services.period_label(terms, period)} of {order_title(order)}",
                "Report the period's measurements", "order", order.id, _order_url(consortium, order.id),
                datetime.combine(since, time(), zone), services.report_due(terms, period)))
    return items


# The vendor performance record (DESIGN section 4).
#
# The vendor performance record (DESIGN section 4): computed from the vendor's orders, their settlements and
# observations, never typed in. One consortium, one vendor, four queries whatever the number of orders.
#
# - orders: the orders placed with the vendor (approved, so the vendor sees them), counted by status;
# - settled periods, their average performance factor (unrounded), and holdback windows released, forfeited and
#   pending: from each order's settlement, computed exactly as the order page computes it
#   (`services.order_terms`, `contracts.performance.settle` over the verified values, through the periods that
#   have ended or have a verified value);
# - disputed observations: observations the buying city ever disputed (a corrected value stays counted);
# - reported on time: the share of observations first reported within 15 days of their period's end (in the
#   consortium's time zone).

ON_TIME_DAYS = 15  # an observation counts as on time when reported within this many days of its period's end


@dataclass(frozen=True)
class PerformanceRecord:
    vendor_id: int
    vendor_name: str
    orders: dict[str, int] = field(default_factory=dict)  # status → count (statuses with none left out)
    settled_periods: int = 0
    pf_total: Decimal = Decimal(0)
    windows_released: int = 0
    windows_forfeited: int = 0
    windows_pending: int = 0
    observations: int = 0
    disputed: int = 0
    on_time: int = 0

    @property
    def orders_total(self) -> int:
        return sum(self.orders.values())

    @property
    def order_counts(self) -> list[tuple[str, int]]:
        """(status label, count) in lifecycle order, for pages."""
        return [(STATUS_LABELS[s], self.orders[s]) for s in ORDER_STATUSES if self.orders.get(s)]

    @property
    def average_pf(self) -> Decimal | None:
        """The average performance factor over every settled period (unrounded); None before the first."""
        return self.pf_total / self.settled_periods if self.settled_periods else None

    @property
    def on_time_share(self) -> Decimal | None:
        """The share (0–1) of observations reported within 15 days of their period's end; None without any."""
        return Decimal(self.on_time) / self.observations if self.observations else None

    def to_json(self) -> dict:
        share = self.on_time_share
        average = self.average_pf
        return {
            "vendor": {"id": self.vendor_id, "name": self.vendor_name},
            "orders": {"total": self.orders_total, "by_status": dict(self.orders)},
            "settled_periods": self.settled_periods,
            "average_performance_factor": None if average is None else plain(average),
            "holdback_windows": {"released": self.windows_released, "forfeited": self.windows_forfeited,
                                 "pending": self.windows_pending},
            "observations": self.observations,
            "disputed_observations": self.disputed,
            "reported_within_15_days": self.on_time,
            "reported_within_15_days_share": None if share is None else plain(share),
        }


def performance_record(consortium_id: int, vendor_id: int) -> PerformanceRecord:
    """The record of `vendor_id` in consortium `consortium_id` (see the module's docstring)."""
    vendor = db.session.get(Organization, vendor_id)
    consortium = db.session.get(Consortium, consortium_id)
    orders = list(db.session.scalars(select(Order).where(
        Order.consortium_id == consortium_id, Order.vendor_id == vendor_id, Order.approved_at.is_not(None))))
    counts: dict[str, int] = {}
    for order in orders:
        counts[order.status] = counts.get(order.status, 0) + 1
    measured = {o.id: o for o in orders if o.performance}
    rows = db.session.execute(
        select(Observation.order_id, Observation.period, Observation.kpi, Observation.value, Observation.status,
               Observation.created_at).where(Observation.order_id.in_(list(measured)))).all() if measured else []
    totals = _settlements(measured, rows, local_date(consortium))
    on_time = _reported_on_time(measured, rows, consortium)
    disputed = db.session.scalar(
        select(func.count(func.distinct(AuditEvent.object_id)))
        .join(Observation, Observation.id == AuditEvent.object_id)
        .where(AuditEvent.object_type == "observation", AuditEvent.action == "observation.disputed",
               Observation.order_id.in_(list(measured)))) if measured else 0
    return PerformanceRecord(vendor_id=vendor_id, vendor_name=vendor.name if vendor else "", orders=counts,
                             observations=len(rows), disputed=disputed or 0, on_time=on_time, **totals)


def _settlements(orders: dict[int, Order], rows, today) -> dict:
    """Settled periods, the sum of their PF, and the windows by fate, over every order with terms."""
    values: dict[int, dict[tuple[int, str], Decimal]] = {order_id: {} for order_id in orders}
    for order_id, period, kpi, value, status, _ in rows:
        if status == "verified":
            values[order_id][(period, kpi)] = value
    totals = {"settled_periods": 0, "pf_total": Decimal(0), "windows_released": 0, "windows_forfeited": 0,
              "windows_pending": 0}
    for order_id, order in orders.items():
        # As the order page settles it, from values read here for every order at once.
        result = services.settlement_for(order, values[order_id], today)
        for period in result.periods:
            if period.status == "settled":
                totals["settled_periods"] += 1
                totals["pf_total"] += period.pf
        for window in result.windows:
            totals[f"windows_{window.status}"] += 1
    return totals


def _reported_on_time(orders: dict[int, Order], rows, consortium: Consortium) -> int:
    """How many observations were first reported (their creation, in the consortium's zone) at most
    ON_TIME_DAYS days after their period's last day."""
    count = 0
    terms = {order_id: services.order_terms(order) for order_id, order in orders.items()}
    for order_id, period, _kpi, _value, _status, created_at in rows:
        _, end = services.order_period_dates(orders[order_id], terms[order_id], period)
        if local_date(consortium, created_at) <= end + timedelta(days=ON_TIME_DAYS):
            count += 1
    return count
