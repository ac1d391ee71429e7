"""The migrations build the schema the models describe, on an empty database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from marketplace.extensions import db
from tests.conftest import reset_database


def test_upgrade_empty_database_to_head_matches_models(app):
    with app.app_context():
        reset_database(db.engine)
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"consortium", "organization", "user", "api_token", "audit_event"} <= tables
        # Leave the database as the other tests expect it: at head, with the demo people.
        from marketplace.demo import load_demo

        load_demo()
        db.session.commit()
        db.session.remove()


def test_revision_files_are_date_prefixed():
    from pathlib import Path

    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names, "no migrations"
    assert all(n[:8].isdigit() and n[8] == "_" for n in names), names
