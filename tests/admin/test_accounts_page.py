"""The admins' accounts page (issue 14 item 5): search without diacritics or case by name or
phone, filters by role and state, pages of 50, correcting an account's name, phone and unit
with the audit log's before and after, a confirmation before a role change and before
disabling or enabling, times in Vietnam's time zone; for admins only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.extensions import db
from quizapp.text import fold
from tests.attempt_support import sign_in
from tests.conftest import CONSENT, PASSWORD, Accounts, csrf_token

NAMES = {
    "0911000001": "Trần Văn Bình",
    "0911000002": "Đặng Thị Hoa",
    "0911000003": "ĐỖ ĐỨC ĐẠT",
    "0911000004": "Nguyễn Thị Thu Hương",
    "0911000005": "Lê Văn Dũng",
    "0911000006": "Trần Bình Trọng",
}


@pytest.fixture
def admin(app, client, auth):
    """The signed-in admin's client, with the accounts of NAMES."""
    for phone, name in NAMES.items():
        auth.create(phone=phone, full_name=name)
    auth.login_as("admin")
    return client


def user_id(app, phone: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.phone == phone))


def listed(admin, **args) -> list[str]:
    """The phones of the accounts a list page shows, in order."""
    page = admin.get("/admin/users", query_string=args)
    assert page.status_code == 200
    return re.findall(r'<tr id="user-\d+"><td>(\d{10})</td>', page.get_data(as_text=True))


def found(admin, query: str) -> set[str]:
    return {phone for phone in listed(admin, q=query) if phone in NAMES}


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "phones"), [
    ("tran van binh", {"0911000001"}),
    ("TRẦN VĂN BÌNH", {"0911000001"}),
    ("Trần Văn Bình", {"0911000001"}),
    # Typed decomposed (a base letter, then its marks), as some keyboards send it.
    ("Tra\u0302\u0300n va\u0306n", {"0911000001"}),
    ("tran", {"0911000001", "0911000006"}),
    ("binh", {"0911000001", "0911000006"}),
    ("dang thi hoa", {"0911000002"}),
    ("đặng", {"0911000002"}),
    ("do duc dat", {"0911000003"}),
    ("đỗ đức đạt", {"0911000003"}),
    ("Đạt", {"0911000003"}),
    ("thu huong", {"0911000004"}),
    ("dung", {"0911000005"}),
    ("DŨNG", {"0911000005"}),
    ("van", {"0911000001", "0911000005"}),
    ("0911000003", {"0911000003"}),
    ("+84 911 000 004", {"0911000004"}),
    ("91100000", set(NAMES)),
    ("000006", {"0911000006"}),
    ("binh tran", set()),
    ("%", set()),
    ("_", set()),
])
def test_the_search_ignores_diacritics_and_case_by_name_or_phone(admin, query, phones):
    assert found(admin, query) == phones


