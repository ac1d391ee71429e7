"""Pay-for-performance end to end: terms on orders, observations, settlement and statements."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from contracts.orders.models import Observation
from tests.conftest import fetch
from tests.contracts.order_factories import lines_for, make_vehicle

EXAMPLE_A = {
    "period": "month", "periods": 3, "fixed_fee": "10000.00", "at_risk_fee": "40000.00", "bonus_pool": "2000.00",
    "holdback_pct": "10", "holdback_window": 3,
    "kpis": [{"code": "availability", "name": "Availability", "unit": "%", "direction": "higher", "weight": "1",
              "baseline": "97", "floor": "95.0", "target": "99.0", "stretch": "99.5"}],
}
EXAMPLE_B = {
    "period": "year", "periods": 2, "fixed_fee": "0.00", "at_risk_fee": "0.00",
    "shared_savings": {"kpi": "energy_use", "baseline_use": "4000000", "unit_price": "0.11",
                       "adjustments": [{"amount": "100000", "reason": "New streets added"}],
                       "vendor_share_pct": "70", "vendor_cap": "180000.00", "guaranteed_savings": "200000.00"},
}
EXAMPLE_C = {
    "period": "month", "periods": 7, "fixed_fee": "12000.00", "at_risk_fee": "0.00",
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
    for expected in ("period 1 of 3", "97.2", "0.55", "22,000.00", "32,000.00", "3,200.00", "28,800.00",
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
            "performance-periods": "3", "performance-fixed_fee": "10000.00", "performance-at_risk_fee": "40000.00",
            "performance-bonus_pool": "2000.00", "performance-holdback_pct": "10", "performance-holdback_window": "3",
            "performance-kpis-0-code": "availability", "performance-kpis-0-name": "Availability",
            "performance-kpis-0-unit": "%", "performance-kpis-0-direction": "higher",
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
    from catalog.listings.models import Pilot

    with app.test_request_context():
        vehicle = make_vehicle()
    pilot = fetch(select(Pilot).where(Pilot.status == "verified", Pilot.title.like("Adaptive LED%")))
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/vehicles/{vehicle.id}/orders/new?pilot={pilot.id}").get_data(as_text=True)
    assert 'data-testid="prefilled"' in page
    assert 'value="energy_use"' in page and 'value="610"' in page and 'value="700"' in page
    login("buyer@boulder.example")
    assert client.get(f"/c/gpsr/vehicles/{vehicle.id}/orders/new?pilot={pilot.id}").status_code == 404
