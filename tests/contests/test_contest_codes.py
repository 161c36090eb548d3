"""The contest code (slug) made from the title: Vietnamese without marks, unique, within 64 characters."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quizapp.contests.models import Contest
from quizapp.contests.services import free_slug
from quizapp.extensions import db
from quizapp.text import slug
from tests.contests.test_contest_manage import bank, contest_form, post, round_form  # noqa: F401 - fixture


@pytest.mark.parametrize(("title", "code"), [
    ("Tìm hiểu tư tưởng Hồ Chí Minh 2024", "tim-hieu-tu-tuong-ho-chi-minh-2024"),
    ("Đảng bộ tỉnh Đắk Lắk: 95 năm xây dựng", "dang-bo-tinh-dak-lak-95-nam-xay-dung"),
    ("  Tuổi trẻ — học tập & làm theo!  ", "tuoi-tre-hoc-tap-lam-theo"),
    # Decomposed input (a base letter, then its marks) folds the same as composed.
    ("Nghi\u0323 quye\u0302\u0301t", "nghi-quyet"),
    ("!!!", ""),
])
def test_a_title_becomes_a_code_without_marks(title, code):
    assert slug(title) == code


def test_a_long_title_is_cut_at_a_word_within_64_characters():
    title = "Cuộc thi trực tuyến tìm hiểu 95 năm Ngày thành lập Đảng Cộng sản Việt Nam và Nghị quyết Đại hội"
    code = slug(title)
    assert len(code) <= 64 and code == "cuoc-thi-truc-tuyen-tim-hieu-95-nam-ngay-thanh-lap-dang-cong-san"
    assert slug("a" * 80) == "a" * 64  # one word longer than the limit is cut where it must be


def test_a_taken_or_reserved_code_gets_a_number(app):
    with app.app_context():
        assert free_slug("Manage") == "manage-2"  # a path segment of the pages
        db.session.add_all([Contest(slug="tuan-le-hoc-tap", title="x"), Contest(slug="tuan-le-hoc-tap-2", title="y")])
        db.session.flush()
        assert free_slug("Tuần lễ học tập") == "tuan-le-hoc-tap-3"
        long_title = "Tìm hiểu " + "lịch sử " * 12
        db.session.add(Contest(slug=slug(long_title), title="z"))
        db.session.flush()
        numbered = free_slug(long_title)
        assert numbered.endswith("-2") and len(numbered) <= 64
        assert free_slug("???") == "cuoc-thi"


def test_an_empty_code_is_made_from_the_title_and_kept_unique(client, app, auth, bank):  # noqa: F811
    auth.login_as("organiser")
    for _ in range(2):
        response = post(client, "/contests/manage/new", {
            **contest_form(slug="", title="Tìm hiểu tư tưởng Hồ Chí Minh 2024"), **round_form("round")})
        assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert list(db.session.scalars(select(Contest.slug).order_by(Contest.id))) == [
            "tim-hieu-tu-tuong-ho-chi-minh-2024", "tim-hieu-tu-tuong-ho-chi-minh-2024-2"]
    assert "mã tim-hieu-tu-tuong-ho-chi-minh-2024-2" in client.get("/contests/manage/").get_data(as_text=True)


def test_the_suggested_code_is_numbered_but_a_chosen_one_is_refused_when_taken(client, app, auth, bank):  # noqa: F811
    auth.login_as("organiser")
    title = "Đố vui Đảng viên"
    assert post(client, "/contests/manage/new", {**contest_form(slug="", title=title), **round_form("round")}
                ).status_code == 302
    # What the page's script filled in from the title is a suggestion: the server numbers it.
    assert post(client, "/contests/manage/new", {**contest_form(slug="do-vui-dang-vien", title=title),
                                                 **round_form("round")}).status_code == 302
    # A code the organiser typed is theirs: taken, it is refused next to the field.
    refused = post(client, "/contests/manage/new", {**contest_form(slug="do-vui-dang-vien", title="Khác"),
                                                    **round_form("round")})
    assert refused.status_code == 422 and "Mã do-vui-dang-vien đã có cuộc thi khác dùng" in refused.get_data(
        as_text=True)
    with app.app_context():
        assert set(db.session.scalars(select(Contest.slug))) == {"do-vui-dang-vien", "do-vui-dang-vien-2"}


def test_the_new_contest_form_carries_the_suggestion_script(client, auth):
    auth.login_as("organiser")
    html = client.get("/contests/manage/new").get_data(as_text=True)
    assert 'data-slug-from="title"' in html and "/static/slug-suggest.js" in html
    # The title comes first, so the code can follow it.
    assert html.index('id="title"') < html.index('id="slug"')
