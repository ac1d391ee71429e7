"""Every pair of conflicting transitions, declared once: the object raced on (fresh each round), the
requests fired at it together, what a loser must be told, and the state the winner leaves.

The race tests run each of them with the kernel's lock; `test_races_need_the_lock.py` runs some of
the very same races without it, to prove that they catch the bug.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.concurrency.racing import Call, Outcome, answer_problems, money_problems, race, winners
from tests.concurrency.world import ADMIN, APPROVER, BALLAST, BUYER, LARGE, SMALL, TERMS, VENDOR, Market

ROUNDS = 20


@dataclass(frozen=True)
class Step:
    """A request of the race: POST /api/v1/<noun>/<id>/<label> as `who`, with `body`."""

    label: str
    who: str
    body: dict = field(default_factory=dict)


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
        calls = [Call(step.label, f"/api/v1/{spec.noun}/{obj['id']}/{step.label}", market.headers(step.who),
                      step.body) for step in spec.steps]
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
    """Tempe asks to join a new vehicle (one request per member and vehicle)."""
    vehicle = market.vehicle(shared["listing"], tempe_joins=False)
    return {**market.participation(vehicle), "vehicle_id": vehicle["id"]}


PARTICIPATION_RACES = [
    Race(name="office approves vs declines", noun="participations",
         steps=(Step("approve", ADMIN, {"reason": "Welcome."}),
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

ALL_RACES = {f"{spec.noun}: {spec.name}": spec
             for spec in ORDER_RACES + PARTICIPATION_RACES + OBSERVATION_RACES + LISTING_RACES}
