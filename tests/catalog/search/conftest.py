"""Both search engines, fed the same listing documents: ``engine`` is each in turn.

The PostgreSQL engine writes its rows on the test's own connection (in a transaction rolled back
afterwards), so it runs only when ``TEST_DATABASE_URL`` names PostgreSQL; on SQLite it is skipped.
"""

from __future__ import annotations

import pytest

from catalog.search import PostgresEngine, WhooshEngine
from tests.conftest import PG_URL

ON_POSTGRES = bool(PG_URL and PG_URL.startswith("postgresql"))
NEEDS_POSTGRES = "the PostgreSQL engine needs a PostgreSQL test database (set TEST_DATABASE_URL)"
ENGINES = ["whoosh", pytest.param("postgres", marks=[pytest.mark.postgres_only,
                                                       pytest.mark.skipif(not ON_POSTGRES, reason=NEEDS_POSTGRES)])]


@pytest.fixture
def make_engine(request, tmp_path):
    """make_engine(name, docs, synonyms=None): a fresh engine holding exactly ``docs``."""

    def _make(name: str, docs: list[dict], synonyms=None):
        if name == "whoosh":
            engine = WhooshEngine(tmp_path / f"index-{len(list(tmp_path.iterdir()))}", synonyms=synonyms)
        else:
            connection = request.getfixturevalue("_transaction")
            engine = PostgresEngine(lambda: connection, synonyms=synonyms)
        engine.rebuild(docs, total=len(docs))
        return engine

    return _make


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    return request.param
