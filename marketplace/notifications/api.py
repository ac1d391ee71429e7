"""JSON API: the inbox and the e-mail preferences of the signed-in person (DESIGN section 7)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from marketplace.api import ID, PAGE_PARAMS, operation, paginate_args, wants_csv
from marketplace.csvexport import Columns, stream_scalars
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.kinds import KINDS
from marketplace.notifications.models import Notification

inbox_api = Blueprint("notifications_api", __name__, url_prefix="/api/v1")

NOTIFICATION_OUT = {
    "type": "object", "required": ["id", "kind", "subject", "body", "created_at", "read"],
    "properties": {
        "id": ID, "kind": {"type": "string", "enum": list(KINDS)}, "subject": {"type": "string"},
        "body": {"type": "string"}, "object_type": {"type": ["string", "null"]},
        "object_id": {"type": ["integer", "null"]}, "url": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"}, "read": {"type": "boolean"},
        "read_at": {"type": ["string", "null"], "format": "date-time"},
        "email_status": {"type": "string", "enum": ["pending", "sent", "failed", "skipped"]},
    },
}
PREFERENCES = {
    "type": "object", "additionalProperties": False, "required": ["email"],
    "properties": {"email": {"type": "object", "additionalProperties": False,
                             "properties": {kind: {"type": "boolean", "description": label}
                                            for kind, label in KINDS.items()}}},
}
NOTIFICATION_COLUMNS = Columns(
    ("created_at", lambda n: n.created_at), ("kind", lambda n: n.kind), ("subject", lambda n: n.subject),
    ("object_type", lambda n: n.object_type), ("object_id", lambda n: n.object_id), ("url", lambda n: n.link),
    ("read_at", lambda n: n.read_at), ("email_status", lambda n: n.email_status),
)
UNREAD_PARAM = {"name": "unread", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]},
                "description": "1: only unread notifications"}


def notification_json(note: Notification) -> dict:
    return {"id": note.id, "kind": note.kind, "subject": note.subject, "body": note.body,
            "object_type": note.object_type, "object_id": note.object_id, "url": note.link,
            "created_at": note.created_at.isoformat(), "read": note.read_at is not None,
            "read_at": note.read_at.isoformat() if note.read_at else None, "email_status": note.email_status}


@operation(inbox_api, "/notifications", "GET", summary="The signed-in person's notifications, newest first",
           tag="notifications", query=[UNREAD_PARAM, *PAGE_PARAMS], response={
               "type": "object", "required": ["results", "unread"],
               "properties": {"results": {"type": "array", "items": NOTIFICATION_OUT},
                              "unread": {"type": "integer"}, "page": {"type": "integer"}}}, csv=True)
def list_notifications():
    unread = request.args.get("unread", "0")
    if unread not in ("0", "1"):
        raise ValidationFailed("Invalid unread.", {"unread": "Must be 0 or 1."})
    page, per_page = paginate_args()
    if wants_csv():
        return NOTIFICATION_COLUMNS.response("notifications.csv", stream_scalars(
            services.inbox_stmt(current_user, unread_only=unread == "1")))
    stmt = services.inbox_stmt(current_user, unread_only=unread == "1").limit(per_page).offset((page - 1) * per_page)
    return jsonify({"results": [notification_json(n) for n in db.session.scalars(stmt)],
                    "unread": services.unread_count(current_user), "page": page})


@operation(inbox_api, "/notifications/<int:notification_id>/read", "POST", summary="Mark a notification read",
           tag="notifications", response=NOTIFICATION_OUT, errors=(400, 401, 404))
def read_notification(notification_id, data):
    note = services.mark_read(services.get_notification_or_404(current_user, notification_id))
    db.session.commit()
    return jsonify(notification_json(note))


@operation(inbox_api, "/me/preferences", "GET", summary="E-mail on or off per notification kind",
           tag="notifications", response=PREFERENCES, errors=(401, 404))
def get_preferences():
    return jsonify({"email": services.preferences_of(current_user)})


@operation(inbox_api, "/me/preferences", "PUT",
           summary="Switch e-mail on or off per notification kind (kinds not named keep their setting)",
           tag="notifications", body=PREFERENCES, response=PREFERENCES, errors=(400, 401, 404))
def put_preferences(data):
    chosen = services.set_preferences(current_user._get_current_object(), data["email"])
    db.session.commit()
    return jsonify({"email": chosen})
