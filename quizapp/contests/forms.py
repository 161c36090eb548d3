"""Organisers' forms for a contest and its rounds.

The forms only read what a browser sends (numbers, local times, choices) and turn it into
the definition `contests load` reads from a JSON file. Every rule about contests lives in
``contests.services.validate_contest``; each of its errors (a ``Problem``: a JSON path such as
``$.rounds[0].draw[1].count`` and the sentence a form shows) is put back next to the field its
path names (``place_errors``), and the page's error summary links to that field (``error_links``).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from quizapp.contests.documents import HEADING_LABELS, MAX_SIGNERS
from quizapp.contests.models import COUNTING, REGISTRATION_FIELDS, REVIEWS, TIE_BREAKERS, TRUTHS, Round
from quizapp.contests.services import Problem
from quizapp.forms import Form, field_error_links

REGISTRATION_LABELS = {
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "id_number": "Số CCCD",
    "unit_code": "Đơn vị",
    "participant_group": "Đối tượng",
}
COUNTING_LABELS = {
    "best": "Lượt có kết quả tốt nhất",
    "first": "Lượt thi đầu tiên",
    "last": "Lượt thi cuối cùng",
}
REVIEW_LABELS = {
    "after_submit": "Xem đáp án ngay sau khi nộp",
    "score_only": "Chỉ xem điểm",
    "after_close": "Xem đáp án sau khi vòng thi kết thúc",
}
TRUTH_LABELS = {
    "participants": "Số người dự thi (có ít nhất một lượt đã nộp)",
    "attempts": "Số lượt thi đã nộp",
    "participants_all_correct": "Số người trả lời đúng tất cả các câu",
}
TIE_BREAKER_LABELS = {
    "correct_desc": "Số câu đúng (nhiều hơn xếp trên)",
    "prediction_error_asc": "Sai số dự đoán (nhỏ hơn xếp trên)",
    "duration_asc": "Thời gian làm bài (ngắn hơn xếp trên)",
    "submitted_at_asc": "Thời điểm nộp bài (sớm hơn xếp trên)",
    "attempts_used_asc": "Số lượt đã dùng (ít hơn xếp trên)",
}
AWARD_ROWS = 6
DRAW_ROWS = 8
SPARE_ROWS = 2  # blank rows shown below a list that already fills the default rows
ROW_LIMIT = 60  # rows read from one post, so a crafted form cannot make thousands


def _choices(labels: dict[str, str], keys) -> list[SelectChoice]:
    return [SelectChoice(key, labels[key]) for key in keys]


def _text(value: str | None) -> str:
    return (value or "").strip()


class LocalDateTimeField(DateTimeLocalField):
    """A ``datetime-local`` input: a naive time in the contest's zone, shown as entered."""

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        kwargs.setdefault("invalid_value_message", "Thời điểm không hợp lệ (ngày/tháng/năm giờ:phút).")
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if not self.data:
            return ""
        # Seconds only when there are some, so a time entered to the minute comes back unchanged.
        return self.data.strftime("%Y-%m-%dT%H:%M:%S" if self.data.second else "%Y-%m-%dT%H:%M")


class MinutesField(DecimalField):
    """Minutes, decimals allowed (a file may hold 90 seconds: 1.5), with a comma or a point."""

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        super().__init__(label, validators, places=None, **kwargs)

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        try:
            self.data = Decimal(valuelist[0].strip().replace(",", "."))
        except InvalidOperation:
            self.data = None
        if self.data is None or not self.data.is_finite():
            self.data = None
            raise ValueError("Vui lòng nhập số phút, ví dụ 20.")

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data.normalize(), "f")

    @staticmethod
    def from_seconds(seconds: int | None) -> Decimal | None:
        # Two decimals bring any whole number of seconds back exactly (error under 0.3 s).
        return None if seconds is None else (Decimal(seconds) / 60).quantize(Decimal("0.01")).normalize()

    def seconds(self) -> int | None:
        return None if self.data is None else int((self.data * 60).to_integral_value(ROUND_HALF_UP))


class _Row(Form):
    class Meta:
        csrf = False  # a row lives inside a form that carries the token


class AwardRow(_Row):
    name = StringField("Tên giải")
    count = IntegerField("Số giải", validators=[Optional()])

    def is_blank(self) -> bool:
        return not _text(self.name.data) and not (self.count.raw_data and self.count.raw_data[0].strip())

    def definition(self) -> dict:
        # "count" always present, so a name without a count is an error, never dropped.
        return {"name": self.name.data or "", "count": self.count.data}


