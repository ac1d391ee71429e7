"""JSON API for financing instruments and innovation funds (DESIGN section 7). Money and percentages travel as
strings; dates as ISO 8601."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from consortium.context import consortium_or_404
from contracts.finance import services
from contracts.finance.models import (
    BOND_KINDS,
    KINDS,
    MAX_UNITS,
    MAX_YEARS,
    NAME_MAX,
    NOTES_MAX,
    PARTNER_MAX,
    RECORDED_KINDS,
    SCHEDULE_KINDS,
    SOURCE_MAX,
    FinancingInstrument,
)
from contracts.finance.queries import (
    get_financing_or_404,
    get_fund_or_404,
    need_for_financing_or_404,
    order_for_financing_or_404,
)
from contracts.finance.schedules import PAYMENTS_PER_YEAR
from marketplace.api import DATE, ID, POSITIVE_MONEY, created, operation
from marketplace.errors import ValidationFailed
from marketplace.extensions import db

api = Blueprint("finance_api", __name__, url_prefix="/api/v1")

RATE = {"type": "string", "pattern": r"^(100(\.0{1,4})?|\d{1,2}(\.\d{1,4})?)$", "example": "4.25",
        "x-error": "Enter a percentage from 0 to 100 with at most 4 decimals, such as \"4.25\"."}
_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_NULLABLE_MONEY = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d{2}$"}
_DATE_OUT = {"type": ["string", "null"], "format": "date"}


def _needs(kinds, fields) -> dict:
    return {"if": {"required": ["kind"], "properties": {"kind": {"enum": list(kinds)}}},
            "then": {"required": list(fields)}}


FINANCING_IN = {
    "type": "object", "additionalProperties": False, "required": ["kind", "partner"],
    "description": "On an order (order_id) or a need (need_id): exactly one of the two (400 otherwise)",
    "properties": {
        "order_id": ID,
        "need_id": ID,
        "kind": {"type": "string", "enum": list(KINDS)},
        "partner": {"type": "string", "minLength": 1, "maxLength": PARTNER_MAX,
                    "description": "The lender, vendor, lessor, bond buyers' agent, partner or grantor"},
        "principal": {**POSITIVE_MONEY, "description": "Amount financed (loan, vendor_financing, lease) or recorded "
                                                       "(ppp, guarantee, tif, grant); not for a mini_bond"},
        "annual_rate": {**RATE, "description": "Annual interest rate in % (loan, vendor_financing, lease)"},
        "years": {"type": "integer", "minimum": 1, "maximum": MAX_YEARS, "description": "Term in years"},
        "payments_per_year": {"type": "integer", "enum": list(PAYMENTS_PER_YEAR),
                              "description": "loan, vendor_financing, lease"},
        "first_payment_on": {**DATE, "description": "loan, vendor_financing, lease"},
        "issue_price": {**POSITIVE_MONEY, "description": "mini_bond: price of one unit"},
        "maturity_value": {**POSITIVE_MONEY, "description": "mini_bond: what one unit repays (≥ the issue price)"},
        "units": {"type": "integer", "minimum": 1, "maximum": MAX_UNITS, "description": "mini_bond: units offered"},
        "notes": {"type": "string", "maxLength": NOTES_MAX},
    },
    "allOf": [
        _needs(SCHEDULE_KINDS, ("principal", "annual_rate", "years", "payments_per_year", "first_payment_on")),
        _needs(BOND_KINDS, ("issue_price", "maturity_value", "years", "units")),
        _needs(RECORDED_KINDS, ("principal",)),
    ],
}
SCHEDULE_ROW = {"type": "object", "required": ["n", "due_on", "payment", "interest", "principal", "balance"],
                "properties": {"n": {"type": "integer"}, "due_on": _DATE_OUT, "payment": _MONEY_OUT,
                               "interest": _MONEY_OUT, "principal": _MONEY_OUT, "balance": _MONEY_OUT}}
FINANCING_OUT = {
    "type": "object", "required": ["id", "order_id", "need_id", "kind", "partner"],
    "properties": {
        "id": ID, "order_id": {**ID, "type": ["integer", "null"]}, "need_id": {**ID, "type": ["integer", "null"]},
        "kind": {"type": "string", "enum": list(KINDS)},
        "partner": {"type": "string"}, "notes": {"type": "string"}, "principal": _NULLABLE_MONEY,
        "annual_rate": {"type": ["string", "null"]}, "years": {"type": ["integer", "null"]},
        "payments_per_year": {"type": ["integer", "null"]}, "first_payment_on": _DATE_OUT,
        "payment": _MONEY_OUT, "last_payment": _MONEY_OUT, "total_interest": _MONEY_OUT, "total_paid": _MONEY_OUT,
        "schedule": {"type": "array", "items": SCHEDULE_ROW},
        "issue_price": _MONEY_OUT, "maturity_value": _MONEY_OUT, "units": {"type": "integer"},
        "yield_pct": {"type": "string"}, "proceeds": _MONEY_OUT, "liability": _MONEY_OUT,
    },
}

FUND_IN = {"type": "object", "additionalProperties": False, "required": ["name"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
    "owner_id": {**ID, "description": "A member or the office of the consortium (default: your organization)"}}}
CONTRIBUTION_IN = {"type": "object", "additionalProperties": False, "required": ["amount", "source", "received_on"],
                   "properties": {"amount": POSITIVE_MONEY,
                                  "source": {"type": "string", "minLength": 1, "maxLength": SOURCE_MAX},
                                  "received_on": DATE}}
DRAW_IN = {"type": "object", "additionalProperties": False, "required": ["order_id", "amount", "repayment_pct"],
           "properties": {"order_id": ID, "amount": POSITIVE_MONEY,
                          "repayment_pct": {**RATE, "description": "% of each settled period's city amount repaid"}}}
_REPAYMENT = {"type": "object", "required": ["period", "amount"],
              "properties": {"period": {"type": "integer"}, "amount": _MONEY_OUT, "on": _DATE_OUT}}
FUND_OUT = {
    "type": "object",
    "required": ["id", "name", "owner_id", "contributions", "drawn", "repaid", "balance", "draws"],
    "properties": {
        "id": ID, "name": {"type": "string"}, "owner_id": ID, "owner": {"type": "string"},
        "contributions": _MONEY_OUT, "drawn": _MONEY_OUT, "repaid": _MONEY_OUT, "balance": _MONEY_OUT,
        "projected_repayments": _MONEY_OUT,
        "contribution_items": {"type": "array", "items": {"type": "object", "properties": {
            "id": ID, "amount": _MONEY_OUT, "source": {"type": "string"}, "received_on": {"type": "string"}}}},
        "draws": {"type": "array", "items": {"type": "object", "required": [
            "id", "order_id", "amount", "repaid", "outstanding", "repayments"], "properties": {
            "id": ID, "order_id": ID, "amount": _MONEY_OUT, "repayment_pct": {"type": "string"},
            "drawn_on": {"type": "string"}, "repaid": _MONEY_OUT, "outstanding": _MONEY_OUT,
            "repayments": {"type": "array", "items": _REPAYMENT},
            "projected": {"type": "array", "items": _REPAYMENT}}}},
    },
}


def _cents(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def financing_json(inst: FinancingInstrument) -> dict:
    """The instrument as DESIGN section 7 shows it, with its schedule (or a mini-bond's figures)."""
    data = {"id": inst.id, "order_id": inst.order_id, "need_id": inst.need_id, "kind": inst.kind,
            "partner": inst.partner, "notes": inst.notes or ""}
    schedule = services.instrument_schedule(inst)
    bond = services.instrument_bond(inst)
    if bond is not None:
        data.update(issue_price=_cents(inst.issue_price), maturity_value=_cents(inst.maturity_value),
                    years=inst.years, units=inst.units, yield_pct=f"{bond.yield_pct:.4f}",
                    proceeds=_cents(bond.proceeds), liability=_cents(bond.liability))
        return data
    data.update(principal=_cents(inst.principal), years=inst.years)
    if schedule is not None:
        data.update(
            annual_rate=format(inst.annual_rate, "f"), payments_per_year=inst.payments_per_year,
            first_payment_on=inst.first_payment_on.isoformat(), payment=_cents(schedule.payment),
            last_payment=_cents(schedule.last_payment), total_interest=_cents(schedule.total_interest),
            total_paid=_cents(schedule.total_paid),
            schedule=[{"n": row.n, "due_on": row.due_on.isoformat() if row.due_on else None,
                       "payment": _cents(row.payment), "interest": _cents(row.interest),
                       "principal": _cents(row.principal), "balance": _cents(row.balance)}
                      for row in schedule.rows])
    return data


def _repayments(items) -> list[dict]:
    return [{"period": r.period, "amount": _cents(r.amount), "on": r.on.isoformat() if r.on else None}
            for r in items]


def fund_json(fund) -> dict:
    """The fund with its totals (DESIGN section 7): contributions, drawn, repaid (from the financed orders'
    verified settlements) and balance, and each draw with what it repaid and still owes."""
    state = services.fund_state(fund)
    return {
        "id": fund.id, "name": fund.name, "owner_id": fund.owner_id, "owner": fund.owner.name,
        "contributions": _cents(state.contributed), "drawn": _cents(state.drawn), "repaid": _cents(state.repaid),
        "balance": _cents(state.balance), "projected_repayments": _cents(state.projected),
        "contribution_items": [{"id": c.id, "amount": _cents(c.amount), "source": c.source,
                                "received_on": c.received_on.isoformat()} for c in state.contributions],
        "draws": [{"id": s.draw.id, "order_id": s.draw.order_id, "amount": _cents(s.draw.amount),
                   "repayment_pct": format(s.draw.repayment_pct, "f"), "drawn_on": s.draw.drawn_on.isoformat(),
                   "repaid": _cents(s.repaid), "outstanding": _cents(s.outstanding),
                   "repayments": _repayments(s.repayments), "projected": _repayments(s.projected)}
                  for s in state.draws],
    }


@operation(api, "/financing", "POST", summary="Record a financing instrument on an order or a need (its city or "
           "the office); loans, vendor financing and leases get a level-payment schedule", tag="finance",
           body=FINANCING_IN, response=FINANCING_OUT, status=201)
def create_financing(data):
    if ("order_id" in data) == ("need_id" in data):
        message = "Give either order_id or need_id, not both." if "order_id" in data else "Give order_id or need_id."
        raise ValidationFailed("The financing has problems to correct.", {"order_id": message})
    terms = {k: v for k, v in data.items() if k not in ("order_id", "need_id")}
    if "need_id" in data:
        need = need_for_financing_or_404(data["need_id"])
        instrument = services.add_need_financing(need, terms, actor=current_user)
    else:
        order = order_for_financing_or_404(data["order_id"])
        instrument = services.add_financing(order, terms, actor=current_user)
    db.session.commit()
    return created(financing_json(instrument))


@operation(api, "/financing/<int:instrument_id>", "GET", summary="A financing instrument with its schedule",
           tag="finance", response=FINANCING_OUT)
def get_financing(instrument_id):
    return jsonify(financing_json(get_financing_or_404(instrument_id)))


@operation(api, "/funds", "POST", summary="Open an innovation fund for your member, or (the office) for the "
           "office or a member", tag="finance", body=FUND_IN, response=FUND_OUT, status=201)
def create_fund(data):
    fund = services.create_fund(consortium_or_404(), data, actor=current_user)
    db.session.commit()
    return created(fund_json(fund))


@operation(api, "/funds/<int:fund_id>", "GET", summary="A fund: contributions, draws, repayments from verified "
           "savings, and the balance", tag="finance", response=FUND_OUT)
def get_fund(fund_id):
    return jsonify(fund_json(get_fund_or_404(fund_id)))


@operation(api, "/funds/<int:fund_id>/contributions", "POST", summary="Record money put into a fund",
           tag="finance", body=CONTRIBUTION_IN, response=FUND_OUT, status=201)
def add_contribution(fund_id, data):
    fund = get_fund_or_404(fund_id)
    services.record_contribution(fund, data, actor=current_user)
    db.session.commit()
    return created(fund_json(fund))


@operation(api, "/funds/<int:fund_id>/draws", "POST", summary="Draw on a fund to finance an order: at most the "
           "balance available (409 otherwise)", tag="finance", body=DRAW_IN, response=FUND_OUT, status=201)
def add_draw(fund_id, data):
    fund = get_fund_or_404(fund_id)
    services.draw_on_fund(fund, data, actor=current_user)
    db.session.commit()
    return created(fund_json(fund))
