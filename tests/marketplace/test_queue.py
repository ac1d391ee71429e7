"""The work queue ("Waiting for you"): on every signed-in home page and at GET /api/v1/queue, the items
this person can act on now, oldest first, each for the right person only, gone once acted on."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from catalog.listings import services as listings
from contracts.invoices import services as invoices
from contracts.observations import services as observations
from contracts.orders import services as orders
from contracts.vehicles import services as vehicles
from contracts.vehicles.signing import services as signing
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.conftest import user
from tests.contracts.factories import COUNTERSIGN, SIGN, make_participation
from tests.contracts.factories import make_vehicle as make_office_vehicle
from tests.contracts.invoice_helpers import active_order, people_for, terms
from tests.contracts.order_factories import load_vehicle, make_order, make_vehicle


@pytest.fixture
def people(api_token):
    return people_for(api_token)


@pytest.fixture
def queue(client, api_token):
    """queue(email) → the items of GET /api/v1/queue for that person (in Greater Phoenix)."""
    tokens: dict[str, dict] = {}

    def _queue(email: str, slug: str = "gpsr") -> list[dict]:
        headers = tokens.setdefault(email, api_token(email))
        response = client.get(f"/api/v1/queue?consortium={slug}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    return _queue


def kinds(items, object_type=None, object_id=None) -> list[str]:
    return [i["kind"] for i in items
            if (object_type is None or i["object_type"] == object_type)
            and (object_id is None or i["object_id"] == object_id)]


def home(client, login, email) -> str:
    login(email)
    response = client.get("/c/gpsr/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def row(section: str, action: str, about: str) -> bool:
    """Whether the queue has a row whose link says `action` (`about` is a pattern for the object)."""
    pattern = (re.escape(action) + r'<span class="usa-sr-only">: [^<]*</span></a></th>\s*<td[^>]*>' + about)
    return re.search(pattern, section) is not None


def waiting_section(page: str) -> str:
    match = re.search(r'<section[^>]*data-testid="waiting".*?</section>', page, re.S)
    assert match, "the home page has no 'Waiting for you' section"
    return match.group(0)


# --- the demo accounts each have their turn waiting -------------------------------------------------


def test_the_demo_accounts_find_their_work_at_the_top_of_the_home_page(client, login):
    mesa = waiting_section(home(client, login, "buyer@mesa.example"))
    assert "Waiting for you" in mesa
    assert row(mesa, "Approve or reject the invoice", r"Invoice BS-24-0205")
    assert row(mesa, "Verify or dispute the measurement", r"Period 3 \(")
    assert "Record the payment" in mesa and "BS-24-0203" in mesa  # approved, not yet paid
    assert "BS-24-0191" not in mesa  # paid long ago: nothing to do

    tempe = waiting_section(home(client, login, "approver@tempe.example"))
    assert row(tempe, "Approve or decline the order", r"TO-\d+ \(PO TMP-2026-0057\)")
    assert "TMP-2026-0042" not in tempe  # approved already: the vendor's turn

    vendor = waiting_section(home(client, login, "vendor@brightstreet.example"))
    assert row(vendor, "Accept or decline the order", r"TO-\d+ \(PO TMP-2026-0042\)")
    assert row(vendor, "Report the period&#39;s measurements", r"Period 4 \(")

    office = home(client, login, "admin@gpsr.example")
    admin = waiting_section(office)
    assert "Review the listing" in admin and "Smart waste bin fill sensors" in admin
    assert "Review the proposed change" in admin
    assert "Chandler — to join GPSR-2026-001" in admin
    # the queue comes before the role's own content
    assert office.index('data-testid="waiting"') < office.index("Your organization")


def test_a_long_queue_shows_the_oldest_first_and_offers_the_rest(app, client, login, queue):
    with app.test_request_context():
        for i in range(26):
            make_listing("submitted", title=f"Queued kit {i:02d}")
    total = len(queue("admin@gpsr.example"))  # the API always answers every item
    assert total > 25
    login("admin@gpsr.example")
    home = client.get("/c/gpsr/").get_data(as_text=True)
    assert f"Waiting for you ({total})" in home
    assert home.count('<tr data-kind="') == 25
    assert f"The 25 oldest of {total} are shown." in home and f"Show all {total}</a>" in home
    everything = client.get("/c/gpsr/?waiting=all").get_data(as_text=True)
    assert everything.count('<tr data-kind="') == total and 'data-testid="waiting-more"' not in everything
    assert "Queued kit 25" in everything and "Queued kit 25" not in home  # the newest waits behind "Show all"


def test_someone_with_nothing_to_do_is_told_so(client, login):
    assert "Nothing is waiting for you." in waiting_section(home(client, login, "buyer@tempe.example"))


def test_the_home_page_shows_times_in_the_consortiums_zone_and_due_dates(client, login):
    section = waiting_section(home(client, login, "vendor@brightstreet.example"))
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{1,2}:\d\d [AP]M MST", section)  # Phoenix: MST all year
    assert re.search(r'data-label="Due"[^>]*>\d{1,2} [A-Z][a-z]{2} \d{4}</td>', section)


def test_strangers_and_the_public_see_no_queue(client, login):
    login(None)
    assert 'data-testid="waiting"' not in client.get("/c/gpsr/").get_data(as_text=True)
    login("buyer@boulder.example")
    assert 'data-testid="waiting"' not in client.get("/c/gpsr/").get_data(as_text=True)


# --- each kind, for the right person only ------------------------------------------------------------


def test_an_order_above_the_limit_waits_for_the_approver_then_for_the_vendor(app, queue):
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="5000000.00")
        order_id = make_order(vehicle, buyer="buyer@tempe.example", quantity="2000", status="submitted").id
    assert kinds(queue("approver@tempe.example"), "order", order_id) == ["approve_order"]
    for email in ("buyer@tempe.example", "approver@mesa.example", "vendor@parksense.example", "admin@gpsr.example"):
        assert kinds(queue(email), "order", order_id) == [], email
    with app.test_request_context():
        orders.approve_order(db.session.get(orders.Order, order_id), actor=user("approver@tempe.example"))
        db.session.commit()
    assert kinds(queue("approver@tempe.example"), "order", order_id) == []
    assert kinds(queue("vendor@parksense.example"), "order", order_id) == ["accept_order"]
    assert kinds(queue("vendor@brightstreet.example"), "order", order_id) == []  # another company's order
    with app.test_request_context():
        orders.accept_order(db.session.get(orders.Order, order_id), actor=user("vendor@parksense.example"))
        db.session.commit()
    assert kinds(queue("vendor@parksense.example"), "order", order_id) == []


def test_the_approver_is_never_asked_to_approve_their_own_order(app, queue):
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="5000000.00")
        order_id = make_order(vehicle, buyer="approver@tempe.example", quantity="2000", status="submitted").id
        assert db.session.get(orders.Order, order_id).status == "pending_approval"
    assert kinds(queue("approver@tempe.example"), "order", order_id) == []


def test_periods_wait_for_the_vendor_and_measurements_for_the_city(app, client, people, queue):
    order_id, _ = active_order(app, client, people, terms())  # three months of 2025, all ended
    report = [i for i in queue("vendor@parksense.example") if i["object_id"] == order_id]
    assert [i["kind"] for i in report] == ["report_period"] * 3
    # waiting from the day after each period, due within 15 days of its end (reported on time)
    assert [i["since"][:10] for i in report] == ["2025-02-01", "2025-03-01", "2025-04-01"]
    assert [i["due_on"] for i in report] == ["2025-02-15", "2025-03-15", "2025-04-15"]
    assert report[0]["title"].startswith("Period 1 (Jan 2025) of TO-")
    assert kinds(queue("vendor@brightstreet.example"), "order", order_id) == []
    assert kinds(queue("buyer@tempe.example"), "order", order_id) == []

    obs = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                      json={"period": 1, "kpi": "availability", "value": "97.2", "note": "Meter export"}).get_json()
    assert [i["due_on"] for i in queue("vendor@parksense.example") if i["object_id"] == order_id] == [
        "2025-03-15", "2025-04-15"]
    for email in ("buyer@tempe.example", "approver@tempe.example"):
        assert kinds(queue(email), "observation", obs["id"]) == ["verify_measurement"], email
    for email in ("buyer@mesa.example", "vendor@parksense.example", "admin@gpsr.example"):
        assert kinds(queue(email), "observation", obs["id"]) == [], email

    disputed = client.post(f"/api/v1/observations/{obs['id']}/dispute", headers=people["buyer"],
                           json={"reason": "The export covers only half the month."})
    assert disputed.status_code == 200
    assert kinds(queue("buyer@tempe.example"), "observation", obs["id"]) == []
    assert kinds(queue("vendor@parksense.example"), "observation", obs["id"]) == ["correct_measurement"]
    with app.test_request_context():
        observations.correct_observation(db.session.get(observations.Observation, obs["id"]),
                                         {"value": "97.4", "note": "Whole month"},
                                         actor=user("vendor@parksense.example"))
        db.session.commit()
    assert kinds(queue("approver@tempe.example"), "observation", obs["id"]) == ["verify_measurement"]
    assert client.post(f"/api/v1/observations/{obs['id']}/verify", headers=people["approver"]).status_code == 200
    assert kinds(queue("approver@tempe.example"), "observation", obs["id"]) == []
    assert kinds(queue("vendor@parksense.example"), "observation", obs["id"]) == []


def test_an_invoice_waits_for_the_city_to_decide_then_to_pay(app, client, people, queue):
    with app.test_request_context():
        order = make_order(make_vehicle(ceiling="5000000.00"), buyer="buyer@tempe.example", status="active")
        invoice = invoices.submit_invoice(order, {"number": "PS-77", "issued_on": "2026-11-02",
                                                  "amount": str(order.lines[0].total), "lines": [order.lines[0].id]},
                                          actor=user("vendor@parksense.example"))
        db.session.commit()
        invoice_id = invoice.id
    for email in ("buyer@tempe.example", "approver@tempe.example"):
        assert kinds(queue(email), "invoice", invoice_id) == ["approve_invoice"], email
    for email in ("vendor@parksense.example", "buyer@mesa.example", "admin@gpsr.example"):
        assert kinds(queue(email), "invoice", invoice_id) == [], email
    assert client.post(f"/api/v1/invoices/{invoice_id}/approve", json={}, headers=people["buyer"]).status_code == 200
    assert kinds(queue("approver@tempe.example"), "invoice", invoice_id) == ["pay_invoice"]
    paid = client.post(f"/api/v1/invoices/{invoice_id}/pay", json={"paid_on": "2026-11-20"}, headers=people["buyer"])
    assert paid.status_code == 200
    assert kinds(queue("buyer@tempe.example"), "invoice", invoice_id) == []


def test_listings_and_revisions_wait_for_the_office_of_their_consortium(app, queue):
    with app.test_request_context():
        submitted = make_listing("submitted", title="Queue test sensors")
        live = make_listing("published", title="Queue test kiosks")
        listings.update_listing(live, {"summary": "Kiosks with a new summary."}, actor=user("vendor@parksense.example"),
                                partial=True)
        db.session.commit()
        submitted_id, live_id = submitted.id, live.id
        revision_id = live.pending_revision.id
    office = queue("admin@gpsr.example")
    assert kinds(office, "listing", submitted_id) == ["review_listing"]
    assert kinds(office, "listing_revision", revision_id) == ["review_revision"]
    assert [i["url"] for i in office if i["object_id"] == submitted_id] == [f"/c/gpsr/review/{submitted_id}"]
    assert kinds(queue("admin@frca.example", "frca"), "listing", submitted_id) == []
    assert kinds(queue("vendor@parksense.example"), "listing", submitted_id) == []
    with app.test_request_context():
        listing = db.session.get(listings.Listing, submitted_id)
        listings.request_changes(listing, actor=user("admin@gpsr.example"), reason="Add monthly prices.")
        db.session.commit()
    assert kinds(queue("admin@gpsr.example"), "listing", submitted_id) == []
    assert kinds(queue("vendor@parksense.example"), "listing", submitted_id) == ["revise_listing"]
    assert kinds(queue("vendor@brightstreet.example"), "listing", submitted_id) == []
    with app.test_request_context():
        listings.approve_listing(db.session.get(listings.Listing, live_id), actor=user("admin@gpsr.example"))
        db.session.commit()
    assert kinds(queue("admin@gpsr.example"), "listing_revision", revision_id) == []


def test_a_request_to_join_waits_for_the_office_until_decided(app, queue):
    with app.test_request_context():
        vehicle = make_office_vehicle("active", lead="Tempe")
        participation = make_participation(vehicle, "requested", approver="approver@scottsdale.example")
        db.session.commit()
        participation_id = participation.id
    # the member's approver signs first; only then is it the office's turn to countersign
    assert kinds(queue("approver@scottsdale.example"), "participation", participation_id) == ["sign_participation"]
    assert kinds(queue("admin@gpsr.example"), "participation", participation_id) == []
    with app.test_request_context():
        signing.sign_participation(db.session.get(vehicles.Participation, participation_id), SIGN,
                                   actor=user("approver@scottsdale.example"))
        db.session.commit()
    assert kinds(queue("admin@gpsr.example"), "participation", participation_id) == ["approve_participation"]
    for email in ("approver@scottsdale.example", "buyer@mesa.example", "vendor@brightstreet.example"):
        assert kinds(queue(email), "participation", participation_id) == [], email
    with app.test_request_context():
        signing.countersign_participation(db.session.get(vehicles.Participation, participation_id), COUNTERSIGN,
                                          actor=user("admin@gpsr.example"))
        db.session.commit()
    assert kinds(queue("admin@gpsr.example"), "participation", participation_id) == []


# --- order, shape, bounds --------------------------------------------------------------------------


def test_items_come_oldest_first_with_what_to_do_and_since_when(queue):
    items = queue("vendor@brightstreet.example")
    since = [datetime.fromisoformat(i["since"]) for i in items]
    assert since == sorted(since) and len(items) >= 4
    for item in items:
        assert set(item) >= {"kind", "title", "action", "object_type", "object_id", "url", "since"}
        assert item["url"].startswith("/c/gpsr/")
    assert all("due_on" not in i for i in items if i["kind"] == "accept_order")


def test_the_api_needs_a_consortium_the_caller_works_in(client, api_token):
    assert client.get("/api/v1/queue").status_code == 401
    stranger = client.get("/api/v1/queue?consortium=gpsr", headers=api_token("buyer@boulder.example"))
    assert stranger.status_code == 404
    own = client.get("/api/v1/queue", headers=api_token("buyer@boulder.example"))
    assert own.status_code == 200 and own.get_json() == {"items": []}


def test_the_openapi_document_describes_the_queue(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/api/v1/queue"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    item = schema["properties"]["items"]["items"]
    assert set(item["required"]) == {"kind", "title", "action", "object_type", "object_id", "url", "since"}
    assert "due_on" in item["properties"]


def test_the_home_page_runs_a_bounded_number_of_queries_however_much_waits(app, client, login, count_queries):
    def measured(email):
        login(email)
        client.get("/c/gpsr/")
        with count_queries() as q:
            page = client.get("/c/gpsr/")
        assert page.status_code == 200
        return q.count, page.get_data(as_text=True).count("<tr data-kind=")

    def add(vehicle, first, count):
        """`count` of every kind: listings to review, orders to approve and accept, invoices, periods."""
        for n in range(first, first + count):
            make_listing("submitted", title=f"Bulk listing {n}")
            make_order(vehicle, buyer="buyer@tempe.example", quantity="2000", status="submitted")
            order = make_order(vehicle, buyer="buyer@tempe.example", status="active")
            invoices.submit_invoice(order, {"number": f"BULK-{n}", "issued_on": "2026-11-02",
                                            "amount": str(order.lines[0].total), "lines": [order.lines[0].id]},
                                    actor=user("vendor@parksense.example"))
            make_order(vehicle, buyer="buyer@tempe.example", quantity="1", status="approved")
            make_order(vehicle, buyer="buyer@tempe.example", quantity="1", status="active",
                       performance=terms(start_date=f"202{n % 4}-01-01"))
        db.session.commit()

    emails = ("admin@gpsr.example", "approver@tempe.example", "buyer@tempe.example", "vendor@parksense.example")
    with app.test_request_context():
        vehicle_id = make_vehicle(ceiling="90000000.00").id
        add(load_vehicle(vehicle_id), 0, 1)
    small = {email: measured(email) for email in emails}
    with app.test_request_context():
        add(load_vehicle(vehicle_id), 1, 6)
    large = {email: measured(email) for email in emails}
    for email in emails:
        assert large[email][1] >= small[email][1] + 6, (email, small[email], large[email])
        assert large[email][0] <= small[email][0], (email, small[email], large[email])
