"""Irreversible steps go through a confirmation page (marketplace/confirm.py): GET on the step's URL says
what will happen, the money included, in a plain form (no JavaScript) that posts the CSRF token and the
reason to the same URL; the POST stays the only thing that changes state. A page for a step the person
may not take answers as the POST would (403, or 409 with what happened)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.orders.models import Order
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.conftest import fetch
from tests.contracts.order_factories import make_order, make_vehicle


def _text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


def _events() -> int:
    return fetch(select(func.count(AuditEvent.id)))


def _order(order_id: int) -> Order:
    return fetch(select(Order).where(Order.id == order_id))


def assert_plain_form(page: str, action: str) -> None:
    """The confirmation is a plain HTML form: posts to the step's URL with the CSRF token, no script."""
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*data-testid="confirm-form">(.*?)</form>', page, re.S)
    assert form, page[:3000]
    assert form.group(1) == action
    assert 'name="csrf_token"' in form.group(2)
    assert "<script" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    assert "Go back" in form.group(2)


# --- orders ------------------------------------------------------------------------------------


@pytest.fixture
def tempe_order(app, _transaction):
    """An approved Tempe order (value $1,800.00) under a $500,000.00 vehicle Tempe joined with a
    $100,000.00 not-to-exceed."""
    with app.test_request_context():
        vehicle = make_vehicle(participants=(("Tempe", "100000.00"),))
        order = make_order(vehicle, status="approved", quantity="1")
        return order.id, order.reference, order.committed


def test_cancel_page_says_what_happens_to_the_money_and_changes_nothing(client, login, tempe_order):
    order_id, reference, committed = tempe_order
    assert committed > 0
    login("buyer@tempe.example")
    order_page = _text(client.get(f"/c/gpsr/orders/{order_id}"))
    assert f'href="/c/gpsr/orders/{order_id}/cancel">Cancel order</a>' in order_page
    before = _events()
    response = client.get(f"/c/gpsr/orders/{order_id}/cancel")
    page = _text(response)
    assert response.status_code == 200
    assert f"Cancel order {reference}?" in page
    assert f"Order {reference} will be cancelled; it is approved now." in page
    remaining = Decimal("500000.00") - committed + committed
    assert (f"${committed:,.2f} committed against vehicle GPSR-T-001's ceiling is given back; "
            f"${remaining:,.2f} will remain of its $500,000.00.") in page
    assert "Tempe's not-to-exceed under the vehicle gets it back too: $100,000.00 will remain" in page
    assert "Reason (optional)" in page and "This cannot be undone." in page
    assert_plain_form(page, f"/c/gpsr/orders/{order_id}/cancel")
    order = _order(order_id)
    assert (order.status, order.committed, _events()) == ("approved", committed, before)

    response = client.post(f"/c/gpsr/orders/{order_id}/cancel", data={"reason": "Budget moved."})
    assert response.status_code == 302
    order = _order(order_id)
    assert (order.status, order.committed, order.status_reason) == ("cancelled", 0, "Budget moved.")


@pytest.fixture
def mesa_orders(app, _transaction):
    """Mesa's orders under a vehicle Mesa leads: one waiting for its approver, one active, one draft."""
    with app.test_request_context():
        vehicle = make_vehicle(participants=())
        pending = make_order(vehicle, buyer="buyer@mesa.example", quantity="600", status="submitted")
        active = make_order(vehicle, buyer="buyer@mesa.example", quantity="1", status="active")
        draft = make_order(vehicle, buyer="buyer@mesa.example", quantity="1")
        assert pending.status == "pending_approval"
        return {"pending": pending.id, "active": active.id, "draft": draft.id, "active_value": active.committed}


