"""A form that sits inside a bigger page (the order page's measurement, invoice and decision forms) and was
refused: the page is shown again with an error summary at the top of the main content that links to each
field (the GOV.UK / USWDS pattern), and the form itself shows each message beside its field with what the
person typed still in it. One failed form per request; views call `fail_form` (or `fail_wtform`) instead of
flashing the error, and templates read `failed_form(name)`.

Pages whose whole content is one form use `_forms.html`'s `error_summary` macro instead; both render the
same markup (`_forms.html`'s `summary_box`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, g

from marketplace.errors import DomainError, ValidationFailed
from marketplace.extensions import db


@dataclass(frozen=True)
class Problem:
    label: str    # the field's label, as the form shows it
    message: str
    anchor: str   # the id of the element the summary links to


@dataclass
class FailedForm:
    name: str                      # which form on the page ("report", "invoice", "correct-12" …)
    anchor: str                    # the form's id: where messages without a field link to
    message: str | None            # what went wrong overall, when it is not about one field
    values: dict[str, str] = field(default_factory=dict)    # what was typed, to put back
    errors: dict[str, str] = field(default_factory=dict)    # field name → its message, beside the field
    problems: list[Problem] = field(default_factory=list)   # the summary's links, in the form's order

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)


def fail_form(name: str, err: DomainError, *, anchor: str, values: dict[str, str] | None = None,
              fields: dict[str, tuple[str, str]] | None = None) -> FailedForm:
    """Record that the form `name` was refused with `err`. `fields` maps a field name to (label, element id)
    in the form's order; a field message for a name not in it is shown with the form's overall message."""
    fields = fields or {}
    placed = {k: v for k, v in err.fields.items() if k in fields}
    loose = [v for k, v in err.fields.items() if k not in fields]
    # A validation error's own message only says there are problems (the fields say which); any other
    # refusal (a conflict with the order's state or figures) explains itself, so it is shown at the form.
    generic = isinstance(err, ValidationFailed) and placed
    message = " ".join([err.message, *loose]) if (loose or not generic) else None
    problems = [Problem(label, placed[key], element) for key, (label, element) in fields.items() if key in placed]
    if message:
        problems.insert(0, Problem("", message, anchor))
    failed = FailedForm(name=name, anchor=anchor, message=message, values=dict(values or {}),
                        errors=placed, problems=problems)
    g.failed_form = failed
    return failed


def fail_wtform(name: str, form, err: DomainError, *, anchor: str) -> FailedForm:
    """The same for a WTForms form: the error's field messages go onto the form's fields (which keep their
    data), and the summary links to them by their ids."""
    for key, message in err.fields.items():
        if hasattr(form, key):
            getattr(form, key).errors = [message]
    fields = {f.name: (f.label.text, f.id) for f in form if f.errors}
    return fail_form(name, err, anchor=anchor, fields=fields,
                     values={f.name: f.data for f in form if isinstance(f.data, str)})


def failed_form(name: str | None = None) -> FailedForm | None:
    """The refused form of this request (when `name` is given: only if it is that one)."""
    failed = g.get("failed_form")
    if failed is None or (name is not None and failed.name != name):
        return None
    return failed


def init_form_errors(app: Flask) -> None:
    app.jinja_env.globals["failed_form"] = failed_form


def attach_errors(form, fields: dict[str, str], rows=()) -> None:
    """A refused form's field messages by path onto its WTForms fields: `lines.1.gross` onto row 1's `gross`
    (`rows`: the form's row subforms), `title` onto `title`; a message no field shows goes to the form."""
    for path, message in fields.items():
        parts = path.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            target = getattr(rows[int(parts[1])].form, parts[2], None)
            if target is not None:
                target.errors = list(target.errors) + [message]
                continue
        field = form._fields.get(parts[0]) if parts[0] not in ("lines", "csrf_token") else None
        if field is not None:
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def refuse_form(form, err: DomainError) -> None:
    """A service refused a form's input: undo what the request wrote, put each message on its field and a
    message that names no field above the form. The view re-renders the form with `err.status`."""
    db.session.rollback()
    form.attach_errors(err.fields)
    if not err.fields:
        form.form_errors.append(err.message)
