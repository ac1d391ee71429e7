"""JSON API: who am I, the organizations of the consortium, and what is waiting for me."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from consortium.columns import organization_columns
from consortium.context import belongs, current_consortium, organizations_in
from marketplace.api import DATE, DATETIME, ID, operation, wants_csv
from marketplace.errors import NotFound
from marketplace.queue import queue_for

api = Blueprint("consortium_api", __name__, url_prefix="/api/v1")

ORGANIZATION_SCHEMA = {
    "type": "object",
    "required": ["id", "kind", "name"],
    "properties": {
        "id": ID,
        "kind": {"type": "string", "enum": ["member", "vendor", "office"]},
        "name": {"type": "string"},
        "entity_type": {"type": ["string", "null"]},
        "population": {"type": ["integer", "null"]},
        "approval_limit": {"type": ["string", "null"]},
        "address": {"type": "string", "description": "Postal address (lines separated by newlines); \"\" if none"},
    },
}
CONSORTIUM_SCHEMA = {
    "type": "object",
    "required": ["id", "slug", "name"],
    "properties": {"id": ID, "slug": {"type": "string"}, "name": {"type": "string"},
                   "admin_fee_pct": {"type": "string"}},
}
ME_SCHEMA = {
    "type": "object",
    "required": ["id", "email", "name", "role", "organization", "consortium"],
    "properties": {
        "id": ID,
        "email": {"type": "string"},
        "name": {"type": "string"},
        "role": {"type": "string", "enum": ["buyer", "approver", "vendor", "admin"]},
        "organization": ORGANIZATION_SCHEMA,
        "consortium": {"oneOf": [CONSORTIUM_SCHEMA, {"type": "null"}]},
    },
}


def organization_json(org, *, with_limit: bool = False) -> dict:
    data = {
        "id": org.id,
        "kind": org.kind,
        "name": org.name,
        "entity_type": org.entity_type,
        "population": org.population,
        "address": org.address,
    }
    if with_limit and org.approval_limit is not None:
        data["approval_limit"] = str(org.approval_limit)
    return data


def consortium_json(consortium) -> dict:
    return {"id": consortium.id, "slug": consortium.slug, "name": consortium.name,
            "admin_fee_pct": str(consortium.admin_fee_pct)}


@operation(api, "/me", "GET", summary="The signed-in user, organization, role and consortium",
           tag="people", response=ME_SCHEMA)
def me():
    consortium = current_consortium()
    return jsonify({
        "id": current_user.id,
        "email": current_user.email,
        "name": current_user.name,
        "role": current_user.role,
        "organization": organization_json(current_user.organization, with_limit=True),
        "consortium": consortium_json(consortium) if consortium and belongs(current_user) else None,
    })


@operation(
    api, "/organizations", "GET",
    summary="Members, vendors and the office of the consortium", tag="people",
    response={"type": "object", "required": ["results"],
              "properties": {"results": {"type": "array", "items": ORGANIZATION_SCHEMA}}},
    csv=True,
)
def organizations():
    consortium = current_consortium()
    if consortium is None or not belongs(current_user):
        raise NotFound("No consortium to list: name one with the X-Consortium header.")
    is_admin = current_user.role == "admin"
    if wants_csv():
        columns = organization_columns(lambda o: is_admin or o.id == current_user.organization_id)
        return columns.response("organizations.csv", organizations_in(consortium))
    return jsonify({"results": [
        organization_json(o, with_limit=is_admin or o.id == current_user.organization_id)
        for o in organizations_in(consortium)
    ]})


QUEUE_ITEM_SCHEMA = {
    "type": "object",
    "required": ["kind", "title", "action", "object_type", "object_id", "url", "since"],
    "properties": {
        "kind": {"type": "string", "description": "What kind of work, such as approve_order, accept_order, "
                 "verify_measurement, report_period, review_listing, review_revision, sign_participation, "
                 "approve_participation, approve_invoice, pay_invoice"},
        "title": {"type": "string", "description": "The object, in words"},
        "action": {"type": "string", "description": "What to do, such as \"Approve or decline the order\""},
        "object_type": {"type": "string"},
        "object_id": ID,
        "url": {"type": "string", "description": "The page where it is done (a path on this site)"},
        "since": {**DATETIME, "description": "Waiting since (UTC)"},
        "due_on": {**DATE, "description": "Due by, where there is a due date"},
    },
}


@operation(
    api, "/queue", "GET",
    summary="What is waiting for me: the items I can act on now, oldest first", tag="people",
    response={"type": "object", "required": ["items"],
              "properties": {"items": {"type": "array", "items": QUEUE_ITEM_SCHEMA}}},
)
def queue():
    consortium = current_consortium()
    if consortium is None or not belongs(current_user):
        raise NotFound("No consortium to look in: name one with the X-Consortium header.")
    return jsonify({"items": [item.to_json() for item in queue_for(current_user, consortium)]})
