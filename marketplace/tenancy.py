"""Tenancy in one place.

The current consortium is stored on the SQLAlchemy session (`session.info["consortium_id"]`), set once
per request by the code that resolves it (the `/c/<slug>` URL prefix or the API token). A single
`do_orm_execute` hook then adds `consortium_id = :current` to every ORM SELECT of a `TenantMixin`
model, including relationship loads and joins. Code with no tenant set (CLI, migrations, the demo
loader) sees everything; views never filter by consortium themselves.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask import abort
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from marketplace.db import TenantMixin
from marketplace.extensions import db
from marketplace.inputs import parse_id

_KEY = "consortium_id"


def set_current_consortium(consortium_id: int | None) -> None:
    """Scope every following tenant query of this session to `consortium_id` (None: no scoping)."""
    if consortium_id is None:
        db.session.info.pop(_KEY, None)
    else:
        db.session.info[_KEY] = consortium_id


def current_consortium_id() -> int | None:
    return db.session.info.get(_KEY)


@contextmanager
def tenant(consortium_id: int | None):
    """Temporarily scope the session to one consortium (tests, CLI)."""
    previous = current_consortium_id()
    set_current_consortium(consortium_id)
    try:
        yield
    finally:
        set_current_consortium(previous)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_current_consortium(state: ORMExecuteState) -> None:
    consortium_id = state.session.info.get(_KEY)
    if consortium_id is None or not state.is_select:
        return
    # Relationship and column loads inherit the criteria from the statement that loaded the parent.
    if state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get("all_tenants", False):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantMixin,
            lambda cls: cls.consortium_id == consortium_id,
            include_aliases=True,
        )
    )


def get_or_404(model, object_id, *options):
    """Load one object by primary key within the current consortium (with loader `options`, such as what its
    page shows), or answer 404.

    Always issues a SELECT (never `Session.get`), because the identity map would bypass the tenant
    criteria for an object already loaded in this session.
    """
    object_id = parse_id(object_id)
    if object_id is None:
        abort(404)
    obj = db.session.scalar(select(model).where(model.id == object_id).options(*options))
    if obj is None:
        abort(404)
    return obj
