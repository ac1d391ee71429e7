"""Contract terms that hold (issue 12): a listing revision that lowers a list price below a contract price
of an active vehicle is flagged in the admin's diff (page and API); approving it leads the admin to the
amendment of that vehicle's price schedule, which is audited with the old and new prices and refuses a
contract price above the new list price; a listing an active vehicle covers cannot be withdrawn (409
naming the vehicle), while the office can still suspend it; once no active vehicle covers it, it can."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.vehicles.models import ScheduleItem, Vehicle
from marketplace.audit import VEHICLE_PRICE_SCHEDULE_AMENDED, AuditEvent
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.conftest import fetch
from tests.contracts.factories import make_vehicle

ADMIN, VENDOR = "admin@gpsr.example", "vendor@brightstreet.example"
TITLE = "BrightStreet LED retrofit"


@pytest.fixture
def covered(app, _transaction):
    """A BrightStreet listing (LED luminaire 450.00, controller node 120.00) covered by an active vehicle
    at 90 % of list (405.00 and 108.00), ending 31 Dec 2028."""
    with app.test_request_context():
        listing = make_listing("published", vendor_email=VENDOR, title=TITLE)
        vehicle = make_vehicle("active", listings=[listing])
        db.session.commit()
        items = {item.name: item.id for item in listing.active_price_items}
        return {"listing": listing.id, "vehicle": vehicle.id, "number": vehicle.number,
                "luminaire": items["LED luminaire"], "node": items["Controller node"]}


def _prices(c: dict, luminaire: str, node: str = "120.00") -> dict:
    return {"price_items": [
        {"id": c["luminaire"], "name": "LED luminaire", "unit": "each", "list_price": luminaire},
        {"id": c["node"], "name": "Controller node", "unit": "each", "list_price": node},
    ]}


def _revise(client, api_token, c: dict, luminaire: str) -> None:
    response = client.patch(f"/api/v1/listings/{c['listing']}", json=_prices(c, luminaire),
                            headers=api_token(VENDOR))
    assert response.status_code == 200, response.get_json()


def _contract_price(c: dict, item: str) -> Decimal:
    return fetch(select(ScheduleItem.contract_price).where(ScheduleItem.vehicle_id == c["vehicle"],
                                                           ScheduleItem.price_item_id == c[item]))


def _listing_status(c: dict) -> str:
    from catalog.listings.models import Listing

    return fetch(select(Listing.status).where(Listing.id == c["listing"]))


# --- the flagged diff ------------------------------------------------------------------------------


def test_a_revision_below_a_contract_price_is_flagged_on_the_review_page(client, login, api_token, covered):
    _revise(client, api_token, covered, "400.00")
    login(ADMIN)
    page = client.get(f"/c/gpsr/review/{covered['listing']}").get_data(as_text=True)
    assert 'data-testid="price-conflicts"' in page and 'data-testid="below-contract"' in page
    assert f"LED luminaire: the list price $400.00 is below the contract price $405.00 on vehicle {covered['number']}" \
        in page
    assert "Controller node: the list price" not in page  # unchanged, still above its contract price


def test_the_revision_json_lists_the_price_conflicts(client, api_token, covered):
    _revise(client, api_token, covered, "400.00")
    for who in (ADMIN, VENDOR):
        body = client.get(f"/api/v1/listings/{covered['listing']}?consortium=gpsr", headers=api_token(who)).get_json()
        assert body["pending_revision"]["price_conflicts"] == [{
            "price_item_id": covered["luminaire"], "item": "LED luminaire", "new_list_price": "400.00",
            "contract_price": "405.00", "vehicle_id": covered["vehicle"], "vehicle_number": covered["number"]}]
        assert body["price_conflicts"] == []  # the live prices still hold
    public = client.get(f"/api/v1/listings/{covered['listing']}?consortium=gpsr").get_json()
    assert "pending_revision" not in public and "price_conflicts" not in public


def test_a_revision_at_or_above_the_contract_price_is_not_flagged(client, login, api_token, covered):
    _revise(client, api_token, covered, "405.00")
    body = client.get(f"/api/v1/listings/{covered['listing']}?consortium=gpsr", headers=api_token(ADMIN)).get_json()
    assert body["pending_revision"]["price_conflicts"] == []
    login(ADMIN)
    assert 'data-testid="price-conflicts"' not in client.get(f"/c/gpsr/review/{covered['listing']}").get_data(
        as_text=True)


def test_contract_prices_of_a_vehicle_no_longer_active_are_not_flagged(app, client, api_token, covered):
    with app.test_request_context():
        from contracts.vehicles import services as vehicles
        from tests.conftest import user

        vehicle = db.session.get(Vehicle, covered["vehicle"])
        vehicles.terminate_vehicle(vehicle, actor=db.session.merge(user(ADMIN)), reason="Novated.")
        db.session.commit()
    _revise(client, api_token, covered, "300.00")
    body = client.get(f"/api/v1/listings/{covered['listing']}?consortium=gpsr", headers=api_token(ADMIN)).get_json()
    assert body["pending_revision"]["price_conflicts"] == []


# --- approving, then amending the vehicle's price schedule ----------------------------------------


def test_approving_leads_to_the_amendment_which_applies_and_is_audited(client, login, api_token, covered):
    _revise(client, api_token, covered, "400.00")
    login(ADMIN)
    approved = client.post(f"/c/gpsr/listings/{covered['listing']}/approve")
    assert approved.status_code == 302
    amend_url = f"/c/gpsr/vehicles/{covered['vehicle']}/price-schedule"
    assert approved.headers["Location"].endswith(amend_url)
    page = client.get(amend_url).get_data(as_text=True)
    assert f'name="contract_price-{covered["luminaire"]}" value="400.00"' in page  # prefilled: the new list price
    assert f'name="contract_price-{covered["node"]}"' not in page  # only the conflicting line
    review = client.get(f"/c/gpsr/review/{covered['listing']}").get_data(as_text=True)
    assert f'href="{amend_url}"' in review  # the review page links the amendment too

    done = client.post(amend_url, data={f"contract_price-{covered['luminaire']}": "395.00"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/c/gpsr/vehicles/{covered['vehicle']}")
    assert _contract_price(covered, "luminaire") == Decimal("395.00")
    assert _contract_price(covered, "node") == Decimal("108.00")
    event = fetch(select(AuditEvent).where(AuditEvent.action == VEHICLE_PRICE_SCHEDULE_AMENDED,
                                           AuditEvent.object_id == covered["vehicle"]))
    assert event.object_type == "vehicle"
    assert event.before == {"price_schedule": [{"price_item_id": covered["luminaire"], "item": "LED luminaire",
                                                "list_price": "400.00", "contract_price": "405.00"}]}
    assert event.after == {"price_schedule": [{"price_item_id": covered["luminaire"], "item": "LED luminaire",
                                               "list_price": "400.00", "contract_price": "395.00"}]}
    assert "nothing to amend" in client.get(amend_url).get_data(as_text=True)
    body = client.get(f"/api/v1/listings/{covered['listing']}?consortium=gpsr", headers=api_token(ADMIN)).get_json()
    assert body["price_conflicts"] == []


def test_the_api_approves_then_amends(client, api_token, covered):
    _revise(client, api_token, covered, "400.00")
    admin = api_token(ADMIN)
    approved = client.post(f"/api/v1/listings/{covered['listing']}/approve", json={}, headers=admin).get_json()
    assert [c["vehicle_id"] for c in approved["price_conflicts"]] == [covered["vehicle"]]
    response = client.post(f"/api/v1/vehicles/{covered['vehicle']}/price-schedule?consortium=gpsr", headers=admin,
                           json={"items": [{"price_item_id": covered["luminaire"], "contract_price": "400.00"}]})
    assert response.status_code == 200, response.get_json()
    line = next(x for x in response.get_json()["price_schedule"] if x["price_item_id"] == covered["luminaire"])
    assert line["contract_price"] == "400.00" and line["list_price"] == "400.00"


def test_an_amendment_above_the_new_list_price_is_refused_with_a_field_message(client, login, api_token, covered):
    _revise(client, api_token, covered, "400.00")
    admin = api_token(ADMIN)
    assert client.post(f"/api/v1/listings/{covered['listing']}/approve", json={}, headers=admin).status_code == 200
    url = f"/api/v1/vehicles/{covered['vehicle']}/price-schedule?consortium=gpsr"
    response = client.post(url, headers=admin, json={"items": [
        {"price_item_id": covered["luminaire"], "contract_price": "401.00"}]})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "items.0.contract_price": "The contract price of “LED luminaire” can be at most its list price, $400.00."}
    zero = client.post(url, headers=admin, json={"items": [{"price_item_id": covered["node"], "contract_price": "0"}]})
    assert zero.status_code == 400
    assert zero.get_json()["error"]["fields"]["items.0.contract_price"] == "The contract price must be more than zero."
    stranger = client.post(url, headers=admin, json={"items": [{"price_item_id": 999999, "contract_price": "1.00"}]})
    assert stranger.get_json()["error"]["fields"] == {
        "items.0.price_item_id": "Not an item of this vehicle's price schedule."}
    assert client.post(url, headers=api_token(VENDOR), json={"items": [
        {"price_item_id": covered["luminaire"], "contract_price": "300.00"}]}).status_code == 403

    login(ADMIN)
    page = client.post(f"/c/gpsr/vehicles/{covered['vehicle']}/price-schedule",
                       data={f"contract_price-{covered['luminaire']}": "450.00"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "can be at most its list price, $400.00." in text and 'value="450.00"' in text
    assert _contract_price(covered, "luminaire") == Decimal("405.00")  # nothing saved
    assert fetch(select(AuditEvent.id).where(AuditEvent.action == VEHICLE_PRICE_SCHEDULE_AMENDED)) is None


# --- withdrawing a covered listing -----------------------------------------------------------------


def _refusal(number: str) -> str:
    return (f"{TITLE} is covered by vehicle {number} (active until 31 Dec 2028): ask the consortium office to "
            "suspend it, or end the vehicle first.")


def test_a_covered_listing_cannot_be_withdrawn_through_the_api(client, api_token, covered):
    response = client.post(f"/api/v1/listings/{covered['listing']}/withdraw", json={"reason": "Discontinued."},
                           headers=api_token(VENDOR))
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == _refusal(covered["number"])
    assert _listing_status(covered) == "published"


def test_a_covered_listing_cannot_be_withdrawn_from_the_pages(client, login, covered):
    login(VENDOR)
    page = client.get(f"/c/gpsr/listings/{covered['listing']}").get_data(as_text=True)
    assert 'data-testid="withdraw-blocked"' in page and _refusal(covered["number"]) in page
    mine = client.get("/c/gpsr/vendor/listings").get_data(as_text=True)
    assert f"/listings/{covered['listing']}/withdraw" not in mine  # no button that can only fail
    response = client.post(f"/c/gpsr/listings/{covered['listing']}/withdraw", data={"reason": "Discontinued."})
    assert response.status_code == 409
    assert _refusal(covered["number"]) in response.get_data(as_text=True)
    assert _listing_status(covered) == "published"


def test_the_office_can_still_suspend_a_covered_listing(client, login, api_token, covered):
    response = client.post(f"/api/v1/listings/{covered['listing']}/suspend", json={"reason": "Safety recall."},
                           headers=api_token(ADMIN))
    assert response.status_code == 200 and response.get_json()["status"] == "suspended"


@pytest.mark.parametrize("status", ["draft", "expired", "terminated"])
def test_a_listing_no_active_vehicle_covers_can_be_withdrawn(app, client, login, api_token, status):
    with app.test_request_context():
        listing = make_listing("published", vendor_email=VENDOR, title=TITLE)
        make_vehicle(status, listings=[listing])
        db.session.commit()
        listing_id = listing.id
    login(VENDOR)
    page = client.get(f"/c/gpsr/listings/{listing_id}").get_data(as_text=True)
    assert 'data-testid="withdraw-blocked"' not in page
    response = client.post(f"/api/v1/listings/{listing_id}/withdraw", json={"reason": "Discontinued."},
                           headers=api_token(VENDOR))
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
