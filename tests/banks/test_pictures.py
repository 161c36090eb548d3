"""Pictures in questions: stored once, imported per question, served with long caching, shown
on the attempt and bank pages, replaced without changing what attempts drew, exported."""

from __future__ import annotations

import gzip
import hashlib
import io
import re

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from quizapp.audit import AuditEvent
from quizapp.banks import services
from quizapp.banks.formats.common import ParsedQuestion, ParseResult
from quizapp.banks.models import Bank, Picture, Question, QuestionVersion
from quizapp.extensions import db
from tests.attempt_support import install_clock, one_round, sign_up, simple_questions
from tests.banks.picture_support import coloured, photo
from tests.conftest import csrf_token

RED, BLUE, GREEN = coloured((200, 0, 0)), coloured((0, 0, 200)), coloured((0, 150, 0))
URL = re.compile(r"^/pictures/([0-9a-f]{64})\.jpg$")


def parsed(line: int | str, number: int, picture: bytes | None = None) -> ParsedQuestion:
    return ParsedQuestion(line=line, topic="Bản đồ", text=f"Hình {number} là tỉnh nào?",
                          options=[f"Tỉnh {number}A", f"Tỉnh {number}B"], correct={0}, multiple=False,
                          picture=picture, picture_name=f"image{number}.png" if picture else None)


@pytest.fixture
def parses(monkeypatch):
    """Make ``import_bank_file`` read the given questions, as the Word and xlsx readers will
    once they put each question's image bytes into ``ParsedQuestion.picture``."""

    def install(*questions: ParsedQuestion) -> None:
        monkeypatch.setattr(services, "parse_file", lambda *_args, **_kwargs: ParseResult(questions=list(questions)))

    return install


def picture_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Picture))


# --- storage and import ---------------------------------------------------------------------


def test_import_stores_each_picture_once_and_links_it_to_its_questions(app, parses):
    parses(parsed("Câu 1", 1, RED), parsed("Câu 2", 2, RED), parsed("Câu 3", 3, BLUE), parsed("Câu 4", 4))
    with app.app_context():
        report = services.import_bank_file("ban-do.docx", b"", slug="ban-do")
        db.session.commit()
        assert [line for line, _described in report.pictures] == ["Câu 1", "Câu 2", "Câu 3"]
        assert re.fullmatch(r"\d+ KB, 300×200", report.pictures[0][1]) and report.picture_problems == []
        questions = db.session.scalars(select(Question).order_by(Question.id)).all()
        first, second, third, fourth = questions
        assert first.picture_id == second.picture_id != third.picture_id and fourth.picture_id is None
        stored = db.session.get(Picture, first.picture_id)
        assert stored.sha256 == hashlib.sha256(stored.data).hexdigest() and stored.content_type == "image/jpeg"
        assert (stored.width, stored.height, stored.byte_size) == (300, 200, len(stored.data))
        # Revision 1 of each question shows its picture.
        versions = dict(db.session.execute(select(QuestionVersion.question_id, QuestionVersion.picture_id)).all())
        assert [versions[question.id] for question in questions] == [question.picture_id for question in questions]
    assert picture_count(app) == 2

    # Another bank with the same map stores nothing new.
    parses(parsed(5, 5, BLUE))
    with app.app_context():
        services.import_bank_file("khac.csv", b"", slug="khac")
        db.session.commit()
    assert picture_count(app) == 2


def test_a_dry_run_says_which_questions_have_pictures_and_stores_none(app, parses):
    parses(parsed("Câu 1", 1, RED), parsed("Câu 2", 2))
    with app.app_context():
        report = services.import_bank_file("ban-do.docx", b"", slug="ban-do", dry_run=True)
        db.session.commit()
    assert [line for line, _described in report.pictures] == ["Câu 1"]
    first, second = (item.question for item in report.preview)
    assert f"hình sau khi nén: {report.pictures[0][1]}" in first.notes
    assert not any("hình" in note for note in second.notes)
    assert picture_count(app) == 0