def test_the_search_key_follows_every_path_that_writes_a_name(app, client, auth, runner):
    """Registration (page and API), the profile, the command line, the demo loader and a bulk
    insert: each account's key is its name folded (the admin's edit: the next test)."""
    client.post("/auth/register", data={"phone": "0922000001", "password": PASSWORD, "confirm_password": PASSWORD,
                                         "full_name": "Phạm Ngọc Ánh", "csrf_token": csrf_token(client), **CONSENT})
    phone = app.test_client()
    registered = phone.post("/api/v1/register", json={"phone": "0922000002", "password": PASSWORD,
                                                      "full_name": "Vũ Quốc Việt", **CONSENT},
                            headers={"X-CSRFToken": csrf_token(phone)})
    assert registered.status_code == 201
    auth.create(phone="0922000003", full_name="Tên Cũ")
    profile = app.test_client()
    assert Accounts(app, profile).login("0922000003").status_code == 302
    profile.post("/auth/profile", data={"full_name": "Huỳnh Thị Đào", "csrf_token": csrf_token(profile)})
    assert runner.invoke(args=["users", "create", "0922000004", "--name", "Lý Thường Kiệt",
                               "--password", PASSWORD]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        db.session.execute(insert(User), [{"phone": "0922000005", "password_hash": "x", "full_name": "Hồ Xuân Hương"}])
        db.session.commit()
        keys = dict(db.session.execute(select(User.full_name, User.search_key)).all())

    assert {name: keys[name] for name in ("Phạm Ngọc Ánh", "Vũ Quốc Việt", "Huỳnh Thị Đào", "Lý Thường Kiệt",
                                          "Hồ Xuân Hương")} == {
        "Phạm Ngọc Ánh": "pham ngoc anh", "Vũ Quốc Việt": "vu quoc viet", "Huỳnh Thị Đào": "huynh thi dao",
        "Lý Thường Kiệt": "ly thuong kiet", "Hồ Xuân Hương": "ho xuan huong"}
    assert "Tên Cũ" not in keys
    # The demo's accounts too: every key is its name folded.
    assert len(keys) > 8 and all(key == fold(name) for name, key in keys.items())


def test_an_admins_edit_changes_the_key_the_search_finds(app, admin):
    target = user_id(app, "0911000005")
    saved = admin.post(f"/admin/users/{target}", data={"full_name": "Lê Thị Đoan", "phone": "0911000005",
                                                       "unit_code": "", "csrf_token": csrf_token(admin)})
    assert saved.status_code == 302
    assert found(admin, "le thi doan") == {"0911000005"} and found(admin, "dung") == set()


# --- filters and pages -------------------------------------------------------------------------


def test_filters_by_role_and_state_with_the_search(app, admin, auth, runner):
    auth.create("judge", phone="0933000001", full_name="Trần Thị Giám Khảo")
    auth.create("organiser", phone="0933000002", full_name="Trần Văn Tổ Chức")
    assert runner.invoke(args=["users", "disable", "0911000006"]).exit_code == 0
    assert runner.invoke(args=["users", "disable", "0933000002"]).exit_code == 0

    assert listed(admin, role="judge") == ["0933000001"]
    assert listed(admin, role="organiser", q="tran") == ["0933000002"]
    assert listed(admin, state="disabled") == ["0911000006", "0933000002"]
    assert listed(admin, state="disabled", role="taker") == ["0911000006"]
    assert listed(admin, state="active", q="tran") == ["0911000001", "0933000001"]
    assert "0911000006" not in listed(admin, state="active")
    # An unknown filter value filters nothing rather than failing.
    assert len(listed(admin, role="vua", state="ca")) == len(listed(admin))
    page = admin.get("/admin/users", query_string={"state": "disabled"}).get_data(as_text=True)
    assert "Tài khoản (2)" in page and page.count("Đã khoá") >= 2


def test_the_list_comes_in_pages_of_fifty(app, admin):
    with app.app_context():
        db.session.execute(insert(User), [{"phone": f"0944{n:06d}", "password_hash": "x", "full_name": f"Hà Văn {n}"}
                                          for n in range(60)])
        db.session.commit()
    first = admin.get("/admin/users", query_string={"q": "ha van"}).get_data(as_text=True)
    second = admin.get("/admin/users", query_string={"q": "ha van", "page": 2}).get_data(as_text=True)

    assert len(listed(admin, q="ha van")) == 50 and len(listed(admin, q="ha van", page=2)) == 10
    assert "Tài khoản (60)" in first and "Trang sau" in first and "Trang sau" not in second
    assert "q=ha+van" in first and "page=2" in first
    assert listed(admin, q="ha van", page=999) == []


def test_times_are_shown_in_vietnams_time_zone(app, admin):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "0911000001"))
        user.last_login_at = datetime(2026, 1, 1, 20, 30, tzinfo=UTC)
        user.created_at = datetime(2025, 12, 31, 17, 5, tzinfo=UTC)
        db.session.commit()
        target = user.id

    assert "03:30 02/01/2026" in admin.get("/admin/users", query_string={"q": "0911000001"}).get_data(as_text=True)
    page = admin.get(f"/admin/users/{target}").get_data(as_text=True)
    assert "03:30 02/01/2026" in page and "00:05 01/01/2026" in page and "giờ Việt Nam" in page
    # The audit log's before and after of account changes, in the same time.
    with app.app_context():
        db.session.add(AuditEvent(action="user.updated", target_type="user", target_id=str(target),
                                  at=datetime(2026, 1, 1, 20, 30, 15, tzinfo=UTC)))
        db.session.commit()
    assert "03:30:15 02/01/2026" in admin.get("/admin/audit").get_data(as_text=True)


# --- editing an account ------------------------------------------------------------------------


