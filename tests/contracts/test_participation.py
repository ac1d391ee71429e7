"""Participating addenda: members ask to join, the office decides, the addendum PDF carries the terms."""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from catalog.listings.models import Listing
from contracts.vehicles import models as vehicle_models
from contracts.vehicles import queries
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Participation, Vehicle
from marketplace import pdf as pdf_kernel
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.templating import when
from tests.conftest import consortium, fetch, org, user
from tests.contracts.factories import COUNTERSIGN, SIGN, make_participation, make_vehicle

DEMO = "GPSR-2026-001"


def _vehicle(number: str) -> Vehicle:
    return fetch(select(Vehicle).where(Vehicle.number == number))


def _led() -> Listing:
    return fetch(select(Listing).where(Listing.title == "Adaptive LED street lighting",
                                       Listing.consortium_id == consortium("gpsr").id))


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_done_means_journey_through_the_pages(client, login):
    led = _led()
    # An admin creates and activates a vehicle.
    login("admin@gpsr.example")
    form = {"number": "GPSR-2026-020", "title": "Smart street lighting, phase 2", "lead_agency_id": org("Mesa").id,
            "vendor_id": org("BrightStreet Lighting").id, "listing_ids": [str(led.id)], "start_date": "2026-02-01",
            "end_date": "2029-01-31", "renewal_count": "1", "renewal_months": "24", "ceiling": "900000.00",
            "admin_fee_pct": "1.25", "notes": ""}
    assert client.post("/c/gpsr/vehicles/new", data=form).status_code == 302
    vehicle_id = _vehicle("GPSR-2026-020").id
    edit = client.get(f"/c/gpsr/vehicles/{vehicle_id}/edit").get_data(as_text=True)
    rows = re.findall(r'for="(contract_price-\d+)">Contract price for ([^<]+)<', edit)
    items = {name: key for key, name in rows}
    prices = {items["LED luminaire with node"]: "410.00", items["Lighting as a service"]: "8.75"}
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/edit", data={**form, **prices}).status_code == 302
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/activate").status_code == 302
    assert fetch(select(Vehicle.status).where(Vehicle.id == vehicle_id)) == "active"

    # Tempe's approver requests to join.
    login("approver@tempe.example")
    page = _text(client.get(f"/c/gpsr/vehicles/{vehicle_id}"))
    assert "Tempe does not participate in this vehicle yet" in page and "Request to join" in page
    assert client.get(f"/c/gpsr/vehicles/{vehicle_id}/join").status_code == 200
    response = client.post(f"/c/gpsr/vehicles/{vehicle_id}/join",
                           data={"member_not_to_exceed": "300,000.00", "special_terms": "Net 45 payment terms."})
    assert response.status_code == 302
    participation = fetch(select(Participation).where(Participation.vehicle_id == vehicle_id))
    assert participation.status == "requested" and participation.member_not_to_exceed == 300000
    assert client.get(f"/c/gpsr/participations/{participation.id}/addendum.pdf").status_code == 409

    # Tempe's approver signs, then the admin countersigns.
    assert client.post(f"/c/gpsr/participations/{participation.id}/sign", data=SIGN).status_code == 302
    login("admin@gpsr.example")
    queue = _text(client.get("/c/gpsr/participations"))
    assert "Tempe" in queue and "GPSR-2026-020" in queue and "$300,000.00" in queue
    assert client.post(f"/c/gpsr/participations/{participation.id}/approve", data=COUNTERSIGN).status_code == 302
    executed = fetch(select(Participation).where(Participation.id == participation.id))
    assert executed.status == "executed" and executed.decided_by_id is not None and executed.decided_at is not None

    # Tempe's approver downloads the addendum, whose text carries the terms.
    login("approver@tempe.example")
    page = _text(client.get(f"/c/gpsr/vehicles/{vehicle_id}"))
    assert "You can buy under this vehicle." in page and "$900,000.00" in page
    response = client.get(f"/c/gpsr/participations/{participation.id}/addendum.pdf")
    assert 'filename="addendum-GPSR-2026-020-Tempe.pdf"' in response.headers["Content-Disposition"]
    text = _pdf_text(response)
    for expected in ("Greater Phoenix Smart Region", "GPSR-2026-020", "Smart street lighting, phase 2", "Mesa",
                     "BrightStreet Lighting", "Tempe", "1 Feb 2026", "31 Jan 2029", "LED luminaire with node",
                     "$410.00", "Lighting as a service", "$8.75", "$300,000.00", "Net 45 payment terms.", "1.25%",
                     "Tempe Champion", "GPSR Program Office", when(executed.decided_at, "America/Phoenix")):
        assert expected in text, expected
    assert "Central management system" not in text  # not on this schedule

    # Scottsdale sees the vehicle, cannot buy under it, and its approver can ask to join.
    login("buyer@scottsdale.example")
    page = _text(client.get(f"/c/gpsr/vehicles/{vehicle_id}"))
    assert "Scottsdale does not participate in this vehicle yet: it cannot order under it" in page
    assert "You can buy under" not in page and "$900,000.00" not in page
    assert client.get(f"/c/gpsr/vehicles/{vehicle_id}/join").status_code == 403
    with client.application.app_context():
        assert not queries.is_buyer_of(org("Scottsdale").id, db.session.get(Vehicle, vehicle_id))
        assert queries.is_buyer_of(org("Tempe").id, db.session.get(Vehicle, vehicle_id))
        assert queries.is_buyer_of(org("Mesa").id, db.session.get(Vehicle, vehicle_id))  # lead agency
    login("approver@scottsdale.example")
    assert 'data-testid="join"' in client.get(f"/c/gpsr/vehicles/{vehicle_id}").get_data(as_text=True)
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/join", data={}).status_code == 302
    assert fetch(select(Participation.status).where(Participation.vehicle_id == vehicle_id,
                                                    Participation.member_id == org("Scottsdale").id)) == "requested"


