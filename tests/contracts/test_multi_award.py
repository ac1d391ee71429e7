"""Multi-award vehicles: several vendors, each with its listings and price schedule, one shared ceiling; orders
name their vendor and are priced from its schedule; existing vehicles migrate to one award each."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_migrate import upgrade
from sqlalchemy import select, text

from contracts.orders.models import Order
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from tests.conftest import fetch, org, user
from tests.contracts.award_factories import (
    INSTALL,
    SENSOR,
    award_data,
    make_multi_award_vehicle,
    multi_award_data,
    schedule_item_id,
    vendor_listing,
)

PARK, FLOW, BRIGHT = "vendor@parksense.example", "vendor@flowmobility.example", "vendor@brightstreet.example"


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _vehicle(app, **kwargs) -> int:
    with app.test_request_context():
        vehicle_id = make_multi_award_vehicle(**kwargs).id
        db.session.commit()
    return vehicle_id


def _item(app, vehicle_id: int, vendor: str, name: str) -> int:
    with app.app_context():
        return schedule_item_id(vehicle_id, vendor, name)


# --- the vehicle: API ------------------------------------------------------------------------------


def test_the_api_drafts_a_vehicle_with_several_awards_and_answers_with_them(app, client, api_token):
    with app.test_request_context():
        data = multi_award_data((PARK, FLOW))
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    response = client.post("/api/v1/vehicles", json=data, headers=admin)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [a["vendor"]["name"] for a in body["awards"]] == ["ParkSense", "FlowMobility"]
    assert body["vendor"] is None  # several vendors: see awards
    assert [len(a["price_schedule"]) for a in body["awards"]] == [2, 2]
    assert {line["vendor_id"] for line in body["price_schedule"]} == {a["vendor"]["id"] for a in body["awards"]}
    assert sorted(body["listing_ids"]) == sorted(i for a in body["awards"] for i in a["listing_ids"])
    activated = client.post(f"/api/v1/vehicles/{body['id']}/activate", headers=admin).get_json()
    assert activated["status"] == "active" and len(activated["awards"]) == 2


def test_the_single_vendor_fields_are_still_one_award(app, client, api_token):
    with app.test_request_context():
        listing = vendor_listing(PARK)
        award = award_data(PARK, listing)
        data = {**multi_award_data((FLOW,)), **award}
        del data["awards"]
        listing_id = listing.id
        db.session.commit()
    body = client.post("/api/v1/vehicles", json=data, headers=api_token("admin@gpsr.example")).get_json()
    assert body["vendor"]["name"] == "ParkSense"
    assert [a["vendor"]["name"] for a in body["awards"]] == ["ParkSense"]
    assert body["awards"][0]["listing_ids"] == [listing_id] == body["listing_ids"]


def test_bad_awards_are_refused_at_their_fields_and_nothing_is_saved(app, client, api_token):
    with app.test_request_context():
        data = multi_award_data((PARK, FLOW))
        stranger = vendor_listing(BRIGHT).id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    before = fetch(select(db.func.count()).select_from(Vehicle))
    cases = {
        "both shapes": ({**data, "vendor_id": data["awards"][0]["vendor_id"]}, "vendor_id", "not both"),
        "vendor twice": ({**data, "awards": [data["awards"][0], {**data["awards"][0], "price_schedule": []}]},
                         "awards.1.vendor_id", "already awarded above"),
        "another vendor's listing": (
            {**data, "awards": [data["awards"][0], {**data["awards"][1], "listing_ids": [stranger],
                                                    "price_schedule": []}]},
            "awards.1.listing_ids.0", "No such published listing of this vendor."),
        "price above list": (
            {**data, "awards": [data["awards"][0], {**data["awards"][1], "price_schedule": [
                {**data["awards"][1]["price_schedule"][0], "contract_price": "5.01"}]}]},
            "awards.1.price_schedule.0.contract_price", "above its list price"),
        "no award": ({**data, "awards": []}, "awards", "Give at least 1 entry."),
    }
    for what, (body, field, message) in cases.items():
        response = client.post("/api/v1/vehicles", json=body, headers=admin)
        assert response.status_code == 400, what
        assert message in response.get_json()["error"]["fields"][field], (what, response.get_json())
    assert fetch(select(db.func.count()).select_from(Vehicle)) == before


def test_patch_edits_one_award_and_keeps_its_prices_when_only_listings_change(app, client, api_token):
    vehicle_id = _vehicle(app, vendor_emails=(PARK, FLOW), status="draft")
    admin = api_token("admin@gpsr.example")
    body = client.get(f"/api/v1/vehicles/{vehicle_id}", headers=admin).get_json()
    awards = [{"vendor_id": a["vendor"]["id"], "listing_ids": a["listing_ids"]} for a in body["awards"]]
    patched = client.patch(f"/api/v1/vehicles/{vehicle_id}", json={"awards": awards[:1]}, headers=admin)
    assert patched.status_code == 200, patched.get_json()
    assert [a["vendor"]["name"] for a in patched.get_json()["awards"]] == ["ParkSense"]
    assert len(patched.get_json()["awards"][0]["price_schedule"]) == 2  # kept: no price_schedule was given
    single = client.patch(f"/api/v1/vehicles/{vehicle_id}", json={"title": "Only ParkSense"}, headers=admin)
    assert single.get_json()["vendor"]["name"] == "ParkSense"


def test_single_vendor_fields_cannot_patch_a_vehicle_with_several_awards(app, client, api_token):
    vehicle_id = _vehicle(app, vendor_emails=(PARK, FLOW), status="draft")
    response = client.patch(f"/api/v1/vehicles/{vehicle_id}", json={"listing_ids": []},
                            headers=api_token("admin@gpsr.example"))
    assert response.status_code == 400
    assert "change them through awards" in response.get_json()["error"]["fields"]["listing_ids"]


# --- orders under a multi-award vehicle ------------------------------------------------------------


def test_an_order_names_its_vendor_and_is_priced_from_that_vendors_schedule(app, client, api_token):
    vehicle_id = _vehicle(app)
    tempe = api_token("buyer@tempe.example")
    flow_sensor = _item(app, vehicle_id, FLOW, SENSOR)
    park_sensor = _item(app, vehicle_id, PARK, SENSOR)
    body = {"vehicle_id": vehicle_id, "lines": [{"price_item_id": flow_sensor, "quantity": "100"}]}

    missing = client.post("/api/v1/orders", json=body, headers=tempe)
    assert missing.status_code == 400
    assert "awards several vendors (ParkSense, FlowMobility and BrightStreet Lighting)" in (
        missing.get_json()["error"]["fields"]["vendor_id"])
    stranger = client.post("/api/v1/orders", json={**body, "vendor_id": org("Mesa").id}, headers=tempe)
    assert stranger.status_code == 400 and "Not a vendor awarded" in stranger.get_json()["error"]["fields"]["vendor_id"]
    flow_id, park_id = org("FlowMobility").id, org("ParkSense").id
    wrong_item = client.post("/api/v1/orders", json={**body, "vendor_id": park_id}, headers=tempe)
    assert wrong_item.status_code == 400
    number = fetch(select(Vehicle.number).where(Vehicle.id == vehicle_id))
    assert wrong_item.get_json()["error"]["fields"]["lines.0.price_item_id"] == (
        f"This item is not on ParkSense's price schedule under vehicle {number}.")
    above = client.post("/api/v1/orders", json={"vehicle_id": vehicle_id, "vendor_id": park_id, "lines": [
        {"price_item_id": park_sensor, "quantity": "100", "unit_price": "4.21"}]}, headers=tempe)
    assert above.status_code == 400
    assert "above the contract price $4.20" in above.get_json()["error"]["fields"]["lines.0.unit_price"]

    created = client.post("/api/v1/orders", json={**body, "vendor_id": flow_id}, headers=tempe)
    assert created.status_code == 201, created.get_json()
    order = created.get_json()
    assert order["vendor"]["name"] == "FlowMobility" and order["lines"][0]["unit_price"] == "4.60"
    # the vendor never changes on an edit
    patch = client.patch(f"/api/v1/orders/{order['id']}", json={"vendor_id": park_id}, headers=tempe)
    assert patch.status_code == 400


def test_orders_of_different_vendors_share_the_ceiling(app, client, api_token):
    vehicle_id = _vehicle(app)
    tempe = api_token("buyer@tempe.example")
    values = []
    for vendor, name in ((PARK, "ParkSense"), (FLOW, "FlowMobility")):
        item = _item(app, vehicle_id, vendor, INSTALL)
        order = client.post("/api/v1/orders", json={"vehicle_id": vehicle_id, "vendor_id": org(name).id, "lines": [
            {"price_item_id": item, "quantity": "100"}]}, headers=tempe).get_json()
        submitted = client.post(f"/api/v1/orders/{order['id']}/submit", headers=tempe).get_json()
        values.append(Decimal(submitted["value"]))
    vehicle = client.get(f"/api/v1/vehicles/{vehicle_id}", headers=api_token("admin@gpsr.example")).get_json()
    assert Decimal(vehicle["committed"]) == sum(values) == Decimal("12400.00")  # 6,600 + 5,800
    assert Decimal(vehicle["remaining"]) == Decimal("900000.00") - sum(values)


# --- pages -----------------------------------------------------------------------------------------


def test_the_vehicle_page_shows_each_award_with_its_schedule(app, client, login):
    vehicle_id = _vehicle(app, vendor_emails=(PARK, FLOW))
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/vehicles/{vehicle_id}").get_data(as_text=True)
    assert page.count('data-testid="award"') == 2 and 'data-testid="multi-award"' in page
    sections = page.split('data-testid="award"')[1:]
    assert "ParkSense" in sections[0] and "$4.20" in sections[0] and "$4.60" not in sections[0]
    assert "FlowMobility" in sections[1] and "$58.00" in sections[1]
    assert "ParkSense and FlowMobility" in _text(client.get("/c/gpsr/vehicles"))


def test_a_buyer_chooses_the_vendor_then_orders_from_its_schedule_without_javascript(app, client, login):
    vehicle_id = _vehicle(app, vendor_emails=(PARK, FLOW))
    login("buyer@tempe.example")
    chooser = client.get(f"/c/gpsr/vehicles/{vehicle_id}/orders/new")
    assert chooser.status_code == 200 and 'data-testid="vendors"' in chooser.get_data(as_text=True)
    flow_id = org("FlowMobility").id
    assert f"vendor_id={flow_id}" in chooser.get_data(as_text=True)
    form = client.get(f"/c/gpsr/vehicles/{vehicle_id}/orders/new?vendor_id={flow_id}").get_data(as_text=True)
    assert "from FlowMobility" in _text_of(form) and "$58.00" in form and "$66.00" not in form
    rows = re.findall(r'name="(lines-\d+-price_item_id)"[^>]*value="(\d+)"', form)
    install = _item(app, vehicle_id, FLOW, INSTALL)
    row = next(name for name, item in rows if int(item) == install)
    prefix = row[: -len("price_item_id")]
    data = {"vendor_id": str(flow_id), **{name: item for name, item in rows}, f"{prefix}quantity": "10",
            f"{prefix}unit_price": "59.00"}
    refused = client.post(f"/c/gpsr/vehicles/{vehicle_id}/orders/new", data=data)
    assert refused.status_code == 400 and "above the contract price $58.00" in refused.get_data(as_text=True)
    assert 'value="59.00"' in refused.get_data(as_text=True)  # the input is kept
    saved = client.post(f"/c/gpsr/vehicles/{vehicle_id}/orders/new", data={**data, f"{prefix}unit_price": ""})
    assert saved.status_code == 302
    order = fetch(select(Order).where(Order.vehicle_id == vehicle_id))
    assert order.vendor_id == flow_id and order.value == Decimal("580.00")


def _text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_office_adds_an_award_on_its_own_page_and_prices_it_on_the_edit_page(app, client, login):
    with app.test_request_context():
        vehicle_id = make_multi_award_vehicle((PARK,), status="draft").id
        flow_listing = vendor_listing(FLOW).id
        db.session.commit()
    login("admin@gpsr.example")
    assert 'data-testid="add-award"' in client.get(f"/c/gpsr/vehicles/{vehicle_id}").get_data(as_text=True)
    page = client.get(f"/c/gpsr/vehicles/{vehicle_id}/awards/new").get_data(as_text=True)
    vendors = re.search(r'<select[^>]*name="vendor_id".*?</select>', page, re.S).group(0)
    assert "FlowMobility" in vendors and "ParkSense" not in vendors  # already awarded
    refused = client.post(f"/c/gpsr/vehicles/{vehicle_id}/awards/new",
                          data={"vendor_id": str(org("BrightStreet Lighting").id), "listing_ids": [str(flow_listing)]})
    assert refused.status_code == 400
    assert "No such published listing of this vendor." in refused.get_data(as_text=True)
    added = client.post(f"/c/gpsr/vehicles/{vehicle_id}/awards/new",
                        data={"vendor_id": str(org("FlowMobility").id), "listing_ids": [str(flow_listing)]})
    assert added.status_code == 302 and added.location.endswith(f"/vehicles/{vehicle_id}/edit")

    edit = client.get(f"/c/gpsr/vehicles/{vehicle_id}/edit").get_data(as_text=True)
    assert "Awards: covered listings per vendor" in edit and 'name="remove_awards"' in edit
    form = _edit_form(edit)
    # FlowMobility's two items have rows, empty until priced; ParkSense's keep their prices.
    flow_items = [name for name, value in form.items() if name.startswith("contract_price-") and value == ""]
    assert len(flow_items) == 2
    too_high = {**form, flow_items[0]: "999.00", flow_items[1]: "50.00"}
    response = client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=too_high)
    assert response.status_code == 400 and "above its list price" in response.get_data(as_text=True)
    assert 'value="999.00"' in response.get_data(as_text=True)
    fine = {**form, flow_items[0]: "4.00", flow_items[1]: "50.00"}
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=fine).status_code == 302
    with app.app_context():
        vehicle = db.session.get(Vehicle, vehicle_id)
        assert [(a.vendor.name, len(a.schedule)) for a in vehicle.awards] == [("ParkSense", 2), ("FlowMobility", 2)]
    # Removing an award from the draft
    removed = {**fine, "remove_awards": [str(org("FlowMobility").id)]}
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=removed).status_code == 302
    with app.app_context():
        assert [a.vendor.name for a in db.session.get(Vehicle, vehicle_id).awards] == ["ParkSense"]


def _edit_form(page: str) -> dict:
    """The edit page's fields as a browser would post them (checked boxes, inputs, selected options)."""
    data: dict = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*checked', page):
        data.setdefault(name, []).append(value)
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="checkbox"' in tag or "csrf" in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', body)
        data[name] = next(v for v in chosen.groups() if v is not None) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = body.strip()
    data.pop("remove_awards", None)
    return data


