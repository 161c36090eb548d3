"""The admin's form for an account's details. The rules (a valid, unused phone; a unit from
the directory; a name's length) are the accounts service's (auth/services.update_account), so
the form only carries the fields and shows the service's errors next to them."""

from __future__ import annotations

from wtforms import StringField

from quizapp.forms import Form


class AccountForm(Form):
    full_name = StringField("Họ và tên")
    phone = StringField("Số điện thoại")
    unit_code = StringField("Mã đơn vị")
