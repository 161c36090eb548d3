"""A question is its stem and its options (docs/bank-formats.md, "Identity"): two real questions
sharing a stem both import; the same question twice in a file is an error naming both places;
a question already in the bank is skipped and counted, never silently; migration 0011
recomputes the identity of the questions already stored, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from quizapp.banks.formats import parse_file
from quizapp.banks.formats.common import identity_text, question_hash
from quizapp.banks.models import Bank, Question
from quizapp.extensions import db
from tests.banks.test_bank_import import bank_questions, import_file
from tests.conftest import Accounts, csrf_token

SHARED = "Nhận định nào sau đây là đúng?"


def aiken(path: Path, *questions: tuple[str, list[str], str]) -> Path:
    lines = []
    for stem, options, answer in questions:
        lines += [stem, *(f"{'ABCDEFGH'[index]}. {option}" for index, option in enumerate(options)),
                  f"ANSWER: {answer}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_identity_ignores_case_spacing_marks_and_option_order_but_not_the_options():
    same = question_hash("Nhận định nào sau đây là đúng?", ["Một", "Hai"])
    assert question_hash(unicodedata.normalize("NFD", "NHẬN ĐỊNH nào  sau đây là đúng ?"), ["hai", " Một"]) == same
    assert question_hash(SHARED, ["Một", "Ba"]) != same
    assert question_hash(SHARED, ["Một", "Hai", "Ba"]) != same
    # The parts cannot run into each other.
    assert question_hash("a", ["b c", "d"]) != question_hash("a b", ["c", "d"])
    assert identity_text("Ai là  người đầu tiên : Bác Hồ ?") == "ai là người đầu tiên: bác hồ?"


def test_questions_sharing_a_stem_both_import(app, runner, tmp_path):
    path = aiken(tmp_path / "nhan-dinh.txt",
                 (SHARED, ["Đảng lãnh đạo Nhà nước", "Nhà nước lãnh đạo Đảng"], "A"),
                 (SHARED, ["Quốc hội do Chính phủ bầu", "Quốc hội do nhân dân bầu"], "B"))
    result = import_file(runner, path, "--bank", "nhan-dinh")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Đã nhập 2 câu hỏi mới vào ngân hàng nhan-dinh (ngân hàng mới)."
    assert [question.text for question in bank_questions(app, "nhan-dinh")] == [SHARED, SHARED]
    # Each says in the preview that another question of the file has its stem.
    parsed = parse_file("nhan-dinh.txt", path.read_bytes())
    assert parsed.questions[0].notes == []
    assert parsed.questions[1].notes == ["cùng câu hỏi với câu ở dòng 1 nhưng khác phương án: nhập thành câu riêng"]


def test_a_true_duplicate_in_one_file_is_refused_naming_both_places(app, runner, tmp_path):
    path = aiken(tmp_path / "trung.txt",
                 (SHARED, ["Một", "Hai"], "A"),
                 ("Câu khác?", ["Ba", "Bốn"], "A"),
                 ("nhận định nào sau đây là đúng ?", ["Hai", "Một"], "B"),
                 (SHARED, ["Một", "Hai"], "B"))
    result = import_file(runner, path, "--bank", "trung")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"{path}:11: câu hỏi trùng với câu ở dòng 1 (cùng câu hỏi và phương án)",
        f"{path}:16: câu hỏi trùng với câu ở dòng 1 (cùng câu hỏi và phương án), nhưng đáp án khác nhau",
    ]
    with app.app_context():
        assert db.session.scalar(select(Bank)) is None


def test_across_imports_a_known_question_is_skipped_and_counted_never_a_different_one(app, runner, tmp_path):
    first = aiken(tmp_path / "dot-1.txt", (SHARED, ["Một", "Hai"], "A"), ("Câu hỏi thứ hai?", ["Ba", "Bốn"], "A"))
    assert import_file(runner, first, "--bank", "hai-dot").exit_code == 0
    second = aiken(tmp_path / "dot-2.txt",
                   (SHARED, ["Hai", "Một"], "B"),            # the same question, same key: skipped
                   ("CÂU HỎI THỨ HAI ?", ["Bốn", "Ba"], "A"),  # the same question, another key: skipped, said
                   (SHARED, ["Một", "Ba"], "A"))              # the same stem, other options: a new question
    result = import_file(runner, second, "--bank", "hai-dot")
    assert result.exit_code == 0, result.output
    with app.app_context():
        ids = dict(db.session.execute(select(Question.text, Question.id).order_by(Question.id.desc())).all())
    lines = result.stdout.splitlines()
    assert lines[0] == "Đã nhập 1 câu hỏi mới vào ngân hàng hai-dot."
    assert [line for line in lines if line.startswith(str(second)) and ": ghi chú: " not in line] == [
        f"{second}:1: đã có trong ngân hàng, bỏ qua: {SHARED}",
        f"{second}:6: đã có trong ngân hàng, bỏ qua: CÂU HỎI THỨ HAI ? (đáp án trong tệp khác đáp án của câu số "
        f"{ids['Câu hỏi thứ hai?']} trong ngân hàng; giữ đáp án đang có, sửa câu đó trên trang ngân hàng nếu cần)",
    ]
    assert lines[-1] == "Bỏ qua 2 câu đã có."
    stored = bank_questions(app, "hai-dot")
    assert [(question.text, question.options) for question in stored] == [
        (SHARED, ("Một", "Hai")), ("Câu hỏi thứ hai?", ("Ba", "Bốn")), (SHARED, ("Một", "Ba"))]


def test_an_edit_that_makes_a_question_identical_to_another_is_refused(app, runner, tmp_path):
    path = aiken(tmp_path / "sua.txt", (SHARED, ["Một", "Hai"], "A"), (SHARED, ["Một", "Ba"], "A"))
    assert import_file(runner, path, "--bank", "sua").exit_code == 0
    with app.app_context():
        first, second = db.session.scalars(select(Question.id).order_by(Question.id)).all()
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    form = {"topic": "Chung", "text": SHARED, "option_a": "Hai", "option_b": "một", "correct": ["A"],
            "csrf_token": csrf_token(admin)}
    refused = admin.post(f"/banks/sua/questions/{second}", data=form)
    assert refused.status_code == 422
    assert (f"câu hỏi trùng với câu số {first} trong ngân hàng (cùng câu hỏi và phương án)"
            in refused.get_data(as_text=True))
    # Another set of options is another question: saved.
    saved = admin.post(f"/banks/sua/questions/{second}", data={**form, "option_b": "Bốn"})
    assert saved.status_code == 302
    assert [question.options for question in bank_questions(app, "sua")] == [("Một", "Hai"), ("Hai", "Bốn")]


def test_a_copied_bank_keeps_the_identities(app, runner, tmp_path):
    path = aiken(tmp_path / "goc.txt", (SHARED, ["Một", "Hai"], "A"), (SHARED, ["Một", "Ba"], "A"))
    assert import_file(runner, path, "--bank", "goc").exit_code == 0
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser")
    copied = organiser.post("/banks/goc/copy", data={"new_slug": "goc-ban-sao", "csrf_token": csrf_token(organiser)})
    assert copied.status_code == 302
    with app.app_context():
        hashes = db.session.execute(select(Bank.slug, Question.text_hash).join(Question, Question.bank_id == Bank.id)
                                    .order_by(Question.id)).all()
    expected = [question_hash(SHARED, ["Một", "Hai"]), question_hash(SHARED, ["Một", "Ba"])]
    assert [tuple(row) for row in hashes] == [("goc", expected[0]), ("goc", expected[1]),
                                             ("goc-ban-sao", expected[0]), ("goc-ban-sao", expected[1])]


# --- migration 0011 ----------------------------------------------------------------------------


def old_hash(value: str) -> str:
    return hashlib.sha256(" ".join(value.split()).casefold().encode()).hexdigest()


STORED = [
    # (id, bank, text, options, revision)
    (1, 1, "Thủ đô của Việt Nam?", ["Hà Nội", "Huế"], 1),
    (2, 1, "Nhiệm vụ của đoàn viên?", ["Học tập", "Lao động", "Tất cả các ý trên"], 2),
    # Different texts before; identical once the space before "?" no longer counts.
    (3, 1, "Ai đọc Tuyên ngôn độc lập ?", ["Bác Hồ", "Bác Tôn"], 1),
    (4, 1, "Ai đọc Tuyên ngôn độc lập?", ["Bác Tôn", "Bác Hồ"], 1),
    (5, 2, "Thủ đô của Việt Nam?", ["Hà Nội", "Huế"], 1),
]


def test_migration_0011_recomputes_every_identity_and_keeps_orders(make_app, new_database):
    """Runs on the database the suite runs on: SQLite, or PostgreSQL with QUIZAPP_DATABASE_URL."""
    app = make_app(DATABASE_URL=new_database())
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO banks (id, slug, title, created_at) VALUES (1, 'mot', 'Một', '2026-01-01 00:00:00'),"
                " (2, 'hai', 'Hai', '2026-01-01 00:00:00')"))
            connection.execute(text("INSERT INTO topics (id, bank_id, name) VALUES (1, 1, 'Chung'), (2, 2, 'Chung')"))
            option_id = 0
            for question_id, bank_id, stem, options, revision in STORED:
                connection.execute(text(
                    "INSERT INTO questions (id, bank_id, topic_id, text, text_hash, multiple, is_active, revision,"
                    " created_at, updated_at) VALUES (:id, :bank, :bank, :text, :hash, false, true, :revision,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                    {"id": question_id, "bank": bank_id, "text": stem, "hash": old_hash(stem), "revision": revision})
                for position, option in enumerate(options):
                    option_id += 1
                    connection.execute(text(
                        "INSERT INTO options (id, question_id, position, text, is_correct)"
                        " VALUES (:id, :question, :position, :text, :correct)"),
                        {"id": option_id, "question": question_id, "position": position, "text": option,
                         "correct": position == 0})
                for number in range(1, revision + 1):
                    connection.execute(text(
                        "INSERT INTO question_versions (question_id, revision, text, multiple, options, created_at)"
                        " VALUES (:question, :revision, :text, false, '[]', '2026-01-01 00:00:00')"),
                        {"question": question_id, "revision": number, "text": stem})
        upgrade()
        with db.engine.connect() as connection:
            hashes = dict(connection.execute(text("SELECT id, text_hash FROM questions")).all())
            fixed = dict(connection.execute(text("SELECT id, fixed_order FROM questions")).all())
            versions = connection.execute(text(
                "SELECT question_id, revision, fixed_order FROM question_versions ORDER BY question_id, revision"
            )).all()
        assert {question_id: hashes[question_id] for question_id in (1, 2, 3, 5)} == {
            question_id: question_hash(stem, options)
            for question_id, _bank, stem, options, _revision in STORED if question_id != 4}
        # The later of two questions made identical keeps a hash of its own: nothing is lost.
        assert hashes[4] not in (hashes[3], old_hash(STORED[3][2])) and len(hashes[4]) == 64
        assert {question_id: bool(value) for question_id, value in fixed.items()} == {
            1: False, 2: True, 3: False, 4: False, 5: False}
        assert [(row[0], row[1], bool(row[2])) for row in versions] == [
            (1, 1, False), (2, 1, False), (2, 2, True), (3, 1, False), (4, 1, False), (5, 1, False)]

        # The bank now takes a question sharing a stem with a stored one, and skips a known one.
        from quizapp.banks.services import import_bank_file

        report = import_bank_file("moi.txt", "\n".join([
            "Thủ đô của Việt Nam?", "A. Hà Nội", "B. Đà Nẵng", "ANSWER: A", "",
            "thủ đô của Việt Nam ?", "A. Huế", "B. Hà Nội", "ANSWER: B", ""]).encode(), slug="mot", dry_run=True)
        assert report.created == 1 and [item.question_id for item in report.skipped] == [1]
        assert report.preview[0].question.notes == [
            "ngân hàng đã có câu cùng câu hỏi (câu số 1) nhưng khác phương án: nhập thành câu mới"]
        db.session.rollback()

        downgrade(revision="0010")
        with db.engine.connect() as connection:
            hashes = dict(connection.execute(text("SELECT id, text_hash FROM questions")).all())
        assert {question_id: hashes[question_id] for question_id in (1, 2, 3, 4, 5)} == {
            question_id: old_hash(stem) for question_id, _bank, stem, _options, _revision in STORED}
