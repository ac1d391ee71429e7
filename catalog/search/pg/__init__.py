"""The PostgreSQL search engine: the catalog's index as rows of the application's own database.

- ``engine``: ``PostgresEngine``, searching (facets, sorts, "did you mean") and its writes;
- ``writing``: the rows of ``search_document`` and ``search_word``, written on the caller's connection;
- ``tsquery``: a query tree (``catalog.search.syntax``) as a ``tsquery`` of bound parameters.

The tables are in ``catalog.search.models``; the migration that creates them also creates the text
search configuration (Porter stemming, as Whoosh does) and the ``pg_trgm`` extension.
"""

from catalog.search.pg.engine import PostgresEngine
from catalog.search.pg.writing import write

__all__ = ["PostgresEngine", "write"]
