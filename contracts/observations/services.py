"""KPI observations on active orders, and the settlement computed from the verified ones.

The vendor reports a value per period and KPI with an evidence note; the member's buyer or approver
verifies it or disputes it with a reason; the vendor corrects a disputed value, which is then reported
again for the city to verify. Only verified values count. The settlement is never stored: it is computed
from the order's terms and the verified observations each time (`contracts.performance.settle`).

The lifecycle (every step runs through `marketplace.transitions.run`, which locks and re-reads the row,
so of a verify and a dispute racing for the same value exactly one wins; the other gets 409):

    step      from        to         who (permissions)                   reason     audit action
    verify    reported    verified   the member's buyers and approvers   optional   observation.verified
    dispute   reported    disputed   the member's buyers and approvers   required   observation.disputed
    correct   disputed    reported   the order's vendor (new value)      none       observation.corrected
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import inspect, select

from consortium.models import Consortium, User
from consortium.queries import local_date
from contracts.observations.models import NOTE_MAX, OBSERVATION_STATUSES, Observation
from contracts.observations.permissions import (
    REPORTING_ORDER_STATES,
    can_correct_observation,
    can_dispute_observation,
    can_report_observation,
    can_verify_observation,
)
from contracts.orders.models import Order
from contracts.performance import (
    MAX_PERIODS,
    Measure,
    Settlement,
    Terms,
    TermsError,
    elapsed_periods,
    parse_observation_value,
    parse_terms,
    period_dates,
    settle,
)
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied
from marketplace.extensions import db
from marketplace.formats import day, period_span
from marketplace.inputs import clean_text, parse_period, raise_if
from marketplace.transitions import Lifecycle, run, transition

CITY_ONLY = "Only the buying city verifies or disputes measurements; the vendor cannot."
VENDOR_ONLY = "Only the order's vendor reports and corrects its measurements; the city verifies them."


def _snapshot(obs: Observation) -> dict:
    return {"order_id": obs.order_id, "period": obs.period, "kpi": obs.kpi, "value": str(obs.value),
            "status": obs.status}


def _decided(obs: Observation, ctx) -> None:
    """The city's decision: who and when; a dispute keeps its reason for the vendor to read."""
    obs.decided_by_id, obs.decided_at = ctx.actor.id, utcnow()
    obs.reason = ctx.reason if ctx.transition.name == "dispute" else None


def _corrected(obs: Observation, ctx) -> None:
    """The vendor's new value (validated here, after the state and the permission are checked)."""
    fields: dict[str, str] = {}
    terms = order_terms(obs.order)
    value = _value(ctx["data"].get("value"), fields, terms.measure(obs.kpi) if terms is not None else None)
    note = clean_text(ctx["data"].get("note"), "note", fields, limit=NOTE_MAX)
    raise_if(fields, "The correction has problems to correct.")
    inspect(obs).info["corrected_from"] = str(obs.value)  # for the audit event (see _correction_audit)
    obs.value, obs.note = value, note or obs.note
    obs.decided_by_id = obs.decided_at = None


def _correction_audit(obs: Observation) -> dict:
    return {**_snapshot(obs), "note": obs.note, "corrected_from": inspect(obs).info.pop("corrected_from", None)}


OBSERVATION_LIFECYCLE = Lifecycle(
    model=Observation, noun="measurement", object_type="observation", states=OBSERVATION_STATUSES,
    transitions=(
        transition("verify", {"reported"}, "verified", can_verify_observation, "observation.verified", "verified",
                   reason="optional", effects=(_decided,), denied=CITY_ONLY, audit_after=_snapshot),
        transition("dispute", {"reported"}, "disputed", can_dispute_observation, "observation.disputed",
                   "disputed", reason="required", reason_message="Say why you dispute the value.",
                   effects=(_decided,), denied=CITY_ONLY, audit_after=_snapshot),
        transition("correct", {"disputed"}, "reported", can_correct_observation, "observation.corrected",
                   "corrected", reason="none", effects=(_corrected,), denied=VENDOR_ONLY,
                   audit_after=_correction_audit),
    ),
)


