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


def test_upgrading_a_database_with_people_keeps_them_and_their_links(tmp_path):
    """Revision 238fe3cfbd66 adds `user.email_preferences` to a table other tables point at: on SQLite,
    with foreign keys on, it must not rebuild `user` (dropping it would break every reference)."""
    from sqlalchemy import text

    from marketplace import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                        "SEARCH_INDEX_DIR": str(tmp_path / "index"), "MAIL_FILE_DIR": str(tmp_path / "mail")})
    with other.app_context():
        upgrade(revision="5507a091f7fc")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO consortium (id, name, slug, legal_basis, admin_fee_pct, time_zone, "
                              "created_at) VALUES (1, 'Old Region', 'old', '', '1.5', 'UTC', '2026-01-01')"))
            conn.execute(text("INSERT INTO organization (id, kind, name, consortium_id, address, created_at) "
                              "VALUES (1, 'member', 'Oldtown', 1, '', '2026-01-01')"))
            conn.execute(text("INSERT INTO user (id, email, name, password_hash, organization_id, role, "
                              "is_active, session_version, created_at) VALUES (1, 'old@oldtown.example', "
                              "'Old Buyer', 'x', 1, 'buyer', 1, 0, '2026-01-01')"))
            conn.execute(text("INSERT INTO api_token (id, user_id, name, token_hash, prefix, created_at) "
                              "VALUES (1, 1, 'cli', 'h', 'p', '2026-01-01')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT email, email_preferences FROM user")).all() == [
                ("old@oldtown.example", "{}")]
            assert conn.execute(text("SELECT user_id FROM api_token")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()
        db.engine.dispose()
