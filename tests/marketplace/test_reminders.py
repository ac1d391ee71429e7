"""The daily job `flask --app marketplace reminders run [--today YYYY-MM-DD]` (DESIGN section 7): who is reminded
of what, by date, each occasion once however often the job runs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from consortium.queries import local_date
from contracts.observations import services as observations
from contracts.observations.models import Observation
from contracts.orders.models import Order
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.conftest import consortium, user
from tests.contracts.factories import clock, make_participation
from tests.contracts.factories import make_vehicle as make_active_vehicle
from tests.contracts.invoice_helpers import terms
from tests.contracts.order_factories import make_order, make_vehicle

ADMIN, VENDOR = "admin@gpsr.example", "vendor@parksense.example"
BUYER, APPROVER = "buyer@tempe.example", "approver@tempe.example"


def _run(app, today) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", "run", "--today", str(today)])
    assert result.exit_code == 0, result.output
    return result.output


def _told(app, object_type: str, object_id: int, kind: str | None = None) -> list[tuple[str, str]]:
    """(recipient, subject) of every notification about one object (of one kind), oldest first."""
    with app.app_context():
        stmt = select(Notification).where(Notification.object_type == object_type, Notification.object_id == object_id)
        if kind is not None:
            stmt = stmt.where(Notification.kind == kind)
        return [(n.recipient.email, n.subject) for n in db.session.scalars(stmt.order_by(Notification.id))]


def _since(app, object_type, object_id, count, kind=None):
    return _told(app, object_type, object_id, kind)[count:]


# --- vehicles ending ------------------------------------------------------------------------------------

END = date(2027, 6, 30)


@pytest.fixture
def ending_vehicle(app, _transaction):
    """Mesa's vehicle with Tempe participating, ending on 30 June 2027."""
    with app.test_request_context():
        return make_vehicle(number="GPSR-T-END", end_date=END).id


def test_a_vehicle_ending_is_told_at_90_60_and_30_days_once_each(app, ending_vehicle):
    _run(app, END - timedelta(days=91))
    assert _told(app, "vehicle", ending_vehicle) == []

    output = _run(app, END - timedelta(days=90))
    told = _told(app, "vehicle", ending_vehicle)
    # The office, the lead agency's approvers and the participating members' approvers; no buyer, no vendor.
    assert sorted(email for email, _ in told) == ["admin@gpsr.example", "approver@mesa.example", APPROVER]
    assert {subject for _, subject in told} == {"Vehicle GPSR-T-END ends in 90 days, on 30 Jun 2027"}
    assert "vehicle ending 3" in output

    second = _run(app, END - timedelta(days=90))  # the same day again: nothing new
    assert "vehicle ending 0" in second
    _run(app, END - timedelta(days=89))
    assert len(_told(app, "vehicle", ending_vehicle)) == 3

    # The job did not run on the 60th day: the next run still tells the 60-day notice, once.
    _run(app, END - timedelta(days=46))
    _run(app, END - timedelta(days=45))
    new = _since(app, "vehicle", ending_vehicle, 3)
    assert len(new) == 3 and {s for _, s in new} == {"Vehicle GPSR-T-END ends in 46 days, on 30 Jun 2027"}

    _run(app, END - timedelta(days=30))
    _run(app, END - timedelta(days=10))
    new = _since(app, "vehicle", ending_vehicle, 6)
    assert len(new) == 3 and {s for _, s in new} == {"Vehicle GPSR-T-END ends in 30 days, on 30 Jun 2027"}

    _run(app, END + timedelta(days=1))  # expired: nothing more
    assert len(_told(app, "vehicle", ending_vehicle)) == 9


def test_a_late_first_run_tells_only_the_tightest_notice(app, ending_vehicle):
    _run(app, END - timedelta(days=20))
    _run(app, END - timedelta(days=19))
    told = _told(app, "vehicle", ending_vehicle)
    assert len(told) == 3 and {s for _, s in told} == {"Vehicle GPSR-T-END ends in 20 days, on 30 Jun 2027"}


def test_a_renewed_vehicle_is_told_again_before_its_new_end(app, _transaction):
    with app.test_request_context():
        vehicle = make_active_vehicle("active", lead="Mesa", start_date="2026-01-01", end_date=END.isoformat())
        vehicle_id, number = vehicle.id, vehicle.number
        db.session.commit()
    _run(app, END - timedelta(days=30))
    assert len(_told(app, "vehicle", vehicle_id)) == 2  # the office and Mesa's approver
    with app.test_request_context(), clock(END - timedelta(days=30)):
        vehicles.renew_vehicle(db.session.get(Vehicle, vehicle_id), actor=db.session.merge(user(ADMIN)))
        db.session.commit()
    _run(app, date(2028, 6, 30) - timedelta(days=90))  # one renewal option of 12 months: the new end
    new = _since(app, "vehicle", vehicle_id, 2)
    assert {s for _, s in new} == {f"Vehicle {number} ends in 90 days, on 30 Jun 2028"} and len(new) == 2


# --- participation requests waiting -------------------------------------------------------------------


def test_a_participation_request_waiting_7_days_tells_the_admins_once(app, _transaction):
    with app.test_request_context():
        participation = make_participation(make_active_vehicle("active"), approver="approver@scottsdale.example")
        asked = local_date(consortium("gpsr"), participation.created_at)
        participation_id = participation.id
        db.session.commit()
    already = len(_told(app, "participation", participation_id))  # the admins heard of the request itself
    _run(app, asked + timedelta(days=6))
    assert len(_told(app, "participation", participation_id)) == already
    _run(app, asked + timedelta(days=7))
    _run(app, asked + timedelta(days=7))
    _run(app, asked + timedelta(days=12))
    new = _since(app, "participation", participation_id, already)
    assert [email for email, _ in new] == [ADMIN]  # the office only, once
    assert new[0][1].startswith("Scottsdale's request to join vehicle TEST-")
    assert new[0][1].endswith("has waited 7 days")