def order_terms(order: Order) -> Terms | None:
    """The order's performance terms, or None for an order without them. A terminated order's terms end
    with its last period (the periods that had not started never run)."""
    if not order.performance:
        return None
    terms = parse_terms(order.performance)
    if order.last_period is not None and order.last_period < terms.periods:
        terms = replace(terms, periods=order.last_period)
    return terms


def _value(raw, fields: dict, measure: Measure | None = None) -> Decimal | None:
    try:
        return parse_observation_value(raw, measure)
    except TermsError as err:
        fields["value"] = err.fields.get("value", "Enter the measured value as a number, such as 97.2.")
        return None


# --- the clock ------------------------------------------------------------------------------------------


def now() -> datetime:
    """The observations' only clock (timezone-aware). Tests move time with
    `monkeypatch.setattr(contracts.observations.services, "now", ...)`; every caller reads it as `now()`
    through `consortium_today`, never by calling `datetime.now` itself."""
    return utcnow()


def consortium_today(order: Order) -> date:
    """Today's date where the order's consortium is (DESIGN: its time zone decides when a period has ended):
    at 23:30 on 31 March in Phoenix it is still 31 March, although it is 1 April in UTC."""
    return local_date(db.session.get(Consortium, order.consortium_id), now())


# --- periods ---------------------------------------------------------------------------------------------


def period_label(terms: Terms, period: int) -> str:
    """"Period 4 (Jan–Mar 2027)"."""
    return f"Period {period} ({period_span(*period_dates(terms.start_date, terms, period))})"


# A period is reported on time within 15 days of its end (DESIGN section 4, vendor performance record).
REPORT_ON_TIME_DAYS = 15


def reportable_from(terms: Terms, period: int) -> date:
    """The first day a period can be reported: the day after its last."""
    return period_dates(terms.start_date, terms, period)[1] + timedelta(days=1)


def report_due(terms: Terms, period: int) -> date:
    """The last day a period's report counts as on time."""
    return period_dates(terms.start_date, terms, period)[1] + timedelta(days=REPORT_ON_TIME_DAYS)


def next_reportable(order: Order, terms: Terms) -> str | None:
    """When the next period can be reported, as the order page says it ("Period 4 (Jan–Mar 2027) can be
    reported from 1 Apr 2027"); None once every period of the term has ended."""
    ended = order_elapsed_periods(order, terms)
    if ended >= terms.periods:
        return None
    return f"{period_label(terms, ended + 1)} can be reported from {day(reportable_from(terms, ended + 1))}."


def _check_period(order: Order, terms: Terms, raw, fields: dict) -> int | None:
    """The period number, if it lies within the term (400 with a field message otherwise); the period must
    also have ended in the consortium's time zone (409: the request is right, only too early)."""
    period = parse_period(raw, "period", fields, high=MAX_PERIODS)
    if period is not None and period > terms.periods:
        fields["period"] = (f"This order was terminated after period {terms.periods}; period {period} never runs."
                            if order.last_period is not None else
                            f"This order has {terms.periods} periods; period {period} is beyond its term.")
        return None
    return period


def _require_ended(order: Order, terms: Terms, period: int) -> None:
    if order_elapsed_periods(order, terms) < period:
        raise Conflict(f"{period_label(terms, period)} has not ended yet: it can be reported from "
                       f"{day(reportable_from(terms, period))}.",
                       {"period": f"Can be reported from {day(reportable_from(terms, period))}."})


