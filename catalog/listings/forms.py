"""Listing forms. They only parse (and cap lengths at the model's limits, with the validation's message);
`catalog.listings.validation.clean_listing_data` owns the rules."""

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.listings.models import (
    CATEGORIES,
    DESCRIPTION_MAX,
    ITEM_NAME_MAX,
    ITEM_UNIT_MAX,
    PRICING_MODELS,
    SUMMARY_MAX,
    TITLE_MAX,
)
from marketplace.inputs import REASON_LIMIT, parse_id

BLANK_PRICE_ROWS = 3


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def at_most(limit: int) -> Length:
    """A length cap worded like `marketplace.inputs.clean_text`'s message."""
    return Length(max=limit, message=f"Use at most {limit} characters.")


class PriceItemForm(Form):
    id = HiddenField()
    name = StringField("Item", validators=[Optional(), at_most(ITEM_NAME_MAX)])
    unit = StringField("Unit", validators=[Optional(), at_most(ITEM_UNIT_MAX)])
    list_price = StringField("List price (USD)", validators=[Optional(), Length(max=20)])


class ListingForm(FlaskForm):
    title = StringField("Title", validators=[at_most(TITLE_MAX)], description="What the solution is, in a few words.")
    summary = TextAreaField(
        "Summary", validators=[at_most(SUMMARY_MAX)],
        description=f"One or two sentences shown in search results (at most {SUMMARY_MAX} characters).")
    description = TextAreaField("Description", validators=[at_most(DESCRIPTION_MAX)],
                                description="What it does, how it is deployed, what cities get.")
    category = SelectField("Category", choices=[("", "- Select -")] + list(CATEGORIES.items()), validate_choice=False)
    pricing_models = CheckboxesField("Pricing models offered", choices=list(PRICING_MODELS.items()),
                                     validate_choice=False)
    tags = StringField("Tags", description="Separated by commas, e.g. LED, adaptive, dimming.")
    standards = StringField("Open standards and APIs supported",
                            description="Separated by commas, e.g. TALQ, DALI-2, REST API.")
    price_items = FieldList(FormField(PriceItemForm), min_entries=1)

    def to_data(self) -> dict:
        """The API's JSON shape, so forms and API share one set of rules."""
        items = []
        for row in self.price_items:
            values = {k: (row.form[k].data or "").strip() for k in ("name", "unit", "list_price")}
            if not any(values.values()):
                continue
            raw_id = (row.form.id.data or "").strip()
            items.append({"id": parse_id(raw_id), **values})
        return {
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "category": self.category.data or "",
            "pricing_models": list(self.pricing_models.data or []),
            "tags": self.tags.data or "",
            "standards": self.standards.data or "",
            "price_items": items,
        }

    def fill(self, content: dict) -> None:
        """Prefill from listing content (GET of the edit form)."""
        self.title.data = content["title"]
        self.summary.data = content["summary"]
        self.description.data = content["description"]
        self.category.data = content["category"]
        self.pricing_models.data = content["pricing_models"]
        self.tags.data = ", ".join(content["tags"])
        self.standards.data = ", ".join(content["standards"])
        while len(self.price_items):
            self.price_items.pop_entry()
        for item in content["price_items"]:
            self.price_items.append_entry({"id": item.get("id") or "", "name": item["name"], "unit": item["unit"],
                                           "list_price": item["list_price"]})

    def add_blank_rows(self) -> None:
        while len(self.price_items) < len(self._filled_rows()) + BLANK_PRICE_ROWS:
            self.price_items.append_entry()

    def _filled_rows(self) -> list:
        keys = ("name", "unit", "list_price")
        return [r for r in self.price_items if any((r.form[k].data or "").strip() for k in keys)]

    def attach_errors(self, fields: dict[str, str]) -> None:
        """Put service validation messages on the matching form fields."""
        rows = self._filled_rows()
        for path, message in fields.items():
            parts = path.split(".")
            if parts[0] == "price_items" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                target = rows[int(parts[1])].form[parts[2]] if parts[2] in ("name", "unit", "list_price") else None
                if target is not None:
                    target.errors = list(target.errors) + [message]
                    continue
            field = getattr(self, parts[0], None)
            if field is not None and hasattr(field, "errors") and parts[0] != "price_items":
                field.errors = list(field.errors) + [message]
            else:
                self.form_errors.append(message if parts[0] != "price_items" else f"Price items: {message}")


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), at_most(REASON_LIMIT)])
