"""The schema comes only from the migrations, and they must match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from quizapp.extensions import db


def schema_diff(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models(app):
    with app.app_context():
        assert schema_diff(db.engine) == []


def test_migrations_upgrade_downgrade_and_upgrade_again(make_app, new_database):
    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade()
        assert {"users", "units"} <= set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_diff(db.engine) == []


def test_revision_0007_makes_each_contests_owner_its_organiser(make_app, new_database):
    from sqlalchemy import text

    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, phone, password_hash, full_name, role, is_active, session_version, created_at)"
                " VALUES (1, '0912345678', 'x', 'Ban tổ chức', 'organiser', true, 1, '2026-01-01 00:00:00')"))
            connection.execute(text(
                "INSERT INTO contests (id, slug, title, timezone, registration_fields, one_award_per_person,"
                " owner_id, created_at) VALUES (1, 'co-chu', 'Có chủ', 'Asia/Ho_Chi_Minh', '[]', false, 1,"
                " '2026-01-01 00:00:00'), (2, 'khong-chu', 'Không chủ', 'Asia/Ho_Chi_Minh', '[]', false, NULL,"
                " '2026-01-01 00:00:00')"))
        upgrade()
        with db.engine.connect() as connection:
            staff = connection.execute(text("SELECT contest_id, user_id, role FROM contest_staff")).all()
    assert [tuple(row) for row in staff] == [(1, 1, "organiser")]
