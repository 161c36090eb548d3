"""Consent on record: registration needs the current notice's consent and, for a child, a
guardian's; an account without consent to the current version is asked at sign-in and may not
start an attempt until it consents."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import url_for
from sqlalchemy import func, select

from quizapp.auth.models import User
from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.privacy.consent import age_on
from quizapp.privacy.models import Consent
from quizapp.privacy.notice import VERSION
from tests.attempt_support import install_clock, one_round, sign_in
from tests.conftest import CONSENT, PASSWORD, csrf_token

# 10:00 in Hà Nội on 2026-03-15.
NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)
GUARDIAN = {"guardian_name": "Trần Thị Mẹ", "guardian_phone": "+84 966 000 222", "guardian_consent": True}


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Consent.id)))


def consents(app, phone: str) -> list[tuple]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        rows = db.session.scalars(select(Consent).where(Consent.user_id == user.id).order_by(Consent.id))
        return [(user.consent_version, row.version, row.how, row.guardian_name, row.guardian_phone,
                 row.guardian_consent) for row in rows]


def register_api(client, **fields):
    body = {"phone": "0966000111", "password": PASSWORD, "full_name": "Nguyễn Văn Con", **fields}
    return client.post("/api/v1/register", json=body, headers={"X-CSRFToken": csrf_token(client)})


def register_page(client, **fields):
    data = {"phone": "0966000111", "password": PASSWORD, "confirm_password": PASSWORD,
            "full_name": "Nguyễn Văn Con", "csrf_token": csrf_token(client), **fields}
    return client.post("/auth/register", data=data)


def error(response) -> tuple[int, str, list[str]]:
    body = response.get_json()["error"]
    return response.status_code, body["code"], sorted(body.get("fields", {}))


@pytest.mark.parametrize("consent", [{}, {"consent_version": "2025-01-01"}, {"consent_version": ""},
                                     {"consent_version": 1}, {"consent_version": [VERSION]}])
def test_registration_without_the_current_consent_creates_nothing(app, client, consent):
    response = register_api(client, **consent)
    assert error(response) == (422, "consent_required", ["consent_version"])
    assert counts(app) == (0, 0)
    page = register_page(client, **{key: str(value) for key, value in consent.items()})
    assert page.status_code == 422 and "Vui lòng đọc Thông báo về xử lý dữ liệu cá nhân" in page.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_registration_with_consent_records_it_with_the_account(app, client):
    install_clock(app, NOW)
    response = register_api(client, birth_date="1990-01-02", **CONSENT)
    assert response.status_code == 201 and response.get_json()["user"]["consent_needed"] is False
    assert consents(app, "0966000111") == [(VERSION, VERSION, "api", None, None, False)]
    with app.app_context():
        assert db.session.scalar(select(Consent.given_at)) == NOW
    other = app.test_client()
    assert register_page(other, phone="0966000333", **CONSENT).status_code == 302
    assert consents(app, "0966000333") == [(VERSION, VERSION, "web", None, None, False)]


@pytest.mark.parametrize(("guardian", "fields"), [
    ({}, ["guardian_consent", "guardian_name", "guardian_phone"]),
    ({**GUARDIAN, "guardian_consent": False}, ["guardian_consent"]),
    ({**GUARDIAN, "guardian_consent": "có"}, ["guardian_consent"]),
    ({**GUARDIAN, "guardian_phone": "12345"}, ["guardian_phone"]),
    ({**GUARDIAN, "guardian_phone": {"x": 1}}, ["guardian_phone"]),
    ({**GUARDIAN, "guardian_name": "  "}, ["guardian_name"]),
    ({**GUARDIAN, "guardian_name": "A" * 121}, ["guardian_name"]),
])
def test_a_twelve_year_old_without_a_guardian_is_refused_and_nothing_is_created(app, client, guardian, fields):
    install_clock(app, NOW)
    response = register_api(client, birth_date="2014-01-01", **CONSENT, **guardian)
    assert error(response) == (422, "guardian_consent_required", fields)
    assert counts(app) == (0, 0)


def test_a_child_registers_with_a_guardian_recorded_with_the_childs_consent(app, client):
    install_clock(app, NOW)
    assert register_api(client, birth_date="2014-01-01", **CONSENT, **GUARDIAN).status_code == 201
    assert consents(app, "0966000111") == [(VERSION, VERSION, "api", "Trần Thị Mẹ", "0966000222", True)]
    page = app.test_client()
    refused = register_page(page, phone="0966000333", birth_date="2014-01-01", **CONSENT)
    assert refused.status_code == 422 and counts(app) == (1, 1)
    assert "Cha, mẹ hoặc người giám hộ cần đánh dấu đồng ý." in refused.get_data(as_text=True)
    done = register_page(page, phone="0966000333", birth_date="2014-01-01", guardian_name="Lê Văn Bố",
                         guardian_phone="0966 000 444", guardian_consent="y", **CONSENT)
    assert done.status_code == 302
    assert consents(app, "0966000333") == [(VERSION, VERSION, "web", "Lê Văn Bố", "0966000444", True)]


@pytest.mark.parametrize(("birth_date", "child"), [
    ("2010-03-15", False),  # 16 today in Hà Nội
    ("2010-03-16", True),   # 16 tomorrow
    ("2009-03-16", False),
])
def test_the_age_is_counted_on_vietnams_date(app, client, birth_date, child):
    # 00:30 on 15 March in Hà Nội, still 14 March in UTC.
    install_clock(app, datetime(2026, 3, 14, 17, 30, tzinfo=UTC))
    response = register_api(client, birth_date=birth_date, **CONSENT)
    if child:
        assert error(response)[1] == "guardian_consent_required"
    else:
        assert response.status_code == 201


def test_a_29_february_birthday_comes_on_1_march_in_other_years(app, client):
    assert (age_on(date(2008, 2, 29), date(2023, 2, 28)), age_on(date(2008, 2, 29), date(2023, 3, 1))) == (14, 15)
    assert (age_on(date(2008, 2, 29), date(2024, 2, 28)), age_on(date(2008, 2, 29), date(2024, 2, 29))) == (15, 16)
    assert age_on(date(2000, 12, 31), date(2016, 12, 30)) == 15 and age_on(date(2000, 12, 31), date(2016, 12, 31)) == 16
    clock = install_clock(app, datetime(2024, 2, 28, 12, 0, tzinfo=UTC))
    assert error(register_api(client, birth_date="2008-02-29", **CONSENT))[1] == "guardian_consent_required"
    clock.set(datetime(2024, 2, 28, 17, 0, tzinfo=UTC))  # 00:00 on 29 February in Hà Nội
    assert register_api(client, birth_date="2008-02-29", **CONSENT).status_code == 201


def test_an_older_account_is_asked_and_may_not_start_until_it_consents(app, tmp_path, auth):
    install_clock(app)
    round_id = one_round(app, tmp_path)
    auth.create(phone="0966000555", consent=False)
    phone, signed_in = sign_in(app, "0966000555")
    assert signed_in.get_json()["user"]["consent_needed"] is True
    token = signed_in.get_json()["csrf_token"]
    assert phone.get("/api/v1/session").get_json()["user"]["consent_needed"] is True
    start = phone.post(f"/api/v1/rounds/{round_id}/attempts", headers={"X-CSRFToken": token})
    assert (start.status_code, start.get_json()["error"]["code"]) == (403, "consent_required")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
    wrong = phone.post("/api/v1/privacy/consent", json={"consent_version": "cũ"}, headers={"X-CSRFToken": token})
    assert error(wrong) == (422, "consent_required", ["consent_version"])
    given = phone.post("/api/v1/privacy/consent", json=CONSENT, headers={"X-CSRFToken": token})
    assert given.status_code == 200 and given.get_json()["user"]["consent_needed"] is False
    assert consents(app, "0966000555") == [(VERSION, VERSION, "api", None, None, False)]
    assert phone.get("/api/v1/session").get_json()["user"]["consent_needed"] is False
    assert phone.post(f"/api/v1/rounds/{round_id}/attempts", headers={"X-CSRFToken": token}).status_code == 201


def test_a_new_notice_version_asks_everyone_again(app, tmp_path, auth):
    install_clock(app)
    round_id = one_round(app, tmp_path)
    user_id = auth.create(phone="0966000556")
    with app.app_context():
        # As if the account consented to the notice before this one.
        db.session.get(User, user_id).consent_version = "2026-01-01.1"
        db.session.commit()
    phone, signed_in = sign_in(app, "0966000556")
    assert signed_in.get_json()["user"]["consent_needed"] is True
    token = signed_in.get_json()["csrf_token"]
    start = phone.post(f"/api/v1/rounds/{round_id}/attempts", headers={"X-CSRFToken": token})
    assert start.get_json()["error"]["code"] == "consent_required"


def test_a_child_consenting_later_needs_a_guardian_too(app, auth):
    install_clock(app, NOW)
    auth.create(phone="0966000557", consent=False, birth_date=date(2015, 5, 5))
    phone, signed_in = sign_in(app, "0966000557")
    token = signed_in.get_json()["csrf_token"]
    alone = phone.post("/api/v1/privacy/consent", json=CONSENT, headers={"X-CSRFToken": token})
    assert error(alone)[:2] == (422, "guardian_consent_required")
    assert counts(app) == (1, 0)
    assert phone.post("/api/v1/privacy/consent", json={**CONSENT, **GUARDIAN},
                      headers={"X-CSRFToken": token}).status_code == 200
    assert consents(app, "0966000557") == [(VERSION, VERSION, "api", "Trần Thị Mẹ", "0966000222", True)]


def test_sign_in_on_the_web_asks_for_consent_then_goes_on(app, tmp_path, client, auth):
    install_clock(app)
    round_id = one_round(app, tmp_path)
    auth.create(phone="0966000558", consent=False)
    start_page = f"/contests/rounds/{round_id}/start"
    signed_in = client.post(f"/auth/login?next={start_page}",
                            data={"phone": "0966000558", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert signed_in.status_code == 302 and signed_in.headers["Location"].startswith("/privacy/consent?next=")
    # The start's confirmation page and the start itself send the account to consent, and back
    # to the start's page after; no attempt starts meanwhile.
    with app.test_request_context():
        consent_page = url_for("privacy.consent", next=start_page)
    confirm = client.get(start_page)
    assert (confirm.status_code, confirm.headers["Location"]) == (303, consent_page)
    started = client.post(start_page, data={"csrf_token": csrf_token(client)})
    assert (started.status_code, started.headers["Location"]) == (303, consent_page)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    page = client.get(signed_in.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="consent_version"' in html and "checked" not in html
    assert "vui lòng đọc và đồng ý trước khi làm bài" in html  # why the taker was sent here
    assert "guardian_name" not in html  # an adult: no guardian section
    unticked = client.post(signed_in.headers["Location"], data={"csrf_token": csrf_token(client)})
    assert unticked.status_code == 422 and counts(app) == (1, 0)
    ticked = client.post(signed_in.headers["Location"], data={"csrf_token": csrf_token(client), **CONSENT})
    assert ticked.status_code == 302 and ticked.headers["Location"] == start_page
    assert consents(app, "0966000558") == [(VERSION, VERSION, "web", None, None, False)]
    assert client.get(start_page).status_code == 200
    # Consent on record: the page sends the account on, and sign-in no longer stops there.
    assert client.get("/privacy/consent?next=/contests/").headers["Location"] == "/contests/"


def test_an_account_with_consent_signs_in_straight_through(client, auth):
    auth.create(phone="0966000559")
    response = auth.login("0966000559")
    assert response.status_code == 302 and not response.headers["Location"].startswith("/privacy")


def test_users_create_and_the_demo_loader_record_consent_on_paper(app, runner):
    help_text = runner.invoke(args=["users", "create", "--help"]).output
    assert "on paper" in help_text
    created = runner.invoke(args=["users", "create", "0966000560", "--name", "Người Giấy", "--password", PASSWORD])
    assert created.exit_code == 0, created.output
    assert consents(app, "0966000560") == [(VERSION, VERSION, "paper", None, None, False)]
    from quizapp.demo import DEMO_ACCOUNTS, load_demo

    with app.app_context():
        _report, phones = load_demo()
        db.session.commit()
    assert phones and len(phones) == len(DEMO_ACCOUNTS)
    for phone in phones:
        assert consents(app, phone) == [(VERSION, VERSION, "paper", None, None, False)]


def test_a_birth_date_changed_to_a_childs_needs_a_guardian(app, client, auth):
    install_clock(app, NOW)
    auth.create(phone="0966000561", birth_date=date(1990, 1, 1))
    auth.login("0966000561")

    def save(**fields):
        data = {"full_name": "Người Sửa", "csrf_token": csrf_token(client), **fields}
        return client.post("/auth/profile", data=data)

    def stored() -> date | None:
        with app.app_context():
            return db.session.scalar(select(User.birth_date).where(User.phone == "0966000561"))

    refused = save(birth_date="2013-06-01")
    assert refused.status_code == 422 and stored() == date(1990, 1, 1)
    assert "Nhập họ và tên cha, mẹ hoặc người giám hộ" in refused.get_data(as_text=True)
    assert counts(app) == (1, 1)
    assert save(birth_date="2013-06-01", guardian_name="Phạm Văn Bố", guardian_phone="0966000666").status_code == 422
    assert stored() == date(1990, 1, 1)
    saved = save(birth_date="2013-06-01", guardian_name="Phạm Văn Bố", guardian_phone="0966000666",
                 guardian_consent="y")
    assert saved.status_code == 302 and stored() == date(2013, 6, 1)
    assert consents(app, "0966000561")[-1] == (VERSION, VERSION, "web", "Phạm Văn Bố", "0966000666", True)
    # The same birth date again (another field edited) asks nothing more; an adult's date neither.
    assert save(birth_date="2013-06-01", gender="male").status_code == 302
    assert save(birth_date="1991-01-01").status_code == 302
    assert counts(app) == (1, 2)


def test_a_birth_date_first_entered_as_a_childs_needs_a_guardian(app, client, auth):
    install_clock(app, NOW)
    auth.create(phone="0966000562")
    auth.login("0966000562")
    data = {"full_name": "Người Mới", "birth_date": "2012-01-01", "csrf_token": csrf_token(client)}
    assert client.post("/auth/profile", data=data).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(User.birth_date).where(User.phone == "0966000562")) is None


def test_the_guardian_section_is_on_the_forms_without_javascript(client, auth):
    register = client.get("/auth/register").get_data(as_text=True)
    assert 'name="guardian_name"' in register and "Bắt buộc nếu người đăng ký chưa đủ 16 tuổi." in register
    assert "guardian.js" in register and 'data-guardian="16"' in register
    auth.create(phone="0966000563")
    auth.login("0966000563")
    profile = client.get("/auth/profile").get_data(as_text=True)
    assert 'name="guardian_consent"' in profile and "chưa đủ 16 tuổi" in profile


def test_erasing_a_child_erases_the_guardian_but_keeps_the_record_that_consent_was_given(app, client):
    from tests.privacy.support import delete_me

    install_clock(app, NOW)
    response = register_api(client, birth_date="2014-01-02", **CONSENT, **GUARDIAN)
    assert response.status_code == 201, response.get_json()
    assert consents(app, "0966000111")[0][3:] == ("Trần Thị Mẹ", "0966000222", True)
    assert delete_me(client, csrf_token(client)).status_code == 200
    with app.app_context():
        rows = db.session.execute(select(Consent.guardian_name, Consent.guardian_phone, Consent.guardian_consent,
                                         Consent.version)).all()
    assert len(rows) == 1
    name, phone, given, version = rows[0]
    assert (given, version) == (True, VERSION)
    assert "Mẹ" not in name and phone != "0966000222" and not phone.isdigit()
