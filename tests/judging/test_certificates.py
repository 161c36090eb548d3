"""Certificates (Giấy chứng nhận) of a locked round: the PDF's text read back, a page rendered
to a picture, the public verification page, the judges' ZIP, who may download what, erasure
and revocation, and the contest file's certificate settings."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
import zxingcpp
from flask import url_for
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import event, select

from quizapp.auth.models import User
from quizapp.contests import logos
from quizapp.contests.documents import date_in_words
from quizapp.contests.models import Contest, Round
from quizapp.extensions import db
from quizapp.jobs.models import Job
from quizapp.judging.certificates import services
from quizapp.judging.certificates.models import Certificate
from quizapp.judging.certificates.services import VERIFY_PATH, normalise_code, printed_code
from quizapp.judging.models import RoundResult, locked_result
from quizapp.privacy.erasure import erase_person
from quizapp.units.models import Unit
from tests.attempt_support import (
    CLOSES,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    sign_up,
    simple_questions,
)
from tests.conftest import GENEROUS_LIMITS, Accounts, csrf_token
from tests.job_support import download

WINNER = "Nguyễn Thị Ánh Tuyết"
AWARDS = [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Khuyến khích", "count": 1}]
DOCUMENTS = {"organising_body": "Ban Tuyên giáo Tỉnh ủy", "parent_body": "Tỉnh ủy Nam Định", "place": "Nam Định",
             "signers": [{"on_behalf": "T/M BAN TỔ CHỨC", "title": "Trưởng ban", "name": "Trần Văn Bình"}]}
CODE = re.compile(r"Số: ([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})")


def png_data_url(size=(900, 700), colour=(200, 20, 20, 255)) -> str:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (size[0] // 2, size[1] // 2), colour), (size[0] // 4, size[1] // 4))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def locked_round(app, tmp_path, slug="giay-khen", *, people=4, certificates=None):
    """A round with two award tiers, ``people`` takers (the first answers every question, the
    next one fewer each), locked by a judge. Returns (round id, takers best first, judge client)."""
    clock = install_clock(app)
    with app.app_context():
        db.session.add(Unit(code="TH", name="Phường Trần Hưng Đạo"))
        db.session.commit()
    import_bank(app, tmp_path, f"bank-{slug}", simple_questions(slug, 4))
    definition = {**round_definition(bank=f"bank-{slug}", count=4), "awards": AWARDS}
    extra = {"certificates": certificates} if certificates is not None else {}
    (round_id,) = load_contest(app, tmp_path, slug, [definition], **DOCUMENTS, **extra)
    names = [WINNER, *(f"Người Dự Thi {number}" for number in range(1, people))]
    takers = [sign_up(app, full_name=name, unit_code="TH") for name in names]
    for position, taker in enumerate(takers):
        attempt = taker.started(round_id)
        for question in attempt["questions"][: len(attempt["questions"]) - position]:
            clock.advance(seconds=5)
            taker.save(attempt["id"], question["id"], [next(option["id"] for option in question["options"]
                                                            if "phương án A" in option["text"])])
        taker.submit(attempt["id"])
    clock.set(CLOSES + timedelta(minutes=1))
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)
    locked = judge.post(f"/judging/rounds/{round_id}/lock", data={"csrf_token": csrf_token(judge), "confirm": "yes"})
    assert locked.status_code == 302
    return round_id, takers, judge


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def own(taker, round_id: int):
    return taker.client.get(f"/certificates/rounds/{round_id}.pdf")


def test_a_winner_downloads_a_certificate_whose_vietnamese_text_reads_back(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS, PUBLIC_URL="https://thi.namdinh.example.vn")
    round_id, takers, _judge = locked_round(app, tmp_path)

    response = own(takers[0], round_id)

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "giai-nhat-nguyen-thi-anh-tuyet.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    with app.app_context():
        locked_at = db.session.scalar(select(RoundResult.locked_at).where(RoundResult.round_id == round_id))
    day = locked_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    for expected in ("GIẤY CHỨNG NHẬN", WINNER, "Đơn vị: Phường Trần Hưng Đạo", "GIẢI NHẤT", "Cuộc thi giay-khen",
                     "TỈNH ỦY NAM ĐỊNH", "BAN TUYÊN GIÁO TỈNH ỦY", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", f"Nam Định, {date_in_words(day)}", "T/M BAN TỔ CHỨC",
                     "TRƯỞNG BAN", "Trần Văn Bình", "Vòng thi: Tuần 1"):
        assert expected in text, expected
    code = CODE.search(text).group(1)
    assert f"https://thi.namdinh.example.vn/certificates/{code.replace('-', '')}" in text
    with app.app_context():
        stored = db.session.scalar(select(Certificate).where(Certificate.user_id == takers[0].user_id))
    assert printed_code(stored.code) == code and stored.kind == "award" and stored.award == "Giải Nhất"
    # Downloaded again, it is the same certificate: same code, one row.
    assert CODE.search(pdf_text(own(takers[0], round_id).data)).group(1) == code

    page = pypdfium2.PdfDocument(response.data)[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    assert len(PdfReader(io.BytesIO(response.data)).pages[0].images) == 0  # no logo set
    picture = page.render(scale=2).to_pil().convert("L")
    picture.save(tmp_path / "certificate.png")
    dark = sum(picture.histogram()[:128])
    assert 0.01 < dark / (picture.width * picture.height) < 0.2, "the page is blank or a block of ink"
    # The QR code, read off the printed page as a phone's camera reads it, opens the verification page.
    [qr] = zxingcpp.read_barcodes(picture)
    assert qr.text == f"https://thi.namdinh.example.vn/certificates/{stored.code}"
    assert app.test_client().get(qr.text.removeprefix("https://thi.namdinh.example.vn")).status_code == 200


def test_the_second_prize_and_people_without_an_award(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, _judge = locked_round(app, tmp_path)

    second = own(takers[1], round_id)
    assert second.status_code == 200 and "GIẢI KHUYẾN KHÍCH" in pdf_text(second.data)
    assert own(takers[2], round_id).status_code == 404  # no award, no participation certificates
    assert app.test_client().get(f"/certificates/rounds/{round_id}.pdf").status_code in (302, 401)
    assert own(takers[0], round_id + 999).status_code == 404


def test_no_certificate_before_the_lock(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    install_clock(app)
    import_bank(app, tmp_path, "bank-chua-khoa", simple_questions("ck", 2))
    (round_id,) = load_contest(app, tmp_path, "chua-khoa",
                               [{**round_definition(bank="bank-chua-khoa", count=2), "awards": AWARDS}])
    taker = sign_up(app)
    taker.submit(taker.started(round_id)["id"])
    judge = app.test_client()
    Accounts(app, judge).login_as("judge", round_id=round_id)

    assert own(taker, round_id).status_code == 404
    assert judge.get(f"/judging/rounds/{round_id}/certificates.zip").status_code == 404


def test_the_verification_page_shows_the_facts_with_the_phone_masked_and_the_checksum(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, _judge = locked_round(app, tmp_path)
    code = CODE.search(pdf_text(own(takers[0], round_id).data)).group(1)
    anonymous = app.test_client()

    page = anonymous.get(f"/certificates/{code}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    with app.app_context():
        checksum = db.session.scalar(select(RoundResult.checksum).where(RoundResult.round_id == round_id))
    assert f'<code id="checksum" class="checksum">{checksum}</code>' in html
    assert WINNER in html and "Phường Trần Hưng Đạo" in html and "Giải Nhất" in html
    assert "Ban Tuyên giáo Tỉnh ủy" in html
    phone = takers[0].phone
    assert f"{phone[:2]}xx xxx {phone[-3:]}" in html and phone not in html
    assert 'id="valid"' in html
    # Typed by hand: lower case, spaces instead of dashes.
    assert anonymous.get(f"/certificates/{code.lower().replace('-', ' ')}").status_code == 200


@pytest.mark.parametrize("junk", ["KHONGCOMAYNAY", "23456789ABCD", "%00", "a" * 5000, "..%2f..%2fetc",
                                  "Giấy-chứng-nhận", "0000-0000-0000"])
def test_an_unknown_or_junk_code_is_a_404_page_in_vietnamese(make_app, junk):
    app = make_app(**GENEROUS_LIMITS)

    page = app.test_client().get(f"/certificates/{junk}")

    assert page.status_code == 404
    # A path that is no code at all ("../..") is the site's own 404 page.
    assert re.search("Không tìm thấy (giấy chứng nhận|trang)", page.get_data(as_text=True))


def test_judges_download_every_certificate_as_one_zip_and_others_cannot(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, judge = locked_round(app, tmp_path)
    url = f"/judging/rounds/{round_id}/certificates.zip"

    round_page = judge.get(f"/judging/rounds/{round_id}").get_data(as_text=True)
    assert url in round_page
    response = download(judge, url)

    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["001-giai-nhat-nguyen-thi-anh-tuyet.pdf",
                                  "002-giai-khuyen-khich-nguoi-du-thi-1.pdf"]
    for name in archive.namelist():
        data = archive.read(name)
        assert data.startswith(b"%PDF-")
        assert "GIẤY CHỨNG NHẬN" in pdf_text(data)
    # The winner's own download carries the code the ZIP issued.
    zipped = CODE.search(pdf_text(archive.read(archive.namelist()[0]))).group(1)
    assert CODE.search(pdf_text(own(takers[0], round_id).data)).group(1) == zipped

    other = app.test_client()
    Accounts(app, other).login_as("judge")  # a judge, but not of this contest
    assert other.get(url).status_code in (403, 404)
    assert takers[0].client.get(url).status_code in (403, 404)


def test_a_contest_that_certifies_participants_gives_everyone_one(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, judge = locked_round(app, tmp_path, certificates={
        "participants": True, "title": "Giấy chứng nhận", "logo": png_data_url()})

    # The judges' ZIP holds the awards only: a national round's participants would make gigabytes.
    names = zipfile.ZipFile(io.BytesIO(download(judge, f"/judging/rounds/{round_id}/certificates.zip").data)).namelist()
    assert names == ["001-giai-nhat-nguyen-thi-anh-tuyet.pdf", "002-giai-khuyen-khich-nguoi-du-thi-1.pdf"]
    assert "mỗi người tự tải giấy của mình" in judge.get(f"/judging/rounds/{round_id}").get_data(as_text=True)
    taking_part = own(takers[3], round_id)
    text = pdf_text(taking_part.data)
    assert "Đã tham gia" in text and "Người Dự Thi 3" in text and "GIẢI" not in text
    assert len(PdfReader(io.BytesIO(taking_part.data)).pages[0].images) == 1  # the logo
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "giay-khen"))
        logo = Image.open(io.BytesIO(contest.certificate_logo))
        assert logo.format == "PNG" and max(logo.size) == 320


def test_erasing_the_winner_blanks_the_verification_page_and_stops_new_certificates(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, judge = locked_round(app, tmp_path)
    code = CODE.search(pdf_text(own(takers[0], round_id).data)).group(1)
    with app.app_context():
        erase_person(db.session.get(User, takers[0].user_id), "deletion")
        db.session.commit()

    html = app.test_client().get(f"/certificates/{code}").get_data(as_text=True)

    assert WINNER not in html and takers[0].phone[-3:] + "<" not in html
    assert 'id="erased"' in html and "Giải Nhất" in html
    names = zipfile.ZipFile(io.BytesIO(download(judge, f"/judging/rounds/{round_id}/certificates.zip").data)).namelist()
    assert names == ["001-giai-khuyen-khich-nguoi-du-thi-1.pdf"]


def test_a_judge_revokes_a_certificate_with_a_reason(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, judge = locked_round(app, tmp_path)
    code = CODE.search(pdf_text(own(takers[1], round_id).data)).group(1)
    url = f"/certificates/{code}"
    assert "Thu hồi giấy chứng nhận" in judge.get(url).get_data(as_text=True)
    assert "Thu hồi giấy chứng nhận" not in app.test_client().get(url).get_data(as_text=True)
    assert takers[0].client.post(f"{url}/revoke", data={"csrf_token": csrf_token(takers[0].client),
                                                        "reason": "x"}).status_code == 403

    judge.post(f"{url}/revoke", data={"csrf_token": csrf_token(judge), "reason": "Vi phạm thể lệ, phát hiện sau"})

    # The public page says only that it was revoked; the reason may name people.
    html = app.test_client().get(url).get_data(as_text=True)
    assert "Giấy chứng nhận này đã bị thu hồi." in html and 'id="valid"' not in html
    assert "Vi phạm thể lệ" not in html
    assert "Vi phạm thể lệ, phát hiện sau" in judge.get(url).get_data(as_text=True)
    assert own(takers[1], round_id).status_code == 404
    with app.app_context():
        erase_person(db.session.get(User, takers[1].user_id), "deletion")
        db.session.commit()
        assert db.session.scalar(select(Certificate.revoked_reason).where(Certificate.code == code.replace("-", ""))) \
            is None
    assert "Vi phạm thể lệ" not in judge.get(url).get_data(as_text=True)


def test_the_printed_address_is_the_verification_route(make_app):
    app = make_app(**GENEROUS_LIMITS)
    with app.test_request_context():
        assert url_for("certificates.verify", code="K7QM3XNA8PDE") == VERIFY_PATH.format(code="K7QM3XNA8PDE")
    assert normalise_code("k7qm-3xna 8pde") == "K7QM3XNA8PDE"
    assert normalise_code("K7QM3XNA8PD0") is None  # 0 is never in a code (it reads as O)


def test_the_contest_file_validates_certificate_settings_with_json_paths(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    import_bank(app, tmp_path, "bank-cai-dat", simple_questions("cd", 2))
    rounds = [round_definition(bank="bank-cai-dat", count=2)]
    bad = {"participants": "có", "title": "x" * 101, "logo": "data:image/png;base64,AAAA", "seal": 1}
    definition = {"slug": "cai-dat", "title": "Cài đặt", "rounds": rounds, "certificates": bad}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(definition), encoding="utf-8")

    output = app.test_cli_runner().invoke(args=["contests", "load", str(path)]).output

    for fragment in ("$.certificates.participants", "$.certificates.title", "$.certificates.logo",
                     "$.certificates.seal"):
        assert fragment in output
    load_contest(app, tmp_path, "cai-dat", rounds, certificates={"participants": True, "logo": png_data_url()})
    load_contest(app, tmp_path, "cai-dat", rounds)  # no "certificates": kept
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "cai-dat"))
        assert contest.certificate_participants and contest.certificate_logo
    load_contest(app, tmp_path, "cai-dat", rounds, certificates={"participants": False, "logo": None})
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "cai-dat"))
        assert not contest.certificate_participants and contest.certificate_logo is None


def test_an_organiser_sets_participants_title_and_logo_on_a_page_and_downloads_a_sample(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    import_bank(app, tmp_path, "bank-trang", simple_questions("tr", 2))
    load_contest(app, tmp_path, "trang-gcn", [{**round_definition(bank="bank-trang", count=2), "awards": AWARDS}],
                 **DOCUMENTS)
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", contest="trang-gcn")
    url = "/certificates/contests/trang-gcn/settings"
    assert url in organiser.get("/contests/manage/").get_data(as_text=True)
    logo = base64.b64decode(png_data_url().split(",", 1)[1])

    refused = organiser.post(url, data={"csrf_token": csrf_token(organiser), "title": "Giấy khen",
                                        "logo": (io.BytesIO(b"khong phai hinh"), "logo.png")},
                             content_type="multipart/form-data")
    assert refused.status_code == 422 and 'id="logo-error"' in refused.get_data(as_text=True)
    saved = organiser.post(url, data={"csrf_token": csrf_token(organiser), "participants": "y", "title": "Giấy khen",
                                      "logo": (io.BytesIO(logo), "con-dau.png")}, content_type="multipart/form-data")
    assert saved.status_code == 302

    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "trang-gcn"))
        assert contest.certificate_participants and contest.certificate_title == "Giấy khen"
        assert Image.open(io.BytesIO(contest.certificate_logo)).size == (320, 249)
    sample = organiser.get("/certificates/contests/trang-gcn/sample.pdf")
    text = pdf_text(sample.data)
    assert "GIẤY KHEN" in text and "GIẢI NHẤT" in text and "BAN TUYÊN GIÁO TỈNH ỦY" in text and "bản mẫu" in text
    assert len(PdfReader(io.BytesIO(sample.data)).pages[0].images) == 1
    # Removing the image keeps the rest.
    organiser.post(url, data={"csrf_token": csrf_token(organiser), "participants": "y", "remove_logo": "y"},
                   content_type="multipart/form-data")
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "trang-gcn"))
        assert contest.certificate_logo is None and contest.certificate_participants
        assert contest.certificate_title is None

    stranger = app.test_client()
    Accounts(app, stranger).login_as("organiser")  # an organiser, of another contest
    assert stranger.get(url).status_code in (403, 404)
    assert stranger.get("/certificates/contests/trang-gcn/sample.pdf").status_code in (403, 404)


def test_certificates_made_in_the_request_are_limited_per_account(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS, RATELIMIT_CERTIFICATE_PER_ACCOUNT="2 per minute")
    round_id, takers, _judge = locked_round(app, tmp_path, people=2)

    answers = [own(takers[0], round_id) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert own(takers[1], round_id).status_code == 200  # another account keeps its own allowance


@contextlib.contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL the block sends to the database."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def whole_snapshot_reads(seen: list[str]) -> list[str]:
    """Statements that select a round's whole snapshot or row digests (a slice read by
    ``substr`` is not one)."""
    return [statement for statement in seen if re.search(r"round_results\.(canonical_csv|row_digests)",
                                                          re.sub(r"substr\([^)]*\)", "", statement))]


def test_the_verification_page_and_a_reprint_never_load_the_snapshot(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, judge = locked_round(app, tmp_path)
    code = CODE.search(pdf_text(own(takers[0], round_id).data)).group(1)
    anonymous = app.test_client()

    with statements(app) as seen:
        pages = [anonymous.get(f"/certificates/{code}") for _ in range(3)]
        reprint = own(takers[0], round_id)

    assert [page.status_code for page in pages] == [200] * 3 and reprint.status_code == 200
    assert any("round_results" in statement for statement in seen)  # the checksum is read
    assert whole_snapshot_reads(seen) == []
    assert pages[0].headers["Cache-Control"] == "public, max-age=60"
    # A judge's page carries the revoke form and its CSRF token: never kept by a cache.
    assert judge.get(f"/certificates/{code}").headers["Cache-Control"] == "private, no-store"


def test_a_first_download_finds_the_row_from_the_place_and_reads_the_snapshot_in_slices(make_app, tmp_path,
                                                                                        monkeypatch):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, _judge = locked_round(app, tmp_path)

    with statements(app) as seen:
        nothing = own(takers[3], round_id)  # ranked, no award, the contest certifies winners only
    assert nothing.status_code == 404
    assert not [statement for statement in seen if "canonical_csv" in statement]

    with statements(app) as seen:
        text = pdf_text(own(takers[1], round_id).data)
    assert "GIẢI KHUYẾN KHÍCH" in text and "Người Dự Thi 1" in text
    assert whole_snapshot_reads(seen) == [] and any("substr" in statement.lower() for statement in seen)

    # Slices that cut rows and multi-byte letters in two give the same rows as the whole.
    monkeypatch.setattr(services, "SLICE", 7)
    with app.app_context():
        result = db.session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
        assert list(services.snapshot_rows_from_start(round_id)) == list(result.snapshot_rows())


def test_the_verification_page_is_limited_per_address(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS, RATELIMIT_CERTIFICATE_VERIFY_PER_IP="2 per minute")
    round_id, takers, _judge = locked_round(app, tmp_path, people=2)
    code = CODE.search(pdf_text(own(takers[0], round_id).data)).group(1)
    visitor = app.test_client()

    answers = [visitor.get(f"/certificates/{code}") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert "quá nhiều" in answers[2].get_data(as_text=True).lower()


def test_a_person_erased_while_the_zip_is_made_gets_no_certificate(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS)
    round_id, takers, _judge = locked_round(app, tmp_path)
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        # The job read its people before the second winner deleted their account.
        people = list(services.recipients(round_, locked_result(round_id), awards_only=True))
        assert [person.user_id for person in people] == [takers[0].user_id, takers[1].user_id]
        erase_person(db.session.get(User, takers[1].user_id), "deletion")
        db.session.commit()

        issued = list(services.issue(round_, people, settle=db.session.commit))

        assert [person.user_id for person, _certificate in issued] == [takers[0].user_id]
        assert db.session.scalar(select(Certificate).where(Certificate.user_id == takers[1].user_id)) is None


def test_the_zip_is_capped_and_a_new_edition_drops_the_old_file(make_app, tmp_path):
    app = make_app(**GENEROUS_LIMITS, CERTIFICATES_ZIP_MAX=2)
    round_id, takers, judge = locked_round(app, tmp_path)
    url = f"/judging/rounds/{round_id}/certificates.zip"
    assert download(judge, url).status_code == 200
    code = CODE.search(pdf_text(own(takers[1], round_id).data)).group(1)
    judge.post(f"/certificates/{code}/revoke", data={"csrf_token": csrf_token(judge), "reason": "Sai đơn vị"})

    again = download(judge, url)

    assert zipfile.ZipFile(io.BytesIO(again.data)).namelist() == ["001-giai-nhat-nguyen-thi-anh-tuyet.pdf"]
    with app.app_context():
        prefix = f"judging:round:{round_id}:certificates"
        kept = db.session.scalars(select(Job.key).where(Job.key.startswith(prefix))).all()
        assert len(kept) == 1  # the edition with the revoked certificate is gone

    app.config["CERTIFICATES_ZIP_MAX"] = 1
    refused = judge.get(url)
    assert refused.status_code == 409
    assert "quá 1 giấy cho một tệp ZIP" in refused.get_data(as_text=True)


def jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_logo_is_decoded_no_larger_than_it_needs(monkeypatch):
    # A phone's 12 MP photo of a seal decodes at an eighth of its size (JPEG draft) and is kept.
    decoded = []
    real_convert = Image.Image.convert
    monkeypatch.setattr(Image.Image, "convert", lambda self, *a, **k: decoded.append(self.size) or
                        real_convert(self, *a, **k))
    logo = Image.open(io.BytesIO(logos.png_of(jpeg((4000, 3000)))))
    assert logo.size == (320, 240) and max(width * height for width, height in decoded) <= 500 * 375
    # Other formats cannot be drafted: past 4 MP they are refused before a pixel is decoded.
    buffer = io.BytesIO()
    Image.new("RGB", (2100, 2000)).save(buffer, "PNG")
    with pytest.raises(logos.LogoInvalid, match="4 triệu điểm ảnh"):
        logos.png_of(buffer.getvalue())
