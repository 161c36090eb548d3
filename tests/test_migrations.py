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


def test_revision_0027_writes_ranks_and_awards_of_rounds_locked_before_it_and_goes_back(make_app, new_database):
    """Ranks and awards of a round locked before revision 0027 come from its canonical CSV
    snapshot, the legal record, for the counting attempts; other attempts and unlocked rounds
    get none."""
    from sqlalchemy import text

    header = ("Hạng,Họ và tên,Số điện thoại,Đơn vị,Số câu đúng,Dự đoán,Sai số dự đoán,Thời gian làm bài (giây),"
              "Thời điểm nộp bài,Giải,Lượt thi,Mã lượt thi\r\n")
    snapshot = (header
                + "1,Nguyễn Văn An,0912000001,,5,,,60.0,06/05/2030 10:01:00.000,Giải Nhất,2,12\r\n"
                + "2,Người dự thi đã xoá dữ liệu,,,4,,,61.0,06/05/2030 10:02:00.000,,1,13\r\n").encode()
    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0026")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, phone, password_hash, full_name, role, is_active, session_version, created_at,"
                " search_key, has_id_number) VALUES (1, '0912000001', 'x', 'Nguyễn Văn An', 'taker', true, 1,"
                " '2030-01-01 00:00:00', 'nguyen van an', false), (2, 'x2', 'x', 'Người dự thi đã xoá dữ liệu',"
                " 'taker', false, 1, '2030-01-01 00:00:00', 'nguoi du thi', false)"))
            connection.execute(text(
                "INSERT INTO contests (id, slug, title, timezone, registration_fields, one_award_per_person,"
                " created_at) VALUES (1, 'cu', 'Cũ', 'Asia/Ho_Chi_Minh', '[]', false, '2030-01-01 00:00:00')"))
            connection.execute(text(
                "INSERT INTO rounds (id, contest_id, number, title, opens_at, closes_at, time_limit_seconds,"
                " counting_attempt, draw, prediction_locked, tie_breakers, awards, review, practice) VALUES"
                " (1, 1, 1, 'Tuần 1', '2030-05-06 03:00:00', '2030-05-13 02:00:00', 600, 'best', '[]', false,"
                " '[]', '[]', 'after_close', false),"
                " (2, 1, 2, 'Tuần 2', '2030-05-13 03:00:00', '2030-05-20 02:00:00', 600, 'best', '[]', false,"
                " '[]', '[]', 'after_close', false)"))
            connection.execute(text(
                "INSERT INTO attempts (id, round_id, user_id, number, status, started_at, expired, question_count,"
                " correct_count, disqualified, erased) VALUES"
                " (11, 1, 1, 1, 'submitted', '2030-05-06 03:00:00', false, 5, 3, false, false),"
                " (12, 1, 1, 2, 'submitted', '2030-05-06 03:00:00', false, 5, 5, false, false),"
                " (13, 1, 2, 1, 'submitted', '2030-05-06 03:00:00', false, 5, 4, false, false),"
                " (14, 2, 1, 1, 'submitted', '2030-05-13 03:00:00', false, 5, 5, false, false)"))
            connection.execute(text(
                "INSERT INTO round_results (id, round_id, locked_at, rows, checksum, canonical_csv, checksum_scheme)"
                " VALUES (1, 1, '2030-05-14 01:00:00', 2, :checksum, :csv, 'sha256-csv')"),
                {"checksum": "0" * 64, "csv": snapshot})
        upgrade(revision="0027")
        with db.engine.connect() as connection:
            places = connection.execute(text(
                "SELECT attempt_id, round_id, rank, award FROM attempt_places ORDER BY attempt_id")).all()
            rounds = connection.execute(text(
                "SELECT id, results_locked_at IS NOT NULL, ranked_count FROM rounds ORDER BY id")).all()
        assert [tuple(row) for row in places] == [(12, 1, 1, "Giải Nhất"), (13, 1, 2, None)]
        assert [tuple(row) for row in rounds] == [(1, True, 2), (2, False, None)]
        downgrade(revision="0026")
        assert "attempt_places" not in inspect(db.engine).get_table_names()
        assert "ranked_count" not in {column["name"] for column in inspect(db.engine).get_columns("rounds")}
        upgrade()
        assert schema_diff(db.engine) == []


def test_revision_0028_adds_certificates_and_the_contests_settings_and_goes_back(make_app, new_database):
    from sqlalchemy import text

    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0026")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO contests (id, slug, title, timezone, registration_fields, one_award_per_person,"
                " require_verified_phone, created_at) VALUES (1, 'cu', 'Cũ', 'Asia/Ho_Chi_Minh', '[]', false, false,"
                " '2026-01-01 00:00:00')"))
        upgrade(revision="0028")
        with db.engine.connect() as connection:
            settings = connection.execute(text(
                "SELECT certificate_participants, certificate_title, certificate_logo FROM contests")).all()
        # An existing contest certifies its award winners only, with the default title and no image.
        assert [tuple(row) for row in settings] == [(False, None, None)]
        assert "certificates" in inspect(db.engine).get_table_names()
        assert {"uq_certificates_code", "uq_certificates_round_id_user_id"} <= {
            constraint["name"] for constraint in inspect(db.engine).get_unique_constraints("certificates")}
        downgrade(revision="-1")
        assert "certificates" not in inspect(db.engine).get_table_names()
        assert "certificate_logo" not in {column["name"] for column in inspect(db.engine).get_columns("contests")}
        upgrade()
        assert schema_diff(db.engine) == []


def test_revision_0029_adds_the_key_corrections_and_goes_back(make_app, new_database):
    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0028")
        assert "key_corrections" not in inspect(db.engine).get_table_names()
        upgrade(revision="0029")
        assert {"round_id", "question_id", "option_ids", "previous_option_ids", "reason"} <= {
            column["name"] for column in inspect(db.engine).get_columns("key_corrections")}
        assert [constraint["column_names"] for constraint in inspect(db.engine).get_unique_constraints(
            "key_corrections")] == [["round_id", "question_id"]]
        downgrade(revision="0028")
        assert "key_corrections" not in inspect(db.engine).get_table_names()
        upgrade()
        assert schema_diff(db.engine) == []


def test_revision_0030_keeps_the_public_figures_with_the_locked_result_and_goes_back(make_app, new_database):
    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0029")
        assert "public_figures" not in {column["name"] for column in inspect(db.engine).get_columns("round_results")}
        upgrade(revision="0030")
        # Nullable: a round locked before gets its figures on its page's first view.
        column = next(column for column in inspect(db.engine).get_columns("round_results")
                      if column["name"] == "public_figures")
        assert column["nullable"]
        downgrade(revision="0029")
        assert "public_figures" not in {column["name"] for column in inspect(db.engine).get_columns("round_results")}
        upgrade()
        assert schema_diff(db.engine) == []
