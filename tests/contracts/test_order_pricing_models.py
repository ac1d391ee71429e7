"""An order's pricing model (DESIGN section 4: the listing's pricing models): named through the API and the order
form, checked against what the vendor's listings on the vehicle offer, the matching terms blocks, the vendor
financing a vendor-financed draft carries (saved with it, or not at all), and the migration that carried
existing orders forward."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalog.listings.models import Listing
from contracts.finance.models import FinancingInstrument
from contracts.orders.models import Order
from marketplace.extensions import db
from tests.conftest import fetch
from tests.contracts.order_factories import lines_for, load_vehicle, make_vehicle

ALL_MODELS = ["purchase", "as_a_service", "revenue_share", "vendor_financed"]
SERVICE_TERMS = {
    "period": "month", "periods": 12, "start_date": "2027-01-01", "fixed_fee": "1000.00", "at_risk_fee": "0.00",
}
REVENUE_TERMS = {
    "period": "quarter", "periods": 4, "start_date": "2027-01-01", "fixed_fee": "0.00", "at_risk_fee": "0.00",
    "revenue_share": {"kpi": "ad_revenue", "city_share_pct": "50", "minimum_guarantee": "120000.00",
                      "guarantee_periods": 4},
}
# DESIGN section 5b, example E's second case: 250,000.00 at 6 % for 5 years, monthly → 4,833.20, last 4,833.24.
FINANCING = {"financing-partner": "ParkSense Capital", "financing-principal": "250000.00",
             "financing-annual_rate": "6", "financing-years": "5", "financing-payments_per_year": "12",
             "financing-first_payment_on": "2027-02-01"}


def _vehicle(app, models=None, number="GPSR-PM-001"):
    """An active vehicle whose one listing offers `models` (all four by default)."""
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="2000000.00", number=number)
        listing = db.session.scalar(select(Listing).where(Listing.id == vehicle.awards[0].listings[0].id))
        listing.pricing_models = list(models or ALL_MODELS)
        db.session.commit()
        return load_vehicle(vehicle.id)


@pytest.fixture
def buyer(api_token):
    return api_token("buyer@tempe.example")


def _count(model) -> int:
    return fetch(select(func.count()).select_from(model))


# --- the API ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model, extra", [
    ("purchase", {}),
    ("as_a_service", {"performance": SERVICE_TERMS}),
    ("revenue_share", {"performance": REVENUE_TERMS, "lines": []}),
    ("vendor_financed", {}),
])
def test_each_pricing_model_through_the_api(app, client, buyer, model, extra):
    vehicle = _vehicle(app)
    body = {"vehicle_id": vehicle.id, "lines": lines_for(vehicle), "pricing_model": model, **extra}
    created = client.post("/api/v1/orders", json=body, headers=buyer)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["pricing_model"] == model
    order_id = created.get_json()["id"]
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).get_json()["pricing_model"] == model
    assert fetch(select(Order.pricing_model).where(Order.id == order_id)) == model


@pytest.mark.parametrize("extra, implied", [
    ({}, "purchase"),
    ({"performance": SERVICE_TERMS}, "as_a_service"),
    ({"performance": REVENUE_TERMS, "lines": []}, "revenue_share"),
])
def test_an_order_naming_no_model_takes_the_one_its_terms_imply(app, client, buyer, extra, implied):
    vehicle = _vehicle(app)
    created = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle), **extra},
                          headers=buyer)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["pricing_model"] == implied


def test_a_model_the_listing_does_not_offer_is_refused_with_a_message(app, client, buyer):
    vehicle = _vehicle(app, ["purchase", "as_a_service"])
    before = _count(Order)
    refused = client.post("/api/v1/orders", headers=buyer, json={
        "vehicle_id": vehicle.id, "lines": lines_for(vehicle), "pricing_model": "vendor_financed"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["fields"]["pricing_model"] == (
        "ParkSense does not offer vendor financed on this vehicle: its listings here offer purchase, as a service.")
    unknown = client.post("/api/v1/orders", headers=buyer, json={
        "vehicle_id": vehicle.id, "lines": lines_for(vehicle), "pricing_model": "lease"})
    assert unknown.status_code == 400 and "pricing_model" in unknown.get_json()["error"]["fields"]
    assert _count(Order) == before


def test_a_revenue_share_order_needs_the_revenue_share_block(app, client, buyer):
    vehicle = _vehicle(app)
    refused = client.post("/api/v1/orders", headers=buyer, json={
        "vehicle_id": vehicle.id, "lines": lines_for(vehicle), "pricing_model": "revenue_share",
        "performance": SERVICE_TERMS})
    assert refused.status_code == 400
    assert "needs the revenue-share block" in refused.get_json()["error"]["fields"]["pricing_model"]


def test_editing_a_draft_keeps_or_changes_its_model(app, client, buyer):
    vehicle = _vehicle(app)
    order_id = client.post("/api/v1/orders", headers=buyer, json={
        "vehicle_id": vehicle.id, "lines": lines_for(vehicle), "pricing_model": "vendor_financed"}).get_json()["id"]
    kept = client.patch(f"/api/v1/orders/{order_id}", headers=buyer, json={"po_number": "PO-2"})
    assert kept.status_code == 200 and kept.get_json()["pricing_model"] == "vendor_financed"
    changed = client.patch(f"/api/v1/orders/{order_id}", headers=buyer, json={"pricing_model": "purchase"})
    assert changed.status_code == 200 and changed.get_json()["pricing_model"] == "purchase"


def test_the_openapi_document_declares_the_pricing_model(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    text = str(spec)
    assert "'pricing_model'" in text and "vendor_financed" in text


# --- the order form --------------------------------------------------------------------------------------


def _form(vehicle, model=None, quantity="10", **changes) -> dict:
    form = {"po_number": "PM-1"}
    if model is not None:
        form["pricing_model"] = model
    for i, item in enumerate(vehicle.schedule):
        form[f"lines-{i}-price_item_id"] = str(item.price_item_id)
        form[f"lines-{i}-quantity"] = quantity
    form.update(changes)
    return form


def _latest_order():
    return fetch(select(Order).order_by(Order.id.desc()))


def test_the_form_offers_the_listing_models_and_their_blocks(app, client, login):
    vehicle = _vehicle(app, ["purchase", "vendor_financed"])
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/vehicles/{vehicle.id}/orders/new").get_data(as_text=True)
    assert 'name="pricing_model" value="purchase" checked' in page
    assert 'value="vendor_financed"' in page and 'value="revenue_share"' not in page
    assert 'name="financing-partner"' in page and 'value="ParkSense"' in page  # prefilled with the vendor
    assert '<details class="margin-top-4" data-testid="performance-block">' in page  # collapsed for a purchase
    assert '<details class="margin-top-4" data-testid="financing-block">' in page


@pytest.mark.parametrize("model, extra, block", [
    ("purchase", {}, None),
    ("as_a_service", {"performance-enabled": "y", "performance-period": "month", "performance-periods": "12",
                      "performance-start_date": "2027-01-01", "performance-fixed_fee": "1000.00"},
     "performance-block"),
    ("revenue_share", {"performance-enabled": "y", "performance-period": "quarter", "performance-periods": "4",
                       "performance-start_date": "2027-01-01", "performance-revenue_kpi": "ad_revenue",
                       "performance-city_share_pct": "50", "performance-minimum_guarantee": "120000.00",
                       "performance-guarantee_periods": "4"}, "revenue-block"),
    ("vendor_financed", FINANCING, "financing-block"),
])
def test_each_pricing_model_through_the_form(app, client, login, model, extra, block):
    vehicle = _vehicle(app)
    login("buyer@tempe.example")
    url = f"/c/gpsr/vehicles/{vehicle.id}/orders/new"
    saved = client.post(url, data=_form(vehicle, model, **extra))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    order = _latest_order()
    assert order.pricing_model == model
    instruments = fetch(select(func.count()).select_from(FinancingInstrument)
                        .where(FinancingInstrument.order_id == order.id))
    assert instruments == (1 if model == "vendor_financed" else 0)
    page = client.get(f"/c/gpsr/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="pricing-model">' + {"purchase": "Purchase", "as_a_service": "As a service",
                                             "revenue_share": "Revenue share",
                                             "vendor_financed": "Vendor financed"}[model] in page
    edit = client.get(f"/c/gpsr/orders/{order.id}/edit").get_data(as_text=True)
    assert f'value="{model}" checked' in edit
    if block:  # the chosen model's block is open
        assert f'data-testid="{block}" open>' in edit


def test_a_vendor_financed_draft_carries_its_instrument_and_schedule(app, client, login, api_token):
    vehicle = _vehicle(app)
    login("buyer@tempe.example")
    saved = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=_form(vehicle, "vendor_financed",
                                                                                   **FINANCING))
    assert saved.status_code == 302
    order = _latest_order()
    inst = fetch(select(FinancingInstrument).where(FinancingInstrument.order_id == order.id))
    assert (inst.kind, inst.partner, str(inst.principal)) == ("vendor_financing", "ParkSense Capital", "250000.00")
    body = client.get(f"/api/v1/financing/{inst.id}", headers=api_token("buyer@tempe.example")).get_json()
    assert body["payment"] == "4833.20" and body["schedule"][-1]["payment"] == "4833.24"
    assert body["total_interest"] == "39992.04"
    page = client.get(f"/c/gpsr/orders/{order.id}").get_data(as_text=True)
    assert f'/financing/{inst.id}">the payment schedule of its vendor financing' in page
    # Editing the draft shows the instrument it carries instead of a second block to fill in.
    edit = client.get(f"/c/gpsr/orders/{order.id}/edit").get_data(as_text=True)
    assert 'data-testid="existing-financing"' in edit and 'name="financing-principal"' not in edit
    again = client.post(f"/c/gpsr/orders/{order.id}/edit", data=_form(vehicle, "vendor_financed", quantity="5"))
    assert again.status_code == 302
    assert fetch(select(func.count()).select_from(FinancingInstrument)
                 .where(FinancingInstrument.order_id == order.id)) == 1


def test_an_empty_principal_finances_the_order_value(app, client, login):
    vehicle = _vehicle(app)
    login("buyer@tempe.example")
    saved = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new",
                        data=_form(vehicle, "vendor_financed", **{**FINANCING, "financing-principal": ""}))
    assert saved.status_code == 302
    order = _latest_order()
    inst = fetch(select(FinancingInstrument).where(FinancingInstrument.order_id == order.id))
    assert inst.principal == order.value == 5130  # 10 × 405.00 + 10 × 108.00


def test_a_refused_financing_block_leaves_nothing_saved(app, client, login):
    vehicle = _vehicle(app)
    login("buyer@tempe.example")
    orders, instruments = _count(Order), _count(FinancingInstrument)
    bad = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=_form(
        vehicle, "vendor_financed", **{**FINANCING, "financing-payments_per_year": "3", "financing-years": "0"}))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "Choose 1, 2, 4 or 12 payments a year" in page and 'id="financing-years-error"' in page
    assert 'data-testid="financing-block" open>' in page and 'value="ParkSense Capital"' in page
    assert 'value="PM-1"' in page  # the order's input is kept too
    assert (_count(Order), _count(FinancingInstrument)) == (orders, instruments)


def test_a_refused_order_leaves_no_financing_and_shows_both_problems(app, client, login):
    vehicle = _vehicle(app)
    login("buyer@tempe.example")
    orders, instruments = _count(Order), _count(FinancingInstrument)
    bad = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=_form(
        vehicle, "vendor_financed", quantity="-1", **{**FINANCING, "financing-annual_rate": "120"}))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert 'id="financing-annual_rate-error"' in page and "usa-input--error" in page
    assert (_count(Order), _count(FinancingInstrument)) == (orders, instruments)


def test_the_form_refuses_a_model_the_listing_does_not_offer(app, client, login):
    vehicle = _vehicle(app, ["purchase"])
    login("buyer@tempe.example")
    orders = _count(Order)
    bad = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=_form(vehicle, "as_a_service"))
    assert bad.status_code == 400
    assert "ParkSense does not offer as a service on this vehicle" in bad.get_data(as_text=True)
    assert _count(Order) == orders


# --- the migration ---------------------------------------------------------------------------------------


def test_the_migration_carries_existing_orders_forward(tmp_path):
    """Revision 6a2d9e4b7c13: orders with revenue-share terms → revenue_share, other terms → as_a_service,
    lines only → purchase."""
    import json

    from flask_migrate import upgrade
    from sqlalchemy import text

    from marketplace import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                        "SEARCH_INDEX_DIR": str(tmp_path / "index"), "MAIL_FILE_DIR": str(tmp_path / "mail")})
    with other.app_context():
        upgrade(revision="5e8b1c7d2f04")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO consortium (id, name, slug, legal_basis, admin_fee_pct, time_zone, "
                              "created_at) VALUES (1, 'Old Region', 'old', '', '1.5', 'UTC', '2026-01-01')"))
            conn.execute(text("INSERT INTO organization (id, kind, name, consortium_id, address, created_at) "
                              "VALUES (1, 'member', 'Oldtown', 1, '', '2026-01-01'), "
                              "(2, 'vendor', 'Oldco', NULL, '', '2026-01-01')"))
            conn.execute(text("INSERT INTO user (id, email, name, password_hash, organization_id, role, is_active, "
                              "session_version, created_at) VALUES (1, 'old@oldtown.example', 'Old Buyer', 'x', 1, "
                              "'buyer', 1, 0, '2026-01-01')"))
            conn.execute(text("INSERT INTO vehicle (id, number, title, lead_agency_id, start_date, end_date, "
                              "renewal_count, renewal_months, renewals_exercised, ceiling, committed, admin_fee_pct, "
                              "notes, status, consortium_id, created_at) VALUES (1, 'OLD-1', 'Old vehicle', 1, "
                              "'2026-01-01', '2027-01-01', 0, 0, 0, 100000000, 0, '1.5', '', 'active', 1, "
                              "'2026-01-01')"))
            for order_id, performance in ((1, None), (2, SERVICE_TERMS), (3, REVENUE_TERMS)):
                conn.execute(text(
                    "INSERT INTO purchase_order (id, vehicle_id, member_id, vendor_id, created_by_id, status, "
                    "po_number, notes, performance, value, committed, updated_at, consortium_id, created_at) "
                    "VALUES (:id, 1, 1, 2, 1, 'draft', '', '', :performance, 0, 0, '2026-01-01', 1, '2026-01-01')"),
                    {"id": order_id, "performance": json.dumps(performance) if performance else None})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, pricing_model FROM purchase_order ORDER BY id")).all()
            assert rows == [(1, "purchase"), (2, "as_a_service"), (3, "revenue_share")]
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()
        db.engine.dispose()
