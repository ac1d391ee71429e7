"""Invoice forms: submitting (the vendor), rejecting with a reason and recording a payment (the city); and the
city's revenue-share invoice to the vendor."""

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


class RevenueInvoiceForm(FlaskForm):
    """The city bills the vendor: read by `contracts.invoices.validation.clean_revenue_invoice_data`."""

    number = StringField("Your city's invoice number", validators=[Length(max=NUMBER_MAX)])
    issued_on = StringField("Issued on", description=DATE_HINT)
    period = SelectField("For", choices=[], validate_choice=False)  # "period-2" or "block-1"
    amount = StringField("Amount")

    def to_data(self) -> dict:
        kind, _, number = (self.period.data or "").partition("-")
        return {"number": self.number.data, "issued_on": self.issued_on.data, "amount": self.amount.data,
                "period": number if kind == "period" else None, "block": number if kind == "block" else None}


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is the invoice rejected?", validators=[Length(max=REASON_LIMIT)])


class PayForm(FlaskForm):
    paid_on = StringField("Paid on", description=DATE_HINT)  # parsed by the service
