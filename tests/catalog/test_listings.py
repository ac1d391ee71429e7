"""The listing lifecycle as vendors, admins, buyers and the public meet it."""

import re

import pytest
from sqlalchemy import func, select

from catalog.listings.models import Listing
from marketplace.audit import AuditEvent
from tests.catalog.factories import listing_data, make_listing
from tests.conftest import fetch

FORM = {
    "title": "Smart parking sensors", "summary": "In-ground sensors that show free spaces.",
    "description": "Magnetometer sensors with a city dashboard.", "category": "parking",
    "pricing_models": ["as_a_service"], "tags": "parking, sensors", "standards": "REST API",
    "price_items-0-name": "Sensor", "price_items-0-unit": "per space per month", "price_items-0-list_price": "4.50",
}


def _count(model=Listing):
    return fetch(select(func.count()).select_from(model))


def _new_listing_id():
    return fetch(select(func.max(Listing.id)))


def test_vendor_to_admin_to_buyer_and_public(client, login):
    login("vendor@parksense.example")
    assert client.post("/c/gpsr/listings/new", data=FORM).status_code == 302
    listing_id = _new_listing_id()
    page = client.get("/c/gpsr/vendor/listings").get_data(as_text=True)
    assert "Smart parking sensors" in page and "Draft" in page
    assert client.post(f"/c/gpsr/listings/{listing_id}/submit").status_code == 302

    login("buyer@mesa.example")
    assert "Smart parking sensors" not in client.get("/c/gpsr/catalog?q=parking").get_data(as_text=True)

    login("admin@gpsr.example")
    queue = client.get("/c/gpsr/review").get_data(as_text=True)
    assert "Smart parking sensors" in queue
    review = client.get(f"/c/gpsr/review/{listing_id}").get_data(as_text=True)
    assert 'data-testid="diff"' in review and "per space per month" in review
    assert client.post(f"/c/gpsr/listings/{listing_id}/approve").status_code == 302

    login("buyer@mesa.example")
    assert "Smart parking sensors" in client.get("/c/gpsr/catalog?q=parking").get_data(as_text=True)
    login(None)
    public = client.get("/c/gpsr/catalog?q=sensor").get_data(as_text=True)
    assert "Smart parking sensors" in public
    assert client.get(f"/c/gpsr/listings/{listing_id}").status_code == 200


def test_edit_of_a_published_listing_stays_invisible_until_approved(app, client, login):
    with app.test_request_context():
        listing_id = make_listing("published", title="Curb occupancy analytics", category="parking").id
    login("vendor@parksense.example")
    edit = client.get(f"/c/gpsr/listings/{listing_id}/edit").get_data(as_text=True)
    token_row = re.search(r'name="price_items-0-id" type="hidden" value="(\d+)"', edit)
    form = {**FORM, "title": "Curbside intelligence", "price_items-0-id": token_row.group(1)}
    response = client.post(f"/c/gpsr/listings/{listing_id}/edit", data=form)
    assert response.status_code == 302
    login(None)
    assert "Curb occupancy analytics" in client.get(f"/c/gpsr/listings/{listing_id}").get_data(as_text=True)
    assert "Curbside" not in client.get("/c/gpsr/catalog?q=curbside").get_data(as_text=True).split("</form>")[1]
    login("admin@gpsr.example")
    review = client.get(f"/c/gpsr/review/{listing_id}").get_data(as_text=True)
    assert "Curb occupancy analytics" in review and "Curbside intelligence" in review
    assert '<ins class="diff-new">' in review and '<del class="diff-old">' in review
    assert client.post(f"/c/gpsr/listings/{listing_id}/approve", data={"reason": "OK"}).status_code == 302
    login(None)
    assert "Curbside intelligence" in client.get(f"/c/gpsr/listings/{listing_id}").get_data(as_text=True)
    assert "Curbside intelligence" in client.get("/c/gpsr/catalog?q=curbside").get_data(as_text=True)


