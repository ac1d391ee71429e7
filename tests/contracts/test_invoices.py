"""Invoices: never more than is due, decided and paid by the city, shown on the order page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contracts.invoices.models import Invoice
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.conftest import fetch
from tests.contracts.invoice_helpers import active_order, invoice, people_for, terms, verify


@pytest.fixture
def people(api_token):
    return people_for(api_token)


# The demo data's (contracts/demo.py): 8 from BrightStreet, and Tempe's 5 to it for the Wi-Fi revenue share.
DEMO_INVOICES = 13


def _count():
    """Invoices made by the test (beyond the demo's)."""
    return fetch(select(func.count()).select_from(Invoice)) - DEMO_INVOICES


def _order(client, people, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=people["buyer"]).get_json()


def test_a_period_is_invoiced_once_settled_and_never_beyond_its_payable(app, client, people):
    order_id, _ = active_order(app, client, people, terms())
    early = invoice(client, people, order_id, "BS-1001", "100.00", period=1)
    assert early.status_code == 409
    assert "Period 1 (Jan 2025) is not settled yet" in early.get_json()["error"]["message"]
    verify(client, people, order_id, 1, "97.2")  # paid now 28,800.00 (example A)
    too_much = invoice(client, people, order_id, "BS-1001", "28800.01", period=1)
    assert too_much.status_code == 409
    message = too_much.get_json()["error"]["message"]
    assert "$28,800.00 payable" in message and "$0.00 was already invoiced" in message
    assert "at most $28,800.00" in message
    assert _count() == 0
    first = invoice(client, people, order_id, "BS-1001", "20000.00", period=1)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "submitted" and first.get_json()["period"] == 1
    second = invoice(client, people, order_id, "BS-1002", "8800.01", period=1)
    assert second.status_code == 409 and "at most $8,800.00" in second.get_json()["error"]["message"]
    assert invoice(client, people, order_id, "BS-1002", "8800.00", period=1).status_code == 201
    assert _count() == 2


def test_the_window_holdback_is_payable_at_the_windows_last_period(app, client, people):
    order_id, _ = active_order(app, client, people, terms())
    for period, value in ((1, "97.2"), (2, "99.3"), (3, "94.6")):
        verify(client, people, order_id, period, value)
    # period 3: paid now 9,000.00 + the window's 9,320.00 released at it
    assert invoice(client, people, order_id, "X-3", "18320.01", period=3).status_code == 409
    assert invoice(client, people, order_id, "X-3", "18320.00", period=3).status_code == 201


def test_lines_are_invoiced_up_to_what_they_have_left(app, client, people):
    order_id, _ = active_order(app, client, people)
    order = _order(client, people, order_id)
    line = order["lines"][0]
    total = line["total"]
    over = invoice(client, people, order_id, "L-1", f"{float(total) + 0.01:.2f}", lines=[line["id"]])
    assert over.status_code == 409 and "not yet invoiced" in over.get_json()["error"]["message"]
    created = invoice(client, people, order_id, "L-1", total, lines=[line["id"]])
    assert created.status_code == 201
    assert created.get_json()["lines"] == [{"line_id": line["id"], "amount": total}]
    again = invoice(client, people, order_id, "L-2", "0.01", lines=[line["id"]])
    assert again.status_code == 409


def test_rejecting_needs_a_reason_and_frees_the_amount(app, client, people):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    inv = invoice(client, people, order_id, "R-1", "28800.00", period=1).get_json()
    no_reason = client.post(f"/api/v1/invoices/{inv['id']}/reject", json={}, headers=people["buyer"])
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/invoices/{inv['id']}", headers=people["buyer"]).get_json()["status"] == "submitted"
    rejected = client.post(f"/api/v1/invoices/{inv['id']}/reject", json={"reason": "Wrong PO number"},
                           headers=people["buyer"])
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["reason"] == "Wrong PO number"
    assert invoice(client, people, order_id, "R-2", "28800.00", period=1).status_code == 201


def test_approve_then_pay_with_a_date(app, client, people):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    inv = invoice(client, people, order_id, "P-1", "28800.00", period=1).get_json()
    early = client.post(f"/api/v1/invoices/{inv['id']}/pay", json={"paid_on": "2026-11-03"}, headers=people["buyer"])
    assert early.status_code == 409
    assert client.post(f"/api/v1/invoices/{inv['id']}/approve", headers=people["approver"]).status_code == 200
    future = client.post(f"/api/v1/invoices/{inv['id']}/pay", json={"paid_on": "2999-01-01"}, headers=people["buyer"])
    assert future.status_code == 400 and "future" in future.get_json()["error"]["fields"]["paid_on"]
    before = client.post(f"/api/v1/invoices/{inv['id']}/pay", json={"paid_on": "2026-11-01"}, headers=people["buyer"])
    assert before.status_code == 400 and "issued" in before.get_json()["error"]["fields"]["paid_on"]
    paid = client.post(f"/api/v1/invoices/{inv['id']}/pay", json={"paid_on": "2026-11-03"}, headers=people["buyer"])
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "paid" and paid.get_json()["paid_on"] == "2026-11-03"
    listing = client.get(f"/api/v1/orders/{order_id}/invoices", headers=people["vendor"]).get_json()
    assert listing["totals"] == {"invoiced": "28800.00", "approved": "28800.00", "paid": "28800.00",
                                 "outstanding": "0.00", "waiting": "0.00"}
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "invoice", AuditEvent.object_id == inv["id"]).order_by(AuditEvent.id)).all()
    assert actions == ["invoice.submitted", "invoice.approved", "invoice.paid"]


