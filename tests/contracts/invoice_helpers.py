"""An active performance order with settled periods, for the invoice and closeout tests (through the API)."""

from __future__ import annotations

import copy

from tests.contracts.order_factories import lines_for, make_vehicle

# Worked example A (DESIGN section 5), three monthly periods that ended long ago.
STREET_LIGHTS = {
    "period": "month", "periods": 3, "start_date": "2025-01-01", "fixed_fee": "10000.00", "at_risk_fee": "40000.00",
    "bonus_pool": "2000.00", "holdback_pct": "10", "holdback_window": 3,
    "kpis": [{"code": "availability", "name": "Lighting availability", "unit": "percent", "direction": "higher",
              "weight": "1", "baseline": "97", "floor": "95.0", "target": "99.0", "stretch": "99.5"}],
}


def people_for(api_token) -> dict:
    """Bearer headers for Tempe's buyer and approver, ParkSense, the GPSR office and another vendor."""
    return {"buyer": api_token("buyer@tempe.example"), "approver": api_token("approver@tempe.example"),
            "vendor": api_token("vendor@parksense.example"), "admin": api_token("admin@gpsr.example"),
            "other_vendor": api_token("vendor@brightstreet.example")}


def terms(**changes) -> dict:
    data = copy.deepcopy(STREET_LIGHTS)
    data.update(changes)
    return data


def active_order(app, client, people, performance=None, *, with_lines=True, ceiling="2000000.00",
                 participants=(("Tempe", None),)):
    """An accepted order (Tempe buys from ParkSense); returns (order id, vehicle id)."""
    with app.test_request_context():
        vehicle = make_vehicle(ceiling=ceiling, participants=participants)
    body = {"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "1") if with_lines else []}
    if performance is not None:
        body["performance"] = performance
    created = client.post("/api/v1/orders", json=body, headers=people["buyer"])
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]
    status = client.post(f"/api/v1/orders/{order_id}/submit", headers=people["buyer"]).get_json()["status"]
    if status == "pending_approval":
        assert client.post(f"/api/v1/orders/{order_id}/approve", headers=people["approver"]).status_code == 200
    accepted = client.post(f"/api/v1/orders/{order_id}/accept", headers=people["vendor"])
    assert accepted.get_json()["status"] == "active", accepted.get_json()
    return order_id, vehicle.id


def verify(client, people, order_id, period, value, kpi="availability"):
    obs = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                      json={"period": period, "kpi": kpi, "value": value, "note": "Meter export"})
    assert obs.status_code == 201, obs.get_json()
    verified = client.post(f"/api/v1/observations/{obs.get_json()['id']}/verify", headers=people["buyer"])
    assert verified.status_code == 200, verified.get_json()


def invoice(client, people, order_id, number, amount, *, period=None, lines=None, issued_on="2026-11-02"):
    body = {"number": number, "issued_on": issued_on, "amount": amount}
    if period is not None:
        body["period"] = period
    if lines is not None:
        body["lines"] = lines
    return client.post(f"/api/v1/orders/{order_id}/invoices", json=body, headers=people["vendor"])