def test_done_means_journey_through_the_api(app, client, api_token):
    admin, tempe = api_token("admin@gpsr.example"), api_token("approver@tempe.example")
    led = client.get(f"/api/v1/listings/{_led().id}?consortium=gpsr").get_json()
    body = {"number": "GPSR-2026-021", "title": "Street lighting as a service", "lead_agency_id": org("Mesa").id,
            "vendor_id": org("BrightStreet Lighting").id, "listing_ids": [led["id"]],
            "price_schedule": [{"price_item_id": led["price_items"][0]["id"], "contract_price": "400.00"}],
            "start_date": "2026-01-01", "end_date": "2028-12-31", "renewal_options": {"count": 2, "months": 12},
            "ceiling": "2000000.00", "admin_fee_pct": "1.5", "notes": "RFP 2025-114"}
    made = client.post("/api/v1/vehicles", json=body, headers=admin)
    assert made.status_code == 201, made.get_json()
    vehicle = made.get_json()
    assert vehicle["status"] == "draft" and vehicle["ceiling"] == "2000000.00" and vehicle["committed"] == "0.00"
    assert vehicle["price_schedule"][0] == {**vehicle["price_schedule"][0], "list_price": "450.00",
                                            "contract_price": "400.00", "discount_pct": "11.11"}
    assert client.get(f"/api/v1/vehicles/{vehicle['id']}", headers=tempe).status_code == 404  # drafts: office only
    activated = client.post(f"/api/v1/vehicles/{vehicle['id']}/activate", headers=admin).get_json()
    assert activated["status"] == "active"
    assert client.post(f"/api/v1/vehicles/{vehicle['id']}/activate", headers=admin).status_code == 409

    request = client.post(f"/api/v1/vehicles/{vehicle['id']}/participations",
                          json={"member_not_to_exceed": "150000.00", "special_terms": "Invoices to Public Works."},
                          headers=tempe)
    assert request.status_code == 201, request.get_json()
    participation = request.get_json()
    assert participation["status"] == "requested" and participation["addendum_url"] is None
    assert client.get(f"/api/v1/participations/{participation['id']}/addendum.pdf", headers=tempe).status_code == 409
    signed = client.post(f"/api/v1/participations/{participation['id']}/sign", json=SIGN, headers=tempe)
    assert signed.status_code == 200 and signed.get_json()["signing"]["signatures"][0]["name"] == "Tempe Champion"
    approved = client.post(f"/api/v1/participations/{participation['id']}/approve", json=COUNTERSIGN,
                           headers=admin).get_json()
    assert approved["status"] == "executed" and approved["decided_by"]["name"] == "GPSR Program Office"
    seen = client.get(f"/api/v1/vehicles/{vehicle['id']}", headers=tempe).get_json()
    assert seen["viewer"]["can_buy_under"] is True and seen["remaining"] == "2000000.00"
    assert [p["member"]["name"] for p in seen["participants"]] == ["Mesa", "Tempe"]
    text = _pdf_text(client.get(approved["addendum_url"], headers=tempe))
    assert "GPSR-2026-021" in text and "$150,000.00" in text and "Invoices to Public Works." in text

    scottsdale = api_token("approver@scottsdale.example")
    seen = client.get(f"/api/v1/vehicles/{vehicle['id']}", headers=scottsdale).get_json()
    assert seen["viewer"] == {"can_buy_under": False, "participation": None} and seen["remaining"] is None
    assert client.get(f"/api/v1/participations/{participation['id']}", headers=scottsdale).status_code == 404
    joined = client.post(f"/api/v1/vehicles/{vehicle['id']}/participations", json={}, headers=scottsdale)
    assert joined.status_code == 201
    mine = client.get("/api/v1/participations", headers=scottsdale).get_json()["results"]
    assert [p["vehicle"]["number"] for p in mine] == ["GPSR-2026-021"]
    assert {p["member"]["name"] for p in client.get("/api/v1/participations?status=requested",
                                                    headers=admin).get_json()["results"]} >= {"Scottsdale",
                                                                                              "Chandler"}