def test_a_decided_participation_request_is_not_reminded(app, _transaction):
    with app.test_request_context():
        participation = make_participation(make_active_vehicle("active"), "executed",
                                           approver="approver@scottsdale.example")
        asked = local_date(consortium("gpsr"), participation.created_at)
        participation_id = participation.id
        db.session.commit()
    already = len(_told(app, "participation", participation_id))
    _run(app, asked + timedelta(days=8))
    assert len(_told(app, "participation", participation_id)) == already


# --- performance periods --------------------------------------------------------------------------------


@pytest.fixture
def performance_order(app, _transaction):
    """Tempe's active order with ParkSense: twelve monthly periods from 1 January 2026."""
    with app.test_request_context():
        vehicle = make_vehicle(ceiling="2000000.00")
        order = make_order(vehicle, quantity="1", status="active",
                           performance=terms(start_date="2026-01-01", periods=12))
        return order.id


def _report(app, order_id, period, value="99.1"):
    with app.test_request_context():
        order = db.session.get(Order, order_id)
        obs = observations.report_observation(order, {"period": period, "kpi": "availability", "value": value},
                                              actor=db.session.merge(user(VENDOR)))
        db.session.commit()
        return obs.id


def test_a_period_without_a_report_5_days_after_it_ended_tells_the_vendor(app, performance_order):
    _run(app, date(2026, 2, 5))  # January can be reported from 1 February; 5 days later is the 6th
    assert _told(app, "order", performance_order, "period_due") == []
    _run(app, date(2026, 2, 6))
    _run(app, date(2026, 2, 7))
    told = _told(app, "order", performance_order, "period_due")
    assert [email for email, _ in told] == [VENDOR]  # the vendor's users only, once
    assert told[0][1].endswith(": Period 1 (Jan 2026) is not reported yet")

    _report(app, performance_order, 1)
    _run(app, date(2026, 3, 6))
    new = _since(app, "order", performance_order, 1, "period_due")
    assert [s for _, s in new] == [told[0][1].replace("Period 1 (Jan 2026)", "Period 2 (Feb 2026)")]

    _run(app, date(2026, 5, 6))  # the job missed April: one reminder naming every period still open
    new = _since(app, "order", performance_order, 2, "period_due")
    assert len(new) == 1 and new[0][1].endswith(": 3 periods are not reported yet")


def test_a_reported_period_is_not_reminded(app, performance_order):
    _report(app, performance_order, 1)
    _run(app, date(2026, 2, 10))
    assert _told(app, "order", performance_order, "period_due") == []


# --- measurements waiting -------------------------------------------------------------------------------


def test_a_measurement_waiting_7_days_tells_the_author_and_approvers_again_after_a_correction(app, performance_order):
    obs_id = _report(app, performance_order, 1, value="94.6")
    with app.app_context():
        reported_on = local_date(consortium("gpsr"), db.session.get(Observation, obs_id).updated_at)
    already = len(_told(app, "observation", obs_id))  # the report itself told the buyer and approver
    _run(app, reported_on + timedelta(days=6))
    assert len(_told(app, "observation", obs_id)) == already
    _run(app, reported_on + timedelta(days=7))
    _run(app, reported_on + timedelta(days=9))
    new = _since(app, "observation", obs_id, already)
    assert sorted(email for email, _ in new) == [APPROVER, BUYER]  # not the vendor; once each
    assert new[0][1].startswith("Lighting availability for period 1 of Order TO-")
    assert new[0][1].endswith("has waited 7 days for verification")

    with app.test_request_context():
        obs = db.session.get(Observation, obs_id)
        observations.dispute_observation(obs, actor=db.session.merge(user(BUYER)), reason="Missing circuits.")
        observations.correct_observation(obs, {"value": "97.4"}, actor=db.session.merge(user(VENDOR)))
        db.session.commit()
    count = len(_told(app, "observation", obs_id))
    _run(app, reported_on + timedelta(days=9))
    new = _since(app, "observation", obs_id, count)
    assert sorted(email for email, _ in new) == [APPROVER, BUYER]  # the corrected value waits afresh


# --- the command ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "2026-2-5", "02/12/2026", "２０２６-１２-０２"])
def test_a_bad_date_is_refused_with_a_clear_message(app, _transaction, bad):
    result = app.test_cli_runner().invoke(args=["reminders", "run", "--today", bad])
    assert result.exit_code == 2
    assert "is not a date: write it as YYYY-MM-DD" in result.output
    assert "Reminders for" not in result.output


def test_the_job_prints_a_one_line_summary_and_a_second_run_sends_nothing(app, _transaction):
    first = app.test_cli_runner().invoke(args=["reminders", "run", "--today", "2027-01-15"])
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Reminders for 2027-01-15: ")
    for name in ("period due", "measurement waiting", "vehicle ending", "participation waiting"):
        assert name in lines[0]
    again = app.test_cli_runner().invoke(args=["reminders", "run", "--today", "2027-01-15"])
    assert again.output.startswith("Reminders for 2027-01-15: 0 notifications")


def test_without_a_date_the_job_runs_for_today(app, _transaction):
    result = app.test_cli_runner().invoke(args=["reminders", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Reminders for today: ")
