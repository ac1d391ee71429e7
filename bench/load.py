"""Benchmark: the whole site under gunicorn at real volume, from concurrent clients (not a test).

    .venv/bin/python bench/load.py [--listings 50000] [--orders 10000] [--clients 8] [--duration 30]
        [--warmup 5] [--workers N] [--engine whoosh|postgres] [--database-url URL] [--skip-generate]
        [--submit-orders 400]

1. Unless `--skip-generate`: empties the PostgreSQL database (default `bench_load`, created if missing;
   the name must contain `bench`), runs the migrations, loads the demo data and adds the volume of
   `bench/load_data.py` (listings, a vehicle with orders in every state, observations).
2. Builds the search index (`catalog.search.reindex()`, timed) for `--engine`.
3. Counts the SQL statements of one request of each page kind in-process (Flask test client and a
   `before_cursor_execute` listener on the same database).
4. Starts gunicorn (`--workers`, default 2 x cores + 1; production mode, Redis throttle when Redis
   answers) on a free loopback port, signs in one demo person per client through the sign-in form, and
   drives a page mix from `--clients` threads for `--warmup` + `--duration` seconds: home page with the
   work queue, catalog search with facets, a listing, an order with its settlement, the order list, and
   the API's listing search and order list. Only requests after the warm-up are counted.
5. Order submissions over HTTP: the clients draft orders (`POST /api/v1/orders`) under a new vehicle,
   the ceiling is set to fit ~70% of them, and they submit them all at once; then the books are checked
   (no overrun: committed <= ceiling, and committed = the sum of the accepted orders).

Prints a Markdown table ready for bench/README.md, with the machine's core count.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import orders as order_bench  # noqa: E402
from bench import search as search_bench  # noqa: E402
from bench.load_data import VEHICLE_NUMBER, generate  # noqa: E402
from bench.orders import Run  # noqa: E402
from catalog import search as indexing  # noqa: E402
from catalog.listings.models import Listing  # noqa: E402
from consortium.models import Consortium, Supplier, User  # noqa: E402
from consortium.services import issue_token  # noqa: E402
from contracts.orders.models import Order  # noqa: E402
from contracts.vehicles.models import Vehicle  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.demo import load_demo  # noqa: E402
from marketplace.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
PASSWORD = "demo-password"
PERSONAS = ("buyer@mesa.example", "approver@mesa.example", "buyer@tempe.example", "approver@tempe.example",
            "buyer@chandler.example", "approver@scottsdale.example", "vendor@brightstreet.example",
            "admin@gpsr.example")
# page kind -> share of the requests
MIX = {"home (work queue)": 0.15, "catalog search": 0.25, "listing": 0.15, "order + settlement": 0.15,
       "order list": 0.05, "API listings ?q=": 0.15, "API orders": 0.10}
_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def quiet() -> None:
    """Keep this process's own log lines (the in-process SQL counting, the migrations) out of the report."""
    search_bench.quiet_logs()
    for name in ("marketplace.request", "catalog.search.engine.index"):
        logging.getLogger(name).setLevel(logging.WARNING)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --------------------------------------------------------------------------------- the database

def build(app, args) -> dict:
    """Migrations, demo data and the synthetic volume on an emptied database; returns what was made."""
    with app.app_context():
        upgrade()
        quiet()  # the migrations' logging config put alembic back to INFO
        load_demo()
        db.session.commit()
        started = time.perf_counter()
        made = generate(args.listings, args.orders, args.seed)
        made["generate_s"] = time.perf_counter() - started
    return made


def reindex(app) -> tuple[int, float]:
    with app.app_context():
        started = time.perf_counter()
        count = indexing.reindex()
        return count, time.perf_counter() - started


class Targets:
    """What the clients ask for: published listings, the performance orders each person may open, queries."""

    def __init__(self, app, seed: int):
        with app.app_context():
            gpsr = db.session.scalar(select(Consortium.id).where(Consortium.slug == "gpsr"))
            self.listings = list(db.session.scalars(select(Listing.id).where(
                Listing.consortium_id == gpsr, Listing.status == "published")))
            vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == VEHICLE_NUMBER))
            if vehicle is None:
                raise SystemExit(f"no vehicle {VEHICLE_NUMBER}: generate the data first (drop --skip-generate)")
            self.order_count = db.session.scalar(select(func.count()).select_from(Order).where(
                Order.vehicle_id == vehicle.id))
            rows = db.session.execute(select(Order.id, Order.member_id, Order.vendor_id).where(
                Order.vehicle_id == vehicle.id, Order.performance.is_not(None),
                Order.status.in_(("active", "completed")))).all()
            self.orders: dict[str, list[int]] = {}
            for email in PERSONAS:
                person = db.session.scalar(select(User).where(User.email == email))
                org = person.organization_id
                self.orders[email] = [r.id for r in rows if person.role == "admin" or org in (r.member_id, r.vendor_id)]
            vendors = list(db.session.scalars(select(Supplier.organization_id).where(Supplier.consortium_id == gpsr)))
        self.queries = search_bench.make_queries(500, vendors, seed)


