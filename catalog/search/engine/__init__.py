"""The Whoosh search engine: the one place in the code base that knows Whoosh.

Nothing outside ``catalog.search`` imports this package (import-linter checks it): the rest of the
application goes through ``catalog.search``, whose ``SearchEngine`` interface this engine implements,
as the PostgreSQL engine (``catalog.search.pg``) does. Both take a query's meaning from
``catalog.search.syntax`` (compiled here by ``evaluation.whoosh_query``).

- ``index``: ``WhooshEngine``, the index on disk (writing, rebuilding, searching, health);
- ``schema``: the Whoosh schema and how a listing dict becomes field values;
- ``snapshot``: one version of the index in memory: segments, postings, BM25F scores;
- ``evaluation``: a parsed query evaluated with set operations, and "did you mean";
- ``directory``: the index directory a rebuild swaps atomically (no Whoosh in it).

Whoosh 2.7.4 is its last release (pinned in pyproject.toml), so leaning on its block layout in
``snapshot`` is safe; tests compare every score and order with Whoosh's own ``Searcher.search``.
"""

from catalog.search.engine.index import WhooshEngine

__all__ = ["WhooshEngine"]