def report_observation(order: Order, data: dict, *, actor: User) -> Observation:
    """The vendor reports one measured value for one period and KPI of an active order: the period must be
    within the term and over (in the consortium's time zone), the value inside its unit's bounds."""
    if order.status not in REPORTING_ORDER_STATES:
        raise Conflict(f"Measurements are reported on active or terminated orders (this one is {order.status}).")
    if not can_report_observation(actor, order):
        raise PermissionDenied(VENDOR_ONLY)
    terms = order_terms(order)
    if terms is None:
        raise Conflict("This order has no performance terms to measure.")
    fields: dict[str, str] = {}
    period = _check_period(order, terms, data.get("period"), fields)
    kpi = data.get("kpi")
    codes = terms.kpi_codes()
    if not isinstance(kpi, str) or kpi not in codes:
        fields["kpi"] = "Choose one of this order's KPIs: " + ", ".join(sorted(codes)) + "."
    value = _value(data.get("value"), fields, terms.measure(kpi) if isinstance(kpi, str) else None)
    note = clean_text(data.get("note"), "note", fields, limit=NOTE_MAX)
    raise_if(fields, "The measurement has problems to correct.")
    _require_ended(order, terms, period)
    existing = db.session.scalar(select(Observation).where(
        Observation.order_id == order.id, Observation.period == period, Observation.kpi == kpi))
    if existing is not None:
        hint = " Correct the disputed value instead." if existing.status == "disputed" else ""
        raise Conflict(f"Period {period} of {kpi} was already reported ({existing.status}).{hint}",
                       {"period": "Already reported for this KPI."})
    obs = Observation(consortium_id=order.consortium_id, order_id=order.id, period=period, kpi=kpi, value=value,
                      note=note, reported_by_id=actor.id, status="reported")
    db.session.add(obs)
    db.session.flush()
    audit.record(consortium_id=obs.consortium_id, actor=actor, action="observation.reported", obj=obs,
                 after={**_snapshot(obs), "note": note})
    return obs


def verify_observation(obs: Observation, *, actor: User, reason: str | None = None) -> Observation:
    """The city verifies a reported value: from now on it counts for payment."""
    return run(OBSERVATION_LIFECYCLE, obs, "verify", actor=actor, reason=reason)


def dispute_observation(obs: Observation, *, actor: User, reason: str | None) -> Observation:
    """The city disputes a reported value, saying why; the vendor can correct it."""
    return run(OBSERVATION_LIFECYCLE, obs, "dispute", actor=actor, reason=reason)


def correct_observation(obs: Observation, data: dict, *, actor: User) -> Observation:
    """The vendor corrects a disputed value; it is reported again for the city to verify."""
    return run(OBSERVATION_LIFECYCLE, obs, "correct", actor=actor, data=data)


def verified_values(order: Order) -> dict[tuple[int, str], Decimal]:
    """The order's verified values by (period, KPI code): what the settlement counts."""
    rows = db.session.execute(select(Observation.period, Observation.kpi, Observation.value).where(
        Observation.order_id == order.id, Observation.status == "verified")).all()
    return {(period, kpi): value for period, kpi, value in rows}


def order_elapsed_periods(order: Order, terms: Terms, on: date | None = None) -> int:
    """How many of the order's periods have ended by `on` (default: today in the consortium's zone); the
    periods run from the terms' start date."""
    return elapsed_periods(terms.start_date, terms, on or consortium_today(order))


def order_period_dates(order: Order, terms: Terms, period: int) -> tuple[date, date]:
    """The first and last day of one of the order's periods (from the terms' start date)."""
    return period_dates(terms.start_date, terms, period)


def settlement_for(order: Order, values: dict[tuple[int, str], Decimal] | None = None,
                   today: date | None = None) -> Settlement | None:
    """The settlement of an order with terms, from its verified observations (never stored); every period
    row carries its start and end dates. Pages that settle many orders pass each order's verified `values`
    (loaded for all of them at once) and `today` in the consortium's zone, so no query is issued per order."""
    terms = order_terms(order)
    if terms is None:
        return None
    if values is None:
        values = verified_values(order)
    last_verified = max((p for p, _ in values), default=0)
    return settle(terms, values, through_period=max(order_elapsed_periods(order, terms, today), last_verified))
