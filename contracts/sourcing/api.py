"""JSON API for RFIs (DESIGN section 7): draft, publish, close, cancel; members' interest; vendors' responses
(each vendor sees only its own); converting into a pilot or a draft vehicle. Money travels as strings, times
as ISO 8601 in UTC."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from catalog.listings.models import PRICING_MODELS
from catalog.pilots.models import DIRECTIONS, KPI_MAX, MAX_METRICS, METRIC_UNIT_MAX, TEXT_LIMITS
from consortium.context import consortium_or_404
from contracts.sourcing import permissions as can
from contracts.sourcing import queries, services
from contracts.sourcing.models import (
    CONVERSIONS,
    INTEREST_NOTE_MAX,
    MAX_LINKED_NEEDS,
    MAX_QUANTITY,
    MOU_COMMENT_MAX,
    MOU_POINTS,
    MOU_TEXT_MAX,
    POSITIONS,
    RFI_STATUSES,
    RFI_TEXT_MAX,
    RFI_TITLE_MAX,
    SUMMARY_MAX,
    Interest,
    Rfi,
    RfiResponse,
)
from marketplace.api import DATE, ID, POSITIVE_MONEY, created, operation
from marketplace.categories import CATEGORIES
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT

api = Blueprint("sourcing_api", __name__, url_prefix="/api/v1")

_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_TEXT = {"type": "string"}
_MOMENT = {"type": ["string", "null"]}
DUE = {"type": "string", "example": "2027-03-31",
       "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$",
       "x-error": "Enter a date (YYYY-MM-DD: the end of that day in the consortium's time zone) or a date and time.",
       "description": "A date (responses are due by the end of that day in the consortium's time zone) or a date "
                      "and time (without an offset: in the consortium's time zone); in the future"}
MOU_IN = {"type": "object", "additionalProperties": False, "required": list(MOU_POINTS),
          "properties": {p: {"type": "string", "minLength": 1, "maxLength": MOU_TEXT_MAX, "description": label}
                         for p, label in MOU_POINTS.items()}}
RFI_IN = {
    "type": "object", "additionalProperties": False,
    "required": ["title", "problem", "outcomes", "category", "responses_due", "mou_outline"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": RFI_TITLE_MAX},
        "problem": {"type": "string", "minLength": 1, "maxLength": RFI_TEXT_MAX},
        "outcomes": {"type": "string", "minLength": 1, "maxLength": RFI_TEXT_MAX, "description": "Outcomes sought"},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "responses_due": DUE,
        "need_ids": {"type": "array", "maxItems": MAX_LINKED_NEEDS, "items": ID,
                     "description": "Selected needs of your member (of any member, for the office)"},
        "mou_outline": MOU_IN,
    },
}
REASON_IN = {"type": "object", "additionalProperties": False,
             "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
INTEREST_IN = {
    "type": "object", "additionalProperties": False, "required": ["indicative_quantity", "indicative_budget"],
    "properties": {"indicative_quantity": {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
                   "indicative_budget": POSITIVE_MONEY,
                   "note": {"type": "string", "maxLength": INTEREST_NOTE_MAX}},
}
POSITION_IN = {"type": "object", "additionalProperties": False, "required": ["position"],
               "properties": {"position": {"type": "string", "enum": list(POSITIONS)},
                              "comment": {"type": "string", "maxLength": MOU_COMMENT_MAX,
                                          "description": "Required with position comment"}}}
RESPONSE_IN = {
    "type": "object", "additionalProperties": False,
    "required": ["summary", "pricing_models", "indicative_price", "mou"],
    "properties": {
        "summary": {"type": "string", "minLength": 1, "maxLength": SUMMARY_MAX},
        "listing_id": {**ID, "description": "One of your published listings"},
        "pricing_models": {"type": "array", "minItems": 1, "maxItems": len(PRICING_MODELS), "uniqueItems": True,
                           "items": {"type": "string", "enum": list(PRICING_MODELS)}},
        "indicative_price": POSITIVE_MONEY,
        "mou": {"type": "object", "additionalProperties": False, "required": list(MOU_POINTS),
                "properties": {p: POSITION_IN for p in MOU_POINTS}},
    },
}
METRIC_IN = {"type": "object", "additionalProperties": False, "required": ["kpi", "direction", "baseline", "target"],
             "properties": {"kpi": {"type": "string", "minLength": 1, "maxLength": KPI_MAX},
                            "unit": {"type": "string", "maxLength": METRIC_UNIT_MAX},
                            "direction": {"type": "string", "enum": list(DIRECTIONS)},
                            "baseline": {"type": "string", "pattern": r"^-?\d{1,15}(\.\d{1,10})?$"},
                            "target": {"type": "string", "pattern": r"^-?\d{1,15}(\.\d{1,10})?$"}}}
CONVERT_IN = {
    "type": "object", "additionalProperties": False, "required": ["response_id", "into"],
    "properties": {
        "response_id": ID,
        "into": {"type": "string", "enum": list(CONVERSIONS)},
        "pilot": {"type": "object", "additionalProperties": False,
                  "description": "into pilot: the host's dates (default today, six months on) and the metrics it "
                                 "will measure (at least one; results come later)",
                  "properties": {"title": {"type": "string", "minLength": 1, "maxLength": TEXT_LIMITS["title"]},
                                 "start_date": DATE, "end_date": DATE,
                                 "units": {"type": "string", "maxLength": TEXT_LIMITS["units"]},
                                 "area": {"type": "string", "maxLength": TEXT_LIMITS["area"]},
                                 "metrics": {"type": "array", "minItems": 1, "maxItems": MAX_METRICS,
                                             "items": METRIC_IN}}},
        "lead_agency_id": {**ID, "description": "into vehicle, for an RFI of the office: the leading member city"},
    },
    "allOf": [{"if": {"properties": {"into": {"const": "pilot"}}, "required": ["into"]},
               "then": {"required": ["pilot"]}}],
}
POSITION_OUT = {"type": "object", "properties": {"position": {"type": ["string", "null"]}, "comment": _TEXT}}
RESPONSE_OUT = {
    "type": "object", "required": ["id", "rfi_id", "vendor_id", "summary", "indicative_price", "mou"],
    "properties": {"id": ID, "rfi_id": ID, "vendor_id": ID, "vendor": _TEXT, "summary": _TEXT,
                   "listing_id": {"type": ["integer", "null"]}, "pricing_models": {"type": "array", "items": _TEXT},
                   "indicative_price": _MONEY_OUT, "mou": {"type": "object", "additionalProperties": POSITION_OUT},
                   "created_at": _TEXT, "updated_at": _TEXT, "replaced": {"type": "boolean"}},
}
INTEREST_OUT = {"type": "object", "required": ["member_id", "indicative_quantity", "indicative_budget"],
                "properties": {"id": ID, "member_id": ID, "member": _TEXT, "indicative_quantity": {"type": "integer"},
                               "indicative_budget": _MONEY_OUT, "note": _TEXT, "updated_at": _TEXT,
                               "replaced": {"type": "boolean"}}}
RFI_OUT = {
    "type": "object",
    "required": ["id", "issuer_id", "title", "category", "responses_due", "status", "mou_outline", "interest",
                 "pooled", "responses"],
    "properties": {
        "id": ID, "reference": _TEXT, "issuer_id": ID, "issuer": _TEXT, "title": _TEXT, "problem": _TEXT,
        "outcomes": _TEXT, "category": {"type": "string", "enum": list(CATEGORIES)}, "responses_due": _TEXT,
        "status": {"type": "string", "enum": list(RFI_STATUSES)},
        "mou_outline": {"type": "object", "additionalProperties": _TEXT}, "need_ids": {"type": "array", "items": ID},
        "published_at": _MOMENT, "closed_at": _MOMENT,
        "interest": {"type": "array", "items": INTEREST_OUT},
        "pooled": {"type": "object", "properties": {"members": {"type": "integer"}, "quantity": {"type": "integer"},
                                                    "budget": _MONEY_OUT}},
        "responses": {"type": "array", "items": RESPONSE_OUT,
                      "description": "All of them for the issuer and the office; a vendor's own only, for a vendor"},
        "response_count": {"type": "integer", "description": "For the issuer and the office"},
        "conversion": {"type": ["object", "null"], "properties": {
            "into": {"type": "string", "enum": list(CONVERSIONS)}, "response_id": ID,
            "pilot_id": {"type": ["integer", "null"]}, "vehicle_id": {"type": ["integer", "null"]},
            "expected_participants": {"type": "array", "items": {"type": "object"}}}},
    },
}


def _iso(value):
    return value.isoformat() if value is not None else None


def response_json(response: RfiResponse) -> dict:
    return {"id": response.id, "rfi_id": response.rfi_id, "vendor_id": response.vendor_id,
            "vendor": response.vendor.name, "summary": response.summary, "listing_id": response.listing_id,
            "pricing_models": response.pricing_models, "indicative_price": f"{response.indicative_price:.2f}",
            "mou": response.mou, "created_at": _iso(response.created_at), "updated_at": _iso(response.updated_at)}


def interest_json(interest: Interest) -> dict:
    return {"id": interest.id, "member_id": interest.member_id, "member": interest.member.name,
            "indicative_quantity": interest.indicative_quantity,
            "indicative_budget": f"{interest.indicative_budget:.2f}", "note": interest.note or "",
            "updated_at": _iso(interest.updated_at)}


def rfi_json(rfi: Rfi) -> dict:
    pooled = queries.pooled_demand(rfi)
    conversion = rfi.conversion
    data = {
        "id": rfi.id, "reference": rfi.reference, "issuer_id": rfi.issuer_id, "issuer": rfi.issuer.name,
        "title": rfi.title, "problem": rfi.problem, "outcomes": rfi.outcomes, "category": rfi.category,
        "responses_due": _iso(rfi.responses_due), "status": rfi.status, "mou_outline": rfi.mou_outline,
        "need_ids": [n.id for n in rfi.needs], "published_at": _iso(rfi.published_at),
        "closed_at": _iso(rfi.closed_at), "interest": [interest_json(i) for i in rfi.interests],
        "pooled": {"members": pooled.members, "quantity": pooled.quantity, "budget": f"{pooled.budget:.2f}"},
        "responses": [response_json(r) for r in queries.visible_responses(rfi, current_user)],
        "conversion": None if conversion is None else {
            "into": conversion.converted_into, "response_id": conversion.response_id,
            "pilot_id": conversion.pilot_id, "vehicle_id": conversion.vehicle_id,
            "expected_participants": conversion.expected_participants},
    }
    if can.can_view_responses(current_user, rfi):
        data["response_count"] = queries.response_count(rfi)
    return data


@operation(api, "/rfis", "POST", summary="Draft an RFI with an MOU outline (a member's approver, or the office)",
           tag="sourcing", body=RFI_IN, response=RFI_OUT, status=201)
def create_rfi(data):
    rfi = services.create_rfi(consortium_or_404(), data, actor=current_user)
    db.session.commit()
    return created(rfi_json(rfi))


@operation(api, "/rfis/<int:rfi_id>", "GET", summary="An RFI with the pooled interest, and the responses you may "
           "see", tag="sourcing", response=RFI_OUT)
def get_rfi(rfi_id):
    return jsonify(rfi_json(queries.get_rfi_or_404(rfi_id)))


def _step(rfi_id, action, **kwargs):
    rfi = action(queries.get_rfi_or_404(rfi_id), actor=current_user, **kwargs)
    db.session.commit()
    return jsonify(rfi_json(rfi))


@operation(api, "/rfis/<int:rfi_id>/publish", "POST", summary="Open the RFI for responses: the vendors of its "
           "category are told; its needs move to sourcing", tag="sourcing", response=RFI_OUT)
def publish_rfi(rfi_id, data):
    return _step(rfi_id, services.publish_rfi)


@operation(api, "/rfis/<int:rfi_id>/close", "POST", summary="Close the RFI: no more responses or interest",
           tag="sourcing", response=RFI_OUT)
def close_rfi(rfi_id, data):
    return _step(rfi_id, services.close_rfi)


@operation(api, "/rfis/<int:rfi_id>/cancel", "POST", summary="Cancel a draft or open RFI (its needs go back to "
           "selected)", tag="sourcing", body=REASON_IN, response=RFI_OUT)
def cancel_rfi(rfi_id, data):
    return _step(rfi_id, services.cancel_rfi, reason=data.get("reason"))


@operation(api, "/rfis/<int:rfi_id>/interest", "POST", summary="Register (or update) your member's interest in an "
           "open RFI (one per member; `replaced` says it updated an earlier one)", tag="sourcing", body=INTEREST_IN,
           response=INTEREST_OUT, status=201)
def register_interest(rfi_id, data):
    saved = services.register_interest(queries.get_rfi_or_404(rfi_id), data, actor=current_user)
    db.session.commit()
    return created({**interest_json(saved.obj), "replaced": not saved.created})


@operation(api, "/rfis/<int:rfi_id>/responses", "POST", summary="Respond to an open RFI before it is due (409 when "
           "late); one response per vendor: a later one replaces it (`replaced`)", tag="sourcing",
           body=RESPONSE_IN, response=RESPONSE_OUT, status=201)
def submit_response(rfi_id, data):
    saved = services.submit_response(queries.get_rfi_or_404(rfi_id), data, actor=current_user)
    db.session.commit()
    return created({**response_json(saved.obj), "replaced": not saved.created})


@operation(api, "/rfis/<int:rfi_id>/convert", "POST", summary="Convert a closed RFI from a chosen response into a "
           "recorded pilot hosted by the issuer (its approver) or a draft vehicle led by it (the office)",
           tag="sourcing", body=CONVERT_IN, response=RFI_OUT)
def convert_rfi(rfi_id, data):
    return _step(rfi_id, services.convert_rfi, data=data)
