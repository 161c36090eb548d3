"""The upload preview shows every question of the file in one compact table: its place, topic,
options with the correct ones marked, the detected marking, the importer's notes, a picture
indicator and a fixed-order checkbox the organiser may change before confirming; above it the
file's notes and the counts per topic; below it the questions already in the bank."""

from __future__ import annotations

import csv
import io
import re
import time
from html import unescape

from sqlalchemy import select

from quizapp.banks import services
from quizapp.banks.formats.common import ParsedQuestion, ParseResult, check_all
from quizapp.banks.models import Question
from quizapp.extensions import db
from tests.banks.test_bank_pages import counts, upload
from tests.conftest import csrf_token

HEADER = ["Chủ đề", "Câu hỏi", "A", "B", "C", "D", "Đáp án"]


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([HEADER, *rows])
    return buffer.getvalue().encode()


def numbered(count: int, topic: str = "Lịch sử") -> list[list[str]]:
    return [[topic, f"Câu hỏi số {number} về lịch sử?", f"Một {number}", f"Hai {number}", f"Ba {number}",
             f"Bốn {number}", "B"] for number in range(1, count + 1)]


def table(html: str, table_id: str) -> list[list[str]]:
    """The rows of the table ``table_id`` as the text of their cells."""
    body = re.search(rf'<table id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def boxes(html: str) -> dict[str, bool]:
    """Fixed-order checkboxes: question number → ticked."""
    return {value: "checked" in tag for tag, value in
            re.findall(r'(<input type="checkbox" name="fixed_order" value="(\d+)"[^>]*>)', html)}


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', html).group(1)


def test_every_question_is_shown_with_its_answers_notes_and_order(client, app, auth):
    auth.login_as("organiser")
    rows = [
        *numbered(7),
        ["Đoàn", "Nhiệm vụ của đoàn viên?", "Học tập", "Rèn luyện", "Lao động", "Tất cả các ý trên", "D"],
        ["Đoàn", "Chọn các tổ chức chính trị - xã hội?", "Đoàn Thanh niên", "Hội Nông dân", "Công ty", "Trường học",
         "A,B"],
    ]
    response = upload(client, csv_bytes(rows), "lich-su.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    questions = table(html, "questions")
    assert len(questions) == 9  # all of them, not the first five
    assert questions[0] == ["dòng 2", "Lịch sử", "Câu hỏi số 1 về lịch sử? A. Một 1 · B. Hai 1 ✔ · C. Ba 1 · D. Bốn 1",
                            "B", "", "", ""]
    fixed = questions[7]
    assert fixed[:2] == ["dòng 9", "Đoàn"] and fixed[3] == "D"
    assert fixed[5].startswith("giữ nguyên thứ tự phương án: phương án D \"Tất cả các ý trên\"")
    assert questions[8][3] == "A, B (nhiều đáp án)"
    assert boxes(html) == {**{str(number): False for number in range(7)}, "7": True, "8": False}
    assert table(html, "topics") == [["Lịch sử", "7", "0"], ["Đoàn", "2", "0"]]
    assert 'id="skipped"' not in html


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


MAP_PNG = _png(40, 30)


def test_marking_picture_and_file_notes_from_the_parser_are_shown(client, app, auth, monkeypatch):
    """What the Word reader fills (marking, picture, notes) reaches the page."""
    def parsed(_filename: str, _data: bytes, _key=None) -> ParseResult:
        result = ParseResult(notes=["nhận dạng đáp án: chữ đậm (94 câu)"])
        result.questions.append(ParsedQuestion(
            line="Câu 12", topic="Bản đồ", text="Tỉnh nào được tô màu trên bản đồ?", options=["Hà Giang", "Cao Bằng"],
            correct={1}, multiple=False, marking="chữ đậm", picture=MAP_PNG, picture_name="image3.png",
            notes=["đã bỏ số thứ tự 'Câu 12:'"]))
        return check_all(result)

    monkeypatch.setattr(services, "parse_file", parsed)
    auth.login_as("organiser")
    html = upload(client, b"ignored", "de-thi.csv").get_data(as_text=True)
    assert re.search(r'<ul id="file-notes"><li>nhận dạng đáp án: chữ đậm \(94 câu\)</li></ul>', html)
    assert table(html, "questions") == [[
        "Câu 12", "Bản đồ", "Tỉnh nào được tô màu trên bản đồ? A. Hà Giang · B. Cao Bằng ✔", "B", "chữ đậm",
        "Có hình (image3.png); đã bỏ số thứ tự 'Câu 12:'; hình sau khi nén: 1 KB, 40×30", ""]]


def test_known_questions_are_listed_as_skipped_and_counted_per_topic(client, app, auth):
    auth.login_as("organiser")
    first = upload(client, csv_bytes(numbered(3)), "lich-su.csv").get_data(as_text=True)
    client.post("/banks/upload/confirm", data={"token": token_of(first), "csrf_token": csrf_token(client)})
    assert counts(app) == (1, 3, 12)
    again = numbered(3)
    again[1][6] = "C"  # the file now says another key for question 2
    again.append(["Văn hóa", "Câu hỏi mới?", "Một", "Hai", "Ba", "Bốn", "A"])
    html = upload(client, csv_bytes(again), "lich-su.csv", bank="lich-su").get_data(as_text=True)
    with app.app_context():
        ids = db.session.scalars(select(Question.id).order_by(Question.id)).all()
    assert "<strong>1</strong> câu hỏi mới, 3 câu đã có sẽ bỏ qua" in html
    assert table(html, "topics") == [["Văn hóa", "1", "0"], ["Lịch sử", "0", "3"]]
    assert table(html, "skipped") == [
        ["dòng 2", "Câu hỏi số 1 về lịch sử?", f"số {ids[0]}", ""],
        ["dòng 3", "Câu hỏi số 2 về lịch sử?", f"số {ids[1]}",
         f"đáp án trong tệp khác đáp án của câu số {ids[1]} trong ngân hàng; giữ đáp án đang có, sửa câu đó trên "
         "trang ngân hàng nếu cần"],
        ["dòng 4", "Câu hỏi số 3 về lịch sử?", f"số {ids[2]}", ""],
    ]
    assert [row[1] for row in table(html, "questions")] == ["Văn hóa"]
    assert boxes(html) == {"3": False}  # numbered by place in the file


def test_the_fixed_order_checkboxes_are_carried_into_the_import(client, app, auth):
    auth.login_as("organiser")
    rows = [
        ["Đoàn", "Nhiệm vụ của đoàn viên?", "Học tập", "Rèn luyện", "Lao động", "Tất cả các ý trên", "D"],
        ["Đoàn", "Các bước theo đúng trình tự?", "Bước một", "Bước hai", "Bước ba", "Bước bốn", "A"],
        ["Đoàn", "Câu hỏi thường?", "Một", "Hai", "Ba", "Bốn", "A"],
    ]
    html = upload(client, csv_bytes(rows), "doan.csv").get_data(as_text=True)
    assert boxes(html) == {"0": True, "1": False, "2": False}
    # The organiser unticks the detected one and ticks the second; a stray value is ignored.
    confirm = client.post("/banks/upload/confirm", data={
        "token": token_of(html), "fixed_order": ["1", "99", "x"], "csrf_token": csrf_token(client)})
    assert confirm.status_code == 302
    with app.app_context():
        stored = dict(db.session.execute(select(Question.text, Question.fixed_order)).all())
    assert stored == {"Nhiệm vụ của đoàn viên?": False, "Các bước theo đúng trình tự?": True, "Câu hỏi thường?": False}


def test_a_preview_of_two_thousand_questions_stays_light(client, app, auth):
    auth.login_as("organiser")
    rows = [[f"Chủ đề {number % 10}", f"Câu hỏi số {number} về pháp luật Việt Nam, điều nào đúng?",
             f"Phương án thứ nhất {number}", f"Phương án thứ hai {number}", f"Phương án thứ ba {number}",
             "Tất cả các ý trên" if number % 20 == 0 else f"Bốn {number}", "A"] for number in range(1, 2001)]
    started = time.perf_counter()
    response = upload(client, csv_bytes(rows), "lon.csv")
    seconds = time.perf_counter() - started
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(table(html, "questions")) == 2000
    assert sum(boxes(html).values()) == 100
    words = sum(len(cell.encode()) for row in rows for cell in row[:6])
    overhead = (len(response.data) - words) / len(rows)
    print(f"preview of 2,000 questions: {len(response.data) / 1024:.0f} KiB ({words / 1024:.0f} KiB of their "
          f"words, {overhead:.0f} bytes of markup each), {seconds:.2f} s")
    assert overhead < 260
