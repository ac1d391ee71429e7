"""Who is told what (DESIGN section 7): every event writes its notifications in its own transaction, to the
people the table names and to no one else; the person who acted is never told of their own step."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalog.listings import services as listings
from consortium import services as people_services
from contracts.invoices import services as invoices
from contracts.observations import services as observations
from contracts.orders import services as orders
from contracts.vehicles.signing import services as signing
from marketplace.extensions import db
from marketplace.notifications import events
from marketplace.notifications.models import Notification
from tests.catalog.factories import make_listing
from tests.conftest import consortium, org, user
from tests.contracts.factories import COUNTERSIGN, SIGN, make_participation
from tests.contracts.factories import make_vehicle as make_draft_vehicle
from tests.contracts.invoice_helpers import STREET_LIGHTS
from tests.contracts.order_factories import load_vehicle, make_order, make_vehicle

BUYER, APPROVER, VENDOR = "buyer@tempe.example", "approver@tempe.example", "vendor@parksense.example"


def _mark() -> int:
    return db.session.scalar(select(func.coalesce(func.max(Notification.id), 0)))


def _told(since: int) -> dict[str, list[Notification]]:
    """The notifications written after `since`, by recipient e-mail."""
    found: dict[str, list[Notification]] = {}
    for note in db.session.scalars(select(Notification).where(Notification.id > since).order_by(Notification.id)):
        found.setdefault(note.recipient.email, []).append(note)
    return found


def _me(email: str):
    return db.session.merge(user(email))


def _add_person(email: str, organization: str, role: str, *, active: bool = True):
    person = people_services.create_user(email=email, name=email.split("@")[0].title(), password="long-enough-pass",
                                         organization=db.session.merge(org(organization)), role=role,
                                         consortium=db.session.merge(consortium("gpsr")))
    person.is_active = active
    db.session.flush()
    return person


# --- the registry ---------------------------------------------------------------------------------------


def test_every_action_of_the_table_has_a_listener(app):
    for action in ("listing.submitted", "listing.approved", "listing.changes_requested", "listing.suspended",
                   "listing.revision_proposed", "listing.revision_approved", "listing.revision_changes_requested",
                   "participation.requested", "participation.executed", "participation.declined",
                   "order.pending_approval", "order.approved", "order.accepted", "order.declined",
                   "observation.reported", "observation.corrected", "observation.disputed",
                   "invoice.submitted", "invoice.approved", "invoice.rejected", "invoice.paid"):
        assert events.listeners(action), f"nobody is told of {action}"
    assert not events.listeners("order.created")  # drafting tells nobody


def test_a_rolled_back_event_notifies_nobody(ctx):
    vehicle = make_vehicle()
    order = make_order(vehicle, quantity="200")  # a draft above Tempe's approval limit
    before = _mark()
    savepoint = db.session.begin_nested()
    orders.submit_order(order, actor=_me(BUYER))
    assert APPROVER in _told(before)  # written in the event's own transaction…
    savepoint.rollback()
    assert _told(before) == {}  # …and gone with it


# --- listings -------------------------------------------------------------------------------------------


def test_a_submitted_listing_tells_the_admins_of_its_consortium_only(ctx):
    listing = make_listing("draft", vendor_email="vendor@brightstreet.example")
    since = _mark()
    listings.submit_listing(listing, actor=_me("vendor@brightstreet.example"))
    told = _told(since)
    assert set(told) == {"admin@gpsr.example"}  # not the FRCA office, not the vendor who submitted it
    [note] = told["admin@gpsr.example"]
    assert note.kind == "listing_review" and note.link == f"/c/gpsr/review/{listing.id}"
    assert note.subject == f"Listing “{listing.title}” by BrightStreet Lighting waits for your review"
    assert note.email_status == "pending"


@pytest.mark.parametrize("step, words", [
    ("approve", "is published"), ("request_changes", "was sent back for changes"), ("suspend", "was suspended")])
def test_a_listing_decision_tells_the_vendors_users(ctx, step, words):
    listing = make_listing("published" if step == "suspend" else "submitted")
    since = _mark()
    admin = _me("admin@gpsr.example")
    if step == "approve":
        listings.approve_listing(listing, actor=admin)
    elif step == "request_changes":
        listings.request_changes(listing, actor=admin, reason="Add the monthly service price.")
    else:
        listings.suspend_listing(listing, actor=admin, reason="Safety recall under review.")
    told = _told(since)
    assert set(told) == {VENDOR}  # the admin who decided is not told
    [note] = told[VENDOR]
    assert note.kind == "listing_decided" and words in note.subject
    assert note.link == f"/c/gpsr/listings/{listing.id}"
    if step != "approve":
        assert ("Add the monthly service price." in note.body) or ("Safety recall under review." in note.body)


def test_a_revision_tells_the_admins_and_its_decision_the_vendor(ctx):
    listing = make_listing("published")
    vendor, admin = _me(VENDOR), _me("admin@gpsr.example")
    since = _mark()
    listings.update_listing(listing, {"title": "Occupancy sensors, second generation"}, actor=vendor, partial=True)
    told = _told(since)
    assert set(told) == {"admin@gpsr.example"}
    assert told["admin@gpsr.example"][0].subject.startswith("ParkSense proposes changes to")
    since = _mark()
    listings.request_changes(listing, actor=admin, reason="Keep the product name.")
    told = _told(since)
    assert set(told) == {VENDOR} and "Keep the product name." in told[VENDOR][0].body
    listings.update_listing(listing, {"title": "Occupancy sensors, 2nd generation"}, actor=vendor, partial=True)
    since = _mark()
    listings.approve_listing(listing, actor=admin)
    told = _told(since)
    assert set(told) == {VENDOR} and told[VENDOR][0].subject.endswith("are live")


# --- participation --------------------------------------------------------------------------------------


def test_a_participation_request_tells_the_admins_and_its_decision_the_members_approvers(ctx):
    vehicle = make_draft_vehicle("active")
    since = _mark()
    participation = make_participation(vehicle, approver="approver@mesa.example", member_not_to_exceed="250000.00")
    told = _told(since)
    assert set(told) == {"admin@gpsr.example"}  # not the approver who asked, not the FRCA office
    [note] = told["admin@gpsr.example"]
    assert note.subject == f"Mesa asks to join vehicle {vehicle.number}" and "$250,000.00" in note.body
    assert note.kind == "participation" and note.link == f"/c/gpsr/participations/{participation.id}"

    since = _mark()
    signing.sign_participation(participation, SIGN, actor=_me("approver@mesa.example"))
    told = _told(since)
    assert set(told) == {"admin@gpsr.example"}  # the member signed: the office countersigns
    assert told["admin@gpsr.example"][0].subject == f"Mesa signed its participating addendum to {vehicle.number}"
    assert told["admin@gpsr.example"][0].link == f"/c/gpsr/participations/{participation.id}/approve"

    since = _mark()
    signing.countersign_participation(participation, COUNTERSIGN, actor=_me("admin@gpsr.example"))
    told = _told(since)
    assert set(told) == {"approver@mesa.example"}  # not Mesa's buyer, not the admin who approved
    assert told["approver@mesa.example"][0].subject == f"Mesa may now buy under vehicle {vehicle.number}"


def test_a_declined_participation_tells_the_members_approvers_why(ctx):
    vehicle = make_draft_vehicle("active")
    since = _mark()
    make_participation(vehicle, "declined", approver="approver@scottsdale.example")
    told = _told(since)
    assert set(told) == {"admin@gpsr.example", "approver@scottsdale.example"}
    [note] = told["approver@scottsdale.example"]
    assert note.subject.endswith("was declined") and "The ceiling is nearly used up." in note.body


# --- orders ---------------------------------------------------------------------------------------------


def test_an_order_above_the_limit_tells_the_members_approvers_except_its_author(ctx):
    _add_person("deputy@tempe.example", "Tempe", "approver")
    _add_person("gone@tempe.example", "Tempe", "approver", active=False)
    vehicle = make_vehicle()
    # Tempe's approver drafts the order: the other approver decides, never the author.
    order = make_order(vehicle, buyer=APPROVER, quantity="200")
    since = _mark()
    orders.submit_order(order, actor=_me(APPROVER))
    told = _told(since)
    assert set(told) == {"deputy@tempe.example"}  # not the author, not a deactivated approver, not the vendor
    [note] = told["deputy@tempe.example"]
    assert note.kind == "order_approval" and note.link == f"/c/gpsr/orders/{order.id}"
    assert note.subject == (f"Order {order.reference} (PO PO-1) needs your approval: $102,600.00 is above "
                            "Tempe's limit of $100,000.00")


def test_an_approved_order_tells_the_vendor_and_not_the_city(ctx):
    vehicle = make_vehicle()
    order = make_order(vehicle, quantity="200")
    orders.submit_order(order, actor=_me(BUYER))
    since = _mark()
    orders.approve_order(order, actor=_me(APPROVER), reason="In the FY27 budget")
    told = _told(since)
    assert set(told) == {VENDOR}
    [note] = told[VENDOR]
    assert note.kind == "order_progress" and note.subject.endswith("from Tempe is approved: accept or decline it")
    assert "approved by Tempe Champion" in note.body


def test_an_order_within_the_limit_tells_the_vendor_at_once(ctx):
    vehicle = make_vehicle()
    order = make_order(vehicle, quantity="10")
    since = _mark()
    orders.submit_order(order, actor=_me(BUYER))
    told = _told(since)
    assert set(told) == {VENDOR}  # nobody needs to approve it
    assert "approved on submission" in told[VENDOR][0].body


def test_an_accepted_order_tells_its_author_and_the_members_approvers(ctx):
    vehicle = make_vehicle()
    order = make_order(vehicle, quantity="10", status="approved")
    since = _mark()
    orders.accept_order(order, actor=_me(VENDOR))
    told = _told(since)
    assert set(told) == {BUYER, APPROVER}  # not the vendor who accepted, not other cities
    assert told[BUYER][0].subject == f"ParkSense accepted Order {order.reference} (PO PO-1)"


def test_a_declined_order_tells_its_author_and_the_other_approvers(ctx):
    vehicle = make_vehicle()
    order = make_order(vehicle, quantity="200")
    orders.submit_order(order, actor=_me(BUYER))
    since = _mark()
    orders.decline_order(order, actor=_me(APPROVER), reason="Not in this year's budget.")
    told = _told(since)
    assert set(told) == {BUYER}  # the approver who declined is not told of it
    [note] = told[BUYER]
    assert note.subject == f"Order {order.reference} (PO PO-1) was declined by Tempe Champion of Tempe"
    assert "Not in this year's budget." in note.body


def test_an_order_the_vendor_declines_tells_the_city(ctx):
    vehicle = make_vehicle()
    order = make_order(vehicle, quantity="10", status="approved")
    since = _mark()
    orders.decline_order(order, actor=_me(VENDOR), reason="Cannot deliver before spring.")
    told = _told(since)
    assert set(told) == {BUYER, APPROVER}
    assert told[APPROVER][0].subject.endswith("was declined by ParkSense")


# --- measurements and invoices ------------------------------------------------------------------------


@pytest.fixture
def active_performance_order(ctx):
    vehicle = load_vehicle(make_vehicle(ceiling="2000000.00").id)
    return make_order(vehicle, quantity="1", status="active", performance=STREET_LIGHTS)


def test_a_reported_measurement_tells_the_author_and_approvers_and_a_dispute_the_vendor(active_performance_order):
    order = active_performance_order
    since = _mark()
    obs = observations.report_observation(order, {"period": 1, "kpi": "availability", "value": "94.6",
                                                  "note": "Storm outages"}, actor=_me(VENDOR))
    told = _told(since)
    assert set(told) == {BUYER, APPROVER}
    [note] = told[BUYER]
    assert note.kind == "measurement" and note.link == f"/c/gpsr/orders/{order.id}#performance"
    assert note.subject == (f"ParkSense reported Lighting availability for period 1 of Order {order.reference} "
                            "(PO PO-1): 94.6%")
    assert "Period 1 (Jan 2025)" in note.body and "Storm outages" in note.body

    since = _mark()
    observations.dispute_observation(obs, actor=_me(BUYER), reason="The export misses three circuits.")
    told = _told(since)
    assert set(told) == {VENDOR}  # the buyer who disputed is not told; the approver neither
    assert told[VENDOR][0].subject.startswith("Tempe disputed Lighting availability for period 1")
    assert "The export misses three circuits." in told[VENDOR][0].body

    since = _mark()
    observations.correct_observation(obs, {"value": "97.1"}, actor=_me(VENDOR))
    told = _told(since)
    assert set(told) == {BUYER, APPROVER}
    assert "corrected" in told[APPROVER][0].subject and "(it was 94.6% before the dispute)" in told[APPROVER][0].body


def test_an_invoice_tells_the_city_and_its_decisions_the_vendor(active_performance_order):
    order = active_performance_order
    obs = observations.report_observation(order, {"period": 1, "kpi": "availability", "value": "99.2"},
                                          actor=_me(VENDOR))
    observations.verify_observation(obs, actor=_me(BUYER))
    due = invoices.periods_due(order)[0].due
    since = _mark()
    invoice = invoices.submit_invoice(order, {"number": "PS-1001", "issued_on": "2026-11-02", "period": 1,
                                              "amount": str(due)}, actor=_me(VENDOR))
    told = _told(since)
    assert set(told) == {BUYER, APPROVER}
    assert told[BUYER][0].subject.startswith("Invoice PS-1001 for $") and told[BUYER][0].kind == "invoice"
    assert told[BUYER][0].link == f"/c/gpsr/invoices/{invoice.id}"

    since = _mark()
    invoices.approve_invoice(invoice, actor=_me(APPROVER))
    assert set(_told(since)) == {VENDOR}
    since = _mark()
    invoices.pay_invoice(invoice, actor=_me(BUYER), paid_on="2026-11-20")
    told = _told(since)
    assert set(told) == {VENDOR} and told[VENDOR][0].subject.endswith("was paid on 20 Nov 2026")


def test_a_rejected_invoice_tells_the_vendor_why(active_performance_order):
    order = active_performance_order
    obs = observations.report_observation(order, {"period": 1, "kpi": "availability", "value": "99.2"},
                                          actor=_me(VENDOR))
    observations.verify_observation(obs, actor=_me(BUYER))
    invoice = invoices.submit_invoice(order, {"number": "PS-1002", "issued_on": "2026-11-02", "period": 1,
                                              "amount": "100.00"}, actor=_me(VENDOR))
    since = _mark()
    invoices.reject_invoice(invoice, actor=_me(BUYER), reason="Quotes the wrong PO.")
    told = _told(since)
    assert set(told) == {VENDOR}
    assert told[VENDOR][0].subject == "Invoice PS-1002 ($100.00) was rejected by Tempe"
    assert "Quotes the wrong PO." in told[VENDOR][0].body and "can be invoiced again" in told[VENDOR][0].body


def test_a_person_who_switched_the_kind_off_still_finds_it_in_the_inbox(ctx):
    approver = _me(APPROVER)
    approver.email_preferences = {"order_approval": False}
    vehicle = make_vehicle()
    order = make_order(vehicle, quantity="200")
    since = _mark()
    orders.submit_order(order, actor=_me(BUYER))
    [note] = _told(since)[APPROVER]
    assert note.email_status == "skipped" and note.read_at is None
