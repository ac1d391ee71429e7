"""``PostgresEngine``: catalog search with PostgreSQL full-text search, on the application's own
database and inside its transactions.

A search counts the listings its query matches per combination of facet values (``facets``: the
total and every facet come from those few rows) and picks the page of ids in the requested order: one
statement without filters, two with. A query that no listing matches in full within the filters is
run again with any of its words. "Did you mean" asks ``pg_trgm`` for the consortium's words close to
an unknown one (``spelling.suggest`` decides).

A broad query costs time in proportion to the listings it matches (each is read, and those within the
filters ranked); nothing else grows with the catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from catalog.search import syntax
from catalog.search.models import TEXT_SEARCH_CONFIG
from catalog.search.pg import writing
from catalog.search.pg.facets import COMBINATIONS, FILTERS, Tally, filter_value
from catalog.search.pg.tsquery import Compiled, score_key
from catalog.search.query import SearchRequest, search_request
from catalog.search.results import IndexUnavailable, SearchResult
from catalog.search.spelling import SIMILARITY_TENTHS, closest, suggest
from catalog.search.synonyms import Synonyms, synonym_table

log = logging.getLogger(__name__)

# Ties always end the same way: by title (character by character, like Python's str order), then id.
TIES = 'd.sort_title COLLATE "C", d.listing_id'
ORDERS = {
    "relevance": f"d.score DESC, {TIES}",
    "price": f"d.min_price_cents ASC NULLS LAST, {TIES}",
    "newest": f"d.published_at DESC NULLS LAST, {TIES}",
    "rating": f"d.rating DESC NULLS LAST, d.published_at DESC NULLS LAST, {TIES}",
}


class PostgresEngine:
    """The catalog's search index as rows of the application's database (``catalog.search.models``).

    ``connection()`` gives the connection of the caller's transaction (in the app: the session's), so
    what ``index``, ``remove`` and ``rebuild`` write commits or rolls back with the caller's work, and
    a search sees the caller's own uncommitted changes. Nothing is kept between calls: several
    processes share the index simply by sharing the database.
    """

    in_transaction = True  # its writes belong to the caller's transaction (see ``services``)

    def __init__(self, connection: Callable[[], Connection], synonyms: Synonyms | None = None):
        self._connection = connection
        self.synonyms = synonym_table() if synonyms is None else synonyms

    def index(self, docs: Iterable[dict]) -> int:
        """Add or replace these listings' documents; returns how many were written."""
        return writing.write(self._connection(), docs)

    def remove(self, ids: Iterable[int]) -> int:
        """Delete these listings' documents (unknown ids are ignored); returns how many ids were given."""
        ids = list(ids)
        writing.write(self._connection(), (), ids)
        return len(ids)

    def rebuild(self, docs: Iterable[dict], total: int | None = None,
                progress: Callable[[int], object] | None = None) -> int:
        """Replace every document with ``docs`` in the caller's transaction (other transactions keep
        seeing the old ones until it commits); ``progress(n)`` after each batch of ``n``."""
        count = writing.replace_all(self._connection(), docs, progress)
        log.info("search documents rebuilt: %d listings (expected %s)", count, "?" if total is None else total)
        return count

    def health(self) -> bool:
        """True when the tables and the text search configuration answer; never raises (and never
        spoils the caller's transaction: the probe runs in a savepoint)."""
        try:
            connection = self._connection()
            with connection.begin_nested():
                connection.execute(text(f"SELECT d.listing_id FROM search_document d, search_spelling s, search_word w "
                                        f"WHERE d.tsv @@ plainto_tsquery('{TEXT_SEARCH_CONFIG}', 'health') "
                                        f"AND s.listing_id = d.listing_id AND w.word % 'health' LIMIT 1"))
            return True
        except Exception:  # a health check answers, it does not raise
            log.warning("search documents unavailable", exc_info=True)
            return False

    def search(
        self,
        consortium_id: int,
        q: str = "",
        category: str | None = None,
        pricing_model: str | None = None,
        proven: bool | None = None,
        vendor_id: int | str | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: str | None = None,
    ) -> SearchResult:
        """See ``catalog.search.SearchEngine.search``: the same answers as the Whoosh engine's."""
        request = search_request(consortium_id, q, category, pricing_model, proven, vendor_id, page, per_page, sort)
        try:
            connection = self._connection()
            with _planned_each_time(connection):
                return _Search(connection, request, self.synonyms).run()
        except SQLAlchemyError as exc:
            log.error("catalog search failed in the database: %r", exc, exc_info=exc)
            raise IndexUnavailable(f"search failed: {exc!r}") from exc


