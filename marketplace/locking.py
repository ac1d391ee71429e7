"""Serialising writers that update a shared counter (vehicle ceilings, participation limits).

PostgreSQL: the service locks the rows it will update with `SELECT … FOR UPDATE`, so concurrent
transactions queue on those rows. SQLite has no row locks, so the transaction takes the database's
write lock up front (`BEGIN IMMEDIATE`): two submissions can never both read the old total.
"""

from __future__ import annotations

from marketplace.extensions import db


def begin_serialized_write() -> None:
    """Call at the boundary (view or command) before loading what a contended update will read."""
    session = db.session()  # the Session itself (the scoped proxy lacks in_transaction())
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_serialized_write() must run before any change in the transaction")
    if session.in_transaction():
        session.rollback()  # end the deferred read transaction of the request so far
    session.connection(execution_options={"sqlite_immediate": True})
