"""Quotes are sealed (DESIGN sections 3 and 4): before the close the member and the office see only how many
arrived, and a vendor never sees another's — checked in the API, the pages, the list and its CSV, search,
notifications, the audit log and the work queue. Each vendor's prices are distinctive, so finding one in a
response is a leak."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.contracts.rfq_helpers import BUYER, FLOW, PARK, after_closing, quote_body, rfq_body, vehicle

# ParkSense: 3600 × 4.17 + 300 × 61.23 = 33,381.00; FlowMobility: 3600 × 4.59 + 300 × 57.31 = 33,717.00.
PRICES = {PARK: ("4.17", "61.23"), FLOW: ("4.59", "57.31")}
MARKS = {PARK: ("4.17", "61.23", "33381", "33,381"), FLOW: ("4.59", "57.31", "33717", "33,717")}
NOTES = {PARK: "Parksense-note-zebra", FLOW: "Flow-note-quartz"}
TITLE = "Quokkaville zebrafish"
APPROVER, ADMIN, BRIGHT = "approver@tempe.example", "admin@gpsr.example", "vendor@brightstreet.example"


def _leaks(text: str, vendor: str) -> list[str]:
    return [mark for mark in (*MARKS[vendor], NOTES[vendor]) if mark in text]


@pytest.fixture
def sealed(app, client, api_token):
    """An RFQ under a ParkSense + FlowMobility vehicle (BrightStreet not awarded), quoted by both."""
    vehicle_id = vehicle(app, (PARK, FLOW))
    rfq = client.post(f"/api/v1/vehicles/{vehicle_id}/rfqs", json=rfq_body(title=TITLE),
                      headers=api_token(BUYER)).get_json()
    for vendor in (PARK, FLOW):
        body = quote_body(app, vehicle_id, vendor, PRICES[vendor], note=NOTES[vendor])
        response = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=body, headers=api_token(vendor))
        assert response.status_code == 201, response.get_json()
    return {"vehicle": vehicle_id, "rfq": rfq["id"]}


def _api(client, api_token, rfq_id, email) -> tuple[int, str]:
    response = client.get(f"/api/v1/rfqs/{rfq_id}", headers=api_token(email))
    return response.status_code, response.get_data(as_text=True)


def _page(client, login, path, email) -> tuple[int, str]:
    login(email)
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def test_the_api_shows_the_member_and_the_office_only_the_count_before_the_close(client, api_token, sealed,
                                                                                   monkeypatch):
    for email in (BUYER, APPROVER, ADMIN):
        status, text = _api(client, api_token, sealed["rfq"], email)
        assert status == 200 and '"quote_count":2' in text.replace(" ", "")
        assert _leaks(text, PARK) == [] and _leaks(text, FLOW) == [], email
    status, text = _api(client, api_token, sealed["rfq"], PARK)
    assert status == 200 and _leaks(text, FLOW) == [] and "4.17" in text
    assert '"quote_count":null' in text.replace(" ", "")
    assert _api(client, api_token, sealed["rfq"], BRIGHT)[0] == 404  # not awarded on this vehicle
    assert _api(client, api_token, sealed["rfq"], "buyer@mesa.example")[0] == 404  # another member (the lead)
    after_closing(monkeypatch)
    client.post(f"/api/v1/rfqs/{sealed['rfq']}/close", headers=api_token(BUYER))
    status, text = _api(client, api_token, sealed["rfq"], PARK)
    assert _leaks(text, FLOW) == [], "a vendor saw another's quote after the close"
    status, text = _api(client, api_token, sealed["rfq"], BUYER)
    assert _leaks(text, PARK) and _leaks(text, FLOW)  # the member compares them now


def test_the_pages_seal_the_quotes(client, login, api_token, sealed, monkeypatch):
    path = f"/c/gpsr/rfqs/{sealed['rfq']}"
    for email in (BUYER, ADMIN):
        status, page = _page(client, login, path, email)
        assert status == 200 and 'data-testid="sealed"' in page and "2 quotes received, sealed" in page
        assert _leaks(page, PARK) == [] and _leaks(page, FLOW) == [] and 'data-testid="comparison"' not in page
    status, page = _page(client, login, path, PARK)
    assert 'data-testid="own-quote"' in page and "$4.17" in page and _leaks(page, FLOW) == []
    assert "2 quotes" not in page  # a vendor is not told how many others quoted
    assert _page(client, login, path, BRIGHT)[0] == 404
    after_closing(monkeypatch)
    login(BUYER)
    assert client.post(f"/c/gpsr/rfqs/{sealed['rfq']}/close").status_code == 302
    status, page = _page(client, login, path, PARK)
    assert _leaks(page, FLOW) == [] and 'data-testid="comparison"' not in page
    status, page = _page(client, login, path, BUYER)
    assert _leaks(page, PARK) and _leaks(page, FLOW)
    table = page.split('data-testid="comparison"')[0].rsplit("<div", 1)[1]
    assert 'class="usa-table-container--scrollable" tabindex="0" role="region" aria-label="Quotes compared' in table
    assert page.count('<th scope="row">') >= 4  # a row header per line, the total and the note


def test_the_list_and_its_csv_carry_no_amounts(client, login, sealed, monkeypatch):
    for email in (BUYER, ADMIN, PARK, FLOW):
        for path in ("/c/gpsr/rfqs", "/c/gpsr/rfqs/export.csv"):
            status, text = _page(client, login, path, email)
            assert status == 200 and _leaks(text, PARK) == [] and _leaks(text, FLOW) == [], (email, path)
    login(PARK)
    rows = client.get("/c/gpsr/rfqs/export.csv").get_data(as_text=True).splitlines()
    row = next(r for r in rows if r.startswith("RFQ-"))
    assert row.split(",")[7:9] == ["", "yes"]  # no count of the others' quotes; its own is in
    login(BUYER)
    row = next(r for r in client.get("/c/gpsr/rfqs/export.csv").get_data(as_text=True).splitlines()
               if r.startswith("RFQ-"))
    assert row.split(",")[7] == "2"


def test_search_never_finds_an_rfq_or_a_quote(client, api_token, sealed):
    for email in (BUYER, PARK, FLOW, ADMIN):
        for q in (NOTES[FLOW], NOTES[PARK], TITLE):
            found = client.get(f"/api/v1/listings?q={q}", headers=api_token(email)).get_json()
            assert found["total"] == 0 and found["results"] == [], (email, q)


def test_notifications_never_carry_a_quote(app, client, api_token, sealed, monkeypatch):
    after_closing(monkeypatch)
    buyer = api_token(BUYER)
    quotes = client.post(f"/api/v1/rfqs/{sealed['rfq']}/close", headers=buyer).get_json()["quotes"]
    client.post(f"/api/v1/rfqs/{sealed['rfq']}/award", headers=buyer,
                json={"quote_id": quotes[0]["id"], "justification": "Two quotes; ParkSense is lowest."})
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.object_type == "rfq",
                                                              Notification.object_id == sealed["rfq"])).all()
        assert {n.subject.split(" ", 1)[1][:20] for n in notes}  # issued, closed and awarded were told
        for note in notes:
            text = note.subject + note.body
            assert _leaks(text, PARK) == [] and _leaks(text, FLOW) == [], text
        # no quote ever notified anyone (it is sealed)
        assert db.session.scalar(select(db.func.count()).select_from(Notification).where(
            Notification.object_type == "quote")) == 0


def test_the_audit_log_records_quotes_without_their_amounts(app, client, login, sealed, monkeypatch):
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "quote")).all()
        assert sorted(e.action for e in events)[-2:] == ["quote.submitted", "quote.submitted"]
        for event in events:
            assert set(event.after) == {"rfq_id", "vendor_id", "version", "lines"} and event.before is None
    status, page = _page(client, login, "/c/gpsr/audit", ADMIN)
    assert status == 200 and "quote.submitted" in page
    assert _leaks(page, PARK) == [] and _leaks(page, FLOW) == []
    status, page = _page(client, login, "/c/gpsr/audit?object_type=quote", ADMIN)
    assert _leaks(page, PARK) == [] and _leaks(page, FLOW) == []


def test_the_work_queue_asks_vendors_to_quote_and_the_member_to_close_then_award(app, client, api_token,
                                                                                  monkeypatch):
    vehicle_id = vehicle(app, (PARK, FLOW))
    rfq = client.post(f"/api/v1/vehicles/{vehicle_id}/rfqs", json=rfq_body(), headers=api_token(BUYER)).get_json()

    def kinds(email):  # this RFQ's items in the person's queue (the demo has RFQs of its own)
        return {(i["kind"], i["object_id"]) for i in client.get("/api/v1/queue", headers=api_token(email))
                .get_json()["items"] if i["object_type"] == "rfq" and i["object_id"] == rfq["id"]}

    assert kinds(PARK) == {("quote_rfq", rfq["id"])} and kinds(BUYER) == set()
    client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(app, vehicle_id, PARK), headers=api_token(PARK))
    assert kinds(PARK) == set() and kinds(FLOW) == {("quote_rfq", rfq["id"])}
    after_closing(monkeypatch)
    assert kinds(FLOW) == set() and kinds(BUYER) == {("close_rfq", rfq["id"])}
    client.post(f"/api/v1/rfqs/{rfq['id']}/close", headers=api_token(BUYER))
    assert kinds(BUYER) == {("award_rfq", rfq["id"])}
    assert kinds("buyer@mesa.example") == set()  # Mesa did not issue it
