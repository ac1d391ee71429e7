"""Invoice forms: submitting (the vendor), rejecting with a reason and recording a payment (the city)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from contracts.invoices.models import NUMBER_MAX
from marketplace.inputs import REASON_LIMIT


class InvoiceForm(FlaskForm):
    """The fields are read by `contracts.invoices.validation` (one set of rules for forms and the API)."""

    number = StringField("Your invoice number", validators=[Length(max=NUMBER_MAX)])
    issued_on = StringField("Issued on (YYYY-MM-DD)")
    period = SelectField("Period", choices=[], validate_choice=False)
    lines = SelectMultipleField("Order lines", choices=[], validate_choice=False, coerce=str)
    amount = StringField("Amount")


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is the invoice rejected?", validators=[Length(max=REASON_LIMIT)])


class PayForm(FlaskForm):
    paid_on = DateField("Paid on", validators=[Optional()])