def test_who_may_do_what(app, client, people):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    assert invoice(client, people, order_id, "W-1", "1.00", period=1).status_code == 201
    by_buyer = client.post(f"/api/v1/orders/{order_id}/invoices", headers=people["buyer"],
                           json={"number": "W-2", "issued_on": "2026-11-02", "amount": "1.00", "period": 1})
    assert by_buyer.status_code == 403
    other = client.post(f"/api/v1/orders/{order_id}/invoices", headers=people["other_vendor"],
                        json={"number": "W-3", "issued_on": "2026-11-02", "amount": "1.00", "period": 1})
    assert other.status_code == 404
    inv_id = fetch(select(Invoice.id).where(Invoice.number == "W-1"))
    assert client.post(f"/api/v1/invoices/{inv_id}/approve", headers=people["vendor"]).status_code == 403
    assert client.post(f"/api/v1/invoices/{inv_id}/approve", headers=people["admin"]).status_code == 403


def test_bad_input_gets_field_messages_and_saves_nothing(app, client, people):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    assert invoice(client, people, order_id, "D-1", "1.00", period=1).status_code == 201
    cases = [
        ({"number": "D-1", "issued_on": "2026-11-02", "amount": "1.00", "period": 1}, "number"),
        ({"number": "D-2", "issued_on": "2999-11-02", "amount": "1.00", "period": 1}, "issued_on"),
        ({"number": "D-2", "issued_on": "2026-11-02", "amount": "1.001", "period": 1}, "amount"),
        ({"number": "D-2", "issued_on": "2026-11-02", "amount": "1.00", "period": 4}, "period"),
        ({"number": "D-2", "issued_on": "2026-11-02", "amount": "1.00"}, "period"),
        ({"number": "D-2", "issued_on": "2026-11-02", "amount": "1.00", "period": 1, "lines": [1]}, "period"),
    ]
    for body, field in cases:
        response = client.post(f"/api/v1/orders/{order_id}/invoices", json=body, headers=people["vendor"])
        assert response.status_code == 400, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    assert _count() == 1


def test_the_order_page_shows_invoices_and_the_vendor_form_keeps_its_input(app, client, people, login):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    login("vendor@parksense.example")
    page = client.get(f"/c/gpsr/orders/{order_id}")
    text = page.get_data(as_text=True)
    assert "Submit an invoice" in text and "Period 1 (Jan 2025): $28,800.00 due" in text
    refused = client.post(f"/c/gpsr/orders/{order_id}/invoices",
                          data={"number": "F-1", "issued_on": "2026-11-02", "period": "1", "amount": "99999.00"})
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "at most $28,800.00" in body and 'value="F-1"' in body
    ok = client.post(f"/c/gpsr/orders/{order_id}/invoices",
                     data={"number": "F-1", "issued_on": "2026-11-02", "period": "1", "amount": "28800.00"})
    assert ok.status_code == 302
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "F-1" in page and "Waiting for a decision" in page
    inv_id = fetch(select(Invoice.id).where(Invoice.number == "F-1"))
    assert client.post(f"/c/gpsr/invoices/{inv_id}/approve").status_code == 302
    paid = client.post(f"/c/gpsr/invoices/{inv_id}/pay", data={"paid_on": "2026-11-05"})
    assert paid.status_code == 302
    invoice_page = client.get(f"/c/gpsr/invoices/{inv_id}").get_data(as_text=True)
    assert "Paid on" in invoice_page and "5 Nov 2026" in invoice_page


def test_the_statement_names_the_period_invoices_but_not_a_rejected_one(app, client, people):
    import io

    from pypdf import PdfReader

    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")

    def statement() -> str:
        pdf = client.get(f"/api/v1/orders/{order_id}/statement.pdf?period=1", headers=people["buyer"])
        assert pdf.status_code == 200
        return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())

    assert "Invoice:" not in statement()
    wrong = invoice(client, people, order_id, "BS-7001", "28800.00", period=1).get_json()
    assert client.post(f"/api/v1/invoices/{wrong['id']}/reject", json={"reason": "Wrong PO number"},
                       headers=people["buyer"]).status_code == 200
    right = invoice(client, people, order_id, "BS-7002", "28800.00", period=1).get_json()
    assert "Invoice: BS-7002 ($28,800.00, submitted)" in statement()
    assert client.post(f"/api/v1/invoices/{right['id']}/approve", headers=people["buyer"]).status_code == 200
    assert client.post(f"/api/v1/invoices/{right['id']}/pay", json={"paid_on": "2026-11-04"},
                       headers=people["buyer"]).status_code == 200
    text = statement()
    assert "Invoice: BS-7002 ($28,800.00, paid 4 Nov 2026)" in text and "BS-7001" not in text