def units(runner, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name,parent_code,headcount\nH1,Huyện Một,,\nX1,Xã Một,H1,\n", encoding="utf-8")
    assert runner.invoke(args=["units", "load", str(path)]).exit_code == 0


def test_an_admin_corrects_name_phone_and_unit_with_the_audit_logs_before_and_after(app, admin, runner, tmp_path):
    units(runner, tmp_path)
    target = user_id(app, "0911000002")

    saved = admin.post(f"/admin/users/{target}", data={
        "full_name": "  Đặng  Thị Hoà ", "phone": "+84 988 777 666", "unit_code": "X1",
        "csrf_token": csrf_token(admin)}, follow_redirects=True)

    assert saved.status_code == 200 and "Đã lưu thông tin" in saved.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, target)
        assert (user.full_name, user.phone, user.unit.code) == ("Đặng Thị Hoà", "0988777666", "X1")
        events = [(event.action, event.target_id, event.before, event.after)
                  for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated"))]
    assert events == [("user.updated", str(target),
                       {"full_name": "Đặng Thị Hoa", "phone": "0911000002", "unit_code": None},
                       {"full_name": "Đặng Thị Hoà", "phone": "0988777666", "unit_code": "X1"})]
    assert api_login_status(app, "0988777666") == 200


def api_login_status(app, phone: str) -> int:
    return sign_in(app, phone)[1].status_code


def test_only_what_changed_is_logged_and_nothing_is_logged_for_no_change(app, admin):
    target = user_id(app, "0911000004")
    same = {"full_name": NAMES["0911000004"], "phone": "0911000004", "unit_code": "", "csrf_token": csrf_token(admin)}
    assert admin.post(f"/admin/users/{target}", data=same).status_code == 302
    assert admin.post(f"/admin/users/{target}", data={**same, "full_name": "Nguyễn Thu Hương"}).status_code == 302
    with app.app_context():
        events = [(event.before, event.after) for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.updated"))]
    assert events == [({"full_name": "Nguyễn Thị Thu Hương"}, {"full_name": "Nguyễn Thu Hương"})]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "0911000001", "đã thuộc tài khoản khác (Trần Văn Bình)"),
    ("phone", "12345", "Số điện thoại không hợp lệ"),
    ("unit_code", "KHONG-CO", "Đơn vị không có trong danh mục"),
    ("full_name", "   ", "Họ và tên từ 1 đến 120 ký tự"),
    ("full_name", "A" * 121, "Họ và tên từ 1 đến 120 ký tự"),
])
def test_a_bad_edit_gets_its_error_next_to_the_field_and_changes_nothing(app, admin, field, value, message):
    target = user_id(app, "0911000003")
    data = {"full_name": "Đỗ Đức Đạt", "phone": "0911000003", "unit_code": "", field: value,
            "csrf_token": csrf_token(admin)}

    response = admin.post(f"/admin/users/{target}", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]*{re.escape(message)}', page), page
    with app.app_context():
        user = db.session.get(User, target)
        assert (user.full_name, user.phone, user.unit_id) == ("ĐỖ ĐỨC ĐẠT", "0911000003", None)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated")) is None


# --- role changes and disabling, after a confirmation --------------------------------------------


def role_of(app, target: int) -> str:
    with app.app_context():
        return db.session.get(User, target).role


def test_a_role_change_shows_what_the_role_grants_before_anything_changes(app, admin):
    target = user_id(app, "0911000001")

    judge = admin.post(f"/admin/users/{target}/role?q=tran&role=taker", data={
        "role": "judge", "csrf_token": csrf_token(admin)})
    made_admin = admin.post(f"/admin/users/{target}/role", data={"role": "admin", "csrf_token": csrf_token(admin)})

    assert judge.status_code == made_admin.status_code == 200
    assert role_of(app, target) == "taker"
    judge_page, admin_page = judge.get_data(as_text=True), made_admin.get_data(as_text=True)
    assert "Ban giám khảo</strong> được: Xem bảng xếp hạng" in judge_page and "Cảnh báo" not in judge_page
    assert "Cảnh báo:" in admin_page and "Toàn quyền trên hệ thống" in admin_page
    # Confirming goes back to the list the admin came from.
    assert 'name="confirm" value="1"' in judge_page and "q=tran" in judge_page

    confirmed = admin.post(f"/admin/users/{target}/role?q=tran&role=taker", data={
        "role": "judge", "confirm": "1", "csrf_token": csrf_token(admin)})

    assert confirmed.status_code == 302 and "q=tran" in confirmed.headers["Location"]
    assert role_of(app, target) == "judge"
    with app.app_context():
        events = [(event.before, event.after) for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.role_changed"))]
    assert events == [({"role": "taker"}, {"role": "judge"})]


def test_an_unknown_role_is_refused_without_a_confirmation_page(app, admin):
    target = user_id(app, "0911000001")
    response = admin.post(f"/admin/users/{target}/role", data={"role": "vua", "csrf_token": csrf_token(admin)},
                          follow_redirects=True)
    assert "Vai trò phải là" in response.get_data(as_text=True) and role_of(app, target) == "taker"


def test_disabling_and_enabling_on_the_page_ask_first(app, admin):
    target = user_id(app, "0911000002")
    _phone, signed_in = sign_in(app, "0911000002")
    assert signed_in.status_code == 200

    asked = admin.post(f"/admin/users/{target}/disable", data={"csrf_token": csrf_token(admin)})
    shown = admin.get(f"/admin/users/{target}/disable")

    assert asked.status_code == shown.status_code == 200
    assert "Khoá tài khoản Đặng Thị Hoa?" in asked.get_data(as_text=True)
    assert "mọi phiên đăng nhập của tài khoản kết thúc ngay" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, target).is_active

    admin.post(f"/admin/users/{target}/disable", data={"confirm": "1", "csrf_token": csrf_token(admin)})
    assert api_login_status(app, "0911000002") == 403
    assert "Mở khoá…" in admin.get("/admin/users", query_string={"q": "0911000002"}).get_data(as_text=True)

    asked_again = admin.post(f"/admin/users/{target}/enable", data={"csrf_token": csrf_token(admin)})
    assert "Mở khoá tài khoản Đặng Thị Hoa?" in asked_again.get_data(as_text=True)
    assert api_login_status(app, "0911000002") == 403
    admin.post(f"/admin/users/{target}/enable", data={"confirm": "1", "csrf_token": csrf_token(admin)})
    assert api_login_status(app, "0911000002") == 200
    with app.app_context():
        actors = {event.actor_id for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["user.disabled", "user.enabled"])))}
    assert len(actors) == 1 and None not in actors  # the admin who did it


