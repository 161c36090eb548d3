"""The units directory pages: upload a CSV (all or nothing, every bad row shown), browse the
tree, edit a headcount (audit-logged); organisers only."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from quizapp.audit import AuditEvent
from quizapp.extensions import db
from quizapp.units.models import Unit
from tests.conftest import csrf_token

GOOD = "code,name,parent_code,headcount\nT01,Tỉnh Một,,\nX01,Xã Một,T01,120\nX02,Xã Hai,T01,\n".encode()
BAD = "code,name,parent_code,headcount\nT01,Tỉnh Một,,\nX09,Xã Lỗi,KHONG-CO,-5\n".encode()


def upload(client, data: bytes, name: str = "don-vi.csv"):
    return client.post("/units/upload", data={"csrf_token": csrf_token(client), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def units(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Unit))


def test_an_organiser_uploads_the_directory_and_edits_a_headcount(app, client, auth):
    auth.login_as("organiser")

    loaded = upload(client, GOOD)
    edited = client.post("/units/X02/headcount", data={"csrf_token": csrf_token(client), "headcount": "75"},
                         follow_redirects=True)
    wrong = client.post("/units/X02/headcount", data={"csrf_token": csrf_token(client), "headcount": "-1"})

    assert loaded.status_code == 200 and "3 đơn vị mới" in loaded.get_data(as_text=True)
    assert "Xã Hai" in edited.get_data(as_text=True) and "75" in edited.get_data(as_text=True)
    assert wrong.status_code == 422 and "Số người từ 0 trở lên" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Unit.headcount).where(Unit.code == "X02")) == 75
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "unit.headcount")).one()
        assert (event.before, event.after) == ({"headcount": None}, {"headcount": 75})


def test_a_file_with_one_bad_row_loads_nothing_and_says_where(app, client, auth):
    auth.login_as("organiser")

    response = upload(client, BAD, "sai.csv")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "sai.csv:3:" in html and "chưa nạp gì" in html
    assert units(app) == 0
    assert upload(client, b"", "rong.txt").status_code == 422


def test_only_organisers_see_the_directory(app, client, auth):
    auth.login_as("taker")
    assert client.get("/units/").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert units(app) == 0
