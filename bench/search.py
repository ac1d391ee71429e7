"""Benchmark: catalog search through the whole app at tens of thousands of listings (not a test).

    .venv/bin/python bench/search.py [--n 50000] [--database-url URL] [--engine whoosh|postgres] [--queries 300]
                                     [--profile]

Builds a fresh database (a SQLite file in a temporary directory, or the PostgreSQL database named by
``--database-url``, whose schema is dropped and recreated), runs the migrations, loads the demo data and
bulk-inserts N synthetic published listings into Greater Phoenix (``gpsr``), spread over its demo vendors
and the twelve categories, with 1-3 price items each and verified pilots on about 10% of them. Then it
times a full ``catalog.search.reindex()`` and measures the latency of:

- ``catalog.search.search`` (the engine behind the catalog), first pass and repeated;
- the search path without HTTP: search + ``load_published`` + ``proven_listing_ids``, new session each;
- ``GET /c/gpsr/catalog?q=...`` and ``GET /api/v1/listings?consortium=gpsr&q=...`` through a real
  HTTP server (werkzeug, one thread, on a free port of 127.0.0.1), counting the SQL statements each
  request sends.

``--engine`` picks the search engine (default: the database's, ``postgres`` on PostgreSQL, else
``whoosh``). Queries are 1-3 words (about 15% misspelled) with facet filters, seeded so runs are
comparable (``bench/search_data.py``). ``--profile`` adds a cProfile of catalog page requests
(in-process, through the test client).

``bench/orders.py`` reuses the database, server and statistics helpers defined here.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import io
import json
import logging
import math
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["MARKETPLACE_ENV"] = "development"

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.search_data import api_url, insert_listings, make_queries, page_url, search_kwargs  # noqa: E402
from catalog import search as indexing  # noqa: E402
from catalog.pilots.queries import proven_listing_ids  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.demo import load_demo  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.tenancy import set_current_consortium  # noqa: E402

TARGET_P95_MS = 30.0
TARGET_REINDEX_S = 120.0
_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


# ------------------------------------------------------------------- shared with bench/orders.py

def quiet_logs() -> None:
    """The app logs at INFO in development; keep request lines and migration chatter out of the table."""
    for name in ("werkzeug", "alembic", "catalog.search.services"):
        logging.getLogger(name).setLevel(logging.WARNING)


def reset_database(url: str) -> None:
    """Create the PostgreSQL database if missing and empty it; empty a given SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        name = parsed.database
        if not name or "bench" not in name:
            raise SystemExit(f"refusing to wipe database {name!r}: use a database whose name contains 'bench'")
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    elif parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)


def fresh_app(database_url: str | None, workdir: Path, engine: str | None = None):
    """A development app on a freshly migrated database holding the demo data (and an index of it),
    searched by ``engine`` (default: the database's; see ``marketplace.config``)."""
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": str(workdir / "search-index"),
                      "SEARCH_ENGINE": engine, "TESTING": False})
    quiet_logs()
    with app.app_context():
        upgrade()
        quiet_logs()  # the migrations' logging config put alembic back to INFO
        indexing.reindex()  # an empty index, so the demo's commit updates it like any other commit
        load_demo()
        db.session.commit()
    return app


def database_label(app) -> str:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            return f"SQLite {engine.dialect.dbapi.sqlite_version}, {app.config['SEARCH_ENGINE']} engine"
        with engine.connect() as conn:
            version = conn.scalar(text("SHOW server_version")).split()[0]
        return f"PostgreSQL {version}, {app.config['SEARCH_ENGINE']} engine"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p50, p95, ...) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered)))) - 1]


def latency_cells(timings: list[float]) -> str:
    if not timings:
        return f"{'-':>7} {'-':>7} {'-':>7}"
    return f"{percentile(timings, 50):7.1f} {percentile(timings, 95):7.1f} {max(timings):7.1f}"


