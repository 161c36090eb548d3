"""Registration through the page and the JSON API: errors by the fields, no row written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from quizapp.auth.models import User
from quizapp.extensions import db
from tests.conftest import CONSENT, PASSWORD, csrf_token


def register_page(client, **fields):
    data = {
        "phone": "0912345678",
        "password": PASSWORD,
        "confirm_password": PASSWORD,
        "full_name": "Nguyễn Văn An",
        "csrf_token": csrf_token(client),
        **CONSENT,
    }
    data.update(fields)
    return client.post("/auth/register", data=data)


def error_next_to(html: str, field: str) -> str:
    """The error text rendered right under ``field``'s input and tied to it, or ''."""
    match = re.search(rf'(<input[^>]*\bid="{field}"[^>]*>|<select[^>]*\bid="{field}"[^>]*>.*?</select>)\s*'
                      rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html, re.S)
    if not match or f'aria-describedby="{field}-error"' not in match.group(1):
        return ""
    return match.group(2)


def test_register_page_creates_account_and_signs_in(client, app):
    response = register_page(client, phone="+84 912.345.678", full_name="  Nguyễn   Văn An ")
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.phone == "0912345678"
        assert user.full_name == "Nguyễn Văn An"
        assert user.role == "taker"
        assert user.password_hash.startswith("$argon2id$")
    assert client.get("/api/v1/session").get_json()["user"]["phone"] == "0912345678"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "Số điện thoại không hợp lệ"),
        ({"phone": "0212345678"}, "phone", "Số điện thoại không hợp lệ"),
        ({"password": "short7!", "confirm_password": "short7!"}, "password", "ít nhất 8 ký tự"),
        ({"confirm_password": "something-else"}, "confirm_password", "không khớp"),
        ({"full_name": ""}, "full_name", "Vui lòng nhập"),
        ({"birth_date": "2999-01-01"}, "birth_date", "Ngày sinh không hợp lệ"),
        ({"unit_code": "NO-SUCH-UNIT"}, "unit_code", "Đơn vị không có trong danh mục"),
        ({"id_number": "12ab"}, "id_number", "12 chữ số"),
    ],
)
def test_register_page_errors_by_the_field_and_no_row(client, user_count, fields, field, message):
    response = register_page(client, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in error_next_to(html, field)
    assert user_count() == 0


def test_register_page_duplicate_phone(client, auth, user_count):
    auth.create(phone="0912345678")
    response = register_page(client, phone="0912 345 678")
    assert response.status_code == 422
    assert "đã được đăng ký" in error_next_to(response.get_data(as_text=True), "phone")
    assert user_count() == 1


def test_register_page_keeps_typed_values(client):
    html = register_page(client, phone="12345", full_name="Trần Thị Bình").get_data(as_text=True)
    assert 'value="Trần Thị Bình"' in html
    # A password is never sent back to the browser.
    assert PASSWORD not in html


def test_register_api_creates_account(client, app):
    response = client.post(
        "/api/v1/register",
        json={"phone": "0987654321", "password": PASSWORD, "full_name": "Lê Văn Cường",
              "birth_date": "1990-05-19", "unit_code": None, **CONSENT},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 201
    body = response.get_json()["user"]
    assert body["phone"] == "0987654321"
    assert body["birth_date"] == "1990-05-19"
    assert client.get("/api/v1/session").get_json()["user"]["id"] == body["id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phone": "999", "password": PASSWORD, "full_name": "A B"}, "phone"),
        ({"phone": "0987654321", "password": "1234567", "full_name": "A B"}, "password"),
        ({"phone": "0987654321", "password": PASSWORD}, "full_name"),
        ({"phone": "0987654321", "password": PASSWORD, "full_name": "A B", "birth_date": "19/05/1990"},
         "birth_date"),
    ],
)
def test_register_api_validation_errors(client, user_count, payload, field):
    response = client.post("/api/v1/register", json=payload, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert user_count() == 0


def test_register_api_duplicate_phone(client, auth, user_count):
    auth.create(phone="0987654321")
    response = client.post(
        "/api/v1/register",
        json={"phone": "+84987654321", "password": PASSWORD, "full_name": "Người Thứ Hai", **CONSENT},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 422
    assert "phone" in response.get_json()["error"]["fields"]
    assert user_count() == 1


@pytest.mark.parametrize("typed", ["09１２３４５６７８", "٠٩١٢٣٤٥٦٧٨", "09١٢٣٤٥٦٧٨", "098７６５４３２１"])
def test_digits_of_other_scripts_open_no_second_account_nor_a_way_in(app, client, auth, user_count, typed):
    """One number, one account: full-width or Arabic-Indic digits are refused, not a new number."""
    auth.create(phone="0912345678")
    auth.create(phone="0987654321")
    token = csrf_token(client)

    api = client.post("/api/v1/register", json={"phone": typed, "password": PASSWORD, "full_name": "Người Thứ Hai"},
                      headers={"X-CSRFToken": token})
    page = client.post("/auth/register", data={"phone": typed, "password": PASSWORD, "confirm_password": PASSWORD,
                                               "full_name": "Người Thứ Hai", "csrf_token": token})
    login = client.post("/api/v1/login", json={"phone": typed, "password": PASSWORD},
                        headers={"X-CSRFToken": token})

    assert (api.status_code, list(api.get_json()["error"]["fields"])) == (422, ["phone"])
    assert page.status_code == 422
    assert (login.status_code, login.get_json()["error"]["code"]) == (401, "invalid_credentials")
    assert user_count() == 2


def test_register_api_rejects_non_object(client, user_count):
    response = client.post("/api/v1/register", json=["0987654321"], headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert user_count() == 0


def test_registration_with_unit_and_group(client, app, runner, tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name,parent_code,headcount\nXA-01,Xã Một,,100\n", encoding="utf-8")
    assert runner.invoke(args=["units", "load", str(units)]).exit_code == 0
    page = client.get("/auth/register").get_data(as_text=True)
    assert '<option value="XA-01">Xã Một</option>' in page
    response = register_page(client, unit_code="XA-01", participant_group="nhan_dan", gender="female")
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.unit.code, user.participant_group, user.gender) == ("XA-01", "nhan_dan", "female")
