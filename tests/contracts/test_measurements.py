"""Measurements that can be trusted (#12): KPI units and bounds, dated periods reported only once they end in
the consortium's time zone, periods beyond the term, and settlement rows with dates and KPI names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

import contracts.vehicles.models as vehicle_models
from contracts.observations import services as observation_services
from contracts.observations.models import Observation
from contracts.orders.models import Order
from contracts.performance import parse_terms
from marketplace.extensions import db
from tests.conftest import consortium, fetch
from tests.contracts.order_factories import make_vehicle
from tests.contracts.performance_builders import errors_of, streetlight_data

AVAILABILITY = {"code": "availability", "name": "Availability", "unit": "percent", "direction": "higher",
                "weight": "1", "baseline": "97", "floor": "95.0", "target": "99.0", "stretch": "99.5"}
RESPONSE = {"code": "response", "name": "Repair response", "unit": "minutes", "direction": "lower", "weight": "1",
            "baseline": "90", "floor": "60", "target": "30", "min": "5", "max": "240"}


def terms(**changes) -> dict:
    data = {"period": "month", "periods": 3, "start_date": "2024-01-01", "fixed_fee": "10000.00",
            "at_risk_fee": "40000.00", "bonus_pool": "2000.00", "holdback_pct": "10", "holdback_window": 3,
            "kpis": [AVAILABILITY]}
    data.update(changes)
    return data


SAVINGS = {"period": "year", "periods": 2, "start_date": "2024-01-01", "fixed_fee": "0.00", "at_risk_fee": "0.00",
           "shared_savings": {"kpi": "energy_use", "baseline_use": "4000000", "unit_price": "0.11", "adjustments": [],
                              "vendor_share_pct": "70", "vendor_cap": "180000.00", "guaranteed_savings": "0.00"}}
# Quarterly from 1 April 2026: period 4 runs January to March 2027.
QUARTERLY = terms(period="quarter", periods=8, start_date="2026-04-01")


@pytest.fixture
def people(api_token):
    return {"buyer": api_token("buyer@tempe.example"), "approver": api_token("approver@tempe.example"),
            "vendor": api_token("vendor@parksense.example")}


def _active_order(app, client, people, performance) -> int:
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="2000000.00")
    created = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "performance": performance},
                          headers=people["buyer"])
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]
    if client.post(f"/api/v1/orders/{order_id}/submit", headers=people["buyer"]).get_json()["status"] \
            == "pending_approval":
        client.post(f"/api/v1/orders/{order_id}/approve", headers=people["approver"])
    assert client.post(f"/api/v1/orders/{order_id}/accept", headers=people["vendor"]).get_json()["status"] == "active"
    return order_id


def _report(client, people, order_id, period, kpi, value):
    return client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                       json={"period": period, "kpi": kpi, "value": value, "note": "Meter export"})


def _observations(order_id) -> int:
    return fetch(select(func.count(Observation.id)).where(Observation.order_id == order_id))


def _at(monkeypatch, moment: datetime) -> None:
    """Move the observations' clock to `moment` (UTC)."""
    monkeypatch.setattr(observation_services, "now", lambda: moment)


# --- units and bounds of reported values -----------------------------------------------------------------------


def test_150_percent_availability_is_refused_in_the_api(app, client, people):
    order_id = _active_order(app, client, people, terms())
    response = _report(client, people, order_id, 1, "availability", "150")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["value"] == "Enter at most 100: Availability is a percentage."
    assert _observations(order_id) == 0
    assert _report(client, people, order_id, 1, "availability", "100").status_code == 201


def test_150_percent_availability_is_refused_in_the_form(app, client, people, login):
    order_id = _active_order(app, client, people, terms())
    login("vendor@parksense.example")
    page = client.post(f"/c/gpsr/orders/{order_id}/observations",
                       data={"period": "1", "kpi": "availability", "value": "150", "note": "NOC"})
    assert page.status_code == 400
    assert "Enter at most 100: Availability is a percentage." in page.get_data(as_text=True)
    assert _observations(order_id) == 0


