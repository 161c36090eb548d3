"""Question banks: import (all or nothing), export, search and edits. Never commits."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import BinaryIO, NamedTuple

from sqlalchemy import func, insert, or_, select, true, update
from sqlalchemy.orm import joinedload, selectinload

from quizapp import audit
from quizapp.auth.models import User
from quizapp.banks import pictures
from quizapp.banks.access import BankReadOnly, may_write_bank
from quizapp.banks.formats import ParsedQuestion, parse_file
from quizapp.banks.formats.common import (
    LETTERS,
    Location,
    check_question,
    correct_texts,
    identity_text,
    location_order,
    question_hash,
)
from quizapp.banks.formats.keyfile import parse_key_file
from quizapp.banks.formats.spreadsheet import EXPORT_HEADER
from quizapp.banks.models import Bank, Option, Picture, Question, QuestionVersion, Topic
from quizapp.errors import DomainError, NotFound, ValidationFailed
from quizapp.extensions import db
from quizapp.text import clean_text

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class BankFileInvalid(DomainError):
    """A bank file with errors; ``errors`` lists each as ``FILE:LINE: message``, by line."""

    status = 422
    code = "bank_file_invalid"
    message = "Tệp câu hỏi có lỗi; chưa có câu hỏi nào được nhập."

    def __init__(self, errors: list[str]) -> None:
        super().__init__()
        self.errors = errors


@dataclass
class Skipped:
    """A question of the file that is already in the bank (same stem and options): not imported."""

    line: Location
    text: str
    question_id: int
    # Set when the file's key differs from the bank's (the bank's is kept): never silent.
    note: str | None = None


class Previewed(NamedTuple):
    # The question's place among the file's questions, from 0: what the preview's fixed-order
    # checkboxes name, and what ``import_bank_file(fixed_order=…)`` reads back on confirmation.
    number: int
    question: ParsedQuestion


@dataclass
class ImportReport:
    slug: str
    bank_created: bool
    dry_run: bool
    new_by_topic: Counter[str] = field(default_factory=Counter)
    skipped_by_topic: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    # Every question that will be imported, in the file's order.
    preview: list[Previewed] = field(default_factory=list)
    # About the file as a whole (the format or marking detected, …).
    notes: list[str] = field(default_factory=list)
    # Questions with a picture, as (location, "48 KB, 720×540"), and those whose picture could
    # not be imported, as (location, why): they are imported without it (docs/bank-formats.md).
    pictures: list[tuple[Location, str]] = field(default_factory=list)
    picture_problems: list[tuple[Location, str]] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(self.new_by_topic.values())

    @property
    def kept_in_order(self) -> int:
        """New questions whose options keep the file's order."""
        return sum(1 for item in self.preview if item.question.fixed_order)

    @property
    def topics(self) -> list[str]:
        return list(dict.fromkeys([*self.new_by_topic, *self.skipped_by_topic]))


def slug_from_filename(filename: str) -> str:
    stem = PurePath(filename).stem.replace("đ", "d").replace("Đ", "D")
    ascii_only = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.casefold()).strip("-")[:64] or "ngan-hang"


def check_slug(slug: str) -> str:
    if not SLUG.fullmatch(slug or "") or len(slug) > 64:
        raise ValidationFailed({"slug": ["Mã ngân hàng chỉ gồm chữ thường không dấu, số và dấu gạch ngang."]})
    return slug


def bank_by_slug(slug: str) -> Bank | None:
    return db.session.scalar(select(Bank).where(Bank.slug == slug))


