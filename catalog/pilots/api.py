"""JSON API for pilot evidence (DESIGN section 7): record, verify, link, read and browse pilots."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from catalog.listings.models import CATEGORIES
from catalog.listings.queries import get_listing_or_404
from catalog.pilots import queries, services
from catalog.pilots.columns import PILOT_COLUMNS
from catalog.pilots.models import (
    DIRECTIONS,
    KPI_MAX,
    MAX_METRICS,
    METRIC_UNIT_MAX,
    OUTCOMES,
    PILOT_STATUSES,
    TEXT_LIMITS,
    Pilot,
    metric_results,
)
from catalog.pilots.permissions import can_record_pilot
from catalog.pilots.validation import FILTER_MAX, clean_library_filters
from consortium.context import current_consortium
from consortium.permissions import is_admin_here
from marketplace.api import (
    DATE,
    DATETIME,
    DECIMAL,
    ID,
    PAGE_PARAMS,
    POSITIVE_MONEY,
    created,
    operation,
    paginate_args,
    wants_csv,
)
from marketplace.csvexport import stream_scalars
from marketplace.errors import PermissionDenied
from marketplace.extensions import db

api = Blueprint("pilots_api", __name__, url_prefix="/api/v1")



def _text(name: str) -> dict:
    return {"type": "string", "maxLength": TEXT_LIMITS[name]}


# Dates and categories are checked by the validation too, whose messages read better than the schema
# validator's ("That date does not exist."). Lengths and list sizes are the model's limits.
_DATE_IN = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "example": "2026-01-31",
            "description": "ISO 8601 date (YYYY-MM-DD)."}
METRIC_IN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kpi", "direction", "baseline", "target"],
    "properties": {
        "kpi": {"type": "string", "maxLength": KPI_MAX, "example": "Parking occupancy detection accuracy"},
        "unit": {"type": "string", "maxLength": METRIC_UNIT_MAX, "example": "%"},
        "direction": {"type": "string", "enum": list(DIRECTIONS)},
        "baseline": DECIMAL,
        "target": DECIMAL,
        "result": {**DECIMAL, "type": ["string", "null"],
                   "description": "The measured result; omitted or null while not yet measured (the metric then "
                                  "counts towards no outcome)."},
    },
}
_OUTCOME_RULE = ("Derived from the metrics: every result reaches its target → met; some → partially_met; none → "
                 "not_met; no results → inconclusive.")
_PILOT_PROPS = {
    "title": _text("title"),
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "start_date": _DATE_IN,
    "end_date": _DATE_IN,
    "units": _text("units"),
    "area": _text("area"),
    "cost": {**POSITIVE_MONEY, "type": ["string", "null"]},
    "financing": _text("financing"),
    "metrics": {"type": "array", "maxItems": MAX_METRICS, "items": METRIC_IN,
                "description": f"1 to {MAX_METRICS} metrics, each KPI name different."},
    "outcome": {"type": "string", "enum": list(OUTCOMES),
                "description": f"Omit to take the derived outcome. {_OUTCOME_RULE} Another outcome needs a "
                               "justification."},
    "justification": {**_text("justification"), "type": ["string", "null"],
                      "description": "Why the stated outcome differs from the one the metrics give; required then, "
                                     "dropped when the outcome equals the derived one."},
    "lessons": _text("lessons"),
    "references": _text("references"),
}
_REQUIRED = ["title", "start_date", "end_date", "metrics"]
PILOT_OF_LISTING_IN = {
    "type": "object", "additionalProperties": False, "required": _REQUIRED, "properties": _PILOT_PROPS,
    "description": "A pilot of the listing in the path; its category is the listing's.",
}
PILOT_IN = {
    "type": "object", "additionalProperties": False, "required": _REQUIRED,
    "properties": {**_PILOT_PROPS, "listing_id": {**ID, "type": ["integer", "null"]},
                   "vendor_name": {**_text("vendor_name"), "type": ["string", "null"]}},
    "description": "Either listing_id (a published listing) or vendor_name and category (a vendor not on the "
                   "marketplace yet).",
}
LINK_IN = {"type": "object", "additionalProperties": False, "required": ["listing_id"],
           "properties": {"listing_id": ID}}
_PERSON = {"type": "object", "required": ["id", "name"], "properties": {"id": ID, "name": {"type": "string"}}}
PILOT_OUT = {
    "type": "object",
    "required": ["id", "status", "title", "listing_id", "vendor_name", "vendor", "host_member", "category",
                 "start_date", "end_date", "metrics", "outcome", "derived_outcome", "outcome_differs", "justification",
                 "proves_listing", "verified_at", "verified_by"],
    "properties": {
        "id": ID,
        "status": {"type": "string", "enum": list(PILOT_STATUSES)},
        "title": {"type": "string"},
        "listing_id": {"type": ["integer", "null"]},
        "vendor_name": {"type": ["string", "null"]},
        "vendor": {"type": "string", "description": "The listing's vendor, else the vendor named in text."},
        "host_member": _PERSON,
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "start_date": DATE,
        "end_date": DATE,
        "units": {"type": "string"},
        "area": {"type": "string"},
        "cost": {**POSITIVE_MONEY, "type": ["string", "null"]},
        "financing": {"type": "string"},
        "metrics": {"type": "array", "items": {
            "type": "object",
            "properties": {**METRIC_IN["properties"], "met": {"type": ["boolean", "null"],
                                                              "description": "null without a result"}},
        }},
        "outcome": {"type": "string", "enum": list(OUTCOMES), "description": "As stated by the recorder."},
        "derived_outcome": {"type": "string", "enum": list(OUTCOMES), "description": _OUTCOME_RULE},
        "outcome_differs": {"type": "boolean", "description": "The stated outcome is not the derived one."},
        "justification": {"type": ["string", "null"], "maxLength": TEXT_LIMITS["justification"],
                          "description": "The recorder's reason for stating another outcome than the derived one."},
        "proves_listing": {"type": "boolean",
                           "description": "Verified with a derived outcome of met: makes its listing proven."},
        "lessons": {"type": "string"},
        "references": {"type": "string"},
        "verified_at": {**DATETIME, "type": ["string", "null"]},
        "verified_by": {"oneOf": [_PERSON, {"type": "null"}]},
    },
}
LIBRARY_OUT = {
    "type": "object",
    "required": ["results", "total"],
    "properties": {"results": {"type": "array", "items": PILOT_OUT}, "total": {"type": "integer"},
                   "page": {"type": "integer"}, "per_page": {"type": "integer"}},
}
LIBRARY_PARAMS = [
    {"name": "q", "in": "query", "description": "Text contained in the title.",
     "schema": {"type": "string", "maxLength": FILTER_MAX}},
    {"name": "category", "in": "query", "schema": {"type": "string", "enum": list(CATEGORIES)}},
    {"name": "outcome", "in": "query", "description": "The derived outcome (what the metrics give).",
     "schema": {"type": "string", "enum": list(OUTCOMES)}},
    {"name": "host", "in": "query", "description": "Id of the host member.",
     "schema": ID},
    {"name": "kpi", "in": "query", "description": "Text contained in a KPI name.",
     "schema": {"type": "string", "maxLength": FILTER_MAX}},
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(PILOT_STATUSES)}},
    *PAGE_PARAMS,
]


def pilot_json(pilot: Pilot) -> dict:
    verifier = pilot.verified_by
    return {
        "id": pilot.id,
        "status": pilot.status,
        "title": pilot.title,
        "listing_id": pilot.listing_id,
        "vendor_name": pilot.vendor_name,
        "vendor": pilot.vendor_display,
        "host_member": {"id": pilot.host_member_id, "name": pilot.host_member.name},
        "category": pilot.category,
        "start_date": pilot.start_date.isoformat(),
        "end_date": pilot.end_date.isoformat(),
        "units": pilot.units,
        "area": pilot.area,
        "cost": str(pilot.cost) if pilot.cost is not None else None,
        "financing": pilot.financing,
        "metrics": [{**metric, "met": result.met}
                    for metric, result in zip(pilot.metrics, metric_results(pilot), strict=True)],
        "outcome": pilot.outcome,
        "derived_outcome": pilot.derived_outcome,
        "outcome_differs": pilot.outcome_differs,
        "justification": pilot.justification,
        "proves_listing": pilot.proves_listing,
        "lessons": pilot.lessons,
        "references": pilot.references,
        "verified_at": pilot.verified_at.isoformat() if pilot.verified_at else None,
        "verified_by": {"id": verifier.id, "name": verifier.name} if verifier else None,
    }


def _require_recorder() -> None:
    queries.require_participant(current_user)
    if not can_record_pilot(current_user, current_consortium()):
        raise PermissionDenied("Only buyers and approvers of member cities record pilots.")


@operation(api, "/pilots", "GET", summary="The pilot library, filtered and paginated", tag="pilots",
           response=LIBRARY_OUT, query=LIBRARY_PARAMS, csv=True)
def list_pilots():
    queries.require_participant(current_user)
    filters = clean_library_filters(request.args)
    page, per_page = paginate_args()
    if wants_csv():
        return PILOT_COLUMNS.response("pilots.csv", stream_scalars(queries.library_stmt(
            current_consortium().id, filters, see_all=is_admin_here(current_user),
            member_id=current_user.organization_id)))
    results, total = queries.library(
        current_consortium().id, filters, see_all=is_admin_here(current_user),
        member_id=current_user.organization_id, page=page, per_page=per_page,
    )
    return jsonify({"results": [pilot_json(p) for p in results], "total": total, "page": page,
                    "per_page": per_page})


@operation(api, "/pilots", "POST", summary="Record a pilot (of a listing, or naming a vendor not yet listed)",
           tag="pilots", body=PILOT_IN, response=PILOT_OUT, status=201)
def record_pilot(data: dict):
    _require_recorder()
    pilot = services.record_pilot(consortium=current_consortium(), data=data, actor=current_user)
    db.session.commit()
    return created(pilot_json(pilot))


@operation(api, "/listings/<int:listing_id>/pilots", "POST", summary="Record a pilot of a published listing",
           tag="pilots", body=PILOT_OF_LISTING_IN, response=PILOT_OUT, status=201)
def record_listing_pilot(listing_id: int, data: dict):
    queries.require_participant(current_user)
    listing = get_listing_or_404(listing_id, current_user)
    _require_recorder()
    pilot = services.record_pilot(consortium=current_consortium(), data={**data, "listing_id": listing.id},
                                actor=current_user)
    db.session.commit()
    return created(pilot_json(pilot))


@operation(api, "/pilots/<int:pilot_id>", "GET", summary="One pilot with its metrics", tag="pilots",
           response=PILOT_OUT)
def get_pilot(pilot_id: int):
    return jsonify(pilot_json(queries.get_pilot_or_404(pilot_id, current_user)))


@operation(api, "/pilots/<int:pilot_id>/verify", "POST", summary="Verify a recorded pilot (host approver or admin)",
           tag="pilots", response=PILOT_OUT)
def verify_pilot(pilot_id: int, data: dict):
    pilot = services.verify_pilot(queries.get_pilot_or_404(pilot_id, current_user), actor=current_user)
    db.session.commit()
    return jsonify(pilot_json(pilot))


@operation(api, "/pilots/<int:pilot_id>/link", "POST", summary="Link a pilot naming a vendor to its published listing",
           tag="pilots", body=LINK_IN, response=PILOT_OUT)
def link_pilot(pilot_id: int, data: dict):
    pilot = services.link_pilot(queries.get_pilot_or_404(pilot_id, current_user), listing_id=data["listing_id"],
                                actor=current_user)
    db.session.commit()
    return jsonify(pilot_json(pilot))
