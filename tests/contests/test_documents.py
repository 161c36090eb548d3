"""Who issues a contest's documents: the contest file's keys, the organiser's form, the defaults."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from quizapp.contests.documents import HEADINGS, date_in_words, letterhead
from quizapp.contests.models import Contest
from quizapp.extensions import db
from tests.contests.test_contest_format import bank, contest, load  # noqa: F401 (bank is a fixture)
from tests.contests.test_contest_manage import SLUG, contest_form, post, round_form

SIGNERS = [{"on_behalf": "T/M BAN TỔ CHỨC", "title": "TRƯỞNG BAN", "name": "Nguyễn Văn An"},
           {"title": "PHÓ TRƯỞNG BAN", "name": "Trần Thị Bình"}]


def documents(**overrides) -> dict:
    return {**contest(), "organising_body": "BAN TUYÊN GIÁO TỈNH ỦY", "parent_body": "TỈNH ỦY NAM ĐỊNH",
            "place": "Nam Định", "document_heading": "party", "signers": SIGNERS, **overrides}


@pytest.mark.parametrize(("day", "words"), [
    (date(2026, 12, 7), "ngày 07 tháng 12 năm 2026"),
    (date(2026, 2, 15), "ngày 15 tháng 02 năm 2026"),
    (date(2026, 1, 5), "ngày 05 tháng 01 năm 2026"),
    (date(2026, 3, 31), "ngày 31 tháng 3 năm 2026"),
])
def test_dates_are_written_as_official_documents_write_them(day, words):
    assert date_in_words(day) == words


def test_a_contest_file_sets_who_issues_its_documents(bank, runner, tmp_path, app):  # noqa: F811
    result = load(runner, tmp_path, documents())
    assert result.exit_code == 0, result.output
    with app.app_context():
        head = letterhead(db.session.scalar(select(Contest)))
        assert (head.organising_body, head.parent_body, head.place) == (
            "BAN TUYÊN GIÁO TỈNH ỦY", "TỈNH ỦY NAM ĐỊNH", "Nam Định")
        assert head.heading == ("ĐẢNG CỘNG SẢN VIỆT NAM",)
        assert [(s.on_behalf, s.title, s.name) for s in head.signers] == [
            ("T/M BAN TỔ CHỨC", "TRƯỞNG BAN", "Nguyễn Văn An"), (None, "PHÓ TRƯỞNG BAN", "Trần Thị Bình")]
        assert head.place_and_date(date(2026, 12, 7)) == "Nam Định, ngày 07 tháng 12 năm 2026"


def test_without_settings_documents_use_the_installations_controller(bank, runner, tmp_path, app):  # noqa: F811
    assert load(runner, tmp_path, contest()).exit_code == 0
    with app.app_context():
        head = letterhead(db.session.scalar(select(Contest)))
        assert head.organising_body == app.config["PRIVACY_CONTROLLER"]
        assert head.heading == HEADINGS["state"] == (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
        assert head.signers == () and head.place is None
        assert head.place_and_date(date(2026, 12, 7)) == "Ngày 07 tháng 12 năm 2026"


@pytest.mark.parametrize(("overrides", "path"), [
    ({"document_heading": "royal"}, "$.document_heading"),
    ({"signers": SIGNERS * 2}, "$.signers"),
    ({"signers": [{"title": "TRƯỞNG BAN"}]}, "$.signers[0].name"),
    ({"signers": [{"title": "TRƯỞNG BAN", "name": "A", "seal": True}]}, "$.signers[0].seal"),
    ({"place": "x" * 101}, "$.place"),
    ({"organising_body": 5}, "$.organising_body"),
])
def test_bad_document_settings_are_reported_with_their_path_and_change_nothing(
        bank, runner, tmp_path, app, overrides, path):  # noqa: F811
    result = load(runner, tmp_path, documents(**overrides))
    assert result.exit_code == 1 and path in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(Contest)) is None


def test_the_organisers_form_sets_and_keeps_them(client, app, auth, runner, tmp_path):
    path = tmp_path / "lich-su.csv"
    path.write_text("Chủ đề,Câu hỏi,A,B,C,D,Đáp án\n" + "".join(
        f"Lịch sử,Câu {n}?,Một,Hai,Ba,Bốn,A\n" for n in range(1, 8)) + "".join(
        f"Địa lý,Câu địa lý {n}?,Một,Hai,Ba,Bốn,B\n" for n in range(1, 4)), encoding="utf-8")
    assert runner.invoke(args=["banks", "import", str(path)]).exit_code == 0
    auth.login_as("organiser")
    fields = {"organising_body": "BAN TUYÊN GIÁO TỈNH ỦY", "document_place": "Nam Định", "document_heading": "party",
              "signers-0-on_behalf": "T/M BAN TỔ CHỨC", "signers-0-title": "TRƯỞNG BAN",
              "signers-0-name": "Nguyễn Văn An", "signers-1-title": "", "signers-1-name": ""}
    response = post(client, "/contests/manage/new", {**contest_form(**fields), **round_form("round")})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/contests/manage/{SLUG}/edit").get_data(as_text=True)
    assert 'value="BAN TUYÊN GIÁO TỈNH ỦY"' in page and 'value="Nguyễn Văn An"' in page

    # Editing something else keeps them; a signer's title without a name is refused next to the field.
    edit = {**contest_form(**fields, title="Tên mới")}
    edit.pop("slug")
    assert post(client, f"/contests/manage/{SLUG}/edit", edit).status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Contest))
        assert (stored.title, stored.organising_body, stored.document_place, stored.document_heading) == (
            "Tên mới", "BAN TUYÊN GIÁO TỈNH ỦY", "Nam Định", "party")
        assert stored.signers == [{"title": "TRƯỞNG BAN", "name": "Nguyễn Văn An", "on_behalf": "T/M BAN TỔ CHỨC"}]
    edit["signers-1-title"] = "PHÓ TRƯỞNG BAN"
    refused = post(client, f"/contests/manage/{SLUG}/edit", edit)
    assert refused.status_code == 422 and 'id="signers-1-name-error"' in refused.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalar(select(Contest)).signers) == 1
