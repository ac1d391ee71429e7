"""An order's limits are declared once (next to the model) and the form, the API schema, the database
column and the validation agree, so a client following the OpenAPI document is never refused for a rule
it could not see, and a form never accepts what the service refuses."""

import pytest
from wtforms.validators import Length

from contracts.orders import api
from contracts.orders.forms import OrderForm, ReasonForm
from contracts.orders.models import MAX_LINES, NOTES_MAX, PO_NUMBER_MAX, QUANTITY_TEXT_MAX, Order
from contracts.orders.validation import clean_order_data
from marketplace.errors import ValidationFailed
from marketplace.inputs import REASON_LIMIT


def _form_max(form_class, name: str) -> int:
    field = getattr(form_class, name)
    lengths = [v.max for v in field.kwargs.get("validators", []) if isinstance(v, Length)]
    assert lengths, f"{form_class.__name__}.{name} has no length limit"
    return lengths[0]


def test_text_limits_agree_across_model_form_and_api():
    props = api.ORDER_IN["properties"]
    assert Order.__table__.c.po_number.type.length == PO_NUMBER_MAX
    assert props["po_number"]["maxLength"] == _form_max(OrderForm, "po_number") == PO_NUMBER_MAX
    assert props["notes"]["maxLength"] == _form_max(OrderForm, "notes") == NOTES_MAX
    assert props["lines"]["maxItems"] == MAX_LINES
    assert api.LINE_IN["properties"]["quantity"]["maxLength"] == QUANTITY_TEXT_MAX
    assert api.REASON_IN["properties"]["reason"]["maxLength"] == _form_max(ReasonForm, "reason") == REASON_LIMIT


class _Award:
    vendor_id = 1
    schedule = []


class _Vehicle:
    number = "V-1"
    awards = [_Award()]
    is_multi_award = False


def test_the_service_refuses_exactly_what_the_schema_refuses():
    with pytest.raises(ValidationFailed) as refused:
        clean_order_data({"po_number": "P" * (PO_NUMBER_MAX + 1), "notes": "n" * (NOTES_MAX + 1)}, _Vehicle())
    assert f"at most {PO_NUMBER_MAX}" in refused.value.fields["po_number"]
    assert f"at most {NOTES_MAX}" in refused.value.fields["notes"]
    with pytest.raises(ValidationFailed) as only_lines_missing:
        clean_order_data({"po_number": "P" * PO_NUMBER_MAX, "notes": "n" * NOTES_MAX}, _Vehicle())
    assert set(only_lines_missing.value.fields) == {"lines"}
