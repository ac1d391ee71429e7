"""Benchmark: concurrent order submissions against one vehicle ceiling (not a test).

    .venv/bin/python bench/orders.py [--clients 8] [--orders 400] [--database-url URL] [--no-http]

Builds a fresh database (a SQLite file in a temporary directory, or the PostgreSQL database named by
``--database-url``, whose schema is dropped and recreated), runs the migrations and loads the demo data.
Then, for each mode, it creates an active vehicle led by Mesa (ParkSense parking sensors) and the draft
orders of Mesa's buyer up front, sets a ceiling that fits only about 70% of their total value, and lets
``--clients`` concurrent clients submit them:

- ``direct``: threads, each submission in its own app context: ``begin_serialized_write()``, load the
  order, ``contracts.orders.submit_order``, commit (a ``Conflict`` is a refusal);
- ``http``: ``POST /api/v1/orders/<id>/submit`` with bearer tokens (one per client) and an
  ``Idempotency-Key``, against a real threaded HTTP server on a free port of 127.0.0.1; each token is
  used once beforehand (``GET /api/v1/me``), as in steady use;
- ``http-new-tokens``: the same with tokens whose first use falls in the contended run (the token's
  ``last_used_at`` is then written by the request's authentication).

With HTTP, it also times ``--orders`` drafts made concurrently through ``POST /api/v1/orders``.

Reports submissions per second, p50/p95 latency per submission, accepted / refused / errors, and checks
the result in the database: the vehicle's committed total must not exceed its ceiling, must equal the
sum of the accepted orders' values, and no refused order may fit in what remains.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bench.search import database_label, fresh_app, http_request, latency_cells, serve  # noqa: E402
from catalog.listings.models import Listing  # noqa: E402
from consortium.models import Consortium, Organization, User  # noqa: E402
from consortium.services import issue_token  # noqa: E402
from contracts.orders import services as services  # noqa: E402
from contracts.orders.models import Order  # noqa: E402
from contracts.vehicles.models import Award, ScheduleItem, Vehicle  # noqa: E402
from marketplace.errors import Conflict  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.locking import begin_serialized_write  # noqa: E402
from marketplace.numbers import to_cents  # noqa: E402

BUYER = "buyer@mesa.example"
LISTING = "In-ground parking occupancy sensors"
FIT_SHARE = Decimal("0.7")


class FirstTracebackOnly(logging.Filter):
    """The app logs every unhandled error with its traceback: keep the first of each kind only."""

    def __init__(self):
        super().__init__()
        self.seen: set[tuple] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            lines = str(record.exc_info[1]).splitlines()
            key = (record.exc_info[0], *[line[:100] for line in lines[:2]])  # the error and its SQL
            if key in self.seen:
                record.exc_info, record.exc_text = None, None
            self.seen.add(key)
        return True


@dataclass
class Run:
    mode: str
    clients: int
    # (order id, "accepted" | "refused" | "error: ...", milliseconds)
    outcomes: list[tuple[int, str, float]] = field(default_factory=list)
    wall_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, order_id: int, outcome: str, ms: float) -> None:
        with self.lock:
            self.outcomes.append((order_id, outcome, ms))

    def count(self, outcome: str) -> int:
        return sum(1 for _, o, _ in self.outcomes if o == outcome)

    def ids(self, outcome: str) -> set[int]:
        return {order_id for order_id, o, _ in self.outcomes if o == outcome}

    @property
    def errors(self) -> list[str]:
        return [o for _, o, _ in self.outcomes if o not in ("accepted", "refused")]


# --------------------------------------------------------------------------------------- set-up

def make_vehicle(number: str) -> int:
    """An active vehicle led by Mesa over the parking-sensor listing at list prices (ceiling set later)."""
    gpsr = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
    mesa = db.session.scalar(select(Organization).where(Organization.name == "Mesa"))
    listing = db.session.scalar(select(Listing).where(Listing.title == LISTING, Listing.consortium_id == gpsr.id))
    vehicle = Vehicle(consortium_id=gpsr.id, number=number, title=f"Benchmark vehicle {number}",
                      lead_agency_id=mesa.id, start_date=date.today() - timedelta(days=1),
                      end_date=date.today() + timedelta(days=365), ceiling=Decimal("1.00"), status="active")
    award = Award(vendor_id=listing.vendor_id, listings=[listing])
    vehicle.awards.append(award)
    for item in listing.active_price_items:
        award.schedule.append(ScheduleItem(vehicle=vehicle, price_item=item, contract_price=item.list_price))
    db.session.add(vehicle)
    db.session.flush()
    return vehicle.id


def order_bodies(vehicle_id: int, count: int, rng: random.Random) -> list[dict]:
    """Order bodies of varied value (1-2 lines of 10-400 units) under the vehicle's price schedule."""
    vehicle = db.session.get(Vehicle, vehicle_id)
    items = [s.price_item_id for s in vehicle.schedule]
    return [{"lines": [{"price_item_id": item, "quantity": str(rng.randint(10, 400))}
                       for item in rng.sample(items, rng.randint(1, len(items)))], "po_number": "BENCH"}
            for _ in range(count)]


