"""KPI observations on active orders, and the settlement computed from the verified ones.

The vendor reports a value per period and KPI with an evidence note; the member's buyer or
approver verifies it or disputes it with a reason; a disputed value can be corrected by the vendor
and verified again. Only verified values count. The settlement is never stored: it is computed
from the order's terms and the verified observations each time (`contracts.performance.settle`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from consortium.models import User
from contracts.orders.models import Observation, Order
from contracts.performance.settlement import Settlement, Terms, TermsError, parse_observation_value, parse_terms, settle
from contracts.vehicles import services as vehicles
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import CONTROL_CHARS as _CONTROL
from marketplace.inputs import whole_number

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
MAX_NOTE = 5000


def order_terms(order: Order) -> Terms | None:
    return parse_terms(order.performance) if order.performance else None


def _note(raw, fields: dict, name: str = "note", *, required: bool = False, what: str = "an evidence note") -> str:
    if raw is not None and not isinstance(raw, str):
        fields[name] = "Must be text."
        return ""
    text = _CONTROL.sub("", raw or "").strip()
    if required and not text:
        fields[name] = f"Give {what}."
    elif len(text) > MAX_NOTE:
        fields[name] = f"Use at most {MAX_NOTE} characters."
    return text


def _value(raw, fields: dict) -> Decimal | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    try:
        return parse_observation_value(raw)
    except TermsError as err:
        fields["value"] = err.fields.get("value", "Enter the measured value as a number, such as 97.2.")
        return None


def _record(obs: Observation, actor, action: str, *, before=None, after=None, reason=None) -> None:
    audit.record(consortium_id=obs.consortium_id, actor=actor, action=action, obj=obs, before=before, after=after,
                 reason=reason)


def _snapshot(obs: Observation) -> dict:
    return {"order_id": obs.order_id, "period": obs.period, "kpi": obs.kpi, "value": str(obs.value),
            "status": obs.status}


def report_observation(order: Order, data: dict, *, actor: User) -> Observation:
    """The vendor reports one measured value for one period and KPI of an active order."""
    if actor.role != "vendor" or actor.organization_id != order.vendor_id:
        raise PermissionDenied("Only the order's vendor reports measurements; the city verifies them.")
    if order.status != "active":
        raise Conflict(f"Measurements are reported on active orders (this one is {order.status}).")
    terms = order_terms(order)
    if terms is None:
        raise Conflict("This order has no performance terms to measure.")
    fields: dict[str, str] = {}
    period = data.get("period")
    if isinstance(period, str) and whole_number(period, high=10**6) is not None:
        period = whole_number(period, high=10**6)
    if isinstance(period, bool) or not isinstance(period, int):
        fields["period"] = "Enter the period number, such as 1."
    elif not 1 <= period <= terms.periods:
        fields["period"] = f"This order has periods 1 to {terms.periods}."
    kpi = data.get("kpi")
    codes = terms.kpi_codes()
    if not isinstance(kpi, str) or kpi not in codes:
        fields["kpi"] = "Choose one of this order's KPIs: " + ", ".join(sorted(codes)) + "."
    value = _value(data.get("value"), fields)
    note = _note(data.get("note"), fields)
    if fields:
        raise ValidationFailed("The measurement has problems to correct.", fields)
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
    _record(obs, actor, "observation.reported", after={**_snapshot(obs), "note": note})
    return obs


def _member_staff(actor: User, order: Order) -> None:
    if actor.role not in ("buyer", "approver") or actor.organization_id != order.member_id:
        raise PermissionDenied("Only the buying city verifies or disputes measurements; the vendor cannot.")


def verify_observation(obs: Observation, *, actor: User, reason: str | None = None) -> Observation:
    _member_staff(actor, obs.order)
    if obs.status != "reported":
        raise Conflict(f"Only a reported value can be verified (this one is {obs.status}).")
    obs.status, obs.decided_by_id, obs.decided_at, obs.reason = "verified", actor.id, utcnow(), None
    db.session.flush()
    _record(obs, actor, "observation.verified", before={"status": "reported"}, after=_snapshot(obs))
    return obs


def dispute_observation(obs: Observation, *, actor: User, reason: str | None) -> Observation:
    _member_staff(actor, obs.order)
    fields: dict[str, str] = {}
    reason = _note(reason, fields, "reason", required=True, what="the reason for the dispute")
    if fields:
        raise ValidationFailed("Say why you dispute the value.", fields)
    if obs.status != "reported":
        raise Conflict(f"Only a reported value can be disputed (this one is {obs.status}).")
    obs.status, obs.decided_by_id, obs.decided_at, obs.reason = "disputed", actor.id, utcnow(), reason
    db.session.flush()
    _record(obs, actor, "observation.disputed", before={"status": "reported"}, after=_snapshot(obs), reason=reason)
    return obs


def correct_observation(obs: Observation, data: dict, *, actor: User) -> Observation:
    """The vendor corrects a disputed value; it is reported again for the city to verify."""
    if actor.role != "vendor" or actor.organization_id != obs.order.vendor_id:
        raise PermissionDenied("Only the order's vendor corrects its measurements.")
    if obs.status != "disputed":
        raise Conflict("Only a disputed value can be corrected.")
    fields: dict[str, str] = {}
    value = _value(data.get("value"), fields)
    note = _note(data.get("note"), fields)
    if fields:
        raise ValidationFailed("The correction has problems to correct.", fields)
    before = _snapshot(obs)
    obs.value, obs.note, obs.status = value, note or obs.note, "reported"
    obs.decided_by_id = obs.decided_at = None
    db.session.flush()
    _record(obs, actor, "observation.corrected", before=before, after={**_snapshot(obs), "note": obs.note})
    return obs


def verified_values(order: Order) -> dict[tuple[int, str], Decimal]:
    rows = db.session.execute(select(Observation.period, Observation.kpi, Observation.value).where(
        Observation.order_id == order.id, Observation.status == "verified")).all()
    return {(period, kpi): value for period, kpi, value in rows}


def elapsed_periods(order: Order, terms: Terms, on: date | None = None) -> int:
    """Periods that have ended since performance started (delivery start, else acceptance)."""
    start = order.delivery_start or (order.accepted_at.date() if order.accepted_at else None)
    if start is None:
        return 0
    on = on or vehicles.today()
    months = (on.year - start.year) * 12 + on.month - start.month - (1 if on.day < start.day else 0)
    return max(0, min(terms.periods, months // PERIOD_MONTHS[terms.period]))


def period_dates(order: Order, terms: Terms, period: int) -> tuple[date, date] | None:
    start = order.delivery_start or (order.accepted_at.date() if order.accepted_at else None)
    if start is None:
        return None
    months = PERIOD_MONTHS[terms.period]
    first = start + relativedelta(months=months * (period - 1))
    return first, first + relativedelta(months=months) - relativedelta(days=1)


def settlement_for(order: Order) -> Settlement | None:
    """The settlement of an order with terms, from its verified observations (never stored)."""
    terms = order_terms(order)
    if terms is None:
        return None
    values = verified_values(order)
    last_verified = max((p for p, _ in values), default=0)
    return settle(terms, values, through_period=max(elapsed_periods(order, terms), last_verified))
