"""Need and priority-round forms. They only label and carry the fields; `consortium.planning.validation` owns the
rules and the messages (the same for the API), and `attach_errors` puts its messages at the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField

from consortium.planning.models import FUNDING_SOURCES, MAX_CRITERIA
from marketplace.categories import CATEGORIES

CRITERIA_ROWS = 5


def _select(label: str, choices, **kwargs) -> SelectField:
    # The service validates the choice, with a clearer message than WTForms' "Not a valid choice".
    return SelectField(label, choices=choices, validate_choice=False, **kwargs)


class _Attach:
    """Puts a ValidationFailed's field messages on the form's fields; anything without a field of its own
    goes to the form's messages (shown at the top by `error_summary`)."""

    def field_for(self, path: str):
        name = path.split(".")[0]
        return getattr(self, name) if name in self._fields and name != "csrf_token" else None

    def attach_errors(self, fields: dict[str, str]) -> None:
        for path, message in fields.items():
            target = self.field_for(path)
            if target is not None and not isinstance(target, FieldList):
                target.errors = list(target.errors) + [message]
            else:
                self.form_errors.append(message)


class NeedForm(_Attach, FlaskForm):
    title = StringField("Title", description="What is needed, e.g. 'Adaptive street lighting on arterials'.")
    problem = TextAreaField("Problem", description="What goes wrong today, for whom, and how often.")
    category = _select("Category", [("", "- Select -"), *CATEGORIES.items()])
    estimated_cost = StringField("Estimated cost (USD)", description="For example: 600000.00.")
    benefits = TextAreaField("Expected benefits", description="Savings, service levels, safety, emissions …")
    fiscal_year = StringField("Fiscal year wanted", description="The year it ends in, e.g. 2027.")

    funding_error: str | None = None

    @property
    def funding_fields(self) -> dict:
        """One amount per funding source (`funding_budget`, `funding_grant`, …), in DESIGN's order."""
        return {source: self[f"funding_{source}"] for source in FUNDING_SOURCES}

    def to_data(self) -> dict:
        """The API's JSON shape: the funding plan has a line per source with an amount typed."""
        return {
            "title": self.title.data or "", "problem": self.problem.data or "", "category": self.category.data or None,
            "estimated_cost": (self.estimated_cost.data or "").strip(), "benefits": self.benefits.data or "",
            "fiscal_year": (self.fiscal_year.data or "").strip(),
            "funding": [{"source": source, "amount": field.data.strip()}
                        for source, field in self.funding_fields.items() if (field.data or "").strip()],
        }

    def fill(self, need) -> None:
        for name in ("title", "problem", "category", "benefits"):
            getattr(self, name).data = getattr(need, name)
        self.estimated_cost.data = format(need.estimated_cost, "f")
        self.fiscal_year.data = str(need.fiscal_year)
        for source, amount in need.funding_lines:
            self.funding_fields[source].data = format(amount, "f")

    def attach_errors(self, fields: dict[str, str]) -> None:
        """`funding.<n>.amount` belongs to the n-th source with an amount typed."""
        sent = [source for source, field in self.funding_fields.items() if (field.data or "").strip()]
        rest = {}
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "funding" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(sent):
                target = self.funding_fields[sent[int(parts[1])]]
                target.errors = list(target.errors) + [message]
            elif parts[0] == "funding":
                self.funding_error = message
                self.form_errors.append(f"Funding plan: {message}")
            else:
                rest[path] = message
        super().attach_errors(rest)


for _source, _label in FUNDING_SOURCES.items():  # WTForms collects fields set on the class after it is made
    setattr(NeedForm, f"funding_{_source}", StringField(f"{_label} (USD)"))


class CriterionForm(Form):
    name = StringField("Criterion")
    weight = StringField("Weight")


class RoundForm(_Attach, FlaskForm):
    criteria_error: str | None = None
    title = StringField("Title", description="For example: 'Mesa capital priorities FY2027'.")
    fiscal_year = StringField("Fiscal year", description="The year it ends in, e.g. 2027.")
    budget = StringField("Budget envelope (USD)", description="What the selected needs may cost together.")
    criteria = FieldList(FormField(CriterionForm), min_entries=CRITERIA_ROWS, max_entries=MAX_CRITERIA)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, row in enumerate(self.criteria, start=1):
            row.form.name.label.text = f"Criterion {number} name"
            row.form.weight.label.text = f"Criterion {number} weight"

    def filled_rows(self) -> list:
        return [row for row in self.criteria if (row.form.name.data or "").strip() or (row.form.weight.data or "")
                .strip()]

    def to_data(self) -> dict:
        return {"title": self.title.data or "", "fiscal_year": (self.fiscal_year.data or "").strip(),
                "budget": (self.budget.data or "").strip(),
                "criteria": [{"name": row.form.name.data or "", "weight": (row.form.weight.data or "").strip()}
                             for row in self.filled_rows()]}

    def attach_errors(self, fields: dict[str, str]) -> None:
        rows = self.filled_rows()
        rest = {}
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "criteria" and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
                target = rows[int(parts[1])].form[parts[2]]
                target.errors = list(target.errors) + [message]
            elif parts[0] == "criteria":
                self.criteria_error = message
                self.form_errors.append(f"Criteria: {message}")
            else:
                rest[path] = message
        super().attach_errors(rest)


class AddNeedForm(FlaskForm):
    need_id = _select("Need", [("", "- Select -")])