@contextmanager
def serve(app, threaded: bool = False) -> Iterator[int]:
    """Serve `app` over real HTTP on a free loopback port in a background thread; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, name="bench-http", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def http_request(port: int, method: str, path: str, body: dict | None = None,
                 headers: dict | None = None) -> tuple[int, bytes, float]:
    """One request on a new connection to 127.0.0.1; returns (status, body, milliseconds)."""
    payload = json.dumps(body).encode() if body is not None else None
    headers = dict(headers or {})
    if payload is not None:
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    return response.status, data, (time.perf_counter() - started) * 1000


class QueryCounter:
    """Counts the SQL statements each HTTP request sends (transaction control left out).

    Installed as WSGI middleware around the app: the count is per server thread, and filed under the
    request's `X-Bench-Request` header before the response is written, so the client can read it.
    """

    def __init__(self, app):
        self._local = threading.local()
        self.by_request: dict[str, int] = {}
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._count)
        app.wsgi_app = self._middleware(app.wsgi_app)

    def _count(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if getattr(self._local, "count", None) is not None and not _TRANSACTION_CONTROL.match(statement):
            self._local.count += 1

    @contextmanager
    def counting(self) -> Iterator[Callable[[], int]]:
        """Count this thread's statements inside the block (for the in-process measurements)."""
        self._local.count = 0
        try:
            yield lambda: self._local.count
        finally:
            self._local.count = None

    def _middleware(self, wsgi_app):
        def counted(environ, start_response):
            with self.counting() as count:
                try:
                    return wsgi_app(environ, start_response)  # Flask has rendered the whole body by now
                finally:
                    self.by_request[environ.get("HTTP_X_BENCH_REQUEST", "")] = count()
        return counted


# ----------------------------------------------------------------------------------- measurements

class GcWatch:
    """Pauses of Python's garbage collector (gen 0-2), to tell them apart in the latency tail."""

    def __init__(self):
        self.pauses: list[tuple[int, float]] = []  # (generation, milliseconds)
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], (time.perf_counter() - self._started) * 1000))


GC = GcWatch()


class Phase:
    """Latencies (and SQL counts) of one measured phase, stopped early past its time budget."""

    def __init__(self, label: str, budget_s: float):
        self.label = label
        self.deadline = time.monotonic() + budget_s
        self.timings: list[float] = []
        self.requests: list[str] = []  # what was asked, for the list of the slowest
        self.sql: list[int] = []
        self.errors: list[str] = []
        self.cut_short = False
        self._started = (time.perf_counter(), time.process_time())
        self._gc_mark = len(GC.pauses)
        self.cpu_share = 0.0
        self.gc_pauses: list[tuple[int, float]] = []

    def finish(self) -> Phase:
        """Note the share of the wall time this process had the CPU: well under 100% means that
        something else on the machine competed for it during the phase."""
        wall, cpu = time.perf_counter() - self._started[0], time.process_time() - self._started[1]
        self.cpu_share = cpu / wall if wall else 0.0
        self.gc_pauses = GC.pauses[self._gc_mark:]
        return self

    def more(self) -> bool:
        if time.monotonic() > self.deadline:
            self.cut_short = True
            return False
        return True

    def row(self) -> str:
        sql = (f"{min(self.sql)}/{statistics.median(self.sql):g}/{max(self.sql)}" if self.sql else "-")
        note = " (time budget reached)" if self.cut_short else ""
        note += f" ({len(self.errors)} errors)" if self.errors else ""
        full = [ms for generation, ms in self.gc_pauses if generation == 2]
        gc_ms = f"{sum(ms for _, ms in self.gc_pauses):.0f}/{max(full, default=0):.0f}"
        return (f"{self.label:<46} {len(self.timings):>5} {latency_cells(self.timings)} {sql:>12} "
                f"{self.cpu_share:>5.0%} {gc_ms:>9}{note}")

    def slowest(self, count: int = 5) -> list[str]:
        ranked = sorted(zip(self.timings, self.requests, strict=True), reverse=True)[:count]
        return [f"{ms:7.1f} ms  {request}" for ms, request in ranked]