def test_addendum_pdf_carries_every_term(app, client, login):
    vehicle = _vehicle(DEMO)
    participation = fetch(select(Participation).where(Participation.vehicle_id == vehicle.id,
                                                      Participation.member_id == org("Tempe").id))
    login("buyer@tempe.example")  # any of the member's people may download it
    text = _pdf_text(client.get(f"/c/gpsr/participations/{participation.id}/addendum.pdf"))
    for expected in ("Participating Addendum", "Greater Phoenix Smart Region", "A.R.S. §41-2632", DEMO,
                     "Adaptive LED street lighting as a service", "Lead agency Mesa", "Vendor BrightStreet Lighting",
                     "Participating member Tempe", "Start date 1 Jan 2026", "End date 31 Dec 2028",
                     "2 of 12 months each", "LED luminaire with node", "$450.00", "$405.00",
                     "Central management system", "$2,250.00", "Lighting as a service", "$8.55",
                     "Solar pathway light", "$1,125.00", "Member not-to-exceed $400,000.00",
                     "Tempe's standard certificate of insurance requirements apply", "1.5% of each order",
                     "Signed: Tempe Champion", "Signed: GPSR Program Office", "Title: City Manager",
                     "Authority: Council resolution 2026-14, delegated authority up to $250,000",
                     f"Date: {when(participation.decided_at, 'America/Phoenix')}"):
        assert expected in text, expected


def test_the_addendum_renderer_cannot_read_files_or_the_network(app, client, login, monkeypatch):
    fetched = []
    original = pdf_kernel.LockedFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_kernel.LockedFetcher, "fetch", spy)
    hostile = ('<img src="file:///etc/passwd"> <link rel=stylesheet href="http://example.com/x.css"> '
               '<iframe src="http://169.254.169.254/latest/meta-data/"></iframe>')
    with app.test_request_context():
        participation_id = make_participation(make_vehicle("active"), "executed", special_terms=hostile).id
        db.session.commit()
    login("approver@mesa.example")
    text = _pdf_text(client.get(f"/c/gpsr/participations/{participation_id}/addendum.pdf"))
    assert '<img src="file:///etc/passwd">' in text  # shown as the text typed, not loaded
    assert '<link rel=stylesheet href="http://example.com/x.css">' in text
    assert "root:x:0:0" not in text
    assert fetched == ["http://marketplace.local/static/pdf/addendum.css"]


