"""Nobody misses their turn: an order above Tempe's approval limit travels from buyer to approver to vendor
and back, each turn announced by one e-mail through a real SMTP server, with a link that opens the order."""

from __future__ import annotations

import re

from tests.contracts.order_factories import lines_for, make_vehicle
from tests.mailbox import html_of, text_of

BUYER, APPROVER, VENDOR = "buyer@tempe.example", "approver@tempe.example", "vendor@parksense.example"


def _deliver(app) -> str:
    result = app.test_cli_runner().invoke(args=["notifications", "deliver"])
    assert result.exit_code == 0, result.output
    return result.output


def _subject(message) -> str:
    """The subject as a mail reader shows it (a folded header is unfolded and trimmed)."""
    return " ".join(str(message["Subject"]).split())


def _link(message) -> str:
    [url] = re.findall(r"^Open it: (http://localhost/\S+)\s*$", text_of(message), flags=re.MULTILINE)
    return url


def test_each_turn_of_an_order_reaches_the_next_person_by_mail_once(app, client, login, api_token, smtp_server):
    with app.test_request_context():
        vehicle = make_vehicle()
    _deliver(app)  # whatever setting up the vehicle announced
    smtp_server.clear()
    buyer, approver, vendor = api_token(BUYER), api_token(APPROVER), api_token(VENDOR)

    # 200 luminaires and 200 nodes: $102,600.00, above Tempe's $100,000.00 approval limit.
    created = client.post("/api/v1/orders", headers=buyer,
                          json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "200"), "po_number": "TMP-77"})
    order_id = created.get_json()["id"]
    assert client.post(f"/api/v1/orders/{order_id}/submit", headers=buyer).get_json()["status"] == "pending_approval"
    assert smtp_server.messages == []  # nothing leaves before the deliverer runs
    assert "1 sent" in _deliver(app)

    [mail] = smtp_server.to(APPROVER)
    assert len(smtp_server.messages) == 1  # the buyer is not told of their own order, the vendor not yet
    reference = f"TO-{order_id:06d}"
    assert _subject(mail) == (f"[Greater Phoenix Smart Region] Order {reference} (PO TMP-77) needs your approval: "
                               "$102,600.00 is above Tempe's limit of $100,000.00")
    link = _link(mail)
    assert link == f"http://localhost/c/gpsr/orders/{order_id}"
    assert link in html_of(mail)
    login(APPROVER)
    page = client.get(link)
    assert page.status_code == 200 and reference in page.get_data(as_text=True)

    approved = client.post(f"/api/v1/orders/{order_id}/approve", headers=approver, json={"reason": "FY27 budget"})
    assert approved.get_json()["status"] == "approved"
    smtp_server.clear()
    _deliver(app)
    [mail] = smtp_server.to(VENDOR)
    assert len(smtp_server.messages) == 1
    assert f"Order {reference} (PO TMP-77) from Tempe is approved" in _subject(mail)
    assert _link(mail) == link

    assert client.post(f"/api/v1/orders/{order_id}/accept", headers=vendor).get_json()["status"] == "active"
    smtp_server.clear()
    _deliver(app)
    [mail] = smtp_server.to(BUYER)
    assert _subject(mail) == f"[Greater Phoenix Smart Region] ParkSense accepted Order {reference} (PO TMP-77)"
    assert len(smtp_server.to(APPROVER)) == 1 and smtp_server.to(VENDOR) == []
    login(BUYER)
    assert client.get(_link(mail)).status_code == 200

    smtp_server.clear()
    assert _deliver(app).startswith("0 sent")
    assert smtp_server.messages == []  # every notification is e-mailed once
