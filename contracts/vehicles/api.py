"""JSON API for cooperative contract vehicles and participating addenda (DESIGN section 7).

The request schemas read their limits from `contracts.vehicles.models`, like the forms and the
validation; a refused lifecycle step answers 409 with the kernel's sentence (what happened, who, when).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from consortium.context import belongs, consortium_or_404
from contracts.vehicles import documents, queries
from contracts.vehicles import permissions as permissions
from contracts.vehicles import services as vehicles
from contracts.vehicles.columns import (
    MONEY_OUT,
    ORG_OUT,
    PARTICIPATION_COLUMNS,
    PARTICIPATION_IN,
    PARTICIPATION_OUT,
    VEHICLE_COLUMNS,
    money_text,
    org_json,
    participation_json,
)
from contracts.vehicles.models import (
    ADMIN_FEE_MAX,
    ADMIN_FEE_PLACES,
    AWARDS_MAX,
    LISTINGS_MAX,
    NOTES_MAX,
    NUMBER_MAX,
    PARTICIPATION_LABELS,
    RENEWAL_MONTHS_MAX,
    RENEWALS_MAX,
    SCHEDULE_MAX,
    STATUS_LABELS,
    TITLE_MAX,
    Participation,
    Vehicle,
)
from marketplace.api import (
    DATE,
    DATETIME,
    ID,
    PAGE_PARAMS,
    POSITIVE_MONEY,
    created,
    operation,
    paginate_args,
    wants_csv,
)
from marketplace.csvexport import stream_scalars
from marketplace.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT

api = Blueprint("vehicles_api", __name__, url_prefix="/api/v1")

SCHEDULE_LINE_IN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["price_item_id", "contract_price"],
    "properties": {"price_item_id": ID, "contract_price": POSITIVE_MONEY},
}
RENEWAL_IN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["count"],
    "properties": {
        "count": {"type": "integer", "minimum": 0, "maximum": RENEWALS_MAX},
        "months": {"type": "integer", "minimum": 0, "maximum": RENEWAL_MONTHS_MAX,
                   "description": f"Length of each renewal in calendar months (1-{RENEWAL_MONTHS_MAX} when "
                                  "count > 0)."},
    },
}
ADMIN_FEE = {"type": "string", "pattern": rf"^\d{{1,3}}(\.\d{{1,{ADMIN_FEE_PLACES}}})?$", "example": "1.5",
             "description": f"0 to {ADMIN_FEE_MAX}; default: the consortium's admin fee."}
_AWARD_PROPS = {
    "vendor_id": {**ID, "description": "An approved supplier of the consortium."},
    "listing_ids": {"type": "array", "maxItems": LISTINGS_MAX, "items": ID,
                    "description": "Published listings of the vendor in this consortium."},
    "price_schedule": {"type": "array", "maxItems": SCHEDULE_MAX, "items": SCHEDULE_LINE_IN,
                       "description": "Price items of the covered listings; contract price at most the list price."},
}
AWARD_IN = {"type": "object", "additionalProperties": False, "required": ["vendor_id"], "properties": _AWARD_PROPS,
            "description": "One awarded vendor, each vendor at most once per vehicle. Without price_schedule on a "
                           "PATCH, the vendor's current lines on the listings still covered are kept."}
_VEHICLE_PROPS = {
    "number": {"type": "string", "maxLength": NUMBER_MAX, "example": "GPSR-2026-003"},
    "title": {"type": "string", "maxLength": TITLE_MAX},
    "lead_agency_id": {**ID, "description": "A member city of the consortium."},
    "awards": {"type": "array", "minItems": 1, "maxItems": AWARDS_MAX, "items": AWARD_IN,
               "description": "The awarded vendors, each with its covered listings and price schedule. The ceiling "
                              "is shared by all of them. Give either awards or vendor_id (with listing_ids and "
                              "price_schedule), not both."},
    **{name: {**schema, "description": schema["description"] + " Single-vendor shape: one award."}
       for name, schema in _AWARD_PROPS.items()},
    "start_date": DATE,
    "end_date": DATE,
    "renewal_options": RENEWAL_IN,
    "ceiling": {**POSITIVE_MONEY, "description": "Not-to-exceed across all members, more than zero."},
    "admin_fee_pct": ADMIN_FEE,
    "notes": {"type": "string", "maxLength": NOTES_MAX},
}
VEHICLE_IN = {"type": "object", "additionalProperties": False,
              "required": ["number", "title", "lead_agency_id", "start_date", "end_date", "ceiling"],
              "properties": _VEHICLE_PROPS,
              "description": "The vendors as awards, or (one vendor) as vendor_id, listing_ids and price_schedule: "
                             "one of the two is required."}
VEHICLE_PATCH = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": _VEHICLE_PROPS,
                 "description": "Draft vehicles only. Absent fields keep their values; when listing_ids changes "
                                "without price_schedule, lines of listings no longer covered are dropped."}
REASON_IN = {"type": "object", "additionalProperties": False,
             "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
AMENDMENT_IN = {
    "type": "object", "additionalProperties": False, "required": ["items"],
    "properties": {"items": {"type": "array", "minItems": 1, "maxItems": SCHEDULE_MAX, "items": SCHEDULE_LINE_IN}},
    "description": "New contract prices for lines of an active vehicle's schedule: each more than zero and at "
                   "most the item's current list price.",
}
REASON_REQUIRED_IN = {**REASON_IN, "required": ["reason"]}
SCHEDULE_LINE_OUT = {
    "type": "object",
    "properties": {
        "vendor_id": ID,
        "price_item_id": ID, "listing_id": ID, "listing_title": {"type": ["string", "null"]},
        "name": {"type": "string"}, "unit": {"type": "string"},
        "list_price": {"type": "string"}, "contract_price": {"type": "string"},
        "discount": {"type": "string", "description": "List price minus contract price."},
        "discount_pct": {"type": "string", "description": "Discount as a percentage of the list price."},
    },
}
AWARD_OUT = {
    "type": "object", "required": ["id", "vendor", "listing_ids", "price_schedule"],
    "properties": {
        "id": ID, "vendor": ORG_OUT, "listing_ids": {"type": "array", "items": ID},
        "listings": {"type": "array", "items": {"type": "object", "properties": {
            "id": ID, "title": {"type": "string"}, "status": {"type": "string"}}}},
        "price_schedule": {"type": "array", "items": SCHEDULE_LINE_OUT},
    },
}
VEHICLE_OUT = {
    "type": "object",
    "required": ["id", "number", "title", "status", "lead_agency", "awards", "vendor", "listing_ids", "price_schedule",
                 "start_date", "end_date", "renewal_options", "admin_fee_pct", "ceiling", "committed", "remaining",
                 "participants"],
    "properties": {
        "id": ID,
        "number": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUS_LABELS),
                   "description": "Effective status: an active vehicle past its end date is expired."},
        "status_reason": {"type": ["string", "null"]},
        "lead_agency": ORG_OUT,
        "awards": {"type": "array", "items": AWARD_OUT},
        "vendor": {"oneOf": [ORG_OUT, {"type": "null"}],
                   "description": "The vendor of a single-award vehicle; null when it awards several (see awards)."},
        "listing_ids": {"type": "array", "items": ID, "description": "Every award's covered listings."},
        "listings": {"type": "array", "items": {"type": "object", "properties": {
            "id": ID, "title": {"type": "string"}, "status": {"type": "string"}}}},
        "price_schedule": {"type": "array", "items": SCHEDULE_LINE_OUT,
                           "description": "Every award's lines (each names its vendor_id)."},
        "start_date": DATE,
        "end_date": DATE,
        "renewal_options": {"type": "object", "properties": {
            "count": {"type": "integer"}, "months": {"type": "integer"}, "exercised": {"type": "integer"},
            "remaining": {"type": "integer"}}},
        "admin_fee_pct": {"type": "string"},
        "notes": {"type": "string"},
        "ceiling": {**MONEY_OUT, "description": "Only for the consortium office and participants; else null."},
        "committed": {**MONEY_OUT, "description": "Only for the consortium office and participants; else null."},
        "remaining": {**MONEY_OUT, "description": "Only for the consortium office and participants; else null."},
        "participants": {"type": "array", "items": {"type": "object", "properties": {
            "member": ORG_OUT, "role": {"type": "string", "enum": ["lead_agency", "participant"]},
            "since": {"type": ["string", "null"]}}}},
        "activated_at": {"oneOf": [DATETIME, {"type": "null"}]},
        "terminated_at": {"oneOf": [DATETIME, {"type": "null"}]},
        "viewer": {"type": "object", "description": "For member staff: their city's standing on this vehicle.",
                   "properties": {"can_buy_under": {"type": "boolean"},
                                  "participation": {"oneOf": [PARTICIPATION_OUT, {"type": "null"}]}}},
    },
}
LIST_OUT = {"type": "object", "required": ["results", "total"], "properties": {
    "results": {"type": "array", "items": VEHICLE_OUT}, "total": {"type": "integer"},
    "page": {"type": "integer"}, "per_page": {"type": "integer"}}}
PARTICIPATIONS_OUT = {"type": "object", "required": ["results"], "properties": {
    "results": {"type": "array", "items": PARTICIPATION_OUT}}}
STATUS_PARAM = {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUS_LABELS)}}


def vehicle_json(vehicle: Vehicle, *, see_money: bool, member_id: int | None = None,
                 can_buy: bool = False, mine: Participation | None = None) -> dict:
    """A vehicle as the viewer may see it: money figures only for the office and participants."""
    schedule = [{
        "vendor_id": row["vendor"].id,
        "price_item_id": row["price_item"].id,
        "listing_id": row["price_item"].listing_id,
        "listing_title": row["listing"].title if row["listing"] else None,
        "name": row["price_item"].name,
        "unit": row["price_item"].unit,
        "list_price": str(row["list_price"]),
        "contract_price": str(row["contract_price"]),
        "discount": str(row["discount"]),
        "discount_pct": str(row["discount_pct"]),
    } for row in queries.schedule_rows(vehicle)]
    participants = [{"member": org_json(vehicle.lead_agency), "role": "lead_agency", "since": None}]
    participants += [{"member": org_json(p.member), "role": "participant", "since": p.decided_at.date().isoformat()}
                     for p in vehicle.participations if p.status == "executed"]
    data = {
        "id": vehicle.id,
        "number": vehicle.number,
        "title": vehicle.title,
        "status": vehicle.effective_status(),
        "status_reason": vehicle.status_reason,
        "lead_agency": org_json(vehicle.lead_agency),
        "awards": [{
            "id": award.id, "vendor": org_json(award.vendor), "listing_ids": [x.id for x in award.listings],
            "listings": [{"id": x.id, "title": x.title, "status": x.status} for x in award.listings],
            "price_schedule": [line for line in schedule if line["vendor_id"] == award.vendor_id],
        } for award in vehicle.awards],
        "vendor": org_json(vehicle.awards[0].vendor) if len(vehicle.awards) == 1 else None,
        "listing_ids": [x.id for x in vehicle.listings],
        "listings": [{"id": x.id, "title": x.title, "status": x.status} for x in vehicle.listings],
        "price_schedule": schedule,
        "start_date": vehicle.start_date.isoformat(),
        "end_date": vehicle.end_date.isoformat(),
        "renewal_options": {"count": vehicle.renewal_count, "months": vehicle.renewal_months,
                            "exercised": vehicle.renewals_exercised, "remaining": vehicle.renewals_left},
        "admin_fee_pct": str(vehicle.admin_fee_pct),
        "notes": vehicle.notes or "",
        "ceiling": money_text(vehicle.ceiling) if see_money else None,
        "committed": money_text(vehicle.committed) if see_money else None,
        "remaining": money_text(vehicle.remaining) if see_money else None,
        "participants": participants,
        "activated_at": vehicle.activated_at.isoformat() if vehicle.activated_at else None,
        "terminated_at": vehicle.terminated_at.isoformat() if vehicle.terminated_at else None,
    }
    if member_id:
        data["viewer"] = {"can_buy_under": can_buy, "participation": participation_json(mine) if mine else None}
    return data


def _participant_or_404() -> None:
    consortium_or_404()
    if not belongs(current_user):
        raise NotFound("Not found.")


def _visible_vehicle(vehicle_id: int, *, detail: bool = True) -> Vehicle:
    consortium_or_404()
    return queries.visible_vehicle_or_404(vehicle_id, current_user, detail=detail)


def _visible_participation(participation_id: int) -> Participation:
    _participant_or_404()
    return queries.visible_participation_or_404(participation_id, current_user)


def _vehicle_response(vehicle: Vehicle, status: int = 200):
    """The vehicle (loaded with its details) as the caller may see it."""
    member_id = queries.viewer_member_id(current_user)
    payload = vehicle_json(vehicle, see_money=permissions.can_see_commitments(current_user, vehicle),
                           member_id=member_id, can_buy=queries.is_buyer_of(member_id, vehicle),
                           mine=queries.latest_participation_of(vehicle, member_id))
    return created(payload, status)


def _changed_vehicle_response(vehicle: Vehicle, status: int = 200):
    """After a change: the vehicle read again with its details."""
    return _vehicle_response(queries.get_vehicle_or_404(vehicle.id, detail=True), status)


@operation(api, "/vehicles", "GET", summary="Contract vehicles of the consortium visible to the caller",
           tag="vehicles", auth=False, query=[STATUS_PARAM, *PAGE_PARAMS], response=LIST_OUT, csv=True)
def list_vehicles():
    consortium_or_404()
    page, per_page = paginate_args()
    status = request.args.get("status")
    if status and status not in STATUS_LABELS:
        raise ValidationFailed("Invalid filter.", {"status": "Use one of: " + ", ".join(STATUS_LABELS) + "."})
    stmt = queries.vehicles_listed_for(current_user, status=status)
    if wants_csv():
        return VEHICLE_COLUMNS.response("vehicles.csv", stream_scalars(stmt.options(*queries.SUMMARY_OPTIONS)))
    total = queries.count(stmt)
    items = list(db.session.scalars(
        stmt.options(*queries.DETAIL_OPTIONS).limit(per_page).offset((page - 1) * per_page)))
    member_id = queries.viewer_member_id(current_user)
    ids = [v.id for v in items]
    buyable = queries.buyer_vehicle_ids(member_id, ids)
    mine = queries.latest_participations(member_id, ids)
    participant_ids = queries.participant_vehicle_ids(member_id, ids)
    results = [vehicle_json(v, see_money=permissions.can_see_commitments(current_user, v, v.id in participant_ids),
                            member_id=member_id, can_buy=v.id in buyable, mine=mine.get(v.id)) for v in items]
    return jsonify({"results": results, "total": total, "page": page, "per_page": per_page})


@operation(api, "/vehicles", "POST", summary="Draft a contract vehicle (consortium admins)", tag="vehicles",
           body=VEHICLE_IN, response=VEHICLE_OUT, status=201)
def create_vehicle(data):
    consortium = consortium_or_404()
    _participant_or_404()
    if not permissions.can_create_vehicle(current_user, consortium):
        raise PermissionDenied("Only the consortium office creates vehicles.")
    vehicle = vehicles.create_vehicle(consortium=consortium, data=data, actor=current_user)
    db.session.commit()
    return _changed_vehicle_response(vehicle, 201)


@operation(api, "/vehicles/<int:vehicle_id>", "GET", summary="One contract vehicle with its price schedule",
           tag="vehicles", auth=False, response=VEHICLE_OUT)
def get_vehicle(vehicle_id):
    return _vehicle_response(_visible_vehicle(vehicle_id))


def _managed_vehicle(vehicle_id: int, allowed) -> Vehicle:
    vehicle = _visible_vehicle(vehicle_id)
    if not belongs(current_user):
        raise NotFound("Not found.")  # an active vehicle is public, but strangers cannot act on it
    if not allowed(current_user, vehicle):
        raise PermissionDenied(vehicles.OFFICE_ONLY)
    return vehicle


@operation(api, "/vehicles/<int:vehicle_id>", "PATCH", summary="Edit a draft vehicle (consortium admins)",
           tag="vehicles", body=VEHICLE_PATCH, response=VEHICLE_OUT)
def patch_vehicle(vehicle_id, data):
    vehicle = _managed_vehicle(vehicle_id, permissions.can_edit_vehicle)
    vehicles.update_vehicle(vehicle, data, actor=current_user, partial=True)
    db.session.commit()
    return _changed_vehicle_response(vehicle)


def _lifecycle_op(rule: str, name: str, summary: str, step: str, action, body: dict | None = None,
                  with_reason=False):
    def view(vehicle_id, data):
        vehicle = _managed_vehicle(vehicle_id, vehicles.VEHICLE_LIFECYCLE[step].allowed)
        action(vehicle, actor=current_user, **({"reason": data.get("reason")} if with_reason else {}))
        db.session.commit()
        return _changed_vehicle_response(vehicle)

    view.__name__ = name
    return operation(api, rule, "POST", summary=summary, tag="vehicles", body=body, response=VEHICLE_OUT)(view)


_lifecycle_op("/vehicles/<int:vehicle_id>/activate", "activate_vehicle",
              "Activate a complete, consistent draft (consortium admins)", "activate", vehicles.activate_vehicle)
_lifecycle_op("/vehicles/<int:vehicle_id>/renew", "renew_vehicle",
              "Exercise a renewal option before expiry: the end date moves by the option's months", "renew",
              vehicles.renew_vehicle)
_lifecycle_op("/vehicles/<int:vehicle_id>/terminate", "terminate_vehicle",
              "Terminate an active vehicle, with the reason (consortium admins)", "terminate",
              vehicles.terminate_vehicle,
              body=REASON_REQUIRED_IN, with_reason=True)


@operation(api, "/vehicles/<int:vehicle_id>/price-schedule", "POST",
           summary="Amend an active vehicle's contract prices, at most the current list prices (consortium admins)",
           tag="vehicles", body=AMENDMENT_IN, response=VEHICLE_OUT)
def amend_price_schedule(vehicle_id, data):
    vehicle = _managed_vehicle(vehicle_id, permissions.can_amend_price_schedule)
    vehicles.amend_price_schedule(vehicle, data, actor=current_user)
    db.session.commit()
    return _changed_vehicle_response(vehicle)


@operation(api, "/vehicles/<int:vehicle_id>/participations", "POST",
           summary="Request to join an active vehicle (a member's approver)", tag="participation",
           body=PARTICIPATION_IN, response=PARTICIPATION_OUT, status=201)
def request_participation(vehicle_id, data):
    vehicle = _visible_vehicle(vehicle_id, detail=False)
    _participant_or_404()
    if not permissions.can_request_participation(current_user, vehicle):
        raise PermissionDenied(vehicles.APPROVERS_JOIN)
    participation = vehicles.request_participation(vehicle, data, actor=current_user)
    db.session.commit()
    return created(participation_json(participation))


@operation(api, "/participations", "GET",
           summary="Participation: every request for admins, the caller's city's for member staff",
           tag="participation", query=[{"name": "status", "in": "query", "schema": {
               "type": "string", "enum": ["requested", "executed", "declined"]}}], response=PARTICIPATIONS_OUT,
           csv=True)
def list_participations():
    _participant_or_404()
    if not permissions.can_list_participations(current_user):
        raise PermissionDenied("Participation is visible to member cities and the consortium office.")
    status = request.args.get("status")
    if status and status not in PARTICIPATION_LABELS:
        raise ValidationFailed("Invalid filter.", {"status": "Use requested, executed or declined."})
    stmt = queries.participations_stmt(current_user, status)
    if wants_csv():
        return PARTICIPATION_COLUMNS.response("participations.csv", stream_scalars(stmt))
    return jsonify({"results": [participation_json(p) for p in db.session.scalars(stmt.limit(500))]})


@operation(api, "/participations/<int:participation_id>", "GET", summary="One participation (participating addendum)",
           tag="participation", response=PARTICIPATION_OUT)
def get_participation(participation_id):
    return jsonify(participation_json(_visible_participation(participation_id)))


def _decision_op(rule: str, name: str, summary: str, step: str, action, body: dict):
    def view(participation_id, data):
        participation = _visible_participation(participation_id)
        if not vehicles.PARTICIPATION_LIFECYCLE[step].allowed(current_user, participation):
            raise PermissionDenied(vehicles.OFFICE_DECIDES)
        action(participation, actor=current_user, reason=data.get("reason"))
        db.session.commit()
        return jsonify(participation_json(participation))

    view.__name__ = name
    return operation(api, rule, "POST", summary=summary, tag="participation", body=body,
                     response=PARTICIPATION_OUT)(view)


_decision_op("/participations/<int:participation_id>/decline", "decline_participation",
             "Decline a request to join, with the reason the member sees (consortium admins)",
             "decline", vehicles.decline_participation, REASON_REQUIRED_IN)


@operation(api, "/participations/<int:participation_id>/addendum.pdf", "GET",
           summary="The executed participating addendum as a PDF (the member and the consortium office)",
           tag="participation", content_type="application/pdf")
def addendum(participation_id):
    participation = _visible_participation(participation_id)
    pdf = documents.render_addendum(participation)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{documents.addendum_filename(participation)}"'})