def import_bank_file(
    filename: str,
    data: bytes,
    *,
    slug: str | None = None,
    title: str | None = None,
    owner: User | None = None,
    dry_run: bool = False,
    fixed_order: set[int] | None = None,
    key_filename: str | None = None,
    key_data: bytes | None = None,
) -> ImportReport:
    """Parse, check and (unless ``dry_run``) import a bank file into the bank ``slug``.

    Nothing is written when any record is bad: ``BankFileInvalid`` lists every problem.
    Questions already in the bank (same stem and options) are skipped and reported, with a
    note when the file's key differs. ``fixed_order``, from the preview's checkboxes: the
    numbers (places among the file's questions, from 0) whose option order is kept, replacing
    what was detected. An import for an ``owner`` into an
    existing bank they may not change is refused (``BankReadOnly``); without an owner (the
    server's command line) it is the admin's. A separate answer key (``key_data``, a Word
    table, .xlsx or .csv of question number → letters) decides the answers of a numbered file;
    its own problems are listed as ``KEYFILE:LINE: message`` after the file's.
    """
    title = clean_text(title)
    if len(title) > 200:
        raise ValidationFailed({"title": ["Tên ngân hàng tối đa 200 ký tự."]})
    key = parse_key_file(key_filename or "dap-an", key_data) if key_data is not None else None
    result = parse_file(filename, data, key)
    errors = [f"{filename}:{line}: {message}" for line, message in result.sorted_errors()]
    if key is not None:
        errors += [f"{key_filename}:{line}: {message}"
                   for line, message in sorted(key.errors, key=lambda error: location_order(error[0]))]
    if errors:
        raise BankFileInvalid(errors)
    slug = check_slug(slug or slug_from_filename(filename))
    bank = bank_by_slug(slug)
    if bank is not None and owner is not None and not may_write_bank(owner, bank):
        raise BankReadOnly()
    if fixed_order is not None:
        for number, question in enumerate(result.questions):
            question.fixed_order = number in fixed_order
    report = ImportReport(slug=slug, bank_created=bank is None, dry_run=dry_run, notes=result.notes)
    known, stems = _bank_identities(bank)
    new, repeated = [], []
    for number, question in enumerate(result.questions):
        existing = known.get(question_hash(question.text, question.options))
        if existing is not None:
            repeated.append((question, existing))
            report.skipped_by_topic[question.topic] += 1
            continue
        same_stem = stems.get(identity_text(question.text))
        if same_stem is not None:
            question.notes.append(f"ngân hàng đã có câu cùng câu hỏi (câu số {same_stem}) nhưng khác phương án: "
                                  "nhập thành câu mới")
        new.append(question)
        report.preview.append(Previewed(number, question))
        report.new_by_topic[question.topic] += 1
    report.skipped = _skipped(repeated)
    processed = _process_pictures(new, report)
    if dry_run:
        return report
    if bank is None:
        bank = Bank(slug=slug, title=title or slug, owner=owner)
        db.session.add(bank)
        db.session.flush()
    _insert(bank, new, _stored_picture_ids(processed))
    audit.record("bank.imported", "bank", slug, after={
        "file": filename, "new_questions": len(new), "skipped": len(report.skipped),
        "bank_created": report.bank_created, "pictures": len(report.pictures)})
    return report


def _bank_identities(bank: Bank | None) -> tuple[dict[str, int], dict[str, int]]:
    """The bank's questions by identity hash, and by normalised stem: question ids."""
    if bank is None:
        return {}, {}
    rows = db.session.execute(select(Question.id, Question.text_hash, Question.text)
                              .where(Question.bank_id == bank.id).order_by(Question.id)).all()
    known = {row.text_hash: row.id for row in rows}
    stems: dict[str, int] = {}
    for row in rows:
        stems.setdefault(identity_text(row.text), row.id)
    return known, stems


def _skipped(repeated: list[tuple[ParsedQuestion, int]]) -> list[Skipped]:
    """The file's questions already in the bank, each saying whether its key differs from the bank's."""
    correct: dict[int, set[str]] = {question_id: set() for _question, question_id in repeated}
    ids = list(correct)
    for start in range(0, len(ids), 1000):
        for question_id, text in db.session.execute(
            select(Option.question_id, Option.text).where(Option.question_id.in_(ids[start:start + 1000]),
                                                          Option.is_correct)
        ):
            correct[question_id].add(identity_text(text))
    skipped = []
    for question, question_id in repeated:
        note = None
        if correct_texts(question) != correct[question_id]:
            note = (f"đáp án trong tệp khác đáp án của câu số {question_id} trong ngân hàng; giữ đáp án đang có, "
                    "sửa câu đó trên trang ngân hàng nếu cần")
        skipped.append(Skipped(question.line, question.text, question_id, note))
    return skipped


