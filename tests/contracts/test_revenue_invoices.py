"""Revenue-share invoices: the city bills the vendor (DESIGN section 4). The buying city's staff invoice a
period's share once its revenue is verified, and a guarantee block's true-up once the block is settled, never
more than is due; the vendor records its payment or rejects the invoice; the direction is spelled out on every
page and in the JSON; the vendor's own invoices and their sums are unaffected."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from consortium.models import User
from contracts.invoices.models import Invoice
from marketplace.extensions import db
from marketplace.notifications.events import listeners
from marketplace.notifications.models import Notification
from tests.conftest import fetch
from tests.contracts.test_revenue_share import EXAMPLE_D, active_order, report_revenue

ISSUED = (date.today() - timedelta(days=2)).isoformat()


@pytest.fixture
def people(api_token):
    return {"buyer": api_token("buyer@tempe.example"), "approver": api_token("approver@tempe.example"),
            "vendor": api_token("vendor@parksense.example"), "admin": api_token("admin@gpsr.example")}


def fetch_all(app, stmt) -> list:
    with app.app_context():
        return list(db.session.scalars(stmt))


def bill(client, people, order_id, number, amount, who="buyer", **target):
    return client.post(f"/api/v1/orders/{order_id}/revenue-invoices", headers=people[who],
                       json={"number": number, "issued_on": ISSUED, "amount": amount, **target})


def test_the_city_bills_shares_and_the_true_up_and_the_vendor_pays(app, client, people):
    order_id, _ = active_order(app, client, people)
    early = bill(client, people, order_id, "TMP-RS-1", "100.00", period=1)
    assert early.status_code == 409 and "its revenue is not verified yet" in early.get_json()["error"]["message"]

    report_revenue(client, people, order_id, ["40000", "50000", "60000", None])
    share = bill(client, people, order_id, "TMP-RS-1", "20000.00", period=1)
    assert share.status_code == 201, share.get_json()
    data = share.get_json()
    assert (data["direction"], data["billed_by"], data["billed_to"]) == ("city_to_vendor", "Tempe", "ParkSense")
    assert (data["period"], data["block"], data["status"]) == (1, None, "submitted")

    too_much = bill(client, people, order_id, "TMP-RS-2", "20000.01", period=1)
    assert too_much.status_code == 409
    assert too_much.get_json()["error"]["fields"] == {"amount": "At most $0.00."}
    pending = bill(client, people, order_id, "TMP-RS-2", "10000.00", block=1)
    assert pending.status_code == 409 and pending.get_json()["error"]["fields"] == {"block": "Nothing to bill yet."}

    report_revenue(client, people, order_id, [None, None, None, "70000"])
    above = bill(client, people, order_id, "TMP-RS-2", "10000.01", block=1)
    assert above.status_code == 409 and "at most $10,000.00" in above.get_json()["error"]["message"]
    true_up = bill(client, people, order_id, "TMP-RS-2", "10000.00", block=1)
    assert true_up.status_code == 201 and true_up.get_json()["block"] == 1

    invoice_id = data["id"]
    assert client.post(f"/api/v1/invoices/{invoice_id}/approve", json={}, headers=people["buyer"]).status_code == 403
    assert client.post(f"/api/v1/invoices/{invoice_id}/pay", json={"paid_on": ISSUED},
                       headers=people["buyer"]).status_code == 403  # the city does not pay its own invoice
    paid = client.post(f"/api/v1/invoices/{invoice_id}/pay", json={"paid_on": ISSUED}, headers=people["vendor"])
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid"

    listed = client.get(f"/api/v1/orders/{order_id}/invoices", headers=people["vendor"]).get_json()
    assert listed["revenue_totals"] == {"billed": "30000.00", "received": "20000.00", "awaiting": "10000.00"}
    assert listed["totals"]["invoiced"] == "0.00"  # the vendor's own invoices: none


def test_the_vendor_rejects_a_wrong_invoice_and_the_city_bills_again(app, client, people):
    order_id, _ = active_order(app, client, people)
    report_revenue(client, people, order_id, ["40000"])
    wrong = bill(client, people, order_id, "TMP-RS-7", "19000.00", period=1).get_json()
    assert client.post(f"/api/v1/invoices/{wrong['id']}/reject", json={"reason": "Quarter 1 was 20,000.00"},
                       headers=people["buyer"]).status_code == 403  # only who receives it rejects it
    rejected = client.post(f"/api/v1/invoices/{wrong['id']}/reject", json={"reason": "Quarter 1 was 20,000.00"},
                           headers=people["vendor"])
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    told = {(n.recipient_id, n.subject) for n in fetch_all(app, select(Notification).where(
        Notification.object_id == wrong["id"], Notification.object_type == "invoice"))}
    buyer = fetch(select(User.id).where(User.email == "buyer@tempe.example"))
    assert (buyer, "Invoice TMP-RS-7 ($19,000.00) was rejected by ParkSense") in told
    again = bill(client, people, order_id, "TMP-RS-8", "20000.00", period=1)
    assert again.status_code == 201


def test_only_the_buying_city_bills_and_numbers_stay_unique_between_the_parties(app, client, people):
    order_id, _ = active_order(app, client, people)
    report_revenue(client, people, order_id, ["40000"])
    assert bill(client, people, order_id, "PS-1", "1.00", who="vendor", period=1).status_code == 403
    assert bill(client, people, order_id, "PS-1", "1.00", who="admin", period=1).status_code == 403
    assert bill(client, people, order_id, "TMP-RS-1", "1.00", period=1).status_code == 201
    again = bill(client, people, order_id, "TMP-RS-1", "1.00", period=1)
    assert again.status_code == 400
    assert again.get_json()["error"]["fields"]["number"] == ("Invoice number TMP-RS-1 is already used on an invoice "
                                                             "between Tempe and ParkSense; choose another.")
    both = bill(client, people, order_id, "TMP-RS-2", "1.00", period=1, block=1)
    assert both.status_code == 400 and "not both" in both.get_json()["error"]["fields"]["period"]


def test_an_order_without_revenue_share_is_not_billed(app, client, people):
    terms = {k: v for k, v in EXAMPLE_D.items() if k != "revenue_share"} | {"fixed_fee": "100.00"}
    order_id, _ = active_order(app, client, people, terms)
    refused = bill(client, people, order_id, "TMP-RS-1", "1.00", period=1)
    assert refused.status_code == 409 and refused.get_json()["error"]["message"] == \
        "This order has no revenue share to bill."


def test_pages_spell_out_who_bills_whom(app, client, people, login):
    order_id, _ = active_order(app, client, people)
    report_revenue(client, people, order_id, ["40000", "50000", "60000", "70000"])
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Revenue share: Tempe invoices ParkSense" in page and 'id="revenue-invoice-form"' in page
    assert 'value="block-1"' in page and "True-up of guarantee block 1 (periods 1–4): $10,000.00 due" in page

    bad = client.post(f"/c/gpsr/orders/{order_id}/revenue-invoices",
                      data={"number": "TMP-RS-9", "issued_on": ISSUED, "period": "block-1", "amount": "10000.01"})
    assert bad.status_code == 409 and "At most $10,000.00." in bad.get_data(as_text=True)
    good = client.post(f"/c/gpsr/orders/{order_id}/revenue-invoices",
                       data={"number": "TMP-RS-9", "issued_on": ISSUED, "period": "block-1", "amount": "10000.00"})
    assert good.status_code == 302
    invoice = fetch(select(Invoice).where(Invoice.number == "TMP-RS-9"))
    assert (invoice.direction, invoice.block, invoice.period) == ("city_to_vendor", 1, None)
    page = client.get(f"/c/gpsr/invoices/{invoice.id}").get_data(as_text=True)
    assert "Tempe invoices ParkSense (revenue share)" in page and "Issued, awaiting payment" in page
    assert "True-up of guarantee block 1" in page and "Record payment" not in page  # the vendor pays

    told = fetch(select(Notification).where(Notification.object_id == invoice.id,
                                            Notification.object_type == "invoice"))
    assert told.subject == "Tempe invoices ParkSense: Invoice TMP-RS-9 ($10,000.00)"

    def waiting() -> list[tuple[str, str]]:
        items = client.get("/api/v1/queue?consortium=gpsr", headers=people["vendor"]).get_json()["items"]
        return [(item["action"], item["title"]) for item in items if item["object_id"] == invoice.id]

    assert waiting() == [("Pay the city's invoice and record the payment",
                          f"Invoice TMP-RS-9 from Tempe (revenue share), $10,000.00 — TO-{order_id:06d} — Tempe, "
                          "$0.00")]
    login("vendor@parksense.example")
    vendor_page = client.get(f"/c/gpsr/invoices/{invoice.id}").get_data(as_text=True)
    assert "Record payment" in vendor_page and "Reject invoice" in vendor_page
    paid = client.post(f"/c/gpsr/invoices/{invoice.id}/pay", data={"paid_on": ISSUED})
    assert paid.status_code == 302
    assert fetch(select(Invoice.status).where(Invoice.id == invoice.id)) == "paid"
    assert waiting() == []


def test_every_revenue_invoice_step_tells_someone(app):
    for action in ("invoice.issued", "invoice.payment_recorded", "invoice.rejected"):
        assert listeners(action), f"nobody is told of {action}"
