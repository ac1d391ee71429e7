"""Loading observations for pages and the API alike: visible only to those who may see their order."""

from __future__ import annotations

from datetime import datetime, time

from flask import url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, joinedload

from consortium.queries import local_date
from contracts.observations import services
from contracts.observations.models import Observation
from contracts.observations.permissions import REPORTING_ORDER_STATES, can_report_observation
from contracts.orders.models import Order
from contracts.orders.queries import get_order_or_404, order_title
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