def test_negative_kwh_is_refused(app, client, people):
    order_id = _active_order(app, client, people, SAVINGS)
    response = _report(client, people, order_id, 1, "energy_use", "-5")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["value"] == "Enter at least 0: energy_use is an energy use in kWh."
    assert _observations(order_id) == 0
    assert _report(client, people, order_id, 1, "energy_use", "1800000").status_code == 201


def test_a_kpis_own_min_and_max_bound_its_values(app, client, people):
    order_id = _active_order(app, client, people, terms(kpis=[RESPONSE], bonus_pool="0.00"))
    for value, message in (("300", "Enter at most 240: the terms set Repair response's maximum at 240."),
                           ("2", "Enter at least 5: the terms set Repair response's minimum at 5."),
                           ("-1", "Enter at least 0: Repair response is a number of minutes.")):
        response = _report(client, people, order_id, 1, "response", value)
        assert response.status_code == 400, value
        assert response.get_json()["error"]["fields"]["value"] == message
    assert _observations(order_id) == 0
    assert _report(client, people, order_id, 1, "response", "240").status_code == 201


def test_a_correction_outside_the_bounds_is_refused_and_the_value_kept(app, client, people):
    order_id = _active_order(app, client, people, terms())
    obs_id = _report(client, people, order_id, 1, "availability", "97.2").get_json()["id"]
    assert client.post(f"/api/v1/observations/{obs_id}/dispute", json={"reason": "Export shows outages"},
                       headers=people["buyer"]).status_code == 200
    response = client.post(f"/api/v1/observations/{obs_id}/correct", json={"value": "101"}, headers=people["vendor"])
    assert response.status_code == 400
    assert "Enter at most 100" in response.get_json()["error"]["fields"]["value"]
    obs = fetch(select(Observation).where(Observation.id == obs_id))
    assert (str(obs.value), obs.status) == ("97.2", "disputed")


# --- units and bounds in the terms ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kpi", "path", "message"), [
    ({"target": "101"}, "kpis.0.target", "Street light availability is a percentage: enter at most 100."),
    ({"stretch": "100.5"}, "kpis.0.stretch", "Street light availability is a percentage: enter at most 100."),
    ({"floor": "-1", "baseline": "-2"}, "kpis.0.floor", "Street light availability is a percentage: enter at least 0."),
    ({"unit": "%"}, "kpis.0.unit", "must be one of percent, count, kwh, hours, minutes, currency"),
    ({"min": "-1"}, "kpis.0.min", "Street light availability is a percentage: enter at least 0."),
    ({"min": "96", "max": "96"}, "kpis.0.max", "must be above min 96"),
    ({"min": "96"}, "kpis.0.floor", "is outside this KPI's min 96: enter at least 96."),
    ({"max": "99.2"}, "kpis.0.stretch", "is outside this KPI's max 99.2: enter at most 99.2."),
])
def test_terms_outside_the_units_bounds_are_refused(kpi, path, message):
    data = streetlight_data()
    data["kpis"] = [{**data["kpis"][0], **kpi}]
    assert errors_of(data)[path] == message


def test_credit_thresholds_fit_the_unit_and_blocks_take_a_unit():
    credits = {"kpi": "uptime", "applies_to": "fixed_fee", "cap_pct": "50", "tiers": [{"below": "120",
                                                                                       "credit_pct": "10"}]}
    assert errors_of(streetlight_data(service_credits=credits))["service_credits.tiers.0.below"] == (
        "uptime is a percentage: enter at most 100.")
    as_hours = parse_terms(streetlight_data(service_credits={**credits, "unit": "hours"}))
    assert as_hours.measure("uptime").unit == "hours"
    assert parse_terms(streetlight_data(service_credits={**credits, "tiers": [{"below": "99", "credit_pct": "10"}]})
                       ).service_credits.unit == "percent"
    mismatch = {**credits, "kpi": "availability", "unit": "hours", "tiers": [{"below": "99", "credit_pct": "10"}]}
    assert errors_of(streetlight_data(service_credits=mismatch))["service_credits.unit"] == (
        "must be percent, the unit of the KPI availability")
    full = parse_terms(streetlight_data(service_credits={**credits, "tiers": [{"below": "99", "credit_pct": "10"}]},
                                        shared_savings=SAVINGS["shared_savings"],
                                        kpis=[{**streetlight_data()["kpis"][0], "min": "50", "max": "100"}]))
    assert parse_terms(full.to_dict()) == full
    assert full.to_dict()["shared_savings"]["unit"] == "kwh" and full.to_dict()["kpis"][0]["min"] == "50"


