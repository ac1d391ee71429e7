"""Pilot evidence as member cities, the consortium office and vendors meet it: recording, verifying,
linking, the pilot library, and what makes a listing proven."""

from __future__ import annotations

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from catalog.listings import services as listings
from catalog.pilots import queries as evidence
from catalog.pilots import services as pilots
from catalog.pilots.models import Pilot
from consortium.context import use_consortium
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.conftest import consortium, fetch, org, user

# Both targets reached: the derived outcome is met.
METRICS = [
    {"kpi": "Occupancy detection accuracy", "unit": "%", "direction": "higher", "baseline": "80", "target": "95",
     "result": "97.2"},
    {"kpi": "Search time", "unit": "minutes", "direction": "lower", "baseline": "11.5", "target": "8",
     "result": "7.5"},
]
# The same KPIs measured so that they give each outcome (a pilot stating an outcome gets these by default).
METRICS_GIVING = {
    "met": METRICS,
    "partially_met": [METRICS[0], {**METRICS[1], "result": "8.5"}],  # 8.5 minutes misses ≤ 8
    "not_met": [{**METRICS[0], "result": "90"}, {**METRICS[1], "result": "8.5"}],
    "inconclusive": [{k: v for k, v in m.items() if k != "result"} for m in METRICS],
}


# --- helpers (also used by the access matrix) ------------------------------------------------------


def published_listing(title: str = "In-ground parking sensors", category: str = "parking", slug: str = "gpsr"):
    """A listing taken through draft → submitted → published (call inside a request context)."""
    vendor_email, vendor_name = (("vendor@parksense.example", "ParkSense") if slug == "gpsr"
                                 else ("vendor@brightstreet.example", "BrightStreet Lighting"))
    vendor_user = user(vendor_email)
    listing = listings.create_listing(
        consortium=consortium(slug), vendor=org(vendor_name), actor=vendor_user,
        data={"title": title, "summary": f"{title} for member cities.", "category": category,
              "pricing_models": ["as_a_service"],
              "price_items": [{"name": "Service", "unit": "per month", "list_price": "100.00"}]},
    )
    listings.submit_listing(listing, actor=vendor_user)
    listings.approve_listing(listing, actor=user(f"admin@{slug}.example"))
    return listing


def pilot_data(**overrides) -> dict:
    data = {
        "title": "Downtown smart parking pilot",
        "vendor_name": "Acme Curb Sensors",
        "category": "parking",
        "start_date": "2026-01-05",
        "end_date": "2026-06-30",
        "units": "120 in-ground sensors",
        "area": "Downtown, 14 blocks",
        "cost": "48000.00",
        "financing": "Vendor-funded pilot",
        "metrics": METRICS,
        "outcome": "met",
        "lessons": "Calibrate the sensors after the first rain.",
        "references": "Mesa transportation department report 2026-07.",
    }
    data.update(overrides)
    if "outcome" in overrides and "metrics" not in overrides and overrides["outcome"] in METRICS_GIVING:
        data["metrics"] = METRICS_GIVING[overrides["outcome"]]
    if "listing_id" in overrides:
        data.pop("vendor_name")
        data.pop("category")
    return {k: v for k, v in data.items() if v is not None}


def recorded_pilot(email: str = "buyer@mesa.example", **overrides) -> Pilot:
    """A recorded pilot hosted by the member of `email` (call inside a request context)."""
    return pilots.record_pilot(consortium=consortium("gpsr"), data=pilot_data(**overrides), actor=user(email))


def verified_pilot(email: str = "buyer@mesa.example", **overrides) -> Pilot:
    pilot = recorded_pilot(email, **overrides)
    return pilots.verify_pilot(pilot, actor=user("admin@gpsr.example"))


def form_data(**overrides) -> dict:
    """The record form as a browser posts it: five metric rows, the unused ones blank."""
    data = {k: v for k, v in pilot_data().items() if k != "metrics"}
    data["listing_id"] = ""
    for i in range(5):
        metric = METRICS[i] if i < len(METRICS) else {"kpi": "", "unit": "", "direction": "higher", "baseline": "",
                                                      "target": "", "result": ""}
        for name, value in metric.items():
            data[f"metrics-{i}-{name}"] = value
    data.update(overrides)
    return data


def committed(app, make):
    """Run `make()` in a request of its own and commit; returns what it returned (ids stay readable)."""
    with app.test_request_context():
        result = make()
        db.session.commit()
        return result if not hasattr(result, "id") else result.id


