"""Revenue share end to end (DESIGN section 5, example D): terms through the API and the order form, the vendor
reporting gross revenue and the city verifying it, the settlement JSON, the order page and the statement PDF.
A concession (terms with only a revenue share) costs the city nothing and commits nothing."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from contracts.orders.models import Order
from contracts.vehicles.models import Vehicle
from tests.conftest import fetch
from tests.contracts.order_factories import make_vehicle

EXAMPLE_D = {
    "period": "quarter", "periods": 4, "start_date": "2024-01-01", "fixed_fee": "0.00", "at_risk_fee": "0.00",
    "revenue_share": {"kpi": "ad_revenue", "city_share_pct": "50", "minimum_guarantee": "120000.00",
                      "guarantee_periods": 4},
}


@pytest.fixture
def people(api_token):
    return {"buyer": api_token("buyer@tempe.example"), "approver": api_token("approver@tempe.example"),
            "vendor": api_token("vendor@parksense.example")}


def active_order(app, client, people, terms=EXAMPLE_D) -> tuple[int, int]:
    """(order id, vehicle id) of an accepted order with ``terms`` and no lines."""
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="2000000.00")
    created = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "performance": terms, "lines": []},
                          headers=people["buyer"])
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]
    submitted = client.post(f"/api/v1/orders/{order_id}/submit", headers=people["buyer"])
    assert submitted.status_code == 200, submitted.get_json()
    if submitted.get_json()["status"] == "pending_approval":
        client.post(f"/api/v1/orders/{order_id}/approve", headers=people["approver"])
    accepted = client.post(f"/api/v1/orders/{order_id}/accept", headers=people["vendor"])
    assert accepted.get_json()["status"] == "active", accepted.get_json()
    return order_id, vehicle.id


def report_revenue(client, people, order_id, values) -> None:
    """The vendor reports each period's gross revenue and the city verifies it (None skips a period)."""
    for period, value in enumerate(values, start=1):
        if value is None:
            continue
        obs = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                          json={"period": period, "kpi": "ad_revenue", "value": value, "note": "Ad server export"})
        assert obs.status_code == 201, obs.get_json()
        verified = client.post(f"/api/v1/observations/{obs.get_json()['id']}/verify", headers=people["buyer"])
        assert verified.status_code == 200, verified.get_json()


def settlement(client, people, order_id) -> dict:
    response = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"])
    assert response.status_code == 200
    return response.get_json()


def test_example_d_end_to_end(app, client, people):
    order_id, vehicle_id = active_order(app, client, people)
    order = client.get(f"/api/v1/orders/{order_id}", headers=people["buyer"]).get_json()
    assert order["value"] == "0.00" and order["committed"] == "0.00"  # the vendor pays the city
    assert order["performance"]["revenue_share"] == EXAMPLE_D["revenue_share"]
    assert fetch(select(Vehicle.committed).where(Vehicle.id == vehicle_id)) == 0

    report_revenue(client, people, order_id, ["40000", "50000", "60000", "70000"])
    s = settlement(client, people, order_id)
    assert s["revenue"] == [
        {"period": 1, "revenue": "40000.00", "city_share": "20000.00"},
        {"period": 2, "revenue": "50000.00", "city_share": "25000.00"},
        {"period": 3, "revenue": "60000.00", "city_share": "30000.00"},
        {"period": 4, "revenue": "70000.00", "city_share": "35000.00"},
    ]
    assert s["guarantees"] == [{"block": 1, "periods": [1, 2, 3, 4], "city_share": "110000.00",
                                "minimum": "120000.00", "true_up": "10000.00", "status": "settled"}]
    assert s["totals"]["city_revenue"] == "120000.00" and s["totals"]["paid"] == "0.00"
    assert {"code": "ad_revenue", "name": "ad_revenue", "unit": "currency", "unit_label": "USD"} in s["kpis"]


def test_example_d_above_the_minimum_and_a_pending_block(app, client, people):
    order_id, _ = active_order(app, client, people)
    report_revenue(client, people, order_id, ["70000", "80000", "60000", None])
    pending = settlement(client, people, order_id)
    assert pending["guarantees"][0]["status"] == "pending" and pending["guarantees"][0]["true_up"] == "0.00"
    assert pending["totals"]["city_revenue"] == "105000.00"  # the verified shares; no true-up yet
    report_revenue(client, people, order_id, [None, None, None, "50000"])
    settled = settlement(client, people, order_id)
    assert settled["guarantees"][0] == {"block": 1, "periods": [1, 2, 3, 4], "city_share": "130000.00",
                                        "minimum": "120000.00", "true_up": "0.00", "status": "settled"}
    assert settled["totals"]["city_revenue"] == "130000.00"


def test_revenue_is_money_and_never_negative(app, client, people):
    order_id, _ = active_order(app, client, people)
    refused = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                          json={"period": 1, "kpi": "ad_revenue", "value": "-5"})
    assert refused.status_code == 400
    assert "an amount of money" in refused.get_json()["error"]["fields"]["value"]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"city_share_pct": "0"}, "performance.revenue_share.city_share_pct", "above 0 and at most 100"),
    ({"guarantee_periods": 5}, "performance.revenue_share.guarantee_periods", "from 1 to 4"),
    ({"minimum_guarantee": "-1"}, "performance.revenue_share.minimum_guarantee", "from 0"),
])
def test_bad_revenue_share_is_refused_with_field_messages(app, client, people, change, field, message):
    with app.test_request_context():
        vehicle = make_vehicle()
    terms = {**EXAMPLE_D, "revenue_share": {**EXAMPLE_D["revenue_share"], **change}}
    response = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "performance": terms},
                           headers=people["buyer"])
    assert response.status_code == 400
    assert message in response.get_json()["error"]["fields"][field]


