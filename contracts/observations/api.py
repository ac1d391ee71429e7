"""JSON API for observations, settlement and performance statements (DESIGN sections 5 and 7)."""

from __future__ import annotations

from flask import Blueprint, jsonify, make_response, request
from flask_login import current_user

from contracts.observations import services
from contracts.observations.documents import render_statement
from contracts.observations.models import (
    KPI_MAX,
    NOTE_MAX,
    OBSERVATION_STATUSES,
    PERIOD_MAX,
    VALUE_TEXT_MAX,
    Observation,
)
from contracts.observations.queries import get_observation_or_404
from contracts.orders.queries import get_order_or_404
from contracts.performance import UNITS
from marketplace.api import ID, operation
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT, parse_period

api = Blueprint("performance_api", __name__, url_prefix="/api/v1")

OBSERVATION_IN = {
    "type": "object", "additionalProperties": False, "required": ["period", "kpi", "value"],
    "properties": {
        "period": {"type": "integer", "minimum": 1, "maximum": PERIOD_MAX},
        "kpi": {"type": "string", "maxLength": KPI_MAX},
        "value": {"type": "string", "maxLength": VALUE_TEXT_MAX, "example": "97.2",
                  "x-error": "Enter the measured value as a number in a string, such as \"97.2\"."},
        "note": {"type": "string", "maxLength": NOTE_MAX},
    },
}
CORRECTION_IN = {
    "type": "object", "additionalProperties": False, "required": ["value"],
    "properties": {"value": OBSERVATION_IN["properties"]["value"], "note": OBSERVATION_IN["properties"]["note"]},
}
REASON_IN = {"type": "object", "additionalProperties": False,
             "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
OBSERVATION_OUT = {
    "type": "object", "required": ["id", "order_id", "period", "kpi", "value", "status"],
    "properties": {
        "id": ID, "order_id": ID, "period": {"type": "integer"}, "kpi": {"type": "string"},
        "value": {"type": "string"}, "note": {"type": "string"},
        "status": {"type": "string", "enum": list(OBSERVATION_STATUSES)},
        "reason": {"type": ["string", "null"]}, "reported_by": {"type": "string"},
        "decided_by": {"type": ["string", "null"]}, "decided_at": {"type": ["string", "null"]},
    },
}
_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_DATE_OUT = {"type": "string", "format": "date"}
SETTLEMENT_OUT = {
    "type": "object", "required": ["kpis", "periods", "windows", "savings", "revenue", "guarantees", "totals"],
    "properties": {
        "kpis": {"type": "array", "description": "What each KPI code of the terms measures: name and unit.",
                 "items": {"type": "object", "required": ["code", "name", "unit", "unit_label"],
                           "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                          "unit": {"type": "string", "enum": list(UNITS)},
                                          "unit_label": {"type": "string"}, "min": {"type": "string"},
                                          "max": {"type": "string"}}}},
        "periods": {"type": "array", "items": {"type": "object", "required": [
            "period", "start_date", "end_date", "pf", "at_risk_earned", "bonus", "credits", "gross", "holdback",
            "paid_now", "status"],
            "properties": {"period": {"type": "integer"}, "start_date": _DATE_OUT, "end_date": _DATE_OUT,
                           "pf": {"type": "string"}, "at_risk_earned": _MONEY_OUT,
                           "bonus": _MONEY_OUT, "credits": _MONEY_OUT, "gross": _MONEY_OUT,
                           "holdback": _MONEY_OUT, "paid_now": _MONEY_OUT,
                           "status": {"type": "string", "enum": ["settled", "pending"]}}}},
        "windows": {"type": "array", "items": {"type": "object", "required": ["window", "periods", "holdback",
                                                                                "status"],
                    "properties": {"window": {"type": "integer"}, "periods": {"type": "array"},
                                   "holdback": _MONEY_OUT,
                                   "status": {"type": "string", "enum": ["released", "forfeited", "pending"]}}}},
        "savings": {"type": "array", "items": {"type": "object"}},
        "revenue": {"type": "array", "description": "Revenue share (paid by the vendor to the city): the periods "
                                                    "with a verified revenue.",
                    "items": {"type": "object", "required": ["period", "revenue", "city_share"],
                              "properties": {"period": {"type": "integer"},
                                             "revenue": {"type": "string", "pattern": r"^\d+\.\d+$"},
                                             "city_share": _MONEY_OUT}}},
        "guarantees": {"type": "array", "description": "Revenue share: every minimum-guarantee block; a pending "
                                                       "block owes no true-up yet.",
                       "items": {"type": "object", "required": ["block", "periods", "city_share", "minimum",
                                                                "true_up", "status"],
                                 "properties": {"block": {"type": "integer"},
                                                "periods": {"type": "array", "items": {"type": "integer"}},
                                                "city_share": _MONEY_OUT, "minimum": _MONEY_OUT,
                                                "true_up": _MONEY_OUT,
                                                "status": {"type": "string", "enum": ["settled", "pending"]}}}},
        "totals": {"type": "object", "required": ["paid", "withheld", "released", "forfeited", "city_revenue"],
                   "properties": {k: _MONEY_OUT for k in ("paid", "withheld", "released", "forfeited", "pending",
                                                          "city_revenue")}},
    },
}