def test_catalog_badge_and_withdraw_guard_cover_every_award(app, client, login, api_token):
    vehicle_id = _vehicle(app)
    with app.app_context():
        vehicle = db.session.get(Vehicle, vehicle_id)
        flow_listing = vehicle.award_of(user(FLOW).organization_id).listings[0]
        title, listing_id, number = flow_listing.title, flow_listing.id, vehicle.number
    login("buyer@tempe.example")
    page = client.get("/c/gpsr/catalog?q=Curb").get_data(as_text=True)
    card = page.split(title, 1)[1].split("</article>", 1)[0] if title in page else ""
    assert f"On contract for Tempe: {number}" in _text_of(card)
    response = client.post(f"/api/v1/listings/{listing_id}/withdraw", json={"reason": "Discontinued."},
                           headers=api_token(FLOW))
    assert response.status_code == 409 and number in response.get_json()["error"]["message"]


# --- the migration -----------------------------------------------------------------------------------


def test_existing_vehicles_are_carried_forward_as_one_award_each(tmp_path):
    """Revision 9c41d7e2a6b8 moves each vehicle's vendor, covered listings and schedule into one award,
    keeping every order line's schedule item, with SQLite's foreign keys intact."""
    from marketplace import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                        "SEARCH_INDEX_DIR": str(tmp_path / "index"), "MAIL_FILE_DIR": str(tmp_path / "mail")})
    rows = [
        "INSERT INTO consortium (id, name, slug, legal_basis, admin_fee_pct, time_zone, created_at) "
        "VALUES (1, 'Old Region', 'old', '', '1.5', 'UTC', '2026-01-01')",
        "INSERT INTO organization (id, kind, name, consortium_id, address, created_at) VALUES "
        "(1, 'member', 'Oldtown', 1, '', '2026-01-01'), (2, 'vendor', 'Lamps Inc', NULL, '', '2026-01-01')",
        "INSERT INTO user (id, email, name, password_hash, organization_id, role, is_active, session_version, "
        "created_at) VALUES (1, 'old@oldtown.example', 'Old Buyer', 'x', 1, 'buyer', 1, 0, '2026-01-01')",
        "INSERT INTO listing (id, vendor_id, title, summary, description, category, tags, pricing_models, standards, "
        "status, updated_at, consortium_id, created_at) VALUES (1, 2, 'Lamps', 's', 'd', 'lighting', '[]', '[]', "
        "'[]', 'published', '2026-01-01', 1, '2026-01-01'), (2, 2, 'Poles', 's', 'd', 'lighting', '[]', '[]', '[]', "
        "'published', '2026-01-01', 1, '2026-01-01')",
        "INSERT INTO price_item (id, listing_id, name, unit, list_price, position, is_retired) VALUES "
        "(1, 1, 'Lamp', 'each', 10000, 0, 0), (2, 2, 'Pole', 'each', 50000, 0, 0)",
        "INSERT INTO vehicle (id, number, title, lead_agency_id, vendor_id, start_date, end_date, renewal_count, "
        "renewal_months, renewals_exercised, ceiling, committed, admin_fee_pct, notes, status, consortium_id, "
        "created_at) VALUES (1, 'OLD-1', 'Lamps', 1, 2, '2026-01-01', '2028-12-31', 0, 0, 0, 10000000, 9000, '1.5', "
        "'', 'active', 1, '2026-01-01')",
        "INSERT INTO vehicle_listing (vehicle_id, listing_id) VALUES (1, 1), (1, 2)",
        "INSERT INTO schedule_item (id, vehicle_id, price_item_id, contract_price) VALUES (1, 1, 1, 9000), "
        "(2, 1, 2, 45000)",
        "INSERT INTO purchase_order (id, vehicle_id, member_id, vendor_id, created_by_id, status, po_number, notes, "
        "value, committed, updated_at, consortium_id, created_at) VALUES (1, 1, 1, 2, 1, 'approved', 'PO-1', '', "
        "9000, 9000, '2026-01-01', 1, '2026-01-01')",
        "INSERT INTO order_line (id, order_id, schedule_item_id, price_item_id, description, unit, quantity, "
        "unit_price, total, position) VALUES (1, 1, 1, 1, 'Lamp', 'each', '1', 9000, 9000, 0)",
    ]
    with other.app_context():
        upgrade(revision="4bfff33a229f")
        with db.engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, vehicle_id, vendor_id, position FROM vehicle_award")).all() == [
                (1, 1, 2, 0)]
            assert conn.execute(text("SELECT award_id, listing_id FROM award_listing ORDER BY listing_id")).all() == [
                (1, 1), (1, 2)]
            assert conn.execute(text("SELECT id, vehicle_id, award_id, contract_price FROM schedule_item "
                                     "ORDER BY id")).all() == [(1, 1, 1, 9000), (2, 1, 1, 45000)]
            assert conn.execute(text("SELECT schedule_item_id FROM order_line")).scalar() == 1
            assert "vendor_id" not in {c[1] for c in conn.execute(text("PRAGMA table_info(vehicle)"))}
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # enforced again after the migration
        vehicle = db.session.scalar(select(Vehicle).execution_options(all_tenants=True))
        assert [a.vendor.name for a in vehicle.awards] == ["Lamps Inc"] and vehicle.vendor_names == "Lamps Inc"
        assert [x.title for x in vehicle.listings] == ["Lamps", "Poles"]
        assert [line.contract_price for line in vehicle.schedule] == [Decimal("90.00"), Decimal("450.00")]
        db.session.remove()
        db.engine.dispose()
