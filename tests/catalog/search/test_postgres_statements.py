"""The PostgreSQL engine's shortcuts give the answers of the plain statements they replace: facet
counts from one pass over the matches (``pg.facets.Tally``, checked against a count per facet in
SQL), and the rounded relevance score computed in floating point (``pg.tsquery.score_key``, checked
against ``round(CAST(score AS numeric), 6)``)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from catalog.search.pg.facets import COMBINATIONS, FILTERS, Tally
from catalog.search.pg.tsquery import score_key
from tests.catalog.search.conftest import NEEDS_POSTGRES, ON_POSTGRES

# (category, pricing models, proven, vendor id, vendor name, listings)
ROWS = [
    ("lighting", ["purchase", "as_a_service"], True, 10, "BrightStreet", 3),
    ("lighting", ["as_a_service"], False, 10, "BrightStreet", 2),
    ("parking", ["revenue_share", "purchase"], True, 20, "ParkSense", 4),
    ("parking", [], False, None, "", 1),
    ("water", ["purchase", "purchase"], False, 20, "ParkSense Ltd", 5),  # the same model twice counts twice
    ("", ["purchase"], False, 30, "Northwind", 1),  # no category: not a facet value
]


def test_without_filters_every_match_counts_everywhere():
    tally = Tally({}, ROWS)

    assert (tally.counted, tally.total) == (16, 16)
    assert tally.facets == {
        "category": {"water": 5, "lighting": 5, "parking": 5},
        "pricing_model": {"purchase": 18, "as_a_service": 5, "revenue_share": 4},
        "proven": {"no": 9, "yes": 7},
        "vendor": {"20": 9, "10": 5, "30": 1},
    }
    assert list(tally.facets["category"]) == ["lighting", "parking", "water"]  # equal counts: by value
    assert tally.vendor_names == {"20": "ParkSense Ltd", "10": "BrightStreet", "30": "Northwind"}


def test_each_facet_counts_under_the_other_filters():
    tally = Tally({"category": "lighting", "proven": True}, ROWS)

    assert tally.total == 3
    assert tally.facets["category"] == {"parking": 4, "lighting": 3}  # proven only
    assert tally.facets["proven"] == {"yes": 3, "no": 2}  # lighting only
    assert tally.facets["pricing_model"] == {"as_a_service": 3, "purchase": 3}  # both filters
    assert tally.facets["vendor"] == {"10": 3}


def test_a_filter_no_listing_can_match_leaves_the_other_facets_empty():
    tally = Tally({"vendor": None, "pricing_model": "purchase"}, ROWS)

    assert tally.total == 0
    assert tally.facets["vendor"] == {"20": 9, "10": 3, "30": 1}  # counted under the other filter only
    assert tally.facets["category"] == tally.facets["proven"] == tally.facets["pricing_model"] == {}


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason=NEEDS_POSTGRES)
@pytest.mark.parametrize("filters", [{}, {"category": "lighting"}, {"category": "lighting", "proven": False},
                                     {"pricing_model": "purchase", "vendor": 10}, {"vendor": 999}])
def test_the_tally_agrees_with_a_count_per_facet_in_sql(filters, make_engine, _transaction):
    rng = random.Random(4)
    docs = [{"id": i, "consortium_id": 1, "title": f"Listing {i}", "category": rng.choice(["lighting", "parking", ""]),
             "pricing_models": rng.sample(["purchase", "as_a_service", "revenue_share"], rng.randint(0, 2)),
             "vendor_id": rng.choice([10, 20, None]), "vendor_name": rng.choice(["A", "B"]),
             "proven": rng.random() < 0.3} for i in range(1, 201)]
    make_engine("postgres", docs)
    params = {f"f_{name}": value for name, value in filters.items()}
    within = lambda skip: " AND ".join([FILTERS[n] for n in filters if n != skip] or ["true"])  # noqa: E731
    combinations = _transaction.execute(text(f"SELECT {COMBINATIONS}, count(*) FROM search_document d "
                                             f"WHERE d.consortium_id = 1 GROUP BY {COMBINATIONS}")).all()
    tally = Tally(filters, combinations)

    assert tally.total == _transaction.scalar(
        text(f"SELECT count(*) FROM search_document d WHERE d.consortium_id = 1 AND {within(None)}"), params)
    expected = {
        "category": f"SELECT d.category, count(*) FROM search_document d WHERE d.consortium_id = 1 "
                    f"AND d.category <> '' AND {within('category')} GROUP BY 1",
        "pricing_model": f"SELECT m, count(*) FROM search_document d, unnest(d.pricing_models) AS m "
                         f"WHERE d.consortium_id = 1 AND {within('pricing_model')} GROUP BY 1",
        "proven": f"SELECT CASE WHEN d.is_proven THEN 'yes' ELSE 'no' END, count(*) FROM search_document d "
                  f"WHERE d.consortium_id = 1 AND {within('proven')} GROUP BY 1",
        "vendor": f"SELECT CAST(d.vendor_id AS text), count(*) FROM search_document d WHERE d.consortium_id = 1 "
                  f"AND d.vendor_id IS NOT NULL AND {within('vendor')} GROUP BY 1",
    }
    for facet, statement in expected.items():
        assert tally.facets[facet] == dict(_transaction.execute(text(statement), params).all()), facet


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason=NEEDS_POSTGRES)
def test_the_score_key_rounds_as_numeric_does(_transaction):
    """Random reals over the whole range a score takes, the reals on either side of every boundary,
    the dyadic ones that fall exactly half-way between two decimals, and ``ts_rank``'s own scores."""
    key = score_key("x")
    mismatches = _transaction.execute(text(f"""
        WITH xs AS (
            SELECT CAST(random() AS real) AS x FROM generate_series(1, 100000)
            UNION ALL SELECT CAST(random() / 10 AS real) FROM generate_series(1, 50000)
            UNION ALL SELECT CAST(random() / 100 AS real) FROM generate_series(1, 10000)
            UNION ALL SELECT CAST(m / 2 ^ k AS real) FROM generate_series(1, 4095) AS m, generate_series(7, 14) AS k
            UNION ALL SELECT CAST(b + d * 1e-9 AS real) FROM unnest(ARRAY[0.01, 0.1, 1]) AS b,
                                                             generate_series(-2000, 2000) AS d
            UNION ALL SELECT CAST(0 AS real)
            UNION ALL SELECT ts_rank('{{0.1, 0.333333, 0.5, 1.0}}'::real[],
                                     setweight(to_tsvector('catalog_search', repeat('lamp ', n)), w),
                                     to_tsquery('catalog_search', 'lamp | post'))
            FROM generate_series(1, 40) AS n, unnest(ARRAY['A', 'B', 'C']::"char"[]) AS w
        )
        SELECT x, {key}, round(CAST(x AS numeric), 6) * 1000000 FROM xs
        WHERE {key} <> CAST(round(CAST(x AS numeric), 6) * 1000000 AS float8)
    """)).all()

    assert mismatches == []
