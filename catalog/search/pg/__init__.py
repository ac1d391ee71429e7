"""The PostgreSQL search engine: the catalog's index as rows of the application's own database.

- ``engine``: ``PostgresEngine``, searching (sorts, "did you mean") and its writes;
- ``facets``: the filters as SQL and as Python, and the facet counts from one pass over the matches;
- ``writing``: the rows of ``search_document``, ``search_spelling`` and ``search_word``, written on the
  caller's connection;
- ``tsquery``: a query tree (``catalog.search.syntax``) as a ``tsquery`` of bound parameters, and the
  relevance score's sort key.

The tables are in ``catalog.search.models``; the migration that creates them also creates the text
search configuration (Porter stemming, as Whoosh does) and the ``pg_trgm`` extension.
"""

from catalog.search.pg.engine import PostgresEngine
from catalog.search.pg.writing import write

__all__ = ["PostgresEngine", "write"]
