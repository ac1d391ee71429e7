"""RFQ, quote and award forms. They only parse into the API's JSON shape; `contracts.sourcing.rfqs` owns the
rules and messages, which `attach_errors` puts back at the fields (with what was typed kept).

Without JavaScript: the RFQ form shows a fixed number of line rows (blank ones are skipped); the quote form
one row per RFQ line, each with a choice of the vendor's schedule items; the award form a radio per quote.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from contracts.orders.models import QUANTITY_TEXT_MAX
from contracts.sourcing.rfqs.models import (
    DESCRIPTION_MAX,
    EVALUATIONS,
    LINE_NAME_MAX,
    LINE_UNIT_MAX,
    NOTE_MAX,
    TITLE_MAX,
)
from marketplace.formats import money
from marketplace.formerrors import attach_errors
from marketplace.inputs import REASON_LIMIT, parse_id

ROWS = 6  # blank line rows the RFQ form offers (the API takes up to LINES_MAX)


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit} characters.")


class RfqLineForm(Form):
    name = StringField("Item", validators=[Optional(), _at_most(LINE_NAME_MAX)])
    unit = StringField("Unit", validators=[Optional(), _at_most(LINE_UNIT_MAX)])
    quantity = StringField("Quantity", validators=[Optional(), Length(max=QUANTITY_TEXT_MAX)])

    def is_blank(self) -> bool:
        return not any((self[k].data or "").strip() for k in ("name", "unit", "quantity"))


class RfqForm(FlaskForm):
    title = StringField("Title", validators=[_at_most(TITLE_MAX)],
                        description="What the member needs, in a few words, for example “Curb sensors for Old Town”.")
    description = TextAreaField("Details (optional)", validators=[Optional(), _at_most(DESCRIPTION_MAX)],
                                description="Where, when, and anything the vendors should know to quote.")
    closes_at = StringField("Quotes close", validators=[Length(max=40)])
    evaluation = SelectField("Evaluation", choices=list(EVALUATIONS.items()), validate_choice=False,
                             description="Lowest price, or best value (price with other factors you explain "
                                         "when you award).")
    lines = FieldList(FormField(RfqLineForm), min_entries=ROWS)
    _rows: list = []

    def to_data(self) -> dict:
        self._rows = [row for row in self.lines if not row.form.is_blank()]
        return {"title": self.title.data or "", "description": self.description.data or "",
                "closes_at": (self.closes_at.data or "").strip(), "evaluation": self.evaluation.data or "",
                "lines": [{k: (row.form[k].data or "").strip() for k in ("name", "unit", "quantity")}
                          for row in self._rows]}

    def attach_errors(self, fields: dict[str, str]) -> None:
        attach_errors(self, fields, self._rows)


class QuoteLineForm(Form):
    price_item_id = SelectField("Your price item", choices=[], validate_choice=False)
    unit_price = StringField("Unit price (USD)", validators=[Optional(), Length(max=20)])


def _likely_item(rfq_line, schedule, used: set[int]):
    """The schedule item a line most likely asks for: the same name, else the same unit (a suggestion only)."""
    free = [s for s in schedule if s.price_item_id not in used]
    for same in (lambda s: s.price_item.name.casefold() == rfq_line.name.casefold(),
                 lambda s: s.price_item.unit.casefold() == rfq_line.unit.casefold()):
        found = next((s for s in free if same(s)), None)
        if found is not None:
            return found
    return None


class QuoteForm(FlaskForm):
    lines = FieldList(FormField(QuoteLineForm))
    note = TextAreaField("Note to the member (optional)", validators=[Optional(), _at_most(NOTE_MAX)])

    def fill(self, rfq, award, own) -> None:
        """One row per RFQ line; the choices are the vendor's schedule items (with contract prices); prefilled
        from the vendor's quote, else an item whose name matches the line."""
        posted = [(row.form.price_item_id.data, row.form.unit_price.data) for row in self.lines]
        while len(self.lines):
            self.lines.pop_entry()
        mine = {line.rfq_line_id: line for line in (own.lines if own else [])}
        used: set[int] = set()
        for index, rfq_line in enumerate(rfq.lines):
            if index < len(posted) and any(posted[index]):
                item_id, price = posted[index]
            elif rfq_line.id in mine:
                item_id, price = str(mine[rfq_line.id].price_item_id), str(mine[rfq_line.id].unit_price)
            else:
                match = _likely_item(rfq_line, award.schedule, used)
                item_id, price = (str(match.price_item_id) if match else ""), ""
            used.add(parse_id(item_id) or 0)
            self.lines.append_entry({"price_item_id": item_id, "unit_price": price})
            self.lines[-1].form.price_item_id.choices = [("", "- Select -")] + [
                (str(s.price_item_id), f"{s.price_item.name} ({s.price_item.unit}), contract price "
                                       f"{money(s.contract_price)}") for s in award.schedule]
        if own is not None and not self.note.data:
            self.note.data = own.note

    def to_data(self) -> dict:
        return {"note": self.note.data or "",
                "lines": [{"price_item_id": parse_id(row.form.price_item_id.data) or row.form.price_item_id.data,
                           "unit_price": (row.form.unit_price.data or "").strip()} for row in self.lines]}

    def attach_errors(self, fields: dict[str, str]) -> None:
        attach_errors(self, fields, list(self.lines))


class AwardForm(FlaskForm):
    quote_id = RadioField("Quote to award", choices=[], validate_choice=False)
    justification = TextAreaField("Justification", validators=[Optional(), _at_most(REASON_LIMIT)],
                                  description="Required to award anything but the lowest total, or when fewer than "
                                              "three quotes arrived. The office and the audit trail keep it.")

    def to_data(self) -> dict:
        return {"quote_id": parse_id(self.quote_id.data) or None, "justification": self.justification.data or ""}

    def attach_errors(self, fields: dict[str, str]) -> None:
        attach_errors(self, fields, [])


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), _at_most(REASON_LIMIT)])
