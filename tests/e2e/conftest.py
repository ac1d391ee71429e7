"""Browser journeys: Playwright for Python driving the system's Chromium (headless) against a real
server process on a free loopback port, with a fresh SQLite database holding the demo data.

Everything here is skipped, with the reason in the summary, when Chromium or Playwright is missing.
Screenshots go to `test-output/e2e/<test>/` (or `$E2E_OUTPUT_DIR/<test>/`); when a test fails, the
screenshot and HTML of every page it had open are saved there too (`failure-*.png`, `failure-*.html`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.helpers import Actor, Journey

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = 60.0


def find_chromium() -> str | None:
    override = os.environ.get("E2E_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _skip_reason() -> str | None:
    if find_chromium() is None:
        if os.environ.get("E2E_CHROMIUM"):
            return f"browser journeys need Chromium: E2E_CHROMIUM={os.environ['E2E_CHROMIUM']} is not an executable"
        return ("browser journeys need Chromium: none at /usr/bin/chromium or on PATH "
                "(install it with `apt-get install chromium`, as .ci/run does, or set E2E_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser journeys need Playwright for Python: pip install -e '.[test]'"
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config, items):
    """Mark everything in this folder `e2e`, and skip it all (with the reason) without a browser."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _fresh_search_index():
    """The browser tests talk to their own server: nothing of the in-process test app is needed
    (this overrides the suite-wide fixture that would build it)."""
    yield


# --- the server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str, log) -> None:
    cmd = [sys.executable, "-m", "flask", "--app", "marketplace", *args]
    result = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"`flask {' '.join(args)}` failed (exit {result.returncode}); see {log.name}")


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {SERVER_START_TIMEOUT:.0f}s; see {log_path}")


class Server:
    def __init__(self, base_url: str, database: Path, log: Path):
        self.base_url = base_url
        self.database = database
        self.log = log

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """`flask db upgrade`, `demo load` and `catalog reindex` on a fresh SQLite file, then `flask run`
    on a free loopback port, as a separate process; stopped at the end of the session."""
    tmp = tmp_path_factory.mktemp("e2e-server")
    database = tmp / "e2e.db"
    env = {
        **os.environ,
        "MARKETPLACE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "SEARCH_INDEX_DIR": str(tmp / "search-index"),
        "SECRET_KEY": "e2e-" + os.urandom(16).hex(),
        "RATELIMIT_STORAGE_URI": "memory://",
        "FLASK_DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TEST_DATABASE_URL", None)
    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        _flask(env, "db", "upgrade", log=log)
        _flask(env, "demo", "load", log=log)
        _flask(env, "catalog", "reindex", log=log)
    port = _free_port()
    log = open(log_path, "a")  # noqa: SIM115 - stays open while the server writes to it
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "marketplace", "run", "--host", "127.0.0.1", "--port", str(port),
         "--no-reload", "--no-debugger", "--with-threads"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url + "/", process, log_path)
        yield Server(base_url, database, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def output_root(config) -> Path:
    configured = os.environ.get("E2E_OUTPUT_DIR")
    return Path(configured) if configured else Path(config.rootpath) / "test-output" / "e2e"


def _folder_name(nodeid_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid_name).strip("-")


@pytest.fixture
def journey(request, server, browser):
    """The test's people (one browser context each), its screenshots, and its failure evidence."""
    folder = output_root(request.config) / _folder_name(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    run = Journey(server=server, browser=browser, folder=folder)
    yield run
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        run.keep_failure_evidence()
    run.close()


# --- the demo data: ids the tests need to build URLs ----------------------------------------------


@dataclass(frozen=True)
class Ids:
    listing: int          # Adaptive LED street lighting (proven, covered by the vehicle)
    submitted: int        # a listing awaiting approval
    vehicle: int          # GPSR-2026-001
    pilot: int            # Mesa's verified pilot
    performance_order: int  # Mesa's active pay-for-performance order
    pending_order: int    # Tempe's order awaiting its approver
    approved_invoice: int  # an invoice of Mesa's performance order, approved and waiting to be paid


@pytest.fixture(scope="session")
def ids(server) -> Ids:
    import sqlite3

    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as conn:
        def one(sql: str, *params) -> int:
            return conn.execute(sql, params).fetchone()[0]

        gpsr = one("SELECT id FROM consortium WHERE slug = 'gpsr'")
        return Ids(
            listing=one("SELECT id FROM listing WHERE consortium_id = ? AND title = ?", gpsr,
                        "Adaptive LED street lighting"),
            submitted=one("SELECT id FROM listing WHERE consortium_id = ? AND status = 'submitted'", gpsr),
            vehicle=one("SELECT id FROM vehicle WHERE number = 'GPSR-2026-001'"),
            pilot=one("SELECT id FROM pilot WHERE title = 'Adaptive LED street lighting in Dobson Ranch'"),
            performance_order=one("SELECT id FROM purchase_order WHERE po_number = 'MSA-2026-0311'"),
            pending_order=one("SELECT id FROM purchase_order WHERE po_number = 'TMP-2026-0057'"),
            approved_invoice=one("SELECT invoice.id FROM invoice JOIN purchase_order ON purchase_order.id = "
                                 "invoice.order_id WHERE po_number = 'MSA-2026-0311' AND invoice.status = 'approved'"),
        )


__all__ = ["Actor", "Ids", "Journey", "Server"]
