"""Catalog search in the app: rebuilding from the database, `flask catalog reindex`, and the search
parameters users send (never a 500)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from catalog import search
from catalog.listings.models import Listing
from catalog.search import services
from consortium.models import User
from marketplace.extensions import db
from tests.catalog.factories import make_listing

ROOT = Path(__file__).resolve().parents[2]
PROGRESS_LINE = re.compile(r"Indexing: (\d+) of (\d+) listings")


def _published() -> int:
    return db.session.scalar(select(func.count(Listing.id)).where(Listing.status == "published"))


def test_reindex_reports_progress_after_each_batch(app, ctx, monkeypatch):
    # The Whoosh folder is missing until rebuilt (the PostgreSQL engine's rows are never missing:
    # tests/catalog/search/test_postgres_documents.py).
    monkeypatch.setitem(app.config, "SEARCH_ENGINE", "whoosh")
    listings = [make_listing("published", title=f"Bollard sensor {i}") for i in range(5)]
    monkeypatch.setattr(services, "BATCH", 2)
    total = _published()
    calls: list[tuple[int, bool]] = []

    def progress(count: int) -> None:
        # Called while the new index is being written: the old one (missing here) is still in place.
        calls.append((count, search.get_engine().health()))

    assert search.reindex(progress) == total
    assert [count for count, _ in calls] == [2] * (total // 2) + [1] * (total % 2)
    assert not any(healthy for _, healthy in calls)
    assert search.search(listings[0].consortium_id, "bollard").total == 5


def test_reindex_command_shows_the_count_advance(app, _transaction, monkeypatch):
    with app.test_request_context():
        for i in range(3):
            make_listing("published", title=f"Kerb camera {i}")
        db.session.commit()
        total = _published()
    monkeypatch.setattr(services, "BATCH", 2)

    result = app.test_cli_runner().invoke(args=["catalog", "reindex"])

    assert result.exit_code == 0, result.output
    counts = [(int(done), int(of)) for done, of in PROGRESS_LINE.findall(result.output)]
    assert counts == [(min(n, total), total) for n in range(2, total + 2, 2)]  # 2, 4, … then the total
    assert f"Indexed {total} published listings." in result.output


def test_a_rebuild_during_a_request_leaves_its_objects_attached(app, ctx):
    """A search that finds no index rebuilds it mid-request; the request's own objects (the signed-in
    user, the consortium) must stay usable afterwards."""
    user = db.session.scalar(select(User).where(User.email == "buyer@tempe.example"))
    db.session.expire(user, ["organization"])

    search.reindex()

    assert inspect(user).session is db.session()
    assert user.organization.name  # a lazy load still works


def test_whoosh_is_imported_only_by_the_engine():
    offenders = []
    for package in ("marketplace", "consortium", "catalog", "contracts"):
        for path in (ROOT / package).rglob("*.py"):
            if path.is_relative_to(ROOT / "catalog" / "search" / "engine"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "whoosh"]
    assert offenders == []


# ------------------------------------------------------------------------------- user input

@pytest.mark.parametrize("query", [
    "page=%D9%A3", "page=%EF%BC%92", "page=%C2%B2", "page=0", "page=-1", "page=99999999999999999999", "page=1e3",
    "q=%00%01", "q=%ED%A0%80", "q=" + "x" * 5000, "q=lighting&q=parking", "category=%00", "category=" + "c" * 300,
    "pricing_model=%ED%A0%80", "vendor=%D9%A3", "vendor=-5", "vendor=99999999999999999999", "proven=%00",
])
def test_search_page_answers_any_parameters(client, query):
    response = client.get(f"/c/gpsr/catalog?{query}")

    assert response.status_code == 200
    assert 'data-testid="result-count"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["page=%D9%A3", "page=%EF%BC%92", "page=0", "per_page=%D9%A3", "vendor_id=%D9%A3",
                                   "category=%00", "pricing_model=%ED%A0%80", "proven=maybe"])
def test_search_api_refuses_bad_parameters_with_400(client, query):
    response = client.get(f"/api/v1/listings?consortium=gpsr&{query}")

    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("query", ["q=%00%01", "q=%ED%A0%80", "q=" + "x" * 499, "q=title%3Asecret"])
def test_search_api_answers_any_query_text(client, query):
    assert client.get(f"/api/v1/listings?consortium=gpsr&{query}").status_code == 200
