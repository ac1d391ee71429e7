"""One test per bug the sweeps found, so each stays fixed even if the random sweep stops drawing it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.orders.models import Order
from contracts.vehicles.models import ScheduleItem
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.conftest import user
from tests.contracts.order_factories import make_vehicle

HUGE = "99999999999999999999"  # more than SQLite (2**63 - 1) or an INTEGER id (2**31 - 1) can hold


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("method", "url"), [
    ("GET", f"/api/v1/listings/{HUGE}"),
    ("POST", f"/api/v1/listings/{HUGE}/approve"),
    ("POST", f"/api/v1/orders/{HUGE}/observations"),  # a path with GET and POST: 404, not 405
    ("GET", f"/api/v1/participations/{2**31}/addendum.pdf"),
    ("GET", f"/api/v1/vehicles/{HUGE}"),
])
def test_ids_beyond_any_row_are_not_found_in_the_api(client, api_token, method, url):
    body = {"period": 1, "kpi": "availability", "value": "1"} if url.endswith("observations") else {}
    response = client.open(url, method=method, json=body, headers={**api_token("admin@gpsr.example"),
                                                                  "X-Consortium": "gpsr"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("url", [f"/c/gpsr/listings/{HUGE}", f"/c/gpsr/orders/{HUGE}", f"/c/gpsr/pilots/{HUGE}",
                                 f"/c/gpsr/vehicles/{HUGE}", f"/c/gpsr/participations/{HUGE}"])
def test_ids_beyond_any_row_are_not_found_on_pages(client, login, url):
    login("admin@gpsr.example")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("body", [{"vehicle_id": int(HUGE)}, {"vehicle_id": 2**31}])
def test_ids_beyond_any_row_in_a_body_are_invalid(client, api_token, body):
    response = client.post("/api/v1/orders", json=body, headers=api_token("buyer@mesa.example"))
    assert response.status_code == 400 and "vehicle_id" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("query", [f"page={HUGE}", "page=\u00b2", "per_page=\u00b2", f"vendor_id={HUGE}",
                                   "vendor_id=\u00b2"])
def test_page_and_filter_numbers_int_refuses_are_invalid(client, query):
    response = client.get(f"/api/v1/listings?consortium=gpsr&{query}")
    assert response.status_code == 400


@pytest.mark.parametrize("url", [f"/c/gpsr/audit?page={HUGE}", "/c/gpsr/audit?page=\u00b2",
                                 "/c/gpsr/catalog?page=\u00b2&vendor=\u00b2", f"/c/gpsr/orders?vehicle={HUGE}",
                                 "/c/gpsr/vehicles?page=\u00b2", "/c/gpsr/pilots?page=\u00b2&host=\u00b2",
                                 f"/c/gpsr/vehicles/1/orders/new?pilot={HUGE}", "/c/gpsr/audit?object_type=%00"])
def test_page_and_filter_numbers_int_refuses_are_ignored_or_refused_on_pages(client, login, url):
    login("admin@gpsr.example" if "orders/new" not in url else "buyer@mesa.example")
    assert client.get(url).status_code in (200, 400)


def test_an_order_line_too_large_for_the_money_columns_is_refused(app, client, api_token, ctx):
    vehicle = make_vehicle(ceiling="9999999999.99")
    for line in vehicle.schedule:
        db.session.get(ScheduleItem, line.id).price_item.list_price = Decimal("9999999999.99")
        db.session.get(ScheduleItem, line.id).contract_price = Decimal("9999999999.99")
    db.session.commit()
    orders = _count(app, Order)
    response = client.post("/api/v1/orders", headers=api_token("buyer@mesa.example"), json={
        "vehicle_id": vehicle.id, "lines": [{"price_item_id": vehicle.schedule[0].price_item_id,
                                             "quantity": "10000000"}]})
    assert response.status_code == 400
    assert "lines.0.quantity" in response.get_json()["error"]["fields"]
    assert _count(app, Order) == orders


@pytest.mark.parametrize(("name", "status"), [("\x00", 400), ("ERP\x00", 400), ("\x00\x01", 400)])
def test_nul_bytes_in_a_token_name_never_reach_the_database(app, client, login, name, status):
    from consortium.models import ApiToken

    login("buyer@mesa.example")
    assert client.post("/account/tokens", data={"name": name}).status_code == status
    with app.app_context():
        assert not [n for n in db.session.scalars(select(ApiToken.name)) if "\x00" in n]


def test_nul_bytes_in_sign_in_slugs_keys_and_reasons_are_harmless(app, client, login, api_token):
    assert client.post("/login", data={"email": "buyer@mesa.example\x00", "password": "x" * 12}).status_code == 200
    assert client.get("/c/gp%00sr/").status_code == 404
    headers = api_token("admin@gpsr.example")
    assert client.get("/api/v1/me", headers={**headers, "X-Consortium": "gp\x00sr"}).status_code == 404
    buyer = api_token("buyer@mesa.example")
    response = client.post("/api/v1/orders", json={"vehicle_id": 1},
                           headers={**buyer, "Idempotency-Key": "k\x00"})
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["error"]["fields"]
    listing = client.post("/api/v1/listings/1/suspend", json={"reason": "recall"}, headers=headers)
    assert listing.status_code == 200
    # A NUL in a reason is refused with a field message (never stored, never silently dropped), and the
    # listing stays suspended.
    refused = client.post("/api/v1/listings/1/reinstate", json={"reason": "ok \x00"}, headers=headers)
    assert refused.status_code == 400 and "control character" in refused.get_json()["error"]["fields"]["reason"]
    reinstated = client.post("/api/v1/listings/1/reinstate", json={"reason": "ok"}, headers=headers)
    assert reinstated.status_code == 200 and reinstated.get_json()["status_reason"] == "ok"


def test_an_overlong_deactivation_reason_is_sent_back_and_nothing_changes(app, client, login):
    login("admin@gpsr.example")
    target = user("buyer@chandler.example")
    events = _count(app, AuditEvent)
    response = client.post(f"/c/gpsr/users/{target.id}/deactivate", data={"reason": "x" * 2001})
    assert response.status_code == 303
    assert "at most 2000 characters" in client.get(response.location).get_data(as_text=True)
    assert user("buyer@chandler.example").is_active and _count(app, AuditEvent) == events


def test_a_vehicle_form_with_a_digit_int_refuses_is_a_form_error(client, login):
    login("admin@gpsr.example")
    response = client.post("/c/gpsr/vehicles/new", data={"number": "GPSR-X-1", "listing_ids": "\u00b2",
                                                          "contract_price-\u00b2": "1"})
    assert response.status_code == 400 and "Please correct" in response.get_data(as_text=True)
