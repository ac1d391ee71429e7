"""The vehicle limits are declared once, next to the models; the columns, the forms, the API schema and
the validation all read them, so a value the API lets through is one the service accepts and the
database holds (a title of 1,000 characters once passed the API's schema and failed in the service)."""

import pytest
from sqlalchemy import select
from wtforms.validators import Length

from contracts.vehicles import api, forms, models, validation
from contracts.vehicles.models import Participation, Vehicle
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT
from tests.conftest import consortium, fetch
from tests.contracts.factories import make_vehicle, vehicle_data

TEXT_LIMITS = {"number": models.NUMBER_MAX, "title": models.TITLE_MAX, "notes": models.NOTES_MAX}


def _form_max(form_class, name: str) -> int:
    lengths = [v for v in getattr(form_class, name).kwargs["validators"] if isinstance(v, Length)]
    assert len(lengths) == 1, f"{form_class.__name__}.{name} needs one Length validator"
    return lengths[0].max


def test_columns_forms_and_api_schema_read_the_same_limits():
    assert Vehicle.__table__.c.number.type.length == models.NUMBER_MAX
    assert Vehicle.__table__.c.title.type.length == models.TITLE_MAX
    props = api.VEHICLE_IN["properties"]
    assert api.VEHICLE_PATCH["properties"] is props
    for name, limit in TEXT_LIMITS.items():
        assert props[name]["maxLength"] == limit, name
        assert _form_max(forms.VehicleForm, name) == limit, name
    assert props["listing_ids"]["maxItems"] == models.LISTINGS_MAX
    assert props["price_schedule"]["maxItems"] == models.SCHEDULE_MAX
    renewal = props["renewal_options"]["properties"]
    assert renewal["count"]["maximum"] == models.RENEWALS_MAX
    assert renewal["months"]["maximum"] == models.RENEWAL_MONTHS_MAX
    assert props["admin_fee_pct"]["pattern"].endswith(f"{{1,{models.ADMIN_FEE_PLACES}}})?$")
    assert api.PARTICIPATION_IN["properties"]["special_terms"]["maxLength"] == models.SPECIAL_TERMS_MAX
    assert _form_max(forms.JoinForm, "special_terms") == models.SPECIAL_TERMS_MAX
    assert api.REASON_IN["properties"]["reason"]["maxLength"] == REASON_LIMIT
    assert _form_max(forms.ReasonForm, "reason") == REASON_LIMIT


def test_the_form_hints_state_the_renewal_ranges():
    assert f"0 to {models.RENEWALS_MAX}" in forms.VehicleForm.renewal_count.kwargs["description"]
    assert f"1 to {models.RENEWAL_MONTHS_MAX} months" in forms.VehicleForm.renewal_months.kwargs["description"]


def _problems(data: dict) -> dict[str, str]:
    try:
        validation.clean_vehicle_data(data, consortium=db.session.merge(consortium("gpsr")))
    except ValidationFailed as err:
        return err.fields
    return {}


def _listing():
    from tests.catalog.factories import make_listing

    return make_listing("published", vendor_email="vendor@brightstreet.example", title="Limits kit")


def test_validation_accepts_each_limit_and_refuses_one_more(ctx):
    listing = _listing()
    base = vehicle_data([listing])
    for name, limit in TEXT_LIMITS.items():
        at_limit = "A" + "1" * (limit - 1)
        assert name not in _problems({**base, name: at_limit}), name
        assert f"at most {limit} characters" in _problems({**base, name: at_limit + "1"})[name], name
    for count in (0, models.RENEWALS_MAX):
        assert _problems({**base, "renewal_options": {"count": count, "months": models.RENEWAL_MONTHS_MAX}}) == {}
    too_many = _problems({**base, "renewal_options": {"count": models.RENEWALS_MAX + 1, "months": 12}})
    assert f"from 0 to {models.RENEWALS_MAX}" in too_many["renewal_options.count"]
    too_long = _problems({**base, "renewal_options": {"count": 1, "months": models.RENEWAL_MONTHS_MAX + 1}})
    assert f"from 1 to {models.RENEWAL_MONTHS_MAX}" in too_long["renewal_options.months"]
    assert _problems({**base, "admin_fee_pct": str(models.ADMIN_FEE_MAX)}) == {}
    assert "admin_fee_pct" in _problems({**base, "admin_fee_pct": "100.0001"})
    assert "admin_fee_pct" in _problems({**base, "admin_fee_pct": "1." + "1" * (models.ADMIN_FEE_PLACES + 1)})
    ids = [listing.id] * (models.LISTINGS_MAX + 1)
    assert _problems({**base, "listing_ids": ids, "price_schedule": []})["listing_ids"] == (
        f"Cover at most {models.LISTINGS_MAX} listings.")
    lines = base["price_schedule"][:1] * (models.SCHEDULE_MAX + 1)
    assert _problems({**base, "price_schedule": lines})["price_schedule"] == (
        f"Use at most {models.SCHEDULE_MAX} schedule lines.")


@pytest.mark.parametrize(("length", "status"), [(models.TITLE_MAX, 201), (models.TITLE_MAX + 1, 400)])
def test_the_api_takes_a_title_exactly_as_long_as_the_service(app, client, api_token, length, status):
    with app.test_request_context():
        body = vehicle_data([_listing()], title="T" * length)
        db.session.commit()
    response = client.post("/api/v1/vehicles?consortium=gpsr", json=body, headers=api_token("admin@gpsr.example"))
    assert response.status_code == status, response.get_json()
    if status == 400:
        assert f"at most {models.TITLE_MAX} characters" in response.get_json()["error"]["fields"]["title"]
    saved = fetch(select(Vehicle.title).where(Vehicle.number == body["number"]))
    assert (saved == "T" * length) is (status == 201)


@pytest.mark.parametrize(("length", "status"), [(models.SPECIAL_TERMS_MAX, 302), (models.SPECIAL_TERMS_MAX + 1, 400)])
def test_the_join_form_takes_special_terms_exactly_as_long_as_the_service(app, client, login, length, status):
    with app.test_request_context():
        vehicle_id = make_vehicle("active").id
        db.session.commit()
    login("approver@scottsdale.example")
    response = client.post(f"/c/gpsr/vehicles/{vehicle_id}/join", data={"special_terms": "s" * length})
    assert response.status_code == status
    if status == 400:
        assert f"at most {models.SPECIAL_TERMS_MAX} characters" in response.get_data(as_text=True)
    joined = fetch(select(Participation.id).where(Participation.vehicle_id == vehicle_id))
    assert (joined is not None) is (status == 302)