def _process_pictures(questions: list[ParsedQuestion], report: ImportReport) -> list[pictures.ProcessedPicture | None]:
    """Each question's picture made fit for phones, or None; a picture that cannot be is
    reported on its question (a note, not an error: the question imports without it)."""
    with_picture = [question for question in questions if question.picture]
    done = iter(pictures.process_many([question.picture for question in with_picture]))
    processed: list[pictures.ProcessedPicture | None] = []
    for question in questions:
        outcome = next(done) if question.picture else None
        if isinstance(outcome, pictures.PictureError):
            report.picture_problems.append((question.line, outcome.message))
            named = f" {question.picture_name}" if question.picture_name else ""
            question.notes.append(f"không nhập được hình{named}: {outcome.message}; câu được nhập không có hình")
            question.picture = None  # the preview no longer says it has one
            outcome = None
        elif outcome is not None:
            described = f"{outcome.size_text}, {outcome.width}×{outcome.height}"
            report.pictures.append((question.line, described))
            question.notes.append(f"hình sau khi nén: {described}")
        processed.append(outcome)
    return processed


def _stored_picture_ids(processed: list[pictures.ProcessedPicture | None]) -> list[int | None]:
    ids = pictures.store_all([picture for picture in processed if picture is not None])
    return [ids[picture.sha256] if picture is not None else None for picture in processed]


def _insert(bank: Bank, questions: list[ParsedQuestion], picture_ids: list[int | None] | None = None) -> list[int]:
    """Bulk inserts: a 10,000-question file is a few statements, not 50,000 ORM objects.
    ``picture_ids``, in the order of ``questions``, are the stored pictures they show.
    Returns the new questions' ids, in order."""
    picture_ids = picture_ids or [None] * len(questions)
    topics = {topic.name: topic.id for topic in db.session.scalars(select(Topic).where(Topic.bank_id == bank.id))}
    for name in dict.fromkeys(question.topic for question in questions):
        if name not in topics:
            topic = Topic(bank_id=bank.id, name=name)
            db.session.add(topic)
            db.session.flush()
            topics[name] = topic.id
    if not questions:
        return []
    rows = [
        {
            "bank_id": bank.id,
            "topic_id": topics[question.topic],
            "text": question.text,
            "text_hash": question_hash(question.text, question.options),
            "multiple": question.multiple,
            "fixed_order": bool(question.fixed_order),
            "explanation": question.explanation,
            "source": question.source,
            "difficulty": question.difficulty,
            "picture_id": picture_id,
        }
        for question, picture_id in zip(questions, picture_ids, strict=True)
    ]
    ids = db.session.scalars(insert(Question).returning(Question.id, sort_by_parameter_order=True), rows).all()
    options = [
        {"question_id": question_id, "position": position, "text": text, "is_correct": position in question.correct}
        for question_id, question in zip(ids, questions, strict=True)
        for position, text in enumerate(question.options)
    ]
    option_ids = iter(db.session.scalars(insert(Option).returning(Option.id, sort_by_parameter_order=True),
                                         options).all())
    # Revision 1 of each question, what its first takers will be shown.
    db.session.execute(insert(QuestionVersion), [
        _version_row(question_id, 1, question.text, question.multiple, bool(question.fixed_order), [
            {"id": next(option_ids), "text": text, "correct": position in question.correct}
            for position, text in enumerate(question.options)
        ], question.explanation, question.source, picture_id)
        for question_id, question, picture_id in zip(ids, questions, picture_ids, strict=True)
    ])
    return ids


def _version_row(question_id: int, revision: int, text: str, multiple: bool, fixed_order: bool,
                 options: list[dict], explanation: str | None, source: str | None,
                 picture_id: int | None = None) -> dict:
    return {"question_id": question_id, "revision": revision, "text": text, "multiple": multiple,
            "fixed_order": fixed_order, "options": options, "explanation": explanation, "source": source,
            "picture_id": picture_id}


