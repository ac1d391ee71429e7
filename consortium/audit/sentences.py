"""Each audit event as a sentence people read: "Tempe Buyer submitted order TO-000042 (value $52,000.00)",
with the reason and a field-level before/after of only what changed.

The verb, the object's name and how a state reads come from marketplace.auditlabels, which the domains
fill in; this module only puts them together. Sentences are built a page (or a CSV chunk) at a time: one
query for the people, one per kind of object, whatever the number of events.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from marketplace import auditlabels
from marketplace.audit import AuditEvent
from marketplace.auditlabels import Label
from marketplace.formats import day, moment, money

SYSTEM_ACTOR = "The system"
SHORT = 120  # a value longer than this is cut on the page, with the whole value one click away
# Names of recorded fields that hold money ("value", "ceiling", "list_price", "estimated_cost", …); a type can
# say a field of that name is another number (marketplace.auditlabels.register_fields).
_MONEY_NAME = re.compile(
    r"(^|_)(value|committed|released|ceiling|cost|amount|budget|balance|price|total|remaining|principal|fee|"
    r"not_to_exceed|limit)$")
_STATE_NAMES = ("status", "state")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*", re.ASCII)


@dataclass(frozen=True)
class Change:
    """One recorded field: its value before (None for a field that was only set) and after."""

    field: str
    before: str | None
    after: str | None
    before_full: str | None
    after_full: str | None
    was_set: bool  # True when the event recorded no earlier value (a creation), False for a real change

    @property
    def name(self) -> str:
        return self.field.replace("_", " ")

    @property
    def is_cut(self) -> bool:
        return self.before != self.before_full or self.after != self.after_full

    def text(self, *, full: bool = False) -> str:
        before, after = (self.before_full, self.after_full) if full else (self.before, self.after)
        if self.was_set:
            return f"{self.name}: {after}"
        return f"{self.name}: {before} → {after}"


@dataclass(frozen=True)
class Sentence:
    event: AuditEvent
    actor: str
    verb: str
    label: Label
    when: str
    changes: list[Change]

    @property
    def text(self) -> str:
        figure = f" ({self.label.figure})" if self.label.figure else ""
        return f"{self.actor} {self.verb} {self.label.text}{figure}"

    @property
    def reason(self) -> str | None:
        return self.event.reason

    @property
    def url(self) -> str | None:
        return self.label.url


def _is_money(object_type: str, field: str, value) -> bool:
    if not _MONEY_NAME.search(field) or auditlabels.is_plain_number(object_type, field):
        return False
    if isinstance(value, bool) or not isinstance(value, str | int):
        return False
    try:
        Decimal(value)
    except (InvalidOperation, ValueError):
        return False
    return True


def _when(value: str, zone: ZoneInfo) -> str:
    """An ISO date or timestamp as people read it (the CSV keeps ISO)."""
    try:
        if _ISO_DATE.fullmatch(value):
            return day(date.fromisoformat(value))
        return moment(datetime.fromisoformat(value), zone)
    except ValueError:
        return value


def readable(object_type: str, field: str, value, *, zone: ZoneInfo | None = None) -> str:
    """A recorded value as text: for people (`zone` given) money as money and ISO dates as dates, else (CSV)
    both as recorded; states by their label, lists and objects as compact JSON, nothing as "—"."""
    for_people = zone is not None
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_money(object_type, field, value):
        return money(value) if for_people else format(Decimal(value), "f")
    if field in _STATE_NAMES and isinstance(value, str):
        return auditlabels.state_label(object_type, value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if for_people and isinstance(value, str) and (_ISO_DATE.fullmatch(value) or _ISO_MOMENT.fullmatch(value)):
        return _when(value, zone)
    return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1].rstrip() + "…"


def changes(event: AuditEvent, zone: ZoneInfo | None = None) -> list[Change]:
    """The fields the event changed: with a `before`, only the fields whose value differs (a field recorded
    only after the step is context, not a change); without one (a creation), every field it set. Written
    for people in `zone`, or as recorded (CSV) without one."""
    before = event.before if isinstance(event.before, dict) else None
    after = event.after if isinstance(event.after, dict) else {}
    kind = event.object_type
    if before is None:
        fields = [(name, None, value) for name, value in after.items() if value not in (None, "", [], {})]
    else:
        fields = [(name, old, after.get(name)) for name, old in before.items() if after.get(name) != old]
    found = []
    for name, old, new in fields:
        old_text = None if before is None else readable(kind, name, old, zone=zone)
        new_text = readable(kind, name, new, zone=zone)
        found.append(Change(field=name, before=None if old_text is None else _cut(old_text), after=_cut(new_text),
                            before_full=old_text, after_full=new_text, was_set=before is None))
    return found


def sentences(events: list[AuditEvent], names: dict[int, str], zone: ZoneInfo, *, links: bool = True) -> list[Sentence]:
    """The events as sentences; `names` maps the actors' ids to their names (queries.names_of)."""
    labels = auditlabels.labels(((e.object_type, e.object_id) for e in events), links=links)
    return [
        Sentence(
            event=e,
            actor=names.get(e.actor_id, f"Person #{e.actor_id}") if e.actor_id else SYSTEM_ACTOR,
            verb=auditlabels.verb(e.action),
            label=labels[(e.object_type, e.object_id)],
            when=moment(e.created_at, zone),
            changes=changes(e, zone),
        )
        for e in events
    ]


def csv_row(sentence: Sentence) -> list:
    """when (ISO UTC), actor, action, object type, object id, sentence, reason, changes (whole values)."""
    e = sentence.event
    return [e.created_at.astimezone(UTC).isoformat(), sentence.actor, e.action, e.object_type, e.object_id,
            sentence.text, e.reason or "", "; ".join(c.text(full=True) for c in changes(e))]


CSV_HEADER = ["when", "actor", "action", "object type", "object id", "sentence", "reason", "changes"]
