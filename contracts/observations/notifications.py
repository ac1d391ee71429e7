"""Who is told about measurements (DESIGN section 7, "Who is told what").

Events:
- a measurement reported (or corrected, which reports it again) → the order's author and the member's
  approvers, who verify or dispute it;
- a measurement disputed → the vendor's users, who correct it.

Daily reminders (`flask --app marketplace reminders run`):
- a performance period ended 5 days ago without a value for every KPI → the vendor's users (once per
  period end, naming every period still unreported);
- a measurement has waited 7 days for verification → the order's author and the member's approvers.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from consortium import queries as people
from contracts.observations.models import Observation
from contracts.observations.permissions import DECIDING_ORDER_STATES, REPORTING_ORDER_STATES
from contracts.observations.services import order_terms, period_label
from contracts.orders.models import Order
from contracts.orders.notifications import author_and_approvers, order_link, order_name
from contracts.performance import Terms, elapsed_periods
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.notifications.events import on
from marketplace.notifications.reminders import reminder
from marketplace.notifications.services import notify
from marketplace.templating import number

PERIOD_DUE_DAYS = 5  # days after a period could first be reported
VERIFY_WAITS_DAYS = 7


def kpi_name(terms: Terms | None, code: str) -> str:
    """The KPI as people call it ("Lighting availability"), never its code."""
    measure = terms.measure(code) if terms is not None else None
    if measure is None or measure.name == code:
        return code.replace("_", " ").capitalize()
    return measure.name


def measured(terms: Terms | None, code: str, value) -> str:
    """A value with its unit: "94.6%", "1,200 kWh", "$310.00"."""
    measure = terms.measure(code) if terms is not None else None
    unit = measure.unit if measure is not None else None
    if unit == "percent":
        return f"{number(value)}%"
    if unit == "currency":
        return money(value)
    return f"{number(value)} {measure.unit_label}" if measure is not None else number(value)


def _what(obs: Observation, terms: Terms | None) -> str:
    """"Lighting availability for Period 3 (Sep 2026) of Order TO-000005 (PO MSA-2026-0311)"."""
    period = period_label(terms, obs.period) if terms is not None else f"period {obs.period}"
    return f"{kpi_name(terms, obs.kpi)} for {period} of {order_name(obs.order)}"


def _link(order: Order) -> str:
    return order_link(order, _anchor="performance")


# --- events ---------------------------------------------------------------------------------------------


@on("observation.reported", "observation.corrected")
def observation_reported(event, obs: Observation) -> None:
    order = obs.order
    terms = order_terms(order)
    value = measured(terms, obs.kpi, obs.value)
    corrected = event.action == "observation.corrected"
    was = (event.after or {}).get("corrected_from")
    earlier = f" (it was {measured(terms, obs.kpi, was)} before the dispute)" if corrected and was else ""
    verb = "corrected" if corrected else "reported"
    evidence = f" Evidence: “{obs.note}”" + ("" if obs.note.endswith((".", "!", "?")) else ".") if obs.note else ""
    notify(author_and_approvers(order), kind="measurement",
           subject=f"{order.vendor.name} {verb} {kpi_name(terms, obs.kpi)} for period {obs.period} of "
                   f"{order_name(order)}: {value}",
           body=(f"{order.vendor.name} {verb} {_what(obs, terms)}: {value}{earlier}.{evidence} It counts for "
                 "payment only once verified: verify it, or dispute it with a reason."),
           consortium_id=event.consortium_id, obj=obs, actor=people.person(event.actor_id), link=_link(order))


@on("observation.disputed")
def observation_disputed(event, obs: Observation) -> None:
    order = obs.order
    terms = order_terms(order)
    actor = people.person(event.actor_id)
    who = f"{actor.name} of {order.member.name}" if actor is not None else order.member.name
    reason = f" The reason given: “{event.reason}”" if event.reason else ""
    notify(people.users_of(order.vendor_id), kind="measurement",
           subject=f"{order.member.name} disputed {kpi_name(terms, obs.kpi)} for period {obs.period} of "
                   f"{order_name(order)}",
           body=(f"{who} disputed the value {measured(terms, obs.kpi, obs.value)} you reported for "
                 f"{_what(obs, terms)}.{reason} Correct the value with its evidence; it is then reported again "
                 "for the city to verify."),
           consortium_id=event.consortium_id, obj=obs, actor=actor, link=_link(order))


# --- reminders ------------------------------------------------------------------------------------------


def _reported_kpis(order_ids: list[int]) -> dict[tuple[int, int], int]:
    """How many KPIs have a value (in any state) per (order, period), for all the orders in one query."""
    if not order_ids:
        return {}
    rows = db.session.execute(
        select(Observation.order_id, Observation.period, func.count(distinct(Observation.kpi)))
        .where(Observation.order_id.in_(order_ids)).group_by(Observation.order_id, Observation.period)
        .execution_options(all_tenants=True))
    return {(order_id, period): count for order_id, period, count in rows}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@reminder("period_due")
def periods_due(today: date | None) -> int:
    """Orders with a period that ended 5 days ago (5 days after it could first be reported) still missing a
    value for some KPI: the vendor's users are told once per period end, with every period still open."""
    written = 0
    for consortium, on_day in people.days_by_consortium(today):
        orders = list(db.session.scalars(
            select(Order).where(Order.consortium_id == consortium.id, Order.status.in_(REPORTING_ORDER_STATES),
                                Order.performance.is_not(None))
            .options(selectinload(Order.member), selectinload(Order.vendor)).order_by(Order.id)
            .execution_options(all_tenants=True)))
        due = []
        for order in orders:
            terms = order_terms(order)
            ended = elapsed_periods(terms.start_date, terms, on_day - timedelta(days=PERIOD_DUE_DAYS)) if terms else 0
            if ended:
                due.append((order, terms, ended))
        if not due:
            continue
        reported = _reported_kpis([order.id for order, _, _ in due])
        vendors = people.users_by_organization({order.vendor_id for order, _, _ in due})
        for order, terms, ended in due:
            needed = len(terms.kpi_codes())
            missing = [n for n in range(1, ended + 1) if reported.get((order.id, n), 0) < needed]
            if not missing:
                continue
            labels = [period_label(terms, n) for n in missing]
            kpis = _and([kpi_name(terms, code) for code in sorted(terms.kpi_codes())])
            subject = (f"{order_name(order)}: {labels[0]} is not reported yet" if len(missing) == 1 else
                       f"{order_name(order)}: {len(missing)} periods are not reported yet")
            verb = "has" if len(missing) == 1 else "have"
            written += len(notify(
                vendors.get(order.vendor_id, []), kind="period_due", subject=subject,
                body=(f"{_and(labels)} of {order_name(order)} for {order.member.name} {verb} ended without a "
                      f"value for every KPI ({kpis}). Report each measured value with its evidence; "
                      f"{order.member.name} verifies it before it counts for payment."),
                consortium_id=consortium.id, obj=order, link=_link(order),
                once_key=f"period-due:{order.id}:{ended}"))
    return written