def test_the_order_page_and_the_statement_show_the_revenue_share(app, client, people, login):
    order_id, _ = active_order(app, client, people)
    report_revenue(client, people, order_id, ["40000", "50000", "60000", "70000"])
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    revenue = page.split('data-testid="revenue"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">1</th><td class="num">$40,000.00</td><td class="num">$20,000.00</td>' in revenue
    guarantees = page.split('data-testid="guarantees"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">1</th><td>1, 2, 3, 4</td><td class="num">$110,000.00</td>' in guarantees
    assert '<td class="num">$10,000.00</td><td>settled</td>' in guarantees
    assert 'aria-label="Revenue share per period"' in page and 'aria-label="Minimum guarantee blocks"' in page
    assert "$120,000.00 (verified revenue shares and settled true-ups)" in page
    assert 'data-testid="preview-revenue"' in page

    pdf = client.get(f"/c/gpsr/orders/{order_id}/statement.pdf?period=4")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in ("Revenue share", "70,000.00", "35,000.00", "110,000.00", "10,000.00", "120,000.00"):
        assert expected in text, expected


def _concession_form(vehicle, **changes) -> dict:
    form = {"po_number": "WIFI-1", "performance-enabled": "y", "performance-period": "quarter",
            "performance-start_date": "2024-01-01", "performance-periods": "4",
            "performance-revenue_kpi": "ad_revenue", "performance-city_share_pct": "50",
            "performance-minimum_guarantee": "120000.00", "performance-guarantee_periods": "4"}
    for i, item in enumerate(vehicle.schedule):
        form[f"lines-{i}-price_item_id"] = str(item.price_item_id)
        form[f"lines-{i}-quantity"] = ""
    form.update(changes)
    return form


def test_revenue_share_through_the_order_form(app, client, login):
    with app.test_request_context():
        vehicle = make_vehicle()
    login("buyer@tempe.example")
    url = f"/c/gpsr/vehicles/{vehicle.id}/orders/new"
    blank = client.get(url).get_data(as_text=True)
    assert "Revenue share with a minimum guarantee" in blank and 'name="performance-city_share_pct"' in blank

    bad = client.post(url, data=_concession_form(vehicle, **{"performance-city_share_pct": "0",
                                                             "performance-guarantee_periods": ""}))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "must be a percentage above 0 and at most 100" in page and "is required" in page
    assert 'value="ad_revenue"' in page  # what was typed stays

    good = client.post(url, data=_concession_form(vehicle))
    assert good.status_code == 302, good.get_data(as_text=True)[:2000]
    order = fetch(select(Order).order_by(Order.id.desc()))
    assert order.performance["revenue_share"] == EXAMPLE_D["revenue_share"] and order.value == 0
    edit = client.get(f"/c/gpsr/orders/{order.id}/edit").get_data(as_text=True)
    assert 'value="120000.00"' in edit and 'value="ad_revenue"' in edit
    submitted = client.post(f"/c/gpsr/orders/{order.id}/submit")
    assert submitted.status_code == 302
    assert fetch(select(Order.status).where(Order.id == order.id)) in ("approved", "submitted")


def test_an_order_without_value_or_revenue_share_is_still_refused(app, client, people):
    with app.test_request_context():
        vehicle = make_vehicle()
    terms = {k: v for k, v in EXAMPLE_D.items() if k != "revenue_share"}
    created = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "performance": terms},
                          headers=people["buyer"]).get_json()
    refused = client.post(f"/api/v1/orders/{created['id']}/submit", headers=people["buyer"])
    assert refused.status_code == 400 and refused.get_json()["error"]["message"] == "The order has no value."


def test_the_demo_wifi_concession_shows_its_true_up(client, login, api_token):
    order = fetch(select(Order).where(Order.po_number == "TMP-2025-0093"))
    s = client.get(f"/api/v1/orders/{order.id}/settlement", headers=api_token("buyer@tempe.example")).get_json()
    assert [row["city_share"] for row in s["revenue"]] == ["20000.00", "25000.00", "30000.00", "35000.00"]
    assert s["guarantees"][0] | {"periods": None} == {"block": 1, "periods": None, "city_share": "110000.00",
                                                      "minimum": "120000.00", "true_up": "10000.00",
                                                      "status": "settled"}
    assert s["guarantees"][1]["status"] == "pending" and s["totals"]["city_revenue"] == "120000.00"
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order.id}").get_data(as_text=True)
    assert '<td class="num">$10,000.00</td><td>settled</td>' in page
    assert "Revenue share: Tempe invoices BrightStreet Lighting" in page
    assert "Issued, awaiting payment" in page  # the true-up, billed; the four shares paid


def test_a_concession_is_completed_only_once_every_revenue_is_verified(app, client, people):
    order_id, _ = active_order(app, client, people)
    report_revenue(client, people, order_id, ["40000", "50000", "60000"])
    early = client.post(f"/api/v1/orders/{order_id}/complete", json={"reason": "Term over"}, headers=people["buyer"])
    assert early.status_code == 409 and "period 4 has no verified ad revenue" in early.get_json()["error"]["message"]
    report_revenue(client, people, order_id, [None, None, None, "70000"])
    done = client.post(f"/api/v1/orders/{order_id}/complete", json={"reason": "Term over"}, headers=people["buyer"])
    assert done.status_code == 200 and done.get_json()["status"] == "completed"


def test_the_purchase_order_pdf_writes_the_revenue_share_out(app, client, people, login):
    order_id, _ = active_order(app, client, people)
    login("buyer@tempe.example")
    pdf = client.get(f"/c/gpsr/orders/{order_id}/po.pdf")
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Revenue share, paid by the vendor to the city: 50% of each period's verified gross revenue" in text
    assert "at least $120,000.00 for every 4 periods" in text
