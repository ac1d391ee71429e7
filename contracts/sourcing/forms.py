"""RFI, interest, response and conversion forms. They only carry the fields in the API's shape;
`contracts.sourcing.validation` (and, for a pilot, `catalog.pilots.validation`) own the rules and messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, SelectMultipleField, StringField, TextAreaField

from catalog.listings.models import PRICING_MODELS
from catalog.pilots.models import DIRECTIONS
from contracts.sourcing.models import MOU_POINTS, POSITIONS
from marketplace.categories import CATEGORIES
from marketplace.inputs import DATE_HINT

METRIC_ROWS = 3


def _select(label: str, choices, **kwargs) -> SelectField:
    return SelectField(label, choices=choices, validate_choice=False, **kwargs)


class _Attach:
    """Puts a ValidationFailed's field messages on the fields (`mou_outline.roles` → `mou_roles`, …); the rest
    go to the form's messages, shown in the error summary."""

    ALIASES: dict[str, str] = {}

    def attach_errors(self, fields: dict[str, str]) -> None:
        for path, message in fields.items():
            name = self.ALIASES.get(path) or path.replace(".", "_")
            if name in self._fields and name != "csrf_token" and not isinstance(self[name], FieldList):
                self[name].errors = list(self[name].errors) + [message]
            elif path.split(".")[0] in self._fields and path.split(".")[0] != "csrf_token":
                target = self[path.split(".")[0]]
                target.errors = list(target.errors) + [message]
            else:
                self.form_errors.append(message)


class RfiForm(_Attach, FlaskForm):
    ALIASES = {f"mou_outline.{p}": f"mou_{p}" for p in MOU_POINTS}

    title = StringField("Title", description="What you ask vendors about, e.g. 'Curbside parking availability'.")
    problem = TextAreaField("Problem", description="What goes wrong today and for whom.")
    outcomes = TextAreaField("Outcomes sought", description="What success looks like, measurably if you can.")
    category = _select("Category", [("", "- Select -"), *CATEGORIES.items()],
                       description="Vendors with a published listing in it are told when the RFI opens.")
    due_date = StringField("Responses due (date)", description=f"{DATE_HINT} Responses are taken until the end of "
                                                               "that day in the consortium's time zone.")
    due_time = StringField("Time (optional)", description="For an earlier cut-off that day, e.g. 17:00.")
    need_ids = SelectMultipleField("Linked needs", choices=[], validate_choice=False,
                                   description="Selected needs this RFI sources; they move to 'sourcing' when it "
                                               "opens.")
    mou_roles = TextAreaField(MOU_POINTS["roles"])
    mou_data_sharing = TextAreaField(MOU_POINTS["data_sharing"])
    mou_revenue_sharing = TextAreaField(MOU_POINTS["revenue_sharing"])
    mou_intellectual_property = TextAreaField(MOU_POINTS["intellectual_property"])
    mou_term = TextAreaField(MOU_POINTS["term"])

    def to_data(self) -> dict:
        due = (self.due_date.data or "").strip()
        if due and (self.due_time.data or "").strip():
            due = f"{due} {self.due_time.data.strip()}"
        return {"title": self.title.data or "", "problem": self.problem.data or "",
                "outcomes": self.outcomes.data or "", "category": self.category.data or None, "responses_due": due,
                "need_ids": [v for v in (self.need_ids.data or []) if v],
                "mou_outline": {p: self[f"mou_{p}"].data or "" for p in MOU_POINTS}}

    def attach_errors(self, fields: dict[str, str]) -> None:
        renamed = {("due_date" if k == "responses_due" else k): v for k, v in fields.items()}
        super().attach_errors(renamed)

    def fill(self, rfi, zone) -> None:
        for name in ("title", "problem", "outcomes", "category"):
            self[name].data = getattr(rfi, name)
        local = rfi.responses_due.astimezone(zone)
        self.due_date.data = local.date().isoformat()
        self.due_time.data = "" if (local.hour, local.minute) == (23, 59) else local.strftime("%H:%M")
        self.need_ids.data = [str(n.id) for n in rfi.needs]
        for point in MOU_POINTS:
            self[f"mou_{point}"].data = (rfi.mou_outline or {}).get(point, "")


class InterestForm(_Attach, FlaskForm):
    indicative_quantity = StringField("Indicative quantity", description="How many units your city might buy.")
    indicative_budget = StringField("Indicative budget (USD)", description="For example: 150000.00.")
    note = TextAreaField("Note", description="Optional: timing, constraints, who to talk to.")

    def to_data(self) -> dict:
        return {"indicative_quantity": (self.indicative_quantity.data or "").strip(),
                "indicative_budget": (self.indicative_budget.data or "").strip(), "note": self.note.data or ""}