def _shown(question: Question) -> dict:
    """What a taker is shown of ``question`` as it stands: the content of a QuestionVersion."""
    return _version_row(question.id, question.revision, question.text, question.multiple, question.fixed_order, [
        {"id": option.id, "text": option.text, "correct": option.is_correct} for option in question.options
    ], question.explanation, question.source, question.picture_id)


def current_version(question: Question) -> QuestionVersion | None:
    return db.session.scalar(select(QuestionVersion).where(
        QuestionVersion.question_id == question.id, QuestionVersion.revision == question.revision))


def copy_bank(bank: Bank, *, slug: str, title: str | None, owner: User) -> Bank:
    """A new bank owned by ``owner`` with every topic and question of ``bank`` (inactive ones
    stay inactive), for an organiser who needs to change a bank that is read-only to them."""
    slug = check_slug(clean_text(slug))
    title = clean_text(title) or f"{bank.title} (bản sao)"[:200]
    if len(title) > 200:
        raise ValidationFailed({"title": ["Tên ngân hàng tối đa 200 ký tự."]})
    if bank_by_slug(slug) is not None:
        raise ValidationFailed({"slug": [f"Mã {slug} đã có ngân hàng khác dùng; chọn mã khác."]})
    copy = Bank(slug=slug, title=title, owner=owner)
    db.session.add(copy)
    db.session.flush()
    questions = list(db.session.scalars(
        select(Question).where(Question.bank_id == bank.id)
        .options(selectinload(Question.options), joinedload(Question.topic)).order_by(Question.id)))
    # By identity: two questions migration 0011 found identical (kept apart there) are copied once.
    unique = {question_hash(question.text, [option.text for option in question.options]): question
              for question in reversed(questions)}
    questions = sorted(unique.values(), key=lambda question: question.id)
    parsed = [
        ParsedQuestion(line=0, topic=question.topic.name, text=question.text,
                       options=[option.text for option in question.options],
                       correct={option.position for option in question.options if option.is_correct},
                       multiple=question.multiple, explanation=question.explanation, source=question.source,
                       difficulty=question.difficulty, fixed_order=question.fixed_order)
        for question in questions
    ]
    ids = _insert(copy, parsed, [question.picture_id for question in questions])
    inactive = [new_id for new_id, question in zip(ids, questions, strict=True) if not question.is_active]
    if inactive:
        db.session.execute(update(Question).where(Question.id.in_(inactive)).values(is_active=False))
    audit.record("bank.copied", "bank", copy.slug, after={
        "from": bank.slug, "questions": len(questions), "owner_id": owner.id})
    return copy


# --- export --------------------------------------------------------------------------------


def export_bank_xlsx(bank: Bank, stream: BinaryIO) -> int:
    """Write the bank's active questions in the layout the importer reads; returns the count."""
    from openpyxl import Workbook

    questions = active_questions(bank)
    width = max([len(question.options) for question in questions] + [4])
    header = _header(width)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(bank.slug[:31])
    picture_data = _picture_data(questions)
    if picture_data:
        header.append(PICTURE_HEADER)
    sheet.append(header)
    for row, question in enumerate(questions, start=2):
        if question.picture_id is not None:
            _add_picture(sheet, row, len(header), question.picture, picture_data[question.picture_id])
        options = [option.text for option in question.options]
        correct = {option.position for option in question.options if option.is_correct}
        _append_text_row(sheet, [
            question.topic.name,
            question.text,
            *options,
            *[None] * (width - len(options)),
            ",".join(LETTERS[index] for index in sorted(correct)),
            "x" if question.multiple else None,
            question.explanation,
            question.source,
            question.difficulty,
            "x" if question.fixed_order else None,
        ])
    workbook.save(stream)
    return len(questions)


# The column of a bank export that holds each question's picture, anchored in its row.
PICTURE_HEADER = "Hình ảnh"
# How tall a picture shows in Excel (its full-size bytes are in the file): a readable thumbnail.
_EXPORT_PICTURE_HEIGHT = 80


