"""Serialising writers that update a shared counter (vehicle ceilings, participation limits).

PostgreSQL: the service locks the rows it will update with `SELECT … FOR UPDATE`, so concurrent
transactions queue on those rows. SQLite has no row locks, so the transaction takes the database's
write lock up front (`BEGIN IMMEDIATE`): two submissions can never both read the old total.
"""

from __future__ import annotations

from flask import request
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.extensions import db

_IMMEDIATE = "sqlite_immediate_transaction"


def begin_serialized_write() -> None:
    """Call at the boundary (view or command) before loading what a contended update will read."""
    session = db.session()  # the Session itself (the scoped proxy lacks in_transaction())
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction() and session.info.get(_IMMEDIATE):
        return  # this transaction already holds the write lock
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_serialized_write() must run before any change in the transaction")
    if session.in_transaction():
        session.rollback()  # end the deferred read transaction of the request so far
    session.connection(execution_options={"sqlite_immediate": True})
    session.info[_IMMEDIATE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_immediate(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_IMMEDIATE, None)


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def serialize_writing_requests() -> None:
    """Before every request that may write: on SQLite, take the write lock up front. A transaction that
    reads first and writes later cannot wait for a busy database (SQLite answers "database is locked"
    at once to avoid a deadlock), so concurrent form posts and API calls would fail instead of
    queueing. Reads (GET) stay lock-free; PostgreSQL needs nothing here."""
    if request.method in WRITE_METHODS:
        begin_serialized_write()
