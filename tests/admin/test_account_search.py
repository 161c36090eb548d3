"""Folding names for searches (quizapp.text.fold), and the account search's use of its index:
PostgreSQL finds a piece of a folded name through the trigram index, SQLite scans the key's
index rather than the accounts' rows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from quizapp.auth.models import User
from quizapp.auth.search import PersonQuery
from quizapp.extensions import db
from quizapp.text import fold


@pytest.mark.parametrize(("name", "folded"), [
    ("Trần Văn Bình", "tran van binh"),
    ("ĐẶNG THỊ HOA", "dang thi hoa"),
    ("Đỗ Đức Đạt", "do duc dat"),
    ("Nguyễn Thị Thu Hương", "nguyen thi thu huong"),
    ("Phạm Ngọc Ánh", "pham ngoc anh"),
    ("Lê Quý Đôn", "le quy don"),
    ("Ưng Hoàng Phúc", "ung hoang phuc"),
    ("Tra\u0302\u0300n", "tran"),  # decomposed input
    ("Nguyen Van A", "nguyen van a"),
    ("", ""),
    (None, ""),
])
def test_fold_drops_case_tones_and_marks_and_reads_d_for_stroked_d(name, folded):
    assert fold(name) == folded


@pytest.mark.parametrize(("typed", "expected"), [
    ("  Trần   VĂN ", PersonQuery(name="tran van")),
    ("0912 345 678", PersonQuery(phone="0912345678", whole=True)),
    ("+84912345678", PersonQuery(phone="0912345678", whole=True)),
    ("345.678", PersonQuery(phone="345678")),
    ("", None),
    ("   ", None),
])
def test_what_a_search_asks_for(typed, expected):
    assert PersonQuery.parse(typed) == expected


def test_a_snapshot_row_is_matched_as_the_database_matches_an_account():
    query = PersonQuery.parse("dang thi")
    assert query.matches("ĐẶNG THỊ HOA", "0911000002") and not query.matches("Đinh Hoa", "0911000002")
    assert PersonQuery.parse("000002").matches("Ai", "0911000002")
    assert not PersonQuery.parse("0911000002").matches("Ai", "0911000003")


def plan(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        return "\n".join(db.session.execute(text(f"EXPLAIN {compiled}")).scalars())
    return "\n".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def test_the_name_search_reads_the_index_not_the_accounts(app):
    with app.app_context():
        condition = PersonQuery.parse("trần văn").condition()
        counted = select(func.count()).select_from(User).where(condition)
        if db.engine.dialect.name == "postgresql":
            # Planners choose a sequential scan on a small table; forbid it to see the index can serve.
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            assert "ix_users_search_key" in plan(counted)
            assert "ix_users_search_key" in plan(select(User.id).where(condition).order_by(User.id).limit(50))
        else:
            assert "COVERING INDEX ix_users_search_key" in plan(counted)
        db.session.rollback()
