"""Forms of the units directory pages."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from quizapp.forms import Form
from quizapp.units.services import MAX_HEADCOUNT


class UnitsUploadForm(Form):
    file = FileField("Tệp danh mục đơn vị (.csv)", validators=[
        FileRequired("Vui lòng chọn tệp."), FileAllowed(["csv"], "Chỉ nhận tệp .csv.")])


class HeadcountForm(Form):
    headcount = IntegerField("Số người của đơn vị", validators=[
        Optional(), NumberRange(min=0, max=MAX_HEADCOUNT, message="Số người từ 0 trở lên.")])
