"""The vendor performance record on a known history, every figure worked out by hand.

ParkSense has two active street-lighting orders from Tempe (worked example A's terms, three monthly periods
from 1 January 2025, so all have ended) and one draft (never placed with the vendor, so not counted):

- order A: 97.2 / 99.3 / 94.6 verified → PF 0.55, 1, 0; window average 97.0333 ≥ 95 → released;
- order B: 94.0 / 96.0 / 94.5 verified → PF 0, 0.25, 0; average 94.8333 < 95 → forfeited. B's period 2 was
  first reported as 90.0, disputed, corrected to 96.0 and verified: one disputed observation.

Settled periods 6; average PF (0.55 + 1 + 0 + 0 + 0.25 + 0) / 6 = 1.8 / 6 = 0.3 exactly. Observations 6; two are
dated (as first reported) 10 and 15 days after their period's end, one 16 days after, the rest today (months
late): 2 of 6 on time → 1/3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from contracts.observations import services as observations
from contracts.observations.queries import performance_record
from marketplace.extensions import db
from marketplace.tenancy import tenant
from tests.conftest import consortium, org, user
from tests.contracts.order_factories import make_order, make_vehicle
from tests.contracts.performance_builders import streetlight_data

TERMS = streetlight_data(start_date="2025-01-01")
VENDOR = "vendor@parksense.example"
BUYER = "buyer@tempe.example"


def _measure(order, values, disputed=None):
    found = []
    for period, value in enumerate(values, start=1):
        first = disputed[1] if disputed and disputed[0] == period else value
        obs = observations.report_observation(order, {"period": period, "kpi": "availability", "value": first},
                                              actor=user(VENDOR))
        if disputed and disputed[0] == period:
            observations.dispute_observation(obs, actor=user(BUYER), reason="The export shows 96.0.")
            observations.correct_observation(obs, {"value": value, "note": "Corrected"}, actor=user(VENDOR))
        observations.verify_observation(obs, actor=user(BUYER))
        found.append(obs)
    return found


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=19, tzinfo=UTC)  # noon in Phoenix


def test_the_record_of_a_known_history(ctx):
    vehicle = make_vehicle(vendor_email=VENDOR, ceiling="900000.00")
    gpsr = consortium("gpsr")
    with tenant(gpsr.id):
        a = make_order(vehicle, status="active", performance=TERMS)
        b = make_order(vehicle, status="active", performance=TERMS)
        make_order(vehicle, status="draft", performance=TERMS)
        obs_a = _measure(a, ["97.2", "99.3", "94.6"])
        obs_b = _measure(b, ["94.0", "96.0", "94.5"], disputed=(2, "90.0"))
        obs_a[0].created_at = _at("2025-02-10")  # period 1 ended 31 January: 10 days → on time
        obs_a[1].created_at = _at("2025-03-15")  # period 2 ended 28 February: 15 days → on time
        obs_b[0].created_at = _at("2025-02-16")  # 16 days → late
        db.session.flush()
        record = performance_record(gpsr.id, org("ParkSense").id)

    assert record.vendor_name == "ParkSense"
    assert record.orders == {"active": 2} and record.orders_total == 2
    assert record.settled_periods == 6
    assert record.average_pf == Decimal("0.3")
    assert (record.windows_released, record.windows_forfeited, record.windows_pending) == (1, 1, 0)
    assert record.observations == 6 and record.disputed == 1
    assert record.on_time == 2 and record.on_time_share == Decimal(1) / 3
    body = record.to_json()
    assert body["average_performance_factor"] == "0.3"
    assert body["holdback_windows"] == {"released": 1, "forfeited": 1, "pending": 0}
    assert body["reported_within_15_days_share"].startswith("0.33333333")


def test_a_vendor_without_orders_has_an_empty_record(ctx):
    record = performance_record(consortium("gpsr").id, org("CurbIQ").id)
    assert (record.orders_total, record.settled_periods, record.average_pf, record.on_time_share) == (0, 0, None, None)


def test_the_record_page_and_api(client, login, api_token):
    vendor_id = 0
    with client.application.test_request_context():
        vendor_id = org("BrightStreet Lighting").id
        member_id = org("Mesa").id
    login("buyer@mesa.example")
    page = client.get(f"/c/gpsr/vendors/{vendor_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Performance record" in text and "Average performance factor" in text
    assert client.get(f"/c/gpsr/vendors/{member_id}").status_code == 404
    headers = api_token("buyer@mesa.example")
    body = client.get(f"/api/v1/organizations/{vendor_id}/performance?consortium=gpsr", headers=headers).get_json()
    assert body["vendor"]["name"] == "BrightStreet Lighting" and body["orders"]["total"] >= 1
    assert client.get(f"/api/v1/organizations/{member_id}/performance?consortium=gpsr",
                      headers=headers).status_code == 404
