"""Financing and fund forms. The fields are read by `contracts.finance.validation` (one set of rules for forms
and the API); these only label them."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from contracts.finance.models import KIND_LABELS, NAME_MAX, NOTES_MAX, PARTNER_MAX, SOURCE_MAX
from marketplace.inputs import DATE_HINT

PAYMENT_CHOICES = [("", "—"), ("1", "1 (yearly)"), ("2", "2 (half-yearly)"), ("4", "4 (quarterly)"),
                   ("12", "12 (monthly)")]


class FinancingForm(FlaskForm):
    kind = SelectField("Kind of financing", choices=[("", "Choose…"), *KIND_LABELS.items()], validate_choice=False)
    partner = StringField("Partner", validators=[Length(max=PARTNER_MAX)],
                          description="The lender, vendor, lessor, bond agent, partner or grantor.")
    principal = StringField("Principal or amount",
                            description="Loan, vendor financing, lease: the amount financed. Partnership, guarantee, "
                                        "TIF, grant: the amount recorded. Not for a mini-bond.")
    annual_rate = StringField("Annual rate (%)", description="Loan, vendor financing, lease: from 0 to 100.")
    years = StringField("Term (years)", description="A whole number of years, 1 to 50.")
    payments_per_year = SelectField("Payments per year", choices=PAYMENT_CHOICES, validate_choice=False,
                                    description="Loan, vendor financing, lease.")
    first_payment_on = StringField("First payment on", description=f"Loan, vendor financing, lease. {DATE_HINT}")
    issue_price = StringField("Issue price per unit", description="Mini-bond only.")
    maturity_value = StringField("Maturity value per unit", description="Mini-bond only: at least the issue price.")
    units = StringField("Units offered", description="Mini-bond only.")
    notes = TextAreaField("Notes", validators=[Length(max=NOTES_MAX)])

    def to_data(self) -> dict:
        return {f.name: f.data for f in self if f.name != "csrf_token"}


class VendorFinancingForm(Form):
    """The order form's vendor-financing block (a sub-form: the order form carries the CSRF token)."""

    partner = StringField("Financed by", validators=[Length(max=PARTNER_MAX)],
                          description="The vendor, or the finance company it arranged.")
    principal = StringField("Principal (USD)", validators=[Length(max=20)],
                            description="Leave empty to finance the order's whole value.")
    annual_rate = StringField("Annual rate (%)", validators=[Length(max=20)], description="From 0 to 100.")
    years = StringField("Term (years)", validators=[Length(max=5)], description="A whole number of years, 1 to 50.")
    payments_per_year = SelectField("Payments per year", choices=PAYMENT_CHOICES, validate_choice=False)
    first_payment_on = StringField("First payment on", validators=[Length(max=20)], description=DATE_HINT)


class FundForm(FlaskForm):
    name = StringField("Name of the fund", validators=[Length(max=NAME_MAX)])
    owner_id = SelectField("Owner", choices=[], validate_choice=False)


class ContributionForm(FlaskForm):
    amount = StringField("Amount")
    source = StringField("Source", validators=[Length(max=SOURCE_MAX)],
                         description="For example: FY2027 general fund appropriation, a state grant.")
    received_on = StringField("Received on", description=DATE_HINT)


class DrawForm(FlaskForm):
    order_id = StringField("Order", description="The order's reference, such as TO-000042.")
    amount = StringField("Amount")
    repayment_pct = StringField("Repayment (%)",
                                description="The share of each verified period's city savings (or revenue share) "
                                            "paid back to the fund, from 0 to 100.")
