"""The Whoosh catalog engine on its own: plain dicts in, ranked ids and facets out (no app, no database)."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import MultifieldParser

from catalog.search import MAX_PER_PAGE, IndexUnavailable, SearchEngine, SearchResult, WhooshEngine
from catalog.search.engine.schema import TEXT_FIELDS


@pytest.fixture(autouse=True)
def _fresh_search_index():
    """These tests need no application: override tests/conftest.py's app-bound index fixture."""
    yield


@pytest.fixture
def caplog(caplog, monkeypatch):
    # Alembic's fileConfig() (run by an in-process `db upgrade`) disables loggers that already
    # exist, this module's included; the failures must still be seen to be logged here.
    for name in ("catalog.search.engine", "catalog.search.engine.index", "catalog.search.engine.snapshot"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    return caplog


def listing(listing_id: int, **fields) -> dict:
    doc = {
        "id": listing_id,
        "consortium_id": 1,
        "title": f"Listing {listing_id}",
        "summary": "",
        "description": "",
        "tags": [],
        "standards": [],
        "price_item_names": [],
        "category": "data_platforms",
        "pricing_models": ["purchase"],
        "vendor_id": 100,
        "vendor_name": "Acme Civic",
        "proven": False,
    }
    doc.update(fields)
    return doc


CATALOG = [
    listing(1, title="Adaptive Street Lighting Controller", summary="Dims LED streetlights at night",
            description="Wireless nodes for every pole.", category="lighting",
            pricing_models=["purchase", "as_a_service"], vendor_id=10, vendor_name="BrightStreet", proven=True),
    listing(2, title="Smart Light Pole", summary="A pole with a camera and a light", category="lighting",
            pricing_models=["as_a_service"], vendor_id=10, vendor_name="BrightStreet"),
    listing(3, title="Parking Occupancy Sensors", summary="In-ground sensors for every bay",
            description="Works with any lighting pole gateway.", category="parking",
            pricing_models=["revenue_share", "as_a_service"], vendor_id=20, vendor_name="ParkSense", proven=True),
    listing(4, title="Curbside EV Charging", summary="Level 2 chargers on existing poles",
            tags=["ev", "charging"], standards=["OCPP 2.0.1"], price_item_names=["Charging port"],
            category="ev_charging", pricing_models=["vendor_financed"], vendor_id=30, vendor_name="FlowMobility"),
    listing(5, title="Air Quality Monitoring", summary="Particulate and ozone sensors",
            category="environment", pricing_models=["purchase"], vendor_id=20, vendor_name="ParkSense"),
    # Another consortium: must never show up in consortium 1.
    listing(6, consortium_id=2, title="Street Lighting Retrofit", summary="LED street lighting for towns",
            category="lighting", vendor_id=10, vendor_name="BrightStreet", proven=True),
    listing(7, consortium_id=2, title="Snow Plough Telematics", summary="Plough tracking for winter",
            category="mobility", vendor_id=40, vendor_name="Northwind"),
]


@pytest.fixture
def index(tmp_path) -> WhooshEngine:
    idx = WhooshEngine(tmp_path / "search-index")
    idx.rebuild(CATALOG, total=len(CATALOG))
    return idx


def ids(result: SearchResult) -> set[int]:
    return set(result.ids)


def test_empty_query_lists_the_whole_consortium_by_title(index):
    result = index.search(1)

    assert result.total == 5
    assert result.ids == [1, 5, 4, 3, 2]  # Adaptive, Air, Curbside, Parking, Smart
    assert result.suggestion is None


def test_stemming_finds_other_forms_of_a_word(index):
    assert ids(index.search(1, "lights")) == {1, 2, 3}  # "Lighting", "Light", "lighting" in a body
    assert ids(index.search(1, "charger")) == {4}  # "chargers" and "charging" stem alike
    assert ids(index.search(1, "LIGHTING")) == {1, 2, 3}


def test_title_outweighs_body(tmp_path):
    idx = WhooshEngine(tmp_path / "ix")
    idx.rebuild([
        listing(1, title="Gateway", summary="Irrigation valves", description="Valves for parks and gardens."),
        listing(2, title="Valves", summary="Irrigation valves", description="Gateway for parks and gardens."),
        listing(3, title="Valves", summary="Irrigation gateway", description="Valves for parks and gardens."),
    ])

    assert idx.search(1, "gateway").ids == [1, 3, 2]  # title (x3), summary (x1.5), body


def test_scores_and_order_agree_with_whoosh_own_search(tmp_path):
    docs = _synthetic(400, seed=3)
    idx = WhooshEngine(tmp_path / "ix")
    idx.rebuild(docs)
    idx.index(docs[:40])  # a second segment and deletions in the first
    ix = whoosh_index.open_dir(str(tmp_path / "ix"))
    parser = MultifieldParser(list(TEXT_FIELDS), ix.schema)

    with ix.searcher() as searcher:
        for q in ("lighting", "parking sensor", "smart city platform", "bay"):
            expected = searcher.search(parser.parse(q), limit=None)
            by_id = {}
            for hit in expected:
                by_id.setdefault(int(hit["consortium_id"]), []).append((round(hit.score, 6), int(hit["id"])))
            for consortium, hits in by_id.items():
                result = idx.search(consortium, q, per_page=MAX_PER_PAGE)
                assert result.total == len(hits)
                ranked = sorted(hits, key=lambda h: (-h[0], _title(docs, h[1]).casefold(), h[1]))
                assert result.ids == [i for _, i in ranked][:MAX_PER_PAGE]


def test_a_tiny_postings_cache_gives_the_same_answers(tmp_path):
    docs = _synthetic(300, seed=4)
    roomy, tiny = WhooshEngine(tmp_path / "a"), WhooshEngine(tmp_path / "b", cached_postings=50)
    roomy.rebuild(docs)
    tiny.rebuild(docs)

    for _ in range(2):  # the second round reads evicted words again
        for q in ("lighting", "parking sensor", "smart city", "pole camera meter", "bay"):
            assert tiny.search(1, q, per_page=50) == roomy.search(1, q, per_page=50)


def test_all_words_must_match_unless_none_does(index):
    assert ids(index.search(1, "pole camera")) == {2}
    # No listing is about both: fall back to any word rather than show nothing.
    assert ids(index.search(1, "ozone charging")) == {4, 5}


def test_phrases_are_exact_in_title_and_summary(tmp_path):
    idx = WhooshEngine(tmp_path / "ix")
    idx.rebuild([
        listing(1, title="Street Lighting Controller"),
        listing(2, title="Lighting for every street"),
    ])

    assert idx.search(1, '"street lighting"').ids == [1]
    assert ids(idx.search(1, "street lighting")) == {1, 2}


def test_facets_count_the_matches_before_pagination(index):
    result = index.search(1, "", per_page=1)

    assert result.ids == [1]
    assert result.facets == {
        "category": {"lighting": 2, "environment": 1, "ev_charging": 1, "parking": 1},
        "pricing_model": {"as_a_service": 3, "purchase": 2, "revenue_share": 1, "vendor_financed": 1},
        "proven": {"no": 3, "yes": 2},
        "vendor": {"10": 2, "20": 2, "30": 1},
    }
    assert result.vendor_names == {"10": "BrightStreet", "20": "ParkSense", "30": "FlowMobility"}


def test_a_facet_counts_under_the_other_filters_only(index):
    result = index.search(1, "", category="lighting")

    assert result.total == 2
    assert result.facets["category"] == {"lighting": 2, "environment": 1, "ev_charging": 1, "parking": 1}
    assert result.facets["vendor"] == {"10": 2}
    assert result.facets["proven"] == {"no": 1, "yes": 1}


@pytest.mark.parametrize("query", [{}, {"category": "lighting"}, {"q": "sensors"}, {"pricing_model": "purchase"}])
def test_broad_results_count_facets_the_same_way(index, monkeypatch, query):
    """Above BROAD_RESULT matches facets are counted by set intersections; the counts must not change."""
    from catalog.search import results

    by_pass = index.search(1, **query).facets
    monkeypatch.setattr(results, "BROAD_RESULT", 0)
    assert index.search(1, **query).facets == by_pass


def test_filters_combine(index):
    assert ids(index.search(1, "", pricing_model="as_a_service")) == {1, 2, 3}
    assert ids(index.search(1, "", pricing_model="as_a_service", proven=True)) == {1, 3}
    assert ids(index.search(1, "", pricing_model="as_a_service", proven=True, category="parking")) == {3}
    assert ids(index.search(1, "", proven=False, vendor_id=20)) == {5}
    assert ids(index.search(1, "sensors", vendor_id="20")) == {3, 5}
    assert index.search(1, "sensors", category="lighting").total == 0
    assert index.search(1, "", category="no-such-category").ids == []


def test_pages_are_stable_among_equal_scores(tmp_path):
    twins = [listing(i, title=f"Twin Sensor {'B' if i % 2 else 'A'}", summary="identical words")
             for i in range(1, 101)]
    expected = sorted(range(1, 101), key=lambda i: ("twin sensor " + ("b" if i % 2 else "a"), i))

    idx = WhooshEngine(tmp_path / "ix")
    for docs in (twins, list(reversed(twins)), random.Random(5).sample(twins, len(twins))):
        idx.rebuild(docs)
        pages = [idx.search(1, "sensor", page=page, per_page=7) for page in range(1, 16)]
        assert [i for p in pages for i in p.ids] == expected
        assert {p.total for p in pages} == {100}
        assert idx.search(1, "", page=3, per_page=10).ids == expected[20:30]


def test_pagination_bounds(index):
    assert index.search(1, "", page=99).ids == []
    assert index.search(1, "", page=99).total == 5
    assert index.search(1, "", page=0).page == 1
    assert index.search(1, "", per_page=10_000).per_page == MAX_PER_PAGE
    assert index.search(1, "", page="x", per_page=None).ids  # tolerant of junk paging input


@pytest.mark.parametrize("page", ["٣", "２", "²", "-1", "1.0", " ", True, 2.0, None, [2], "9" * 40])
def test_a_page_not_written_with_ascii_digits_is_the_first(index, page):
    result = index.search(1, "", page=page, per_page=2)

    assert (result.page, result.ids) == (1, [1, 5])


def test_paging_written_with_ascii_digits_is_understood(index):
    assert index.search(1, "", page=" 2 ", per_page="2").ids == [4, 3]
    assert index.search(1, "", per_page="٣").per_page == 20  # the default, not 3


@pytest.mark.parametrize("filters", [
    {"category": "\ud800"}, {"category": "light\x00ing"}, {"category": ["lighting"]}, {"category": "x" * 10_000},
    {"pricing_model": "\udfff"}, {"pricing_model": 7}, {"vendor_id": "١٠"}, {"vendor_id": "ten"}, {"vendor_id": -10},
    {"vendor_id": 10**30}, {"vendor_id": True},
])
def test_filter_values_no_listing_can_have_match_nothing(index, filters):
    result = index.search(1, "lighting", **filters)

    assert (result.total, result.ids) == (0, [])
    facet = {"vendor_id": "vendor"}.get(*filters, *filters)
    assert result.facets[facet]  # a facet counts under the *other* filters: the matches are still there


def test_engine_satisfies_the_interface(index):
    assert isinstance(index, SearchEngine)


def test_consortia_are_isolated(index):
    assert ids(index.search(1, "street lighting")) == {1}
    assert ids(index.search(2, "street lighting")) == {6}
    assert index.search(1, "plough").total == 0
    assert index.search(1, "plough").suggestion is None  # a word of consortium 2 is not offered
    assert index.search(2, "").facets["vendor"] == {"10": 1, "40": 1}
    assert index.search(3, "").total == 0
    assert ids(index.search(1, "consortium_id:2 OR plough")) == set()


def test_did_you_mean(index):
    result = index.search(1, "strret lihgting")

    assert result.suggestion == "street lighting"
    assert index.search(1, "parkng").suggestion == "parking"
    assert index.search(1, "street lighting").suggestion is None
    assert index.search(1, "lights").suggestion is None  # known through its stem
    assert index.search(1, "xqzvw").suggestion is None  # nothing close


HOSTILE = [
    "", "   ", '"(', "(", ")", '"', "AND OR", "AND", "NOT", "OR OR OR", "lighting AND", "NOT lighting",
    "*", "?", "light*", "title:", "title:secret", "nosuchfield:value", "vendor_name:BrightStreet",
    "category:parking", "lighting^100", "lighting~2", "[a TO z]", "{a TO z}", "\\", "'", "''''",
    "-", "--", "…", "街灯", "\x00\x01", "a" * 10_000, "lighting " * 2_000, "(" * 5_000, '"' * 999,
    "<script>alert(1)</script>", "%s %d {0}", "ANDMAYBE ANDNOT", "pole ANDNOT camera",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_normally(index, q):
    result = index.search(1, q, category="lighting")

    assert isinstance(result, SearchResult)
    assert set(result.ids) <= {1, 2}
    assert result.total == len(result.ids)


def test_operators_and_field_syntax_do_not_reach_other_fields(index):
    assert ids(index.search(1, "pole ANDNOT camera")) == {1, 3, 4}
    assert ids(index.search(1, "NOT pole")) == {5}
    # "category:parking" is just two words here, not a field query.
    assert index.search(1, "category:parking").ids == [3]


def test_indexing_again_replaces_the_document(index):
    index.index([listing(2, title="Smart Bench", summary="Solar seat", category="buildings", vendor_id=50)])

    assert 2 not in ids(index.search(1, "pole"))
    assert ids(index.search(1, "bench")) == {2}
    result = index.search(1)
    assert result.total == 5
    assert result.facets["category"]["lighting"] == 1
    assert result.facets["vendor"]["50"] == 1


def test_writes_are_seen_by_other_instances(index, tmp_path):
    other = WhooshEngine(tmp_path / "search-index")
    assert other.search(1, "kiosk").total == 0

    index.index([listing(8, title="Wayfinding Kiosk")])

    assert other.search(1, "kiosk").ids == [8]


def test_delete_removes(index):
    index.remove([1, 999])

    assert ids(index.search(1, "lighting")) == {2, 3}
    assert index.search(1).total == 4
    assert index.search(1).facets["proven"] == {"no": 3, "yes": 1}
    assert index.remove([]) == 0


def test_rebuild_swaps_in_a_complete_index_atomically(index, tmp_path):
    path = tmp_path / "search-index"
    seen_during_build = []

    def progress(n):
        seen_during_build.append((n, index.search(1).total))  # readers keep the old index

    count = index.rebuild((listing(i, title=f"New {i}") for i in range(1, 2501)), total=2500, progress=progress)

    assert count == 2500
    assert sum(n for n, _ in seen_during_build) == 2500
    assert {total for _, total in seen_during_build} == {5}
    assert index.search(1).total == 2500
    assert path.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["search-index", os.readlink(path)])


def test_rebuild_failure_leaves_the_old_index(index, tmp_path):
    def broken():
        yield listing(1, title="Half")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        index.rebuild(broken())

    assert index.search(1).total == 5
    assert len(list(tmp_path.iterdir())) == 2  # the symlink and its target: no half-built leftovers


def test_rebuild_replaces_a_plain_directory(tmp_path):
    path = tmp_path / "ix"
    path.mkdir()
    whoosh_index.create_in(str(path), WhooshEngine(path).schema)

    idx = WhooshEngine(path)
    idx.rebuild(CATALOG)

    assert path.is_symlink()
    assert idx.search(1).total == 5


def test_rebuild_never_deletes_a_directory_that_is_not_an_index(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "app.db").write_text("precious")

    with pytest.raises(ValueError, match="not a search index"):
        WhooshEngine(tmp_path / "instance").rebuild(CATALOG)

    assert (tmp_path / "instance" / "app.db").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance"]


def test_missing_index_raises_until_rebuilt(tmp_path, caplog):
    idx = WhooshEngine(tmp_path / "never-built")

    with caplog.at_level(logging.ERROR, logger="catalog.search.engine"):
        with pytest.raises(IndexUnavailable):
            idx.search(1, "lighting")
        with pytest.raises(IndexUnavailable):
            idx.index([listing(1)])
        with pytest.raises(IndexUnavailable):
            idx.remove([1])
    assert not idx.health()
    assert "never-built" in caplog.text

    idx.rebuild(CATALOG)
    assert idx.health()
    assert idx.search(1, "lighting").total == 3


def test_empty_directory_raises(tmp_path):
    (tmp_path / "ix").mkdir()
    idx = WhooshEngine(tmp_path / "ix")

    with pytest.raises(IndexUnavailable):
        idx.search(1)
    idx.rebuild(CATALOG)
    assert idx.search(1).total == 5


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete_segment", "garbage_toc"])
def test_corrupt_index_raises_until_rebuilt(index, tmp_path, damage, caplog):
    index.search(1, "lighting")  # a cached searcher must not hide the damage from new readers
    _damage(tmp_path / "search-index", damage)
    fresh = WhooshEngine(tmp_path / "search-index")

    with caplog.at_level(logging.ERROR, logger="catalog.search.engine"), pytest.raises(IndexUnavailable):
        fresh.search(1, "lighting")
    assert "unavailable" in caplog.text
    assert not fresh.health()
    with pytest.raises(IndexUnavailable):
        fresh.index([listing(9)])

    fresh.rebuild(CATALOG)
    assert fresh.health()
    assert ids(fresh.search(1, "lighting")) == {1, 2, 3}
    assert ids(index.search(1, "lighting")) == {1, 2, 3}  # the other instance follows the swap


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete_segment", "garbage_toc"])
def test_files_damaged_under_an_open_searcher_do_not_crash_the_process(index, tmp_path, damage):
    index.search(1, "lighting")
    _damage(tmp_path / "search-index", damage)

    try:  # words not read yet must come from the damaged files
        result = index.search(1, "ozone parking camera")
    except IndexUnavailable:
        pass
    else:
        assert isinstance(result, SearchResult)
    index.rebuild(CATALOG)
    assert ids(index.search(1, "lighting")) == {1, 2, 3}


def test_out_of_date_schema_is_unavailable(tmp_path):
    path = tmp_path / "ix"
    path.mkdir()
    from whoosh.fields import ID, Schema

    whoosh_index.create_in(str(path), Schema(id=ID(stored=True)))

    with pytest.raises(IndexUnavailable):
        WhooshEngine(path).search(1)


def _damage(path: Path, how: str) -> None:
    files = sorted(p for p in path.resolve().iterdir() if p.is_file())
    segments = [p for p in files if p.suffix == ".seg"]
    tocs = [p for p in files if p.suffix == ".toc"]
    assert segments and tocs
    if how == "truncate":
        for p in segments:
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])
    elif how == "garbage":
        for p in segments:
            p.write_bytes(random.Random(1).randbytes(p.stat().st_size))
    elif how == "delete_segment":
        for p in segments:
            p.unlink()
    elif how == "garbage_toc":
        for p in tocs:
            p.write_bytes(b"\x00not a toc" * 10)


def _title(docs: list[dict], listing_id: int) -> str:
    return next(d["title"] for d in docs if d["id"] == listing_id)


def _synthetic(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    words = ["smart", "city", "lighting", "street", "parking", "sensor", "bay", "platform", "data", "pole",
             "camera", "air", "quality", "water", "leak", "meter", "charging", "fleet", "gateway", "network"]
    return [
        listing(i, consortium_id=rng.choice((1, 2)),
                title=" ".join(rng.choices(words, k=rng.randint(2, 4))).title(),
                summary=" ".join(rng.choices(words, k=rng.randint(4, 10))),
                description=" ".join(rng.choices(words, k=rng.randint(10, 60))))
        for i in range(1, n + 1)
    ]
