"""Order forms. They only parse into the API's JSON shape; `contracts.orders` owns the rules."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from contracts.orders.models import NOTES_MAX, PO_NUMBER_MAX, QUANTITY_TEXT_MAX
from contracts.performance.terms import (
    ADJUSTMENT_REASON_MAX,
    CREDITS_UNIT,
    KPI_CODE_MAX,
    KPI_NAME_MAX,
    NUMBER_TEXT_MAX,
    SAVINGS_UNIT,
    UNITS,
    guess_unit,
)
from marketplace.inputs import DATE_HINT, REASON_LIMIT, parse_date, parse_id, whole_number


class LineForm(Form):
    price_item_id = HiddenField()
    quantity = StringField("Quantity", validators=[Optional(), Length(max=QUANTITY_TEXT_MAX)])
    unit_price = StringField("Unit price (USD)", validators=[Optional(), Length(max=20)])


class OrderForm(FlaskForm):
    vendor_id = HiddenField()  # the awarded vendor ordered from (chosen before the form, kept through its posts)
    po_number = StringField("Purchase-order number", description="Your city's own PO number, if it has one.",
                            validators=[Optional(), Length(max=PO_NUMBER_MAX)])
    delivery_start = StringField("Period of performance starts", description=DATE_HINT, validators=[Length(max=20)])
    delivery_end = StringField("Period of performance ends", description=DATE_HINT, validators=[Length(max=20)])
    notes = TextAreaField("Notes to the vendor", validators=[Optional(), Length(max=NOTES_MAX)])
    # The choices are the pricing models the vendor's listings on the vehicle offer (set by the view).
    pricing_model = RadioField("Pricing model", choices=[], validate_choice=False)
    lines = FieldList(FormField(LineForm))

    def fill_schedule(self, schedule, existing: dict | None = None) -> None:
        """One row per line of the vendor's price schedule; `existing` maps price_item_id → (quantity,
        unit_price)."""
        existing = existing or {}
        submitted = {row.form.price_item_id.data: row for row in self.lines}
        while len(self.lines):
            self.lines.pop_entry()
        for item in schedule:
            key = str(item.price_item_id)
            if key in submitted:
                row = submitted[key].form
                self.lines.append_entry({"price_item_id": key, "quantity": row.quantity.data,
                                         "unit_price": row.unit_price.data})
            else:
                quantity, price = existing.get(item.price_item_id, ("", ""))
                self.lines.append_entry({"price_item_id": key, "quantity": quantity, "unit_price": price})

    def to_data(self) -> dict:
        lines = []
        for row in self.lines:
            quantity = (row.form.quantity.data or "").strip()
            if not quantity:
                continue
            item = row.form.price_item_id.data
            lines.append({"price_item_id": parse_id(item) or item, "quantity": quantity,
                          "unit_price": (row.form.unit_price.data or "").strip() or None})
        return {
            **({"vendor_id": parse_id(self.vendor_id.data) or self.vendor_id.data} if self.vendor_id.data else {}),
            **({"pricing_model": self.pricing_model.data} if self.pricing_model.data else {}),
            "po_number": self.po_number.data or "",
            "notes": self.notes.data or "",
            "delivery_start": (self.delivery_start.data or "").strip() or None,  # contracts.orders parses dates
            "delivery_end": (self.delivery_end.data or "").strip() or None,
            "lines": lines,
            "performance": self.performance.form.to_terms(),
        }

    def attach_errors(self, fields: dict[str, str], submitted_ids: list) -> None:
        rows = {str(row.form.price_item_id.data): row for row in self.lines}
        terms_errors = {k.split(".", 1)[1]: v for k, v in fields.items() if k.startswith("performance.")}
        self.form_errors.extend(self.performance.form.attach_errors(terms_errors))
        fields = {k: v for k, v in fields.items() if not k.startswith("performance.")}
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(submitted_ids):
                row = rows.get(str(submitted_ids[int(parts[1])]))
                target = row.form[parts[2]] if row is not None and parts[2] in ("quantity", "unit_price") else None
                if target is not None:
                    target.errors = list(target.errors) + [message]
                    continue
            field = getattr(self, parts[0], None) if parts[0] != "lines" else None
            if field is not None and hasattr(field, "errors"):
                field.errors = list(field.errors) + [message]
            else:
                self.form_errors.append(message)


# --- blocks of the order form owned by features above orders ---------------------------------------


@dataclass(frozen=True)
class OrderFormSection:
    """A block of the order form that a feature above orders owns (contracts.finance registers vendor
    financing), so orders never import it: shown for one pricing model, and saved with the draft in the same
    transaction (a refused block leaves no order; a refused order, no block)."""

    key: str  # the sub-form's name on the order form: its fields are `<key>-<name>`
    title: str  # the block's heading
    pricing_model: str  # the block is offered when the vendor offers this model, and saved when it is chosen
    form_class: type  # a wtforms.Form
    template: str  # renders the block with `section`, `sub` (the sub-form), `existing`, `award`, `order`
    prefill: Callable  # (sub, award, order | None) -> None: the defaults of a blank block
    existing: Callable  # (order) -> what an existing order already has (then there is nothing to fill in)
    problems: Callable  # (sub) -> {field: message}: the block's own problems, checked without the order
    save: Callable  # (order, sub, actor) -> None: raises DomainError, fields named as the sub-form's


ORDER_FORM_SECTIONS: list[OrderFormSection] = []
_FORM_CLASSES: dict[tuple, type] = {}


def order_form_class() -> type:
    """OrderForm with a sub-form per registered section (so the error summary and CSRF cover them too)."""
    keys = tuple((s.key, s.form_class) for s in ORDER_FORM_SECTIONS)
    if keys not in _FORM_CLASSES:
        _FORM_CLASSES[keys] = type("OrderFormWithSections", (OrderForm,),
                                   {key: FormField(form_class) for key, form_class in keys})
    return _FORM_CLASSES[keys]


def attach_section_errors(sub: Form, fields: dict[str, str]) -> list[str]:
    """Put a section's messages at its fields; returns those that fit no field."""
    rest = []
    for name, message in fields.items():
        if name in sub._fields:
            sub[name].errors = list(sub[name].errors) + [message]
        else:
            rest.append(message)
    return rest


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=REASON_LIMIT)])