def test_terms_with_target_101_percent_are_refused_in_the_api_and_nothing_is_saved(app, client, people):
    with app.test_request_context():
        vehicle = make_vehicle()
    before = fetch(select(func.count(Order.id)))
    response = client.post("/api/v1/orders", headers=people["buyer"], json={
        "vehicle_id": vehicle.id, "performance": terms(kpis=[{**AVAILABILITY, "target": "101", "stretch": None}])})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["performance.kpis.0.target"] == (
        "Availability is a percentage: enter at most 100.")
    no_start = {k: v for k, v in terms().items() if k != "start_date"}
    missing = client.post("/api/v1/orders", headers=people["buyer"],
                          json={"vehicle_id": vehicle.id, "performance": no_start})
    assert missing.status_code == 400 and "performance.start_date" in missing.get_json()["error"]["fields"]
    assert fetch(select(func.count(Order.id))) == before


def _order_form(vehicle, **changes) -> dict:
    form = {"po_number": "MEAS-1", "performance-enabled": "y", "performance-period": "month",
            "performance-periods": "3", "performance-start_date": "2026-01-01", "performance-fixed_fee": "100.00",
            "performance-at_risk_fee": "400.00", "performance-holdback_pct": "10",
            "performance-holdback_window": "3", "performance-kpis-0-code": "availability",
            "performance-kpis-0-name": "Availability", "performance-kpis-0-unit": "percent",
            "performance-kpis-0-direction": "higher", "performance-kpis-0-weight": "1",
            "performance-kpis-0-baseline": "97", "performance-kpis-0-floor": "95", "performance-kpis-0-target": "99"}
    for i, item in enumerate(vehicle.schedule):
        form[f"lines-{i}-price_item_id"] = str(item.price_item_id)
        form[f"lines-{i}-quantity"] = ""
    form.update(changes)
    return form


def test_the_order_form_has_a_start_date_and_units_and_keeps_messages_at_the_fields(app, client, login):
    with app.test_request_context():
        vehicle = make_vehicle()
    login("buyer@tempe.example")
    blank = client.get(f"/c/gpsr/vehicles/{vehicle.id}/orders/new").get_data(as_text=True)
    assert 'name="performance-start_date"' in blank and 'type="date"' in blank
    assert '<option value="kwh">' in blank and 'name="performance-kpis-0-max"' in blank
    before = fetch(select(func.count(Order.id)))
    bad = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new",
                      data=_order_form(vehicle, **{"performance-kpis-0-target": "101",
                                                   "performance-start_date": ""}))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert 'id="performance-kpis-0-target-error"' in page
    assert "Availability is a percentage: enter at most 100." in page
    assert 'id="performance-start_date-error"' in page
    assert fetch(select(func.count(Order.id))) == before
    good = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new",
                       data=_order_form(vehicle, **{"performance-kpis-0-unit": "count",
                                                    "performance-kpis-0-min": "90", "performance-kpis-0-max": "100"}))
    assert good.status_code == 302, good.get_data(as_text=True)[:2000]
    order = fetch(select(Order).order_by(Order.id.desc()))
    assert order.performance["start_date"] == "2026-01-01"
    assert order.performance["kpis"][0] | {} == {**order.performance["kpis"][0], "unit": "count", "min": "90",
                                                  "max": "100"}


