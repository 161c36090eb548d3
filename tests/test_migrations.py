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


def test_revision_0013_keeps_upload_previews_in_the_database_and_goes_back(make_app, new_database):
    from sqlalchemy import text

    app = make_app(DATABASE_URL=new_database())
    data, key = "Chủ đề,Câu hỏi\n".encode() + bytes(range(256)), b"\x00\xff dap an"
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, phone, password_hash, full_name, role, is_active, session_version, created_at)"
                " VALUES (1, '0912345678', 'x', 'Ban tổ chức', 'organiser', true, 1, '2026-01-01 00:00:00')"))
        upgrade(revision="0013")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO upload_previews (token, owner_id, created_at, filename, slug, title, byte_size, data,"
                " key_filename, key_data) VALUES ('a1', 1, '2026-01-01 00:00:00', 'de thi.csv', 'de-thi', NULL,"
                " :size, :data, 'dap-an.csv', :key), ('b2', 1, '2026-01-01 00:00:01', 'b.csv', 'b', 'B', 3, :small,"
                " NULL, NULL)"), {"size": len(data) + len(key), "data": data, "key": key, "small": b"abc"})
            rows = connection.execute(text(
                "SELECT token, data, key_data FROM upload_previews ORDER BY created_at")).all()
        assert [(row[0], bytes(row[1]), row[2] and bytes(row[2])) for row in rows] == [
            ("a1", data, key), ("b2", b"abc", None)]
        assert "ix_upload_previews_created_at" in {
            index["name"] for index in inspect(db.engine).get_indexes("upload_previews")}
        downgrade(revision="0012")
        assert "upload_previews" not in inspect(db.engine).get_table_names()
        upgrade()
        assert schema_diff(db.engine) == []


def test_revision_0017_writes_every_accounts_folded_search_key_and_goes_back(make_app, new_database):
    from sqlalchemy import text

    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0016")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, phone, password_hash, full_name, role, is_active, session_version, created_at)"
                " VALUES (1, '0912345678', 'x', 'Trần Văn Bình', 'taker', true, 1, '2026-01-01 00:00:00'),"
                " (2, '0912345679', 'x', 'ĐỖ THỊ ĐÀO', 'admin', true, 1, '2026-01-01 00:00:00')"))
        upgrade(revision="0017")
        with db.engine.connect() as connection:
            keys = connection.execute(text("SELECT id, search_key FROM users ORDER BY id")).all()
        assert [tuple(row) for row in keys] == [(1, "tran van binh"), (2, "do thi dao")]
        assert "ix_users_search_key" in {index["name"] for index in inspect(db.engine).get_indexes("users")}
        downgrade(revision="0016")
        assert "search_key" not in {column["name"] for column in inspect(db.engine).get_columns("users")}
        upgrade()
        assert schema_diff(db.engine) == []


def test_revision_0025_names_the_subject_of_existing_staff_events_and_goes_back(make_app, new_database):
    from sqlalchemy import text

    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0024")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, phone, password_hash, full_name, role, is_active, session_version, created_at,"
                " search_key, has_id_number) VALUES (7, '0912345678', 'x', 'Giám khảo', 'judge', true, 1,"
                " '2026-01-01 00:00:00', 'giam khao', false)"))
            connection.execute(text(
                "INSERT INTO audit_events (id, at, action, target_type, target_id, before, after) VALUES"
                " (1, '2026-01-01 00:00:00', 'contest.staff_added', 'contest', '3', NULL,"
                "  '{\"contest\": \"c\", \"phone\": \"0912345678\", \"role\": \"judge\"}'),"
                " (2, '2026-01-01 00:00:00', 'contest.staff_removed', 'contest', '3',"
                "  '{\"contest\": \"c\", \"phone\": \"0999999999\", \"role\": \"judge\"}', NULL),"
                " (3, '2026-01-01 00:00:00', 'user.updated', 'user', '7', NULL, '{\"phone\": \"0912345678\"}')"))
        upgrade(revision="0025")
        with db.engine.connect() as connection:
            subjects = connection.execute(text("SELECT id, subject_id FROM audit_events ORDER BY id")).all()
        assert [tuple(row) for row in subjects] == [(1, 7), (2, None), (3, None)]
        assert {"ix_audit_events_target", "ix_audit_events_actor_id", "ix_audit_events_subject_id"} <= {
            index["name"] for index in inspect(db.engine).get_indexes("audit_events")}
        downgrade(revision="0024")
        assert "subject_id" not in {column["name"] for column in inspect(db.engine).get_columns("audit_events")}


def test_revision_0029_adds_the_key_corrections_and_goes_back(make_app, new_database):
    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0025")
        assert "key_corrections" not in inspect(db.engine).get_table_names()
        upgrade(revision="0029")
        assert {"round_id", "question_id", "option_ids", "previous_option_ids", "reason"} <= {
            column["name"] for column in inspect(db.engine).get_columns("key_corrections")}
        assert [constraint["column_names"] for constraint in inspect(db.engine).get_unique_constraints(
            "key_corrections")] == [["round_id", "question_id"]]
        downgrade(revision="0025")
        assert "key_corrections" not in inspect(db.engine).get_table_names()
        upgrade()
        assert schema_diff(db.engine) == []
