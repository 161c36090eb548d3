"""Organiser pages: bank list, upload with preview and confirmation, bank view, question edits."""

from __future__ import annotations

import io
from pathlib import PurePath

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user

from quizapp.banks import access, previews, services
from quizapp.banks.formats.common import LETTERS, ParsedQuestion, parse_difficulty
from quizapp.banks.formats.order import option_naming_others
from quizapp.banks.formats.word_template import word_template
from quizapp.banks.forms import NEW_BANK, CopyBankForm, PictureForm, QuestionForm, UploadForm
from quizapp.errors import ValidationFailed
from quizapp.extensions import db
from quizapp.formatting import number
from quizapp.inputs import large_uploads, page_number
from quizapp.roles import role_required
from quizapp.security import safe_next_url
from quizapp.text import clean_text

bp = Blueprint("banks", __name__, url_prefix="/banks")
PAGE_SIZE = 25
MAX_PENDING_UPLOADS = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.after_request
def never_stored(response):
    # Bank pages and previews show answer keys: no shared proxy or browser cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@role_required("organiser")
def index():
    return render_template("banks/index.html", banks=services.bank_summaries(access.bank_filter(current_user)))


@bp.get("/template.xlsx")
@role_required("organiser")
def template():
    return send_file(io.BytesIO(services.template_xlsx()), mimetype=XLSX, as_attachment=True,
                     download_name="mau-ngan-hang-cau-hoi.xlsx")


@bp.get("/template.docx")
@role_required("organiser")
def template_docx():
    return send_file(io.BytesIO(word_template()), mimetype=DOCX, as_attachment=True,
                     download_name="mau-ngan-hang-cau-hoi.docx")


# --- upload: check and preview first, import only on confirmation ------------------------


def _pending() -> list[str]:
    """Tokens of the uploads this browser session has previewed and may confirm, oldest first."""
    # A cookie of before the previews moved to the database holds a dict keyed by token.
    return list(session.get("bank_uploads", ()))


def _keep_upload(data: bytes, filename: str, slug: str, title: str | None,
                 key: tuple[str, bytes] | None = None) -> str:
    """Store a previewed file (and its answer key file) until it is confirmed; the session
    remembers its token."""
    token = previews.keep(current_user.id, filename, data, slug=slug, title=title, key=key)
    tokens = [*_pending(), token]
    # The session is a cookie: keep only the latest few previews, and not the files of the others.
    previews.discard(tokens[:-MAX_PENDING_UPLOADS], current_user.id)
    session["bank_uploads"] = tokens[-MAX_PENDING_UPLOADS:]
    return token


@bp.route("/upload", methods=["GET", "POST"])
@large_uploads  # a Word bank with its pictures: UPLOAD_MAX_BYTES, not MAX_CONTENT_LENGTH
@role_required("organiser")
def upload():
    visible = [bank for bank, _count, _topics in services.bank_summaries(access.bank_filter(current_user))]
    # Only the banks this person may change are offered to import into.
    banks = [bank for bank in visible if access.may_write_bank(current_user, bank)]
    form = UploadForm(banks)
    if not form.validate_on_submit():
        return render_template("banks/upload.html", form=form), 422 if form.errors else 200
    filename = PurePath(form.file.data.filename or "upload").name
    data = form.file.data.read()
    key = None
    if form.key_file.data:
        key = (PurePath(form.key_file.data.filename or "dap-an").name, form.key_file.data.read())
    slug = form.bank.data or form.new_slug.data or services.slug_from_filename(filename)
    existing = services.bank_by_slug(slug)
    if existing is not None and existing in visible and existing not in banks:
        # A shared bank, or one a contest lets this person see: read-only to them.
        form.new_slug.errors = [*form.new_slug.errors, f"Ngân hàng {slug} chỉ đọc với bạn; hãy sao chép nó thành "
                                                       "ngân hàng của mình rồi nhập vào bản sao."]
        return render_template("banks/upload.html", form=form), 422
    if existing is not None and existing not in banks:
        # Another organisation's bank: adding to it (or saying what is in it) is not ours to do.
        form.new_slug.errors = [*form.new_slug.errors, f"Mã {slug} đã có ngân hàng khác dùng; chọn mã khác."]
        return render_template("banks/upload.html", form=form), 422
    title = form.new_title.data if form.bank.data == NEW_BANK else None
    try:
        report = services.import_bank_file(filename, data, slug=slug, title=title, dry_run=True,
                                           key_filename=key and key[0], key_data=key and key[1])
    except services.BankFileInvalid as error:
        return render_template("banks/preview.html", filename=filename, errors=error.errors, report=None), 422
    except ValidationFailed as error:
        form.new_slug.errors = [*form.new_slug.errors, *error.fields.get("slug", [])]
        return render_template("banks/upload.html", form=form), 422
    token = _keep_upload(data, filename, slug, title, key)
    db.session.commit()
    return render_template("banks/preview.html", filename=filename, errors=[], report=report, token=token)