class SignerRow(_Row):
    on_behalf = StringField("Thẩm quyền ký")
    title = StringField("Chức vụ")
    name = StringField("Họ và tên")

    def is_blank(self) -> bool:
        return not any(_text(field.data) for field in (self.on_behalf, self.title, self.name))

    def definition(self) -> dict:
        entry = {"title": self.title.data or "", "name": self.name.data or ""}
        if _text(self.on_behalf.data):
            entry["on_behalf"] = self.on_behalf.data
        return entry


class DrawRow(_Row):
    # Unknown banks and tie-breakers are the validator's to report, with its own messages.
    bank = SelectField("Ngân hàng", validate_choice=False)
    topic = StringField("Chủ đề")
    count = IntegerField("Số câu", validators=[Optional()])

    def is_blank(self) -> bool:
        return (not self.bank.data and not _text(self.topic.data)
                and not (self.count.raw_data and self.count.raw_data[0].strip()))

    def definition(self) -> dict:
        entry = {"bank": self.bank.data or "", "count": self.count.data}
        if _text(self.topic.data):
            entry["topic"] = self.topic.data
        return entry


class ContestForm(Form):
    title = StringField("Tên cuộc thi")
    description = TextAreaField("Thể lệ")
    registration_fields = SelectMultipleField(
        "Thông tin người dự thi phải khai trước khi thi",
        choices=_choices(REGISTRATION_LABELS, REGISTRATION_FIELDS),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    one_award_per_person = BooleanField("Mỗi người chỉ nhận tối đa một giải trong cả cuộc thi")
    require_verified_phone = BooleanField("Người dự thi phải xác minh số điện thoại bằng mã SMS trước khi thi")
    password = PasswordField("Mật khẩu cuộc thi")
    remove_password = BooleanField("Bỏ mật khẩu: ai cũng vào thi được")
    # Who issues the contest's documents (contests/documents.py).
    parent_body = StringField("Cơ quan cấp trên")
    organising_body = StringField("Cơ quan tổ chức")
    document_place = StringField("Địa danh")
    document_heading = SelectField("Tiêu đề văn bản", choices=[
        SelectChoice(value, label) for value, label in HEADING_LABELS.items()], default="state")
    signers = FieldList(FormField(SignerRow), min_entries=MAX_SIGNERS, max_entries=MAX_SIGNERS)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.remove_password.data and self.password.data:
            self.remove_password.errors = [
                *self.remove_password.errors, "Hoặc đặt mật khẩu mới, hoặc bỏ mật khẩu; không chọn cả hai."]
            valid = False
        return valid

    def definition(self, slug: str, timezone: str) -> dict:
        """The contest's keys of the JSON file: a new password sets it, "remove" sends null,
        and no ``password`` key keeps the current one."""
        definition = {
            "slug": slug,
            "title": self.title.data or "",
            "description": _text(self.description.data) or None,
            "timezone": timezone,
            "registration_fields": list(self.registration_fields.data or []),
            "one_award_per_person": bool(self.one_award_per_person.data),
            "require_verified_phone": bool(self.require_verified_phone.data),
            "organising_body": _text(self.organising_body.data) or None,
            "parent_body": _text(self.parent_body.data) or None,
            "place": _text(self.document_place.data) or None,
            "document_heading": self.document_heading.data or "state",
            "signers": [row.form.definition() for row in self._signer_rows()],
        }
        if self.password.data:
            definition["password"] = self.password.data
        elif "remove_password" in self and self.remove_password.data:
            definition["password"] = None
        return definition

    def error_targets(self) -> dict[str, object]:
        targets = {f"$.{name}": self[name] for name in
                   ("title", "description", "registration_fields", "one_award_per_person",
                    "require_verified_phone", "password", "organising_body", "parent_body", "document_heading")}
        targets["$.place"] = self.document_place
        for position, row in enumerate(self._signer_rows()):
            targets.update({f"$.signers[{position}]": row.form.title, f"$.signers[{position}].title": row.form.title,
                            f"$.signers[{position}].name": row.form.name,
                            f"$.signers[{position}].on_behalf": row.form.on_behalf})
        targets["$.signers"] = self.signers[0].form.title
        if "slug" in self:
            targets["$.slug"] = self["slug"]
        return targets


    def _signer_rows(self) -> list:
        return [row for row in self.signers if not row.form.is_blank()]


def document_data(contest) -> dict:
    """A contest's document settings as the contest form's fields hold them."""
    return {"organising_body": contest.organising_body or "", "parent_body": contest.parent_body or "",
            "document_place": contest.document_place or "", "document_heading": contest.document_heading,
            "signers": [dict(signer) for signer in contest.signers or []]}


class NewContestForm(ContestForm):
    # slug-suggest.js fills it from the title as the organiser types (data-slug-from).
    slug = StringField("Mã cuộc thi", render_kw={"data-slug-from": "title", "autocomplete": "off",
                                                 "spellcheck": "false", "maxlength": 64})


class RoundForm(Form):
    number = IntegerField("Vòng số", validators=[Optional()])
    title = StringField("Tên vòng")
    opens_at = LocalDateTimeField("Mở lúc", validators=[Optional()])
    closes_at = LocalDateTimeField("Đóng lúc", validators=[Optional()])
    time_limit = MinutesField("Thời gian làm bài (phút)", validators=[Optional()])
    max_attempts = IntegerField("Số lượt thi tối đa của mỗi người", validators=[Optional()])
    counting_attempt = SelectField("Lượt được tính khi xếp hạng", choices=_choices(COUNTING_LABELS, COUNTING))
    review = SelectField("Người thi xem kết quả", choices=_choices(REVIEW_LABELS, REVIEWS))
    practice = BooleanField("Vòng thi thử: không tính xếp hạng, được để trống thời gian làm bài")
    prediction_prompt = TextAreaField("Câu hỏi dự đoán")
    prediction_truth = SelectField("Số đúng của câu dự đoán", choices=_choices(TRUTH_LABELS, TRUTHS),
                                   default="participants_all_correct")
    prediction_locked = BooleanField("Khoá dự đoán: dự đoán đầu tiên của mỗi người dùng cho mọi lượt sau")
    tie_breakers = FieldList(
        SelectField("Tiêu chí", choices=[SelectChoice("", "—"), *_choices(TIE_BREAKER_LABELS, TIE_BREAKERS)],
                    validate_choice=False),
        "Xếp hạng khi bằng nhau", min_entries=len(TIE_BREAKERS), max_entries=len(TIE_BREAKERS),
    )
    awards = FieldList(FormField(AwardRow), "Giải thưởng", min_entries=AWARD_ROWS, max_entries=ROW_LIMIT)
    draw = FieldList(FormField(DrawRow), "Rút câu hỏi", min_entries=DRAW_ROWS, max_entries=ROW_LIMIT)

    def __init__(self, *args, banks=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bank_choices = [SelectChoice("", "—"), *(
            SelectChoice(bank.slug, bank.slug if bank.title == bank.slug else f"{bank.title} ({bank.slug})")
            for bank in banks)]
        for row in self.draw:
            row.bank.choices = self.bank_choices
        # Errors of a whole list (awards, draw, tie-breakers), shown above its rows.
        self.list_errors: dict[str, list[str]] = {"awards": [], "draw": [], "tie_breakers": []}
        self._award_rows: list[int] = []
        self._draw_rows: list[int] = []

    def add_spare_rows(self) -> None:
        """Blank rows below lists that already fill the default ones (a file may hold more)."""
        for rows, default in ((self.awards, AWARD_ROWS), (self.draw, DRAW_ROWS)):
            while len(rows) < max(default, sum(not row.form.is_blank() for row in rows) + SPARE_ROWS):
                rows.append_entry()
        for row in self.draw:
            row.bank.choices = self.bank_choices

    def definition(self) -> dict:
        """This round as the JSON file writes it; times without offset, read in the contest's zone."""
        awards = [(index, row.form) for index, row in enumerate(self.awards) if not row.form.is_blank()]
        draw = [(index, row.form) for index, row in enumerate(self.draw) if not row.form.is_blank()]
        self._award_rows = [index for index, _ in awards]
        self._draw_rows = [index for index, _ in draw]
        prompt = _text(self.prediction_prompt.data)
        return {
            "number": self.number.data,
            "title": self.title.data or "",
            "opens_at": self.opens_at.data.isoformat() if self.opens_at.data else None,
            "closes_at": self.closes_at.data.isoformat() if self.closes_at.data else None,
            "time_limit_seconds": self.time_limit.seconds(),
            "max_attempts": self.max_attempts.data,
            "counting_attempt": self.counting_attempt.data,
            "draw": [row.definition() for _, row in draw],
            "prediction": {"prompt": prompt, "truth": self.prediction_truth.data,
                           "locked": bool(self.prediction_locked.data)} if prompt else None,
            "tie_breakers": [entry.data for entry in self.tie_breakers if entry.data],
            "awards": [row.definition() for _, row in awards],
            "review": self.review.data,
            "practice": bool(self.practice.data),
        }

    def error_links(self) -> list[tuple[str, str]]:
        """As every form's, with the errors of a whole list linked to the list's first input."""
        firsts = {"awards": self.awards[0].form.name, "draw": self.draw[0].form.bank,
                  "tie_breakers": self.tie_breakers[0]}
        links = []
        for field in self:
            if field.short_name in firsts:
                section = self[field.short_name].label.text
                links += [(firsts[field.short_name].id, f"{section}: {message}")
                          for message in self.list_errors[field.short_name]]
            links += field_error_links(field)
        return links

    def error_targets(self, path: str) -> dict[str, object]:
        """Where an error at each JSON path under ``path`` (this round) is shown.

        Call after ``definition``: list entries are numbered without the blank rows.
        """
        targets: dict[str, object] = {
            f"{path}.{key}": self[name] for key, name in (
                ("number", "number"), ("title", "title"), ("opens_at", "opens_at"), ("closes_at", "closes_at"),
                ("time_limit_seconds", "time_limit"), ("max_attempts", "max_attempts"),
                ("counting_attempt", "counting_attempt"), ("review", "review"), ("practice", "practice"),
                ("prediction", "prediction_prompt"), ("prediction.prompt", "prediction_prompt"),
                ("prediction.truth", "prediction_truth"), ("prediction.locked", "prediction_locked"),
            )
        }
        for key in self.list_errors:
            targets[f"{path}.{key}"] = self.list_errors[key]
        for position, index in enumerate(self._award_rows):
            row = self.awards[index].form
            targets.update({f"{path}.awards[{position}]": row.name, f"{path}.awards[{position}].name": row.name,
                            f"{path}.awards[{position}].count": row.count})
        for position, index in enumerate(self._draw_rows):
            row = self.draw[index].form
            targets.update({f"{path}.draw[{position}]": row.bank, f"{path}.draw[{position}].bank": row.bank,
                            f"{path}.draw[{position}].topic": row.topic, f"{path}.draw[{position}].count": row.count})
        return targets


def round_form_data(round_: Round, zone: ZoneInfo) -> dict:
    """A stored round as the form shows it: times in the contest's zone, limit in minutes."""
    return {
        "number": round_.number,
        "title": round_.title,
        "opens_at": local_naive(round_.opens_at, zone),
        "closes_at": local_naive(round_.closes_at, zone),
        "time_limit": MinutesField.from_seconds(round_.time_limit_seconds),
        "max_attempts": round_.max_attempts,
        "counting_attempt": round_.counting_attempt,
        "review": round_.review,
        "practice": round_.practice,
        "prediction_prompt": round_.prediction_prompt or "",
        "prediction_truth": round_.prediction_truth or "participants_all_correct",
        "prediction_locked": round_.prediction_locked,
        "tie_breakers": list(round_.tie_breakers),
        "awards": [dict(award) for award in round_.awards],
        "draw": [{"bank": entry["bank"], "topic": entry.get("topic", ""), "count": entry["count"]}
                 for entry in round_.draw],
    }


def local_naive(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


_STEP = re.compile(r"(\.[A-Za-z_]+|\[\d+\])$")


def place_errors(errors: list[Problem], targets: dict[str, object]) -> list[Problem]:
    """Put each problem's message next to the field its path (or nearest parent) names.

    A target is a field or a list of a section's messages. Returns the problems no field
    takes, for the top of the page.
    """
    left = []
    for error in errors:
        probe = error.path
        while probe not in targets and _STEP.search(probe):
            probe = _STEP.sub("", probe)
        target = targets.get(probe)
        if target is None:
            left.append(error)
        elif isinstance(target, list):
            target.append(error.message)
        else:
            target.errors = [*target.errors, error.message]
    return left


class StaffForm(Form):
    """Add a co-organiser or a judge to a contest by the phone of their account."""

    phone = StringField("Số điện thoại của tài khoản", validators=[
        DataRequired("Vui lòng nhập số điện thoại.")])
    role = SelectField("Vai trò", choices=[SelectChoice("judge", "Ban giám khảo"),
                                           SelectChoice("organiser", "Ban tổ chức (đồng tổ chức)")])