def test_a_picture_that_cannot_be_imported_is_reported_on_its_question_and_the_rest_imports(app, parses, runner,
                                                                                             tmp_path):
    parses(parsed("Câu 11", 11, RED), parsed("Câu 12", 12, b"<w:pict>not an image</w:pict>"))
    path = tmp_path / "ban-do.docx"
    path.write_bytes(b"")
    result = runner.invoke(args=["banks", "import", str(path), "--bank", "ban-do"])
    assert result.exit_code == 0, result.output
    assert f"{path}:Câu 12: không nhập được hình: tệp không phải hình ảnh" in result.output
    assert f"{path}:Câu 11: có hình (" in result.output
    assert "1 câu có hình; 1 câu không nhập được hình" in result.output
    with app.app_context():
        pictured = dict(db.session.execute(select(Question.text, Question.picture_id)).all())
    assert pictured["Hình 11 là tỉnh nào?"] is not None and pictured["Hình 12 là tỉnh nào?"] is None


def test_the_upload_preview_lists_pictures_and_the_questions_whose_picture_failed(client, auth, parses):
    parses(parsed("Câu 1", 1, RED), parsed("Câu 2", 2, b"GIF89a broken"), parsed("Câu 3", 3))
    auth.login_as("organiser")
    response = client.post("/banks/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"x"), "ban-do.csv"), "bank": "", "csrf_token": csrf_token(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 câu có hình" in html and "1 câu không nhập được hình" in html
    assert "Câu 2: không nhập được hình: tệp không phải hình ảnh" in html
    assert re.search(r"Câu 1: \d+ KB, 300×200", html)
    # The question's own row says so too, and no longer that it has a picture.
    row = next(row for row in re.findall(r"<tr><td>Câu 2</td>.*?</tr>", html))
    assert "không nhập được hình image2.png: tệp không phải hình ảnh" in row and "Có hình" not in row


def test_copying_a_bank_keeps_its_pictures(app, client, auth, parses):
    parses(parsed(1, 1, RED))
    with app.app_context():
        services.import_bank_file("ban-do.csv", b"", slug="ban-do")
        db.session.commit()
    auth.login_as("organiser")
    response = client.post("/banks/ban-do/copy", data={"new_slug": "ban-do-cua-toi", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    with app.app_context():
        copy = db.session.scalar(select(Bank).where(Bank.slug == "ban-do-cua-toi"))
        question = db.session.scalar(select(Question).where(Question.bank_id == copy.id))
        assert question.picture is not None and services.current_version(question).picture_id == question.picture_id
    assert picture_count(app) == 1


# --- serving --------------------------------------------------------------------------------


def stored_name(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Picture.sha256))


def test_a_picture_is_served_to_anyone_with_year_long_immutable_caching_and_no_cookie(app, client, parses):
    parses(parsed(1, 1, RED))
    with app.app_context():
        services.import_bank_file("ban-do.csv", b"", slug="ban-do")
        db.session.commit()
        stored = db.session.scalar(select(Picture))
        name, data = stored.sha256, stored.data
    response = client.get(f"/pictures/{name}.jpg")
    assert response.status_code == 200 and response.get_data() == data
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"] == f'"{name}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # A shared cache keeps it for everyone: it must not carry anyone's cookie.
    assert "Set-Cookie" not in response.headers
    again = client.get(f"/pictures/{name}.jpg", headers={"If-None-Match": f'"{name}"'})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", [
    "/pictures/", "/pictures", "/pictures/" + "0" * 64 + ".jpg", "/pictures/abc.jpg",
    "/pictures/" + "A" * 64 + ".jpg", "/pictures/1.jpg",
])
def test_no_listing_and_no_guessing(client, path):
    assert client.get(path).status_code == 404


# --- attempts -------------------------------------------------------------------------------


