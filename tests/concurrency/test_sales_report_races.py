"""Sales-report races on PostgreSQL (DESIGN section 9): the office accepts and returns the same submitted report
at the same moment (exactly one wins, the other gets 409 saying what happened), and two fee payments that
together exceed the balance (exactly one is recorded, the other gets 409, the fee is never overpaid). Each round
a fresh ParkSense report under the race vehicle, in its own quarter, fired at through the JSON API by threads with
their own connections; and the proof that without the row lock some round overpays."""

from __future__ import annotations

import itertools
import random
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from consortium.models import Consortium, User
from contracts.reporting import services
from contracts.reporting.models import SalesReport
from marketplace.extensions import db
from marketplace.transitions import UNLOCKED_SETTING
from tests.concurrency.racing import Call, answer_problems, describe, race, winners
from tests.concurrency.world import ADMIN, VENDOR

pytestmark = pytest.mark.postgres_only

ROUNDS = 20
FEE = Decimal("1500.00")  # 1.5 % of 100,000.00
_years = itertools.count(1901)


def _report(app, vehicle: dict, status: str) -> int:
    """A fresh report of ParkSense under the race vehicle (its own quarter), submitted or accepted."""
    with app.app_context():
        person = db.session.scalar(select(User).where(User.email == VENDOR))
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        consortium = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
        report = SalesReport(consortium_id=consortium.id, vehicle_id=vehicle["id"], vendor_id=person.organization_id,
                             quarter=f"{next(_years)}Q1", status="due", due_on=date(2026, 1, 1),
                             fee_due_on=date(2026, 1, 1), admin_fee_pct=Decimal("1.5"))
        db.session.add(report)
        db.session.flush()
        services.replace_reported_lines(report, {"lines": [{"customer_name": "Pima County", "gross": "100000.00"}]},
                                        actor=person)
        services.submit_report(report, actor=person)
        if status == "accepted":
            services.accept_report(report, actor=admin)
        db.session.commit()
        report_id = report.id
        db.session.remove()
    return report_id


def _path(report_id: int, step: str) -> str:
    return f"/api/v1/sales-reports/{report_id}/{step}?consortium=gpsr"


def _decide_round(app, market, vehicle) -> list[str]:
    report_id = _report(app, vehicle, "submitted")
    calls = [Call("accept", _path(report_id, "accept"), market.headers(ADMIN), {}),
             Call("return", _path(report_id, "return"), market.headers(ADMIN), {"reason": "Add the freight."})]
    random.shuffle(calls)
    outcomes = race(app, calls)
    problems = []
    if len(winners(outcomes)) != 1:
        problems.append(f"{len(winners(outcomes))} decisions made, not exactly one")
    problems += answer_problems(outcomes, ("accepted", "returned"))
    state = market.get(f"/api/v1/sales-reports/{report_id}?consortium=gpsr")["status"]
    won = winners(outcomes)
    if won and state != {"accept": "accepted", "return": "returned"}[won[0].label]:
        problems.append(f"{won[0].label} won but the report is {state}")
    return [f"{p} [{describe(outcomes)}]" for p in problems]


def _payment_round(app, market, vehicle) -> list[str]:
    report_id = _report(app, vehicle, "accepted")
    body = {"amount": "1000.00", "paid_on": "2026-01-02"}
    calls = [Call(f"pay {n}", _path(report_id, "payments"), market.headers(ADMIN), body) for n in (1, 2)]
    outcomes = race(app, calls)
    problems = []
    if len(winners(outcomes)) != 1:
        problems.append(f"{len(winners(outcomes))} payments recorded, not exactly one")
    problems += answer_problems(outcomes, ("balance",))
    after = market.get(f"/api/v1/sales-reports/{report_id}?consortium=gpsr")
    paid, balance = Decimal(after["fee_paid"]), Decimal(after["fee_balance"])
    recorded = sum(Decimal(p["amount"]) for p in after["payments"])
    if paid > FEE or paid != recorded or balance != FEE - paid:
        problems.append(f"the money does not add up: paid {paid}, recorded {recorded}, balance {balance}")
    return [f"{p} [{describe(outcomes)}]" for p in problems]


def _check(rounds) -> None:
    bad = [(n, problems) for n, problems in enumerate(rounds, 1) if problems]
    assert not bad, f"{len(bad)} of {ROUNDS} rounds went wrong:\n" + "\n".join(
        f"round {n}: {'; '.join(p)}" for n, p in bad[:5])


def test_exactly_one_of_accept_and_return_wins(app, market):
    vehicle = market.vehicle()
    _check([_decide_round(app, market, vehicle) for _ in range(ROUNDS)])


def test_two_payments_beyond_the_balance_record_one(app, market):
    vehicle = market.vehicle()
    _check([_payment_round(app, market, vehicle) for _ in range(ROUNDS)])


def test_without_the_lock_the_fee_is_overpaid(app, market):
    vehicle = market.vehicle()
    app.config[UNLOCKED_SETTING] = True  # the `committed` fixture switches it off again
    for _ in range(ROUNDS):
        if _payment_round(app, market, vehicle):
            return
    pytest.fail(f"{ROUNDS} rounds without the lock and never two payments: the requests do not really overlap")
