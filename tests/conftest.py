"""Test fixtures: one database per run (SQLite file, or PostgreSQL from TEST_DATABASE_URL) upgraded
by the real migrations, the demo people loaded once, and every test inside a transaction that is
rolled back afterwards (views' commits become savepoint releases)."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from flask import has_app_context
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event, select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from consortium.models import Consortium, Organization, User
from marketplace import create_app
from marketplace.extensions import db
from marketplace.tenancy import set_current_consortium
from tests.mailbox import smtp_server  # noqa: F401 - a fixture for every test module

PG_URL = os.environ.get("TEST_DATABASE_URL")


def reset_database(engine) -> None:
    """Drop everything, so migrations start from an empty database."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        # PRAGMA foreign_keys only takes effect outside a transaction: use the raw autocommit connection.
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA foreign_keys = OFF")
            tables = [row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            raw.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("search-index")),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "SERVER_NAME": "localhost",
            "BASE_URL": "http://localhost",
            "MAIL_FILE_DIR": str(tmp_path_factory.mktemp("mail")),
            "DOCUMENTS_DIR": str(tmp_path_factory.mktemp("documents")),
        }
    )
    with app.app_context():
        reset_database(db.engine)
        upgrade()
        from marketplace.demo import load_demo

        load_demo()
        db.session.commit()
        db.session.remove()
    global _APP
    _APP = app
    return app


@pytest.fixture
def _transaction(app):
    """Run the test in a transaction that is rolled back, whatever the code under test commits.

    No application context stays pushed during the test: requests must get their own (and their
    own `g`), as they do in production.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    # A plain SQLAlchemy session bound to the test's connection (Flask-SQLAlchemy's own Session
    # picks the engine itself and would escape the transaction).
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = scoped_session(factory, scopefunc=_app_ctx_id)
    try:
        yield connection
    finally:
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _fresh_search_index(app, tmp_path):
    """Each test starts with no search index: the first search rebuilds it from the test's own data
    (an index left by another test's rolled-back transaction would otherwise leak into results)."""
    previous = app.config["SEARCH_INDEX_DIR"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "search-index")
    app.extensions.pop("catalog_index_stale", None)
    yield
    app.config["SEARCH_INDEX_DIR"] = previous
    app.extensions.get("catalog_indexes", {}).pop(str(tmp_path / "search-index"), None)


@pytest.fixture
def ctx(app, _transaction):
    """An application context for calling services directly (no tenant scoping unless set)."""
    with app.test_request_context():
        yield
        set_current_consortium(None)


@pytest.fixture
def client(app, _transaction):
    from marketplace.extensions import limiter

    limiter.reset()
    return app.test_client()


_APP = None


def fetch(stmt):
    """Run a query in the current application context, or in a short one of its own (then the
    objects come back detached, with their loaded attributes readable)."""
    if has_app_context():
        return db.session.scalar(stmt)
    with _APP.app_context():
        return db.session.scalar(stmt)


def user(email: str) -> User:
    return fetch(select(User).where(User.email == email))


def org(name: str) -> Organization:
    return fetch(select(Organization).where(Organization.name == name))


def consortium(slug: str) -> Consortium:
    return fetch(select(Consortium).where(Consortium.slug == slug))


@pytest.fixture
def login(client):
    """login(email) signs the test client in through the real form."""

    def _login(email: str | None, password: str = "demo-password"):
        client.post("/logout")
        if email is None:
            return client
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, f"could not sign in as {email}"
        return client

    return _login


@pytest.fixture
def api_token(app, _transaction):
    """api_token(email) issues a bearer token and returns the headers that carry it."""
    from consortium.services import issue_token

    def _token(email: str) -> dict:
        with app.test_request_context():
            _, raw = issue_token(user(email), "tests")
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return _token


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len([s for s in self.statements if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)", s)])


@pytest.fixture
def count_queries(app):
    """`with count_queries() as q: ...` then `q.count` is the number of SQL statements issued."""

    @contextmanager
    def _count():
        counter = QueryCounter()

        def _before(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return _count