def describe(query: dict, total: int | None = None) -> str:
    filters = {k: query[k] for k in ("category", "pricing_model", "proven", "vendor_id", "page") if query[k]}
    hits = "" if total is None else f"{total:>6} hits  "
    return f"{hits}q={query['q']!r} {filters}"


def time_engine(app, consortium_id: int, queries: list[dict], label: str, budget: float) -> tuple[Phase, list]:
    phase, results = Phase(label, budget), []
    with app.app_context():
        for query in queries:
            if not phase.more():
                break
            started = time.perf_counter()
            result = indexing.search(consortium_id, query["q"], **search_kwargs(query))
            phase.timings.append((time.perf_counter() - started) * 1000)
            phase.requests.append(describe(query, result.total))
            results.append(result)
    return phase.finish(), results


def time_search_path(app, counter: QueryCounter, consortium_id: int, queries: list[dict], budget: float) -> Phase:
    """What the catalog view does before rendering, in a new session each time (as a request would)."""
    phase = Phase("search + load_published + proven (no HTTP)", budget)
    with app.app_context():
        for query in queries:
            if not phase.more():
                break
            db.session.remove()
            set_current_consortium(consortium_id)
            with counter.counting() as count:
                started = time.perf_counter()
                result = indexing.search(consortium_id, query["q"], **search_kwargs(query))
                listings = indexing.load_published(result.ids)
                proven_listing_ids([x.id for x in listings])
                phase.timings.append((time.perf_counter() - started) * 1000)
                phase.requests.append(describe(query, result.total))
                phase.sql.append(count())
        db.session.remove()
    return phase.finish()


def time_http(port: int, counter: QueryCounter, label: str, urls: list[str], budget: float,
              check: Callable[[int, bytes], str | None], warmup: str) -> Phase:
    http_request(port, "GET", warmup)  # unmeasured: compiles the templates, as any running server has
    phase = Phase(label, budget)
    for i, url in enumerate(urls):
        phase.requests.append(url)
        if not phase.more():
            break
        key = f"{label}-{i}"
        status, body, ms = http_request(port, "GET", url, headers={"X-Bench-Request": key})
        phase.timings.append(ms)
        phase.sql.append(counter.by_request.pop(key, -1))
        problem = check(i, body) if status == 200 else f"HTTP {status} for {url}"
        if problem:
            phase.errors.append(problem)
    return phase.finish()


