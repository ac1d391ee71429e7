"""The audit log's filters from a query string: clean values, or field errors (nothing is queried)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from marketplace.inputs import parse_date, parse_id, raise_if

SYSTEM = "system"  # the actor filter's value for events no person caused
_OBJECT_TYPE = re.compile(r"[a-z0-9_]{1,40}", re.ASCII)
_ACTION = re.compile(r"[a-z0-9_]{1,40}\.[a-z0-9_]{1,40}", re.ASCII)
FILTER_NAMES = ("actor", "object_type", "object_id", "action", "date_from", "date_to")


@dataclass(frozen=True)
class AuditFilters:
    """What the office asked for; None means any. `actor` is a user id, or SYSTEM."""

    actor: int | str | None = None
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for the next page and the CSV link)."""
        return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in asdict(self).items() if v is not None}


def _text(args, name: str) -> str:
    value = args.get(name)
    return value.strip() if isinstance(value, str) else ""


def clean_filters(args) -> AuditFilters:
    """The filters in `args` (a request's query string), or ValidationFailed with a message per field."""
    fields: dict[str, str] = {}
    actor_text = _text(args, "actor")
    actor: int | str | None = None
    if actor_text == SYSTEM:
        actor = SYSTEM
    elif actor_text:
        actor = parse_id(actor_text)
        if actor is None:
            fields["actor"] = "Choose a person from the list."
    object_type = _text(args, "object_type") or None
    if object_type and not _OBJECT_TYPE.fullmatch(object_type):
        fields["object_type"] = "Choose a kind of object from the list."
    object_id_text = _text(args, "object_id")
    object_id = parse_id(object_id_text) if object_id_text else None
    if object_id_text and object_id is None:
        fields["object_id"] = "Enter the object's number, a whole number such as 42."
    action = _text(args, "action") or None
    if action and not _ACTION.fullmatch(action):
        fields["action"] = "Choose an action from the list."
    date_from = parse_date(args.get("date_from"), "date_from", fields, required=False)
    date_to = parse_date(args.get("date_to"), "date_to", fields, required=False)
    if date_from and date_to and date_from > date_to:
        fields["date_to"] = "The end date must be on or after the start date."
    raise_if(fields, "Check the filters.")
    return AuditFilters(actor=actor, object_type=object_type, object_id=object_id, action=action,
                        date_from=date_from, date_to=date_to)