def _picture_data(questions: list[Question]) -> dict[int, bytes]:
    ids = {question.picture_id for question in questions if question.picture_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Picture.id, Picture.data).where(Picture.id.in_(ids))).all())


def _add_picture(sheet, row: int, column: int, picture: Picture, data: bytes) -> None:
    """Anchor the picture at its row's cell of the picture column; the row is made as tall as it
    shows (set before the row is written: the sheet is write-only)."""
    from openpyxl.drawing.image import Image as SheetImage
    from openpyxl.utils import get_column_letter

    image = SheetImage(io.BytesIO(data))
    image.height = _EXPORT_PICTURE_HEIGHT
    image.width = max(1, round(picture.width * _EXPORT_PICTURE_HEIGHT / picture.height))
    sheet.row_dimensions[row].height = _EXPORT_PICTURE_HEIGHT * 0.75  # points
    sheet.add_image(image, f"{get_column_letter(column)}{row}")


def _append_text_row(sheet, values: list[object]) -> None:
    """Append a row in which text stays text: openpyxl would store text starting with '=' as a
    formula, and text that reads as an error ("#N/A", "#DIV/0!") as that error."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    cells = []
    for value in values:
        if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)


def _header(width: int) -> list[str]:
    letters = [name for name in EXPORT_HEADER if name in LETTERS][:width]
    return ["Chủ đề", "Câu hỏi", *letters, *EXPORT_HEADER[2 + len(LETTERS):]]


def template_xlsx() -> bytes:
    """An empty bank with the header and two example rows, for organisers to fill in."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Câu hỏi"
    sheet.append(_header(4))
    sheet.append([
        "Cuộc đời và sự nghiệp", "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập vào ngày nào?",
        "19/8/1945", "2/9/1945", "23/9/1945", "6/1/1946", "B", None,
        "Ngày 2/9/1945, tại Quảng trường Ba Đình, Hà Nội.", "Tuyên ngôn độc lập, 2/9/1945", 1,
    ])
    sheet.append([
        "Chuyển đổi số", "Ba trụ cột của Chương trình Chuyển đổi số quốc gia là gì? (Chọn tất cả ý đúng)",
        "Chính phủ số", "Kinh tế số", "Xã hội số", "Quốc phòng số", "A,B,C", "x",
        "Quyết định 749/QĐ-TTg xác định ba trụ cột: chính phủ số, kinh tế số, xã hội số.",
        "Quyết định số 749/QĐ-TTg ngày 3/6/2020 của Thủ tướng Chính phủ", 2,
    ])
    for column, width in zip("ABCDEFGHIJK", (24, 60, 20, 20, 20, 20, 10, 14, 40, 30, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading and editing -------------------------------------------------------------------


def active_questions(bank: Bank) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.bank_id == bank.id, Question.is_active)
            .options(selectinload(Question.options), joinedload(Question.topic))
            .order_by(Question.topic_id, Question.id)
        )
    )


def bank_summaries(where=None) -> list[tuple[Bank, int, int]]:
    """(bank, active questions, topics) for every bank ``where`` keeps, newest first."""
    counts = (
        select(
            Question.bank_id,
            func.count().filter(Question.is_active).label("active"),
            func.count(func.distinct(Question.topic_id)).label("topics"),
        )
        .group_by(Question.bank_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Bank, func.coalesce(counts.c.active, 0), func.coalesce(counts.c.topics, 0))
        .outerjoin(counts, counts.c.bank_id == Bank.id)
        .where(true() if where is None else where)
        .order_by(Bank.created_at.desc(), Bank.id.desc())
    )
    return [tuple(row) for row in rows]


