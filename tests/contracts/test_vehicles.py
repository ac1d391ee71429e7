"""Contract vehicles as the consortium office, members, strangers and the public meet them."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from catalog.listings import services as catalog_services
from catalog.listings.models import Listing
from contracts.vehicles import models as vehicle_models
from contracts.vehicles import queries, validation
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Participation, ScheduleItem, Vehicle, award_listing
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.conftest import consortium, fetch, org, user
from tests.contracts.factories import make_participation, make_vehicle, vehicle_data

DEMO = "GPSR-2026-001"


def _listing(title: str, slug: str = "gpsr") -> Listing:
    return fetch(select(Listing).where(Listing.title == title, Listing.consortium_id == consortium(slug).id))


def _vehicle(number: str) -> Vehicle:
    return fetch(select(Vehicle).where(Vehicle.number == number))


def _counts() -> dict:
    return {name: fetch(select(func.count()).select_from(table)) for name, table in (
        ("vehicles", Vehicle), ("schedule", ScheduleItem), ("covered", award_listing), ("audit", AuditEvent))}


def _form(**overrides) -> dict:
    data = {
        "number": "GPSR-2026-010", "title": "Smart street lighting, phase 2",
        "lead_agency_id": str(org("Mesa").id), "vendor_id": str(org("BrightStreet Lighting").id),
        "listing_ids": [str(_listing("Adaptive LED street lighting").id)],
        "start_date": "2026-01-01", "end_date": "2028-12-31", "renewal_count": "2", "renewal_months": "12",
        "ceiling": "1,500,000.00", "admin_fee_pct": "1.5", "notes": "Awarded under Mesa RFP 2026-007.",
    }
    data.update(overrides)
    return data


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


# --- drafting and activation ----------------------------------------------------------------------


def test_office_drafts_prices_and_activates_a_vehicle_through_the_pages(client, login):
    login("admin@gpsr.example")
    new = client.get("/c/gpsr/vehicles/new").get_data(as_text=True)
    assert "Adaptive LED street lighting" in new and 'value="1.5"' in new  # the consortium's default fee
    response = client.post("/c/gpsr/vehicles/new", data=_form())
    assert response.status_code == 302
    vehicle = _vehicle("GPSR-2026-010")
    assert response.location.endswith(f"/c/gpsr/vehicles/{vehicle.id}/edit")
    assert vehicle.status == "draft" and vehicle.ceiling == 1500000

    edit = client.get(f"/c/gpsr/vehicles/{vehicle.id}/edit").get_data(as_text=True)
    items = {name: int(item_id) for item_id, name in re.findall(
        r'for="contract_price-(\d+)">Contract price for ([^<]+)<', edit)}
    assert set(items) == {"LED luminaire with node", "Central management system", "Lighting as a service"}
    assert "$450.00" in edit
    form = {**_form(), f"contract_price-{items['LED luminaire with node']}": "399.00",
            f"contract_price-{items['Lighting as a service']}": "8.50"}
    assert client.post(f"/c/gpsr/vehicles/{vehicle.id}/edit", data=form).status_code == 302

    page = _text(client.get(f"/c/gpsr/vehicles/{vehicle.id}"))
    assert "ready to activate" in page
    assert "LED luminaire with node" in page and "$399.00" in page and "$51.00 (11.33%)" in page
    assert "Central management system" not in page.split("Participating members")[0].split("Price schedule")[-1]
    assert client.post(f"/c/gpsr/vehicles/{vehicle.id}/activate").status_code == 302
    page = _text(client.get(f"/c/gpsr/vehicles/{vehicle.id}"))
    assert "Active" in page and "Terminate this vehicle" in page
    actions = fetch(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "vehicle", AuditEvent.object_id == vehicle.id))
    assert actions == 3  # created, edited, activated


def _schedule_inputs(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(contract_price-\d+)" value="([^"]*)"', page))


def test_newly_covered_listings_get_schedule_rows_and_uncovered_ones_lose_theirs(app, client, login):
    with app.test_request_context():
        led = db.session.merge(_listing("Adaptive LED street lighting"))
        solar = db.session.merge(_listing("Solar-powered pathway lights"))
        vehicle_id = make_vehicle("draft", lead="Mesa", listings=[led]).id
        led_id, solar_id = led.id, solar.id
        db.session.commit()
    login("admin@gpsr.example")
    edit = client.get(f"/c/gpsr/vehicles/{vehicle_id}/edit").get_data(as_text=True)
    prices = _schedule_inputs(edit)
    assert sorted(prices.values()) == ["2250.00", "405.00", "8.55"]
    form = {**_form(number="TEST-EDIT"), **prices, "listing_ids": [str(led_id), str(solar_id)]}
    response = client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=form)
    assert response.status_code == 302 and response.location.endswith("/edit")
    edit = client.get(f"/c/gpsr/vehicles/{vehicle_id}/edit").get_data(as_text=True)
    assert "Set the contract prices of the newly covered" in edit
    solar_item = re.search(r'for="(contract_price-\d+)">Contract price for Solar pathway light', edit).group(1)
    assert _schedule_inputs(edit)[solar_item] == ""  # a row to fill in; the other prices are kept
    assert fetch(select(func.count()).select_from(ScheduleItem).where(ScheduleItem.vehicle_id == vehicle_id)) == 3
    # Unchecking a listing drops the prices typed for its items instead of refusing them.
    form = {**form, solar_item: "1000.00", "listing_ids": [str(led_id)]}
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=form).status_code == 302
    assert fetch(select(func.count()).select_from(ScheduleItem).where(ScheduleItem.vehicle_id == vehicle_id)) == 3
    # Checked again, its rows come back empty; priced on the next save, the item is on the schedule.
    form = {**form, "listing_ids": [str(led_id), str(solar_id)]}
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=form).location.endswith("/edit")
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=form).location.endswith(f"/vehicles/{vehicle_id}")
    assert fetch(select(ScheduleItem.contract_price).where(ScheduleItem.vehicle_id == vehicle_id,
                                                           ScheduleItem.price_item_id == int(solar_item[15:]))) == 1000


def _bad_cases():
    """(what, api overrides, field path, message) — evaluated inside an app context."""
    parking = make_listing("published", vendor_email="vendor@parksense.example", title="Curb sensors")
    led = db.session.merge(_listing("Adaptive LED street lighting"))
    frca = db.session.merge(_listing("Adaptive LED street lighting", "frca"))
    item = led.active_price_items[0]
    return {
        "price above list": ({"price_schedule": [{"price_item_id": item.id, "contract_price": "460.00"}]},
                             "price_schedule.0.contract_price", "is $10.00 above its list price of $450.00"),
        "end before start": ({"start_date": "2027-01-01", "end_date": "2026-12-31"}, "end_date",
                             "The end date must be after the start date"),
        "end equals start": ({"start_date": "2027-01-01", "end_date": "2027-01-01"}, "end_date",
                             "The end date must be after the start date"),
        "ceiling zero": ({"ceiling": "0"}, "ceiling", "The ceiling must be more than zero."),
        "ceiling zero cents": ({"ceiling": "0.00"}, "ceiling", "The ceiling must be more than zero."),
        "unknown listing": ({"listing_ids": [999999], "price_schedule": []}, "listing_ids.0",
                            "No such published listing of this vendor."),
        "listing of another vendor": ({"listing_ids": [parking.id], "price_schedule": []}, "listing_ids.0",
                                      "No such published listing of this vendor."),
        "listing of another consortium": ({"listing_ids": [frca.id], "price_schedule": []}, "listing_ids.0",
                                          "No such published listing of this vendor."),
        "price item of another consortium": (
            {"price_schedule": [{"price_item_id": frca.active_price_items[0].id, "contract_price": "1.00"}]},
            "price_schedule.0.price_item_id", "No such price item on the covered listings."),
        "number taken": ({"number": "gpsr-2026-001"}, "number", "already has a vehicle numbered"),
        "lead of another consortium": ({"lead_agency_id": org("Boulder").id}, "lead_agency_id",
                                       "Choose a member city of this consortium"),
        "vendor not a supplier": ({"vendor_id": org("Mesa").id}, "vendor_id", "approved supplier"),
        "admin fee over 100": ({"admin_fee_pct": "100.5"}, "admin_fee_pct", "cannot be more than 100"),
        "renewal months missing": ({"renewal_options": {"count": 2, "months": 0}}, "renewal_options.months",
                                   "from 1 to 60"),
        "date that does not exist": ({"end_date": "2027-02-30"}, "end_date", "is not a 'date'"),
    }


BAD = ["price above list", "end before start", "end equals start", "ceiling zero", "ceiling zero cents",
       "unknown listing", "listing of another vendor", "listing of another consortium",
       "price item of another consortium", "number taken", "lead of another consortium", "vendor not a supplier",
       "admin fee over 100", "renewal months missing", "date that does not exist"]


@pytest.mark.parametrize("what", BAD)
def test_invalid_vehicles_are_refused_over_the_api_with_the_field_message_and_nothing_saved(
        app, client, api_token, what):
    with app.test_request_context():
        overrides, path, message = _bad_cases()[what]
        body = vehicle_data([db.session.merge(_listing("Adaptive LED street lighting"))], lead="Mesa", **overrides)
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    before = _counts()
    response = client.post("/api/v1/vehicles", json=body, headers=admin)
    assert response.status_code == 400, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert message in fields[path], fields
    assert _counts() == before


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"end_date": "2025-12-31"}, "end_date", "The end date must be after the start date (1 Jan 2026)."),
    ({"ceiling": "0"}, "ceiling", "The ceiling must be more than zero."),
    ({"ceiling": "-5"}, "ceiling", "The ceiling must be more than zero."),
    ({"ceiling": "12.345"}, "ceiling", "at most 2 decimals"),
    ({"number": "GPSR-2026-001"}, "number", "already has a vehicle numbered GPSR-2026-001"),
    ({"number": "bad number!"}, "number", "letters, digits, dashes"),
    ({"title": ""}, "title", "This field is required."),
    ({"renewal_count": "11"}, "renewal_count", "from 0 to 10"),
    ({"admin_fee_pct": "1.23456"}, "admin_fee_pct", "at most 4 decimals"),
    ({"lead_agency_id": ""}, "lead_agency_id", "Choose a member city of this consortium"),
])
def test_invalid_vehicle_forms_show_the_message_and_save_nothing(client, login, overrides, field, message):
    login("admin@gpsr.example")
    before = _counts()
    response = client.post("/c/gpsr/vehicles/new", data=_form(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert message in page and "Please correct" in page
    assert f'href="#{field}"' in page  # the error summary links to the field
    assert _counts() == before


def test_a_number_taken_by_a_concurrent_request_still_gets_the_field_message(app, client, api_token, monkeypatch):
    # As if another request committed the same number between our check and our insert.
    monkeypatch.setattr(validation, "_vehicle_number", lambda raw, consortium, vehicle, fields: raw)
    with app.test_request_context():
        body = vehicle_data([db.session.merge(_listing("Adaptive LED street lighting"))], lead="Mesa", number=DEMO)
    admin = api_token("admin@gpsr.example")
    before = _counts()
    response = client.post("/api/v1/vehicles", json=body, headers=admin)
    assert response.status_code == 400
    assert "already has a vehicle numbered GPSR-2026-001" in response.get_json()["error"]["fields"]["number"]
    assert _counts() == before


def test_listing_of_another_vendor_or_consortium_is_refused_on_the_form(app, client, login):
    with app.test_request_context():
        parking_id = make_listing("published", vendor_email="vendor@parksense.example", title="Curb sensors").id
        db.session.commit()
    login("admin@gpsr.example")
    before = _counts()
    frca_id = _listing("Adaptive LED street lighting", "frca").id
    for listing_id in (parking_id, frca_id, 999999):
        response = client.post("/c/gpsr/vehicles/new", data=_form(listing_ids=[str(listing_id)]))
        assert response.status_code == 400
        assert "No such published listing of this vendor." in response.get_data(as_text=True)
    assert "Adaptive LED street lighting (Front Range" not in response.get_data(as_text=True)
    assert _counts() == before


def test_contract_price_above_list_price_is_refused_on_the_schedule_row(app, client, login):
    with app.test_request_context():
        vehicle = make_vehicle("draft", lead="Mesa")
        item = vehicle.schedule[0].price_item
        vehicle_id, item_id, price = vehicle.id, item.id, vehicle.schedule[0].contract_price
        listing_id = vehicle.listings[0].id
        db.session.commit()
    login("admin@gpsr.example")
    before = _counts()
    form = {**_form(number="TEST-ROW", listing_ids=[str(listing_id)]), f"contract_price-{item_id}": "455.00"}
    response = client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="contract_price-{item_id}-error"' in page and "is $5.00 above its list price of $450.00" in page
    assert _counts() == before
    assert fetch(select(ScheduleItem.contract_price).where(ScheduleItem.price_item_id == item_id)) == price
    assert _vehicle("TEST-ROW") is None


def test_activation_needs_a_complete_consistent_vehicle(app, client, login, api_token):
    with app.test_request_context():
        listing = make_listing("published", vendor_email="vendor@brightstreet.example", title="Pole kit")
        bare = make_vehicle("draft", listings=[listing], price_schedule=[])
        recalled = make_listing("published", vendor_email="vendor@brightstreet.example", title="Recalled kit")
        suspended = make_vehicle("draft", listings=[recalled])
        catalog_services.suspend_listing(suspended.listings[0], actor=db.session.merge(user("admin@gpsr.example")),
                                         reason="Safety recall.")
        ended = make_vehicle("draft", start_date="2024-01-01", end_date="2025-01-01")
        ids = bare.id, suspended.id, ended.id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    expectations = [("price_schedule", "Put at least one price item on the schedule"),
                    ("listing_ids", "No longer published by the vendor: “Recalled kit”"),
                    ("end_date", "must be in the future")]
    for vehicle_id, (field, message) in zip(ids, expectations, strict=True):
        response = client.post(f"/api/v1/vehicles/{vehicle_id}/activate", headers=admin)
        assert response.status_code == 409
        assert message in response.get_json()["error"]["fields"][field]
        assert fetch(select(Vehicle.status).where(Vehicle.id == vehicle_id)) == "draft"
    login("admin@gpsr.example")
    page = _text(client.get(f"/c/gpsr/vehicles/{ids[0]}"))
    assert "Before it can be activated" in page and "Put at least one price item on the schedule" in page
    response = client.post(f"/c/gpsr/vehicles/{ids[0]}/activate")
    assert response.status_code == 409  # the vehicle's page, with why
    assert "The vehicle is not ready to activate" in _text(response)
    assert fetch(select(Vehicle.status).where(Vehicle.id == ids[0])) == "draft"


def test_only_drafts_can_be_edited(app, client, login, api_token):
    with app.test_request_context():
        vehicle_id = make_vehicle("active").id
        db.session.commit()
    response = client.patch(f"/api/v1/vehicles/{vehicle_id}", json={"title": "Changed"},
                            headers=api_token("admin@gpsr.example"))
    assert response.status_code == 409
    assert "Only a draft vehicle can be edited" in response.get_json()["error"]["message"]
    login("admin@gpsr.example")
    response = client.get(f"/c/gpsr/vehicles/{vehicle_id}/edit")
    assert response.status_code == 303
    assert "Only a draft vehicle can be edited" in client.get(response.location).get_data(as_text=True)


def test_patch_changes_only_what_it_names_and_drops_lines_of_uncovered_listings(app, client, api_token):
    with app.test_request_context():
        one = make_listing("published", vendor_email="vendor@brightstreet.example", title="Kit one")
        two = make_listing("published", vendor_email="vendor@brightstreet.example", title="Kit two")
        vehicle_id = make_vehicle("draft", listings=[one, two]).id
        one_id = one.id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    body = client.patch(f"/api/v1/vehicles/{vehicle_id}", json={"title": "Phase 2"}, headers=admin).get_json()
    assert body["title"] == "Phase 2" and len(body["price_schedule"]) == 4 and body["ceiling"] == "500000.00"
    body = client.patch(f"/api/v1/vehicles/{vehicle_id}", json={"listing_ids": [one_id]}, headers=admin).get_json()
    assert body["listing_ids"] == [one_id] and {line["listing_id"] for line in body["price_schedule"]} == {one_id}


# --- renewal, termination, expiry -----------------------------------------------------------------


def test_add_months_uses_calendar_months_and_clamps_the_day():
    assert vehicles.add_months(date(2028, 12, 31), 12) == date(2029, 12, 31)
    assert vehicles.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert vehicles.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert vehicles.add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert vehicles.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert vehicles.add_months(date(2026, 6, 15), 60) == date(2031, 6, 15)


def test_renewal_extends_the_end_date_while_options_remain(app, client, api_token, monkeypatch):
    with app.test_request_context():
        vehicle_id = make_vehicle("active", renewal_options={"count": 2, "months": 12}).id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    first = client.post(f"/api/v1/vehicles/{vehicle_id}/renew", headers=admin).get_json()
    assert first["end_date"] == "2029-12-31" and first["renewal_options"]["remaining"] == 1
    second = client.post(f"/api/v1/vehicles/{vehicle_id}/renew", headers=admin).get_json()
    assert second["end_date"] == "2030-12-31" and second["renewal_options"]["exercised"] == 2
    third = client.post(f"/api/v1/vehicles/{vehicle_id}/renew", headers=admin)
    assert third.status_code == 409 and "No renewal options remain (2 of 2 exercised)" in third.get_json()["error"][
        "message"]
    events = fetch(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "vehicle.renewed",
                                                                      AuditEvent.object_id == vehicle_id))
    assert events == 2


def test_renewal_is_refused_after_expiry(app, client, login, api_token, monkeypatch):
    with app.test_request_context():
        vehicle_id = make_vehicle("active", end_date="2027-06-30").id
        db.session.commit()
    monkeypatch.setattr(vehicle_models, "today", lambda: date(2027, 6, 30))  # the last day still counts
    admin = api_token("admin@gpsr.example")
    assert client.post(f"/api/v1/vehicles/{vehicle_id}/renew", headers=admin).get_json()["end_date"] == "2028-06-30"
    monkeypatch.setattr(vehicle_models, "today", lambda: date(2028, 7, 1))
    late = client.post(f"/api/v1/vehicles/{vehicle_id}/renew", headers=admin)
    assert late.status_code == 409 and "expired on 30 Jun 2028" in late.get_json()["error"]["message"]
    login("admin@gpsr.example")
    client.post(f"/c/gpsr/vehicles/{vehicle_id}/renew")
    assert fetch(select(Vehicle.end_date).where(Vehicle.id == vehicle_id)) == date(2028, 6, 30)


def test_a_vehicle_past_its_end_date_is_expired_without_a_job(app, client, login, api_token, monkeypatch):
    vehicle = _vehicle(DEMO)
    tempe = org("Tempe").id
    led_id = _listing("Adaptive LED street lighting").id
    assert client.get(f"/api/v1/vehicles/{vehicle.id}?consortium=gpsr").get_json()["status"] == "active"
    monkeypatch.setattr(vehicle_models, "today", lambda: date(2029, 1, 1))
    assert fetch(select(Vehicle.status).where(Vehicle.id == vehicle.id)) == "active"  # nothing was written
    login("approver@tempe.example")
    page = _text(client.get(f"/c/gpsr/vehicles/{vehicle.id}"))
    assert "expired on 31 Dec 2028" in page and "You can buy under" not in page
    assert f"/c/gpsr/vehicles/{vehicle.id}" not in client.get("/c/gpsr/").get_data(as_text=True)
    assert "GPSR-2026-001" not in client.get(f"/c/gpsr/listings/{led_id}").get_data(as_text=True)
    with app.app_context():
        live = db.session.get(Vehicle, vehicle.id)
        assert not queries.is_buyer_of(tempe, live)
        # Only Tempe's own Wi-Fi concession vehicle (in force until 2030) is left to buy under.
        assert [v.number for v in queries.vehicles_member_can_buy_under(tempe)] == ["GPSR-2025-007"]
    body = client.get(f"/api/v1/vehicles/{vehicle.id}", headers=api_token("admin@gpsr.example")).get_json()
    assert body["status"] == "expired"
    expired = client.get("/api/v1/vehicles?status=expired", headers=api_token("buyer@mesa.example")).get_json()
    assert DEMO in [v["number"] for v in expired["results"]]
    login(None)
    assert client.get(f"/c/gpsr/vehicles/{vehicle.id}").status_code == 404  # the public sees active ones only
    join = client.post(f"/api/v1/vehicles/{vehicle.id}/participations", json={},
                       headers=api_token("approver@scottsdale.example"))
    assert join.status_code == 409 and "this one is expired" in join.get_json()["error"]["message"]


def test_termination_needs_a_reason_and_declines_pending_requests(app, client, login):
    with app.test_request_context():
        vehicle = make_vehicle("active")
        participation_id = make_participation(vehicle, approver="approver@tempe.example").id
        vehicle_id = vehicle.id
        db.session.commit()
    login("admin@gpsr.example")
    client.post(f"/c/gpsr/vehicles/{vehicle_id}/terminate", data={"reason": "  "})
    assert fetch(select(Vehicle.status).where(Vehicle.id == vehicle_id)) == "active"
    client.post(f"/c/gpsr/vehicles/{vehicle_id}/terminate", data={"reason": "The vendor lost its licence."})
    assert fetch(select(Vehicle.status).where(Vehicle.id == vehicle_id)) == "terminated"
    declined = fetch(select(Participation).where(Participation.id == participation_id))
    assert declined.status == "declined" and "The vendor lost its licence." in declined.decision_reason
    event = fetch(select(AuditEvent).where(AuditEvent.action == "vehicle.terminated",
                                           AuditEvent.object_id == vehicle_id))
    assert event.reason == "The vendor lost its licence."
    login("buyer@mesa.example")
    assert "The vendor lost its licence." in _text(client.get(f"/c/gpsr/vehicles/{vehicle_id}"))
    login(None)
    assert client.get(f"/c/gpsr/vehicles/{vehicle_id}").status_code == 404


# --- who sees what --------------------------------------------------------------------------------


def test_drafts_are_for_the_office_only_and_strangers_get_404(app, client, login, api_token):
    draft = _vehicle("GPSR-2026-002")
    active = _vehicle(DEMO)
    for email in (None, "buyer@mesa.example", "vendor@parksense.example", "buyer@boulder.example",
                  "admin@frca.example"):
        login(email)
        assert client.get(f"/c/gpsr/vehicles/{draft.id}").status_code == 404, email
        assert "GPSR-2026-002" not in client.get("/c/gpsr/vehicles").get_data(as_text=True), email
    for email in ("buyer@boulder.example", "admin@frca.example"):
        login(email)
        assert client.get(f"/c/gpsr/vehicles/{active.id}").status_code == 200  # active vehicles are public
        assert client.get(f"/c/frca/vehicles/{active.id}").status_code == 404  # but not in another tenant
        assert client.get(f"/c/gpsr/vehicles/{active.id}/join").status_code == 404
        headers = api_token(email)
        assert client.get(f"/api/v1/vehicles/{active.id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/vehicles/{draft.id}?consortium=gpsr", headers=headers).status_code == 404
    login("buyer@boulder.example")
    own = client.get("/c/frca/vehicles").get_data(as_text=True)
    assert "FRCA-2026-001" in own and DEMO not in own
    login("admin@gpsr.example")
    assert client.get(f"/c/gpsr/vehicles/{draft.id}").status_code == 200


def test_ceiling_and_commitments_are_for_the_office_and_participants(client, login, api_token):
    vehicle = _vehicle(DEMO)
    for email, sees in (("admin@gpsr.example", True), ("buyer@tempe.example", True), ("buyer@mesa.example", True),
                        ("approver@scottsdale.example", False), ("vendor@brightstreet.example", False), (None, False)):
        login(email)
        page = client.get(f"/c/gpsr/vehicles/{vehicle.id}").get_data(as_text=True)
        assert ('data-testid="ceiling"' in page) is sees, email
        assert ("$2,000,000.00" in page) is sees, email
        assert "Tempe" in page and "Mesa" in page  # participating members are public
        if email:
            body = client.get(f"/api/v1/vehicles/{vehicle.id}?consortium=gpsr", headers=api_token(email)).get_json()
            # the demo orders have committed part of the ceiling; what remains is the difference
            expected = f"{vehicle.ceiling - vehicle.committed:.2f}"
            assert (body["remaining"] == expected) is sees and (body["ceiling"] == "2000000.00") is sees, email


def test_vehicle_json_carries_the_schedule_against_list_prices(client):
    vehicle = _vehicle(DEMO)
    body = client.get(f"/api/v1/vehicles/{vehicle.id}?consortium=gpsr").get_json()
    assert body["status"] == "active" and body["lead_agency"]["name"] == "Mesa"
    line = next(x for x in body["price_schedule"] if x["name"] == "LED luminaire with node")
    assert line == {**line, "list_price": "450.00", "contract_price": "405.00", "discount": "45.00",
                    "discount_pct": "10.00", "unit": "each"}
    assert [p["member"]["name"] for p in body["participants"]] == ["Mesa", "Tempe"]
    assert body["committed"] is None and body["remaining"] is None and "viewer" not in body
    listing = client.get("/api/v1/vehicles?consortium=gpsr").get_json()
    # the public: active vehicles only (and Tempe's Wi-Fi concession vehicle and the multi-award parking one)
    assert sorted(v["number"] for v in listing["results"]) == ["GPSR-2025-007", DEMO, "GPSR-2026-004"]


def test_listing_page_shows_covering_vehicles_and_the_viewers_standing(client, login):
    led = _listing("Adaptive LED street lighting")
    login("approver@scottsdale.example")
    page = _text(client.get(f"/c/gpsr/listings/{led.id}"))
    assert "Buy it under a contract vehicle" in page and DEMO in page and "$405.00" in page
    assert "Your city does not participate yet." in page and f"Request to join {DEMO}" in page
    login("buyer@scottsdale.example")
    assert "Your approver (champion) can request to join." in _text(client.get(f"/c/gpsr/listings/{led.id}"))
    login("buyer@tempe.example")
    assert "Your city can buy under this vehicle" in _text(client.get(f"/c/gpsr/listings/{led.id}"))
    login("approver@chandler.example")
    assert "Request to join pending" in _text(client.get(f"/c/gpsr/listings/{led.id}"))
    login(None)
    page = _text(client.get(f"/c/gpsr/listings/{led.id}"))
    assert DEMO in page and "Your city" not in page


def test_members_see_the_vehicles_they_can_buy_under(client, login):
    login("buyer@tempe.example")
    home = client.get("/c/gpsr/").get_data(as_text=True)
    assert "Vehicles you can buy under" in home and DEMO in home
    login("approver@mesa.example")
    assert "your city is the lead agency" in client.get("/c/gpsr/").get_data(as_text=True)
    login("buyer@scottsdale.example")
    home = client.get("/c/gpsr/").get_data(as_text=True)
    assert "Vehicles you can buy under" in home and DEMO not in home
    page = client.get("/c/gpsr/vehicles").get_data(as_text=True)
    assert DEMO in page and 'data-testid="can-buy"' not in page
    login("buyer@tempe.example")
    assert 'data-testid="can-buy"' in client.get("/c/gpsr/vehicles").get_data(as_text=True)
    login("admin@gpsr.example")
    home = client.get("/c/gpsr/").get_data(as_text=True)
    waiting = home[home.index("Waiting for you"):]
    assert "Countersign or decline the request to join" in waiting and "Chandler — to join GPSR-2026-001" in waiting
    assert "Participation requests" in home


def test_vehicle_pages_have_no_inline_script_or_style(client, login):
    vehicle = _vehicle(DEMO)
    login("admin@gpsr.example")
    chandler = fetch(select(Participation.id).where(Participation.member_id == org("Chandler").id))
    urls = ["/c/gpsr/vehicles", f"/c/gpsr/vehicles/{vehicle.id}", "/c/gpsr/vehicles/new",
            f"/c/gpsr/vehicles/{_vehicle('GPSR-2026-002').id}/edit", "/c/gpsr/participations",
            f"/c/gpsr/participations/{chandler}"]
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, url
        assert "style=" not in html and "<style" not in html and " onclick=" not in html, url
    login("approver@scottsdale.example")
    html = client.get(f"/c/gpsr/vehicles/{vehicle.id}/join").get_data(as_text=True)
    assert "style=" not in html and "<style" not in html


def test_openapi_documents_the_vehicle_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in [("/api/v1/vehicles", "get"), ("/api/v1/vehicles", "post"),
                         ("/api/v1/vehicles/{vehicle_id}", "get"), ("/api/v1/vehicles/{vehicle_id}", "patch"),
                         ("/api/v1/vehicles/{vehicle_id}/activate", "post"),
                         ("/api/v1/vehicles/{vehicle_id}/renew", "post"),
                         ("/api/v1/vehicles/{vehicle_id}/terminate", "post"),
                         ("/api/v1/vehicles/{vehicle_id}/participations", "post"),
                         ("/api/v1/participations/{participation_id}", "get"),
                         ("/api/v1/participations/{participation_id}/approve", "post"),
                         ("/api/v1/participations/{participation_id}/decline", "post"),
                         ("/api/v1/participations/{participation_id}/addendum.pdf", "get")]:
        assert method in paths[path], (path, method)
    body = paths["/api/v1/vehicles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"price_schedule", "renewal_options", "listing_ids", "ceiling"} <= set(body["properties"])
    pdf = paths["/api/v1/participations/{participation_id}/addendum.pdf"]["get"]["responses"]["200"]["content"]
    assert "application/pdf" in pdf


def test_vehicle_pages_issue_a_bounded_number_of_queries(app, client, login, count_queries):
    def queries(vehicle_id):
        client.get(f"/c/gpsr/vehicles/{vehicle_id}")
        with count_queries() as page:
            assert client.get(f"/c/gpsr/vehicles/{vehicle_id}").status_code == 200
        with count_queries() as listing:
            assert client.get("/c/gpsr/vehicles").status_code == 200
        return page.count, listing.count

    with app.test_request_context():
        small = make_vehicle("active")
        make_participation(small, "executed", approver="approver@mesa.example")
        small_id = small.id
        db.session.commit()
    login("admin@gpsr.example")
    small_page, small_list = queries(small_id)
    with app.test_request_context():
        listings = [make_listing("published", vendor_email="vendor@brightstreet.example", title=f"Kit {i}")
                    for i in range(8)]
        large = make_vehicle("active", listings=listings)
        for approver in ("approver@mesa.example", "approver@tempe.example", "approver@scottsdale.example"):
            make_participation(large, "executed", approver=approver)
        for _ in range(10):
            make_vehicle("active")
        large_id = large.id
        db.session.commit()
    large_page, large_list = queries(large_id)
    assert large_page <= small_page <= 16  # 16: the documents section reads its list in one query
    assert large_list <= small_list <= 12


# --- lost races: the loser gets 409 with what happened, who did it and when ---------------------------

ACTIVATED = (r"This vehicle was activated at \d{1,2}:\d\d [AP]M MST( on \d{1,2} [A-Z][a-z]{2} \d{4})? "
             r"by GPSR Program Office, "
             r"so it cannot be activated now\.")


def test_a_second_activation_answers_409_with_who_activated_it_in_the_api_and_the_page(app, client, login,
                                                                                     api_token):
    with app.test_request_context():
        api_id, page_id = make_vehicle("draft").id, make_vehicle("draft").id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    assert client.post(f"/api/v1/vehicles/{api_id}/activate", headers=admin).status_code == 200
    lost = client.post(f"/api/v1/vehicles/{api_id}/activate", headers=admin)
    assert lost.status_code == 409
    assert re.fullmatch(ACTIVATED, lost.get_json()["error"]["message"])

    login("admin@gpsr.example")
    assert client.post(f"/c/gpsr/vehicles/{page_id}/activate").status_code == 302
    lost = client.post(f"/c/gpsr/vehicles/{page_id}/activate")
    assert lost.status_code == 409  # the vehicle's own page, with the sentence
    assert re.search(ACTIVATED, _text(lost)) and "Terminate this vehicle" in _text(lost)
    activations = fetch(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "vehicle.activated", AuditEvent.object_id.in_([api_id, page_id])))
    assert activations == 2  # the losers wrote nothing


def test_activating_a_stale_copy_rereads_the_row_and_loses(app, client, api_token):
    with app.test_request_context():
        vehicle_id = make_vehicle("draft").id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    with app.test_request_context():
        stale = db.session.get(Vehicle, vehicle_id)
        db.session.expunge(stale)  # read before the colleague's request below
        assert client.post(f"/api/v1/vehicles/{vehicle_id}/activate", headers=admin).status_code == 200
        stale = db.session.merge(stale, load=False)
        assert stale.status == "draft"  # what this request saw
        with pytest.raises(Conflict) as lost:
            vehicles.activate_vehicle(stale, actor=db.session.merge(user("admin@gpsr.example")))
        assert re.fullmatch(ACTIVATED, lost.value.message)
        db.session.rollback()


def test_terminating_declines_pending_requests_through_their_lifecycle(app, client, api_token):
    with app.test_request_context():
        vehicle = make_vehicle("active")
        participation_id = make_participation(vehicle, approver="approver@tempe.example").id
        vehicle_id = vehicle.id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    assert client.post(f"/api/v1/vehicles/{vehicle_id}/terminate", json={"reason": "Vendor insolvent."},
                       headers=admin).status_code == 200
    lost = client.post(f"/api/v1/participations/{participation_id}/approve", headers=admin)
    assert lost.status_code == 409 and "This request to join was declined at" in lost.get_json()["error"]["message"]
    event = fetch(select(AuditEvent).where(AuditEvent.action == "participation.declined",
                                           AuditEvent.object_id == participation_id))
    assert event.reason == "The vehicle was terminated: Vendor insolvent."
    assert event.before == {"status": "requested"} and event.after["status"] == "declined"
    again = client.post(f"/api/v1/vehicles/{vehicle_id}/terminate", json={"reason": "Twice."}, headers=admin)
    assert again.status_code == 409 and "This vehicle was terminated at" in again.get_json()["error"]["message"]


def test_a_renewal_is_audited_with_the_end_dates(app, client, api_token):
    with app.test_request_context():
        vehicle_id = make_vehicle("active", renewal_options={"count": 1, "months": 6}).id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    assert client.post(f"/api/v1/vehicles/{vehicle_id}/renew", headers=admin).get_json()["end_date"] == "2029-06-30"
    event = fetch(select(AuditEvent).where(AuditEvent.action == "vehicle.renewed", AuditEvent.object_id == vehicle_id))
    assert event.after == {"status": "active", "end_date": "2029-06-30", "renewals_exercised": 1}
    assert event.reason == "Renewal option 1 of 1: the end date moves from 31 Dec 2028 to 30 Jun 2029."