def test_the_locked_fetcher_refuses_anything_but_static_files(app):
    from pathlib import Path

    fetcher = pdf_kernel.LockedFetcher(Path(app.static_folder))
    assert fetcher.fetch("http://marketplace.local/static/pdf/addendum.css").read().startswith(b"/*")
    for url in ("file:///etc/passwd", "http://example.com/x.css", "http://marketplace.local/static/../pyproject.toml",
                "http://marketplace.local/etc/passwd", "data:text/css,body{}"):
        with pytest.raises(pdf_kernel.FetchRefused):
            fetcher.fetch(url)


def test_the_lead_agency_needs_no_addendum_and_requests_are_not_duplicated(client, api_token):
    vehicle = _vehicle(DEMO)
    mesa = client.post(f"/api/v1/vehicles/{vehicle.id}/participations", json={},
                       headers=api_token("approver@mesa.example"))
    assert mesa.status_code == 409 and "lead agency" in mesa.get_json()["error"]["message"]
    tempe = client.post(f"/api/v1/vehicles/{vehicle.id}/participations", json={},
                        headers=api_token("approver@tempe.example"))
    assert tempe.status_code == 409 and "already participates" in tempe.get_json()["error"]["message"]
    chandler = client.post(f"/api/v1/vehicles/{vehicle.id}/participations", json={},
                           headers=api_token("approver@chandler.example"))
    assert chandler.status_code == 409 and "awaiting the consortium office" in chandler.get_json()["error"]["message"]
    buyer = client.post(f"/api/v1/vehicles/{vehicle.id}/participations", json={},
                        headers=api_token("buyer@scottsdale.example"))
    assert buyer.status_code == 403


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"member_not_to_exceed": "0"}, "member_not_to_exceed", "must be more than zero"),
    ({"member_not_to_exceed": "2000000.01"}, "member_not_to_exceed", "cannot be more than the vehicle's ceiling"),
    ({"member_not_to_exceed": "12.345"}, "member_not_to_exceed", "at most two decimals"),
    ({"special_terms": "x" * 5001}, "special_terms", "at most 5000 characters"),
])
def test_bad_requests_to_join_get_field_messages_and_save_nothing(client, api_token, body, field, message):
    vehicle = _vehicle(DEMO)
    before = fetch(select(func.count()).select_from(Participation))
    response = client.post(f"/api/v1/vehicles/{vehicle.id}/participations", json=body,
                           headers=api_token("approver@scottsdale.example"))
    assert response.status_code == 400
    assert message in response.get_json()["error"]["fields"][field]
    assert fetch(select(func.count()).select_from(Participation)) == before


def test_join_form_shows_errors(client, login):
    vehicle = _vehicle(DEMO)
    login("approver@scottsdale.example")
    response = client.post(f"/c/gpsr/vehicles/{vehicle.id}/join", data={"member_not_to_exceed": "-10"})
    assert response.status_code == 400
    assert "must be more than zero" in response.get_data(as_text=True)