@bp.post("/upload/confirm")
@role_required("organiser")
def confirm_upload():
    token = request.form.get("token", "")
    pending = _pending()
    # Only a token this session was given, of this account, names a preview.
    preview = None
    if token in pending:
        pending.remove(token)
        session["bank_uploads"] = pending
        preview = previews.take(token, current_user.id)
    if preview is None:
        flash("Tệp đã được nhập hoặc phiên xem trước đã hết hạn; vui lòng tải tệp lên lại.", "error")
        return redirect(url_for("banks.upload"))
    filename = preview.filename
    try:
        report = services.import_bank_file(
            filename, preview.data, slug=preview.slug, title=preview.title,
            owner=current_user._get_current_object(), fixed_order=_ticked("fixed_order"),
            key_filename=preview.key_filename, key_data=preview.key_data,
        )
    except services.BankFileInvalid as error:
        _forget(token)
        return render_template("banks/preview.html", filename=filename, errors=error.errors, report=None), 422
    except access.BankReadOnly as error:
        # The bank was made by someone else since the preview, or is no longer this person's.
        _forget(token)
        flash(error.message, "error")
        return redirect(url_for("banks.upload"))
    db.session.commit()
    flash(f"Đã nhập {number(report.created)} câu hỏi mới"
          + (f", bỏ qua {number(len(report.skipped))} câu đã có." if report.skipped else "."), "success")
    return redirect(url_for("banks.show", slug=report.slug))


def _forget(token: str) -> None:
    """Undo a failed confirmation but still delete its preview: its token is spent."""
    db.session.rollback()
    previews.discard([token], current_user.id)
    db.session.commit()


def _ticked(name: str) -> set[int]:
    """The question numbers ticked in the preview's column ``name``; anything else is ignored."""
    return {int(value) for value in request.form.getlist(name) if value.isascii() and value.isdigit()
            and len(value) <= 6}


# --- one bank --------------------------------------------------------------------------------


@bp.get("/<slug>")
@role_required("organiser")
def show(slug: str):
    return _show(access.bank_or_abort(slug))


def _show(bank, copy_form: CopyBankForm | None = None):
    query = clean_text(request.args.get("q"))
    page = page_number()
    questions, total = services.search_questions(bank, query, page, PAGE_SIZE)
    if copy_form is None:
        copy_form = CopyBankForm(data={"new_slug": f"{bank.slug}-ban-sao"[:64]})
    return render_template("banks/show.html", bank=bank, questions=questions, total=total, query=query,
                           page=page, page_size=PAGE_SIZE, letters=LETTERS,
                           contests=access.contests_drawing_from(current_user, bank),
                           writable=access.may_write_bank(current_user, bank), copy_form=copy_form
                           ), 422 if copy_form.errors else 200


@bp.post("/<slug>/copy")
@role_required("organiser")
def copy(slug: str):
    """Copy a bank this person may see into a new bank of their own (audit-logged)."""
    bank = access.bank_or_abort(slug)
    form = CopyBankForm()
    if form.validate_on_submit():
        try:
            new = services.copy_bank(bank, slug=form.new_slug.data, title=form.new_title.data,
                                     owner=current_user._get_current_object())
        except ValidationFailed as error:
            db.session.rollback()
            form.new_slug.errors = [*form.new_slug.errors, *error.fields.get("slug", [])]
            form.new_title.errors = [*form.new_title.errors, *error.fields.get("title", [])]
        else:
            db.session.commit()
            flash(f"Đã sao chép thành ngân hàng {new.title} của bạn.", "success")
            return redirect(url_for("banks.show", slug=new.slug))
    return _show(bank, form)