def pilot_count() -> int:
    return fetch(select(func.count(Pilot.id)))


def load(app, pilot_id: int) -> Pilot:
    with app.app_context():
        return db.session.scalar(select(Pilot).where(Pilot.id == pilot_id))


def actions_on(app, pilot_id: int) -> list[str]:
    with app.app_context():
        stmt = (select(AuditEvent.action)
                .where(AuditEvent.object_type == "pilot", AuditEvent.object_id == pilot_id)
                .order_by(AuditEvent.id))
        return list(db.session.scalars(stmt))


def proven(app, *listing_ids: int) -> set[int]:
    with app.app_context():
        return evidence.proven_listing_ids(listing_ids)


def titles(response) -> set[str]:
    return {p["title"] for p in response.get_json()["results"]}


# --- recording ------------------------------------------------------------------------------------


def test_buyer_records_a_pilot_of_a_listing_with_the_form(app, client, login):
    listing_id = committed(app, lambda: published_listing(category="parking"))
    login("buyer@mesa.example")
    page = client.get(f"/c/gpsr/pilots/new?listing_id={listing_id}").get_data(as_text=True)
    assert f'<option selected value="{listing_id}">' in page and page.count('data-testid="metric-row"') == 5
    assert 'type="date"' in page
    response = client.post(f"/c/gpsr/pilots/new?listing_id={listing_id}",
                           data=form_data(listing_id=str(listing_id), vendor_name="", category="lighting",
                                          outcome="", **{"metrics-1-result": "8.5"}))
    assert response.status_code == 302
    pilot = fetch(select(Pilot).order_by(Pilot.id.desc()))
    assert response.headers["Location"].endswith(f"/c/gpsr/pilots/{pilot.id}")
    assert pilot.listing_id == listing_id and pilot.vendor_name is None
    assert pilot.category == "parking"  # the listing's, whatever the category select said
    assert pilot.host_member_id == org("Mesa").id and pilot.status == "recorded"
    assert pilot.kpi_index == "|occupancy detection accuracy|search time|"
    assert [m["kpi"] for m in pilot.metrics] == ["Occupancy detection accuracy", "Search time"]  # blank rows ignored
    assert str(pilot.cost) == "48000.00"
    assert pilot.outcome == pilot.derived_outcome == "partially_met" and pilot.justification is None  # as derived
    assert actions_on(app, pilot.id) == ["pilot.recorded"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Downtown smart parking pilot" in page and "Recorded, not yet verified" in page
    assert "80 → <strong>97.2</strong>" in page and "≥</span> 95" in page
    assert "11.5 → <strong>8.5</strong>" in page and "≤</span> 8" in page
    assert page.count(">Met</span>") == 1 and page.count(">Not met</span>") == 1  # 8.5 minutes misses ≤ 8
    assert "Verify these results" not in page  # a buyer does not confirm results


def test_approver_records_a_pilot_naming_a_vendor_through_the_api(client, api_token):
    response = client.post("/api/v1/pilots", json=pilot_data(), headers=api_token("approver@tempe.example"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "recorded" and body["listing_id"] is None
    assert body["vendor_name"] == body["vendor"] == "Acme Curb Sensors"
    assert body["host_member"]["name"] == "Tempe" and body["category"] == "parking"
    assert body["cost"] == "48000.00" and body["start_date"] == "2026-01-05"
    assert body["metrics"][0] == {**METRICS[0], "met": True} and body["metrics"][1]["met"] is True
    assert body["outcome"] == body["derived_outcome"] == "met" and body["justification"] is None
    assert body["outcome_differs"] is False and body["proves_listing"] is False  # not verified, no listing
    assert body["verified_at"] is None and body["verified_by"] is None
    again = client.get(f"/api/v1/pilots/{body['id']}", headers=api_token("approver@tempe.example"))
    assert again.get_json() == body


def test_pilot_of_a_listing_through_the_api_takes_the_listing(app, client, api_token):
    listing_id = committed(app, lambda: published_listing(title="Curb analytics", category="data_platforms"))
    body = {k: v for k, v in pilot_data().items() if k not in ("vendor_name", "category")}
    response = client.post(f"/api/v1/listings/{listing_id}/pilots", json=body, headers=api_token("buyer@mesa.example"))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["listing_id"] == listing_id and data["vendor"] == "ParkSense" and data["category"] == "data_platforms"
    assert data["vendor_name"] is None


def test_form_errors_are_shown_per_field_and_nothing_is_saved(client, login):
    login("buyer@mesa.example")
    before = pilot_count()
    response = client.post("/c/gpsr/pilots/new", data=form_data(**{
        "title": "", "end_date": "2025-12-31", "cost": "-5", "outcome": "great",
        "metrics-0-baseline": "eighty", "metrics-1-kpi": "occupancy DETECTION accuracy",
    }))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please correct" in page and page.count("usa-error-message") >= 4
    assert "This field is required." in page  # title
    assert "The end date cannot be before the start date." in page
    assert "The cost cannot be negative." in page
    assert "Choose one of: inconclusive, met, not_met, partially_met." in page
    baseline = "Metric 1 baseline: Enter the baseline as a number written with digits, such as 97.5."
    assert f'<a href="#metrics-0-baseline">{baseline}</a>' in page
    assert '<a href="#metrics-1-kpi">Metric 2 KPI: Each metric needs a different KPI name.</a>' in page
    assert 'value="eighty"' in page  # what was typed stays in the form
    assert pilot_count() == before


def test_form_needs_a_metric_and_a_vendor_or_listing(client, login):
    login("approver@mesa.example")
    data = form_data(vendor_name="", category="")
    for i in range(5):
        for name in ("kpi", "unit", "baseline", "target", "result"):
            data[f"metrics-{i}-{name}"] = ""
    response = client.post("/c/gpsr/pilots/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Metrics: Add at least one metric" in page
    assert "Choose a listing, or name the vendor" in page and "Choose a category." in page


def test_api_validation_reports_each_field_and_saves_nothing(app, client, api_token):
    headers = api_token("buyer@mesa.example")
    before = pilot_count()
    bad_number = pilot_data(metrics=[{**METRICS[0], "baseline": "lots"}])
    response = client.post("/api/v1/pilots", json=bad_number, headers=headers)
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"metrics.0.baseline"}

    rules = pilot_data(end_date="2025-01-01", category=None, cost="99999999999.00",
                       metrics=[METRICS[0], {**METRICS[1], "kpi": "occupancy detection accuracy"}])
    fields = client.post("/api/v1/pilots", json=rules, headers=headers).get_json()["error"]["fields"]
    assert fields["end_date"] == "The end date cannot be before the start date."
    assert fields["metrics.1.kpi"] == "Each metric needs a different KPI name."
    assert "category" in fields and "cost" in fields

    elsewhere = committed(app, lambda: published_listing(title="Front Range lights", category="lighting", slug="frca"))

    def draft():
        return listings.create_listing(
            consortium=consortium("gpsr"), vendor=org("ParkSense"), actor=user("vendor@parksense.example"),
            data={"title": "Draft sensors", "summary": "Not yet.", "category": "parking"})

    unpublished = committed(app, draft)
    for listing_id in (elsewhere, unpublished, 999999):
        response = client.post("/api/v1/pilots", json=pilot_data(listing_id=listing_id), headers=headers)
        assert response.status_code == 400
        assert response.get_json()["error"]["fields"] == {"listing_id": "No such published listing."}
    listing_id = committed(app, published_listing)
    both = client.post("/api/v1/pilots", json={**pilot_data(), "listing_id": listing_id},
                       headers=headers)
    assert both.get_json()["error"]["fields"] == {
        "vendor_name": "Give either a listing of the marketplace or a vendor name, not both."}
    in_path = client.post(f"/api/v1/listings/{listing_id}/pilots", json=pilot_data(listing_id=listing_id),
                          headers=headers)
    assert in_path.status_code == 400 and in_path.get_json()["error"]["fields"] == {
        "listing_id": "This field is not allowed."}  # the listing is the one in the path
    assert client.post(f"/api/v1/listings/{elsewhere}/pilots", json=pilot_data(listing_id=None),
                       headers=headers).status_code == 404  # another consortium's listing: not found
    assert pilot_count() == before


def test_only_member_staff_record(client, login, api_token):
    for email in ("vendor@parksense.example", "admin@gpsr.example"):
        login(email)
        assert client.get("/c/gpsr/pilots/new").status_code == 403
        assert client.post("/c/gpsr/pilots/new", data=form_data()).status_code == 403
        assert client.post("/api/v1/pilots", json=pilot_data(), headers=api_token(email)).status_code == 403
    login("buyer@boulder.example")
    assert client.post("/c/gpsr/pilots/new", data=form_data()).status_code == 404
    response = client.post("/api/v1/pilots", json=pilot_data(),
                           headers={**api_token("buyer@boulder.example"), "X-Consortium": "gpsr"})
    assert response.status_code == 404
    login(None)
    assert client.get("/c/gpsr/pilots/new").status_code == 302


# --- verification ---------------------------------------------------------------------------------


def test_host_approver_verifies_in_the_browser(app, client, login):
    pilot_id = committed(app, recorded_pilot)
    login("approver@mesa.example")
    page = client.get(f"/c/gpsr/pilots/{pilot_id}").get_data(as_text=True)
    assert "Verify these results" in page
    response = client.post(f"/c/gpsr/pilots/{pilot_id}/verify")
    assert response.status_code == 302
    pilot = load(app, pilot_id)
    assert pilot.status == "verified" and pilot.verified_by_id == user("approver@mesa.example").id
    assert pilot.verified_at is not None
    page = client.get(f"/c/gpsr/pilots/{pilot_id}").get_data(as_text=True)
    assert "Verified" in page and "Verify these results" not in page
    assert "approver@mesa.example" not in page and user("approver@mesa.example").name in page
    assert actions_on(app, pilot_id) == ["pilot.recorded", "pilot.verified"]
    assert client.post(f"/c/gpsr/pilots/{pilot_id}/verify").status_code == 409


def test_admin_verifies_through_the_api(app, client, api_token):
    pilot_id = committed(app, lambda: recorded_pilot("buyer@tempe.example"))
    headers = api_token("admin@gpsr.example")
    response = client.post(f"/api/v1/pilots/{pilot_id}/verify", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "verified" and body["verified_by"]["name"] == user("admin@gpsr.example").name
    assert body["verified_at"]
    again = client.post(f"/api/v1/pilots/{pilot_id}/verify", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"


def test_who_may_not_verify_is_refused(app, client, login, api_token):
    recorded = committed(app, recorded_pilot)
    verified = committed(app, lambda: verified_pilot(title="Verified elsewhere"))
    expectations = [
        ("buyer@mesa.example", recorded, 403),  # sees it, may not confirm results
        ("approver@tempe.example", verified, 403),  # another member's champion
        ("approver@tempe.example", recorded, 404),  # another member's unverified pilot is not visible
        ("vendor@parksense.example", verified, 403),
        ("vendor@parksense.example", recorded, 404),
        ("approver@boulder.example", recorded, 404),  # Front Range
        ("admin@frca.example", verified, 404),
    ]
    for email, pilot_id, status in expectations:
        login(email)
        assert client.post(f"/c/gpsr/pilots/{pilot_id}/verify").status_code == status, email
        api = client.post(f"/api/v1/pilots/{pilot_id}/verify", headers={**api_token(email), "X-Consortium": "gpsr"})
        assert api.status_code == status, email
    assert load(app, recorded).status == "recorded"
    assert actions_on(app, recorded) == ["pilot.recorded"]


# --- proven, evidence, linking --------------------------------------------------------------------


def test_a_listing_is_proven_only_by_a_verified_pilot_that_met_its_targets(app, client, login):
    listing_id = committed(app, published_listing)
    other_id = committed(app, lambda: published_listing(title="Guidance signs"))
    recorded_id = committed(app, lambda: recorded_pilot(listing_id=listing_id))
    committed(app, lambda: verified_pilot(listing_id=other_id, outcome="partially_met"))
    assert proven(app, listing_id, other_id) == set()
    login("approver@mesa.example")
    assert client.post(f"/c/gpsr/pilots/{recorded_id}/verify").status_code == 302
    assert proven(app, listing_id, other_id) == {listing_id}
    with app.app_context():
        found = evidence.verified_pilots_for([listing_id, other_id, 999999])
        assert [p.id for p in found[listing_id]] == [recorded_id]
        assert [p.outcome for p in found[other_id]] == ["partially_met"] and found[999999] == []


@pytest.mark.usefixtures("_transaction")
def test_evidence_partial_shows_each_verified_pilot(app):
    listing_id = committed(app, published_listing)
    committed(app, lambda: verified_pilot(listing_id=listing_id, title="Mesa sensors"))
    committed(app, lambda: verified_pilot("buyer@tempe.example", listing_id=listing_id, title="Tempe sensors",
                                          outcome="not_met"))
    with app.test_request_context("/c/gpsr/listings"):
        use_consortium(consortium("gpsr"))
        shown = evidence.verified_pilots_for([listing_id])[listing_id]
        html = render_template_string('{% include "catalog/pilots/_pilot_evidence.html" %}', pilots=shown)
    assert html.count('data-testid="pilot-evidence"') == 2
    assert "Mesa sensors" in html and "Tempe sensors" in html and "Outcome: Not met" in html
    assert "80 → <strong>97.2</strong>" in html and "/c/gpsr/pilots/" in html


def test_admin_links_a_pilot_to_the_vendors_new_listing(app, client, login, api_token):
    pilot_id = committed(app, lambda: verified_pilot(vendor_name="ParkSense (before joining)", category="mobility"))
    listing_id = committed(app, lambda: published_listing(category="parking"))
    elsewhere = committed(app, lambda: published_listing(title="Front Range lights", category="lighting", slug="frca"))
    assert proven(app, listing_id) == set()
    login("buyer@mesa.example")
    assert client.post(f"/c/gpsr/pilots/{pilot_id}/link", data={"listing_id": listing_id}).status_code == 403
    login("admin@gpsr.example")
    page = client.get(f"/c/gpsr/pilots/{pilot_id}").get_data(as_text=True)
    assert "Link pilot" in page and "In-ground parking sensors — ParkSense" in page
    refused = client.post(f"/c/gpsr/pilots/{pilot_id}/link", data={"listing_id": elsewhere})
    assert refused.status_code == 400 and "No such published listing." in refused.get_data(as_text=True)
    assert client.post(f"/c/gpsr/pilots/{pilot_id}/link", data={"listing_id": listing_id}).status_code == 302
    pilot = load(app, pilot_id)
    assert pilot.listing_id == listing_id and pilot.category == "parking"
    assert pilot.vendor_name == "ParkSense (before joining)"  # kept for history
    assert proven(app, listing_id) == {listing_id}
    assert actions_on(app, pilot_id) == ["pilot.recorded", "pilot.verified", "pilot.linked"]
    again = client.post(f"/api/v1/pilots/{pilot_id}/link", json={"listing_id": listing_id},
                        headers=api_token("admin@gpsr.example"))
    assert again.status_code == 409
    body = client.get(f"/api/v1/pilots/{pilot_id}", headers=api_token("buyer@tempe.example")).get_json()
    assert body["vendor"] == "ParkSense" and body["vendor_name"] == "ParkSense (before joining)"


# --- the library ----------------------------------------------------------------------------------


def _library_data(app) -> dict:
    listing_id = committed(app, lambda: published_listing(title="Adaptive lights", category="lighting"))
    return {
        "mesa_verified": committed(app, lambda: verified_pilot(title="Mesa parking sensors")),
        "tempe_lights": committed(app, lambda: verified_pilot(
            "approver@tempe.example", title="Tempe adaptive lights", listing_id=listing_id, outcome="partially_met",
            metrics=[{"kpi": "Energy use", "unit": "kWh", "direction": "lower", "baseline": "1200", "target": "700",
                      "result": "760"},
                     {"kpi": "Outage repair time", "unit": "hours", "direction": "lower", "baseline": "72",
                      "target": "24", "result": "20"}])),
        "tempe_recorded": committed(app, lambda: recorded_pilot("buyer@tempe.example", title="Tempe unverified")),
        "mesa_recorded": committed(app, lambda: recorded_pilot(title="Mesa unverified", outcome="inconclusive")),
    }


def test_library_shows_verified_pilots_and_your_own_members_recorded_ones(app, client, api_token):
    _library_data(app)
    everything = {"Mesa parking sensors", "Tempe adaptive lights", "Tempe unverified", "Mesa unverified"}
    seen = {}
    for email in ("buyer@mesa.example", "approver@tempe.example", "vendor@parksense.example", "admin@gpsr.example"):
        response = client.get("/api/v1/pilots?per_page=100", headers=api_token(email))
        assert response.status_code == 200
        seen[email] = titles(response) & everything
    assert seen["buyer@mesa.example"] == {"Mesa parking sensors", "Tempe adaptive lights", "Mesa unverified"}
    assert seen["approver@tempe.example"] == {"Mesa parking sensors", "Tempe adaptive lights", "Tempe unverified"}
    assert seen["vendor@parksense.example"] == {"Mesa parking sensors", "Tempe adaptive lights"}
    assert seen["admin@gpsr.example"] == everything
    stranger = client.get("/api/v1/pilots", headers={**api_token("buyer@boulder.example"), "X-Consortium": "gpsr"})
    assert stranger.status_code == 404
    assert titles(client.get("/api/v1/pilots", headers=api_token("buyer@boulder.example"))) & everything == set()


def test_library_filters(app, client, api_token, login):
    _library_data(app)
    headers = api_token("buyer@mesa.example")

    known = {"Mesa parking sensors", "Tempe adaptive lights", "Tempe unverified", "Mesa unverified"}

    def found(query: str) -> set[str]:
        response = client.get(f"/api/v1/pilots?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return titles(response) & known  # the demo pilots are there too

    assert found("category=lighting") == {"Tempe adaptive lights"}
    assert found("outcome=met") == {"Mesa parking sensors"}
    assert found("outcome=inconclusive") == {"Mesa unverified"}
    assert found(f"host={org('Tempe').id}") == {"Tempe adaptive lights"}  # not Tempe's unverified one
    assert found("kpi=ENERGY") == {"Tempe adaptive lights"}
    assert found("kpi=search%20time") == {"Mesa parking sensors", "Mesa unverified"}
    assert found("q=unverified") == {"Mesa unverified"}
    assert found("status=recorded") == {"Mesa unverified"}
    assert found("kpi=100%25") == set()  # % is a character to look for, not a wildcard
    total = client.get("/api/v1/pilots?per_page=100", headers=headers).get_json()["total"]
    page = client.get("/api/v1/pilots?per_page=1&page=2", headers=headers).get_json()
    assert page["total"] == total >= 3 and len(page["results"]) == 1
    bad = client.get("/api/v1/pilots?category=teleportation&host=x", headers=headers)
    assert bad.status_code == 400 and set(bad.get_json()["error"]["fields"]) == {"category", "host"}

    login("buyer@mesa.example")
    page = client.get("/c/gpsr/pilots?category=lighting&kpi=energy&host=" + str(org("Tempe").id)).get_data(as_text=True)
    assert "Tempe adaptive lights" in page and "Mesa parking sensors" not in page and "1 pilot<" in page
    page = client.get(f"/c/gpsr/pilots?host={org('Mesa').id}&kpi=occupancy").get_data(as_text=True)
    assert "Mesa parking sensors" in page and "Mesa unverified" in page and "Tempe" not in page.split("<table")[-1]
    assert client.get("/c/gpsr/pilots?outcome=great").status_code == 400


def test_library_page_issues_a_bounded_number_of_queries(app, client, login, count_queries):
    def add(n: int) -> None:
        with app.test_request_context():
            listing = published_listing(title=f"Sensors batch {n}")
            for i in range(n):
                host = ("buyer@mesa.example", "buyer@tempe.example", "approver@chandler.example")[i % 3]
                pilot = recorded_pilot(host, title=f"Pilot {n}-{i}", **({"listing_id": listing.id} if i % 2 else {}))
                if i % 4:
                    pilots.verify_pilot(pilot, actor=user("admin@gpsr.example"))
            db.session.commit()

    def queries(email: str) -> int:
        login(email)
        with count_queries() as q:
            assert client.get("/c/gpsr/pilots").status_code == 200
        return q.count

    add(3)
    small = {email: queries(email) for email in ("admin@gpsr.example", "buyer@mesa.example")}
    add(30)
    large = {email: queries(email) for email in ("admin@gpsr.example", "buyer@mesa.example")}
    for email in small:
        assert large[email] <= small[email], f"{email}: {small[email]} queries for few pilots, {large[email]} for many"
        assert large[email] <= 12, f"{email}: {large[email]} queries"


def test_pilot_pages_answer_404_to_strangers_and_hide_other_members_unverified_pilots(app, client, login):
    tempe_recorded = committed(app, lambda: recorded_pilot("buyer@tempe.example"))
    login("buyer@mesa.example")
    assert client.get(f"/c/gpsr/pilots/{tempe_recorded}").status_code == 404
    login("buyer@boulder.example")
    assert client.get("/c/gpsr/pilots").status_code == 404
    assert client.get(f"/c/frca/pilots/{tempe_recorded}").status_code == 404
    login(None)
    response = client.get("/c/gpsr/pilots")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
