"""Invoice forms: submitting (the vendor), rejecting with a reason and recording a payment (the city)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length

from contracts.invoices.models import NUMBER_MAX
from marketplace.inputs import DATE_HINT, REASON_LIMIT


class InvoiceForm(FlaskForm):
    """The fields are read by `contracts.invoices.validation` (one set of rules for forms and the API)."""

    number = StringField("Your invoice number", validators=[Length(max=NUMBER_MAX)])
    issued_on = StringField("Issued on", description=DATE_HINT)
    period = SelectField("Period", choices=[], validate_choice=False)
    lines = SelectMultipleField("Order lines", choices=[], validate_choice=False, coerce=str)
    amount = StringField("Amount")


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is the invoice rejected?", validators=[Length(max=REASON_LIMIT)])


class PayForm(FlaskForm):
    paid_on = StringField("Paid on", description=DATE_HINT)  # parsed by the service