def test_declining_needs_a_reason_the_member_sees_and_they_may_ask_again(app, client, login):
    chandler = fetch(select(Participation).where(Participation.member_id == org("Chandler").id))
    login("admin@gpsr.example")
    response = client.post(f"/c/gpsr/participations/{chandler.id}/decline", data={"reason": ""})
    assert response.status_code == 400  # the confirmation page again, with the message at the reason field
    assert "A reason is required." in response.get_data(as_text=True)
    assert fetch(select(Participation.status).where(Participation.id == chandler.id)) == "requested"
    client.post(f"/c/gpsr/participations/{chandler.id}/decline",
                data={"reason": "Chandler's council has not approved the budget yet."})
    assert fetch(select(Participation.status).where(Participation.id == chandler.id)) == "declined"
    event = fetch(select(AuditEvent).where(AuditEvent.action == "participation.declined",
                                           AuditEvent.object_id == chandler.id))
    assert event.reason == "Chandler's council has not approved the budget yet."
    login("approver@chandler.example")
    page = _text(client.get(f"/c/gpsr/vehicles/{chandler.vehicle_id}")).replace("&#39;", "'")
    assert "Your last request was declined: Chandler's council has not approved the budget yet." in page
    assert client.post(f"/c/gpsr/participations/{chandler.id}/approve").status_code == 403
    assert client.post(f"/c/gpsr/vehicles/{chandler.vehicle_id}/join", data={}).status_code == 302
    assert fetch(select(func.count()).select_from(Participation).where(
        Participation.member_id == org("Chandler").id)) == 2
    login("admin@gpsr.example")
    response = client.post(f"/c/gpsr/participations/{chandler.id}/approve")
    assert response.status_code == 409  # the request's page, saying what happened and who did it
    page = _text(response)
    assert "This request to join was declined at" in page and "by GPSR Program Office, so it cannot be approved" in page


def test_requests_for_a_vehicle_that_expired_meanwhile_cannot_be_approved(client, api_token, monkeypatch):
    chandler = fetch(select(Participation).where(Participation.member_id == org("Chandler").id))
    monkeypatch.setattr(vehicle_models, "today", lambda: date(2029, 3, 1))
    response = client.post(f"/api/v1/participations/{chandler.id}/approve", headers=api_token("admin@gpsr.example"))
    assert response.status_code == 409 and "expired" in response.get_json()["error"]["message"]
    declined = client.post(f"/api/v1/participations/{chandler.id}/decline", json={"reason": "Vehicle expired."},
                           headers=api_token("admin@gpsr.example"))
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"


def test_participation_and_addenda_are_for_the_member_and_the_office(client, login, api_token):
    tempe = fetch(select(Participation).where(Participation.member_id == org("Tempe").id))
    urls = [f"/c/gpsr/participations/{tempe.id}", f"/c/gpsr/participations/{tempe.id}/addendum.pdf"]
    for email, status in (("buyer@tempe.example", 200), ("approver@tempe.example", 200), ("admin@gpsr.example", 200),
                          ("buyer@mesa.example", 404), ("approver@chandler.example", 404),
                          ("vendor@brightstreet.example", 404), ("buyer@boulder.example", 404),
                          ("admin@frca.example", 404)):
        login(email)
        for url in urls:
            assert client.get(url).status_code == status, (email, url)
        headers = api_token(email)
        api = client.get(f"/api/v1/participations/{tempe.id}/addendum.pdf?consortium=gpsr", headers=headers)
        assert api.status_code == status, email
    login(None)
    assert client.get(urls[1]).status_code == 302  # sign in first
    login("admin@frca.example")
    assert client.get(f"/c/frca/participations/{tempe.id}/addendum.pdf").status_code == 404
    assert client.get(f"/api/v1/participations/{tempe.id}/addendum.pdf",
                      headers=api_token("admin@frca.example")).status_code == 404


def test_member_staff_see_their_participation_and_what_they_lead(client, login):
    login("buyer@tempe.example")
    page = _text(client.get("/c/gpsr/participations"))
    assert DEMO in page and "Executed" in page and "Addendum (PDF)" in page and "Chandler" not in page
    login("buyer@mesa.example")
    page = _text(client.get("/c/gpsr/participations"))
    assert "Vehicles Mesa leads" in page and DEMO in page
    login("vendor@brightstreet.example")
    assert client.get("/c/gpsr/participations").status_code == 403


