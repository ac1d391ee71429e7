"""Every pair of conflicting transitions, declared once: the object raced on (fresh each round), the
requests fired at it together, what a loser must be told, and the state the winner leaves.

The race tests run each of them with the kernel's lock; `test_races_need_the_lock.py` runs some of
the very same races without it, to prove that they catch the bug.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tests.concurrency.racing import Call, Outcome, answer_problems, money_problems, race, winners
from tests.concurrency.world import (
    ADMIN,
    APPROVER,
    BALLAST,
    BUYER,
    LARGE,
    MOST_PER_PERIOD,
    SMALL,
    TERMS,
    VENDOR,
    Market,
    months_ago,
    terms,
)

ROUNDS = 20
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Step:
    """A request of the race: POST /api/v1/<noun>/<id>/<label> as `who`, with `body` (or `body(obj)`, built
    each round, e.g. an invoice with a number never used). `noun` defaults to the race's; the id is
    `obj[key]`, so one race may fire at two objects (terminate an order, verify one of its measurements)."""

    label: str
    who: str
    body: dict | Callable[[dict], dict] = field(default_factory=dict)
    noun: str | None = None
    key: str = "id"

    def call(self, spec: Race, market: Market, obj: dict) -> Call:
        body = self.body(obj) if callable(self.body) else self.body
        return Call(self.label, f"/api/v1/{self.noun or spec.noun}/{obj[self.key]}/{self.label}",
                    market.headers(self.who), body)


@dataclass(frozen=True)
class Race:
    name: str
    noun: str
    steps: tuple[Step, ...]
    happened: dict[str, tuple[str, ...]]  # winner's label → words of which a loser's message has one
    after: dict[str, str]  # winner's label → the object's state afterwards
    prepare: Callable[[Market, dict, int], dict]  # (market, shared, round) → the fresh object raced on
    shared: Callable[[Market], dict] = lambda market: {}  # built once per test
    vehicle_of: Callable[[dict, dict], int | None] = lambda obj, shared: None  # whose money to check
    state: Callable[[Market, dict], str] | None = None  # the object's state now (default: GET it)
    # Steps that may both succeed because one legitimately follows the other (approving, then
    # cancelling the approved order), with the state they leave: any serial order is a right answer.
    one_after_another: dict[frozenset[str], str] = field(default_factory=dict)
    # More to check after each round, beyond the state and the vehicle's money: (market, obj) → problems.
    check: Callable[[Market, dict], list[str]] | None = None


@dataclass
class Round:
    number: int
    outcomes: list[Outcome]
    lost: list[str]  # the race itself went wrong: who won, the state left, the money
    answers: list[str]  # a loser was not told 409 with what happened

    @property
    def ok(self) -> bool:
        return not self.lost and not self.answers

    def __str__(self) -> str:
        what = "; ".join(self.lost + self.answers)
        return f"round {self.number}: {what} [{'; '.join(map(str, self.outcomes))}]"


def _expected_state(spec: Race, won: list[Outcome]) -> tuple[str | None, list[str]]:
    """The state the winners must leave, or the problem with who won."""
    labels = frozenset(o.label for o in won)
    if len(won) == 1:
        return spec.after[won[0].label], []
    if len(won) == len(labels) and labels in spec.one_after_another:
        return spec.one_after_another[labels], []
    return None, [f"{len(won)} requests won, not exactly one"]


def run_rounds(app, market: Market, spec: Race, rounds: int = ROUNDS, *, until_lost: bool = False) -> list[Round]:
    """Run `rounds` rounds of `spec`, each on a fresh object, the requests in a shuffled order (so
    each side gets to start first); stop early at the first round whose race went wrong if `until_lost`."""
    shared = spec.shared(market)
    results = []
    for number in range(1, rounds + 1):
        obj = spec.prepare(market, shared, number)
        calls = [step.call(spec, market, obj) for step in spec.steps]
        random.Random(number).shuffle(calls)
        outcomes = race(app, calls)
        won = winners(outcomes)
        expected, lost = _expected_state(spec, won)
        if expected is not None:
            now = spec.state(market, obj) if spec.state else market.get(f"/api/v1/{spec.noun}/{obj['id']}")["status"]
            if now != expected:
                lost.append(f"{' and '.join(o.label for o in won)} won but the {spec.noun[:-1]} is {now}, "
                            f"not {expected}")
        vehicle_id = spec.vehicle_of(obj, shared)
        if vehicle_id is not None:
            lost += money_problems(app, market.client, market.headers(ADMIN), [vehicle_id])
        if spec.check is not None:
            lost += spec.check(market, obj)
        words = spec.happened[won[0].label] if len(won) == 1 else ()
        results.append(Round(number, outcomes, lost, answer_problems(outcomes, words)))
        if until_lost and results[-1].lost:
            break
    return results


def assert_every_round_right(results: list[Round]) -> None:
    broken = [r for r in results if not r.ok]
    shown = "\n".join(map(str, broken[:5]))
    assert not broken, f"{len(broken)} of {len(results)} rounds went wrong:\n{shown}"


# orders ------------------------------------------------------------------------------------------------

def _vehicle(market: Market) -> dict:
    """The vehicle the orders go under, with a standing approved order of 1,026,000.00: a release
    counted twice then shows as money that does not add up (instead of a negative total the
    database's check constraint would refuse)."""
    vehicle = market.vehicle()
    market.order(vehicle, "approved", BALLAST)
    return {"vehicle": vehicle}


def _order_in(status: str, quantity: str = SMALL):
    def prepare(market: Market, shared: dict, number: int) -> dict:
        return market.order(shared["vehicle"], status, quantity)
    return prepare


def _order_race(name, start, steps, happened, after, quantity=SMALL, **options) -> Race:
    return Race(name=name, noun="orders", steps=steps, happened=happened, after=after,
                prepare=_order_in(start, quantity), shared=_vehicle,
                vehicle_of=lambda obj, shared: shared["vehicle"]["id"], **options)


_WHY = {"reason": "Budget moved to next year."}
CANCELLED, DECLINED, APPROVED = ("cancelled",), ("declined",), ("approved",)

ORDER_RACES = [
    _order_race("double submit", "draft", tuple(Step("submit", BUYER) for _ in range(6)),
                {"submit": ("submitted", "approved")}, {"submit": "approved"}),
    _order_race("double cancel", "approved", tuple(Step("cancel", BUYER, _WHY) for _ in range(4)),
                {"cancel": CANCELLED}, {"cancel": "cancelled"}),
    _order_race("vendor declines vs buyer cancels", "approved",
                (Step("decline", VENDOR, {"reason": "Out of stock."}), Step("cancel", BUYER, _WHY)),
                {"decline": DECLINED, "cancel": CANCELLED}, {"decline": "declined", "cancel": "cancelled"}),
    _order_race("vendor accepts vs buyer cancels", "approved",
                (Step("accept", VENDOR), Step("cancel", BUYER, _WHY)),
                {"accept": ("accepted", "active"), "cancel": CANCELLED}, {"accept": "active", "cancel": "cancelled"}),
    _order_race("approver approves vs buyer cancels", "pending_approval",
                (Step("approve", APPROVER, {"reason": "Budgeted."}), Step("cancel", BUYER, _WHY)),
                {"approve": APPROVED, "cancel": CANCELLED}, {"approve": "approved", "cancel": "cancelled"}, LARGE,
                # an approved order may still be cancelled: approve, then cancel, is a right answer
                one_after_another={frozenset({"approve", "cancel"}): "cancelled"}),
    _order_race("approver approves vs declines", "pending_approval",
                (Step("approve", APPROVER, {"reason": "Budgeted."}), Step("decline", APPROVER, _WHY)),
                {"approve": APPROVED, "decline": DECLINED}, {"approve": "approved", "decline": "declined"}, LARGE),
]


# participation -----------------------------------------------------------------------------------------

def _fresh_request(market: Market, shared: dict, number: int) -> dict:
    """Tempe asks to join a new vehicle (one request per member and vehicle) and signs the addendum."""
    vehicle = market.vehicle(shared["listing"], tempe_joins=False)
    return {**market.participation(vehicle, "signed"), "vehicle_id": vehicle["id"]}


COUNTERSIGN = {"title": "Executive Director", "authority": "Board delegation of 12 Jan 2026"}
PARTICIPATION_RACES = [
    Race(name="office approves vs declines", noun="participations",
         steps=(Step("approve", ADMIN, {**COUNTERSIGN, "reason": "Welcome."}),
                Step("decline", ADMIN, {"reason": "The ceiling is nearly used up."})),
         happened={"approve": ("approved", "executed"), "decline": DECLINED},
         after={"approve": "executed", "decline": "declined"},
         prepare=_fresh_request, shared=lambda market: {"listing": market.listing()},
         vehicle_of=lambda obj, shared: obj["vehicle_id"]),
]


# observations ------------------------------------------------------------------------------------------

def _performance_order(market: Market) -> dict:
    vehicle = market.vehicle()
    return {"vehicle": vehicle, "order": market.order(vehicle, "active", performance=TERMS)}


def _observation_state(market: Market, obs: dict) -> str:
    listed = market.get(f"/api/v1/orders/{obs['order_id']}/observations", BUYER)["results"]
    return next(o["status"] for o in listed if o["id"] == obs["id"])


OBSERVATION_RACES = [
    Race(name="buyer verifies vs disputes", noun="observations",
         steps=(Step("verify", BUYER), Step("dispute", BUYER, {"reason": "The outage log shows 97.2."})),
         happened={"verify": ("verified",), "dispute": ("disputed",)},
         after={"verify": "verified", "dispute": "disputed"},
         prepare=lambda market, shared, number: market.observation(shared["order"], number),
         shared=_performance_order, vehicle_of=lambda obj, shared: shared["vehicle"]["id"],
         state=_observation_state),
]


# listings ----------------------------------------------------------------------------------------------

def _listing_in(status: str):
    return lambda market, shared, number: market.listing(status)


LISTING_RACES = [
    Race(name="office approves vs requests changes", noun="listings",
         steps=(Step("approve", ADMIN, {"reason": "Complete."}), Step("reject", ADMIN, {"reason": "Add unit prices."})),
         happened={"approve": ("approved", "published"), "reject": ("changes", "returned", "sent back")},
         after={"approve": "published", "reject": "changes_requested"}, prepare=_listing_in("submitted")),
    Race(name="double submit", noun="listings", steps=tuple(Step("submit", VENDOR) for _ in range(6)),
         happened={"submit": ("submitted",)}, after={"submit": "submitted"}, prepare=_listing_in("draft")),
    Race(name="office suspends vs vendor withdraws", noun="listings",
         steps=(Step("suspend", ADMIN, {"reason": "Safety recall under review."}),
                Step("withdraw", VENDOR, {"reason": "Product discontinued."})),
         happened={"suspend": ("suspended",), "withdraw": ("withdrawn",)},
         after={"suspend": "suspended", "withdraw": "withdrawn"}, prepare=_listing_in("published")),
]

# invoices ----------------------------------------------------------------------------------------------

def _active_line_order(market: Market) -> dict:
    """An active one-time order (5,130.00 of lines) under the vehicle with the standing order."""
    shared = _vehicle(market)
    return {**shared, "order": market.order(shared["vehicle"], "active")}


def _submitted_invoice(market: Market, shared: dict, number: int) -> dict:
    """ParkSense invoices 100.00 of the order's first line (20 rounds stay within its 4,050.00)."""
    return market.invoice(shared["order"], "100.00", lines=[shared["order"]["lines"][0]["id"]])


def _settled_period(market: Market, shared: dict, number: int) -> dict:
    """Period `number` of the shared performance order, verified at 98.5 %: 4,500.00 is payable for it."""
    market.verified(shared["order"], number)
    return {"id": shared["order"]["id"], "period": number}


def _counted_invoices(market: Market, obj: dict) -> list[dict]:
    """The invoices of the raced period that count against what is due (all but rejected ones)."""
    listed = market.get(f"/api/v1/orders/{obj['id']}/invoices", VENDOR)["results"]
    return [inv for inv in listed if inv["period"] == obj["period"] and inv["status"] != "rejected"]


def _period_invoices(market: Market, obj: dict) -> str:
    counted = _counted_invoices(market, obj)
    return f"{len(counted)} invoice(s) for {sum((Decimal(inv['amount']) for inv in counted), ZERO):.2f}"


def _invoiced_within_due(market: Market, obj: dict) -> list[str]:
    """Σ invoiced for the period ≤ what the settlement makes payable for it (paid now, holdback 0 here)."""
    invoiced = sum((Decimal(inv["amount"]) for inv in _counted_invoices(market, obj)), ZERO)
    settlement = market.get(f"/api/v1/orders/{obj['id']}/settlement", BUYER)
    payable = Decimal(settlement["periods"][obj["period"] - 1]["paid_now"])
    return [] if invoiced <= payable else [f"period {obj['period']} invoiced {invoiced:.2f}, payable {payable:.2f}"]


def _more_than_due(obj: dict) -> dict:
    return Market.invoice_body("3000.00", period=obj["period"])  # two of them ask for 6,000.00 of 4,500.00


INVOICE_RACES = [
    Race(name="city approves vs rejects", noun="invoices",
         steps=(Step("approve", BUYER, {"reason": "Matches the delivery note."}),
                Step("reject", APPROVER, {"reason": "Billed twice."})),
         happened={"approve": APPROVED, "reject": ("rejected",)}, after={"approve": "approved", "reject": "rejected"},
         prepare=_submitted_invoice, shared=_active_line_order, vehicle_of=lambda obj, shared: shared["vehicle"]["id"]),
    # POST /api/v1/orders/<id>/invoices twice at once, each for 3,000.00 of the 4,500.00 payable for the period.
    Race(name="two invoices for one period, more than is due together", noun="orders",
         steps=(Step("invoices", VENDOR, _more_than_due), Step("invoices", VENDOR, _more_than_due)),
         happened={"invoices": ("already invoiced",)}, after={"invoices": "1 invoice(s) for 3000.00"},
         prepare=_settled_period, shared=_performance_order, vehicle_of=lambda obj, shared: shared["vehicle"]["id"],
         state=_period_invoices, check=_invoiced_within_due),
]


# closeout ----------------------------------------------------------------------------------------------

def _payable(market: Market, order_id: int) -> Decimal:
    """What the order has cost or can still cost, read from the API: its lines, plus for its terms what the
    settlement paid (paid now, holdback released), the holdback of windows still pending, and the most a
    period not yet settled can pay (`contracts.orders.services.payable_value`, recomputed independently)."""
    order = market.get(f"/api/v1/orders/{order_id}")
    total = sum((Decimal(line["total"]) for line in order["lines"]), ZERO)
    if order["performance"]:
        settlement = market.get(f"/api/v1/orders/{order_id}/settlement")
        unsettled = sum(1 for period in settlement["periods"] if period["status"] != "settled")
        total += (Decimal(settlement["totals"]["paid"]) + Decimal(settlement["totals"]["pending"])
                  + MOST_PER_PERIOD * unsettled)
    return total


def _closed_order(market: Market, shared: dict, number: int) -> dict:
    """An active order whose three periods have ended, been verified (98.5, 99.0, 97.0 %: 12,500.00 earned, its
    holdback of 10 % released) and invoiced (period 1 approved, a second invoice rejected): nothing is open,
    so it can be completed, and terminating it ends no period. Its 15,000.00 commitment trims to 12,500.00."""
    order = market.order(shared["vehicle"], "active",
                         performance=terms(months_ago(4), periods=3, holdback_pct="10", holdback_window=3))
    for period, value in enumerate(("98.5", "99.0", "97.0"), start=1):
        market.verified(order, period, value)
    market.invoice(order, "4050.00", "approved", period=1)
    market.invoice(order, "1000.00", "rejected", period=2)
    return order


def _commits_what_was_payable(market: Market, obj: dict) -> list[str]:
    order = market.get(f"/api/v1/orders/{obj['id']}")
    payable = _payable(market, obj["id"])
    if order["status"] in ("completed", "terminated") and Decimal(order["committed"]) != payable:
        return [f"order {obj['id']} is {order['status']} committing {order['committed']}, payable {payable:.2f}"]
    return []


def _running_order(market: Market, shared: dict, number: int) -> dict:
    """An active order of 12 monthly periods: 1 and 2 have ended, 3 is running (started 10 days or more ago),
    4 to 12 have not started. Period 1 is verified; period 2 is reported, and the race verifies it."""
    order = market.order(shared["vehicle"], "active", performance=terms(months_ago(2, days=10), periods=12,
                                                                          holdback_pct="10"))
    market.verified(order, 1)
    observation = market.observation(order, 2)
    return {"id": order["id"], "observation_id": observation["id"], "period": 2}


def _order_and_measurement(market: Market, obj: dict) -> str:
    order = market.get(f"/api/v1/orders/{obj['id']}")["status"]
    return f"{order}, measurement {_observation_state(market, {'id': obj['observation_id'], 'order_id': obj['id']})}"


def _terminated_keeps_payable(market: Market, obj: dict) -> list[str]:
    """Terminating trims the commitment to what is payable: the settled periods, and the most the running
    period (3) can pay. The verification of period 2 may land before terminate reads the settlement (then
    the commitment is exactly what is payable now) or after (then terminate kept for period 2 the most it
    could pay, 5,000.00, instead of what it earned; completing the order later trims the difference). The
    commitment is never less than what is payable now, and never anything else."""
    order = market.get(f"/api/v1/orders/{obj['id']}")
    if order["status"] != "terminated":
        return []
    committed, payable = Decimal(order["committed"]), _payable(market, obj["id"])
    settlement = market.get(f"/api/v1/orders/{obj['id']}/settlement")
    period = settlement["periods"][obj["period"] - 1]
    # Its window holds this one period only, released at 98.5 %: settled, it costs its gross.
    before_verification = payable - Decimal(period["gross"]) + MOST_PER_PERIOD if period["status"] == "settled" \
        else payable
    problems = []
    if order["last_period"] != 3:
        problems.append(f"order {obj['id']} terminated with last period {order['last_period']}, not 3 (running)")
    if committed < payable:
        problems.append(f"order {obj['id']} commits {committed:.2f}, less than the {payable:.2f} payable")
    elif committed not in (payable, before_verification):
        problems.append(f"order {obj['id']} commits {committed:.2f}, neither the {payable:.2f} payable nor "
                        f"{before_verification:.2f} (payable before period {obj['period']} was verified)")
    return problems


_ENDED = {"reason": "The service moves in-house."}

CLOSEOUT_RACES = [
    Race(name="buyer completes vs approver terminates", noun="orders",
         steps=(Step("complete", BUYER), Step("terminate", APPROVER, _ENDED)),
         happened={"complete": ("completed",), "terminate": ("terminated",)},
         after={"complete": "completed", "terminate": "terminated"},
         prepare=_closed_order, shared=_vehicle, vehicle_of=lambda obj, shared: shared["vehicle"]["id"],
         # a terminated order may still be completed: terminate, then complete, is a right answer
         one_after_another={frozenset({"complete", "terminate"}): "completed"}, check=_commits_what_was_payable),
    Race(name="approver terminates vs buyer verifies the last ended period", noun="orders",
         steps=(Step("terminate", APPROVER, _ENDED), Step("verify", BUYER, noun="observations", key="observation_id")),
         happened={"terminate": ("terminated",), "verify": ("verified",)},
         after={"terminate": "terminated, measurement reported", "verify": "active, measurement verified"},
         prepare=_running_order, shared=_vehicle, vehicle_of=lambda obj, shared: shared["vehicle"]["id"],
         state=_order_and_measurement, check=_terminated_keeps_payable,
         # they do not conflict: the running periods of a terminated order are still measured and paid
         one_after_another={frozenset({"terminate", "verify"}): "terminated, measurement verified"}),
]

ALL_RACES = {f"{spec.noun}: {spec.name}": spec
             for spec in ORDER_RACES + PARTICIPATION_RACES + OBSERVATION_RACES + LISTING_RACES + INVOICE_RACES
             + CLOSEOUT_RACES}
