"""Two draws on one innovation fund at the same moment that together exceed its balance (DESIGN sections 5b
and 9): exactly one is made (201), the other gets 409 saying what the fund has available, and the balance
never goes negative. Each round: a fresh office fund with 300,000.00, two active Tempe orders, and two
admins' draws of 200,000.00 fired together (in shuffled order) through the JSON API.

And the proof that the race can be lost: with the kernel's row lock switched off
(`TESTING_TRANSITIONS_UNLOCKED`, so `transitions.lock` reads the fund without `FOR UPDATE`), some round ends
with both draws made and the fund overdrawn."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest

from marketplace.transitions import UNLOCKED_SETTING
from tests.concurrency.racing import Call, answer_problems, describe, race, winners
from tests.concurrency.world import ADMIN

pytestmark = pytest.mark.postgres_only

ROUNDS = 20
FUNDED, DRAW = Decimal("300000.00"), Decimal("200000.00")
_funds = itertools.count(1)


def _fund(market) -> dict:
    fund = market.post("/api/v1/funds", ADMIN, {"name": f"Race fund {next(_funds)}"}, 201)
    return market.post(f"/api/v1/funds/{fund['id']}/contributions", ADMIN,
                       {"amount": f"{FUNDED}", "source": "Race budget", "received_on": "2026-01-02"}, 201)


def _round(app, market, vehicle: dict) -> list[str]:
    """Fire two draws at a fresh fund; return what went wrong (nothing when exactly one won)."""
    fund = _fund(market)
    orders = [market.order(vehicle, status="active") for _ in range(2)]
    calls = [Call("draw", f"/api/v1/funds/{fund['id']}/draws", market.headers(ADMIN),
                  {"order_id": order["id"], "amount": f"{DRAW}", "repayment_pct": "100"}) for order in orders]
    random.shuffle(calls)
    outcomes = race(app, calls)
    problems = []
    if len(winners(outcomes)) != 1:
        problems.append(f"{len(winners(outcomes))} draws made, not exactly one")
    problems += answer_problems(outcomes, ("is refused",))
    after = market.get(f"/api/v1/funds/{fund['id']}")
    balance, drawn = Decimal(after["balance"]), Decimal(after["drawn"])
    if balance < 0:
        problems.append(f"the fund is overdrawn: balance {balance}")
    if balance != FUNDED - drawn or drawn != DRAW * len(winners(outcomes)) or len(after["draws"]) != len(
            winners(outcomes)):
        problems.append(f"the money does not add up: drawn {drawn}, balance {balance}, {len(after['draws'])} draws")
    return [f"{p} [{describe(outcomes)}]" for p in problems]


def test_exactly_one_of_two_draws_beyond_the_balance_wins(app, market):
    vehicle = market.vehicle()
    bad = [(n, problems) for n in range(1, ROUNDS + 1) if (problems := _round(app, market, vehicle))]
    assert not bad, f"{len(bad)} of {ROUNDS} rounds went wrong:\n" + "\n".join(
        f"round {n}: {'; '.join(p)}" for n, p in bad[:5])


def test_without_the_lock_the_fund_is_overdrawn(app, market):
    vehicle = market.vehicle()
    app.config[UNLOCKED_SETTING] = True  # the `committed` fixture switches it off again
    for _ in range(ROUNDS):
        if _round(app, market, vehicle):
            return
    pytest.fail(f"{ROUNDS} rounds without the lock and never two draws made: the requests do not really overlap")
