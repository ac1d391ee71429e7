"""Confirmation pages for irreversible steps (cancel, decline, terminate, complete, withdraw, reject,
dispute): one page that says what will happen — the state change, what happens to the money, who sees
it — and a plain form (no JavaScript) that POSTs the CSRF token and the reason to the step's action URL.
The page changes nothing; the POST stays the only thing that changes state.

Convention: a step's URL answers GET with its confirmation page and POST with the step itself
(`GET /c/<slug>/orders/<id>/cancel` asks, `POST` to the same URL cancels). The object's page offers the
step as a link to that URL. The reason field follows the lifecycle's declaration (`reason="required"`,
`"optional"` or `"none"`), the sentence "will be cancelled" its past tense, the title its noun.

To give a step a confirmation page (say the invoice's `reject`):

1. the domain's `queries.py` says what happens besides the state change, as sentences, amounts through
   `marketplace.formats.money`: `def reject_consequences(invoice) -> list[str]`;
2. the view answers GET on the action URL with the page and re-renders it on a reason error::

       @bp.route("/invoices/<int:invoice_id>/reject", methods=["GET", "POST"])
       def reject(invoice_id: int):
           invoice = get_invoice_or_404(invoice_id)
           page = lambda: confirmation(
               INVOICE_LIFECYCLE, "reject", invoice, name=invoice.number, action=request.path,
               back=url_for("invoices.invoice", invoice_id=invoice.id),
               consequences=queries.reject_consequences(invoice),
               seen_by=[f"{invoice.order.vendor.name} sees the invoice as rejected, with your reason."])
           if request.method == "GET":
               check_step(INVOICE_LIFECYCLE, "reject", current_user, invoice)  # 409 / 403, as the POST
               return render_confirmation(page())
           try:
               services.reject_invoice(invoice, actor=current_user, reason=request.form.get("reason"))
           except ValidationFailed as err:
               db.session.rollback()
               if reason_error(err):  # the message at the field, with what they typed
                   return render_confirmation(page(), reason=request.form.get("reason"), error=err)
               raise
           db.session.commit()
           ...

3. the object's page links to it when `LIFECYCLE.may("reject", user, invoice)`:
   `<a class="usa-button usa-button--secondary" href="{{ url_for('invoices.reject', …) }}">Reject invoice</a>`;
4. add `GET` of the route to the access matrix (`tests/**/test_access*.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import render_template

from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.inputs import REASON_LIMIT
from marketplace.transitions import Lifecycle, conflict_message

CANNOT_BE_UNDONE = "This cannot be undone."


@dataclass
class Confirmation:
    """What `confirm.html` shows. Build it with `confirmation()`."""

    title: str
    button: str
    state_change: str
    action: str
    back: str
    consequences: list[str] = field(default_factory=list)
    seen_by: list[str] = field(default_factory=list)
    reason: str = "optional"  # "required", "optional" or "none", from the transition
    reason_label: str = "Reason"
    reason_hint: str = ""
    undo: str = CANNOT_BE_UNDONE
    back_label: str = "Go back"


def verb(step_name: str) -> str:
    """`request_changes` → `Request changes` (what the button and the title say)."""
    return step_name.replace("_", " ").capitalize()


def confirmation(lifecycle: Lifecycle, step: str, obj, *, name: str, action: str, back: str,
                 consequences: Iterable[str] = (), seen_by: Iterable[str] = (), title: str | None = None,
                 button: str | None = None, undo: str = CANNOT_BE_UNDONE, reason_hint: str | None = None,
                 state_change: str | None = None) -> Confirmation:
    """The confirmation page of `step` on `obj`, from the lifecycle's declaration (noun, past tense, the
    reason rule and its message) and the domain's consequence sentences.

    `name` identifies the object for people (`TO-000012`, a listing's title); `action` is the URL the
    form posts to (the step's own URL), `back` the object's page. The title defaults to
    "Cancel order TO-000012?", the button to "Cancel order"."""
    rule = lifecycle[step]
    noun = lifecycle.noun
    label = f"{verb(step)} {noun}"
    if state_change is None:
        state_change = (f"{noun.capitalize()} {name} will be {rule.past}; it is "
                        f"{lifecycle.label(obj.status).lower()} now.")
    if reason_hint is None:
        reason_hint = (rule.reason_message if rule.reason == "required"
                       else "Recorded with the decision and shown with it.")
    return Confirmation(
        title=title or f"{label} {name}?", button=button or label, state_change=state_change, action=action,
        back=back, consequences=list(consequences), seen_by=list(seen_by), reason=rule.reason,
        reason_label="Reason (required)" if rule.reason == "required" else "Reason (optional)",
        reason_hint=reason_hint, undo=undo,
    )


def check_step(lifecycle: Lifecycle, step: str, user, obj) -> None:
    """Answer the confirmation page as the POST would: `Conflict` (409, saying what happened and who did
    it) when the object's state no longer allows the step, `PermissionDenied` (403, the table's message)
    when this person may not take it. Never show a button that can only fail."""
    rule = lifecycle[step]
    if obj.status not in rule.sources:
        raise Conflict(conflict_message(lifecycle, obj, rule))
    if not rule.allowed(user, obj):
        raise PermissionDenied(rule.denied(user, obj) if callable(rule.denied) else rule.denied)


def reason_error(err: DomainError) -> str | None:
    """The reason field's message when `err` is about the reason (missing, too long, bad characters)."""
    return err.fields.get("reason") if isinstance(err, DomainError) else None


def render_confirmation(page: Confirmation, *, reason: str | None = None, error: DomainError | None = None):
    """The page (200), or again with the reason's field message and what was typed (400)."""
    message = reason_error(error) if error is not None else None
    if error is not None and message is None:
        message = error.message
    kept = (reason or "")[:REASON_LIMIT * 2]
    body = render_template("confirm.html", page=page, reason_value=kept, reason_message=message,
                           reason_max=REASON_LIMIT)
    return body, 400 if error is not None else 200
