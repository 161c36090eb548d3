"""WTForms' own messages reach people in Vietnamese, never in English."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, IntegerField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from quizapp.forms import Form


class Sample(Form):
    class Meta:
        csrf = False

    name = StringField("Tên", validators=[DataRequired(), Length(min=2, max=5)])
    code = StringField("Mã", validators=[Length(max=3)])
    count = IntegerField("Số")
    share = DecimalField("Tỉ lệ")
    fields = SelectMultipleField("Thông tin", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])


def test_wtforms_messages_are_in_vietnamese(app):
    with app.test_request_context():
        form = Sample(MultiDict([("name", "x"), ("code", "dài quá"), ("count", "ba"), ("share", "nửa"),
                                 ("fields", "z")]))
        assert not form.validate()
        assert form.errors == {
            "name": ["Cần từ 2 đến 5 ký tự."],
            "code": ["Không được dài quá 3 ký tự."],
            "count": ["Vui lòng nhập một số nguyên."],
            "share": ["Vui lòng nhập một số."],
            "fields": ["“z” không có trong các lựa chọn."],
        }