@pytest.fixture
def pictured_round(app, tmp_path):
    """An open round drawing all four questions of a bank; the first two have pictures."""
    install_clock(app)
    round_id = one_round(app, tmp_path, "anh", questions=simple_questions("anh", 4))
    with app.app_context():
        questions = db.session.scalars(select(Question).order_by(Question.id)).all()
        services.set_picture(questions[0], photo(1600, 1200))
        services.set_picture(questions[1], RED)
        db.session.commit()
        ids = [question.id for question in questions]
    return round_id, ids


def picture_urls(attempt: dict) -> dict[int, str | None]:
    return {question["id"]: question["picture"] for question in attempt["questions"]}


def test_the_attempt_json_and_page_carry_each_questions_picture(app, pictured_round):
    round_id, ids = pictured_round
    taker = sign_up(app)
    attempt = taker.started(round_id)
    urls = picture_urls(attempt)
    with app.app_context():
        expected = {question.id: question.picture for question in db.session.scalars(select(Question))}
        for question in attempt["questions"]:
            picture = expected[question["id"]]
            if picture is None:
                assert question["picture"] is None and question["picture_width"] is None
            else:
                assert URL.fullmatch(question["picture"]).group(1) == picture.sha256
                assert (question["picture_width"], question["picture_height"]) == (picture.width, picture.height)
    assert sum(url is not None for url in urls.values()) == 2
    # The attempt page shows the picture of the question it shows, lazily, with its size.
    for number, question in enumerate(attempt["questions"], 1):
        html = taker.client.get(f"/contests/attempts/{attempt['id']}?q={number}").get_data(as_text=True)
        images = re.findall(r"<img [^>]*>", html)
        if question["picture"] is None:
            assert images == []
        else:
            (image,) = images
            assert f'src="{question["picture"]}"' in image and 'loading="lazy"' in image
            assert f'width="{question["picture_width"]}"' in image
            assert f'height="{question["picture_height"]}"' in image
    # The picture is served to the taker's phone.
    some = next(url for url in urls.values() if url)
    assert taker.client.get(some).headers["Content-Type"] == "image/jpeg"


def test_a_replaced_picture_stays_with_the_attempt_that_drew_it(app, client, auth, pictured_round):
    round_id, ids = pictured_round
    first = sign_up(app)
    attempt = first.started(round_id)
    before = picture_urls(attempt)[ids[1]]
    assert before is not None

    # The organiser replaces the second question's picture and removes the first one's.
    with app.app_context():
        questions = {question.id: question for question in db.session.scalars(select(Question))}
        services.set_picture(questions[ids[1]], BLUE)
        services.set_picture(questions[ids[0]], None)
        db.session.commit()

    kept = first.attempt(attempt["id"]).get_json()
    assert picture_urls(kept) == picture_urls(attempt)
    assert first.client.get(before).status_code == 200  # the old picture is still served

    second = sign_up(app).started(round_id)
    now = picture_urls(second)
    assert now[ids[1]] not in (None, before) and now[ids[0]] is None


def test_the_review_shows_the_pictures_of_the_attempt(app, tmp_path):
    install_clock(app)
    round_id = one_round(app, tmp_path, "xem", questions=simple_questions("xem", 2), review="after_submit",
                         practice=True, time_limit=None)
    with app.app_context():
        question = db.session.scalars(select(Question).order_by(Question.id)).first()
        services.set_picture(question, RED)
        db.session.commit()
        name = question.picture.sha256
    taker = sign_up(app)
    attempt = taker.started(round_id)
    assert taker.submit(attempt["id"]).status_code == 200
    html = taker.client.get(f"/contests/attempts/{attempt['id']}/result").get_data(as_text=True)
    (image,) = re.findall(r"<img [^>]*>", html)
    assert f'src="/pictures/{name}.jpg"' in image and 'loading="lazy"' in image