def test_request_changes_needs_a_reason_the_vendor_sees(app, client, login):
    with app.test_request_context():
        listing_id = make_listing("submitted", title="Leak detection").id
    login("admin@gpsr.example")
    client.post(f"/c/gpsr/listings/{listing_id}/request-changes", data={"reason": ""})
    assert fetch(select(Listing.status).where(Listing.id == listing_id)) == "submitted"
    client.post(f"/c/gpsr/listings/{listing_id}/request-changes", data={"reason": "Add the monthly fee."})
    assert fetch(select(Listing.status).where(Listing.id == listing_id)) == "changes_requested"
    login("vendor@parksense.example")
    assert "Add the monthly fee." in client.get("/c/gpsr/vendor/listings").get_data(as_text=True)
    history = client.get(f"/c/gpsr/listings/{listing_id}/history").get_data(as_text=True)
    assert "listing.changes_requested" in history and "Add the monthly fee." in history


def test_suspended_listing_leaves_search_and_public_view(app, client, login):
    with app.test_request_context():
        listing_id = make_listing("published", title="Gunshot acoustic sensors", category="public_safety").id
    login(None)
    assert "Gunshot" in client.get("/c/gpsr/catalog?q=gunshot").get_data(as_text=True)
    login("admin@gpsr.example")
    client.post(f"/c/gpsr/listings/{listing_id}/suspend", data={"reason": "Under review after complaint."})
    login(None)
    assert client.get(f"/c/gpsr/listings/{listing_id}").status_code == 404
    assert 'data-testid="result-count">0 listings' in client.get("/c/gpsr/catalog?q=gunshot").get_data(as_text=True)
    login("admin@gpsr.example")
    client.post(f"/c/gpsr/listings/{listing_id}/reinstate", data={"reason": "Complaint resolved."})
    login(None)
    assert client.get(f"/c/gpsr/listings/{listing_id}").status_code == 200
    events = fetch(select(func.count(AuditEvent.id)).where(AuditEvent.object_id == listing_id,
                                                          AuditEvent.object_type == "listing",
                                                          AuditEvent.reason.is_not(None)))
    assert events >= 2


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "", "This field is required."),
    ("summary", "x" * 501, "at most 500 characters"),
    ("category", "teleportation", "Choose one of"),
    ("price_items-0-list_price", "12.345", "Use at most 2 decimals for the list price"),
    ("price_items-0-list_price", "-5", "The list price must be more than zero."),
    ("price_items-0-list_price", "0", "more than zero"),
    ("price_items-0-unit", "", "Give the unit"),
])
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, login, field, value, message):
    login("vendor@parksense.example")
    before = _count()
    response = client.post("/c/gpsr/listings/new", data={**FORM, field: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "Please correct" in page
    assert _count() == before


def test_submitting_without_price_items_is_refused(app, client, login):
    with app.test_request_context():
        listing_id = make_listing("draft", price_items=[]).id
    login("vendor@parksense.example")
    client.post(f"/c/gpsr/listings/{listing_id}/submit")
    assert fetch(select(Listing.status).where(Listing.id == listing_id)) == "draft"
    assert "Add at least one price item" in client.get("/c/gpsr/vendor/listings").get_data(as_text=True)


def test_other_vendor_and_other_consortium_cannot_see_drafts(app, client, login):
    with app.test_request_context():
        listing_id = make_listing("draft").id
    for email in ("vendor@flowmobility.example", "buyer@mesa.example", "admin@frca.example"):
        login(email)
        assert client.get(f"/c/gpsr/listings/{listing_id}").status_code == 404, email
        assert client.get(f"/c/frca/listings/{listing_id}").status_code == 404, email


def test_stored_text_renders_escaped(client, login):
    login("vendor@parksense.example")
    hostile = {**FORM, "title": "<script>alert(1)</script> Sensors", "description": "<img src=x onerror=alert(1)>"}
    assert client.post("/c/gpsr/listings/new", data=hostile).status_code == 302
    listing_id = _new_listing_id()
    page = client.get(f"/c/gpsr/listings/{listing_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page


def test_api_lifecycle_and_validation(client, api_token):
    vendor, admin = api_token("vendor@parksense.example"), api_token("admin@gpsr.example")
    bad = client.post("/api/v1/listings", json=listing_data(price_items=[{"name": "S", "unit": "each",
                                                                          "list_price": "1.999"}], title=""),
                      headers=vendor)
    assert bad.status_code == 400
    fields = bad.get_json()["error"]["fields"]
    assert "price_items.0.list_price" in fields
    made = client.post("/api/v1/listings", json=listing_data(title="Parking guidance signs"), headers=vendor)
    assert made.status_code == 201
    body = made.get_json()
    assert body["status"] == "draft" and body["price_items"][0]["list_price"] == "450.00" and body["proven"] is False
    listing_id = body["id"]
    assert client.post(f"/api/v1/listings/{listing_id}/approve", headers=admin).status_code == 409
    assert client.post(f"/api/v1/listings/{listing_id}/submit", headers=vendor).get_json()["status"] == "submitted"
    no_reason = client.post(f"/api/v1/listings/{listing_id}/reject", json={}, headers=admin)
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    assert client.post(f"/api/v1/listings/{listing_id}/approve", headers=admin).get_json()["status"] == "published"
    patched = client.patch(f"/api/v1/listings/{listing_id}", json={"title": "Parking guidance displays"},
                           headers=vendor).get_json()
    assert patched["title"] == "Parking guidance signs" and patched["pending_revision"]["proposed"]["title"] == \
        "Parking guidance displays"
    search = client.get("/api/v1/listings?q=guidance&category=lighting", headers=vendor).get_json()
    assert [r["id"] for r in search["results"]] == [listing_id]
    # a facet counts with the other filters applied, so other categories stay one click away
    assert search["facets"]["category"]["lighting"] == 1


HOSTILE = ['"(', "AND OR", "x" * 10_000, "*", "title:", "", "   ", "NOT", "'; DROP TABLE listing;--"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_normally(client, q):
    assert client.get("/c/gpsr/catalog", query_string={"q": q}).status_code == 200
    response = client.get("/api/v1/listings", query_string={"q": q, "consortium": "gpsr"})
    assert response.status_code == 200 and "results" in response.get_json()


def test_misspelled_search_suggests_and_facets_combine(app, client):
    with app.test_request_context():
        make_listing("published", title="Adaptive street lighting", category="lighting", pricing_models=["purchase"])
        make_listing("published", title="Street parking sensors", category="parking", pricing_models=["as_a_service"])
    page = client.get("/c/gpsr/catalog?q=stret+lihgting").get_data(as_text=True)
    assert 'data-testid="suggestion">street lighting<' in page
    both = client.get("/api/v1/listings?consortium=gpsr&q=street&category=parking&pricing_model=as_a_service")
    assert [r["title"] for r in both.get_json()["results"]] == ["Street parking sensors"]


def test_corrupt_index_is_rebuilt_and_the_page_answers(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_ENGINE", "whoosh")  # an index folder to damage, on PostgreSQL too
    with app.test_request_context():
        make_listing("published", title="Smart waste bins", category="waste")
    assert "Smart waste bins" in client.get("/c/gpsr/catalog?q=waste").get_data(as_text=True)
    from pathlib import Path

    for path in Path(app.config["SEARCH_INDEX_DIR"]).rglob("*"):
        if path.is_file():
            path.write_bytes(b"garbage")
    response = client.get("/c/gpsr/catalog?q=waste")
    assert response.status_code == 200 and "Smart waste bins" in response.get_data(as_text=True)


def test_reindex_command_rebuilds_from_the_database(app, _transaction):
    with app.test_request_context():
        make_listing("published", title="Air quality monitors", category="environment")
        from marketplace.extensions import db

        db.session.commit()
    result = app.test_cli_runner().invoke(args=["catalog", "reindex"])
    assert result.exit_code == 0 and "Indexed" in result.output


def test_catalog_queries_do_not_grow_with_listings(app, client, count_queries):
    def queries():
        client.get("/c/gpsr/catalog")  # warm the index
        with count_queries() as q:
            assert client.get("/c/gpsr/catalog").status_code == 200
        return q.count

    with app.test_request_context():
        for i in range(3):
            make_listing("published", title=f"Listing {i}")
    small = queries()
    with app.test_request_context():
        for i in range(30):
            make_listing("published", title=f"More listing {i}")
    large = queries()
    assert large <= small <= 12