@bp.get("/<slug>/export.xlsx")
@role_required("organiser")
def export(slug: str):
    bank = access.bank_or_abort(slug)
    buffer = io.BytesIO()
    services.export_bank_xlsx(bank, buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=f"{bank.slug}.xlsx")


def _form_for(question, *, posted: bool = True) -> QuestionForm:
    """The question's edit form: what was posted, or (GET, or ``posted=False``) the question."""
    data = {
        "topic": question.topic.name,
        "text": question.text,
        "correct": [LETTERS[option.position] for option in question.options if option.is_correct],
        "multiple": question.multiple,
        "fixed_order": question.fixed_order,
        "explanation": question.explanation or "",
        "source": question.source or "",
        "difficulty": str(question.difficulty or ""),
    }
    for option in question.options:
        data[f"option_{LETTERS[option.position].lower()}"] = option.text
    return QuestionForm(formdata=None, data=data) if request.method == "GET" or not posted else QuestionForm()


def _edited(form: QuestionForm) -> ParsedQuestion:
    options = [clean_text(form[f"option_{letter.lower()}"].data) for letter in LETTERS]
    while options and not options[-1]:
        options.pop()
    difficulty, _error = parse_difficulty(form.difficulty.data)
    return ParsedQuestion(
        line=0,
        topic=clean_text(form.topic.data),
        text=clean_text(form.text.data),
        options=options,
        correct={LETTERS.index(letter) for letter in form.correct.data},
        multiple=form.multiple.data,
        fixed_order=form.fixed_order.data,
        explanation=clean_text(form.explanation.data) or None,
        source=clean_text(form.source.data) or None,
        difficulty=difficulty,
    )


@bp.route("/<slug>/questions/<int:question_id>", methods=["GET", "POST"])
@role_required("organiser")
def edit_question(slug: str, question_id: int):
    bank = access.writable_bank_or_abort(slug)
    question = services.get_question(bank, question_id)
    form = _form_for(question)
    if form.validate_on_submit():
        try:
            services.update_question(question, _edited(form))
        except ValidationFailed as error:
            form.text.errors = [*form.text.errors, *error.fields["question"]]
        else:
            db.session.commit()
            flash("Đã lưu câu hỏi.", "success")
            return redirect(url_for("banks.show", slug=bank.slug))
    return _question_page(bank, question, form, PictureForm(formdata=None))


def _question_page(bank, question, form: QuestionForm, picture_form: PictureForm):
    return render_template("banks/question.html", bank=bank, question=question, form=form, letters=LETTERS,
                           picture_form=picture_form,
                           live_rounds=access.live_rounds_drawing(bank, question.topic.name),
                           naming_others=option_naming_others([option.text for option in question.options])
                           ), 422 if form.errors or picture_form.errors else 200


@bp.post("/<slug>/questions/<int:question_id>/picture")
@role_required("organiser")
def question_picture(slug: str, question_id: int):
    """Add or replace (a file) or remove (``remove=1``) the question's picture."""
    bank = access.writable_bank_or_abort(slug)
    question = services.get_question(bank, question_id)
    form = PictureForm()
    remove = request.form.get("remove") == "1"
    if form.validate_on_submit():
        data = None if remove else (form.picture.data.read() if form.picture.data else b"")
        try:
            if data == b"":
                raise ValidationFailed({"picture": ["Vui lòng chọn tệp hình."]})
            services.set_picture(question, data)
        except ValidationFailed as error:
            db.session.rollback()
            form.picture.errors = [*form.picture.errors, *error.fields["picture"]]
        else:
            db.session.commit()
            flash("Đã xoá hình của câu hỏi." if remove else "Đã lưu hình của câu hỏi.", "success")
            return redirect(url_for("banks.edit_question", slug=bank.slug, question_id=question.id))
    question_form = _form_for(question, posted=False)
    return _question_page(bank, question, question_form, form)


@bp.post("/<slug>/questions/<int:question_id>/active")
@role_required("organiser")
def set_active(slug: str, question_id: int):
    bank = access.writable_bank_or_abort(slug)
    question = services.get_question(bank, question_id)
    active = request.form.get("active") == "1"
    services.set_active(question, active)
    db.session.commit()
    flash("Đã mở lại câu hỏi." if active else "Đã ngừng dùng câu hỏi: câu này sẽ không được rút vào lượt thi mới.",
          "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("banks.show", slug=bank.slug))