def search_questions(bank: Bank, query: str, page: int, page_size: int) -> tuple[list[Question], int]:
    statement = select(Question).where(Question.bank_id == bank.id)
    query = clean_text(query)
    if query:
        pattern = f"%{query}%"
        matching_options = select(Option.question_id).where(Option.text.ilike(pattern))
        statement = statement.where(
            or_(Question.text.ilike(pattern), Question.source.ilike(pattern), Question.id.in_(matching_options))
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(
        statement.options(selectinload(Question.picture))
        .order_by(Question.topic_id, Question.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(rows), total


def get_question(bank: Bank, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.bank_id != bank.id:
        raise NotFound("Không tìm thấy câu hỏi.")
    return question


def question_summary(question: Question) -> dict:
    return {"topic": question.topic.name if question.topic else None, "text": question.text,
            "multiple": question.multiple, "active": question.is_active,
            "options": [option.text for option in question.options],
            "correct": [option.position for option in question.options if option.is_correct]}


def update_question(question: Question, edited: ParsedQuestion) -> Question:
    """Replace a question's text, options and answers after the same checks as an import."""
    before = question_summary(question)
    errors = check_question(edited)
    new_hash = question_hash(edited.text, edited.options) if edited.text else None
    if new_hash and new_hash != question.text_hash:
        clash = db.session.scalar(
            select(Question.id).where(Question.bank_id == question.bank_id, Question.text_hash == new_hash)
        )
        if clash is not None:
            errors.append(f"câu hỏi trùng với câu số {clash} trong ngân hàng (cùng câu hỏi và phương án); "
                          "sửa câu hỏi hoặc phương án cho khác đi")
    if errors:
        raise ValidationFailed({"question": errors})
    topic = db.session.scalar(select(Topic).where(Topic.bank_id == question.bank_id, Topic.name == edited.topic))
    if topic is None:
        topic = Topic(bank_id=question.bank_id, name=edited.topic)
        db.session.add(topic)
    question.topic = topic
    question.text, question.text_hash = edited.text, new_hash
    question.multiple, question.fixed_order = edited.multiple, bool(edited.fixed_order)
    question.explanation, question.source, question.difficulty = edited.explanation, edited.source, edited.difficulty
    # Options keep their ids where they keep their place, so past attempts still point at them.
    for position, text in enumerate(edited.options):
        if position < len(question.options):
            option = question.options[position]
            option.text, option.is_correct = text, position in edited.correct
        else:
            question.options.append(Option(position=position, text=text, is_correct=position in edited.correct))
    del question.options[len(edited.options):]
    db.session.flush()
    _new_revision_if_changed(question)
    audit.record("question.edited", "question", question.id, before=before, after=question_summary(question))
    return question


def _new_revision_if_changed(question: Question) -> None:
    """Attempts that drew the question keep the revision they drew; later draws get the new one.
    A change takers cannot see (the topic, the difficulty) makes no new revision."""
    version = current_version(question)
    shown = _shown(question)
    if version is not None and all(getattr(version, name) == shown[name]
                                   for name in ("text", "multiple", "fixed_order", "options", "explanation",
                                                "source", "picture_id")):
        return
    question.revision += 1
    db.session.add(QuestionVersion(**{**shown, "revision": question.revision}))
    db.session.flush()


def set_picture(question: Question, data: bytes | None) -> Question:
    """Add or replace (``data``) or remove (None) the question's picture, with the processing
    and limits of an import. Attempts that drew the question keep the picture they drew: the
    change makes a new revision, and stored pictures are never deleted."""
    before = question.picture.sha256 if question.picture else None
    if data is None:
        question.picture = None
    else:
        try:
            processed = pictures.process(data)
        except pictures.PictureError as error:
            raise ValidationFailed({"picture": [f"Không nhập được hình: {error.message}."]}) from None
        question.picture = pictures.store(processed)
    after = question.picture.sha256 if question.picture else None
    if after == before:
        return question
    db.session.flush()
    _new_revision_if_changed(question)
    audit.record("question.picture_changed", "question", question.id,
                 before={"picture": before}, after={"picture": after})
    return question


def set_active(question: Question, active: bool) -> Question:
    if question.is_active != active:
        audit.record("question.activated" if active else "question.deactivated", "question", question.id,
                     before={"active": question.is_active}, after={"active": active})
    question.is_active = active
    return question
