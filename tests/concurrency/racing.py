"""Fire API requests truly concurrently, then judge the race: who won, what the losers were told,
and whether the money still adds up.

Each request runs in a thread of its own through its own Flask test client: the request pushes its
own application context, so it gets its own SQLAlchemy session and its own database connection.
The threads wait at a `threading.Barrier` and are released together, so the requests overlap in
the database (on PostgreSQL; SQLite serializes writing requests, see `conftest.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Table, select

from marketplace.extensions import db

# How long a request may take before the race counts as hung (a deadlock, a lock never released).
HANG_SECONDS = 60

# Order states that hold a commitment against the vehicle ceiling and the participation limit (DESIGN
# section 4), and those that hold none. `completed` is left out: closeout may trim the commitment.
LIVE_ORDER_STATES = ("submitted", "pending_approval", "approved", "active")
DEAD_ORDER_STATES = ("draft", "declined", "cancelled")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Call:
    """One request of a race: `label` names the step it tries ("cancel", "approve", …)."""

    label: str
    path: str
    headers: dict
    body: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    label: str
    status: int
    body: dict | None

    @property
    def won(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        error = (self.body or {}).get("error") or {}
        return str(error.get("message") or "")

    def __str__(self) -> str:
        said = self.message or (self.body or {}).get("status", "")
        return f"{self.label} → {self.status} {said!r}"


def race(app, calls: Iterable[Call]) -> list[Outcome]:
    """POST every call at the same moment, one thread and one connection each; return the outcomes
    in the order of `calls`."""
    calls = list(calls)
    start = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)

    def fire(index: int, call: Call) -> None:
        client = app.test_client()
        try:
            start.wait(HANG_SECONDS)
            response = client.post(call.path, json=call.body, headers=call.headers)
            outcomes[index] = Outcome(call.label, response.status_code, response.get_json(silent=True))
        except Exception as exc:  # reported as an outcome: the race's assertion shows it
            outcomes[index] = Outcome(call.label, 599, {"error": {"message": f"raised {exc!r}"}})

    threads = [threading.Thread(target=fire, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_SECONDS)
    hung = [calls[i].label for i, thread in enumerate(threads) if thread.is_alive()]
    assert not hung, f"requests still running after {HANG_SECONDS}s (a deadlock?): {hung}"
    return outcomes  # type: ignore[return-value]


def describe(outcomes: list[Outcome]) -> str:
    return "; ".join(map(str, outcomes))


def winners(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.won]


def answer_problems(outcomes: list[Outcome], words: tuple[str, ...]) -> list[str]:
    """What is wrong with the losers' answers: each must be 409 with a sentence that says what
    happened (one of `words`, in any case; no words: any sentence)."""
    problems = []
    for outcome in outcomes:
        if outcome.won:
            continue
        if outcome.status != 409:
            problems.append(f"{outcome.label} got {outcome.status}, not 409")
        elif not outcome.message.strip():
            problems.append(f"{outcome.label} got 409 without a message")
        elif words and not any(word in outcome.message.lower() for word in words):
            problems.append(f"{outcome.label}'s 409 does not say what happened (expected one of {words}): "
                            f"{outcome.message!r}")
    return problems


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _cents(value) -> Decimal:
    return Decimal(value).quantize(CENT)


def money_problems(app, client, admin: dict, vehicle_ids: Iterable[int]) -> list[str]:
    """Whether the money adds up, to the cent, for every vehicle and its participations:

    - an order that is live has its whole value committed, one that is not has nothing committed;
    - a vehicle's `committed` is the sum of its orders' `committed`, and a participation's the sum of
      its member's orders under the vehicle (nothing for one that is not executed);
    - the API shows `remaining = ceiling − committed` with the database's figures.

    Reads the tables directly (by name, whatever module the models live in; the columns' types turn
    stored cents into amounts), then the API as `admin`.
    """
    problems: list[str] = []
    for vehicle_id in vehicle_ids:
        vehicle_table, order_table, participation_table = map(_table, ("vehicle", "purchase_order", "participation"))
        with app.app_context():
            vehicle = db.session.execute(select(vehicle_table).where(vehicle_table.c.id == vehicle_id)).one()
            orders = db.session.execute(select(order_table).where(order_table.c.vehicle_id == vehicle_id)).all()
            participations = db.session.execute(
                select(participation_table).where(participation_table.c.vehicle_id == vehicle_id)).all()
            db.session.remove()
        for order in orders:
            if order.status in LIVE_ORDER_STATES and _cents(order.committed) != _cents(order.value):
                problems.append(f"order {order.id} is {order.status} with {order.committed} committed of its "
                                f"value {order.value}")
            if order.status in DEAD_ORDER_STATES and _cents(order.committed) != 0:
                problems.append(f"order {order.id} is {order.status} but still commits {order.committed}")
        total = sum((_cents(o.committed) for o in orders), Decimal("0.00"))
        if _cents(vehicle.committed) != total:
            problems.append(f"vehicle {vehicle_id} commits {vehicle.committed}, its orders {total}")
        for p in participations:
            mine = sum((_cents(o.committed) for o in orders if o.member_id == p.member_id), Decimal("0.00"))
            expected = mine if p.status == "executed" else Decimal("0.00")
            if _cents(p.committed) != expected:
                problems.append(f"participation {p.id} ({p.status}) commits {p.committed}, its orders {expected}")
            if p.status == "executed":
                problems += _shown_remaining(client, admin, f"/api/v1/participations/{p.id}",
                                             p.member_not_to_exceed, p.committed, "member_not_to_exceed")
        problems += _shown_remaining(client, admin, f"/api/v1/vehicles/{vehicle_id}", vehicle.ceiling,
                                     vehicle.committed, "ceiling")
    return problems


def _shown_remaining(client, admin: dict, path: str, ceiling, committed, ceiling_field: str) -> list[str]:
    """The API's committed / remaining figures agree with the database: remaining = ceiling − committed."""
    response = client.get(path, headers=admin)
    if response.status_code != 200:
        return [f"GET {path} answered {response.status_code}"]
    shown = response.get_json()
    if shown.get(ceiling_field) is None:  # a participation without a member not-to-exceed: no remaining
        return [] if ceiling is None else [f"{path} hides its {ceiling_field}"]
    problems = []
    if _cents(shown["committed"]) != _cents(committed):
        problems.append(f"{path} shows {shown['committed']} committed, the database {committed}")
    if _cents(shown["remaining"]) != _cents(shown[ceiling_field]) - _cents(shown["committed"]):
        problems.append(f"{path} shows remaining {shown['remaining']} ≠ {shown[ceiling_field]} − "
                        f"{shown['committed']}")
    return problems
