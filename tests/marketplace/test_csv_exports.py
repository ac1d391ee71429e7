"""CSV exports of list pages and list endpoints: the page's filters apply, rows are those the person sees on
the page (never another member's orders, never another consortium's rows), text is neutralised against
formulas, and the API answers CSV on `?format=csv` or `Accept: text/csv` (JSON otherwise)."""

from __future__ import annotations

import csv
import io

from contracts.orders.models import Order
from marketplace.api import build_openapi
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.contracts.order_factories import make_order, make_vehicle


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _orders(app):
    """A draft and an approved order of Mesa, and a draft of Tempe, under one vehicle."""
    with app.test_request_context():
        vehicle = make_vehicle(participants=(("Tempe", None),))
        mesa_draft = make_order(vehicle, buyer="buyer@mesa.example")
        mesa_submitted = make_order(vehicle, buyer="buyer@mesa.example", status="submitted")
        tempe = make_order(vehicle, buyer="buyer@tempe.example")
        return {o.id: (o.reference, o.status) for o in (mesa_draft, mesa_submitted, tempe)}, vehicle.id


def test_a_member_exports_its_own_orders_with_the_page_filters(app, client, login):
    orders, vehicle_id = _orders(app)
    login("buyer@mesa.example")
    rows = _rows(client.get("/c/gpsr/orders/export.csv"))
    refs = {r["reference"] for r in rows}
    mesa = {ref for ref, _ in list(orders.values())[:2]}
    tempe_ref = list(orders.values())[2][0]
    assert mesa <= refs and tempe_ref not in refs
    assert {r["member"] for r in rows} == {"Mesa"}
    drafts = _rows(client.get(f"/c/gpsr/orders/export.csv?status=draft&vehicle={vehicle_id}"))
    assert [r["status"] for r in drafts] == ["draft"]
    assert drafts[0]["value"].replace(".", "").isdigit() and "$" not in drafts[0]["value"]  # a plain decimal
    page = client.get("/c/gpsr/orders?status=draft").get_data(as_text=True)
    assert "/c/gpsr/orders/export.csv?status=draft" in page and "Download CSV" in page


