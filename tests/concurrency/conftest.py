"""Race tests commit for real, from many connections at once, so they run outside the usual
rolled-back test transaction: each test builds its own objects through the API and, at the end,
deletes every row it added (every row above each table's highest id at the start).

They run only on PostgreSQL (`TEST_DATABASE_URL`): on SQLite every writing request takes the
database's write lock up front (`BEGIN IMMEDIATE`, `marketplace.locking`), so concurrent requests
are served one after the other and a race would prove nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, or_, select

from marketplace.extensions import db
from marketplace.transitions import UNLOCKED_SETTING
from tests.concurrency.world import Market
from tests.conftest import PG_URL

HERE = Path(__file__).parent
SQLITE_REASON = ("race tests need PostgreSQL (set TEST_DATABASE_URL): on SQLite every writing request takes the "
                 "write lock up front (BEGIN IMMEDIATE), so concurrent requests are serialized and prove nothing")


def pytest_collection_modifyitems(config, items):
    """Skip this folder's `postgres_only` tests unless TEST_DATABASE_URL names PostgreSQL."""
    if PG_URL and PG_URL.startswith("postgresql"):
        return
    for item in items:
        if item.get_closest_marker("postgres_only") and HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=SQLITE_REASON))


def _tables():
    """Every table, parents before children."""
    return db.metadata.sorted_tables


def _high_water_marks() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            for table in _tables() if "id" in table.c}


def _delete_rows_above(marks: dict[str, int]) -> None:
    """Delete the rows added since `marks`, children first; a table without an id (an association
    table) loses the rows that point at deleted rows."""
    for table in reversed(_tables()):
        if "id" in table.c:
            db.session.execute(delete(table).where(table.c.id > marks[table.name]))
            continue
        pointing = [fk.parent > marks[fk.column.table.name] for fk in table.foreign_keys
                    if fk.column.name == "id" and fk.column.table.name in marks]
        if pointing:
            db.session.execute(delete(table).where(or_(*pointing)))


@pytest.fixture
def committed(app):
    """Let the test commit; remove everything it added afterwards (even when it fails)."""
    with app.app_context():
        marks = _high_water_marks()
        db.session.remove()
    try:
        yield
    finally:
        app.config.pop(UNLOCKED_SETTING, None)
        with app.app_context():
            _delete_rows_above(marks)
            db.session.commit()
            db.session.remove()


@pytest.fixture
def market(app, committed) -> Market:
    return Market(app)