@reminder("measurement_waiting")
def measurements_waiting(today: date | None) -> int:
    """Measurements reported 7 days ago or more and still not verified or disputed: the order's author and
    the member's approvers are told once (again after a correction reports the value afresh)."""
    written = 0
    for consortium, on_day in people.days_by_consortium(today):
        cutoff = people.start_of_day(consortium, on_day - timedelta(days=VERIFY_WAITS_DAYS - 1))
        waiting = list(db.session.scalars(
            select(Observation).join(Order, Observation.order_id == Order.id)
            .where(Observation.consortium_id == consortium.id, Observation.status == "reported",
                   Observation.updated_at < cutoff, Order.status.in_(DECIDING_ORDER_STATES))
            .options(selectinload(Observation.order).selectinload(Order.created_by),
                     selectinload(Observation.order).selectinload(Order.vendor))
            .order_by(Observation.id).execution_options(all_tenants=True)))
        if not waiting:
            continue
        approvers = people.approvers_by_organization({obs.order.member_id for obs in waiting})
        for obs in waiting:
            order = obs.order
            terms = order_terms(order)
            reported_on = people.local_date(consortium, obs.updated_at)
            days = (on_day - reported_on).days
            written += len(notify(
                [order.created_by, *approvers.get(order.member_id, [])], kind="measurement",
                subject=(f"{kpi_name(terms, obs.kpi)} for period {obs.period} of {order_name(order)} has waited "
                         f"{days} days for verification"),
                body=(f"{order.vendor.name} reported {measured(terms, obs.kpi, obs.value)} for {_what(obs, terms)} "
                      f"on {day(reported_on)}, and it is still neither verified nor disputed. It counts for payment "
                      "only once verified: verify it, or dispute it with a reason."),
                consortium_id=consortium.id, obj=obs, link=_link(order),
                once_key=f"measurement-waiting:{obs.id}:{obs.updated_at:%Y%m%d%H%M%S%f}"))
    return written