def test_decline_needs_a_reason_at_the_field_and_keeps_what_was_typed(client, login, mesa_orders):
    order_id = mesa_orders["pending"]
    login("approver@mesa.example")
    order_page = _text(client.get(f"/c/gpsr/orders/{order_id}"))
    assert f'href="/c/gpsr/orders/{order_id}/decline">Decline order</a>' in order_page
    asked = _text(client.get(f"/c/gpsr/orders/{order_id}/decline"))
    assert "Reason (required)" in asked and "Decline order" in asked
    assert "committed against vehicle GPSR-T-001's ceiling is given back" in asked

    missing = client.post(f"/c/gpsr/orders/{order_id}/decline", data={"reason": "  "})
    page = _text(missing)
    assert missing.status_code == 400
    assert '<span class="usa-error-message" id="confirm-reason-error" role="alert">A reason is required.</span>' in page
    assert 'href="#confirm-reason"' in page  # the error summary points at the field
    assert_plain_form(page, f"/c/gpsr/orders/{order_id}/decline")

    too_long = "Over budget. " + "x" * 2000
    refused = client.post(f"/c/gpsr/orders/{order_id}/decline", data={"reason": too_long})
    assert refused.status_code == 400
    assert f">{too_long}</textarea>" in _text(refused)
    assert _order(order_id).status == "pending_approval"

    done = client.post(f"/c/gpsr/orders/{order_id}/decline", data={"reason": "Over budget."})
    assert done.status_code == 302
    order = _order(order_id)
    assert (order.status, order.committed, order.status_reason) == ("declined", 0, "Over budget.")


def test_a_step_the_person_may_not_take_answers_like_the_post(client, login, mesa_orders):
    login("buyer@mesa.example")  # the author: only another approver declines
    forbidden = client.get(f"/c/gpsr/orders/{mesa_orders['pending']}/decline")
    assert forbidden.status_code == 403
    assert "Decline order" not in _text(forbidden).split("<main", 1)[-1]
    wrong_state = client.get(f"/c/gpsr/orders/{mesa_orders['active']}/cancel")
    assert wrong_state.status_code == 409
    assert re.search(r"This order was accepted at [0-9:]+ [AP]M MST by ParkSense Sales, "
                     r"so it cannot be cancelled now\.",
                     _text(wrong_state))
    assert client.post(f"/c/gpsr/orders/{mesa_orders['active']}/cancel").status_code == 409

    cancelled = client.post(f"/c/gpsr/orders/{mesa_orders['draft']}/cancel", data={"reason": "Duplicate."})
    assert cancelled.status_code == 302
    again = client.get(f"/c/gpsr/orders/{mesa_orders['draft']}/cancel")
    assert again.status_code == 409
    assert re.search(r"This order was cancelled at [0-9:]+ [AP]M MST by Mesa Buyer, so it cannot be cancelled now.",
                     _text(again)), _text(again)[:3000]
    login("vendor@parksense.example")
    assert client.get(f"/c/gpsr/orders/{mesa_orders['active']}/complete").status_code == 403
    login("buyer@boulder.example")
    assert client.get(f"/c/gpsr/orders/{mesa_orders['active']}/complete").status_code == 404


def test_complete_page_says_what_stays_committed(client, login, mesa_orders):
    order_id, value = mesa_orders["active"], mesa_orders["active_value"]
    login("buyer@mesa.example")
    assert f'href="/c/gpsr/orders/{order_id}/complete">Mark completed</a>' in _text(
        client.get(f"/c/gpsr/orders/{order_id}"))
    before = _events()
    page = _text(client.get(f"/c/gpsr/orders/{order_id}/complete"))
    reference = _order(order_id).reference
    assert f"Mark order {reference} completed?" in page
    assert f"The order stays committed at ${value:,.2f}: what it made payable." in page
    assert f"the whole ${value:,.2f} committed was payable" in page
    assert "Reason (optional)" in page
    assert_plain_form(page, f"/c/gpsr/orders/{order_id}/complete")
    assert (_order(order_id).status, _events()) == ("active", before)
    assert client.post(f"/c/gpsr/orders/{order_id}/complete").status_code == 302
    assert _order(order_id).status == "completed"