class ResponseForm(_Attach, FlaskForm):
    summary = TextAreaField("Summary", description="What you propose and how it reaches the outcomes sought.")
    listing_id = _select("Listing (optional)", [("", "- None -")])
    pricing_models = SelectMultipleField("Pricing models", choices=list(PRICING_MODELS.items()),
                                         validate_choice=False)
    indicative_price = StringField("Indicative price (USD)", description="For example: 250000.00.")

    def to_data(self) -> dict:
        return {"summary": self.summary.data or "", "listing_id": self.listing_id.data or None,
                "pricing_models": list(self.pricing_models.data or []),
                "indicative_price": (self.indicative_price.data or "").strip(),
                "mou": {p: {"position": self[f"position_{p}"].data or None, "comment": self[f"comment_{p}"].data or ""}
                        for p in MOU_POINTS}}

    def attach_errors(self, fields: dict[str, str]) -> None:
        renamed = {}
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "mou" and len(parts) == 3:
                renamed[f"{parts[2]}_{parts[1]}"] = message
            else:
                renamed[path] = message
        super().attach_errors(renamed)

    def fill(self, response) -> None:
        self.summary.data = response.summary
        self.listing_id.data = str(response.listing_id) if response.listing_id else ""
        self.pricing_models.data = list(response.pricing_models)
        self.indicative_price.data = format(response.indicative_price, "f")
        for point, item in (response.mou or {}).items():
            self[f"position_{point}"].data = item.get("position")
            self[f"comment_{point}"].data = item.get("comment") or ""


for _point, _label in MOU_POINTS.items():  # WTForms collects fields set on the class after it is made
    setattr(ResponseForm, f"position_{_point}", SelectField(f"{_label}: your position",
                                                            choices=[("", "- Select -"), *POSITIONS.items()],
                                                            validate_choice=False))
    setattr(ResponseForm, f"comment_{_point}", TextAreaField(f"{_label}: comment",
                                                             description="Required when you comment."))


class MetricForm(Form):
    kpi = StringField("KPI")
    unit = StringField("Unit")
    direction = _select("Better when", list(DIRECTIONS.items()))
    baseline = StringField("Baseline")
    target = StringField("Target")


class ConvertForm(_Attach, FlaskForm):
    response_id = _select("Response", [("", "- Select -")])
    into = _select("Convert into", [("pilot", "A recorded pilot hosted by the issuer"),
                                    ("vehicle", "A draft vehicle led by the issuer")])
    lead_agency_id = _select("Lead agency", [("", "- Select -")],
                             description="For an RFI of the office: the member city that leads the vehicle.")
    start_date = StringField("Pilot start date", description=f"Default: today. {DATE_HINT}")
    end_date = StringField("Pilot end date", description=f"Default: six months on. {DATE_HINT}")
    units = StringField("Pilot scope (units)", description="What will be deployed, e.g. '40 sensors'.")
    metrics = FieldList(FormField(MetricForm), min_entries=METRIC_ROWS, max_entries=METRIC_ROWS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, row in enumerate(self.metrics, start=1):
            for name, label in (("kpi", "KPI"), ("unit", "unit"), ("direction", "better when"),
                                ("baseline", "baseline"), ("target", "target")):
                row.form[name].label.text = f"Metric {number} {label}"

    def filled(self) -> list:
        return [row for row in self.metrics if any((row.form[n].data or "").strip()
                                                     for n in ("kpi", "unit", "baseline", "target"))]

    def to_data(self) -> dict:
        data = {"response_id": self.response_id.data or None, "into": self.into.data or None}
        if self.into.data == "pilot":
            data["pilot"] = {"start_date": (self.start_date.data or "").strip() or None,
                             "end_date": (self.end_date.data or "").strip() or None,
                             "units": self.units.data or "",
                             "metrics": [{n: (row.form[n].data or "").strip() for n in
                                          ("kpi", "unit", "direction", "baseline", "target")} for row in self.filled()]}
        elif self.lead_agency_id.data:
            data["lead_agency_id"] = self.lead_agency_id.data
        return data

    def attach_errors(self, fields: dict[str, str]) -> None:
        rows = self.filled()
        rest = {}
        for path, message in fields.items():
            parts = path.split(".")
            row = int(parts[2]) if len(parts) == 4 and parts[2].isdigit() else None
            if parts[:2] == ["pilot", "metrics"] and row is not None and row < len(rows):
                target = rows[row].form[parts[3]] if parts[3] in rows[row].form._fields else None
                if target is not None:
                    target.errors = list(target.errors) + [message]
                    continue
            if parts[0] == "pilot" and len(parts) == 2 and parts[1] in ("start_date", "end_date", "units"):
                rest[parts[1]] = message
            elif parts[0] == "pilot":
                self.form_errors.append(f"Pilot: {message}")
            else:
                rest[path] = message
        super().attach_errors(rest)