# ------------------------------------------------------------------------------ SQL per page kind

def sample_urls(targets: Targets, email: str) -> dict[str, str]:
    query = {"q": "street lighting", "typo": False, "category": "lighting", "pricing_model": None, "proven": None,
             "vendor_id": None, "page": 1}
    return {"home (work queue)": "/c/gpsr/", "catalog search": search_bench.page_url(query),
            "listing": f"/c/gpsr/listings/{targets.listings[len(targets.listings) // 2]}",
            "order + settlement": f"/c/gpsr/orders/{targets.orders[email][0]}", "order list": "/c/gpsr/orders",
            "API listings ?q=": search_bench.api_url(query), "API orders": "/api/v1/orders"}


def count_sql(app, targets: Targets, email: str = "buyer@mesa.example") -> dict[str, int]:
    """One request of each page kind through the test client (after one unmeasured, as a warm worker)."""
    client = app.test_client()
    with app.app_context():
        engine = db.engine
        _, raw = issue_token(db.session.scalar(select(User).where(User.email == email)), "bench load (SQL count)")
        db.session.commit()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"in-process sign-in as {email} failed: HTTP {response.status_code}")
    counts, statements = {}, []

    def listen(conn, cursor, statement, *args):
        if not _CONTROL.match(statement):
            statements.append(statement)

    for kind, url in sample_urls(targets, email).items():
        headers = {"Authorization": f"Bearer {raw}"} if url.startswith("/api/") else {}
        client.get(url, headers=headers)
        event.listen(engine, "before_cursor_execute", listen)
        try:
            statements.clear()
            status = client.get(url, headers=headers).status_code
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        counts[kind] = len(statements) if status == 200 else -status
    return counts


# ---------------------------------------------------------------------------------------- gunicorn

def throttle_store() -> str:
    try:
        import redis

        uri = "redis://127.0.0.1:6379/6"
        redis.Redis.from_url(uri, socket_connect_timeout=1).ping()
        return uri
    except Exception:  # noqa: BLE001 - no Redis: the in-memory store (production warns about it)
        return "memory://"


def start_gunicorn(args, url: str, index_dir: Path, workdir: Path) -> tuple[subprocess.Popen, int, Path]:
    from gunicorn.config import KNOWN_SETTINGS

    port = free_port()
    env = {**os.environ, "MARKETPLACE_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "SEARCH_ENGINE": args.engine, "SEARCH_INDEX_DIR": str(index_dir), "RATELIMIT_STORAGE_URI": throttle_store(),
           "MAIL_FILE_DIR": str(workdir / "mail"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}"]
    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        command.append("--no-control-socket")
    log_path = workdir / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*command, "marketplace:create_app()"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log_path}")
        try:
            if request(port, "GET", "/login")[0] == 200:
                return process, port, log_path
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer within 120 s; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait(timeout=10)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------ the clients

