"""Bank files are parsed in time linear in their size, and a spreadsheet archive that would
cost the importer hundreds of MB is refused before it is read, as a file error that imports
nothing (DESIGN §3 rule 8)."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile

from openpyxl import Workbook
from sqlalchemy import func, select

from quizapp.banks.formats import parse_file
from quizapp.banks.models import Question
from quizapp.extensions import db
from tests.conftest import Accounts, csrf_token

# Far above what these files take when parsing is linear (a few seconds at most on a busy
# machine), far below what the quadratic parser took (minutes for 100,000 comment lines, over
# a minute for 150,000 answers).
SECONDS = 20
MIB = 1024 * 1024


def parsed_in_time(filename: str, data: bytes):
    started = time.perf_counter()
    result = parse_file(filename, data)
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"{filename}: {elapsed:.1f} s"
    return result


def test_gift_question_with_100000_comment_lines_parses_in_linear_time():
    data = ("::Q1:: Thủ đô của Việt Nam là?  {\n" + "// ghi chú của người soạn\n" * 100_000
            + "=Hà Nội\n~Huế\n}\n").encode()
    result = parsed_in_time("binh-luan.gift", data)
    assert result.errors == []
    assert [(question.line, question.text, question.options) for question in result.questions] == [
        (1, "Thủ đô của Việt Nam là?", ["Hà Nội", "Huế"])]


def test_gift_lines_after_100000_comment_lines_keep_their_numbers():
    data = ("Câu một? {\n" + "// ghi chú\n" * 100_000 + "=Đúng\n~Sai\n=Cũng đúng\n}\n\n"
            "Câu hai? {=A ~B}\n").encode()
    result = parsed_in_time("dong.gift", data)
    assert result.errors == [(100_004, "nhiều đáp án '='; câu nhiều lựa chọn dùng trọng số, ví dụ ~%50%")]


def test_gift_question_with_150000_answers_is_refused_in_linear_time():
    data = ("Câu hỏi? {\n" + "~sai\n" * 150_000 + "=Đúng\n}\n").encode()
    result = parsed_in_time("dap-an.gift", data)
    assert (1, "tối đa 8 phương án, có 150001") in result.errors and result.questions == []


# --- spreadsheets: the archive is checked before it is read ----------------------------------

HEADER = ["Chủ đề", "Câu hỏi", "A", "B", "C", "D", "Đáp án", "Giải thích"]
# ASCII: openpyxl writes other characters as references when lxml is installed.
MARK = "DANH-DAU-O-LON"


def workbook_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_big_cell(size: int) -> bytes:
    """A bank whose one question's explanation is ``size`` bytes of one letter, written in
    pieces so the test never holds it: the file itself is a few tens of KB."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([HEADER, ["Chung", "Câu hỏi?", "Có", "Không", "", "", "A",
                                                                    MARK]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if MARK.encode() not in content:
                target.writestr(item, content)
                continue
            before, after = content.split(MARK.encode())
            with target.open(item.filename, "w", force_zip64=True) as out:
                out.write(before)
                for _ in range(size // MIB):
                    out.write(b"a" * MIB)
                out.write(after)
    return buffer.getvalue()


def test_xlsx_cell_that_inflates_a_thousandfold_is_refused_before_it_is_read(app, runner, tmp_path):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(with_big_cell(40 * MIB))
    assert path.stat().st_size < MIB // 2
    tracemalloc.start()
    try:
        result = parse_file(path.name, path.read_bytes())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [line for line, _message in result.errors] == [0] and result.questions == []
    assert "tệp Excel bị nén bất thường" in result.errors[0][1]
    assert peak < 8 * MIB, f"{peak / MIB:.0f} MB"

    imported = runner.invoke(args=["banks", "import", str(path), "--bank", "bom"])
    assert imported.exit_code == 1
    assert f"{path}:0: tệp Excel bị nén bất thường" in imported.stderr
    assert bank_rows(app) == 0


def test_xlsx_past_the_uncompressed_bound_is_refused_on_the_upload_page(make_app):
    app = make_app(BANK_XLSX_MAX_UNCOMPRESSED_BYTES=MIB // 2)
    rng = random.Random(11)
    vocabulary = ["".join(rng.choice("abcdeghiklmnopqrstuvxy") for _ in range(6)) for _ in range(300)]

    def words(count: int) -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(count))

    rows = [HEADER] + [["Chung", f"Câu {number}: {words(12)}?", words(4), words(4), words(4), words(4), "A",
                        words(20)] for number in range(1200)]
    data = workbook_bytes(rows)
    # Questions an old file of this size held, compressed like any spreadsheet (kept in memory
    # by the test client: under 500 KB).
    inflated = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert inflated > MIB // 2 and len(data) < 400 * 1024 and inflated < 10 * len(data)
    client = app.test_client()
    Accounts(app, client).login_as("organiser")
    response = client.post("/banks/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO(data), "lon.xlsx"), "bank": "", "csrf_token": csrf_token(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "lon.xlsx:0: tệp Excel khi giải nén chiếm" in html and "quá mức cho phép (0,5 MB)" in html
    assert 'name="token"' not in html and bank_rows(app) == 0


def test_xlsx_with_too_many_members_is_refused(tmp_path):
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([HEADER, ["Chung", "Câu hỏi?", "Có", "Không", "", "", "A",
                                                                 ""]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        for number in range(1200):
            target.writestr(f"xl/media/rac{number}.bin", b"")
    result = parse_file("nhieu-phan.xlsx", buffer.getvalue())
    assert result.errors == [(0, "tệp Excel có 1.209 thành phần, quá mức cho phép (1.000); "
                                 "hãy chép bảng câu hỏi sang một tệp mới")]


def test_xlsx_with_more_cells_than_allowed_is_refused(make_app):
    app = make_app(BANK_XLSX_MAX_CELLS=100)
    rows = [HEADER] + [["Chung", f"Câu {number}?", "Có", "Không", "", "", "A", ""] for number in range(20)]
    with app.app_context():
        result = parse_file("nhieu-o.xlsx", workbook_bytes(rows))
    assert [line for line, _message in result.errors] == [0] and result.questions == []
    assert result.errors[0][1].startswith("trang tính đầu tiên có hơn 100 ô")
    # The same file is read whole where the bound is the default.
    assert parse_file("nhieu-o.xlsx", workbook_bytes(rows)).errors == []


def bank_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Question))