def test_the_office_exports_every_order_and_the_api_answers_csv(app, client, login, api_token):
    orders, _ = _orders(app)
    login("admin@gpsr.example")
    assert {r["reference"] for r in _rows(client.get("/c/gpsr/orders/export.csv"))} >= {
        ref for ref, _ in orders.values()}
    headers = api_token("buyer@mesa.example")
    by_format = _rows(client.get("/api/v1/orders?format=csv&status=draft", headers=headers))
    by_accept = _rows(client.get("/api/v1/orders?status=draft", headers={**headers, "Accept": "text/csv"}))
    assert by_format == by_accept and [r["member"] for r in by_format] == ["Mesa"]
    as_json = client.get("/api/v1/orders", headers={**headers, "Accept": "application/json"})
    every = _rows(client.get("/api/v1/orders?format=csv", headers=headers))
    assert as_json.is_json and as_json.get_json()["total"] == len(every) >= 2
    assert client.get("/api/v1/orders", headers=headers).is_json
    bad = client.get("/api/v1/orders?format=xml", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {"format": "Use json or csv."}
    bad_filter = client.get("/api/v1/orders?format=csv&status=lost", headers=headers)
    assert bad_filter.status_code == 400 and bad_filter.is_json


def test_all_matching_rows_not_one_page(app, client, api_token):
    with app.test_request_context():
        vehicle = make_vehicle()
        for _ in range(3):
            make_order(vehicle, buyer="buyer@tempe.example")
        total = db.session.query(Order).filter(Order.member.has(name="Tempe")).count()
    rows = _rows(client.get("/api/v1/orders?format=csv&per_page=1", headers=api_token("buyer@tempe.example")))
    assert len(rows) == total >= 3


def test_a_listing_title_that_looks_like_a_formula_is_neutralised(app, client, login, api_token):
    with app.test_request_context():
        make_listing("published", title="=HYPERLINK(\"http://evil.example\",\"Click\") sensors")
    text = client.get("/c/gpsr/catalog/export.csv?q=sensors").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "\r\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    api = client.get("/api/v1/listings?consortium=gpsr&q=sensors", headers={"Accept": "text/csv"})
    assert any(r["title"].startswith("'=HYPERLINK") for r in _rows(api))
    login("vendor@parksense.example")
    mine = _rows(client.get("/c/gpsr/vendor/listings/export.csv"))
    assert any(r["title"].startswith("'=HYPERLINK") for r in mine)
    assert {r["vendor"] for r in mine} == {"ParkSense"}


def test_another_consortiums_rows_never_appear(client, login, api_token):
    login("admin@gpsr.example")
    members = {r["name"] for r in _rows(client.get("/c/gpsr/members/export.csv"))}
    assert "Mesa" in members and "Boulder" not in members
    login("admin@frca.example")
    assert client.get("/c/gpsr/members/export.csv").status_code == 404
    rows = _rows(client.get("/api/v1/organizations?format=csv", headers=api_token("admin@frca.example")))
    assert "Boulder" in {r["name"] for r in rows} and "Mesa" not in {r["name"] for r in rows}


def test_the_directory_shows_approval_limits_to_the_office_only(client, login):
    login("buyer@mesa.example")
    assert {r["approval_limit"] for r in _rows(client.get("/c/gpsr/members/export.csv"))} == {""}
    login("admin@gpsr.example")
    assert any(r["approval_limit"] for r in _rows(client.get("/c/gpsr/members/export.csv")))


def test_vehicles_and_participations_export_with_their_filters(app, client, login):
    with app.test_request_context():
        make_vehicle(number="GPSR-CSV-1", participants=(("Mesa", None),))
        make_vehicle(number="GPSR-CSV-2", status="draft", participants=())
    rows = _rows(client.get("/c/gpsr/vehicles/export.csv"))  # the public sees no drafts
    assert "GPSR-CSV-1" in {r["number"] for r in rows} and "GPSR-CSV-2" not in {r["number"] for r in rows}
    assert "ceiling" not in rows[0]
    login("admin@gpsr.example")
    drafts = _rows(client.get("/c/gpsr/vehicles/export.csv?status=draft"))
    assert {r["status"] for r in drafts} == {"draft"} and "GPSR-CSV-2" in {r["number"] for r in drafts}
    login("buyer@mesa.example")
    mine = _rows(client.get("/c/gpsr/participations/export.csv?status=executed"))
    assert "GPSR-CSV-1" in {r["vehicle"] for r in mine} and {r["member"] for r in mine} == {"Mesa"}


def test_the_openapi_document_lists_the_csv_answers():
    paths = build_openapi()["paths"]
    for path in ("/api/v1/orders", "/api/v1/listings", "/api/v1/pilots", "/api/v1/vehicles", "/api/v1/participations",
                 "/api/v1/organizations", "/api/v1/needs", "/api/v1/notifications",
                 "/api/v1/orders/{order_id}/invoices"):
        get = paths[path]["get"]
        assert "text/csv" in get["responses"]["200"]["content"], path
        assert "application/json" in get["responses"]["200"]["content"], path
        assert any(p["name"] == "format" for p in get["parameters"]), path
    assert "text/csv" not in paths["/api/v1/orders/{order_id}"]["get"]["responses"]["200"]["content"]


def test_streamed_rows_keep_the_tenant_of_the_request(client, api_token):
    """The rows are read after the view returns, on a new session: the consortium is set on it again."""
    gpsr = _rows(client.get("/api/v1/vehicles?consortium=gpsr&format=csv"))
    frca = _rows(client.get("/api/v1/vehicles?format=csv", headers=api_token("admin@frca.example")))
    assert gpsr and frca
    assert {r["number"] for r in gpsr}.isdisjoint({r["number"] for r in frca})
    assert "Boulder" not in {r["lead_agency"] for r in gpsr}
    listings = _rows(client.get("/c/gpsr/catalog/export.csv"))
    assert listings and "(Front Range pricing)" not in " ".join(r["summary"] for r in listings)
