"""Sorting in the search engine on its own (no app, no database): by relevance, by the lowest list price and
by newest, a total order whatever the ties, so pages never repeat or skip a listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.search import SORTS, WhooshEngine, sort_order
from tests.catalog.test_search_engine import listing

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_search_index():
    """No application needed: override tests/conftest.py's app-bound index fixture."""
    yield


DOCS = [
    listing(1, title="Lighting controller", summary="lighting", min_price=Decimal("450.00"),
            published_at=START + timedelta(days=3)),
    listing(2, title="Lighting as a service", summary="lighting lighting", min_price="9.50",
            published_at=START + timedelta(days=1)),
    listing(3, title="Pathway lighting", min_price=Decimal("1250.00"), published_at=START + timedelta(days=5)),
    listing(4, title="Audit", min_price=None, published_at=START + timedelta(days=2)),  # no price: last by price
    listing(5, title="Bench", min_price=Decimal("450.00"), published_at=None),  # never published: last by newest
    listing(6, title="Another consortium", consortium_id=2, min_price="1.00", published_at=START + timedelta(days=9)),
]


@pytest.fixture
def engine(tmp_path) -> WhooshEngine:
    engine = WhooshEngine(tmp_path / "ix")
    engine.rebuild(DOCS)
    return engine


def test_price_sorts_cheapest_first_ties_by_title_and_no_price_last(engine):
    assert engine.search(1, sort="price").ids == [2, 5, 1, 3, 4]  # 9.50, 450 Bench, 450 Lighting, 1250, none
    assert engine.search(1, sort="price").sort == "price"


def test_newest_is_the_default_without_a_query(engine):
    assert engine.search(1).ids == [3, 1, 4, 2, 5]
    assert engine.search(1).sort == "newest"
    assert engine.search(1, sort="relevance").sort == "newest"  # nothing to rank by


def test_relevance_is_the_default_with_a_query_and_the_others_still_apply(engine):
    assert engine.search(1, "lighting").sort == "relevance"
    assert engine.search(1, "lighting").ids[0] == 2  # the word twice in its summary
    assert engine.search(1, "lighting", sort="price").ids == [2, 1, 3]
    assert engine.search(1, "lighting", sort="newest").ids == [3, 1, 2]


@pytest.mark.parametrize("junk", ["stars", "RATING", "PRICE", "", None, 7, ["price"], "\x00"])
def test_anything_else_is_the_default_order(engine, junk):
    assert engine.search(1, sort=junk).sort == "newest"
    assert engine.search(1, "lighting", sort=junk).sort == "relevance"
    assert sort_order(junk, "") == "newest" and set(SORTS) == {"relevance", "price", "newest", "rating"}


@pytest.mark.parametrize("sort", SORTS)
def test_pages_follow_the_same_order(engine, sort):
    whole = engine.search(1, "lighting OR audit OR bench", sort=sort, per_page=100).ids
    paged = [i for page in (1, 2, 3) for i in engine.search(1, "lighting OR audit OR bench", sort=sort,
                                                            per_page=2, page=page).ids]
    assert paged == whole and len(whole) == 5


def test_a_new_price_reorders_after_indexing(engine):
    engine.index([{**DOCS[2], "min_price": "5.00"}])  # a second segment, the old version deleted
    assert engine.search(1, sort="price").ids == [3, 2, 5, 1, 4]
    engine.remove([2])
    assert engine.search(1, sort="price").ids == [3, 5, 1, 4]