def make_drafts(vehicle_id: int, bodies: list[dict]) -> None:
    """Mesa's buyer drafts the orders through the service."""
    vehicle = db.session.get(Vehicle, vehicle_id)
    buyer = db.session.scalar(select(User).where(User.email == BUYER))
    for body in bodies:
        services.create_order(vehicle=vehicle, data=body, actor=buyer)
    db.session.commit()


def set_ceiling(vehicle_id: int) -> list[int]:
    """Let the ceiling fit about 70% of the total value of the vehicle's drafts; returns their ids."""
    drafts = db.session.scalars(select(Order).where(Order.vehicle_id == vehicle_id).order_by(Order.id)).all()
    vehicle = db.session.get(Vehicle, vehicle_id)
    vehicle.ceiling = to_cents(sum((o.value for o in drafts), Decimal("0")) * FIT_SHARE)
    db.session.commit()
    return [o.id for o in drafts]


def make_tokens(count: int) -> list[str]:
    buyer = db.session.scalar(select(User).where(User.email == BUYER))
    raws = [issue_token(buyer, f"bench client {i}")[1] for i in range(count)]
    db.session.commit()
    return raws


# ------------------------------------------------------------------------------------ submitting

def run_clients(run: Run, order_ids: list[int], submit, budget_s: float) -> None:
    """`run.clients` threads take orders (or bodies' numbers) from one queue, all starting together."""
    work: queue.Queue[int] = queue.Queue()
    for order_id in order_ids:
        work.put(order_id)
    start = threading.Barrier(run.clients + 1)
    deadline = time.monotonic() + budget_s

    def client(number: int) -> None:
        start.wait()
        while time.monotonic() < deadline:
            try:
                order_id = work.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            outcome = submit(number, order_id)
            run.add(order_id, outcome, (time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}") for i in range(run.clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=budget_s + 60)
    run.wall_s = time.perf_counter() - started


def direct_submitter(app):
    def submit(client: int, order_id: int) -> str:
        with app.app_context():
            try:
                begin_serialized_write()
                order = db.session.scalar(select(Order).where(Order.id == order_id))
                buyer = db.session.scalar(select(User).where(User.email == BUYER))
                services.submit_order(order, actor=buyer)
                db.session.commit()
                return "accepted"
            except Conflict:
                db.session.rollback()
                return "refused"
            except Exception as exc:  # anything else is a failure worth reporting
                db.session.rollback()
                return f"error: {exc!r}"[:300]
    return submit


def http_creator(port: int, tokens: list[str], vehicle_id: int, bodies: list[dict]):
    def create(client: int, number: int) -> str:
        headers = {"Authorization": f"Bearer {tokens[client]}", "X-Consortium": "gpsr",
                   "Idempotency-Key": uuid.uuid4().hex}
        try:
            status, body, _ = http_request(port, "POST", "/api/v1/orders",
                                           {"vehicle_id": vehicle_id, **bodies[number]}, headers)
        except OSError as exc:
            return f"error: {exc!r}"
        return "accepted" if status == 201 else f"error: HTTP {status} {body[:200]!r}"
    return create


def http_submitter(port: int, tokens: list[str]):
    def submit(client: int, order_id: int) -> str:
        headers = {"Authorization": f"Bearer {tokens[client]}", "X-Consortium": "gpsr",
                   "Idempotency-Key": uuid.uuid4().hex}
        try:
            status, body, _ = http_request(port, "POST", f"/api/v1/orders/{order_id}/submit", {}, headers)
        except OSError as exc:
            return f"error: {exc!r}"
        if status == 200:
            return "accepted"
        if status == 409:
            return "refused"
        return f"error: HTTP {status} {body[:200]!r}"
    return submit


# ------------------------------------------------------------------------------------- checking

def check(vehicle_id: int, run: Run) -> dict:
    """The vehicle's books after the run, read fresh from the database."""
    db.session.remove()
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.id == vehicle_id))
    orders = db.session.scalars(select(Order).where(Order.vehicle_id == vehicle_id)).all()
    accepted = [o for o in orders if o.status != "draft"]
    refused = [o for o in orders if o.id in run.ids("refused")]
    accepted_values = sum((o.value for o in accepted), Decimal("0"))
    return {
        "ceiling": vehicle.ceiling,
        "committed": vehicle.committed,
        "accepted_values": accepted_values,
        "order_commitments": sum((o.committed for o in accepted), Decimal("0")),
        "overrun": max(Decimal("0"), vehicle.committed - vehicle.ceiling),
        "sums_equal": vehicle.committed == accepted_values == sum((o.committed for o in accepted), Decimal("0")),
        "db_accepted": len(accepted),
        "outcomes_match_db": {o.id for o in accepted} == run.ids("accepted")
        and all(o.status == "draft" and o.committed == 0 for o in refused),
        # committed only grows, so an order refused for the ceiling never fits in the final remainder
        "wrongly_refused": sum(1 for o in refused if o.value <= vehicle.ceiling - vehicle.committed),
    }