def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """One request on its own connection (gunicorn's sync workers close it after each response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    return response.status, data, (time.perf_counter() - started) * 1000, response.msg.get_all("Set-Cookie") or []


class Client:
    """One person at a browser (cookies by hand: production marks them Secure) with an API token."""

    def __init__(self, port: int, email: str, token: str):
        self.port, self.email, self.token = port, email, token
        self.cookies: dict[str, str] = {}
        self.agent = f"bench-load {email}"

    def get(self, path: str) -> tuple[int, float]:
        if path.startswith("/api/"):
            headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        else:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        status, _, ms, _ = request(self.port, "GET", path, {**headers, "User-Agent": self.agent})
        return status, ms

    def sign_in(self) -> None:
        status, body, _, cookies = request(self.port, "GET", "/login", {"User-Agent": self.agent})
        self._keep(cookies)
        token = _CSRF.search(body.decode())
        form = urlencode({"csrf_token": token.group(1) if token else "", "email": self.email, "password": PASSWORD})
        status, _, _, cookies = request(self.port, "POST", "/login", {
            "User-Agent": self.agent, "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}, form.encode())
        if status != 302:
            raise SystemExit(f"{self.email} could not sign in over HTTP: {status}")
        self._keep(cookies)

    def _keep(self, headers: list[str]) -> None:
        for header in headers:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value


def next_url(kind: str, client: Client, targets: Targets, rng: random.Random) -> str:
    if kind == "home (work queue)":
        return "/c/gpsr/"
    if kind == "catalog search":
        return search_bench.page_url(rng.choice(targets.queries))
    if kind == "listing":
        return f"/c/gpsr/listings/{rng.choice(targets.listings)}"
    if kind == "order + settlement":
        return f"/c/gpsr/orders/{rng.choice(targets.orders[client.email])}"
    if kind == "order list":
        return "/c/gpsr/orders"
    if kind == "API listings ?q=":
        return search_bench.api_url(rng.choice(targets.queries))
    return "/api/v1/orders"


def drive(clients: list[Client], targets: Targets, warmup: float, duration: float, seed: int) -> tuple[dict, int]:
    """Each client requests pages of the mix back to back; returns {kind: [(ms, status)]} after the warm-up,
    and how many requests the warm-up made."""
    results: dict[str, list[tuple[float, int]]] = defaultdict(list)
    warm = [0]
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    kinds, weights = list(MIX), list(MIX.values())
    begin = [0.0]

    def run(number: int, client: Client) -> None:
        rng = random.Random(seed + number)
        start.wait()
        measure_from, end = begin[0] + warmup, begin[0] + warmup + duration
        while (now := time.monotonic()) < end:
            kind = rng.choices(kinds, weights)[0]
            try:
                status, ms = client.get(next_url(kind, client, targets, rng))
            except OSError:
                status, ms = 0, 0.0
            with lock:
                if now >= measure_from:
                    results[kind].append((ms, status))
                else:
                    warm[0] += 1

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    begin[0] = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(warmup + duration + 120)
    return results, warm[0]


def submissions(app, port: int, args) -> tuple[Run, Run, dict]:
    """Drafts over HTTP from the clients, a ceiling fitting ~70% of them, then all submitted at once."""
    rng = random.Random(args.seed + 9)
    with app.app_context():
        vehicle_id = order_bench.make_vehicle(f"LOAD-SUBMIT-{uuid.uuid4().hex[:8]}")
        bodies = order_bench.order_bodies(vehicle_id, args.submit_orders, rng)
        tokens = order_bench.make_tokens(args.clients)
    order_bench.warm_tokens(port, tokens)
    drafting = Run("http drafting", args.clients)
    creator = order_bench.http_creator(port, tokens, vehicle_id, bodies)
    order_bench.run_clients(drafting, list(range(args.submit_orders)), creator, 300)
    with app.app_context():
        order_ids = order_bench.set_ceiling(vehicle_id)
    submitting = Run("http submit", args.clients)
    order_bench.run_clients(submitting, order_ids, order_bench.http_submitter(port, tokens), 300)
    with app.app_context():
        books = order_bench.check(vehicle_id, submitting)
    return drafting, submitting, books


# ---------------------------------------------------------------------------------------- report

def cells(timings: list[float], with_max: bool = True) -> str:
    """`p50 | p95 | max` in ms for a Markdown row."""
    p50, p95 = search_bench.percentile(timings, 50), search_bench.percentile(timings, 95)
    return f"{p50:.1f} | {p95:.1f}" + (f" | {max(timings):.1f}" if with_max else "")


def report(args, label: str, made: dict, index: tuple, sql: dict, driven: tuple, runs: tuple,
           targets: Targets) -> None:
    results, warm = driven
    every = [ms for rows in results.values() for ms, _ in rows]
    print(f"\n### Load: {len(targets.listings):,} published listings, {targets.order_count:,} orders ({label}, "
          f"search engine `{args.engine}`)\n")
    print(f"{cores()} cores; gunicorn {args.workers} workers (sync); {args.clients} concurrent clients; "
          f"{args.duration:g} s measured after a {args.warmup:g} s warm-up ({warm} requests); load average at the end "
          + "{:.2f} {:.2f} {:.2f}.".format(*os.getloadavg()))
    if made:
        print(f"Generated in {made['generate_s']:.1f} s ({made['observations']:,} observations; orders by state: "
              + ", ".join(f"{k} {v:,}" for k, v in sorted(made["orders_by_status"].items())) + ").")
    print(f"Search index built in {index[1]:.1f} s ({index[0]:,} published listings).\n")
    print("| page | requests | p50 ms | p95 ms | max ms | SQL per request | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in MIX:
        rows = results.get(kind, [])
        timings = [ms for ms, status in rows if status == 200] or [0.0]
        errors = sum(1 for _, status in rows if status != 200)
        print(f"| {kind} | {len(rows):,} | {cells(timings)} | {sql.get(kind, '-')} | {errors} |")
    if every:
        print(f"| **all** | {len(every):,} | {cells(every)} | | |")
    print(f"\nThroughput: **{len(every) / args.duration:.1f} requests/s**.\n")
    drafting, submitting, books = runs
    print("| order submissions over HTTP | orders | wall s | per second | p50 ms | p95 ms | accepted | refused "
          "| errors | overrun |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for run in (drafting, submitting):
        timings = [ms for _, _, ms in run.outcomes] or [0.0]
        refused = "-" if run is drafting else run.count("refused")
        overrun = "-" if run is drafting else (f"**{books['overrun']}**" if books["overrun"] else "none")
        print(f"| {'drafts (POST /api/v1/orders)' if run is drafting else 'submits (POST …/submit)'} | "
              f"{len(run.outcomes)} | {run.wall_s:.2f} | {len(run.outcomes) / max(run.wall_s, 1e-9):.1f} | "
              f"{cells(timings, with_max=False)} | {run.count('accepted')} | "
              f"{refused} | {len(run.errors)} | {overrun} |")
    print(f"\nCeiling {books['ceiling']:,.2f}, committed {books['committed']:,.2f} (= the accepted orders' sum: "
          f"{'yes' if books['sums_equal'] else 'NO'}); refused orders that would have fitted: "
          f"{books['wrongly_refused']}.")
    for error in sorted(set(submitting.errors + drafting.errors))[:5]:
        print(f"  error: {error}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured (after the warm-up)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2 * cores() + 1, help="gunicorn workers (default 2 x cores + 1)")
    parser.add_argument("--engine", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL; emptied unless --skip-generate")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the data of an earlier run")
    parser.add_argument("--submit-orders", type=int, default=400, help="orders drafted and submitted over HTTP")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    url = make_url(args.database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("bench/load.py runs on PostgreSQL: pass --database-url postgresql+psycopg://…/bench_…")
    url_text = url.render_as_string(hide_password=False)
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    index_dir = Path(tempfile.gettempdir()) / f"bench-load-index-{url.database}"
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url_text, "SEARCH_INDEX_DIR": str(index_dir),
                      "SEARCH_ENGINE": args.engine, "TESTING": False, "WTF_CSRF_ENABLED": False})
    quiet()
    with app.app_context():
        try:
            indexing.get_engine()  # an engine this code base does not have fails here, before the long part
        except RuntimeError as exc:
            raise SystemExit(f"--engine {args.engine}: {exc}") from None
    if not args.skip_generate:
        search_bench.reset_database(url_text)
    if args.skip_generate:
        with app.app_context():
            upgrade()  # the kept data follows any migration added since it was generated
            quiet()
        made = {}
    else:
        made = build(app, args)
    index = reindex(app)
    print(f"data ready in {time.perf_counter() - started:.1f} s; counting SQL per page …", flush=True)
    targets = Targets(app, args.seed)
    sql = count_sql(app, targets)
    process, port, log_path = start_gunicorn(args, url_text, index_dir, workdir)
    try:
        with app.app_context():
            people = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(PERSONAS)))}
            tokens = [issue_token(people[PERSONAS[i % len(PERSONAS)]], "bench load")[1] for i in range(args.clients)]
            db.session.commit()
        clients = [Client(port, PERSONAS[i % len(PERSONAS)], tokens[i]) for i in range(args.clients)]
        for client in clients:
            client.sign_in()
        print(f"gunicorn on port {port} (log {log_path}); driving {args.clients} clients …", flush=True)
        driven = drive(clients, targets, args.warmup, args.duration, args.seed)
        runs = submissions(app, port, args)
    finally:
        stop(process)
    report(args, search_bench.database_label(app), made, index, sql, driven, runs, targets)
    print(f"\nwhole run {time.perf_counter() - started:.0f} s; gunicorn log: {log_path}")


if __name__ == "__main__":
    main()
