"""Tenant scoping happens in one place: the session hook, whatever the query looks like."""

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from consortium.models import Supplier
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.tenancy import get_or_404, set_current_consortium, tenant
from tests.conftest import consortium


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_select_is_scoped_to_current_consortium(ctx):
    gpsr, frca = consortium("gpsr"), consortium("frca")
    everything = _count(Supplier)
    with tenant(gpsr.id):
        gpsr_rows = db.session.scalars(select(Supplier)).all()
    with tenant(frca.id):
        frca_rows = db.session.scalars(select(Supplier)).all()
    assert {s.consortium_id for s in gpsr_rows} == {gpsr.id}
    assert {s.consortium_id for s in frca_rows} == {frca.id}
    assert len(gpsr_rows) + len(frca_rows) == everything


def test_joined_and_aliased_queries_are_scoped(ctx):
    frca = consortium("frca")
    with tenant(frca.id):
        events = db.session.scalars(
            select(AuditEvent).join(Supplier, Supplier.consortium_id == AuditEvent.consortium_id)
        ).all()
    assert events and {e.consortium_id for e in events} == {frca.id}


def test_get_or_404_refuses_other_tenant_even_when_loaded(ctx):
    gpsr, frca = consortium("gpsr"), consortium("frca")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.consortium_id == gpsr.id))
    set_current_consortium(frca.id)
    try:
        with pytest.raises(NotFound):
            get_or_404(AuditEvent, event.id)  # already in the identity map: still refused
        with pytest.raises(NotFound):
            get_or_404(AuditEvent, "not-a-number")
    finally:
        set_current_consortium(None)
    set_current_consortium(gpsr.id)
    try:
        assert get_or_404(AuditEvent, event.id) is event
    finally:
        set_current_consortium(None)


def test_all_tenants_option_is_explicit(ctx):
    with tenant(consortium("gpsr").id):
        scoped = len(db.session.scalars(select(Supplier)).all())
        every = len(db.session.scalars(select(Supplier).execution_options(all_tenants=True)).all())
    assert every > scoped
