"""Limits are declared once, next to the models: the columns, the forms, the API schemas and the validation
of listings and pilots must all agree with them."""

from __future__ import annotations

import pytest
from wtforms.validators import Length

from catalog.listings import api as listings_api
from catalog.listings import models as listing_models
from catalog.listings.forms import ListingForm, PriceItemForm, ReasonForm
from catalog.listings.models import Listing, PriceItem
from catalog.listings.validation import clean_listing_data
from catalog.pilots import api as pilots_api
from catalog.pilots import models as pilot_models
from catalog.pilots.forms import MetricForm, PilotForm
from catalog.pilots.models import Pilot
from catalog.pilots.validation import clean_metrics, clean_pilot_data
from marketplace.errors import ValidationFailed
from marketplace.inputs import REASON_LIMIT


def _column_length(model, name: str) -> int:
    return model.__table__.c[name].type.length


def _form_max(form_class, name: str) -> int | None:
    """The `Length(max=…)` on a form field, read from the unbound field's validators."""
    field = getattr(form_class, name)
    caps = [v.max for v in field.kwargs.get("validators", ()) if isinstance(v, Length)]
    return caps[0] if caps else None


# --- listings ------------------------------------------------------------------------------------

LISTING_TEXT = [
    # field, limit, column (None: a Text column, unbounded in the database)
    ("title", listing_models.TITLE_MAX, "title"),
    ("summary", listing_models.SUMMARY_MAX, "summary"),
    ("description", listing_models.DESCRIPTION_MAX, None),
]


@pytest.mark.parametrize(("name", "limit", "column"), LISTING_TEXT)
def test_listing_text_limits_agree(name, limit, column):
    if column is not None:
        assert _column_length(Listing, column) == limit
    assert listings_api.LISTING_IN["properties"][name]["maxLength"] == limit
    assert listings_api.LISTING_PATCH["properties"][name]["maxLength"] == limit
    assert _form_max(ListingForm, name) == limit


def test_listing_list_and_item_limits_agree():
    props = listings_api.LISTING_IN["properties"]
    assert props["tags"]["maxItems"] == listing_models.MAX_TAGS
    assert props["tags"]["items"]["maxLength"] == listing_models.TAG_MAX
    assert props["standards"]["maxItems"] == listing_models.MAX_STANDARDS
    assert props["standards"]["items"]["maxLength"] == listing_models.STANDARD_MAX
    assert props["pricing_models"]["maxItems"] == len(listing_models.PRICING_MODELS)
    assert props["price_items"]["maxItems"] == listing_models.MAX_PRICE_ITEMS
    item = listings_api.PRICE_ITEM_IN["properties"]
    assert item["name"]["maxLength"] == _column_length(PriceItem, "name") == listing_models.ITEM_NAME_MAX
    assert item["unit"]["maxLength"] == _column_length(PriceItem, "unit") == listing_models.ITEM_UNIT_MAX
    assert _form_max(PriceItemForm, "name") == listing_models.ITEM_NAME_MAX
    assert _form_max(PriceItemForm, "unit") == listing_models.ITEM_UNIT_MAX
    assert _column_length(Listing, "category") >= max(map(len, listing_models.CATEGORIES))
    assert _column_length(Listing, "status") >= max(map(len, listing_models.LISTING_STATUSES))


def test_reason_limits_agree():
    assert listings_api.REASON_IN["properties"]["reason"]["maxLength"] == REASON_LIMIT
    assert _form_max(ReasonForm, "reason") == REASON_LIMIT


def _listing(**overrides) -> dict:
    data = {"title": "Sensors", "summary": "In-ground sensors.", "category": "parking",
            "pricing_models": ["purchase"], "price_items": [{"name": "Sensor", "unit": "each", "list_price": "1.00"}]}
    data.update(overrides)
    return data


def _listing_problems(**overrides) -> dict:
    try:
        clean_listing_data(_listing(**overrides))
    except ValidationFailed as err:
        return err.fields
    return {}


@pytest.mark.parametrize(("name", "limit", "column"), LISTING_TEXT)
def test_listing_validation_takes_exactly_the_limit(name, limit, column):
    assert _listing_problems(**{name: "x" * limit}) == {}
    assert name in _listing_problems(**{name: "x" * (limit + 1)})