def test_every_decision_is_audited_in_the_same_transaction(app, client, api_token):
    with app.test_request_context():
        vehicle_id = make_vehicle("active").id
        db.session.commit()
    made = client.post(f"/api/v1/vehicles/{vehicle_id}/participations", json={"special_terms": "Net 30"},
                       headers=api_token("approver@mesa.example")).get_json()
    client.post(f"/api/v1/participations/{made['id']}/sign", json=SIGN, headers=api_token("approver@mesa.example"))
    client.post(f"/api/v1/participations/{made['id']}/approve", json={**COUNTERSIGN, "reason": "Budget confirmed."},
                headers=api_token("admin@gpsr.example"))
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.reason).where(
            AuditEvent.object_type == "participation", AuditEvent.object_id == made["id"])).all()
    assert dict(rows) == {"participation.requested": None, "participation.executed": "Budget confirmed.",
                          "participation.signed": f"Signed by Mesa Champion, City Manager. Authority: "
                                                  f"{SIGN['authority']}"}


# --- lost races: the loser gets 409 with what happened, who did it and when ---------------------------

LOST = (r"This request to join was {done} at \d{{1,2}}:\d\d [AP]M MST( on \d{{1,2}} [A-Z][a-z]{{2}} \d{{4}})? "
        r"by GPSR Program Office, "
        r"so it cannot be {step} now\.")


def test_approve_after_a_decline_answers_409_with_who_declined_in_the_api_and_the_page(app, client, login, api_token):
    with app.test_request_context():
        vehicle = make_vehicle("active")
        first, second = (make_participation(vehicle, approver=email).id
                         for email in ("approver@tempe.example", "approver@scottsdale.example"))
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    assert client.post(f"/api/v1/participations/{first}/decline", json={"reason": "Ceiling nearly used."},
                       headers=admin).status_code == 200
    lost = client.post(f"/api/v1/participations/{first}/approve", headers=admin)
    assert lost.status_code == 409
    assert re.fullmatch(LOST.format(done="declined", step="approved"), lost.get_json()["error"]["message"])
    assert fetch(select(Participation.status).where(Participation.id == first)) == "declined"

    login("approver@scottsdale.example")
    assert client.post(f"/c/gpsr/participations/{second}/sign", data=SIGN).status_code == 302
    login("admin@gpsr.example")
    assert client.post(f"/c/gpsr/participations/{second}/approve", data=COUNTERSIGN).status_code == 302
    lost = client.post(f"/c/gpsr/participations/{second}/decline", data={"reason": "Too late."})
    assert lost.status_code == 409  # the request's own page, with the sentence
    assert re.search(LOST.format(done="approved", step="declined"), _text(lost))
    assert "Countersign and execute the addendum" not in _text(lost)  # nothing left to decide
    assert fetch(select(Participation.status).where(Participation.id == second)) == "executed"
    events = fetch(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "participation", AuditEvent.object_id.in_([first, second]),
        AuditEvent.action.in_(["participation.executed", "participation.declined"])))
    assert events == 2  # the losers wrote nothing


def test_a_decision_taken_on_a_stale_copy_rereads_the_row_and_loses(app, client, api_token):
    """The office opened the request before a colleague declined it: approving that stale copy
    re-reads the row under the lock and refuses, instead of executing a declined request."""
    with app.test_request_context():
        participation_id = make_participation(make_vehicle("active"), approver="approver@tempe.example").id
        db.session.commit()
    admin = api_token("admin@gpsr.example")
    with app.test_request_context():
        stale = db.session.get(Participation, participation_id)
        db.session.expunge(stale)  # read before the colleague's request below
        assert client.post(f"/api/v1/participations/{participation_id}/decline", json={"reason": "No budget."},
                           headers=admin).status_code == 200
        stale = db.session.merge(stale, load=False)
        assert stale.status == "requested"  # what this request saw
        office = db.session.merge(user("admin@gpsr.example"))
        with pytest.raises(Conflict) as lost:
            vehicles.approve_participation(stale, actor=office)
        assert re.fullmatch(LOST.format(done="declined", step="approved"), lost.value.message)
        assert stale.status == "declined" and stale.decision_reason == "No budget."  # re-read, unchanged
        db.session.rollback()