def test_the_openapi_document_declares_units_and_the_start_date(client):
    schema = client.get("/api/v1/openapi.json").get_json()
    body = schema["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    performance = body["properties"]["performance"]
    assert performance["properties"]["start_date"]["format"] == "date"
    assert "start_date" in performance["required"]
    kpi = performance["properties"]["kpis"]["items"]
    assert kpi["properties"]["unit"]["enum"] == ["percent", "count", "kwh", "hours", "minutes", "currency"]
    assert {"min", "max"} <= set(kpi["properties"])
    settlement = schema["paths"]["/api/v1/orders/{order_id}/settlement"]["get"]["responses"]["200"]["content"]
    row = settlement["application/json"]["schema"]["properties"]["periods"]["items"]
    assert {"start_date", "end_date"} <= set(row["required"])


# --- a period is reported once it has ended, in the consortium's time zone -------------------------------------


def test_a_period_is_reported_only_after_it_ends_in_the_consortiums_zone(app, client, people, login, monkeypatch):
    assert consortium("gpsr").time_zone == "America/Phoenix"
    order_id = _active_order(app, client, people, QUARTERLY)
    # 23:30 on 31 March in Phoenix (UTC−7) is already 06:30 on 1 April in UTC: period 4 has not ended.
    _at(monkeypatch, datetime(2027, 4, 1, 6, 30, tzinfo=UTC))
    early = _report(client, people, order_id, 4, "availability", "98")
    assert early.status_code == 409
    assert early.get_json()["error"]["message"] == (
        "Period 4 (Jan–Mar 2027) has not ended yet: it can be reported from 1 Apr 2027.")
    assert _observations(order_id) == 0
    assert _report(client, people, order_id, 3, "availability", "98").status_code == 201
    login("vendor@parksense.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Period 4 (Jan–Mar 2027) can be reported from 1 Apr 2027." in page
    form = client.post(f"/c/gpsr/orders/{order_id}/observations",
                       data={"period": "4", "kpi": "availability", "value": "98", "note": ""})
    assert form.status_code == 409
    assert "can be reported from 1 Apr 2027" in form.get_data(as_text=True)
    # 00:30 on 1 April in Phoenix: period 4 is over.
    _at(monkeypatch, datetime(2027, 4, 1, 7, 30, tzinfo=UTC))
    assert _report(client, people, order_id, 4, "availability", "98").status_code == 201
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Period 5 (Apr–Jun 2027) can be reported from 1 Jul 2027." in page


def test_a_period_beyond_the_term_gets_400(app, client, people):
    order_id = _active_order(app, client, people, terms())
    response = _report(client, people, order_id, 4, "availability", "98")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["period"] == (
        "This order has 3 periods; period 4 is beyond its term.")
    assert _observations(order_id) == 0


def test_after_termination_the_periods_that_never_started_are_beyond_the_term(app, client, people, monkeypatch):
    order_id = _active_order(app, client, people, QUARTERLY)
    monkeypatch.setattr(vehicle_models, "today", lambda: date(2026, 12, 15))  # periods 1–3 have started
    terminated = client.post(f"/api/v1/orders/{order_id}/terminate", json={"reason": "Budget cut"},
                             headers=people["approver"])
    assert terminated.status_code == 200, terminated.get_json()
    assert fetch(select(Order.last_period).where(Order.id == order_id)) == 3
    _at(monkeypatch, datetime(2027, 1, 5, 12, 0, tzinfo=UTC))
    beyond = _report(client, people, order_id, 4, "availability", "98")
    assert beyond.status_code == 400
    assert beyond.get_json()["error"]["fields"]["period"] == (
        "This order was terminated after period 3; period 4 never runs.")
    assert _report(client, people, order_id, 3, "availability", "98").status_code == 201


# --- the settlement shows dates and KPI names with units -------------------------------------------------------


def test_settlement_rows_carry_dates_and_kpis_their_names_and_units(app, client, people, login):
    order_id = _active_order(app, client, people, terms())
    obs_id = _report(client, people, order_id, 1, "availability", "97.2").get_json()["id"]
    client.post(f"/api/v1/observations/{obs_id}/verify", headers=people["buyer"])
    settlement = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    assert [(p["period"], p["start_date"], p["end_date"]) for p in settlement["periods"]] == [
        (1, "2024-01-01", "2024-01-31"), (2, "2024-02-01", "2024-02-29"), (3, "2024-03-01", "2024-03-31")]
    assert settlement["kpis"] == [{"code": "availability", "name": "Availability", "unit": "percent",
                                   "unit_label": "%"}]
    with app.test_request_context():
        order = db.session.get(Order, order_id)
        rows = observation_services.settlement_for(order).periods
        assert (rows[0].start_date, rows[0].end_date) == (date(2024, 1, 1), date(2024, 1, 31))
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Availability (%)" in page and "Feb 2024" in page