@contextmanager
def _planned_each_time(connection: Connection) -> Iterator[None]:
    """Keep psycopg from preparing the search's statements (it prepares a statement run five times on a
    connection). PostgreSQL would then soon run a prepared search with a generic plan, made without
    the query's words: ``plainto_tsquery(..., $1)`` is evaluated again for every row it reads, and the
    plan cannot fit how many listings the words match. Planned each time, the tsquery is a constant
    and the plan is made for it. The setting is the client's, restored at once; nothing is sent."""
    driver = getattr(connection.connection, "driver_connection", None)
    if not hasattr(driver, "prepare_threshold"):
        yield
        return
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


def _required(node) -> set[str]:
    """Tokens every listing ``node`` matches holds."""
    if isinstance(node, syntax.Term):
        return set(node.tokens)
    if isinstance(node, syntax.All):
        return set().union(*map(_required, node.children))
    if isinstance(node, syntax.AndNot):
        return _required(node.positive)
    if isinstance(node, syntax.AndMaybe):
        return _required(node.required)
    return set()  # Any, Not: no one token is required


class _Search:
    """One search: its request, filters and statements."""

    def __init__(self, connection: Connection, request: SearchRequest, synonyms: Synonyms):
        self.connection = connection
        self.request = request
        self.synonyms = synonyms
        self.consortium = int(request.consortium)
        self.filters = {name: filter_value(name, value) for name, value in request.filters.items()}
        # A filter whose value no listing can have is "false" (and its value is not bound).
        self.conditions = [FILTERS[name] if value is not None else "false" for name, value in self.filters.items()]
        self.params: dict[str, object] = {"consortium": self.consortium} | {
            f"f_{name}": value for name, value in self.filters.items() if value is not None}
        self._threshold_set = False

    def run(self) -> SearchResult:
        request = self.request
        node, tally, ids = self._answer("and")
        if not tally.total and len(request.text.split()) > 1:
            node, tally, ids = self._answer("or")
        required = _required(node) if tally.counted else set()
        return SearchResult(
            ids=ids, total=tally.total, facets=tally.facets, page=request.page, per_page=request.per_page,
            sort=request.sort, suggestion=self._suggest(required) if request.text else None,
            vendor_names=tally.vendor_names,
        )

    def _where(self, node: syntax.Node | None, compiled: Compiled) -> str:
        where = "d.consortium_id = :consortium"
        return where if node is None else f"{where} AND d.tsv @@ {compiled.match(node)}"

    def _answer(self, mode: str) -> tuple[syntax.Node | None, Tally, list[int]]:
        """The query in ``mode``: its matches counted per combination of facet values (``Tally`` adds
        them up), and the ids of the requested page among those within the filters, in the requested
        order (only those are ranked, each once).

        Without filters the page is chosen among all the matches, so one statement reads them once for
        both. With filters, the matches are counted first, then the page is read through the filters'
        indexes (a category holds a twelfth of the listings); with two filters or more, only the matches
        within all filters but one at most count anywhere, so only those are read."""
        node = syntax.parse(self.request.text, mode, self.synonyms) if self.request.text else None
        compiled = Compiled()
        matches = self._where(node, compiled)
        rank = compiled.rank(node) if self.request.sort == "relevance" else None
        if self.request.sort == "relevance" and rank is None:
            order, ranked = TIES, ""  # nothing ranks (only stop words, only NOT): every score is 0
        else:
            order = ORDERS[self.request.sort].replace("d.score", score_key("d.rank"))
            ranked = "" if rank is None else f", {rank} AS rank"
        offset = (self.request.page - 1) * self.request.per_page
        params = self.params | compiled.params | {"limit": self.request.per_page, "offset": offset}
        if not self.conditions:
            statement = f"""
                WITH matched AS MATERIALIZED (
                    SELECT d.listing_id, {COMBINATIONS}, d.sort_title, d.min_price_cents, d.published_at, d.rating
                        {ranked}
                    FROM search_document d WHERE {matches}
                )
                SELECT {COMBINATIONS}, count(*), NULL FROM matched AS d GROUP BY {COMBINATIONS}
                UNION ALL
                SELECT NULL, NULL, NULL, NULL, NULL, NULL, array_agg(d.listing_id ORDER BY {order}) FROM (
                    SELECT * FROM matched AS d ORDER BY {order} LIMIT :limit OFFSET :offset
                ) AS d
            """
            rows = self.connection.execute(text(statement), params).all()
            page = next(row[-1] for row in rows if row[-2] is None)  # the page's row: no count
            return node, Tally(self.filters, (row[:-1] for row in rows if row[-2] is not None)), page or []
        scope = matches
        if len(self.conditions) > 1:
            all_but_one = [" AND ".join(c for j, c in enumerate(self.conditions) if j != i)
                           for i in range(len(self.conditions))]
            scope += " AND ((" + ") OR (".join(all_but_one) + "))"
        statement = f"SELECT {COMBINATIONS}, count(*) FROM search_document d WHERE {scope} GROUP BY {COMBINATIONS}"
        tally = Tally(self.filters, self.connection.execute(text(statement), params))
        if tally.total <= offset:
            return node, tally, []
        # Ranked in a subquery (OFFSET 0 keeps PostgreSQL from inlining it), so each score is computed once.
        statement = f"""
            SELECT d.listing_id FROM (
                SELECT d.listing_id, d.sort_title, d.min_price_cents, d.published_at, d.rating {ranked}
                FROM search_document d WHERE {" AND ".join([matches, *self.conditions])} OFFSET 0
            ) AS d
            ORDER BY {order} LIMIT :limit OFFSET :offset
        """
        return node, tally, list(self.connection.execute(text(statement), params).scalars())

    # ------------------------------------------------------------------------------ did you mean

    def _suggest(self, required: set[str]) -> str | None:
        """``required``: the tokens every listing the query found holds (known without asking again)."""

        def known(words: list[str]) -> list[str]:
            return [w for w in words if w in required] + self._known([w for w in words if w not in required])

        return suggest(self.request.text, known, self._correction, self._finds, self.synonyms.covers)

    def _known(self, words: list[str]) -> list[str]:
        """Those of ``words`` some listing of the consortium holds in some form ("lights": "lighting")."""
        if not words:
            return []
        # One EXISTS per word, each with its own constant tsquery, so each can use the GIN index.
        compiled = Compiled("w")
        checks = ", ".join(f"EXISTS (SELECT 1 FROM search_document d WHERE d.consortium_id = :consortium "
                           f"AND d.tsv @@ {compiled.term(syntax.Term((word,)))})" for word in words)
        row = self.connection.execute(text(f"SELECT {checks}"), {"consortium": self.consortium} | compiled.params).one()
        return [word for word, held in zip(words, row, strict=True) if held]

    def _correction(self, word: str) -> str | None:
        """The consortium's word nearest to ``word`` (``spelling.closest``), among those ``pg_trgm``'s
        index finds similar to it (``%``, at the threshold of ``spelling.similar``: set for the rest
        of this transaction, and only ``pg_trgm`` reads it)."""
        if not self._threshold_set:
            self.connection.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :threshold, true)"),
                                    {"threshold": str(SIMILARITY_TENTHS / 10)})
            self._threshold_set = True
        similar = self.connection.execute(
            text("SELECT w.word FROM search_word w WHERE w.consortium_id = :consortium AND w.word % :word"),
            {"consortium": self.consortium, "word": word}).scalars()
        return closest(word, similar, self._counts)

    def _counts(self, words: list[str]) -> dict[str, int]:
        """How many of the consortium's listings hold each word (0: only a listing gone since)."""
        return dict(self.connection.execute(text("""
            SELECT w, (SELECT count(*) FROM search_spelling s
                       WHERE s.consortium_id = :consortium AND s.words @> ARRAY[w])
            FROM unnest(CAST(:words AS text[])) AS w
        """), {"consortium": self.consortium, "words": words}).all())

    def _finds(self, corrected: str) -> bool:
        """Whether the query finds a listing of the consortium (all its words, else any): one statement,
        whose second EXISTS runs only when the first finds nothing."""
        compiled = Compiled()
        checks = [f"EXISTS (SELECT 1 FROM search_document d WHERE {self._where(node, compiled)})"
                  for node in (syntax.parse(corrected, mode, self.synonyms) for mode in ("and", "or"))
                  if node is not None]
        if not checks:
            return False
        statement = text(f"SELECT {' OR '.join(checks)}")
        return bool(self.connection.execute(statement, {"consortium": self.consortium} | compiled.params).scalar())