def test_an_admin_cannot_disable_their_own_account_and_the_last_admin_guard_holds(app, admin, auth, runner):
    with app.app_context():
        me = db.session.scalar(select(User).where(User.role == "admin"))
        me_id = me.id
    refused = admin.post(f"/admin/users/{me_id}/disable", data={"confirm": "1", "csrf_token": csrf_token(admin)},
                         follow_redirects=True)
    assert "Không thể tự khoá" in refused.get_data(as_text=True)
    other = auth.create("admin", phone="0955000001")
    assert admin.post(f"/admin/users/{other}/disable", data={
        "confirm": "1", "csrf_token": csrf_token(admin)}).status_code == 302
    with app.app_context():
        assert db.session.get(User, me_id).is_active and not db.session.get(User, other).is_active
    # Now the signed-in admin is the last active one: the command line cannot disable them either.
    with app.app_context():
        phone = db.session.get(User, me_id).phone
    assert runner.invoke(args=["users", "disable", phone]).exit_code == 1


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["taker", "organiser", "judge"])
def test_only_admins_see_or_change_accounts(app, client, auth, role):
    target = auth.create(phone="0966000001", full_name="Mục Tiêu")
    auth.login_as(role)
    token = csrf_token(client)
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{target}").status_code == 403
    assert client.get(f"/admin/users/{target}/disable").status_code == 403
    for path, data in ((f"/admin/users/{target}", {"full_name": "Kẻ Gian", "phone": "0966000001"}),
                       (f"/admin/users/{target}/role", {"role": "admin", "confirm": "1"}),
                       (f"/admin/users/{target}/disable", {"confirm": "1"})):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403
    with app.app_context():
        user = db.session.get(User, target)
        assert (user.full_name, user.role, user.is_active) == ("Mục Tiêu", "taker", True)


def test_unknown_accounts_are_404(admin):
    token = csrf_token(admin)
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.get("/admin/users/999999/enable").status_code == 404
    assert admin.post("/admin/users/999999", data={"csrf_token": token}).status_code == 404
    assert admin.post("/admin/users/999999/role", data={"role": "judge", "csrf_token": token}).status_code == 404
    assert admin.get("/admin/users/1/frobnicate").status_code == 404


def test_the_account_pages_are_vietnamese_and_label_their_inputs(app, admin):
    from tests.test_page_labels import Fields

    target = user_id(app, "0911000001")
    token = csrf_token(admin)
    pages = [admin.get("/admin/users"), admin.get(f"/admin/users/{target}"),
             admin.get(f"/admin/users/{target}/disable"),
             admin.post(f"/admin/users/{target}/role", data={"role": "organiser", "csrf_token": token})]
    fields = 0
    for response in pages:
        assert response.status_code == 200
        page = Fields()
        page.feed(response.get_data(as_text=True))
        assert page.lang == "vi" and page.has_main_nav and page.unnamed() == []
        fields += len(page.fields)
    assert fields > 10


def test_a_phone_an_admin_changes_is_no_longer_verified_but_a_name_change_keeps_it(app, admin):
    from datetime import UTC, datetime

    target = user_id(app, "0911000004")
    with app.app_context():
        db.session.get(User, target).phone_verified_at = datetime(2026, 12, 1, tzinfo=UTC)
        db.session.commit()
    form = {"full_name": "Nguyễn Thu Hương", "phone": "0911000004", "unit_code": "", "csrf_token": csrf_token(admin)}
    assert admin.post(f"/admin/users/{target}", data=form).status_code == 302
    with app.app_context():
        assert db.session.get(User, target).phone_verified_at is not None
    assert admin.post(f"/admin/users/{target}", data={**form, "phone": "0988000111"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, target).phone_verified_at is None