def profile_pages(app, queries: list[dict], limit: int = 25) -> None:
    """cProfile of catalog page requests in-process (test client): where a request's time goes."""
    client = app.test_client()
    profiler = cProfile.Profile()
    profiler.enable()
    for query in queries:
        client.get(page_url(query))
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(limit)
        print(f"\n--- profile of {len(queries)} catalog page requests, by {order} ---")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="synthetic published listings (default 50000)")
    parser.add_argument("--database-url", help="PostgreSQL URL (its schema is dropped); default: SQLite in a temp dir")
    parser.add_argument("--engine", choices=("whoosh", "postgres"),
                        help="search engine (default: postgres on PostgreSQL, whoosh on SQLite)")
    parser.add_argument("--queries", type=int, default=300, help="searches per phase (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--phase-seconds", type=float, default=180.0, help="time budget of each measured phase")
    parser.add_argument("--profile", action="store_true", help="also cProfile catalog page requests")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, index)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        run(args, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> None:
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    started = time.perf_counter()
    app = fresh_app(args.database_url, workdir, args.engine)
    setup_s = time.perf_counter() - started
    label = database_label(app)
    with app.app_context():
        started = time.perf_counter()
        consortium_id, vendor_ids = insert_listings(args.n, args.seed)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))  # what autovacuum would have done by now (if it is on)
            db.session.commit()
        insert_s = time.perf_counter() - started
        print(f"{label}: migrations + demo data {setup_s:.1f} s; {args.n} listings bulk-inserted in {insert_s:.1f} s",
              flush=True)
        done = [0]

        def progress(count: int) -> None:
            done[0] += count
            if done[0] % 10_000 < count:
                print(f"  indexed {done[0]}", flush=True)

        started = time.perf_counter()
        indexed = indexing.reindex(progress)
        db.session.commit()  # the PostgreSQL engine's rows are written in this transaction
        reindex_s = time.perf_counter() - started
        started = time.perf_counter()
        indexing.search(consortium_id)
        first_ms = (time.perf_counter() - started) * 1000
    print(f"reindex: {indexed} published listings in {reindex_s:.1f} s; first search (opens the index) "
          f"{first_ms:.0f} ms", flush=True)

    queries = make_queries(args.queries, vendor_ids, args.seed + 4)
    counter = QueryCounter(app)
    cold, results = time_engine(app, consortium_id, queries, "indexing.search, first pass", args.phase_seconds)
    warm, _ = time_engine(app, consortium_id, queries, "indexing.search, repeated", args.phase_seconds)
    path = time_search_path(app, counter, consortium_id, queries, args.phase_seconds)
    totals = [r.total for r in results]

    def check_api(i: int, body: bytes) -> str | None:
        total = json.loads(body)["total"]
        return None if i >= len(totals) or total == totals[i] else f"API total {total} != search total {totals[i]}"

    with serve(app) as port:
        page = time_http(port, counter, "GET /c/gpsr/catalog (HTTP)", [page_url(q) for q in queries],
                         args.phase_seconds, lambda i, body: None, warmup="/c/gpsr/catalog")
        api = time_http(port, counter, "GET /api/v1/listings (HTTP)", [api_url(q) for q in queries],
                        args.phase_seconds, check_api, warmup="/api/v1/listings?consortium=gpsr")

    typos = [(q["q"], r.suggestion) for q, r in zip(queries, results, strict=False) if q["typo"]]
    filtered = sum(1 for q in queries if any(q[k] for k in ("category", "pricing_model", "proven", "vendor_id")))
    print(f"\n{len(queries)} queries: median {statistics.median(totals):g} hits, {filtered} with filters, "
          f"{len(typos)} misspelled of which {sum(1 for _, s in typos if s)} got a suggestion, e.g. {typos[:3]}")
    print(f"\n{'phase':<46} {'n':>5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'SQL min/med/max':>12} "
          f"{'CPU':>5} {'GC ms':>9}")
    for phase in (cold, warm, path, page, api):
        print(phase.row())
        for problem in phase.errors[:3]:
            print(f"    {problem}")
    for phase in (warm, page):
        print(f"\nslowest of {phase.label}:")
        print("\n".join(f"  {line}" for line in phase.slowest()))
    print(f"\n{label}, N={args.n}: reindex {reindex_s:.1f} s (target <= {TARGET_REINDEX_S:.0f} s: "
          f"{'met' if reindex_s <= TARGET_REINDEX_S else 'MISSED'}); catalog page p95 "
          f"{percentile(page.timings, 95):.1f} ms, API p95 {percentile(api.timings, 95):.1f} ms "
          f"(target <= {TARGET_P95_MS:.0f} ms: "
          f"{'met' if max(percentile(page.timings, 95), percentile(api.timings, 95)) <= TARGET_P95_MS else 'MISSED'})")
    print("load average at end: {:.2f} {:.2f} {:.2f}. CPU column: the share of the phase's wall time this process "
          "ran. Under 100% in the engine phases (no I/O) means other processes competed for the cores; phases "
          "that query PostgreSQL also wait for its server process. GC ms: all garbage-collector pauses in the phase / "
          "the longest full (generation 2) one.".format(*os.getloadavg()))
    if args.profile:
        profile_pages(app, queries[:100])


if __name__ == "__main__":
    main()
