"""The contract both search engines keep: the same listing documents and the same queries give the
same ids in the same order, the same totals, facet counts and "did you mean" suggestions.

Every test runs once per engine (``engine_name``: Whoosh, and PostgreSQL when the test database is
PostgreSQL); ``test_both_engines_answer_alike`` also puts their answers side by side.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.search import MAX_PER_PAGE, SearchEngine, SearchResult, synonym_table
from tests.catalog.search.conftest import NEEDS_POSTGRES, ON_POSTGRES

START = datetime(2026, 1, 1, tzinfo=UTC)


def listing(listing_id: int, **fields) -> dict:
    doc = {
        "id": listing_id, "consortium_id": 1, "title": f"Listing {listing_id}", "summary": "", "description": "",
        "tags": [], "standards": [], "price_item_names": [], "category": "data_platforms",
        "pricing_models": ["purchase"], "vendor_id": 100, "vendor_name": "Acme Civic", "proven": False,
        "min_price": None, "published_at": START,
    }
    doc.update(fields)
    return doc


CATALOG = [
    listing(1, title="Adaptive Street Lighting Controller", summary="Dims LED streetlights at night",
            description="Wireless nodes for every pole.", category="lighting",
            pricing_models=["purchase", "as_a_service"], vendor_id=10, vendor_name="BrightStreet", proven=True,
            min_price=Decimal("450.00"), published_at=START + timedelta(days=3)),
    listing(2, title="Smart Light Pole", summary="A pole with a camera and a light", category="lighting",
            pricing_models=["as_a_service"], vendor_id=10, vendor_name="BrightStreet", min_price="9.50",
            published_at=START + timedelta(days=1)),
    listing(3, title="Parking Occupancy Sensors", summary="In-ground sensors for every bay",
            description="Works with any lighting pole gateway.", category="parking",
            pricing_models=["revenue_share", "as_a_service"], vendor_id=20, vendor_name="ParkSense", proven=True,
            min_price=Decimal("1250.00"), published_at=START + timedelta(days=5)),
    listing(4, title="Curbside EV Charging", summary="Level 2 chargers on existing poles",
            tags=["ev", "charging"], standards=["OCPP 2.0.1"], price_item_names=["Charging port"],
            category="ev_charging", pricing_models=["vendor_financed"], vendor_id=30, vendor_name="FlowMobility",
            published_at=START + timedelta(days=2)),
    listing(5, title="Air Quality Monitoring", summary="Particulate and ozone sensors", category="environment",
            pricing_models=["purchase"], vendor_id=20, vendor_name="ParkSense", min_price=Decimal("450.00"),
            published_at=None),
    listing(8, title="Public Wi-Fi Kiosk", summary="Free wireless hotspot for plazas", category="connectivity",
            pricing_models=["revenue_share"], vendor_id=40, vendor_name="Northwind", min_price="35.00",
            published_at=START + timedelta(days=4)),
    listing(9, title="Streetlight Banner Bracket", summary="Hang banners from streetlight poles",
            category="lighting", pricing_models=["purchase"], vendor_id=10, vendor_name="BrightStreet",
            min_price="120.00", published_at=START + timedelta(days=6)),
    # Another consortium: never in consortium 1's answers.
    listing(6, consortium_id=2, title="Street Lighting Retrofit", summary="LED street lighting for towns",
            category="lighting", vendor_id=10, vendor_name="BrightStreet", proven=True),
    listing(7, consortium_id=2, title="Snow Plough Telematics", summary="Plough tracking for winter",
            category="mobility", vendor_id=40, vendor_name="Northwind"),
]
LIGHTING = {1, 2, 9}  # consortium 1's lighting listings


@pytest.fixture
def engine(engine_name, make_engine) -> SearchEngine:
    return make_engine(engine_name, CATALOG)


def ids(result: SearchResult) -> set[int]:
    return set(result.ids)


def test_the_engine_keeps_the_interface(engine):
    assert isinstance(engine, SearchEngine)
    assert engine.health()


def test_without_a_query_newest_first_then_by_title(engine):
    result = engine.search(1)

    assert (result.ids, result.total, result.sort, result.suggestion) == ([9, 3, 8, 1, 4, 2, 5], 7, "newest", None)


def test_stemming_finds_other_forms_of_a_word(engine):
    assert ids(engine.search(1, "lights")) == {1, 2, 3}  # "Lighting", "Light", "lighting" in a body
    assert ids(engine.search(1, "charger")) == {4}  # "chargers" and "charging" stem alike
    assert ids(engine.search(1, "LIGHTING")) == {1, 2, 3}
    assert ids(engine.search(1, "2.0.1")) == {4}  # a standard's version, in the body


def test_relevance_weighs_title_above_summary_above_body(engine_name, make_engine):
    engine = make_engine(engine_name, [
        listing(1, title="Gateway", summary="Irrigation valves", description="Valves for parks and gardens."),
        listing(2, title="Valves", summary="Irrigation valves", description="Gateway for parks and gardens."),
        listing(3, title="Valves", summary="Irrigation gateway", description="Valves for parks and gardens."),
    ])

    assert engine.search(1, "gateway").ids == [1, 3, 2]
    assert engine.search(1, "lights").ids == []
    assert engine.search(1, "lighting", category="lighting").ids == []


def test_relevance_order(engine):
    assert engine.search(1, "lighting").ids == [2, 1, 3]  # in the title and the summary, the title, a body
    assert engine.search(1, "pole").ids == [2, 4, 9, 1, 3]  # title and summary, summaries, bodies


def test_all_words_must_match_unless_none_does(engine):
    assert ids(engine.search(1, "pole camera")) == {2}
    assert ids(engine.search(1, "ozone charging")) == {4, 5}  # no listing is about both: any word will do


def test_phrases_need_their_words_in_a_row(engine):
    assert engine.search(1, '"street lighting"').ids == [1]
    assert engine.search(1, '"lighting street"').ids == []


def test_operators(engine):
    assert ids(engine.search(1, "pole ANDNOT camera")) == {1, 3, 4, 9}
    assert ids(engine.search(1, "NOT pole")) == {5, 8}
    assert ids(engine.search(1, "ozone OR kiosk")) == {5, 8}
    assert engine.search(1, "pole ANDMAYBE camera").ids[0] == 2  # the optional word only ranks
    assert ids(engine.search(1, "pole ANDMAYBE camera")) == {1, 2, 3, 4, 9}
    assert engine.search(1, "category:parking").ids == [3]  # two words here, not a field query


@pytest.mark.parametrize("q", ["streetlight", "streetlights", "street light", "Street-Light", "STREETLIGHT"])
def test_compound_words_find_the_street_lighting_listings(engine, q):
    assert ids(engine.search(1, q)) == {1, 9}
    assert engine.search(1, q).suggestion is None
    assert ids(engine.search(2, q)) == {6}


@pytest.mark.parametrize("q", ["wifi", "Wi-Fi", "wi fi", "WiFi hotspot"])
def test_wifi_finds_wi_fi(engine, q):
    result = engine.search(1, q)

    assert (result.ids, result.suggestion) == ([8], None)


def test_configured_synonyms_join_the_table(engine_name, make_engine):
    engine = make_engine(engine_name, CATALOG, synonyms=synonym_table("kiosk, totem; occupancy sensor, bay detector"))

    assert engine.search(1, "totem").ids == [8]
    assert engine.search(1, "bay detectors").ids == [3]
    assert engine.search(1, "streetlight").ids  # the built-in table still applies


def test_facets_count_the_matches_before_pagination(engine):
    result = engine.search(1, "", per_page=1)

    assert result.ids == [9]
    assert result.facets == {
        "category": {"lighting": 3, "connectivity": 1, "environment": 1, "ev_charging": 1, "parking": 1},
        "pricing_model": {"as_a_service": 3, "purchase": 3, "revenue_share": 2, "vendor_financed": 1},
        "proven": {"no": 5, "yes": 2},
        "vendor": {"10": 3, "20": 2, "30": 1, "40": 1},
    }
    assert result.vendor_names == {"10": "BrightStreet", "20": "ParkSense", "30": "FlowMobility", "40": "Northwind"}


def test_a_facet_counts_under_the_other_filters_only(engine):
    result = engine.search(1, "", category="lighting")

    assert result.total == 3
    assert result.facets["category"] == {"lighting": 3, "connectivity": 1, "environment": 1, "ev_charging": 1,
                                         "parking": 1}
    assert result.facets["vendor"] == {"10": 3}
    assert result.facets["proven"] == {"no": 2, "yes": 1}
    assert engine.search(1, "sensors", proven=True).facets["proven"] == {"no": 1, "yes": 1}


def test_filters_combine(engine):
    assert ids(engine.search(1, "", pricing_model="as_a_service")) == {1, 2, 3}
    assert ids(engine.search(1, "", pricing_model="as_a_service", proven=True)) == {1, 3}
    assert ids(engine.search(1, "", pricing_model="as_a_service", proven=True, category="parking")) == {3}
    assert ids(engine.search(1, "", proven=False, vendor_id=20)) == {5}
    assert ids(engine.search(1, "sensors", vendor_id="20")) == {3, 5}
    assert engine.search(1, "sensors", category="lighting").total == 0
    assert engine.search(1, "", category="no-such-category").ids == []


@pytest.mark.parametrize("filters", [
    {"category": "\ud800"}, {"category": "light\x00ing"}, {"category": ["lighting"]}, {"category": "x" * 10_000},
    {"pricing_model": "\udfff"}, {"pricing_model": 7}, {"vendor_id": "١٠"}, {"vendor_id": "ten"}, {"vendor_id": -10},
    {"vendor_id": 10**30}, {"vendor_id": True}, {"category": "'; DROP TABLE listing; --"},
])
def test_filter_values_no_listing_can_have_match_nothing(engine, filters):
    result = engine.search(1, "lighting", **filters)

    assert (result.total, result.ids) == (0, [])
    facet = {"vendor_id": "vendor"}.get(*filters, *filters)
    assert result.facets[facet]  # a facet counts under the *other* filters: the matches are still there


def test_sorts_by_price_and_newest_with_ties_by_title(engine):
    assert engine.search(1, sort="price").ids == [2, 8, 9, 1, 5, 3, 4]  # 9.50 … 450 Adaptive, 450 Air … none
    assert engine.search(1, "lighting", sort="price").ids == [2, 1, 3]
    assert engine.search(1, "lighting", sort="newest").ids == [3, 1, 2]
    assert engine.search(1, sort="relevance").sort == "newest"  # nothing to rank by
    assert engine.search(1, "lighting", sort="stars").sort == "relevance"  # an unknown order: the default


@pytest.mark.parametrize("sort", ["relevance", "price", "newest", "rating"])
def test_pages_follow_the_same_order(engine, sort):
    whole = engine.search(1, "pole OR sensors OR kiosk", sort=sort, per_page=100).ids
    paged = [i for page in (1, 2, 3, 4) for i in engine.search(1, "pole OR sensors OR kiosk", sort=sort,
                                                                per_page=2, page=page).ids]
    assert paged == whole and len(whole) == 7


def test_pages_are_stable_among_equal_scores(engine_name, make_engine):
    twins = [listing(i, title=f"Twin Sensor {'B' if i % 2 else 'A'}", summary="identical words")
             for i in range(1, 101)]
    expected = sorted(range(1, 101), key=lambda i: ("twin sensor " + ("b" if i % 2 else "a"), i))

    for docs in (twins, random.Random(5).sample(twins, len(twins))):
        engine = make_engine(engine_name, docs)
        pages = [engine.search(1, "sensor", page=page, per_page=7) for page in range(1, 16)]
        assert [i for p in pages for i in p.ids] == expected
        assert {p.total for p in pages} == {100}
        assert engine.search(1, "", page=3, per_page=10, sort="price").ids == expected[20:30]


# Average overall ratings of published reviews: 1 and 3 tie at 4.5 (3 is newer), 2 averages 13/3, 4 and 8 are
# unrated (8 is newer).
RATINGS = {1: "4.5", 2: Decimal(13) / 3, 3: Decimal("4.5"), 5: "2", 9: "5", 6: "1"}
RATED = [{**doc, "rating": RATINGS.get(doc["id"])} for doc in CATALOG]


def test_sorts_by_rating_highest_first_unrated_last_ties_newest_first(engine_name, make_engine):
    engine = make_engine(engine_name, RATED)
    assert engine.search(1, sort="rating").ids == [9, 3, 1, 2, 5, 8, 4]
    assert engine.search(1, sort="rating").sort == "rating"
    assert engine.search(1, "lighting", sort="rating").ids == [3, 1, 2]
    assert engine.search(1, sort="rating", per_page=2, page=3).ids == [5, 8]
    assert engine.search(1, sort="rating", category="lighting").ids == [9, 1, 2]
    engine.index([{**RATED[0], "rating": None}])  # its only published review gone: unrated, last but newer than 4
    assert engine.search(1, sort="rating").ids == [9, 3, 2, 5, 8, 1, 4]


def test_pagination_bounds(engine):
    assert engine.search(1, "", page=99).ids == []
    assert engine.search(1, "", page=99).total == 7
    assert engine.search(1, "", page=0).page == 1
    assert engine.search(1, "", per_page=10_000).per_page == MAX_PER_PAGE
    assert engine.search(1, "", page="x", per_page=None).ids
    assert engine.search(1, "", page=" 2 ", per_page="2").ids == [8, 1]
    assert engine.search(1, "", page="٣", per_page=2).ids == [9, 3]


def test_consortia_are_isolated(engine):
    assert ids(engine.search(1, "street lighting")) == {1}
    assert ids(engine.search(2, "street lighting")) == {6}
    assert engine.search(1, "plough").total == 0
    assert engine.search(1, "plough").suggestion is None  # a word of consortium 2 is not offered
    assert engine.search(2, "").facets["vendor"] == {"10": 1, "40": 1}
    assert engine.search(3, "").total == 0


@pytest.mark.parametrize(("q", "suggestion"), [
    ("strret lihgting", "street lighting"), ("parkng", "parking"), ("sensrs", "sensors"), ("ocupancy", "occupancy"),
    ('"strret lihgting"', "street lighting"), ("sensrs ANDNOT camera", "sensors ANDNOT camera"),
    ("street lighting", None), ("lights", None), ("xqzvw", None), ("plough", None), ("wifi", None),
])
def test_did_you_mean(engine, q, suggestion):
    assert engine.search(1, q).suggestion == suggestion


HOSTILE = [
    "", "   ", '"(', "(", ")", '"', "'", "''''", "AND OR", "AND", "NOT", "OR OR OR", "lighting AND", "NOT lighting",
    "NOT NOT lighting", "a & | !", "!!", "&&", "<->", "*", "?", "light*", "title:", "title:secret", "nosuchfield:value",
    "vendor_name:BrightStreet", "lighting^100", "lighting~2", "[a TO z]", "{a TO z}", "\\", "-", "--", "…", "街灯",
    "\x00\x01", "light\x00ing", "\x1b[31mlighting", "a" * 10_000, "lighting " * 2_000, "(" * 5_000, '"' * 999,
    "<script>alert(1)</script>", "%s %d {0}", "ANDMAYBE ANDNOT", "pole ANDNOT camera", "'; DROP TABLE listing; --",
    "1) OR 1=1 --", "lighting' OR '1'='1", "$$ || pg_sleep(5) $$", ":q0", "E'\\x00'", "\ud800 lighting",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_normally(engine, q):
    result = engine.search(1, q, category="lighting")

    assert isinstance(result, SearchResult)
    assert set(result.ids) <= LIGHTING
    assert result.total == len(result.ids)


def test_indexing_again_replaces_the_document(engine):
    engine.index([listing(2, title="Smart Bench", summary="Solar seat", category="buildings", vendor_id=50)])

    assert 2 not in ids(engine.search(1, "pole"))
    assert ids(engine.search(1, "bench")) == {2}
    result = engine.search(1)
    assert result.total == 7
    assert result.facets["category"]["lighting"] == 2
    assert result.facets["vendor"]["50"] == 1


def test_remove(engine):
    assert engine.remove([1, 999]) == 2

    assert ids(engine.search(1, "lighting")) == {2, 3}
    assert engine.search(1).total == 6
    assert engine.search(1).facets["proven"] == {"no": 5, "yes": 1}
    assert engine.remove([]) == 0


def test_rebuild_replaces_everything(engine):
    seen = []
    count = engine.rebuild((listing(i, title=f"New {i}") for i in range(1, 1201)), total=1200, progress=seen.append)

    assert count == 1200 and sum(seen) == 1200
    assert engine.search(1).total == 1200
    assert engine.search(1, "kiosk").total == 0
    assert engine.search(2).total == 0


# Queries whose answers must agree field by field between the engines (beyond the cases above).
SIDE_BY_SIDE = [
    "lighting", "light pole", "sensors gateway", "pole OR kiosk", "pole camera OR ozone", "sensors ANDNOT air",
    "street light controller", "streetlight poles", "wifi kiosk", "ev charging", "chargers", "occupancy bay",
    "sensrs", "parkng sensrs", "ligting", "air qualty", "hotspt", "brightstreet", "parksense", "ocpp", "2.0.1",
    '"smart light"', '"light smart"', "NOT lighting sensors", "lighting OR NOT pole", "x AND AND pole",
    "pole OR OR camera", "pole ANDNOT NOT camera", "the pole", "the", "of and to",
    *HOSTILE,
]


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason=NEEDS_POSTGRES)
@pytest.mark.parametrize("sort", ["price", "newest", "rating"])
def test_both_engines_answer_alike(make_engine, sort):
    """Every field of every answer, pages included, for the orders that do not depend on scoring."""
    whoosh, postgres = make_engine("whoosh", RATED), make_engine("postgres", RATED)
    for q in SIDE_BY_SIDE:
        for consortium, filters in ((1, {}), (1, {"category": "lighting"}), (1, {"proven": True}), (2, {})):
            for page in (1, 2):
                expected = whoosh.search(consortium, q, sort=sort, per_page=3, page=page, **filters)
                assert postgres.search(consortium, q, sort=sort, per_page=3, page=page, **filters) == expected, \
                    (q, filters, page)


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason=NEEDS_POSTGRES)
def test_both_engines_find_the_same_listings_by_relevance(make_engine):
    """Ranked by relevance, both engines find the same listings with the same facets and suggestions,
    and both put a word in a title above it in a summary above it in a body (the cases above). Among
    listings that hold the words in the same fields the order is each engine's own: Whoosh scores
    with BM25F (shorter fields and rarer words count more), PostgreSQL with ``ts_rank`` (more
    occurrences count more); ties go by title then id in both."""
    whoosh, postgres = make_engine("whoosh", CATALOG), make_engine("postgres", CATALOG)
    for q in SIDE_BY_SIDE:
        for consortium, filters in ((1, {}), (1, {"vendor_id": 10}), (2, {})):
            expected = whoosh.search(consortium, q, per_page=100, **filters)
            found = postgres.search(consortium, q, per_page=100, **filters)
            assert (sorted(found.ids), found.sort) == (sorted(expected.ids), expected.sort), (q, filters)
            assert found == SearchResult(**{**vars(expected), "ids": found.ids}), (q, filters)
