"""The transition kernel itself: declarations are checked, a step runs only from its states and for
the people its predicate names, a lost race reads as a 409 that says who did what and when, and each
step writes exactly one audit event in the caller's transaction."""

import re

import pytest
from sqlalchemy import func, select

from contracts.orders import services
from contracts.orders.models import Order
from marketplace import transitions
from marketplace.audit import AuditEvent
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.transitions import Lifecycle, transition
from tests.conftest import user
from tests.contracts.order_factories import make_order, make_vehicle


def _events(order) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "order", AuditEvent.object_id == order.id).order_by(AuditEvent.id)))


def test_a_table_naming_an_unknown_state_is_refused_at_import():
    with pytest.raises(ValueError, match="unknown states"):
        Lifecycle(model=Order, noun="order", states=("draft", "done"), transitions=(
            transition("finish", {"draft"}, "finished", lambda u, o: True, "order.finished", "finished"),))
    with pytest.raises(ValueError, match="declared twice"):
        step = transition("finish", {"draft"}, "done", lambda u, o: True, "order.finished", "finished")
        Lifecycle(model=Order, noun="order", states=("draft", "done"), transitions=(step, step))
    with pytest.raises(ValueError, match="reason must be"):
        transition("finish", {"draft"}, "done", lambda u, o: True, "order.finished", "finished", reason="maybe")


def test_may_and_available_apply_the_state_and_the_predicate(ctx):
    order = make_order(make_vehicle(), status="approved")
    vendor, buyer = user("vendor@parksense.example"), user("buyer@tempe.example")
    lifecycle = services.ORDER_LIFECYCLE
    assert lifecycle.available(vendor, order) == ["decline", "accept"]
    assert lifecycle.available(buyer, order) == ["cancel"]
    assert not lifecycle.may("submit", buyer, order)  # the predicate says yes, the state says no


def test_a_step_from_the_wrong_state_is_a_409_naming_who_and_when(ctx):
    order = make_order(make_vehicle(), status="approved")
    services.cancel_order(order, actor=user("buyer@tempe.example"), reason="Budget moved")
    db.session.commit()
    with pytest.raises(Conflict) as lost:
        services.accept_order(order, actor=user("vendor@parksense.example"))
    assert re.fullmatch(r"This order was cancelled at \d{1,2}:\d\d [AP]M MST by Tempe Buyer, "
                        r"so it cannot be accepted now\.",
                        lost.value.message), lost.value.message


def test_someone_without_the_right_gets_403_and_nothing_changes(ctx):
    order = make_order(make_vehicle(), status="approved")
    before = _events(order)
    with pytest.raises(PermissionDenied):
        services.accept_order(order, actor=user("buyer@tempe.example"))
    db.session.rollback()
    assert db.session.get(Order, order.id).status == "approved" and _events(order) == before


def test_a_state_that_changed_while_waiting_is_a_lost_race_not_a_403(ctx):
    """The approver opened a pending order; before their decline ran, another approval went through.
    The kernel re-reads the row: the decline now meets an approved order, which only the vendor may
    decline; that is a lost race (409), not a lack of rights."""
    order = make_order(make_vehicle(), buyer="buyer@tempe.example", quantity="500", status="submitted")
    assert order.status == "pending_approval"
    approver = user("approver@tempe.example")
    stale = order.status
    db.session.execute(Order.__table__.update().where(Order.__table__.c.id == order.id).values(status="approved"))
    db.session.add(AuditEvent(consortium_id=order.consortium_id, actor_id=approver.id, action="order.approved",
                              object_type="order", object_id=order.id, before={"status": stale},
                              after={"status": "approved"}))
    db.session.flush()
    assert order.status == stale  # the request's copy is stale; the row is not
    with pytest.raises(Conflict, match="was approved at .* by Tempe Champion"):
        services.decline_order(order, actor=approver, reason="Not this year")


def test_a_step_just_taken_by_another_request_is_a_lost_race_even_when_read_after_it(ctx):
    """The decline was sent while the order was pending, but reached the database after the approval
    committed: it reads the approved order fresh, and the refusal still says what happened (409)."""
    order = make_order(make_vehicle(), buyer="buyer@tempe.example", quantity="500", status="submitted")
    approver = user("approver@tempe.example")
    services.approve_order(order, actor=approver, reason="Budgeted")
    db.session.commit()
    fresh = db.session.get(Order, order.id)
    with pytest.raises(Conflict, match="was approved at .* by Tempe Champion, so it cannot be declined now"):
        services.decline_order(fresh, actor=approver, reason="Not this year")
    db.session.rollback()
    with pytest.raises(PermissionDenied):  # nobody took a step that explains it: a plain lack of rights
        services.decline_order(db.session.get(Order, order.id), actor=user("buyer@tempe.example"), reason="No")


def test_a_required_reason_is_asked_for_before_anything_changes(ctx):
    order = make_order(make_vehicle(), status="approved")
    with pytest.raises(ValidationFailed, match="reason"):
        services.decline_order(order, actor=user("vendor@parksense.example"), reason="  ")
    db.session.rollback()
    assert db.session.get(Order, order.id).status == "approved"


def test_each_step_writes_one_audit_event_with_before_and_after(ctx):
    order = make_order(make_vehicle(), status="approved")
    count = db.session.scalar(select(func.count(AuditEvent.id)))
    services.accept_order(order, actor=user("vendor@parksense.example"), reason="Crew booked")
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert db.session.scalar(select(func.count(AuditEvent.id))) == count + 1
    assert (event.action, event.before, event.after, event.reason) == (
        "order.accepted", {"status": "approved"}, {"status": "active"}, "Crew booked")


def test_the_unlocked_switch_is_ignored_outside_testing(app, ctx):
    app.config[transitions.UNLOCKED_SETTING] = True
    try:
        app.config["TESTING"] = False
        assert not transitions._unlocked_for_tests()
        app.config["TESTING"] = True
        assert transitions._unlocked_for_tests()
    finally:
        app.config[transitions.UNLOCKED_SETTING] = False
        app.config["TESTING"] = True
