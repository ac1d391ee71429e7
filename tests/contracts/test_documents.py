"""Documents a clerk can file: the purchase-order PDF and the statement PDF (issue #12).

Each test renders the real PDF through the routes (or the document function), extracts its text with pypdf
and checks what a clerk looks for: parties with addresses, the vehicle and its admin fee, the terms in words,
period dates, the approval record, page numbers; KPI names with units, factors as percentages and money
written one way ("$23,333.33")."""

import io
import re

import pytest
from flask import g
from pypdf import PdfReader
from sqlalchemy import select

from consortium import services as people
from contracts.observations.documents import render_statement
from contracts.observations.services import settlement_for
from contracts.orders.models import Order
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.tenancy import set_current_consortium
from tests.conftest import consortium
from tests.contracts.order_factories import make_vehicle

# Worked example A with the floor at 96: a verified 97.0 gives pf = (97 − 96) / (99 − 96) = 1/3 exactly.
TERMS = {
    "period": "month", "periods": 3, "start_date": "2025-01-01", "fixed_fee": "10000.00", "at_risk_fee": "40000.00",
    "bonus_pool": "2000.00", "holdback_pct": "10", "holdback_window": 3,
    "kpis": [{"code": "availability", "name": "Availability", "unit": "percent", "direction": "higher",
              "weight": "1", "baseline": "97", "floor": "96.0", "target": "99.0", "stretch": "99.5"}],
}
CREDITS = {"kpi": "uptime", "applies_to": "fixed_fee", "cap_pct": "50",
           "tiers": [{"below": "99.9", "credit_pct": "10"}, {"below": "99.0", "credit_pct": "25"}]}
SAVINGS = {"kpi": "energy_use", "baseline_use": "4000000", "unit_price": "0.11",
           "adjustments": [{"amount": "100000", "reason": "New streets added"}],
           "vendor_share_pct": "70", "vendor_cap": "180000.00", "guaranteed_savings": "200000.00"}


@pytest.fixture
def people_tokens(api_token):
    return {"buyer": api_token("buyer@tempe.example"), "approver": api_token("approver@tempe.example"),
            "vendor": api_token("vendor@parksense.example")}


def _active_order(app, client, tokens, terms) -> int:
    """Tempe's order under a Mesa-led vehicle: submitted by the buyer, above Tempe's limit so approved by
    the champion with a reason, accepted by the vendor."""
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="5000000.00")
    body = {"vehicle_id": vehicle.id, "performance": terms, "po_number": "TMP-2025-0107", "lines": []}
    created = client.post("/api/v1/orders", json=body, headers=tokens["buyer"])
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]
    assert client.post(f"/api/v1/orders/{order_id}/submit", headers=tokens["buyer"]).get_json()["status"] == \
        "pending_approval"
    approved = client.post(f"/api/v1/orders/{order_id}/approve", headers=tokens["approver"],
                           json={"reason": "Budgeted in FY2025-26."})
    assert approved.status_code == 200, approved.get_json()
    accepted = client.post(f"/api/v1/orders/{order_id}/accept", headers=tokens["vendor"])
    assert accepted.get_json()["status"] == "active", accepted.get_json()
    return order_id


def _verify(client, tokens, order_id, period, kpi, value):
    obs = client.post(f"/api/v1/orders/{order_id}/observations", headers=tokens["vendor"],
                      json={"period": period, "kpi": kpi, "value": value, "note": "Network operations export"})
    assert obs.status_code == 201, obs.get_json()
    verified = client.post(f"/api/v1/observations/{obs.get_json()['id']}/verify", headers=tokens["buyer"])
    assert verified.status_code == 200, verified.get_json()


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(response.data)).pages
    return "\n".join(page.extract_text() for page in pages)


def _flat(text: str) -> str:
    """The text with its line breaks folded, so a sentence the PDF wrapped still reads as one."""
    return re.sub(r"\s+", " ", text)