def test_listing_validation_counts_lists_at_the_limits():
    tags = [f"tag{i}" for i in range(listing_models.MAX_TAGS)]
    assert _listing_problems(tags=tags) == {}
    assert "tags" in _listing_problems(tags=[*tags, "one more"])
    assert _listing_problems(tags=["x" * listing_models.TAG_MAX]) == {}
    assert "tags.0" in _listing_problems(tags=["x" * (listing_models.TAG_MAX + 1)])
    items = [{"name": f"Item {i}", "unit": "each", "list_price": "1.00"} for i in range(listing_models.MAX_PRICE_ITEMS)]
    assert _listing_problems(price_items=items) == {}
    assert "price_items" in _listing_problems(price_items=[*items, {"name": "More", "unit": "each",
                                                                    "list_price": "1.00"}])
    long_item = {"name": "x" * (listing_models.ITEM_NAME_MAX + 1), "unit": "u" * (listing_models.ITEM_UNIT_MAX + 1),
                 "list_price": str(listing_models.MAX_LIST_PRICE + 1)}
    assert set(_listing_problems(price_items=[long_item])) == {
        "price_items.0.name", "price_items.0.unit", "price_items.0.list_price"}


# --- pilots --------------------------------------------------------------------------------------

PILOT_TEXT = [
    # field, limit, column (None: a Text column)
    ("title", pilot_models.TITLE_MAX, "title"),
    ("vendor_name", pilot_models.VENDOR_NAME_MAX, "vendor_name"),
    ("units", pilot_models.UNITS_MAX, "units"),
    ("area", pilot_models.AREA_MAX, "area"),
    ("financing", pilot_models.FINANCING_MAX, "financing"),
    ("lessons", pilot_models.LESSONS_MAX, None),
    ("references", pilot_models.REFERENCES_MAX, None),
]


@pytest.mark.parametrize(("name", "limit", "column"), PILOT_TEXT)
def test_pilot_text_limits_agree(name, limit, column):
    assert pilot_models.TEXT_LIMITS[name] == limit
    if column is not None:
        assert _column_length(Pilot, column) == limit
    assert pilots_api.PILOT_IN["properties"][name]["maxLength"] == limit
    if name != "vendor_name":  # a pilot of a listing has the listing's vendor
        assert pilots_api.PILOT_OF_LISTING_IN["properties"][name]["maxLength"] == limit
    assert _form_max(PilotForm, name) == limit


def test_pilot_metric_limits_agree():
    metric = pilots_api.METRIC_IN["properties"]
    assert metric["kpi"]["maxLength"] == _form_max(MetricForm, "kpi") == pilot_models.KPI_MAX
    assert metric["unit"]["maxLength"] == _form_max(MetricForm, "unit") == pilot_models.METRIC_UNIT_MAX
    assert pilots_api.PILOT_IN["properties"]["metrics"]["maxItems"] == pilot_models.MAX_METRICS
    assert PilotForm.metrics.kwargs["max_entries"] > pilot_models.MAX_METRICS  # room for the blank row
    assert _column_length(Pilot, "category") == _column_length(Listing, "category")
    assert _column_length(Pilot, "outcome") >= max(map(len, pilot_models.OUTCOMES))


def _metric(**overrides) -> dict:
    return {"kpi": "Accuracy", "unit": "%", "direction": "higher", "baseline": "80", "target": "95",
            "result": "97", **overrides}


def test_pilot_validation_takes_exactly_the_limits():
    def problems(metrics) -> dict:
        fields: dict = {}
        clean_metrics(metrics, fields)
        return fields

    kpi, unit = pilot_models.KPI_MAX, pilot_models.METRIC_UNIT_MAX
    assert problems([_metric(kpi="k" * kpi, unit="u" * unit)]) == {}
    assert set(problems([_metric(kpi="k" * (kpi + 1), unit="u" * (unit + 1))])) == {"metrics.0.kpi", "metrics.0.unit"}
    many = [_metric(kpi=f"KPI {i}") for i in range(pilot_models.MAX_METRICS)]
    assert problems(many) == {}
    assert set(problems([*many, _metric(kpi="One more")])) == {"metrics"}


def _pilot(**overrides) -> dict:
    data = {"title": "Leak sensors", "vendor_name": "AquaSense", "category": "water", "start_date": "2025-01-01",
            "end_date": "2025-06-30", "metrics": [_metric()], "outcome": "met"}
    data.update(overrides)
    return data


@pytest.mark.parametrize(("name", "limit", "column"), PILOT_TEXT)
def test_pilot_validation_takes_exactly_the_text_limit(name, limit, column):
    def problems(value: str) -> dict:
        try:
            clean_pilot_data(_pilot(**{name: value}), consortium_id=1)  # no listing: no database needed
        except ValidationFailed as err:
            return err.fields
        return {}

    assert problems("x" * limit) == {}
    assert name in problems("x" * (limit + 1))