def measure(app, mode: str, clients: int, orders: int, rng: random.Random, budget_s: float) -> tuple[Run, dict]:
    """Submit `orders` drafts of a new vehicle whose ceiling fits about 70% of them; returns the run and books."""
    with app.app_context():
        vehicle_id = make_vehicle(f"BENCH-{mode.upper()}")
        make_drafts(vehicle_id, order_bodies(vehicle_id, orders, rng))
        order_ids = set_ceiling(vehicle_id)
        tokens = make_tokens(clients) if mode.startswith("http") else []
    run = Run(mode, clients)
    if mode == "direct":
        run_clients(run, order_ids, direct_submitter(app), budget_s)
    else:
        with serve(app, threaded=True) as port:
            if mode == "http":  # each token used once before: no `last_used_at` write during the run
                warm_tokens(port, tokens)
            run_clients(run, order_ids, http_submitter(port, tokens), budget_s)
    with app.app_context():
        books = check(vehicle_id, run)
    return run, books


def measure_drafting(app, clients: int, orders: int, rng: random.Random, budget_s: float) -> Run:
    """`POST /api/v1/orders` from concurrent clients (tokens used once before), on a vehicle of its own."""
    with app.app_context():
        vehicle_id = make_vehicle("BENCH-DRAFTING")
        bodies = order_bodies(vehicle_id, orders, rng)
        tokens = make_tokens(clients)
    run = Run("http drafting", clients)
    with serve(app, threaded=True) as port:
        warm_tokens(port, tokens)
        run_clients(run, list(range(orders)), http_creator(port, tokens, vehicle_id, bodies), budget_s)
    return run


def warm_tokens(port: int, tokens: list[str]) -> None:
    for token in tokens:
        http_request(port, "GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def report(label: str, results: list[tuple[Run, dict]], drafting: Run | None) -> None:
    print(f"\n{label}")
    print(f"{'mode':<15} {'clients':>7} {'orders':>6} {'wall s':>7} {'subm/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'max ms':>7} {'accepted':>8} {'refused':>7} {'errors':>6} {'overruns':>8} {'sums equal':>10}")
    for run, books in results:
        timings = [ms for _, _, ms in run.outcomes]
        rate = len(run.outcomes) / run.wall_s if run.wall_s else 0.0
        print(f"{run.mode:<15} {run.clients:>7} {len(run.outcomes):>6} {run.wall_s:7.2f} {rate:7.1f} "
              f"{latency_cells(timings)} {run.count('accepted'):>8} {run.count('refused'):>7} "
              f"{len(run.errors):>6} {int(books['overrun'] > 0):>8} {'yes' if books['sums_equal'] else 'NO':>10}")
    if drafting is not None:
        timings = [ms for _, _, ms in drafting.outcomes]
        print(f"{drafting.mode:<15} {drafting.clients:>7} {len(drafting.outcomes):>6} {drafting.wall_s:7.2f} "
              f"{len(drafting.outcomes) / drafting.wall_s:7.1f} {latency_cells(timings)} "
              f"{drafting.count('accepted'):>8} {'-':>7} {len(drafting.errors):>6}  (POST /api/v1/orders: created)")
    for run, books in results:
        print(f"  {run.mode}: ceiling {books['ceiling']:,.2f}, committed {books['committed']:,.2f}, "
              f"sum of accepted values {books['accepted_values']:,.2f}, orders' commitments "
              f"{books['order_commitments']:,.2f}; accepted in DB {books['db_accepted']} "
              f"({'matches' if books['outcomes_match_db'] else 'DOES NOT MATCH'} the clients' count); "
              f"refused orders that would have fitted: {books['wrongly_refused']}")
        for error in sorted(set(run.errors))[:5]:
            print(f"    {run.errors.count(error)} x {error}")
    for error in sorted(set(drafting.errors if drafting else []))[:5]:
        print(f"  http drafting: {drafting.errors.count(error)} x {error}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--orders", type=int, default=400, help="draft orders to submit per mode (default 400)")
    parser.add_argument("--database-url", help="PostgreSQL URL (its schema is dropped); default: SQLite in a temp dir")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP API mode")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=300.0, help="time budget of each mode")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-orders-"))
    try:
        print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
        app = fresh_app(args.database_url, workdir)
        logging.getLogger("marketplace").addFilter(FirstTracebackOnly())
        rng = random.Random(args.seed)
        modes = ("direct",) if args.no_http else ("direct", "http", "http-new-tokens")
        results = [measure(app, mode, args.clients, args.orders, rng, args.seconds) for mode in modes]
        drafting = None if args.no_http else measure_drafting(app, args.clients, args.orders, rng, args.seconds)
        report(f"{database_label(app)}: {args.orders} orders per mode, ceiling fits ~{FIT_SHARE:.0%} of their value",
               results, drafting)
        print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        with app.app_context():
            db.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
