"""JSON API for signing participating addenda (DESIGN section 7): `POST /participations/<id>/sign` (the
member's approver), `POST /participations/<id>/approve` (the office's countersignature, which executes the
addendum; same body fields plus an optional reason), `PATCH /participations/<id>/terms` and
`GET /participations/<id>/signatures`."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from consortium.context import belongs, consortium_or_404
from contracts.vehicles import queries as vehicle_queries
from contracts.vehicles.columns import PARTICIPATION_IN, PARTICIPATION_OUT, participation_json
from contracts.vehicles.models import Participation
from contracts.vehicles.signing import permissions, queries, services
from contracts.vehicles.signing.models import AUTHORITY_MAX, NAME_MAX, TITLE_MAX
from contracts.vehicles.signing.terms import terms_digest
from marketplace.api import DATETIME, ID, operation
from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT

api = Blueprint("signing_api", __name__, url_prefix="/api/v1")

_SIGNATURE_PROPS = {
    "name": {"type": "string", "maxLength": NAME_MAX, "description": "Printed name; default: the signer's own."},
    "title": {"type": "string", "maxLength": TITLE_MAX, "example": "City Manager"},
    "authority": {"type": "string", "maxLength": AUTHORITY_MAX,
                  "example": "Resolution 2026-14, delegated authority up to $250,000"},
}
SIGN_IN = {"type": "object", "additionalProperties": False, "properties": _SIGNATURE_PROPS,
           "description": "title and authority are required (a missing one answers 400 with the field's message)."}
COUNTERSIGN_IN = {**SIGN_IN, "properties": {**_SIGNATURE_PROPS, "reason": {"type": "string",
                                                                           "maxLength": REASON_LIMIT}}}
TERMS_PATCH = {**PARTICIPATION_IN, "minProperties": 1,
               "description": "Requested addenda only; absent fields keep their values. Voids the signatures."}
SIGNATURE_OUT = {"type": "object", "properties": {
    "role": {"type": "string", "enum": ["member", "office"]}, "signer": {"type": "object", "properties": {
        "id": ID, "name": {"type": "string"}}},
    "name": {"type": "string"}, "title": {"type": "string"}, "authority": {"type": "string"},
    "signed_at": DATETIME, "terms_sha256": {"type": "string"},
    "voided_at": {"oneOf": [DATETIME, {"type": "null"}]}, "voided_reason": {"type": ["string", "null"]}}}
SIGNING_OUT = {"type": "object", "required": ["terms_sha256", "signatures"], "properties": {
    "terms_sha256": {"type": "string", "description": "SHA-256 of the terms signed (or of the current terms)."},
    "executed_before_signatures": {"type": "boolean"},
    "signatures": {"type": "array", "items": SIGNATURE_OUT, "description": "Voided ones included."}}}
PARTICIPATION_SIGNED_OUT = {**PARTICIPATION_OUT, "properties": {**PARTICIPATION_OUT["properties"],
                                                                "signing": SIGNING_OUT}}


def signature_json(s) -> dict:
    return {"role": s.role, "signer": {"id": s.signer_id, "name": s.signer.name}, "name": s.name,
            "title": s.title, "authority": s.authority, "signed_at": s.signed_at.isoformat(),
            "terms_sha256": s.terms_sha256, "voided_at": s.voided_at.isoformat() if s.voided_at else None,
            "voided_reason": s.voided_reason}


def signing_json(participation: Participation) -> dict:
    everything = queries.signatures_of(participation)
    current = {s.role: s for s in everything if s.is_current}
    signed = current.get("office") or current.get("member")
    return {"terms_sha256": signed.terms_sha256 if signed else terms_digest(participation),
            "executed_before_signatures": queries.executed_before_signatures(participation, current),
            "signatures": [signature_json(s) for s in everything]}


def _visible(participation_id: int) -> Participation:
    consortium_or_404()
    if not belongs(current_user):
        raise NotFound("Not found.")
    return vehicle_queries.visible_participation_or_404(participation_id, current_user)


def _answer(participation: Participation):
    return jsonify({**participation_json(participation), "signing": signing_json(participation)})


@operation(api, "/participations/<int:participation_id>/sign", "POST", tag="participation", body=SIGN_IN,
           summary="Sign a requested addendum for the member (the member's approver)",
           response=PARTICIPATION_SIGNED_OUT)
def sign_participation(participation_id, data):
    participation = _visible(participation_id)
    if not permissions.can_sign_participation(current_user, participation):
        raise PermissionDenied(permissions.MEMBER_SIGNS)
    services.sign_participation(participation, data, actor=current_user)
    db.session.commit()
    return _answer(participation)


@operation(api, "/participations/<int:participation_id>/approve", "POST", tag="participation",
           body=COUNTERSIGN_IN, response=PARTICIPATION_SIGNED_OUT,
           summary="Countersign the addendum the member signed, which executes it (consortium admins); 409 while "
                   "the member has not signed")
def approve_participation(participation_id, data):
    participation = _visible(participation_id)
    if not permissions.can_countersign_participation(current_user, participation):
        raise PermissionDenied("Only the consortium office countersigns participating addenda.")
    services.countersign_participation(participation, data, actor=current_user)
    db.session.commit()
    return _answer(participation)


@operation(api, "/participations/<int:participation_id>/terms", "PATCH", tag="participation", body=TERMS_PATCH,
           summary="Change a requested addendum's member not-to-exceed or special terms (the member's approver or "
                   "the office); voids its signatures", response=PARTICIPATION_SIGNED_OUT)
def edit_participation_terms(participation_id, data):
    participation = _visible(participation_id)
    if not permissions.can_edit_participation_terms(current_user, participation):
        raise PermissionDenied(permissions.TERMS_EDITORS)
    services.edit_terms(participation, data, actor=current_user, partial=True)
    db.session.commit()
    return _answer(participation)


@operation(api, "/participations/<int:participation_id>/signatures", "GET", tag="participation",
           summary="The addendum's signatures (voided ones included) and the digest of the terms they signed",
           response=SIGNING_OUT)
def participation_signatures(participation_id):
    return jsonify(signing_json(_visible(participation_id)))
