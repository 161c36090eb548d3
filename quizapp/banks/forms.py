from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from quizapp.banks.formats import EXTENSIONS
from quizapp.banks.formats.common import LETTERS, MAX_OPTION, MAX_QUESTION
from quizapp.banks.formats.keyfile import KEY_EXTENSIONS
from quizapp.forms import Form

NEW_BANK = ""


class UploadForm(Form):
    file = FileField(
        "Tệp câu hỏi",
        validators=[
            FileRequired("Vui lòng chọn tệp."),
            FileAllowed([extension.lstrip(".") for extension in EXTENSIONS],
                        "Chỉ nhận tệp .docx (Word), .xlsx, .csv, .txt (Aiken) hoặc .gift."),
        ],
    )
    key_file = FileField(
        "Tệp đáp án riêng (không bắt buộc)",
        validators=[Optional(), FileAllowed([extension.lstrip(".") for extension in KEY_EXTENSIONS],
                                            "Tệp đáp án chỉ nhận .docx (bảng), .xlsx hoặc .csv.")],
    )
    bank = SelectField("Nhập vào ngân hàng", validators=[Optional()])
    new_slug = StringField(
        "Mã ngân hàng mới",
        validators=[Optional(), Length(max=64),
                    Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Chỉ chữ thường không dấu, số và dấu gạch ngang.")],
    )
    new_title = StringField("Tên ngân hàng mới", validators=[Optional(), Length(max=200)])

    def __init__(self, banks, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bank.choices = [
            SelectChoice(NEW_BANK, "— Tạo ngân hàng mới —"),
            *(SelectChoice(bank.slug, f"{bank.title} ({bank.slug})") for bank in banks),
        ]


class QuestionForm(Form):
    topic = StringField("Chủ đề", validators=[DataRequired("Vui lòng nhập chủ đề."), Length(max=200)])
    text = TextAreaField("Câu hỏi", validators=[DataRequired("Vui lòng nhập câu hỏi."), Length(max=MAX_QUESTION)])
    correct = SelectMultipleField(
        "Đáp án đúng",
        choices=[SelectChoice(letter, letter) for letter in LETTERS],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    multiple = BooleanField("Câu nhiều lựa chọn (người thi chọn mọi đáp án đúng)")
    fixed_order = BooleanField("Giữ nguyên thứ tự phương án (không đảo khi rút đề)")
    explanation = TextAreaField("Giải thích", validators=[Optional(), Length(max=2000)])
    source = StringField("Nguồn", validators=[Optional(), Length(max=500)])
    difficulty = SelectField(
        "Độ khó",
        choices=[SelectChoice("", "—"), SelectChoice("1", "Dễ"), SelectChoice("2", "Trung bình"),
                 SelectChoice("3", "Khó")],
        validators=[Optional()],
    )


# Option fields A…H, added to the class so the template can loop over them.
for _letter in LETTERS:
    setattr(QuestionForm, f"option_{_letter.lower()}",
            StringField(f"Phương án {_letter}", validators=[Optional(), Length(max=MAX_OPTION)]))


class CopyBankForm(Form):
    """Copy a bank that is read-only to the organiser into a bank of their own."""

    new_slug = StringField(
        "Mã ngân hàng mới",
        validators=[DataRequired("Vui lòng nhập mã ngân hàng mới."), Length(max=64),
                    Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Chỉ chữ thường không dấu, số và dấu gạch ngang.")],
    )
    new_title = StringField("Tên ngân hàng mới", validators=[Optional(), Length(max=200)])


class PictureForm(Form):
    """Add, replace or remove a question's picture (the file's type is judged by its content)."""

    picture = FileField("Hình ảnh (JPEG, PNG, GIF, WebP)")
