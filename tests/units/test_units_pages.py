"""The units directory pages: upload a CSV (all or nothing, every bad row shown), browse the
tree, edit a headcount (audit-logged). Organisers read it; only admins and accounts an admin
grants can_edit_units change it (DESIGN §7)."""

from __future__ import annotations

import io
import re

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


def grant_units_editor(app, phone: str, allowed: bool = True):
    """An admin, on /admin/users, lets the account with ``phone`` edit the directory (or stops it)."""
    from quizapp.auth.models import User
    from tests.conftest import Accounts

    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == phone))
    return admin.post(f"/admin/users/{user_id}/units",
                      data={"allowed": "1" if allowed else "0", "csrf_token": csrf_token(admin)})


def test_a_directory_editor_uploads_the_directory_and_edits_a_headcount(app, client, auth):
    phone = auth.login_as("organiser")
    assert grant_units_editor(app, phone).status_code == 302

    loaded = upload(client, GOOD)
    edited = client.post("/units/X02/headcount", data={"csrf_token": csrf_token(client), "headcount": "75"},
                         follow_redirects=True)
    wrong = client.post("/units/X02/headcount", data={"csrf_token": csrf_token(client), "headcount": "-1"})

    assert loaded.status_code == 200 and "3 đơn vị mới" in loaded.get_data(as_text=True)
    assert "Xã Hai" in edited.get_data(as_text=True) and "75" in edited.get_data(as_text=True)
    assert wrong.status_code == 422
    # The message is next to the field and, in the summary at the top, a link to it.
    assert '<p class="field-error" id="headcount-error">Số người từ 0 trở lên.</p>' in wrong.get_data(as_text=True)
    assert '<a href="#headcount">Số người của đơn vị: Số người từ 0 trở lên.</a>' in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Unit.headcount).where(Unit.code == "X02")) == 75
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "unit.headcount")).one()
        assert (event.before, event.after) == ({"headcount": None}, {"headcount": 75})


def test_a_file_with_one_bad_row_loads_nothing_and_says_where(app, client, auth):
    auth.login_as("admin")

    response = upload(client, BAD, "sai.csv")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "sai.csv:3:" in html and "chưa nạp gì" in html
    # Every bad row is in the error summary, each a link back to the file field.
    assert re.search(r'<a href="#file">sai\.csv:3: [^<]*số người \(headcount\) “-5”', html)
    assert units(app) == 0
    empty = upload(client, b"", "rong.txt")
    assert empty.status_code == 422 and 'id="file-error"' in empty.get_data(as_text=True)


def test_only_organisers_see_the_directory(app, client, auth):
    auth.login_as("taker")
    assert client.get("/units/").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert units(app) == 0


def test_a_plain_organiser_reads_the_directory_but_cannot_change_it(app, client, auth, runner, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_bytes(GOOD)
    assert runner.invoke(args=["units", "load", str(path)]).exit_code == 0
    auth.login_as("organiser")

    page = client.get("/units/")
    refused_upload = upload(client, "code,name\nX02,Xã Đã Đổi Tên\n".encode())
    refused_form = client.get("/units/X02/headcount")
    refused_edit = client.post("/units/X02/headcount", data={"csrf_token": csrf_token(client), "headcount": "9"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Xã Hai" in html
    assert 'action="/units/upload"' not in html and "/units/X02/headcount" not in html
    assert (refused_upload.status_code, refused_form.status_code, refused_edit.status_code) == (403, 403, 403)
    with app.app_context():
        assert db.session.scalar(select(Unit.name).where(Unit.code == "X02")) == "Xã Hai"
        assert db.session.scalar(select(Unit.headcount).where(Unit.code == "X02")) is None


def test_an_admin_grants_and_withdraws_the_right_to_edit_the_directory(app, client, auth):
    from quizapp.auth.models import User

    phone = auth.login_as("organiser")
    assert upload(client, GOOD).status_code == 403

    granted = grant_units_editor(app, phone)
    loaded = upload(client, GOOD)
    withdrawn = grant_units_editor(app, phone, allowed=False)
    refused = client.post("/units/X02/headcount", data={"csrf_token": csrf_token(client), "headcount": "9"})

    assert granted.status_code == 302 and loaded.status_code == 200 and units(app) == 3
    assert withdrawn.status_code == 302 and refused.status_code == 403
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        assert user.role == "organiser" and user.can_edit_units is False
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.units_editor")
                                    .order_by(AuditEvent.id)).all()
        assert [event.after for event in events] == [{"can_edit_units": True}, {"can_edit_units": False}]
        assert all(event.target_id == str(user.id) and event.actor_id is not None for event in events)
