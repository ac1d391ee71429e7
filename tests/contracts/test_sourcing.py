"""RFIs through the JSON API: the journey from a need to a pilot (round → selected → RFI → two members' interest →
two responses → converted), late responses refused, a vendor seeing only its own response (API, pages,
notifications), other tenants 404, bad input refused with messages, conversion into a vehicle, cancelling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from catalog.listings.models import Listing
from catalog.pilots.models import Pilot
from consortium.models import User
from contracts.sourcing import models as sourcing_models
from contracts.sourcing.models import RfiResponse
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import org
from tests.consortium.planning_helpers import (
    METRICS,
    example_i_round,
    make_need,
    response_body,
    rfi_body,
    tokens,
)


@pytest.fixture
def people(api_token):
    return tokens(api_token)


def listing_of(app, email: str, category: str) -> int:
    with app.app_context():
        vendor = db.session.scalar(select(User).where(User.email == email))
        return db.session.scalar(select(Listing.id).where(Listing.vendor_id == vendor.organization_id,
                                                          Listing.category == category,
                                                          Listing.status == "published").limit(1))


def open_rfi(client, people, **kwargs) -> dict:
    created = client.post("/api/v1/rfis", json=rfi_body(**kwargs), headers=people["mesa_approver"])
    assert created.status_code == 201, created.get_json()
    published = client.post(f"/api/v1/rfis/{created.get_json()['id']}/publish", headers=people["mesa_approver"])
    assert published.status_code == 200, published.get_json()
    return published.get_json()


def notes_of(app, email: str, rfi_id: int) -> list[Notification]:
    with app.app_context():
        person = db.session.scalar(select(User).where(User.email == email))
        return list(db.session.scalars(select(Notification).where(Notification.recipient_id == person.id,
                                                                  Notification.object_type == "rfi",
                                                                  Notification.object_id == rfi_id)
                                          .order_by(Notification.id)))


def test_from_a_need_to_a_pilot(app, client, people):
    round_, needs = example_i_round(client, people)
    need = needs["A"]
    assert next(r for r in round_["ranking"] if r["need_id"] == need["id"])["selected"] is True
    rfi = open_rfi(client, people, need_ids=[need["id"]])
    url = f"/api/v1/rfis/{rfi['id']}"
    assert rfi["status"] == "open" and rfi["need_ids"] == [need["id"]]
    assert client.get(f"/api/v1/needs/{need['id']}", headers=people["mesa_buyer"]).get_json()["status"] == "sourcing"
    assert [n.subject for n in notes_of(app, "vendor@parksense.example", rfi["id"])] == [
        "New RFI in Parking: Curb sensors RFI"]  # ParkSense lists parking; FlowMobility does not
    assert notes_of(app, "vendor@flowmobility.example", rfi["id"]) == []

    tempe = client.post(url + "/interest", json={"indicative_quantity": 100, "indicative_budget": "50000.00"},
                        headers=people["tempe_buyer"])
    assert tempe.status_code == 201 and tempe.get_json()["replaced"] is False
    chandler = client.post(url + "/interest", json={"indicative_quantity": 40, "indicative_budget": "20000.00",
                                                    "note": "Next year"}, headers=people["chandler_approver"])
    assert chandler.status_code == 201
    update = client.post(url + "/interest", json={"indicative_quantity": 120, "indicative_budget": "60000.00"},
                         headers=people["tempe_approver"])
    assert update.get_json()["replaced"] is True
    assert client.post(url + "/interest", json={"indicative_quantity": 1, "indicative_budget": "1.00"},
                       headers=people["mesa_buyer"]).status_code == 403  # the issuer's own demand is the RFI
    pooled = client.get(url, headers=people["vendor"]).get_json()["pooled"]
    assert pooled == {"members": 2, "quantity": 160, "budget": "80000.00"}

    parking = listing_of(app, "vendor@parksense.example", "parking")
    first = client.post(url + "/responses", json=response_body(price="95000.00", listing_id=parking),
                        headers=people["vendor"])
    assert first.status_code == 201 and first.get_json()["replaced"] is False
    replaced = client.post(url + "/responses", json=response_body(price="90000.00", listing_id=parking),
                           headers=people["vendor"])
    assert replaced.get_json()["replaced"] is True and replaced.get_json()["id"] == first.get_json()["id"]
    flow = client.post(url + "/responses", json=response_body(price="70000.00", accept=("roles",),
                                                               comment="Shorter term"), headers=people["flow"])
    assert flow.status_code == 201

    # a vendor sees only its own response; other members none; the issuer and the office all
    seen = {who: [r["vendor"] for r in client.get(url, headers=people[who]).get_json()["responses"]]
            for who in ("vendor", "flow", "tempe_buyer", "mesa_buyer", "admin")}
    assert seen == {"vendor": ["ParkSense"], "flow": ["FlowMobility"], "tempe_buyer": [],
                    "mesa_buyer": ["ParkSense", "FlowMobility"], "admin": ["ParkSense", "FlowMobility"]}
    assert "response_count" not in client.get(url, headers=people["flow"]).get_json()
    assert [n.subject for n in notes_of(app, "approver@mesa.example", rfi["id"])] == [
        "ParkSense responded to " + rfi["reference"], "ParkSense replaced its response to " + rfi["reference"],
        "FlowMobility responded to " + rfi["reference"]]
    for email in ("vendor@parksense.example", "vendor@flowmobility.example", "buyer@tempe.example"):
        assert not [n for n in notes_of(app, email, rfi["id"]) if "respon" in n.subject], email

    early = client.post(url + "/convert", json={"response_id": flow.get_json()["id"], "into": "pilot",
                                                "pilot": {"metrics": METRICS}}, headers=people["mesa_approver"])
    assert early.status_code == 409
    assert client.post(url + "/close", headers=people["mesa_approver"]).get_json()["status"] == "closed"
    no_metrics = client.post(url + "/convert", json={"response_id": flow.get_json()["id"], "into": "pilot",
                                                     "pilot": {}}, headers=people["mesa_approver"])
    assert no_metrics.status_code == 400 and "pilot.metrics" in no_metrics.get_json()["error"]["fields"]
    converted = client.post(url + "/convert", json={"response_id": flow.get_json()["id"], "into": "pilot",
                                                    "pilot": {"metrics": METRICS, "units": "40 sensors"}},
                            headers=people["mesa_approver"])
    assert converted.status_code == 200, converted.get_json()
    body = converted.get_json()
    assert body["status"] == "converted" and body["conversion"]["into"] == "pilot"
    assert [p["member"] for p in body["conversion"]["expected_participants"]] == ["Tempe", "Chandler"]
    with app.app_context():
        pilot = db.session.get(Pilot, body["conversion"]["pilot_id"])
        assert (pilot.status, pilot.host_member.name, pilot.vendor_name, pilot.category, pilot.cost) == (
            "recorded", "Mesa", "FlowMobility", "parking", pytest.approx(70000))
    need_now = client.get(f"/api/v1/needs/{need['id']}", headers=people["mesa_buyer"]).get_json()
    assert need_now["status"] == "piloting"
    assert [o["kind"] for o in need_now["outcomes"]] == ["rfi", "pilot"]
    roadmap = client.get("/api/v1/roadmap", headers=people["mesa_buyer"]).get_json()
    listed = [n for y in roadmap["years"] for n in y["needs"] if n["id"] == need["id"]][0]
    assert [o["kind"] for o in listed["outcomes"]] == ["rfi", "pilot"]
    again = client.post(url + "/convert", json={"response_id": flow.get_json()["id"], "into": "pilot",
                                                "pilot": {"metrics": METRICS}}, headers=people["mesa_approver"])
    assert again.status_code == 409


def test_a_late_response_is_refused_and_nothing_is_saved(app, client, people, monkeypatch):
    due = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    rfi = open_rfi(client, people, due=due)
    url = f"/api/v1/rfis/{rfi['id']}/responses"
    later = datetime.now(UTC) + timedelta(days=4)
    monkeypatch.setattr(sourcing_models, "now", lambda: later)
    refused = client.post(url, json=response_body(), headers=people["vendor"])
    assert refused.status_code == 409
    assert f"Responses to {rfi['reference']} were due by" in refused.get_json()["error"]["message"]
    assert "a late response is refused" in refused.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(RfiResponse.id)).where(RfiResponse.rfi_id == rfi["id"])) == 0
    monkeypatch.undo()
    assert client.post(f"/api/v1/rfis/{rfi['id']}/close", headers=people["mesa_approver"]).status_code == 200
    closed = client.post(url, json=response_body(), headers=people["vendor"])
    assert closed.status_code == 409 and "takes no more responses" in closed.get_json()["error"]["message"]


def test_bad_rfis_and_responses_are_refused_with_messages(app, client, people):
    past = client.post("/api/v1/rfis", json=rfi_body(due="2020-01-01"), headers=people["mesa_approver"])
    assert past.get_json()["error"]["fields"]["responses_due"] == "Responses must be due in the future."
    missing = rfi_body()
    del missing["mou_outline"]["term"]
    assert client.post("/api/v1/rfis", json=missing, headers=people["mesa_approver"]).get_json()["error"]["fields"] == {
        "mou_outline.term": "This field is required."}
    tempe_need = make_need(client, people["tempe_buyer"])
    foreign = client.post("/api/v1/rfis", json=rfi_body(need_ids=[tempe_need["id"]]), headers=people["mesa_approver"])
    assert foreign.get_json()["error"]["fields"]["need_ids.0"] == "No selected need of Mesa with this id."
    assert client.post("/api/v1/rfis", json=rfi_body(), headers=people["mesa_buyer"]).status_code == 403
    assert client.post("/api/v1/rfis", json=rfi_body(), headers=people["vendor"]).status_code == 403
    rfi = open_rfi(client, people)
    url = f"/api/v1/rfis/{rfi['id']}/responses"
    comment = response_body()
    comment["mou"]["roles"] = {"position": "comment"}
    refused = client.post(url, json=comment, headers=people["vendor"])
    assert refused.get_json()["error"]["fields"] == {"mou.roles.comment": "Say what you would change about this point."}
    other = listing_of(app, "vendor@flowmobility.example", "mobility")
    assert client.post(url, json=response_body(listing_id=other), headers=people["vendor"]).get_json()["error"][
        "fields"] == {"listing_id": "Not one of your published listings here."}
    bad_interest = client.post(f"/api/v1/rfis/{rfi['id']}/interest",
                               json={"indicative_quantity": -1, "indicative_budget": "x"},
                               headers=people["tempe_buyer"])
    assert set(bad_interest.get_json()["error"]["fields"]) == {"indicative_quantity", "indicative_budget"}
    with app.app_context():
        assert db.session.scalar(select(func.count(RfiResponse.id)).where(RfiResponse.rfi_id == rfi["id"])) == 0


def test_strangers_get_404_and_drafts_stay_with_the_issuer(client, people):
    created = client.post("/api/v1/rfis", json=rfi_body(), headers=people["mesa_approver"]).get_json()
    url = f"/api/v1/rfis/{created['id']}"
    assert client.get(url, headers=people["mesa_buyer"]).status_code == 200
    assert client.get(url, headers=people["admin"]).status_code == 200
    for who in ("tempe_buyer", "vendor", "stranger"):
        assert client.get(url, headers=people[who]).status_code == 404, who
    assert client.post(url + "/publish", headers=people["mesa_buyer"]).status_code == 403
    client.post(url + "/publish", headers=people["mesa_approver"])
    assert client.get(url, headers=people["vendor"]).status_code == 200
    assert client.get(url, headers=people["stranger"]).status_code == 404
    assert client.post(url + "/responses", json=response_body(), headers=people["stranger"]).status_code == 404


def test_the_office_converts_into_a_draft_vehicle_led_by_the_issuer(app, client, people):
    rfi = open_rfi(client, people)
    url = f"/api/v1/rfis/{rfi['id']}"
    client.post(url + "/interest", json={"indicative_quantity": 10, "indicative_budget": "30000.00"},
                headers=people["tempe_buyer"])
    parking = listing_of(app, "vendor@parksense.example", "parking")
    response = client.post(url + "/responses", json=response_body(listing_id=parking, price="25000.00"),
                           headers=people["vendor"]).get_json()
    client.post(url + "/close", headers=people["mesa_approver"])
    body = {"response_id": response["id"], "into": "vehicle"}
    assert client.post(url + "/convert", json=body, headers=people["mesa_approver"]).status_code == 403
    assert client.post(url + "/convert", json={**body, "into": "pilot", "pilot": {"metrics": METRICS}},
                       headers=people["admin"]).status_code == 403
    converted = client.post(url + "/convert", json=body, headers=people["admin"])
    assert converted.status_code == 200, converted.get_json()
    with app.app_context():
        vehicle = db.session.get(Vehicle, converted.get_json()["conversion"]["vehicle_id"])
        assert (vehicle.status, vehicle.number, vehicle.lead_agency.name) == ("draft", rfi["reference"], "Mesa")
        assert str(vehicle.ceiling) == "30000.00"  # the pooled budget (more than the indicative price)
        assert "Expected participants: Tempe (10 units, $30,000.00)" in vehicle.notes


def test_cancelling_gives_the_needs_back(client, people):
    _, needs = example_i_round(client, people)
    rfi = open_rfi(client, people, need_ids=[needs["C"]["id"]])
    need_url = f"/api/v1/needs/{needs['C']['id']}"
    assert client.get(need_url, headers=people["mesa_buyer"]).get_json()["status"] == "sourcing"
    cancelled = client.post(f"/api/v1/rfis/{rfi['id']}/cancel", json={"reason": "Merged into a regional RFI"},
                            headers=people["mesa_approver"])
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.get(need_url, headers=people["mesa_buyer"]).get_json()["status"] == "selected"
    assert client.post(f"/api/v1/rfis/{rfi['id']}/cancel", json={},
                       headers=people["mesa_approver"]).status_code == 409


def test_the_work_queue_offers_each_side_its_turn(client, people, monkeypatch):
    def kinds(who, object_type, object_id):
        items = client.get("/api/v1/queue", headers=people[who]).get_json()["items"]
        return [i["kind"] for i in items if i["object_type"] == object_type and i["object_id"] == object_id]

    round_, _ = example_i_round(client, people, close=False)
    assert kinds("mesa_approver", "priority_round", round_["id"]) == ["rate_round"]
    assert kinds("mesa_buyer", "priority_round", round_["id"]) == []
    rfi = open_rfi(client, people)
    assert kinds("vendor", "rfi", rfi["id"]) == ["respond_rfi"]  # ParkSense lists parking
    assert kinds("flow", "rfi", rfi["id"]) == []
    client.post(f"/api/v1/rfis/{rfi['id']}/responses", json=response_body(), headers=people["vendor"])
    assert kinds("vendor", "rfi", rfi["id"]) == []
    assert kinds("mesa_approver", "rfi", rfi["id"]) == []
    monkeypatch.setattr(sourcing_models, "now", lambda: datetime.now(UTC) + timedelta(days=40))
    assert kinds("mesa_approver", "rfi", rfi["id"]) == ["close_rfi"]
    monkeypatch.undo()
    client.post(f"/api/v1/rfis/{rfi['id']}/close", headers=people["mesa_approver"])
    assert kinds("mesa_approver", "rfi", rfi["id"]) == ["convert_rfi"]
    assert kinds("mesa_buyer", "rfi", rfi["id"]) == []


def test_an_office_rfi_becomes_a_vehicle_led_by_the_member_it_names(app, client, people):
    created = client.post("/api/v1/rfis", json=rfi_body(title="Regional curb data"), headers=people["admin"])
    url = f"/api/v1/rfis/{created.get_json()['id']}"
    client.post(url + "/publish", headers=people["admin"])
    assert client.post(url + "/interest", json={"indicative_quantity": 3, "indicative_budget": "1000.00"},
                       headers=people["mesa_buyer"]).status_code == 201  # every member may: the office issued it
    response = client.post(url + "/responses", json=response_body(), headers=people["vendor"]).get_json()
    client.post(url + "/close", headers=people["admin"])
    pilot = client.post(url + "/convert", json={"response_id": response["id"], "into": "pilot",
                                                "pilot": {"metrics": METRICS}}, headers=people["admin"])
    assert pilot.status_code == 409 and "hosted by a member city" in pilot.get_json()["error"]["message"]
    no_lead = client.post(url + "/convert", json={"response_id": response["id"], "into": "vehicle"},
                          headers=people["admin"])
    assert no_lead.get_json()["error"]["fields"] == {"lead_agency_id": "Name the member city that leads the vehicle."}
    tempe = org("Tempe").id
    done = client.post(url + "/convert", json={"response_id": response["id"], "into": "vehicle",
                                               "lead_agency_id": tempe}, headers=people["admin"])
    assert done.status_code == 200, done.get_json()
    with app.app_context():
        vehicle = db.session.get(Vehicle, done.get_json()["conversion"]["vehicle_id"])
        assert vehicle.lead_agency.name == "Tempe" and "Expected participants: Mesa" in vehicle.notes