def test_an_attempt_page_with_a_picture_stays_within_the_page_budget(app, pictured_round):
    # DESIGN §7: pictures are outside the 30 KB budget because they load lazily; the page,
    # its CSS and its script stay within it.
    round_id, ids = pictured_round
    taker = sign_up(app)
    attempt = taker.started(round_id)
    number = next(index for index, question in enumerate(attempt["questions"], 1) if question["picture"])
    html = taker.client.get(f"/contests/attempts/{attempt['id']}?q={number}").get_data(as_text=True)
    (image,) = re.findall(r"<img [^>]*>", html)
    assert 'loading="lazy"' in image
    bodies = [html.encode()]
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
    for asset in assets:
        response = taker.client.get(asset)
        bodies.append(response.get_data())
        response.close()
    total = sum(len(gzip.compress(body, compresslevel=9)) for body in bodies)
    print(f"attempt page with a picture + CSS + JS: {total} bytes gzip-compressed (pictures apart)")
    assert total <= 30_000
    # Each picture is within its own cap.
    for url in filter(None, picture_urls(attempt).values()):
        assert len(taker.client.get(url).get_data()) <= 60 * 1024


# --- the organiser's question page ----------------------------------------------------------


@pytest.fixture
def own_question(app, client, auth, parses):
    auth.login_as("organiser")
    parses(parsed(1, 1))
    response = client.post("/banks/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"x"), "ban-do.csv"), "bank": "", "csrf_token": csrf_token(client)})
    token = re.search(r'name="token" value="([0-9a-f]{32})"', response.get_data(as_text=True)).group(1)
    client.post("/banks/upload/confirm", data={"token": token, "csrf_token": csrf_token(client)})
    with app.app_context():
        return db.session.scalar(select(Question.id))


def post_picture(client, question_id: int, data: bytes | None = None, **fields):
    form = {"csrf_token": csrf_token(client), **fields}
    if data is not None:
        form["picture"] = (io.BytesIO(data), "anh.png")
    return client.post(f"/banks/ban-do/questions/{question_id}/picture", data=form,
                       content_type="multipart/form-data")


def test_the_organiser_adds_replaces_and_removes_a_picture_each_a_new_revision_audit_logged(app, client,
                                                                                           own_question):
    page = client.get(f"/banks/ban-do/questions/{own_question}").get_data(as_text=True)
    assert "Câu hỏi chưa có hình." in page and 'enctype="multipart/form-data"' in page

    # Under 500 KB: the test client spools a bigger body to a file it never closes.
    big = photo(1000, 750, quality=80)
    assert len(big) < 500_000
    response = post_picture(client, own_question, big)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu hình của câu hỏi." in page and "Xoá hình" in page
    (image,) = re.findall(r'<img [^>]*class="qpicture"[^>]*>', page)
    assert 'loading="lazy"' in image and 'width="720"' in image and 'height="540"' in image
    assert "/pictures/" in client.get("/banks/ban-do").get_data(as_text=True)

    assert post_picture(client, own_question, GREEN).status_code == 302
    assert post_picture(client, own_question, remove="1").status_code == 302
    with app.app_context():
        question = db.session.get(Question, own_question)
        assert question.picture is None and question.revision == 4
        versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == own_question)
                                      .order_by(QuestionVersion.revision)).all()
        assert [version.picture_id is not None for version in versions] == [False, True, True, False]
        assert versions[1].picture_id != versions[2].picture_id
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "question.picture_changed")
                                    .order_by(AuditEvent.id)).all()
        assert [(event.before["picture"] is None, event.after["picture"] is None) for event in events] == [
            (True, False), (False, False), (False, True)]


def test_a_file_that_is_not_a_picture_gets_its_error_next_to_the_field_and_changes_nothing(app, client,
                                                                                          own_question):
    response = post_picture(client, own_question, b"%PDF-1.4 hello")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'class="field-error" id="picture-error">Không nhập được hình: tệp không phải hình ảnh', html)
    # The question's own form still shows the question.
    assert "Hình 1 là tỉnh nào?" in html
    missing = post_picture(client, own_question)
    assert missing.status_code == 422 and "Vui lòng chọn tệp hình." in missing.get_data(as_text=True)
    with app.app_context():
        question = db.session.get(Question, own_question)
        assert question.picture_id is None and question.revision == 1
    assert picture_count(app) == 0


