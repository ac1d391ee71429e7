"""The CSV columns of a vehicle and of a participation, declared once for the pages' exports and the API's
CSV answers. A vehicle's money (ceiling, commitments) is for the office and participants only, so the vehicle
list's columns carry none; a participation's figures are its member's and the office's, who alone list it.
A participation's JSON shape lives here too: the vehicles API and the signing API both answer with it."""

from __future__ import annotations

from contracts.vehicles.models import SPECIAL_TERMS_MAX, Participation
from marketplace.api import DATETIME, ID, POSITIVE_MONEY
from marketplace.csvexport import Columns

VEHICLE_COLUMNS = Columns(
    ("id", lambda v: v.id),
    ("number", lambda v: v.number),
    ("title", lambda v: v.title),
    ("status", lambda v: v.effective_status()),
    ("lead_agency", lambda v: v.lead_agency.name),
    ("vendors", lambda v: "; ".join(award.vendor.name for award in v.awards)),
    ("start_date", lambda v: v.start_date),
    ("end_date", lambda v: v.end_date),
    ("renewals_left", lambda v: v.renewals_left),
    ("admin_fee_pct", lambda v: v.admin_fee_pct),
)

PARTICIPATION_COLUMNS = Columns(
    ("id", lambda p: p.id),
    ("vehicle", lambda p: p.vehicle.number),
    ("vehicle_title", lambda p: p.vehicle.title),
    ("member", lambda p: p.member.name),
    ("status", lambda p: p.status),
    ("member_not_to_exceed", lambda p: p.member_not_to_exceed),
    ("committed", lambda p: p.committed),
    ("remaining", lambda p: p.remaining),
    ("requested_by", lambda p: p.requested_by.name),
    ("requested_at", lambda p: p.created_at),
    ("decided_by", lambda p: p.decided_by.name if p.decided_by else None),
    ("decided_at", lambda p: p.decided_at),
)

MONEY_OUT = {"type": ["string", "null"], "example": "1000.00"}
ORG_OUT = {"type": "object", "required": ["id", "name"], "properties": {"id": ID, "name": {"type": "string"}}}
PARTICIPATION_IN = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "member_not_to_exceed": {**POSITIVE_MONEY, "type": ["string", "null"],
                                 "description": "Optional cap on this member's orders; at most the ceiling."},
        "special_terms": {"type": "string", "maxLength": SPECIAL_TERMS_MAX},
    },
}
PARTICIPATION_OUT = {
    "type": "object",
    "required": ["id", "status", "vehicle", "member", "member_not_to_exceed", "special_terms"],
    "properties": {
        "id": ID,
        "status": {"type": "string", "enum": ["requested", "executed", "declined"]},
        "vehicle": {"type": "object", "properties": {"id": ID, "number": {"type": "string"},
                                                     "title": {"type": "string"}, "status": {"type": "string"}}},
        "member": ORG_OUT,
        "member_not_to_exceed": MONEY_OUT,
        "special_terms": {"type": "string"},
        "committed": {"type": "string"},
        "remaining": MONEY_OUT,
        "requested_by": ORG_OUT,
        "requested_at": DATETIME,
        "decided_by": {"oneOf": [ORG_OUT, {"type": "null"}]},
        "decided_at": {"oneOf": [DATETIME, {"type": "null"}]},
        "decision_reason": {"type": ["string", "null"]},
        "addendum_url": {"type": ["string", "null"]},
    },
}


def money_text(value) -> str | None:
    return None if value is None else str(value)


def org_json(org) -> dict:
    return {"id": org.id, "name": org.name}


def participation_json(p: Participation) -> dict:
    return {
        "id": p.id,
        "status": p.status,
        "vehicle": {"id": p.vehicle.id, "number": p.vehicle.number, "title": p.vehicle.title,
                    "status": p.vehicle.effective_status()},
        "member": org_json(p.member),
        "member_not_to_exceed": money_text(p.member_not_to_exceed),
        "special_terms": p.special_terms or "",
        "committed": money_text(p.committed),
        "remaining": money_text(p.remaining),
        "requested_by": org_json(p.requested_by),
        "requested_at": p.created_at.isoformat(),
        "decided_by": org_json(p.decided_by) if p.decided_by else None,
        "decided_at": p.decided_at.isoformat() if p.decided_at else None,
        "decision_reason": p.decision_reason,
        "addendum_url": f"/api/v1/participations/{p.id}/addendum.pdf" if p.status == "executed" else None,
    }
