"""The base form: Flask-WTF with WTForms' built-in messages in Vietnamese."""

from __future__ import annotations

from collections.abc import Iterator

from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField

# WTForms ships no Vietnamese catalogue; these are the messages our fields can produce.
_VI = {
    "This field is required.": "Vui lòng nhập thông tin này.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Not a valid date value.": "Ngày không hợp lệ (định dạng ngày/tháng/năm).",
    "Not a valid integer value.": "Vui lòng nhập một số nguyên.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Field must be equal to %(other_name)s.": "Không khớp với trường %(other_name)s.",
    "Number must be at least %(min)s.": "Giá trị phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Giá trị không được vượt quá %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Giá trị phải từ %(min)s đến %(max)s.",
    "Not a valid decimal value.": "Vui lòng nhập một số.",
    "Not a valid float value.": "Vui lòng nhập một số.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ (ngày/tháng/năm giờ:phút).",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không được dài quá %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Cần đúng %(max)d ký tự.",
    "Field must be exactly %(max)d characters long.": "Cần đúng %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Cần từ %(min)d đến %(max)d ký tự.",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” không có trong các lựa chọn.",
    "'%(value)s' are not valid choices for this field.": "“%(value)s” không có trong các lựa chọn.",
    "File does not have an approved extension.": "Loại tệp này không dùng được.",
    "CSRF token missing.": "Thiếu mã bảo vệ biểu mẫu; vui lòng tải lại trang.",
    "CSRF token expired.": "Biểu mẫu đã hết hạn; vui lòng tải lại trang.",
    "Invalid CSRF Token.": "Mã bảo vệ biểu mẫu không hợp lệ; vui lòng tải lại trang.",
    "CSRF failed.": "Mã bảo vệ biểu mẫu không hợp lệ; vui lòng tải lại trang.",
}


class _Vietnamese:
    def gettext(self, string: str) -> str:
        return _VI.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _VI.get(singular if n == 1 else plural, singular if n == 1 else plural)


_TRANSLATIONS = _Vietnamese()


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS

    def first_errors(self) -> dict[str, list[str]]:
        """Field errors keyed by field name, as the JSON API reports them."""
        return {name: list(errors) for name, errors in self.errors.items()}

    def error_links(self) -> list[tuple[str, str]]:
        """Every field error as (id of the field, text), in the form's order, for the error
        summary at the top of the page, whose items link to their fields (``_form.html``)."""
        return [link for field in self if field.type != "CSRFTokenField" for link in field_error_links(field)]


def field_error_links(field: Field, row: str | None = None) -> Iterator[tuple[str, str]]:
    """A field's errors for the summary, and those of the rows of a list (``row``: "Giải thưởng,
    dòng 2"). The summary is read apart from the fields, so each item names its field, unless
    its message already does ("Nhập tên cuộc thi." needs no "Tên cuộc thi:" before it)."""
    if isinstance(field, FieldList):
        for index, entry in enumerate(field.entries, start=1):
            yield from field_error_links(entry, f"{field.label.text}, dòng {index}")
        return
    if isinstance(field, FormField):
        for subfield in field.form:
            yield from field_error_links(subfield, row)
        return
    name = field.label.text
    for message in field.errors:
        if row:
            yield field.id, f"{row}: {message}"
        elif name.lower() in message.lower():
            yield field.id, message
        else:
            yield field.id, f"{name}: {message}"
