"""Sales-report forms. They only parse into the API's JSON shape; `contracts.reporting` owns the rules and
messages, which `attach_errors` puts back at the fields (with what was typed kept).

Without JavaScript, the vendor's lines form shows its reported lines plus a few blank rows; "Add more rows"
posts the form back and re-renders it with more blank rows (nothing is saved), and blank rows are skipped.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from contracts.reporting.models import CUSTOMER_NAME_MAX, REPORTED_LINES_MAX
from marketplace.formerrors import attach_errors
from marketplace.inputs import REASON_LIMIT

BLANK_ROWS = 3  # blank rows under the vendor's lines
MORE_ROWS = 5  # rows "Add more rows" adds
AMOUNT_TEXT_MAX = 24


def _amount(label: str) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=AMOUNT_TEXT_MAX)])


class LineForm(Form):
    customer_name = StringField("Customer (public entity)", validators=[
        Optional(), Length(max=CUSTOMER_NAME_MAX, message=f"Use at most {CUSTOMER_NAME_MAX} characters.")])
    gross = _amount("Gross sales (USD)")
    tax = _amount("Tax (USD)")
    freight = _amount("Freight (USD)")
    returns = _amount("Returns (USD)")

    KEYS = ("customer_name", "gross", "tax", "freight", "returns")

    def is_blank(self) -> bool:
        return not any((self[k].data or "").strip() for k in self.KEYS)


class LinesForm(FlaskForm):
    lines = FieldList(FormField(LineForm), max_entries=REPORTED_LINES_MAX + MORE_ROWS)
    _rows: list = []

    def fill(self, report) -> None:
        """The report's reported lines, then blank rows."""
        for line in report.reported_lines:
            self.lines.append_entry({"customer_name": line.customer, "gross": str(line.gross), "tax": str(line.tax),
                                     "freight": str(line.freight), "returns": str(line.returns)})
        self.add_rows(BLANK_ROWS)

    def add_rows(self, count: int) -> None:
        for _ in range(min(count, max(self.lines.max_entries - len(self.lines), 0))):
            self.lines.append_entry()

    def to_data(self) -> dict:
        self._rows = [row for row in self.lines if not row.form.is_blank()]
        return {"lines": [{k: (row.form[k].data or "").strip() for k in LineForm.KEYS} for row in self._rows]}

    def attach_errors(self, fields: dict[str, str]) -> None:
        attach_errors(self, fields, self._rows)


class PaymentForm(FlaskForm):
    amount = StringField("Amount paid (USD)", validators=[Length(max=AMOUNT_TEXT_MAX)])
    paid_on = StringField("Paid on", validators=[Length(max=20)])

    def to_data(self) -> dict:
        return {"amount": (self.amount.data or "").strip(), "paid_on": (self.paid_on.data or "").strip()}

    def attach_errors(self, fields: dict[str, str]) -> None:
        attach_errors(self, fields, [])


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=REASON_LIMIT)])
