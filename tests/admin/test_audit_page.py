"""The audit log as an admin reads it (issue 15 item 6): who (name and role), what (a sentence per
kind of event), on what (with a link), before → after as pairs, the installation's local time,
filters by category, actor, target and day, a CSV of the filtered log, and nothing that erasure
blanked. Cards rather than a wide table, so a phone shows it whole."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.extensions import db
from quizapp.privacy.erasure import erase_person
from tests.attempt_support import CLOSES, import_bank, load_contest, round_definition, simple_questions
from tests.conftest import Accounts, csrf_token

AN, BE = "0911000001", "0911000002"


@pytest.fixture
def scene(app, client, auth):
    """Two takers; an admin makes one a judge and renames the other; the command line disabled
    the first on 1 January 2026 at 20:30 UTC (03:30 on 2 January in Vietnam)."""
    an = auth.create(phone=AN, full_name="Nguyễn Văn An")
    be = auth.create(phone=BE, full_name="Trần Thị Bé")
    admin_phone = auth.login_as("admin")
    assert client.post(f"/admin/users/{an}/role", data={
        "role": "judge", "confirm": "1", "csrf_token": csrf_token(client)}).status_code == 302
    renamed = client.post(f"/admin/users/{be}", data={
        "full_name": "Trần Thị Bích", "phone": BE, "unit_code": "", "csrf_token": csrf_token(client)})
    assert renamed.status_code == 302
    with app.app_context():
        db.session.add(AuditEvent(action="user.disabled", target_type="user", target_id=str(an),
                                  before={"is_active": True}, after={"is_active": False},
                                  at=datetime(2026, 1, 1, 20, 30, tzinfo=UTC)))
        db.session.commit()
    client.get("/admin/protection")  # shows, and so clears, the messages of the changes
    return {"an": an, "be": be, "admin_phone": admin_phone}


def shown(client, **args) -> str:
    response = client.get("/admin/audit", query_string=args)
    assert response.status_code == 200, args
    return response.get_data(as_text=True)


def events_on(html: str) -> int:
    return html.count('<li class="event"')


def test_each_event_says_who_did_what_to_whom_in_words(client, scene):
    html = shown(client)

    assert "Đổi vai trò của Nguyễn Văn An từ Người dự thi thành Ban giám khảo." in html
    assert f"(Quản trị hệ thống, {scene['admin_phone']})" in html
    assert f'href="/admin/users/{scene["an"]}"' in html
    # Before → after as readable pairs.
    assert re.search(r"<dt>Họ và tên</dt><dd><span class=\"old\">Trần Thị Bé</span> → "
                     r"<span class=\"new\">Trần Thị Bích</span></dd>", html)
    assert "Sửa thông tin tài khoản của Trần Thị Bích." in html
    # The command line's change, in Vietnam's time.
    assert "03:30:00 02/01/2026" in html and "Dòng lệnh hoặc tác vụ tự động" in html
    assert "Khoá tài khoản Nguyễn Văn An." in html and "Đang hoạt động</span> → <span class=\"new\">Đã khoá" in html
    assert "Giờ trong nhật ký là giờ Việt Nam" in html
    # No codes, no JSON, no UTC, and no 1,500 px table.
    for code in ("user.role_changed", "user.updated", "&#34;", "{", "UTC", "Asia/", "<table"):
        assert code not in html, code


def test_filters_by_category_actor_target_and_local_day(client, scene):
    assert events_on(shown(client)) == 3
    assert events_on(shown(client, kind="accounts")) == 3
    empty = shown(client, kind="banks")
    assert events_on(empty) == 0 and "Không có thao tác nào khớp bộ lọc." in empty
    assert events_on(shown(client, actor=scene["admin_phone"])) == 2
    assert events_on(shown(client, actor="Người dùng admin")) == 2
    assert events_on(shown(client, actor="dòng lệnh")) == 1
    by_target = shown(client, target="nguyen van an")
    assert events_on(by_target) == 2 and "Trần Thị Bích" not in by_target
    assert events_on(shown(client, target=BE)) == 1
    # Days are Vietnam's: 20:30 UTC on 1 January is 2 January there.
    assert events_on(shown(client, **{"from": "2026-01-02", "to": "2026-01-02"})) == 1
    assert events_on(shown(client, **{"from": "2026-01-01", "to": "2026-01-01"})) == 0
    assert events_on(shown(client, **{"from": "02/01/2026", "to": "2026-01-02"})) == 1
    # Filters combine, and the pager and the CSV link carry them.
    combined = shown(client, kind="accounts", target="nguyen van an", **{"to": "2026-01-02"})
    assert events_on(combined) == 1 and "target=nguyen+van+an" in combined and "kind=accounts" in combined
    # The older links keep working.
    assert shown(client, kind="personal_data").count("Xem danh sách tài khoản") == 0
    assert "Xoá dữ liệu hết thời hạn lưu giữ" in shown(client, kind="purge")


@pytest.mark.parametrize("args", [
    {"kind": "\x00nope"}, {"from": "abc"}, {"to": "32/13/2026"}, {"from": "2026-02-30"}, {"actor": "%"},
    {"target": "%_\\"}, {"target": "9" * 200}, {"actor": "a" * 500}, {"page": "-3"}, {"page": "x"},
    {"from": "2026-05-01", "to": "2026-01-01"}, {"target": "1' OR 1=1 --"}, {"target": "\x00"},
    {"actor": "a\x00b"}, {"from": "\x00", "to": "9999-12-31"}, {"from": "0001-01-01"}, {"to": "01/01/0001"},
])
def test_junk_filters_never_fail(client, scene, args):
    response = client.get("/admin/audit", query_string=args)
    assert response.status_code in (200, 404), args
    assert client.get("/admin/audit.csv", query_string=args).status_code in (200, 404), args


def test_a_wrong_date_is_said_and_ignored(client, scene):
    html = shown(client, **{"from": "abc"})
    assert "“Từ ngày” không phải một ngày" in html and events_on(html) == 3
    assert "“Đến ngày” không phải một ngày" in shown(client, to="9999-12-31")
    swapped = shown(client, **{"from": "2026-01-03", "to": "2026-01-01"})
    assert "đã đổi chỗ hai ngày" in swapped and events_on(swapped) == 1


def test_the_csv_is_the_filtered_log_in_words_and_its_download_is_logged(app, client, auth, scene):
    with app.app_context():
        db.session.add(AuditEvent(action="user.enabled", target_type="user", target_id=str(scene["be"])))
        db.session.get(User, scene["be"]).full_name = "=HYPERLINK(\"http://x\")"
        db.session.commit()

    response = client.get("/admin/audit.csv", query_string={"kind": "accounts", "target": BE})

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'attachment; filename="nhat-ky-thao-tac-' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Thời điểm (giờ Việt Nam)", "Người thực hiện", "Vai trò", "Số điện thoại", "Thao tác"]
    assert len(rows) == 3  # the header, the re-enabling and the rename: not An's events
    enabled, renamed = rows[1], rows[2]
    assert enabled[1] == "Dòng lệnh hoặc tác vụ tự động" and enabled[4].startswith("Mở khoá tài khoản =HYPERLINK")
    assert enabled[5] == "'=HYPERLINK(\"http://x\")"  # the target cell quoted, never a formula
    assert renamed[2] == "Quản trị hệ thống" and renamed[3] == scene["admin_phone"]
    assert renamed[6] == "Họ và tên: Trần Thị Bé → Trần Thị Bích"
    with app.app_context():
        logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).one()
        assert logged.after == {"kind": "accounts", "target": BE}
    exports = shown(client, kind="exports")
    assert "Tải nhật ký thao tác." in exports and f"<dt>Đối tượng</dt><dd>{BE}</dd>" in exports
    assert "<dt>Nhóm</dt><dd>Tài khoản và vai trò</dd>" in exports
    assert "Tải nhật ký thao tác" in shown(client, kind="personal_data")


def test_erasing_a_person_blanks_the_audit_downloads_filtered_by_them(app, client, scene):
    assert client.get("/admin/audit.csv", query_string={"target": AN}).status_code == 200
    assert client.get("/admin/audit.csv", query_string={"target": BE}).status_code == 200
    with app.app_context():
        erase_person(db.session.get(User, scene["an"]), "deletion")
        db.session.commit()
        kept = [event.after for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "audit.exported").order_by(AuditEvent.id))]
    assert kept == [None, {"target": BE}]
    assert "Tải nhật ký thao tác." in shown(client, kind="exports")


def test_the_csv_is_bounded(app, client, scene, monkeypatch):
    from quizapp.admin import routes

    monkeypatch.setattr(routes, "AUDIT_CSV_ROWS", 2)
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").get_data().decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[-1][0].startswith("… còn nữa: tệp chỉ có 2 thao tác mới nhất")


def test_an_erased_persons_events_show_nothing_erasure_blanked(app, client, scene):
    with app.app_context():
        erase_person(db.session.get(User, scene["an"]), "deletion")
        db.session.commit()

    html = shown(client)

    assert "Nguyễn Văn An" not in html and AN not in html
    assert "Đổi vai trò của Người dự thi đã xoá dữ liệu." in html
    assert "từ Người dự thi thành Ban giám khảo" not in html
    assert "Xoá dữ liệu cá nhân của Người dự thi đã xoá dữ liệu theo yêu cầu của người đó." in html
    # The other person's change is whole.
    assert "Trần Thị Bé</span> → <span class=\"new\">Trần Thị Bích" in html


def test_only_admins_read_the_log(app):
    for role in ("taker", "organiser", "judge"):
        client = app.test_client()
        Accounts(app, client).login_as(role)
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403


def test_a_contests_changes_read_as_pairs_with_times_in_its_zone(app, client, scene, tmp_path):
    import_bank(app, tmp_path, "nk", simple_questions("nk", 4))
    first = round_definition(bank="nk", count=4)
    load_contest(app, tmp_path, "nhat-ky", [first], title="Tên cũ")
    moved = {**first, "closes_at": (CLOSES + timedelta(hours=2)).isoformat(), "time_limit_seconds": 900}
    load_contest(app, tmp_path, "nhat-ky", [moved, round_definition(2, bank="nk", count=4)], title="Tên mới",
                 one_award_per_person=True)
    with app.app_context():
        # Who issues the documents: keys a contest file may carry (another part of issue 15).
        db.session.add(AuditEvent(
            action="contest.saved", target_type="contest", target_id="nhat-ky",
            before={"title": "Tên mới", "organising_body": None, "document_heading": "state", "signers": []},
            after={"title": "Tên mới", "organising_body": "Ban Tuyên giáo Tỉnh ủy", "document_heading": "party",
                   "signers": [{"on_behalf": "T/M BAN TỔ CHỨC", "title": "TRƯỞNG BAN", "name": "Lê Văn Cường"}]}))
        db.session.commit()

    html = shown(client, kind="contests")

    assert "Tạo cuộc thi “Tên cũ” với 1 vòng thi." in html and "Sửa cuộc thi “Tên mới”." in html
    assert 'href="/contests/manage/nhat-ky/dashboard"' in html
    closes = CLOSES.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    later = (CLOSES + timedelta(hours=2)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (f"<dt>Vòng 1: Đóng lúc</dt><dd><span class=\"old\">{closes:%H:%M %d/%m/%Y} (giờ Việt Nam)</span> → "
            f"<span class=\"new\">{later:%H:%M %d/%m/%Y} (giờ Việt Nam)</span>") in html
    assert ("<dt>Vòng 1: Thời gian làm bài</dt><dd><span class=\"old\">10 phút</span> → "
            "<span class=\"new\">15 phút") in html
    assert "<dt>Tên</dt><dd><span class=\"old\">Tên cũ</span> → <span class=\"new\">Tên mới</span>" in html
    assert "<dt>Mỗi người một giải</dt><dd><span class=\"old\">Không</span> → <span class=\"new\">Có</span>" in html
    assert "<dt>Vòng 2</dt><dd><span class=\"old\">chưa có</span> → <span class=\"new\">thêm mới</span>" in html
    assert "<dt>Cơ quan tổ chức</dt><dd><span class=\"old\">(trống)</span> → <span class=\"new\">Ban Tuyên giáo" in html
    assert "→ <span class=\"new\">ĐẢNG CỘNG SẢN VIỆT NAM</span>" in html
    assert "T/M BAN TỔ CHỨC TRƯỞNG BAN Lê Văn Cường" in html
    assert "opens_at" not in html and "T10:00" not in html
