"""The audit log's filter form (GET, no CSRF: it changes nothing). The choices are what appears in the log."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from consortium.audit.validation import SYSTEM
from marketplace import auditlabels
from marketplace.inputs import DATE_HINT


def _select(label: str) -> SelectField:
    # validation.clean_filters checks the value, with a clearer message than WTForms' "Not a valid choice".
    return SelectField(label, choices=[], validate_choice=False)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = _select("Who")
    object_type = _select("Kind of object")
    object_id = StringField("Object number", description="The number in the object's address, e.g. 42.")
    action = _select("Action")
    date_from = StringField("From", description=DATE_HINT)
    date_to = StringField("To", description=DATE_HINT)

    def fill_choices(self, actors: list[tuple[int, str]], object_types: list[str], actions: list[str]) -> None:
        self.actor.choices = [("", "Anyone"), (SYSTEM, "The system")] + [(str(i), name) for i, name in actors]
        self.object_type.choices = [("", "Any kind")] + sorted(
            ((t, _first_upper(auditlabels.noun(t))) for t in object_types), key=lambda c: c[1].lower())
        labels = [_action_label(a) for a in actions]
        # Two actions may read alike ("invoice.paid" and "invoice.payment_recorded" are both "marked paid").
        self.action.choices = [("", "Any action")] + [(a, f"{label} ({a})" if labels.count(label) > 1 else label)
                                                      for a, label in zip(actions, labels, strict=True)]

    def attach_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            if name in self._fields:
                self._fields[name].errors = list(self._fields[name].errors) + [message]
            else:
                self.form_errors.append(message)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _action_label(action: str) -> str:
    """"order.submitted" → "Order: submitted" (the object's noun, then the verb the log uses)."""
    object_type = action.split(".", 1)[0]
    return f"{_first_upper(auditlabels.noun(object_type))}: {auditlabels.verb(action)}"