def test_purchase_order_pdf_carries_what_a_clerk_files(app, client, people_tokens, login):
    terms = {**TERMS, "service_credits": CREDITS, "shared_savings": SAVINGS}
    order_id = _active_order(app, client, people_tokens, terms)
    login("buyer@tempe.example")
    text = _text(client.get(f"/c/gpsr/orders/{order_id}/po.pdf"))
    flat = _flat(text)
    # parties with their postal addresses, as the demo gives them
    for expected in ("Tempe", "31 East Fifth Street", "Tempe, AZ 85281", "ParkSense", "410 North 44th Street",
                     "Phoenix, AZ 85008", "Mesa", "20 East Main Street"):
        assert expected in text, expected
    # the vehicle, its admin fee, the PO number and the not-to-exceed value written as money
    assert "GPSR-T-001" in text and "1.5% of the order" in flat and "TMP-2025-0107" in text
    assert "$696,000.00" in text  # 3 × (10,000 + 40,000 + 2,000 + 180,000 vendor cap)
    # the performance terms in words
    for sentence in ("10% of each period's amount is withheld and released after every 3 periods if each KPI's "
                     "average meets its floor",
                     "fixed fee of $10,000.00 and an at-risk fee of $40,000.00",
                     "A bonus pool of $2,000.00 per period",
                     "Service credits on the fixed fee, by Uptime (%)", "below 99.9: 10%; below 99: 25%",
                     "at most 50% of the fixed fee per period",
                     "Shared savings (IPMVP), measured by Energy use (kWh)", "× $0.11 per unit",
                     "The vendor receives 70% of the savings, at most $180,000.00 per period",
                     "guarantees savings of $200,000.00"):
        assert sentence in flat, sentence
    # each KPI with its name and unit, floor, target, stretch and weight; never its code
    assert "Availability (%)" in text and "96" in text and "99.5" in text and "100.00%" in text
    assert "availability" not in text
    # period dates from the terms' start date
    assert "Period 1 starts on 1 Jan 2025" in flat and "period 3, the last, ends on 31 Mar 2025" in flat
    assert "Period 1: Jan 2025" in text and "Period 3: Mar 2025" in text
    # the approval and acceptance record: who, for whom, why
    for expected in ("Tempe Buyer, Tempe", "Tempe Champion, Tempe", "Budgeted in FY2025-26.",
                     "ParkSense Sales, ParkSense", "Approved", "Accepted"):
        assert expected in flat, expected
    assert re.search(r"Page 1 of \d", text)


def test_the_api_serves_the_same_purchase_order(app, client, people_tokens):
    order_id = _active_order(app, client, people_tokens, TERMS)
    response = client.get(f"/api/v1/orders/{order_id}/po.pdf", headers=people_tokens["vendor"])
    text = _text(response)
    assert f'filename="TO-{order_id:06d}.pdf"' in response.headers["Content-Disposition"]
    assert "410 North 44th Street" in text and "Tempe Champion" in text and "Page 1 of" in text
    assert "Availability (%)" in text and "$156,000.00" in text


def test_statement_pdf_shows_dates_names_and_factors_as_percentages(app, client, people_tokens):
    order_id = _active_order(app, client, people_tokens, TERMS)
    _verify(client, people_tokens, order_id, 1, "availability", "97.0")
    text = _text(client.get(f"/api/v1/orders/{order_id}/statement.pdf?period=1", headers=people_tokens["buyer"]))
    flat = _flat(text)
    assert "Period 1: Jan 2025 (1 Jan 2025 – 31 Jan 2025)" in flat
    assert "Availability (%)" in text and "Evidence for Availability (%): Network operations export" in flat
    assert "33.33%" in text and "100.00%" in text  # pf and the KPI's weight
    assert "0.3333" not in text and "availability" not in text
    # at-risk 40,000.00 × 1/3 = 13,333.33; gross 23,333.33; holdback 2,333.33; paid now 21,000.00
    for amount in ("$13,333.33", "$23,333.33", "$2,333.33", "$21,000.00"):
        assert amount in text, amount
    assert "Invoice:" not in text
    assert re.search(r"Page 1 of \d", text)


def test_a_pending_statement_names_the_missing_kpi(app, client, people_tokens):
    order_id = _active_order(app, client, people_tokens, TERMS)
    text = _flat(_text(client.get(f"/api/v1/orders/{order_id}/statement.pdf?period=2",
                                  headers=people_tokens["buyer"])))
    assert "Period 2: Feb 2025 (1 Feb 2025 – 28 Feb 2025)" in text
    assert "no verified value yet for Availability (%)" in text


def test_statement_prints_the_invoice_reference_when_given(app, client, people_tokens):
    order_id = _active_order(app, client, people_tokens, TERMS)
    _verify(client, people_tokens, order_id, 1, "availability", "97.0")
    with app.test_request_context():
        g.consortium = consortium("gpsr")
        set_current_consortium(g.consortium.id)
        order = db.session.scalar(select(Order).where(Order.id == order_id))
        pdf = render_statement(order, settlement_for(order), 1, invoice_reference="PS-2025-0001")
        set_current_consortium(None)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Invoice: PS-2025-0001" in text


def test_an_organization_address_is_limited(ctx):
    gpsr = consortium("gpsr")
    org = people.create_organization(kind="vendor", name="Signal Works", consortium=gpsr,
                                     address="  500 Market Street\nSuite 4\nPhoenix, AZ 85004  ")
    assert org.address == "500 Market Street\nSuite 4\nPhoenix, AZ 85004"
    with pytest.raises(ValidationFailed) as err:
        people.create_organization(kind="vendor", name="Long Address Co", consortium=gpsr, address="x" * 501)
    assert "at most 500 characters" in err.value.fields["address"]
