"""Pilot forms. They only parse (and cap lengths at the model's limits, with the validation's message);
`catalog.pilots.validation.clean_pilot_data` owns the rules and the messages."""

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField

from catalog.listings.forms import at_most
from catalog.listings.models import CATEGORIES
from catalog.pilots.models import (
    KPI_MAX,
    MAX_METRICS,
    METRIC_FIELDS,
    METRIC_UNIT_MAX,
    OUTCOMES,
    PILOT_STATUSES,
    TEXT_LIMITS,
)
from marketplace.inputs import DATE_HINT

METRIC_ROWS = 5
NO_LISTING_CHOICE = ("", "- Not on the marketplace yet: name the vendor below -")
METRIC_LABELS = {"kpi": "KPI", "unit": "unit", "direction": "better when", "baseline": "baseline",
                 "target": "target", "result": "result"}


def _select(label: str, choices, **kwargs) -> SelectField:
    # The service validates the choice, with a clearer message than WTForms' "Not a valid choice".
    return SelectField(label, choices=choices, validate_choice=False, **kwargs)


class MetricForm(Form):
    kpi = StringField("KPI", validators=[at_most(KPI_MAX)])
    unit = StringField("Unit", validators=[at_most(METRIC_UNIT_MAX)])
    direction = _select("Better when", [("higher", "Higher is better"), ("lower", "Lower is better")])
    baseline = StringField("Baseline")
    target = StringField("Target")
    result = StringField("Result")

    def is_blank(self) -> bool:
        """A row with nothing typed in (the direction select always has a value)."""
        return not any((self[name].data or "").strip() for name in METRIC_FIELDS if name != "direction")


class PilotForm(FlaskForm):
    title = StringField("Title", validators=[at_most(TEXT_LIMITS["title"])],
                        description="What was piloted, where, e.g. 'Smart parking sensors downtown'.")
    listing_id = _select("Listing on the marketplace", [NO_LISTING_CHOICE])
    vendor_name = StringField("Vendor name", validators=[at_most(TEXT_LIMITS["vendor_name"])],
                              description="Only for a vendor that is not on the marketplace yet.")
    category = _select(
        "Category", [("", "- Select -")] + list(CATEGORIES.items()),
        description="Only for a vendor not on the marketplace: a pilot of a listing takes the listing's category.",
    )
    start_date = StringField("Start date", description=DATE_HINT)
    end_date = StringField("End date", description=DATE_HINT)
    units = StringField("Scope (units)", validators=[at_most(TEXT_LIMITS["units"])],
                        description="What was deployed, e.g. '120 parking sensors'.")
    area = StringField("Area", validators=[at_most(TEXT_LIMITS["area"])],
                       description="Where, e.g. 'Downtown, 14 blocks'.")
    cost = StringField("Cost (USD)", description="Optional, e.g. 48000.00.")
    financing = StringField("Financing", validators=[at_most(TEXT_LIMITS["financing"])],
                            description="How it was paid for, e.g. 'vendor-funded pilot', 'grant'.")
    metrics = FieldList(FormField(MetricForm), min_entries=METRIC_ROWS, max_entries=MAX_METRICS + 1)
    outcome = _select(
        "Outcome", [("", "- As the metrics give -")] + list(OUTCOMES.items()),
        description="Left as the metrics give, the outcome is derived: every result reaching its target is Met, "
                    "some Partially met, none Not met, no results Inconclusive.",
    )
    justification = TextAreaField(
        "Justification", validators=[at_most(TEXT_LIMITS["justification"])],
        description="Only when you state another outcome than the metrics give: explain why. Everyone who can see "
                    "the pilot reads it next to the outcome.",
    )
    lessons = TextAreaField("Lessons learned", validators=[at_most(TEXT_LIMITS["lessons"])])
    references = TextAreaField("References", validators=[at_most(TEXT_LIMITS["references"])],
                               description="Reports, contacts or links other cities can follow up.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each metric input gets its own label ("Metric 2 baseline"), for screen readers and the error summary.
        for number, row in enumerate(self.metrics, start=1):
            for name in METRIC_FIELDS:
                row.form[name].label.text = f"Metric {number} {METRIC_LABELS[name]}"

    def filled_metric_rows(self) -> list:
        return [row for row in self.metrics if not row.form.is_blank()]

    def to_data(self) -> dict:
        """The API's JSON shape, so the form and the API share one set of rules. Blank rows are ignored;
        with a listing chosen, its own category applies."""
        metrics = [{name: (row.form[name].data or "").strip() for name in METRIC_FIELDS}
                   for row in self.filled_metric_rows()]
        listing_id = (self.listing_id.data or "").strip()
        return {
            "title": self.title.data or "",
            "listing_id": listing_id or None,
            "vendor_name": self.vendor_name.data or "",
            "category": None if listing_id else (self.category.data or None),
            "start_date": (self.start_date.data or "").strip(),
            "end_date": (self.end_date.data or "").strip(),
            "units": self.units.data or "",
            "area": self.area.data or "",
            "cost": self.cost.data or "",
            "financing": self.financing.data or "",
            "metrics": metrics,
            "outcome": self.outcome.data or None,
            "justification": self.justification.data or "",
            "lessons": self.lessons.data or "",
            "references": self.references.data or "",
        }

    def attach_errors(self, fields: dict[str, str]) -> None:
        """Put the service's messages on the matching fields. The service numbers metrics among the filled
        rows only (blank rows are not sent)."""
        rows = self.filled_metric_rows()
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "metrics":
                index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                if index is not None and index < len(rows) and len(parts) > 2 and parts[2] in METRIC_FIELDS:
                    target = rows[index].form[parts[2]]
                    target.errors = list(target.errors) + [message]
                else:
                    self.form_errors.append(f"Metrics: {message}")
                continue
            field = getattr(self, parts[0], None)
            if field is not None and parts[0] in self._fields and parts[0] != "csrf_token":
                field.errors = list(field.errors) + [message]
            else:
                self.form_errors.append(message)


class LinkForm(FlaskForm):
    listing_id = _select("Published listing", [("", "- Select -")])


class LibraryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Title contains")
    category = _select("Category", [("", "Any category")] + list(CATEGORIES.items()))
    outcome = _select("Outcome (from the metrics)", [("", "Any outcome")] + list(OUTCOMES.items()))
    host = _select("Host member", [("", "Any member")])
    kpi = StringField("KPI", description="Part of a KPI name, e.g. 'occupancy'.")
    status = _select("Status", [("", "Any status")] + [(s, s.capitalize()) for s in PILOT_STATUSES])

    def attach_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            field = getattr(self, name, None)
            if field is not None and name in self._fields:
                field.errors = list(field.errors) + [message]
            else:
                self.form_errors.append(message)
