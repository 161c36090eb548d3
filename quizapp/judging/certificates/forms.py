"""The organiser's form for a contest's certificates: participants, title, logo."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from quizapp.forms import Form


class CertificateSettingsForm(Form):
    participants = BooleanField("Cấp giấy chứng nhận đã tham gia cho mọi người có tên trong bảng xếp hạng")
    title = StringField("Tiêu đề in trên giấy", validators=[Optional(), Length(max=100, message="Tối đa 100 ký tự.")])
    logo = FileField("Biểu trưng hoặc con dấu (PNG, JPEG, GIF, WebP; tối đa 2 MB)")
    remove_logo = BooleanField("Bỏ hình đang dùng")