def test_confirmation_form_is_csrf_protected(app, client, login, mesa_orders):
    order_id = mesa_orders["draft"]
    login("buyer@mesa.example")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = _text(client.get(f"/c/gpsr/orders/{order_id}/cancel"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post(f"/c/gpsr/orders/{order_id}/cancel", data={"reason": "x"}).status_code == 400
        assert _order(order_id).status == "draft"
        done = client.post(f"/c/gpsr/orders/{order_id}/cancel", data={"reason": "x", "csrf_token": token})
        assert done.status_code == 302
        assert _order(order_id).status == "cancelled"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- listings ----------------------------------------------------------------------------------


def _listing(listing_id: int):
    from catalog.listings.models import Listing

    return fetch(select(Listing).where(Listing.id == listing_id))


def test_withdraw_page_says_the_listing_leaves_the_catalog(app, client, login, _transaction):
    from tests.catalog.factories import make_listing

    with app.test_request_context():
        listing_id = make_listing("published", title="Curb sensors").id
    login("vendor@parksense.example")
    mine = _text(client.get("/c/gpsr/vendor/listings"))
    assert f'href="/c/gpsr/listings/{listing_id}/withdraw">Withdraw' in mine
    before = _events()
    page = _text(client.get(f"/c/gpsr/listings/{listing_id}/withdraw"))
    assert "Withdraw listing “Curb sensors”?" in page
    assert "Listing “Curb sensors” will be withdrawn; it is published now." in page
    assert "No money moves: orders already placed keep their lines and prices." in page
    assert "to offer it again, create a new listing" in page
    assert_plain_form(page, f"/c/gpsr/listings/{listing_id}/withdraw")
    assert (_listing(listing_id).status, _events()) == ("published", before)
    assert client.post(f"/c/gpsr/listings/{listing_id}/withdraw", data={"reason": "Discontinued."}).status_code == 302
    assert _listing(listing_id).status == "withdrawn"
    assert client.get(f"/c/gpsr/listings/{listing_id}/withdraw").status_code == 409
    login("admin@gpsr.example")
    assert client.get(f"/c/gpsr/listings/{listing_id}/withdraw").status_code == 403


def test_withdraw_page_of_a_listing_an_active_vehicle_covers_is_409_naming_it(app, client, login, _transaction):
    with app.test_request_context():
        vehicle = make_vehicle(participants=(), number="GPSR-T-077")
        listing_id = vehicle.listings[0].id
    login("vendor@parksense.example")
    response = client.get(f"/c/gpsr/listings/{listing_id}/withdraw")
    assert response.status_code == 409
    assert "GPSR-T-077" in _text(response)
    assert 'data-testid="confirm-form"' not in _text(response)


def test_request_changes_page_needs_a_reason_for_the_vendor(app, client, login, _transaction):
    from tests.catalog.factories import make_listing

    with app.test_request_context():
        listing_id = make_listing("submitted", title="Leak detection").id
    login("admin@gpsr.example")
    review = _text(client.get(f"/c/gpsr/review/{listing_id}"))
    assert f'href="/c/gpsr/listings/{listing_id}/request-changes">Request changes</a>' in review
    page = _text(client.get(f"/c/gpsr/listings/{listing_id}/request-changes"))
    assert "Send “Leak detection” back for changes?" in page
    assert "ParkSense gets “Leak detection” back to edit and submit again" in page
    assert "ParkSense sees your reason" in page and "Reason (required)" in page
    assert_plain_form(page, f"/c/gpsr/listings/{listing_id}/request-changes")
    missing = client.post(f"/c/gpsr/listings/{listing_id}/request-changes", data={"reason": ""})
    assert missing.status_code == 400 and "usa-error-message" in _text(missing)
    assert _listing(listing_id).status == "submitted"
    login("vendor@parksense.example")
    assert client.get(f"/c/gpsr/listings/{listing_id}/request-changes").status_code == 403


# --- observations ------------------------------------------------------------------------------

# Monthly terms whose first period ended long ago (so it can be reported): $52,000.00 a period at most.
TERMS = {
    "period": "month", "periods": 3, "start_date": "2025-01-01", "fixed_fee": "10000.00", "at_risk_fee": "40000.00",
    "bonus_pool": "2000.00", "holdback_pct": "10", "holdback_window": 3,
    "kpis": [{"code": "availability", "name": "Availability", "unit": "percent", "direction": "higher", "weight": "1",
              "baseline": "97", "floor": "95.0", "target": "99.0", "stretch": "99.5"}],
}


def test_dispute_page_says_the_period_is_not_paid_until_corrected(app, client, login, _transaction):
    from contracts.observations import services as observations
    from contracts.observations.models import Observation
    from tests.conftest import user

    with app.test_request_context():
        vehicle = make_vehicle(participants=())
        order = make_order(vehicle, buyer="buyer@mesa.example", quantity="1", status="active", performance=TERMS)
        obs = observations.report_observation(order, {"period": 1, "kpi": "availability", "value": "97.2"},
                                              actor=user("vendor@parksense.example"))
        db.session.commit()
        obs_id, order_id = obs.id, order.id
    login("buyer@mesa.example")
    panel = _text(client.get(f"/c/gpsr/orders/{order_id}"))
    assert f'href="/c/gpsr/observations/{obs_id}/dispute">Dispute' in panel
    before = _events()
    page = _text(client.get(f"/c/gpsr/observations/{obs_id}/dispute"))
    assert "Dispute availability for period 1 of order" in page
    assert "The value 97.2 of Availability (percent) reported for period 1 (Jan 2025)" in page
    assert ("nothing of the up to $52,000.00 it can pay (fixed fee $10,000.00, at-risk fee $40,000.00) is paid "
            "for it") in page
    assert "Reason (required)" in page
    assert_plain_form(page, f"/c/gpsr/observations/{obs_id}/dispute")
    assert _events() == before
    login("vendor@parksense.example")  # the vendor corrects; only the city disputes
    assert client.get(f"/c/gpsr/observations/{obs_id}/dispute").status_code == 403
    login("buyer@mesa.example")
    missing = client.post(f"/c/gpsr/observations/{obs_id}/dispute", data={"reason": ""})
    assert missing.status_code == 400 and "confirm-reason-error" in _text(missing)
    assert fetch(select(Observation.status).where(Observation.id == obs_id)) == "reported"
    done = client.post(f"/c/gpsr/observations/{obs_id}/dispute", data={"reason": "The outage log disagrees."})
    assert done.status_code == 302
    assert fetch(select(Observation.status).where(Observation.id == obs_id)) == "disputed"
    assert client.get(f"/c/gpsr/observations/{obs_id}/dispute").status_code == 409


# --- vehicles and participation ----------------------------------------------------------------


def test_participation_decline_and_vehicle_termination_pages(app, client, login, _transaction):
    from contracts.vehicles.models import Participation, Vehicle
    from tests.contracts import factories

    with app.test_request_context():
        vehicle = factories.make_vehicle("active")
        participation_id = factories.make_participation(vehicle, member_not_to_exceed="250000.00").id
        vehicle_id, number = vehicle.id, vehicle.number
        db.session.commit()
    login("admin@gpsr.example")
    assert f'href="/c/gpsr/participations/{participation_id}/decline">Decline the request</a>' in _text(
        client.get(f"/c/gpsr/participations/{participation_id}"))
    page = _text(client.get(f"/c/gpsr/participations/{participation_id}/decline"))
    assert f"Decline Mesa's request to join {number}?" in page
    assert "The requested not-to-exceed of $250,000.00 is not granted." in page
    assert "No money moves" in page and "Mesa's approver can request to join again." in page
    assert_plain_form(page, f"/c/gpsr/participations/{participation_id}/decline")
    missing = client.post(f"/c/gpsr/participations/{participation_id}/decline", data={"reason": ""})
    assert missing.status_code == 400 and "confirm-reason-error" in _text(missing)
    assert fetch(select(Participation.status).where(Participation.id == participation_id)) == "requested"

    terminate = _text(client.get(f"/c/gpsr/vehicles/{vehicle_id}/terminate"))
    assert f"Terminate vehicle {number}?" in terminate
    assert "the $0.00 committed by orders already placed stays committed" in terminate.replace("The $", "the $")
    assert "1 pending request to join (Mesa) will be declined with your reason." in terminate
    assert_plain_form(terminate, f"/c/gpsr/vehicles/{vehicle_id}/terminate")
    assert fetch(select(Vehicle.status).where(Vehicle.id == vehicle_id)) == "active"
    missing = client.post(f"/c/gpsr/vehicles/{vehicle_id}/terminate", data={"reason": " "})
    assert missing.status_code == 400 and "confirm-reason-error" in _text(missing)
    assert client.post(f"/c/gpsr/vehicles/{vehicle_id}/terminate", data={"reason": "Fraud."}).status_code == 302
    assert client.get(f"/c/gpsr/vehicles/{vehicle_id}/terminate").status_code == 409
    assert client.get(f"/c/gpsr/participations/{participation_id}/decline").status_code == 409
    login("approver@mesa.example")
    assert client.get(f"/c/gpsr/vehicles/{vehicle_id}/terminate").status_code == 403