# The unit choices of a KPI, with the bounds every value of the unit keeps.
UNIT_CHOICES = [(unit, {"percent": "percent (0–100)", "kwh": "kWh (≥ 0)", "currency": "currency, USD (≥ 0)"}
                 .get(unit, f"{unit} (≥ 0)")) for unit in UNITS]


class KpiRowForm(Form):
    code = StringField("Code", validators=[Optional(), Length(max=KPI_CODE_MAX)])
    name = StringField("Name", validators=[Optional(), Length(max=KPI_NAME_MAX)])
    unit = SelectField("Unit", choices=UNIT_CHOICES, validate_choice=False)
    direction = SelectField("Better when", choices=[("higher", "higher"), ("lower", "lower")], validate_choice=False)
    weight = StringField("Weight", validators=[Optional(), Length(max=20)])
    baseline = StringField("Baseline", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    floor = StringField("Floor", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    target = StringField("Target", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    stretch = StringField("Stretch", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    min = StringField("Min (optional)", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    max = StringField("Max (optional)", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])

    def is_blank(self) -> bool:
        return not any((self[k].data or "").strip() for k in KPI_TEXT)


# The typed fields of a KPI row (the unit and direction selects always hold a value, so a row without any
# of these is empty).
KPI_TEXT = ("code", "name", "weight", "baseline", "floor", "target", "stretch", "min", "max")
KPI_OPTIONAL = ("stretch", "min", "max")


class TierForm(Form):
    below = StringField("Below", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    credit_pct = StringField("Credit %", validators=[Optional(), Length(max=20)])


class PerformanceForm(Form):
    """Pay-for-performance terms (DESIGN section 5), all amounts per period."""

    enabled = BooleanField("This order has pay-for-performance terms")
    period = SelectField("Period", choices=[("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
                         validate_choice=False)
    periods = StringField("Number of periods", validators=[Optional(), Length(max=5)])
    start_date = StringField("First day of period 1", description=f"Periods run from this day. {DATE_HINT}",
                             validators=[Optional(), Length(max=20)])
    fixed_fee = StringField("Fixed fee per period (USD)", validators=[Optional(), Length(max=20)])
    at_risk_fee = StringField("At-risk fee per period (USD)", validators=[Optional(), Length(max=20)])
    bonus_pool = StringField("Bonus pool per period (USD)", validators=[Optional(), Length(max=20)])
    holdback_pct = StringField("Holdback (%)", validators=[Optional(), Length(max=10)])
    holdback_window = StringField("Holdback window (periods)", validators=[Optional(), Length(max=5)])
    kpis = FieldList(FormField(KpiRowForm), min_entries=4)
    credits_kpi = StringField("Service-credit KPI code", validators=[Optional(), Length(max=KPI_CODE_MAX)])
    credits_unit = SelectField("Unit of the service-credit KPI (when it is not one of the KPIs above)",
                               choices=UNIT_CHOICES, default=CREDITS_UNIT, validate_choice=False)
    credits_cap_pct = StringField("Credit cap (% of the fixed fee)", validators=[Optional(), Length(max=10)])
    tiers = FieldList(FormField(TierForm), min_entries=3)
    savings_kpi = StringField("Shared-savings KPI code (reporting use)",
                              validators=[Optional(), Length(max=KPI_CODE_MAX)])
    savings_unit = SelectField("Unit of the reporting use (when it is not one of the KPIs above)",
                               choices=UNIT_CHOICES, default=SAVINGS_UNIT, validate_choice=False)
    baseline_use = StringField("Baseline use", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    adjustment_amount = StringField("Baseline adjustment (units)", validators=[Optional(), Length(max=NUMBER_TEXT_MAX)])
    adjustment_reason = StringField("Reason for the adjustment",
                                    validators=[Optional(), Length(max=ADJUSTMENT_REASON_MAX)])
    unit_price = StringField("Price per unit saved (USD)", validators=[Optional(), Length(max=20)])
    vendor_share_pct = StringField("Vendor share of savings (%)", validators=[Optional(), Length(max=10)])
    vendor_cap = StringField("Vendor cap per period (USD)", validators=[Optional(), Length(max=20)])
    guaranteed_savings = StringField("Guaranteed savings per period (USD)", validators=[Optional(), Length(max=20)])
    revenue_kpi = StringField("Revenue code (the vendor reports gross revenue under it, in USD)",
                              description="A code of its own, such as ad_revenue, or a KPI above measured in currency.",
                              validators=[Optional(), Length(max=KPI_CODE_MAX)])
    city_share_pct = StringField("City's share of the revenue (%)", validators=[Optional(), Length(max=10)])
    minimum_guarantee = StringField("Minimum guaranteed to the city per block (USD)",
                                    validators=[Optional(), Length(max=20)])
    guarantee_periods = StringField("Periods per guarantee block",
                                    description="A shorter last block owes the whole minimum.",
                                    validators=[Optional(), Length(max=5)])

    def _kpi_rows(self) -> list:
        return [row for row in self.kpis if not row.form.is_blank()]

    def _tier_rows(self) -> list:
        return [row for row in self.tiers if (row.form.below.data or "").strip() or (row.form.credit_pct.data or "")
                .strip()]

    def to_terms(self) -> dict | None:
        """The terms in the API's shape (strings; the engine validates), or None when not enabled."""
        if not self.enabled.data:
            return None

        def text(field) -> str:
            return (field.data or "").strip()

        def whole(field):
            value = text(field)
            number = whole_number(value, high=10**6)
            return number if number is not None else (value or None)

        terms: dict = {
            "period": self.period.data or "month", "periods": whole(self.periods),
            "start_date": self._start_date(),
            "fixed_fee": text(self.fixed_fee) or "0", "at_risk_fee": text(self.at_risk_fee) or "0",
            "bonus_pool": text(self.bonus_pool) or "0", "holdback_pct": text(self.holdback_pct) or "0",
            "kpis": [],
        }
        if text(self.holdback_window):
            terms["holdback_window"] = whole(self.holdback_window)
        for row in self._kpi_rows():
            kpi = {k: text(row.form[k]) for k in ("code", "name", "weight", "baseline", "floor", "target")}
            kpi["unit"] = row.form.unit.data or "percent"
            kpi["direction"] = row.form.direction.data or "higher"
            kpi.update({k: text(row.form[k]) for k in KPI_OPTIONAL if text(row.form[k])})
            terms["kpis"].append(kpi)
        kpi_codes = {kpi["code"] for kpi in terms["kpis"]}
        if text(self.credits_kpi):
            terms["service_credits"] = {
                "kpi": text(self.credits_kpi), "applies_to": "fixed_fee", "cap_pct": text(self.credits_cap_pct),
                "tiers": [{"below": text(r.form.below), "credit_pct": text(r.form.credit_pct)}
                          for r in self._tier_rows()],
            }
            if text(self.credits_kpi) not in kpi_codes:  # a KPI's own unit is the block's
                terms["service_credits"]["unit"] = self.credits_unit.data or CREDITS_UNIT
        if text(self.savings_kpi):
            adjustments = []
            if text(self.adjustment_amount):
                adjustments.append({"amount": text(self.adjustment_amount), "reason": text(self.adjustment_reason)})
            terms["shared_savings"] = {
                "kpi": text(self.savings_kpi), "baseline_use": text(self.baseline_use), "adjustments": adjustments,
                "unit_price": text(self.unit_price), "vendor_share_pct": text(self.vendor_share_pct),
                "vendor_cap": text(self.vendor_cap), "guaranteed_savings": text(self.guaranteed_savings),
            }
            if text(self.savings_kpi) not in kpi_codes:
                terms["shared_savings"]["unit"] = self.savings_unit.data or SAVINGS_UNIT
        if text(self.revenue_kpi):
            terms["revenue_share"] = {
                "kpi": text(self.revenue_kpi), "city_share_pct": text(self.city_share_pct) or None,
                "minimum_guarantee": text(self.minimum_guarantee) or "0",
                "guarantee_periods": whole(self.guarantee_periods),
            }
        return terms

    def _start_date(self) -> str | None:
        """The first day as the terms carry it (ISO), read by the one date parser, so a date typed as
        04/01/2027 where the browser shows a text box is taken; a date it refuses keeps its message."""
        typed = (self.start_date.data or "").strip()
        problems: dict[str, str] = {}
        parsed = parse_date(typed, "start_date", problems, required=False)
        self._start_date_problem = problems.get("start_date")
        return parsed.isoformat() if parsed else (typed or None)

    def fill(self, terms: dict | None) -> None:
        """Prefill from terms (an order's, or KPIs proposed from a pilot)."""
        if not terms:
            return
        self.enabled.data = True
        for name in ("period", "start_date", "fixed_fee", "at_risk_fee", "bonus_pool", "holdback_pct"):
            if terms.get(name) is not None:
                self[name].data = str(terms[name])
        for name in ("periods", "holdback_window"):
            if terms.get(name) is not None:
                self[name].data = str(terms[name])
        while len(self.kpis):
            self.kpis.pop_entry()
        for kpi in terms.get("kpis", []):
            row = {k: ("" if kpi.get(k) is None else str(kpi.get(k))) for k in (*KPI_TEXT, "direction")}
            self.kpis.append_entry({**row, "unit": guess_unit(kpi.get("unit"))})
        while len(self.kpis) < max(4, len(terms.get("kpis", [])) + 1):
            self.kpis.append_entry()
        credits = terms.get("service_credits")
        if credits:
            self.credits_kpi.data, self.credits_cap_pct.data = credits["kpi"], str(credits["cap_pct"])
            self.credits_unit.data = credits.get("unit") or CREDITS_UNIT
            while len(self.tiers):
                self.tiers.pop_entry()
            for tier in credits["tiers"]:
                self.tiers.append_entry({"below": str(tier["below"]), "credit_pct": str(tier["credit_pct"])})
            while len(self.tiers) < 3:
                self.tiers.append_entry()
        savings = terms.get("shared_savings")
        if savings:
            self.savings_kpi.data = savings["kpi"]
            self.savings_unit.data = savings.get("unit") or SAVINGS_UNIT
            for name in ("baseline_use", "unit_price", "vendor_share_pct", "vendor_cap", "guaranteed_savings"):
                self[name].data = str(savings[name])
            if savings.get("adjustments"):
                self.adjustment_amount.data = str(savings["adjustments"][0]["amount"])
                self.adjustment_reason.data = savings["adjustments"][0]["reason"]
        revenue = terms.get("revenue_share")
        if revenue:
            self.revenue_kpi.data = revenue["kpi"]
            for name, key in REVENUE_FIELDS.items():
                if key != "kpi" and revenue.get(key) is not None:
                    self[name].data = str(revenue[key])

    def attach_errors(self, fields: dict[str, str]) -> list[str]:
        """Put `performance.*` messages on the fields; returns those that fit no field."""
        kpi_rows, tier_rows, rest = self._kpi_rows(), self._tier_rows(), []
        simple = {"service_credits.kpi": "credits_kpi", "service_credits.cap_pct": "credits_cap_pct",
                  "shared_savings.kpi": "savings_kpi", "service_credits.unit": "credits_unit",
                  "shared_savings.unit": "savings_unit"}
        for path, message in fields.items():
            parts = path.split(".")
            target = None
            if parts[0] == "kpis" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(kpi_rows):
                target = kpi_rows[int(parts[1])].form._fields.get(parts[2])
            elif parts[:2] == ["service_credits", "tiers"] and len(parts) >= 4 and parts[2].isdigit() \
                    and int(parts[2]) < len(tier_rows):
                target = tier_rows[int(parts[2])].form._fields.get(parts[3])
            elif path in simple:
                target = self[simple[path]]
            elif parts[0] == "shared_savings" and len(parts) == 2 and parts[1] in self._fields:
                target = self[parts[1]]
            elif parts[0] == "revenue_share" and len(parts) == 2 and parts[1] in REVENUE_PATHS:
                target = self[REVENUE_PATHS[parts[1]]]
            elif parts[0] == "shared_savings" and parts[1:2] == ["adjustments"]:
                target = self.adjustment_reason if parts[-1] == "reason" else self.adjustment_amount
            elif len(parts) == 1 and parts[0] in self._fields and parts[0] not in ("kpis", "tiers"):
                target = self[parts[0]]
                if path == "start_date" and getattr(self, "_start_date_problem", None):
                    message = self._start_date_problem  # in the words of the date field, not the engine's
            if target is not None:
                target.errors = list(target.errors) + [message]
            else:
                label = {"kpis": "KPIs", "terms": "terms"}.get(path, path.replace("_", " ").replace(".", " › "))
                rest.append(f"Performance terms — {label}: {message}")
        return rest


# The revenue-share fields of the form → the keys of the terms' `revenue_share` block, and back.
REVENUE_FIELDS = {"revenue_kpi": "kpi", "city_share_pct": "city_share_pct", "minimum_guarantee": "minimum_guarantee",
                  "guarantee_periods": "guarantee_periods"}
REVENUE_PATHS = {key: name for name, key in REVENUE_FIELDS.items()}

OrderForm.performance = FormField(PerformanceForm)
