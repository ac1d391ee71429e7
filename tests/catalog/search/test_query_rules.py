"""The rules both engines share, on their own: the query grammar, the synonym table, the "did you
mean" arithmetic, and which engine the configuration picks."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text
from whoosh.analysis import STOP_WORDS as WHOOSH_STOP_WORDS
from whoosh.support.levenshtein import damerau_levenshtein as whoosh_distance

from catalog.search import spelling
from catalog.search.query import clean_query
from catalog.search.synonyms import Synonyms, fold, parse_groups, synonym_table
from catalog.search.syntax import All, AndMaybe, AndNot, Any, Not, Term, parse, positive_terms
from marketplace.config import ConfigError, load_config
from tests.catalog.search.conftest import NEEDS_POSTGRES, ON_POSTGRES


def word(*tokens: str) -> Term:
    return Term(tokens)


@pytest.mark.parametrize(("q", "mode", "tree"), [
    ("pole camera", "and", All((word("pole"), word("camera")))),
    ("pole camera", "or", Any((word("pole"), word("camera")))),
    ("aa bb OR cc", "and", All((word("aa"), Any((word("bb"), word("cc")))))),
    ("aa OR bb AND cc", "and", Any((word("aa"), All((word("bb"), word("cc")))))),
    ("xx yy ANDNOT zz OR ww", "and", All((word("xx"), AndNot(word("yy"), Any((word("zz"), word("ww"))))))),
    ("aa ANDMAYBE bb ANDNOT cc", "and", AndMaybe(word("aa"), AndNot(word("bb"), word("cc")))),
    ("NOT pole", "and", Not(word("pole"))),
    ("NOT NOT pole", "and", word("pole")),
    ("NOT pp qq", "or", Any((Not(word("pp")), word("qq")))),
    ("lighting AND", "and", word("lighting")),
    ("AND lighting", "and", word("lighting")),  # an operator without operands is a (stop) word
    ("aa OR OR bb", "and", Any((word("aa"), word("bb")))),
    ("ANDNOT camera", "and", All((word("andnot"), word("camera")))),
    ("the ANDNOT camera", "and", Not(word("camera"))),
    ("pole ANDNOT the", "and", word("pole")),
    ("wi-fi", "or", Term(("wi", "fi"))),  # a word's tokens are all required, whatever the mode
    ('"street lighting" pole', "and", All((Term(("street", "lighting"), phrase=True), word("pole")))),
    ('"the lights"', "and", word("lights")),
    ("the of AND OR", "and", None),
    ("", "and", None),
])
def test_the_grammar(q, mode, tree):
    assert parse(clean_query(q), mode, Synonyms(())) == tree


def test_synonym_groups_replace_the_ways_of_writing_a_thing():
    synonyms = synonym_table()
    street_light = (Term(("streetlight",)), Term(("street", "light"), phrase=True))

    assert parse("streetlights", "and", synonyms) == Any((Term(("streetlights",)), *street_light))
    assert parse("street lights pole", "and", synonyms) == All((
        Any((Term(("street", "lights"), phrase=True), *street_light)), word("pole")))
    assert parse('"street light"', "and", synonyms) == Term(("street", "light"), phrase=True)  # not in phrases
    assert parse("wifi", "and", synonyms) == Any((word("wifi"), Term(("wi", "fi"), phrase=True)))
    assert parse("NOT wifi", "and", synonyms) == Not(Any((word("wifi"), Term(("wi", "fi"), phrase=True))))
    assert [t.tokens for t in positive_terms(parse("kerb ANDNOT wifi", "and", synonyms))] == [("kerb",), ("curb",)]


def test_the_synonym_table_text():
    assert parse_groups("bollard light, bollard; cctv , video surveillance;") == [
        ("bollard light", "bollard"), ("cctv", "video surveillance"), ()]
    table = synonym_table("bollard light, bollard;; lone")
    assert table.match(["bollard", "lights", "pole"]) == (2, ("bollard light", "bollard"))
    assert table.match(["Street-Lights"]) == (1, ("streetlight", "street light"))
    assert table.match(["pole"]) is None
    assert table.covers("WiFi") and table.covers("streetlights") and not table.covers("street")
    assert [fold(w) for w in ("lights", "glass", "bus", "its")] == ["light", "glass", "bus", "its"]


def test_any_token_soup_parses():
    rng = random.Random(3)
    alphabet = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "the", "pole", "Wi-Fi", "street", "light", "streetlight",
                '"street light"', '""', '"the"', "2.0.1", "x", "wifi", "kerb"]
    for _ in range(3000):
        q = " ".join(rng.choices(alphabet, k=rng.randint(0, 9)))
        for mode in ("and", "or"):
            parse(clean_query(q), mode, synonym_table())


def test_stop_words_are_whooshs():
    assert spelling.STOP_WORDS == WHOOSH_STOP_WORDS


def test_edit_distance_is_whooshs():
    rng = random.Random(7)
    for _ in range(3000):
        a = "".join(rng.choices("abcde", k=rng.randint(0, 7)))
        b = "".join(rng.choices("abcde", k=rng.randint(0, 7)))
        assert spelling.damerau_levenshtein(a, b) == whoosh_distance(a, b), (a, b)


PAIRS = [("strret", "street"), ("lihgting", "lighting"), ("parkng", "parking"), ("sensrs", "sensors"),
         ("ing", "any"), ("bya", "bay"), ("cmaera", "camera"), ("cmaera", "cameras"), ("ab", "abc"),
         ("wifi", "with"), ("occupancy", "ocupancy"), ("abc", "abd"), ("abcd", "abce"), ("lightning", "lighting"),
         ("x", "y")]


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason=NEEDS_POSTGRES)
def test_similar_words_are_what_pg_trgm_finds(_transaction):
    for a, b in PAIRS:
        found = _transaction.scalar(text("SELECT similarity(:a, :b) >= 0.2"), {"a": a, "b": b})
        assert spelling.similar(a, b) is found, (a, b)


def test_closest_word_prefers_fewer_edits_then_more_listings():
    counts = {"sensors": 3, "sensor": 9, "censors": 50, "gone": 0}.get

    def held(words):
        return {w: counts(w, 0) for w in words}

    assert spelling.closest("sensrs", ["sensors", "sensor", "censors"], held) == "sensors"
    assert spelling.closest("sensr", ["sensors", "sensor"], held) == "sensor"
    assert spelling.closest("gon", ["gone"], held) is None  # held by no listing any more
    assert spelling.closest("ing", ["any"], held) is None  # two edits, but nothing alike
    assert spelling.closest("cmaera", ["camera"], lambda words: dict.fromkeys(words, 1)) == "camera"


@pytest.mark.parametrize(("url", "asked", "engine"), [
    ("sqlite:///x.db", "", "whoosh"), ("postgresql+psycopg://u@h/db", "", "postgres"),
    ("postgresql+psycopg://u@h/db", "whoosh", "whoosh"), ("postgresql+psycopg://u@h/db", " Postgres ", "postgres"),
    ("sqlite:///x.db", "WHOOSH", "whoosh"),
])
def test_the_engine_follows_the_database_unless_set(tmp_path, monkeypatch, url, asked, engine):
    monkeypatch.setenv("SEARCH_ENGINE", asked)
    assert load_config(str(tmp_path), {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})["SEARCH_ENGINE"] == engine


def test_postgres_search_on_sqlite_is_refused_at_start(tmp_path, monkeypatch):
    from marketplace import create_app

    monkeypatch.setenv("SEARCH_ENGINE", "postgres")
    with pytest.raises(ConfigError, match="SEARCH_ENGINE=postgres .* DATABASE_URL is not PostgreSQL"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    monkeypatch.setenv("SEARCH_ENGINE", "elastic")
    with pytest.raises(ConfigError, match="SEARCH_ENGINE must be one of whoosh, postgres"):
        load_config(str(tmp_path), {"TESTING": True})


def test_the_configuration_knows_every_engine():
    from catalog.search.services import ENGINES
    from marketplace.config import SEARCH_ENGINES

    assert set(ENGINES) == set(SEARCH_ENGINES)