def test_another_organisers_bank_refuses_a_picture(app, client, auth, own_question):
    auth.logout()
    auth.login_as("organiser")
    assert post_picture(client, own_question, RED).status_code in (403, 404)
    assert picture_count(app) == 0


# --- export ---------------------------------------------------------------------------------


def test_export_anchors_each_picture_in_its_row_under_hinh_anh(app, parses):
    parses(parsed(1, 1, RED), parsed(2, 2), parsed(3, 3, BLUE))
    buffer = io.BytesIO()
    with app.app_context():
        services.import_bank_file("ban-do.csv", b"", slug="ban-do")
        db.session.commit()
        bank = db.session.scalar(select(Bank))
        assert services.export_bank_xlsx(bank, buffer) == 3
        stored = {question.text: question.picture.data if question.picture else None
                  for question in db.session.scalars(select(Question))}
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    header = [cell.value for cell in sheet[1]]
    column = header.index(services.PICTURE_HEADER)
    assert column == len(header) - 1
    rows = {anchor_row + 1: image for image in sheet._images
            for anchor_row in [image.anchor._from.row]}
    assert sorted(rows) == [2, 4]
    for row, image in rows.items():
        assert image.anchor._from.col == column
        text = sheet.cell(row=row, column=header.index("Câu hỏi") + 1).value
        data = image._data()
        assert data == stored[text] and Image.open(io.BytesIO(data)).format == "JPEG"
    assert sheet.row_dimensions[2].height and not sheet.row_dimensions[3].height


def test_a_bank_without_pictures_exports_the_same_columns_as_before(app, parses):
    parses(parsed(1, 1))
    buffer = io.BytesIO()
    with app.app_context():
        services.import_bank_file("ban-do.csv", b"", slug="ban-do")
        services.export_bank_xlsx(db.session.scalar(select(Bank)), buffer)
    header = [cell.value for cell in load_workbook(io.BytesIO(buffer.getvalue())).active[1]]
    assert services.PICTURE_HEADER not in header


def test_a_picture_another_request_stored_meanwhile_is_reused(app, monkeypatch):
    from quizapp.banks import pictures

    processed = pictures.process(RED)
    with app.app_context():
        pictures.store(processed)
        db.session.commit()
    # This request looked before the other one committed: it saw no row.
    real_scalar = db.session.scalar
    looks = []

    def first_look_misses(statement, *args, **kwargs):
        if not looks:
            looks.append(statement)
            return None
        return real_scalar(statement, *args, **kwargs)

    with app.app_context():
        monkeypatch.setattr(db.session, "scalar", first_look_misses)
        row = pictures.store(processed)
        assert row.sha256 == processed.sha256
        db.session.commit()
    assert picture_count(app) == 1


def test_an_exported_bank_with_pictures_imports_back_with_the_same_pictures(app, parses, monkeypatch):
    parses(parsed(1, 1, RED), parsed(2, 2), parsed(3, 3, photo(1200, 900)))
    buffer = io.BytesIO()
    with app.app_context():
        services.import_bank_file("ban-do.csv", b"", slug="ban-do")
        db.session.commit()
        services.export_bank_xlsx(db.session.scalar(select(Bank)), buffer)
        before = {question.text: question.picture.sha256 if question.picture else None
                  for question in db.session.scalars(select(Question))}
    monkeypatch.undo()  # the real reader from here on
    with app.app_context():
        report = services.import_bank_file("ban-do-2.xlsx", buffer.getvalue(), slug="ban-do-2")
        db.session.commit()
        assert report.created == 3 and report.picture_problems == []
        bank = db.session.scalar(select(Bank).where(Bank.slug == "ban-do-2"))
        after = {question.text: question.picture.sha256 if question.picture else None
                 for question in db.session.scalars(select(Question).where(Question.bank_id == bank.id))}
    # A stored picture is already within every limit: processed again, it is the same picture.
    assert after == before
    assert picture_count(app) == 2