def observation_json(obs: Observation) -> dict:
    return {
        "id": obs.id, "order_id": obs.order_id, "period": obs.period, "kpi": obs.kpi, "value": str(obs.value),
        "note": obs.note, "status": obs.status, "reason": obs.reason, "reported_by": obs.reported_by.name,
        "decided_by": obs.decided_by.name if obs.decided_by else None,
        "decided_at": obs.decided_at.isoformat() if obs.decided_at else None,
    }


@operation(api, "/orders/<int:order_id>/observations", "GET", summary="KPI observations of an order",
           tag="performance", response={"type": "object", "required": ["results"],
                                        "properties": {"results": {"type": "array", "items": OBSERVATION_OUT}}})
def list_observations(order_id):
    order = get_order_or_404(order_id)
    return jsonify({"results": [observation_json(o) for o in order.observations]})


@operation(api, "/orders/<int:order_id>/observations", "POST",
           summary="Report a measured KPI value for a period (the order's vendor)", tag="performance",
           body=OBSERVATION_IN, response=OBSERVATION_OUT, status=201)
def report_observation(order_id, data):
    order = get_order_or_404(order_id)
    obs = services.report_observation(order, data, actor=current_user)
    db.session.commit()
    response = jsonify(observation_json(obs))
    response.status_code = 201
    return response


@operation(api, "/observations/<int:observation_id>/verify", "POST",
           summary="Verify a reported value (the buying city; only verified values count)", tag="performance",
           body=REASON_IN, response=OBSERVATION_OUT)
def verify_observation(observation_id, data):
    obs = services.verify_observation(get_observation_or_404(observation_id), actor=current_user,
                                      reason=data.get("reason"))
    db.session.commit()
    return jsonify(observation_json(obs))


@operation(api, "/observations/<int:observation_id>/dispute", "POST",
           summary="Dispute a reported value with a reason (the buying city)", tag="performance", body=REASON_IN,
           response=OBSERVATION_OUT)
def dispute_observation(observation_id, data):
    obs = services.dispute_observation(get_observation_or_404(observation_id), actor=current_user,
                                       reason=data.get("reason"))
    db.session.commit()
    return jsonify(observation_json(obs))


@operation(api, "/observations/<int:observation_id>/correct", "POST",
           summary="Correct a disputed value (the vendor); it is reported again", tag="performance",
           body=CORRECTION_IN, response=OBSERVATION_OUT)
def correct_observation(observation_id, data):
    obs = services.correct_observation(get_observation_or_404(observation_id), data, actor=current_user)
    db.session.commit()
    return jsonify(observation_json(obs))


def _settlement(order_id):
    order = get_order_or_404(order_id)
    settlement = services.settlement_for(order)
    if settlement is None:
        raise Conflict("This order has no performance terms.")
    return order, settlement


@operation(api, "/orders/<int:order_id>/settlement", "GET",
           summary="Settlement computed from the terms and verified observations", tag="performance",
           response=SETTLEMENT_OUT)
def get_settlement(order_id):
    _, settlement = _settlement(order_id)
    return jsonify(settlement.to_json())


@operation(api, "/orders/<int:order_id>/statement.pdf", "GET",
           summary="Performance statement for one period as a PDF (?period=N)", tag="performance",
           query=[{"name": "period", "in": "query", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": PERIOD_MAX}}],
           content_type="application/pdf")
def statement_pdf(order_id):
    order, settlement = _settlement(order_id)
    fields: dict[str, str] = {}
    period = parse_period(request.args.get("period"), "period", fields, high=len(settlement.periods))
    if period is None:
        raise ValidationFailed("Choose a period of this order.", fields)
    response = make_response(render_statement(order, settlement, period))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{order.reference}-period-{period}.pdf"'
    return response


