"""Closeout: an order completes only when nothing is open, terminates with a reason, and both give back
to the vehicle ceiling and the participation limit what was never payable."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.orders.models import Order
from contracts.vehicles.models import Participation, Vehicle
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.conftest import fetch, org
from tests.contracts.invoice_helpers import active_order, invoice, people_for, terms, verify


@pytest.fixture
def people(api_token):
    return people_for(api_token)


def _money(app, order_id, vehicle_id):
    with app.app_context():
        order = db.session.get(Order, order_id)
        vehicle = db.session.get(Vehicle, vehicle_id)
        participation = db.session.scalar(select(Participation).where(
            Participation.vehicle_id == vehicle_id, Participation.member_id == org("Tempe").id))
        return order.committed, vehicle.committed, participation.committed, order.lines_total


def test_complete_is_refused_while_a_window_or_an_invoice_is_open(app, client, people):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    refused = client.post(f"/api/v1/orders/{order_id}/complete", headers=people["buyer"])
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    assert "Window 1 is pending: period 2 has no verified Lighting availability; period 3 has no verified " \
           "Lighting availability." in message
    verify(client, people, order_id, 2, "99.3")
    verify(client, people, order_id, 3, "94.6")
    assert invoice(client, people, order_id, "C-1", "28800.00", period=1).status_code == 201
    refused = client.post(f"/api/v1/orders/{order_id}/complete", headers=people["buyer"])
    assert refused.status_code == 409
    assert "Invoice C-1 ($28,800.00) is waiting for a decision." in refused.get_json()["error"]["message"]
    assert client.get(f"/api/v1/orders/{order_id}", headers=people["buyer"]).get_json()["status"] == "active"


def test_complete_gives_back_what_was_never_payable(app, client, people):
    order_id, vehicle_id = active_order(app, client, people, terms())
    committed, vehicle_committed, participation_committed, lines = _money(app, order_id, vehicle_id)
    assert committed == Decimal("156000.00") + lines  # 3 × (10,000 + 40,000 + 2,000) + the line
    for period, value in ((1, "97.2"), (2, "99.3"), (3, "94.6")):
        verify(client, people, order_id, period, value)
    inv = invoice(client, people, order_id, "C-2", "28800.00", period=1).get_json()
    assert client.post(f"/api/v1/invoices/{inv['id']}/approve", headers=people["buyer"]).status_code == 200
    done = client.post(f"/api/v1/orders/{order_id}/complete", headers=people["buyer"])
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed" and done.get_json()["committed"] == f"{93200 + lines:.2f}"
    after, vehicle_after, participation_after, _ = _money(app, order_id, vehicle_id)
    given_back = committed - after
    assert given_back == Decimal("156000.00") - Decimal("93200.00")
    assert vehicle_after == vehicle_committed - given_back
    assert participation_after == participation_committed - given_back
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "order",
                                                           AuditEvent.object_id == order_id,
                                                           AuditEvent.action == "order.completed"))
        assert event.after["released"] == f"{given_back:.2f}"
    # the invoice decided before the close can still be paid afterwards
    paid = client.post(f"/api/v1/invoices/{inv['id']}/pay", json={"paid_on": "2026-11-04"}, headers=people["buyer"])
    assert paid.status_code == 200


def test_an_order_without_terms_completes_at_its_line_value(app, client, people):
    order_id, vehicle_id = active_order(app, client, people)
    committed, _, _, lines = _money(app, order_id, vehicle_id)
    done = client.post(f"/api/v1/orders/{order_id}/complete", headers=people["buyer"])
    assert done.status_code == 200
    assert _money(app, order_id, vehicle_id)[0] == committed == lines


def _running_terms(periods_ago: int, *, periods=12):
    """Monthly terms whose period `periods_ago + 1` is running today."""
    today = date.today()
    month = today.month - periods_ago
    year = today.year + (month - 1) // 12
    start = date(year, (month - 1) % 12 + 1, 1)
    return terms(start_date=start.isoformat(), periods=periods, holdback_window=3)


def test_terminate_ends_the_periods_not_started_and_trims_the_commitment(app, client, people):
    order_id, vehicle_id = active_order(app, client, people, _running_terms(2))
    committed, vehicle_committed, _, lines = _money(app, order_id, vehicle_id)
    no_reason = client.post(f"/api/v1/orders/{order_id}/terminate", json={}, headers=people["approver"])
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    assert client.post(f"/api/v1/orders/{order_id}/terminate", json={"reason": "Budget cut"},
                       headers=people["buyer"]).status_code == 403
    assert client.post(f"/api/v1/orders/{order_id}/terminate", json={"reason": "Budget cut"},
                       headers=people["vendor"]).status_code == 403
    ended = client.post(f"/api/v1/orders/{order_id}/terminate", json={"reason": "Budget cut"},
                        headers=people["approver"])
    assert ended.status_code == 200, ended.get_json()
    body = ended.get_json()
    assert body["status"] == "terminated" and body["last_period"] == 3 and body["status_reason"] == "Budget cut"
    # three periods (two ended, one running) can still be paid at most 52,000.00 each
    assert body["committed"] == f"{3 * 52000 + lines:.2f}"
    after, vehicle_after, _, _ = _money(app, order_id, vehicle_id)
    assert vehicle_after == vehicle_committed - (committed - after)
    settlement = client.get(f"/api/v1/orders/{order_id}/settlement", headers=people["buyer"]).get_json()
    assert len(settlement["periods"]) == 3
    beyond = client.post(f"/api/v1/orders/{order_id}/observations", headers=people["vendor"],
                         json={"period": 4, "kpi": "availability", "value": "99", "note": ""})
    assert beyond.status_code == 400


def test_the_office_may_terminate_and_a_terminated_order_completes_once_settled(app, client, people):
    order_id, _ = active_order(app, client, people, _running_terms(3, periods=6))
    ended = client.post(f"/api/v1/orders/{order_id}/terminate", json={"reason": "Vendor left the market"},
                        headers=people["admin"])
    assert ended.status_code == 200 and ended.get_json()["last_period"] == 4
    for period, value in ((1, "97.2"), (2, "99.3"), (3, "94.6")):
        verify(client, people, order_id, period, value)
    refused = client.post(f"/api/v1/orders/{order_id}/complete", headers=people["buyer"])
    assert refused.status_code == 409 and "Window 2 is pending: period 4" in refused.get_json()["error"]["message"]


def test_terminating_before_the_first_period_starts_keeps_only_the_lines(app, client, people):
    start = date.today() + timedelta(days=40)
    order_id, vehicle_id = active_order(app, client, people, terms(start_date=start.isoformat()))
    ended = client.post(f"/api/v1/orders/{order_id}/terminate", json={"reason": "Project cancelled"},
                        headers=people["approver"])
    assert ended.status_code == 200 and ended.get_json()["last_period"] == 0
    assert _money(app, order_id, vehicle_id)[0] == _money(app, order_id, vehicle_id)[3]
    done = client.post(f"/api/v1/orders/{order_id}/complete", headers=people["buyer"])
    assert done.status_code == 200, done.get_json()


def test_the_vehicle_page_shows_the_ceiling_given_back(app, client, people, login):
    order_id, vehicle_id = active_order(app, client, people, _running_terms(2))
    committed, _, _, _ = _money(app, order_id, vehicle_id)
    assert client.post(f"/api/v1/orders/{order_id}/terminate", json={"reason": "Budget cut"},
                       headers=people["approver"]).status_code == 200
    given_back = committed - _money(app, order_id, vehicle_id)[0]
    assert given_back == Decimal("9") * Decimal("52000.00")  # nine periods that never started
    login("admin@gpsr.example")
    page = client.get(f"/c/gpsr/vehicles/{vehicle_id}").get_data(as_text=True)
    table = page[page.index('data-testid="vehicle-orders"'):]
    table = table[:table.index("</table>")]
    assert "Terminated" in table and "Tempe" in table
    assert "$468,000.00" in table  # given back, in the order's row
    login("vendor@parksense.example")  # the vendor sees no commitments
    assert 'data-testid="vehicle-orders"' not in client.get(f"/c/gpsr/vehicles/{vehicle_id}").get_data(as_text=True)


def test_terminating_in_the_browser_asks_first_and_says_what_happens_to_the_money(app, client, people, login):
    order_id, vehicle_id = active_order(app, client, people, _running_terms(2))
    committed = _money(app, order_id, vehicle_id)[0]
    login("approver@tempe.example")
    order_page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert f'href="/c/gpsr/orders/{order_id}/terminate">Terminate order</a>' in order_page
    page = client.get(f"/c/gpsr/orders/{order_id}/terminate").get_data(as_text=True).replace("&#39;", "'")
    assert "Periods 4 to 12" in page and "never run: nothing is measured or paid for them." in page
    assert "Periods 1 to 3" in page and "still measured, settled and paid" in page
    assert "$468,000.00 committed against vehicle" in page  # nine periods × 52,000.00 given back
    assert fetch(select(Order.status).where(Order.id == order_id)) == "active"
    assert _money(app, order_id, vehicle_id)[0] == committed  # asking changes nothing
    no_reason = client.post(f"/c/gpsr/orders/{order_id}/terminate", data={"reason": ""})
    assert no_reason.status_code == 400 and "Say why the order is terminated." in no_reason.get_data(as_text=True)
    done = client.post(f"/c/gpsr/orders/{order_id}/terminate", data={"reason": "Budget cut"})
    assert done.status_code == 302
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Order" in page and "terminated." in page
    closeout = page[page.index('data-testid="closeout"'):].split("</dd>", 1)[0]
    assert "Tempe Champion" in closeout and "Budget cut" in closeout
    assert "$468,000.00 given back" in page
    login("buyer@tempe.example")
    assert client.get(f"/c/gpsr/orders/{order_id}/terminate").status_code in (403, 409)
