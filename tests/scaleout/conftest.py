"""Two app nodes on one PostgreSQL database and one Redis (DESIGN section 9, scale-out).

The nodes are real gunicorn processes (2 workers each) in production mode, with a database of their own
(TEST_DATABASE_URL's name + `_nodes`, dropped and created afresh, then `flask db upgrade` and
`flask demo load`), Redis database 7 (flushed) for the sign-in throttle, and a search index folder each,
as on two machines. Nothing of the in-process test app is used, so the database the rest of the suite
uses is never touched.

Skipped, with the reason in the summary, unless TEST_DATABASE_URL names PostgreSQL and Redis answers on
127.0.0.1:6379. When a test fails, the tail of each node's log is added to its report; the full logs
stay in pytest's temporary folder (`scaleout*/node-a.log`, `node-b.log`, `setup.log`, `deliverers.log`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from tests.conftest import PG_URL
from tests.scaleout import nodes
from tests.scaleout.nodes import Node

HERE = Path(__file__).resolve().parent
SKIP_REASON = nodes.skip_reason(PG_URL)
PEOPLE = ("admin@gpsr.example", "buyer@mesa.example", "approver@mesa.example")


def pytest_collection_modifyitems(config, items):
    """Skip this folder's tests, with the reason, without PostgreSQL and Redis."""
    if not SKIP_REASON:
        return
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report carries the tail of each node's log."""
    report = yield
    cluster = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and report.when == "call" and cluster is not None:
        for node in cluster.nodes:
            report.sections.append((f"node {node.name} log", node.tail()))
    return report


@pytest.fixture(autouse=True)
def _fresh_search_index():
    """The nodes have their own search indexes: nothing of the in-process test app is needed (this
    overrides the suite-wide fixture, which would build that app on TEST_DATABASE_URL)."""
    yield


@dataclass
class Cluster:
    a: Node
    b: Node
    database_url: URL
    env: dict  # for `flask` commands against the nodes' database
    tokens: dict[str, str]  # e-mail -> API token
    folder: Path

    @property
    def nodes(self) -> tuple[Node, Node]:
        return self.a, self.b

    def sql(self, statement: str, **params) -> list:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(statement), params))
        finally:
            engine.dispose()


def _environment(database_url: URL, folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "SEARCH_", "FLASK_", "RATELIMIT_"))
           and k not in ("TEST_DATABASE_URL", "DATABASE_URL", "MARKETPLACE_ALLOW_TESTING", "BASE_URL")}
    env.update({
        "MARKETPLACE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),  # shared by the nodes: a session signed on one is good on the other
        "DATABASE_URL": database_url.render_as_string(hide_password=False),
        "RATELIMIT_STORAGE_URI": nodes.REDIS_URI,
        "SEARCH_ENGINE": "postgres",
        "SEARCH_INDEX_DIR": str(folder / "cli-search-index"),
        "MAIL_FILE_DIR": str(folder / "cli-mail"),
        "DOCUMENTS_DIR": str(folder / "documents"),
        "BASE_URL": "http://127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _prepare_database(env: dict, folder: Path) -> dict[str, str]:
    """Migrations and demo data, then an API token for each person of the test (issued together)."""
    log = folder / "setup.log"
    nodes.run_flask(env, "db", "upgrade", log_path=log)
    nodes.run_flask(env, "demo", "load", log_path=log)
    started = {email: nodes.flask_command(env, "users", "token", email, "--name", "scale-out test", log_path=log)
               for email in PEOPLE}
    return {email: nodes.finish(process).strip().splitlines()[-1] for email, process in started.items()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Cluster:
    """Started once for the module, stopped (and its nodes with it) when the module is done."""
    folder = tmp_path_factory.mktemp("scaleout")
    database_url = nodes.nodes_database_url(PG_URL)
    nodes.recreate_database(database_url)
    nodes.flush_redis()
    env = _environment(database_url, folder)
    tokens = _prepare_database(env, folder)
    node_a = Node("A", nodes.free_port(), folder / "node-a.log")
    node_b = Node("B", nodes.free_port(), folder / "node-b.log")
    try:
        for node in (node_a, node_b):
            # Each node has its own index folder and mail folder, as on its own machine.
            node_env = {**env, "SEARCH_INDEX_DIR": str(folder / f"search-index-{node.name.lower()}"),
                        "MAIL_FILE_DIR": str(folder / f"mail-{node.name.lower()}")}
            nodes.start_node(node, node_env)
        for node in (node_a, node_b):
            nodes.wait_until_up(node)
        yield Cluster(node_a, node_b, database_url, env, tokens, folder)
    finally:
        for node in (node_a, node_b):
            nodes.stop_node(node)
