"""Pay-for-performance end to end: terms on orders, observations, settlement and statements."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from contracts.observations.models import Observation
from marketplace.extensions import db
from tests.conftest import fetch
from tests.contracts.order_factories import lines_for, make_vehicle

EXAMPLE_A = {
    "period": "month", "periods": 3, "start_date": "2024-01-01", "fixed_fee": "10000.00", "at_risk_fee": "40000.00",
    "bonus_pool": "2000.00", "holdback_pct": "10", "holdback_window": 3,
    "kpis": [{"code": "availability", "name": "Availability", "unit": "percent", "direction": "higher", "weight": "1",
              "baseline": "97", "floor": "95.0", "target": "99.0", "stretch": "99.5"}],
}
EXAMPLE_B = {
    "period": "year", "periods": 2, "start_date": "2024-01-01", "fixed_fee": "0.00", "at_risk_fee": "0.00",
    "shared_savings": {"kpi": "energy_use", "baseline_use": "4000000", "unit_price": "0.11",
                       "adjustments": [{"amount": "100000", "reason": "New streets added"}],
                       "vendor_share_pct": "70", "vendor_cap": "180000.00", "guaranteed_savings": "200000.00"},
}
EXAMPLE_C = {
    "period": "month", "periods": 7, "start_date": "2024-01-01", "fixed_fee": "12000.00", "at_risk_fee": "0.00",
    "service_credits": {"kpi": "uptime", "applies_to": "fixed_fee", "cap_pct": "50",
                        "tiers": [{"below": "99.9", "credit_pct": "10"}, {"below": "99.0", "credit_pct": "25"},
                                  {"below": "95.0", "credit_pct": "50"}]},
}


@pytest.fixture
def people(api_token):
    return {"buyer": api_token("buyer@tempe.example"), "approver": api_token("approver@tempe.example"),
            "vendor": api_token("vendor@parksense.example")}


def _active_order(app, client, people, terms, *, with_lines=False):
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="2000000.00")
    body = {"vehicle_id": vehicle.id, "performance": terms, "lines": lines_for(vehicle, "1") if with_lines else []}
    created = client.post("/api/v1/orders", json=body, headers=people["buyer"])
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]
    status = client.post(f"/api/v1/orders/{order_id}/submit", headers=people["buyer"]).get_json()["status"]
    if status == "pending_approval":
        client.post(f"/api/v1/orders/{order_id}/approve", headers=people["approver"])
    assert client.post(f"/api/v1/orders/{order_id}/accept", headers=people["vendor"]).get_json()["status"] == "active"
    return order_id


def _report_and_verify(client, people, order_id, period, kpi, value):
    obs = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                      json={"period": period, "kpi": kpi, "value": value, "note": "Meter export"})
    assert obs.status_code == 201, obs.get_json()
    verified = client.post(f"/api/v1/observations/{obs.get_json()['id']}/verify", headers=people["buyer"])
    assert verified.status_code == 200


def test_example_a_end_to_end(app, client, people):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    order = client.get(f"/api/v1/orders/{order_id}", headers=people["buyer"]).get_json()
    assert order["value"] == "156000.00"  # 3 × (10,000 + 40,000 + 2,000)
    for period, value in ((1, "97.2"), (2, "99.3"), (3, "94.6")):
        _report_and_verify(client, people, order_id, period, "availability", value)
    s = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    rows = [(p["pf"], p["at_risk_earned"], p["bonus"], p["gross"], p["holdback"], p["paid_now"]) for p in s["periods"]]
    assert rows == [("0.55", "22000.00", "0.00", "32000.00", "3200.00", "28800.00"),
                    ("1", "40000.00", "1200.00", "51200.00", "5120.00", "46080.00"),
                    ("0", "0.00", "0.00", "10000.00", "1000.00", "9000.00")]
    assert s["windows"] == [{"window": 1, "periods": [1, 2, 3], "holdback": "9320.00", "status": "released"}]
    assert s["totals"]["paid"] == "93200.00" and s["totals"]["released"] == "9320.00"


def test_example_a_forfeited_end_to_end(app, client, people):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    for period, value in ((1, "94.0"), (2, "96.0"), (3, "94.5")):
        _report_and_verify(client, people, order_id, period, "availability", value)
    s = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    assert [p["gross"] for p in s["periods"]] == ["10000.00", "20000.00", "10000.00"]
    assert s["windows"][0]["status"] == "forfeited" and s["totals"]["forfeited"] == "4000.00"
    assert s["totals"]["paid"] == "36000.00"


def test_example_b_end_to_end(app, client, people):
    order_id = _active_order(app, client, people, EXAMPLE_B)
    _report_and_verify(client, people, order_id, 1, "energy_use", "1800000")
    _report_and_verify(client, people, order_id, 2, "energy_use", "2300000")
    s = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    assert s["savings"] == [
        {"period": 1, "savings_units": "2300000", "savings": "253000.00", "vendor_share": "177100.00",
         "shortfall": "0.00", "net_to_vendor": "177100.00", "city_net": "75900.00"},
        {"period": 2, "savings_units": "1800000", "savings": "198000.00", "vendor_share": "138600.00",
         "shortfall": "2000.00", "net_to_vendor": "136600.00", "city_net": "61400.00"},
    ]


def test_example_c_end_to_end(app, client, people):
    order_id = _active_order(app, client, people, EXAMPLE_C)
    values = ["99.95", "99.5", "98.2", "93.0", "99.9", "99.0", "95.0"]
    for period, value in enumerate(values, start=1):
        _report_and_verify(client, people, order_id, period, "uptime", value)
    s = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    assert [p["credits"] for p in s["periods"]] == [
        "0.00", "1200.00", "3000.00", "6000.00", "0.00", "1200.00", "3000.00"]


def test_dispute_correct_and_verify_again(app, client, people):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    obs = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                      json={"period": 1, "kpi": "availability", "value": "99.9"}).get_json()
    no_reason = client.post(f"/api/v1/observations/{obs['id']}/dispute", json={}, headers=people["buyer"])
    assert no_reason.status_code == 400
    disputed = client.post(f"/api/v1/observations/{obs['id']}/dispute", json={"reason": "Outage log shows 97.2"},
                           headers=people["approver"]).get_json()
    assert disputed["status"] == "disputed"
    s = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    assert s["periods"][0]["status"] == "pending"
    corrected = client.post(f"/api/v1/observations/{obs['id']}/correct", json={"value": "97.2", "note": "Fixed"},
                            headers=people["vendor"]).get_json()
    assert corrected["status"] == "reported" and corrected["value"] == "97.2"
    client.post(f"/api/v1/observations/{obs['id']}/verify", headers=people["buyer"])
    s = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    assert s["periods"][0]["paid_now"] == "28800.00"


@pytest.mark.parametrize(("body", "field"), [
    ({"period": 4, "kpi": "availability", "value": "97"}, "period"),
    ({"period": 0, "kpi": "availability", "value": "97"}, "period"),
    ({"period": 1, "kpi": "uptime", "value": "97"}, "kpi"),
    ({"period": 1, "kpi": "availability", "value": "ninety"}, "value"),
    ({"period": 1, "kpi": "availability", "value": "NaN"}, "value"),
])
def test_bad_observations_are_refused(app, client, people, body, field):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    response = client.post(f"/api/v1/orders/{order_id}/observations", json=body, headers=people["vendor"])
    assert response.status_code == 400 and field in response.get_json()["error"]["fields"]
    assert fetch(select(func.count(Observation.id)).where(Observation.order_id == order_id)) == 0


def test_duplicates_and_roles(app, client, people, api_token):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    body = {"period": 1, "kpi": "availability", "value": "97"}
    assert client.post(f"/api/v1/orders/{order_id}/observations", json=body, headers=people["buyer"]).status_code == 403
    obs = client.post(f"/api/v1/orders/{order_id}/observations", json=body, headers=people["vendor"]).get_json()
    again = client.post(f"/api/v1/orders/{order_id}/observations", json=body, headers=people["vendor"])
    assert again.status_code == 409 and "already reported" in again.get_json()["error"]["message"]
    assert client.post(f"/api/v1/observations/{obs['id']}/verify", headers=people["vendor"]).status_code == 403
    other = api_token("buyer@boulder.example")
    assert client.post(f"/api/v1/observations/{obs['id']}/verify", headers=other).status_code == 404
    assert client.post(f"/api/v1/orders/{order_id}/observations", json=body, headers=other).status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"kpis": [{**EXAMPLE_A["kpis"][0], "weight": "0.5"}]}, "kpis"),
    ({"kpis": [{**EXAMPLE_A["kpis"][0], "floor": "99.5"}]}, "kpis.0"),
    ({"holdback_pct": "150"}, "holdback_pct"),
    ({"fixed_fee": "-1"}, "fixed_fee"),
    ({"period": "fortnight"}, "period"),
])
def test_bad_terms_are_refused(app, client, people, change, field):
    with app.test_request_context():
        vehicle = make_vehicle()
    response = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "performance": {**EXAMPLE_A, **change}},
                           headers=people["buyer"])
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert any(k.startswith(f"performance.{field}") for k in fields), fields


def test_statement_pdf_shows_each_step(app, client, people, login):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    _report_and_verify(client, people, order_id, 1, "availability", "97.2")
    pdf = client.get(f"/api/v1/orders/{order_id}/statement.pdf?period=1", headers=people["buyer"])
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in ("period 1 of 3", "97.2", "55.00%", "22,000.00", "32,000.00", "3,200.00", "28,800.00",
                     "Meter export", "Availability"):
        assert expected in text, expected
    assert client.get(f"/api/v1/orders/{order_id}/statement.pdf?period=9", headers=people["buyer"]).status_code == 400
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert 'data-testid="settlement"' in page and "$28,800.00" in page and "<svg" in page
    assert client.get(f"/c/gpsr/orders/{order_id}/statement.pdf?period=1").status_code == 200


def test_reporting_and_verifying_in_the_pages(app, client, people, login):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    login("vendor@parksense.example")
    assert client.post(f"/c/gpsr/orders/{order_id}/observations",
                       data={"period": "1", "kpi": "availability", "value": "97.2", "note": "NOC"}).status_code == 302
    obs_id = fetch(select(Observation.id).where(Observation.order_id == order_id))
    assert client.post(f"/c/gpsr/observations/{obs_id}/verify").status_code == 403
    login("buyer@tempe.example")
    assert client.post(f"/c/gpsr/observations/{obs_id}/verify").status_code == 302
    assert fetch(select(Observation.status).where(Observation.id == obs_id)) == "verified"


def _terms_form(vehicle, **terms) -> dict:
    form = {"po_number": "PFP-1", "performance-enabled": "y", "performance-period": "month",
            "performance-start_date": "2024-01-01",
            "performance-periods": "3", "performance-fixed_fee": "10000.00", "performance-at_risk_fee": "40000.00",
            "performance-bonus_pool": "2000.00", "performance-holdback_pct": "10", "performance-holdback_window": "3",
            "performance-kpis-0-code": "availability", "performance-kpis-0-name": "Availability",
            "performance-kpis-0-unit": "percent", "performance-kpis-0-direction": "higher",
            "performance-kpis-0-weight": "1", "performance-kpis-0-baseline": "97", "performance-kpis-0-floor": "95",
            "performance-kpis-0-target": "99", "performance-kpis-0-stretch": "99.5"}
    for i, item in enumerate(vehicle.schedule):
        form[f"lines-{i}-price_item_id"] = str(item.price_item_id)
        form[f"lines-{i}-quantity"] = ""
    form.update(terms)
    return form


def test_terms_through_the_order_form(app, client, login):
    from contracts.orders.models import Order

    with app.test_request_context():
        vehicle = make_vehicle()
    login("buyer@tempe.example")
    bad = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new",
                      data=_terms_form(vehicle, **{"performance-kpis-0-weight": "0.5"}))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "Please correct 1 problem" in page
    assert "weights must add up to 1 (they add up to 0.5)" in page
    before = fetch(select(func.count(Order.id)))
    good = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=_terms_form(vehicle))
    assert good.status_code == 302, good.get_data(as_text=True)[:3000]
    assert fetch(select(func.count(Order.id))) == before + 1
    order = fetch(select(Order).order_by(Order.id.desc()))
    assert order.value == 156000 and order.performance["kpis"][0]["code"] == "availability"
    page = client.get(f"/c/gpsr/orders/{order.id}").get_data(as_text=True)
    assert "Pay for performance" in page and "$156,000.00" in page


def test_pilot_prefills_kpis(app, client, login):
    from catalog.pilots.models import Pilot

    with app.test_request_context():
        vehicle = make_vehicle()
    pilot = fetch(select(Pilot).where(Pilot.status == "verified", Pilot.title.like("Adaptive LED%")))
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/vehicles/{vehicle.id}/orders/new?pilot={pilot.id}").get_data(as_text=True)
    assert 'data-testid="prefilled"' in page
    assert 'value="energy_use"' in page and 'value="610"' in page and 'value="700"' in page
    login("buyer@boulder.example")
    assert client.get(f"/c/gpsr/vehicles/{vehicle.id}/orders/new?pilot={pilot.id}").status_code == 404


# --- statements: the period is a number written with ASCII digits ------------------------------------------


@pytest.mark.parametrize("period", ["１", "²", "٣", "1.0", "-1", "0", "4", "abc", "", "9" * 40])
def test_statement_period_must_be_a_period_of_the_order(app, client, people, login, period):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    api = client.get(f"/api/v1/orders/{order_id}/statement.pdf", query_string={"period": period},
                     headers=people["buyer"])
    assert api.status_code == 400 and "period" in api.get_json()["error"]["fields"]
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order_id}/statement.pdf", query_string={"period": period})
    assert page.status_code == 400


# --- the lifecycle: a lost race answers 409 with what happened ------------------------------------------------


def _reported(client, people, order_id, period=1, value="97.2"):
    response = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                           json={"period": period, "kpi": "availability", "value": value})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_verify_after_a_dispute_answers_409_with_who_disputed_it(app, client, people):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    obs_id = _reported(client, people, order_id)
    disputed = client.post(f"/api/v1/observations/{obs_id}/dispute", json={"reason": "The outage log shows 96."},
                           headers=people["approver"])
    assert disputed.status_code == 200
    late = client.post(f"/api/v1/observations/{obs_id}/verify", headers=people["buyer"])
    assert late.status_code == 409
    message = late.get_json()["error"]["message"]
    assert message.startswith("This measurement was disputed at ") and "by Tempe Champion" in message, message
    assert message.endswith("so it cannot be verified now."), message
    again = client.post(f"/api/v1/observations/{obs_id}/dispute", json={"reason": "Twice"}, headers=people["buyer"])
    assert again.status_code == 409 and "was disputed at" in again.get_json()["error"]["message"]


def test_dispute_after_a_verification_answers_409_in_the_page(app, client, people, login):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    obs_id = _reported(client, people, order_id)
    assert client.post(f"/api/v1/observations/{obs_id}/verify", headers=people["approver"]).status_code == 200
    login("buyer@tempe.example")
    late = client.post(f"/c/gpsr/observations/{obs_id}/dispute", data={"reason": "The log disagrees."})
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "This measurement was verified at " in page and "by Tempe Champion, so it cannot be disputed now." in page
    assert fetch(select(Observation.status).where(Observation.id == obs_id)) == "verified"


def test_correct_then_verify_keeps_the_audit_trail(app, client, people):
    from marketplace.audit import AuditEvent

    order_id = _active_order(app, client, people, EXAMPLE_A)
    obs_id = _reported(client, people, order_id, value="99.9")
    assert client.post(f"/api/v1/observations/{obs_id}/verify", json={"value": "1"},
                       headers=people["buyer"]).status_code == 400  # not a field of a decision
    client.post(f"/api/v1/observations/{obs_id}/dispute", json={"reason": "Outage log"}, headers=people["buyer"])
    bad = client.post(f"/api/v1/observations/{obs_id}/correct", json={"value": "９７"}, headers=people["vendor"])
    assert bad.status_code == 400 and "value" in bad.get_json()["error"]["fields"]
    assert client.post(f"/api/v1/observations/{obs_id}/correct", json={"value": "97.2"},
                       headers=people["buyer"]).status_code == 403
    corrected = client.post(f"/api/v1/observations/{obs_id}/correct", json={"value": "97.2"},
                            headers=people["vendor"])
    assert corrected.status_code == 200 and corrected.get_json()["decided_by"] is None
    late = client.post(f"/api/v1/observations/{obs_id}/correct", json={"value": "97.3"}, headers=people["vendor"])
    assert late.status_code == 409 and "was corrected at" in late.get_json()["error"]["message"]
    with app.app_context():
        events = db.session.execute(select(AuditEvent.action, AuditEvent.after).where(
            AuditEvent.object_type == "observation", AuditEvent.object_id == obs_id).order_by(AuditEvent.id)).all()
    assert [action for action, _ in events] == ["observation.reported", "observation.disputed",
                                                "observation.corrected"]
    assert events[-1][1]["corrected_from"] == "99.9" and events[-1][1]["value"] == "97.2"


def test_a_dispute_needs_a_clean_reason(app, client, people):
    order_id = _active_order(app, client, people, EXAMPLE_A)
    obs_id = _reported(client, people, order_id)
    for body in ({}, {"reason": "   "}, {"reason": "bad\x00reason"}, {"reason": "x\ud800"}):
        response = client.post(f"/api/v1/observations/{obs_id}/dispute", json=body, headers=people["buyer"])
        assert response.status_code == 400 and "reason" in response.get_json()["error"]["fields"], body
    assert fetch(select(Observation.status).where(Observation.id == obs_id)) == "reported"


# --- KPI names: bad text is refused, so the order page keeps working ----------------------------------------


@pytest.mark.parametrize(("field", "text"), [("name", "Avail\ud800"), ("name", "Avail\x07"), ("code", "avail\ud800"),
                                             ("unit", "%\x1b")])
def test_bad_text_in_a_kpi_is_refused_with_a_field_message(app, client, people, field, text):
    with app.test_request_context():
        vehicle = make_vehicle()
    terms = {**EXAMPLE_A, "kpis": [{**EXAMPLE_A["kpis"][0], field: text}]}
    response = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "performance": terms},
                           headers=people["buyer"])
    assert response.status_code == 400
    assert f"performance.kpis.0.{field}" in response.get_json()["error"]["fields"]


# --- limits are declared once -----------------------------------------------------------------------------


def test_observation_limits_agree_with_the_model_the_schema_and_the_page(app, client, people, login):
    from contracts.observations import api
    from contracts.observations.models import KPI_MAX, NOTE_MAX, PERIOD_MAX, VALUE_TEXT_MAX
    from contracts.performance import KPI_CODE_MAX, MAX_PERIODS, NUMBER_TEXT_MAX
    from marketplace.inputs import REASON_LIMIT

    assert Observation.__table__.c.kpi.type.length == KPI_MAX == KPI_CODE_MAX
    schema = api.OBSERVATION_IN["properties"]
    assert (schema["kpi"]["maxLength"], schema["note"]["maxLength"], schema["value"]["maxLength"]) == (
        KPI_MAX, NOTE_MAX, VALUE_TEXT_MAX)
    assert schema["period"]["maximum"] == PERIOD_MAX == MAX_PERIODS and VALUE_TEXT_MAX == NUMBER_TEXT_MAX
    assert api.CORRECTION_IN["properties"]["note"]["maxLength"] == NOTE_MAX
    assert api.REASON_IN["properties"]["reason"]["maxLength"] == REASON_LIMIT
    order_id = _active_order(app, client, people, EXAMPLE_A)
    login("vendor@parksense.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert f'name="note" maxlength="{NOTE_MAX}"' in page
    assert f'name="value" inputmode="decimal" maxlength="{VALUE_TEXT_MAX}"' in page
    too_long = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                           json={"period": 1, "kpi": "availability", "value": "97", "note": "n" * (NOTE_MAX + 1)})
    assert too_long.status_code == 400
