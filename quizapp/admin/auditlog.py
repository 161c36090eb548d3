"""The audit log as an admin reads it (``/admin/audit`` and its CSV): who did it (name and role),
what they did (a sentence per kind of event), on what (named, with a link where a page exists),
what changed (readable pairs), when (the installation's clock), and the filters that find events.

The log itself (quizapp/audit.py) stores codes and ids, the way every feature writes it; this
module is the one place that turns them into words, so the page and the CSV say the same thing.
It reads only what the log still holds: an erased person's events have lost their before and
after (privacy/erasure.py), and their name reads as the erased placeholder, so nothing erasure
blanked comes back here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy import ColumnElement, String, cast, or_, select
from sqlalchemy.orm import joinedload

from quizapp import audit
from quizapp.audit import AuditEvent
from quizapp.auth.models import ROLE_LABELS, User
from quizapp.auth.search import PersonQuery
from quizapp.banks.models import Bank, Question
from quizapp.clock import local_time
from quizapp.contests.access import ROLE_LABELS as STAFF_LABELS
from quizapp.contests.forms import COUNTING_LABELS, REGISTRATION_LABELS, REVIEW_LABELS, TIE_BREAKER_LABELS
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.extensions import db
from quizapp.formatting import number, zone_label
from quizapp.text import clean_text, fold
from quizapp.units.models import Unit

TIME_PATTERN = "%H:%M:%S %d/%m/%Y"
SYSTEM = "Dòng lệnh hoặc tác vụ tự động"
# What a page or file a person was shown is called (audit.personal_data_viewed's ``what``).
VIEWED = {
    "judging.round": "trang xét duyệt", "judging.ranking": "bảng xếp hạng", "judging.lock": "trang khóa kết quả",
    "judging.standings": "bảng xếp hạng chung", "judging.summary": "báo cáo vòng thi (bản in)",
    "admin.users": "danh sách tài khoản", "admin.account": "thông tin tài khoản",
    "contests.staff": "danh sách người phụ trách", "rankings export": "bảng xếp hạng (xuất bằng dòng lệnh)",
}
EXPORTED = {"ranking.exported": "bảng xếp hạng", "awards.exported": "danh sách giải",
            "attempts.exported": "nhật ký mọi lượt thi", "collective.exported": "danh sách giải tập thể",
            "standings.exported": "bảng xếp hạng chung", "audit.exported": "nhật ký thao tác"}


@dataclass(frozen=True)
class Category:
    label: str
    actions: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def condition(self) -> ColumnElement[bool]:
        tests = [AuditEvent.action.in_(self.actions)] if self.actions else []
        tests += [AuditEvent.action.startswith(prefix, autoescape=True) for prefix in self.prefixes]
        return or_(*tests)


# The page's "kind" filter; ``personal_data`` and ``purge`` are linked from elsewhere and kept.
CATEGORIES = {
    "accounts": Category("Tài khoản và vai trò", prefixes=("user.",)),
    "contests": Category("Cuộc thi và người phụ trách", prefixes=("contest.",)),
    "banks": Category("Ngân hàng câu hỏi", prefixes=("bank.", "question.")),
    "units": Category("Danh mục đơn vị", prefixes=("units.", "unit.")),
    "judging": Category("Xét duyệt, giải và khóa kết quả", prefixes=("attempt.", "award.", "round.")),
    "exports": Category("Tải tệp có dữ liệu cá nhân", actions=(*audit.PERSONAL_DATA_EXPORTS, "collective.exported")),
    "personal_data": Category("Xem dữ liệu cá nhân của người khác", actions=audit.PERSONAL_DATA_ACTIONS),
    "privacy": Category("Xoá dữ liệu cá nhân theo yêu cầu", actions=("privacy.erased", "privacy.id_numbers_rekeyed")),
    "purge": Category("Xoá dữ liệu hết thời hạn lưu giữ", actions=audit.PURGE_ACTIONS),
}
MAX_FILTER = 120
# No event is older than the software, and none is dated past the calendar's end.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


# --- filters -------------------------------------------------------------------------------------


@dataclass
class AuditFilter:
    """What the admin asked for in the URL; each part that makes no sense is dropped with a
    sentence saying so (never an error page)."""

    kind: str | None = None
    actor: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> AuditFilter:
        found = cls(kind=args.get("kind") if args.get("kind") in CATEGORIES else None,
                    actor=clean_text(args.get("actor"))[:MAX_FILTER],
                    target=clean_text(args.get("target"))[:MAX_FILTER])
        found.since = found._date(args.get("from"), "Từ ngày")
        found.until = found._date(args.get("to"), "Đến ngày")
        if found.since and found.until and found.since > found.until:
            found.problems.append("“Từ ngày” sau “Đến ngày”: đã đổi chỗ hai ngày.")
            found.since, found.until = found.until, found.since
        return found

    def _date(self, raw: str | None, label: str) -> date | None:
        text = clean_text(raw)
        if not text:
            return None
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                day = datetime.strptime(text[:10], pattern).date()
            except ValueError:
                continue
            # Days at the ends of the calendar would overflow when turned into UTC bounds.
            if FIRST_DAY <= day <= LAST_DAY:
                return day
            break
        self.problems.append(f"“{label}” không phải một ngày (ví dụ 25/12/2026); đã bỏ qua.")
        return None

    def args(self) -> dict[str, str]:
        """The filters as URL parameters, for the pager and the CSV link."""
        values = {"kind": self.kind or "", "actor": self.actor, "target": self.target,
                  "from": self.since.isoformat() if self.since else "",
                  "to": self.until.isoformat() if self.until else ""}
        return {name: value for name, value in values.items() if value}

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = []
        if self.kind:
            conditions.append(CATEGORIES[self.kind].condition())
        zone = ZoneInfo(str(current_app.config["TIMEZONE"]))
        # Days are the installation's days, as the page shows times.
        if self.since:
            conditions.append(AuditEvent.at >= datetime.combine(self.since, time.min, zone).astimezone(UTC))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time.min, zone).astimezone(UTC)
            conditions.append(AuditEvent.at < end)
        if self.actor:
            conditions.append(_actor_condition(self.actor))
        if self.target:
            conditions.append(_target_condition(self.target))
        return conditions


def _people(text: str):
    query = PersonQuery.parse(text)
    return select(User.id).where(query.condition()) if query is not None else None


def _actor_condition(text: str) -> ColumnElement[bool]:
    people = _people(text)
    if fold(text) in (fold(SYSTEM), fold("dòng lệnh"), fold("hệ thống")):
        return AuditEvent.actor_id.is_(None)
    return AuditEvent.actor_id.in_(people) if people is not None else AuditEvent.id.is_(None)


def _target_condition(text: str) -> ColumnElement[bool]:
    """Events about what ``text`` names: an id as the log writes it, a person (phone or name) the
    event is about or names, a contest (title or code) or one of its rounds, a bank."""
    tests: list[ColumnElement[bool]] = [AuditEvent.target_id == text[:64]]
    people = _people(text)
    if people is not None:
        tests += [(AuditEvent.target_type == "user") & AuditEvent.target_id.in_(
                      select(cast(User.id, String)).where(User.id.in_(people))),
                  AuditEvent.subject_id.in_(people)]
    pattern = text.casefold()
    contests = select(Contest.id).where(or_(Contest.slug.contains(pattern, autoescape=True),
                                            Contest.title.ilike(f"%{_escaped(text)}%", escape="\\")))
    tests += [(AuditEvent.target_type == "contest") & or_(
                  AuditEvent.target_id.in_(select(cast(Contest.id, String)).where(Contest.id.in_(contests))),
                  AuditEvent.target_id.in_(select(Contest.slug).where(Contest.id.in_(contests)))),
              (AuditEvent.target_type == "round") & AuditEvent.target_id.in_(
                  select(cast(Round.id, String)).where(Round.contest_id.in_(contests))),
              (AuditEvent.target_type == "bank") & AuditEvent.target_id.in_(
                  select(Bank.slug).where(or_(Bank.slug.contains(pattern, autoescape=True),
                                              Bank.title.ilike(f"%{_escaped(text)}%", escape="\\"))))]
    return or_(*tests)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def statement(audit_filter: AuditFilter):
    """The filtered events, newest first, each with the account that acted (none from the shell)."""
    return (select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
            .where(*audit_filter.conditions()).order_by(AuditEvent.id.desc()))


# --- events in words -------------------------------------------------------------------------------


@dataclass
class EventView:
    """One event as the page and the CSV show it."""

    event: AuditEvent
    when: str
    who: str
    role: str
    phone: str
    sentence: str
    target: str = ""
    url: str | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Names:
    """What the events of a page name, read in one query per kind of thing."""

    users: dict[int, User]
    rounds: dict[int, Round]
    contests: dict[str, Contest]
    attempts: dict[int, Attempt]
    banks: dict[str, Bank]
    questions: dict[int, Question]
    units: dict[str, Unit]
    zone: str

    @classmethod
    def read(cls, events: list[AuditEvent]) -> Names:
        def ids(kind: str) -> set[int]:
            return {int(event.target_id) for event in events if event.target_type == kind and event.target_id.isdigit()}

        def keys(kind: str) -> set[str]:
            return {event.target_id for event in events if event.target_type == kind}

        attempts = _by(Attempt, Attempt.id, ids("attempt"))
        user_ids = ids("user") | {event.subject_id for event in events if event.subject_id}
        user_ids |= {attempt.user_id for attempt in attempts.values()}
        user_ids |= {int(value) for event in events for value in [_field(event.after, "user_id")]
                     if isinstance(value, int)}
        round_ids = ids("round") | {attempt.round_id for attempt in attempts.values()}
        contest_keys = keys("contest")
        contests = {}
        if contest_keys:
            numbers = [int(key) for key in contest_keys if key.isdigit()]
            for contest in db.session.scalars(select(Contest).where(
                    or_(Contest.slug.in_(contest_keys), Contest.id.in_(numbers)))):
                contests[contest.slug], contests[str(contest.id)] = contest, contest
        unit_codes = keys("unit") | {str(value) for event in events for data in (event.before, event.after)
                                     for value in [_field(data, "unit_code")] if value}
        copied_from = {str(_field(event.after, "from")) for event in events
                       if event.action == "bank.copied" and _field(event.after, "from")}
        return cls(users=_by(User, User.id, user_ids),
                   rounds=_by(Round, Round.id, round_ids, joinedload(Round.contest)),
                   contests=contests, attempts=attempts, banks=_by(Bank, Bank.slug, keys("bank") | copied_from),
                   questions=_by(Question, Question.id, ids("question"), joinedload(Question.bank)),
                   units=_by(Unit, Unit.code, unit_codes), zone=str(current_app.config["TIMEZONE"]))

    def person(self, user_id: object) -> str:
        user = self.users.get(user_id) if isinstance(user_id, int) else None
        return user.full_name if user else f"tài khoản số {user_id}"

    def round_name(self, round_id: object) -> str:
        round_ = self.rounds.get(round_id) if isinstance(round_id, int) else None
        return f"{round_.contest.title}, {round_.title}" if round_ else f"vòng thi số {round_id}"

    def unit_name(self, code: object) -> str:
        unit = self.units.get(str(code))
        return f"{unit.name} ({unit.code})" if unit else str(code)


def _by(model, column, keys: set, *options) -> dict:
    keys = {key for key in keys if key is not None}
    if not keys:
        return {}
    return {getattr(row, column.key): row for row in db.session.scalars(select(model).where(column.in_(keys))
                                                                         .options(*options))}


def _field(data: object, name: str) -> object:
    return data.get(name) if isinstance(data, Mapping) else None


def describe(rows: Iterable[tuple[AuditEvent, User | None]]) -> list[EventView]:
    """The events in words, with everything they name read once for all of them."""
    rows = list(rows)
    names = Names.read([event for event, _actor in rows])
    return [_view(event, actor, names) for event, actor in rows]


def _view(event: AuditEvent, actor: User | None, names: Names) -> EventView:
    target, url = _target(event, names)
    view = EventView(event=event, when=local_time(event.at, names.zone, TIME_PATTERN),
                     who=actor.full_name if actor else SYSTEM, role=ROLE_LABELS.get(actor.role, "") if actor else "",
                     phone=actor.phone if actor and actor.erased_at is None else "", sentence="", target=target,
                     url=url)
    writer = SENTENCES.get(event.action)
    if writer is None:
        view.sentence = f"Thao tác “{event.action}”" + (f" trên {target}" if target else "") + "."
        view.changes = _pairs(event.before, event.after, names)
    else:
        writer(view, _Data(event.before), _Data(event.after), names)
    return view


class _Data(dict):
    """An event's before or after; empty once erased, so every sentence reads it the same way."""

    def __init__(self, data: object) -> None:
        super().__init__(data if isinstance(data, Mapping) else {})


def _target(event: AuditEvent, names: Names) -> tuple[str, str | None]:
    """What an event is about, in words, and the page that shows it (None when there is none)."""
    kind, key = event.target_type, event.target_id
    number_ = int(key) if key.isdigit() else None
    if kind == "user":
        user = names.users.get(number_)
        return (user.full_name if user else f"tài khoản số {key}",
                url_for("admin.account", user_id=number_) if user else None)
    if kind == "round":
        return (names.round_name(number_),
                url_for("judging.round_review", round_id=number_) if number_ in names.rounds else None)
    if kind == "attempt":
        attempt = names.attempts.get(number_)
        if attempt is None:
            return f"lượt thi số {key}", None
        return (f"lượt thi {attempt.number} của {names.person(attempt.user_id)} ({names.round_name(attempt.round_id)})",
                url_for("judging.round_review", round_id=attempt.round_id) + f"#attempt-{attempt.id}")
    if kind == "contest":
        contest = names.contests.get(key)
        return (f"cuộc thi “{contest.title}”", url_for("contests.manage_dashboard", slug=contest.slug)) if contest \
            else (f"cuộc thi “{key}”", None)
    if kind == "bank":
        bank = names.banks.get(key)
        if bank is None:
            return f"ngân hàng “{key}”", None
        return f"ngân hàng “{bank.title}”", url_for("banks.show", slug=bank.slug)
    if kind == "question":
        question = names.questions.get(number_)
        if question is None:
            return f"câu hỏi số {key}", None
        return (f"câu hỏi số {key} của ngân hàng “{question.bank.title}”",
                url_for("banks.edit_question", slug=question.bank.slug, question_id=question.id))
    if kind == "unit":
        return f"đơn vị {names.unit_name(key)}", url_for("units.index")
    if kind == "units":
        return f"danh mục đơn vị (tệp {key})", url_for("units.index")
    if kind == "audit":
        return "nhật ký thao tác", None
    return ("mọi tài khoản", None) if kind == "users" else (f"{kind} {key}", None)


# --- values ----------------------------------------------------------------------------------------

FIELD_LABELS = {
    "role": "Vai trò", "full_name": "Họ và tên", "phone": "Số điện thoại", "unit_code": "Đơn vị",
    "is_active": "Trạng thái", "can_edit_units": "Sửa danh mục đơn vị", "headcount": "Số người của đơn vị",
    "award": "Giải", "reason": "Lý do", "disqualified": "Xét giải", "active": "Câu hỏi", "picture": "Hình minh hoạ",
    "title": "Tên", "registration_fields": "Thông tin người thi phải khai",
    "one_award_per_person": "Mỗi người một giải",
    "password": "Mật khẩu vào thi", "require_verified_phone": "Phải xác minh số điện thoại", "topic": "Chủ đề",
    "text": "Nội dung câu hỏi", "multiple": "Nhiều đáp án đúng", "options": "Các phương án", "correct": "Đáp án đúng",
    "opens_at": "Mở lúc", "closes_at": "Đóng lúc", "time_limit_seconds": "Thời gian làm bài",
    "max_attempts": "Số lượt thi tối đa", "counting_attempt": "Lượt được tính", "draw": "Cách rút câu hỏi",
    "tie_breakers": "Thứ tự xếp hạng", "awards": "Cơ cấu giải", "review": "Người thi xem kết quả",
    "practice": "Vòng thi thử", "prediction": "Câu hỏi dự đoán",
    # Who issues the contest's documents (contests load's document keys).
    "organising_body": "Cơ quan tổ chức", "parent_body": "Cơ quan cấp trên", "place": "Địa danh trên văn bản",
    "document_heading": "Quốc hiệu trên văn bản", "signers": "Người ký",
}
HEADINGS = {"state": "Quốc hiệu và Tiêu ngữ", "party": "ĐẢNG CỘNG SẢN VIỆT NAM"}
LONGEST = 160


def _value(name: str, value: object, names: Names) -> str:
    """One stored value as people read it."""
    if value is None or value == "" or value == []:
        return {"award": "Không trao giải", "picture": "không có"}.get(name, "(trống)")
    if name == "role":
        return ROLE_LABELS.get(str(value), STAFF_LABELS.get(str(value), str(value)))
    if name == "is_active":
        return "Đang hoạt động" if value else "Đã khoá"
    if name == "disqualified":
        return "Bị loại khỏi xét giải" if value else "Được xét giải"
    if name == "active":
        return "Đang dùng" if value else "Ngừng dùng"
    if name == "unit_code":
        return names.unit_name(value)
    if name in ("opens_at", "closes_at") and isinstance(value, str):
        try:
            return f"{local_time(datetime.fromisoformat(value), names.zone)} ({zone_label(names.zone)})"
        except ValueError:
            return value
    if name == "time_limit_seconds" and isinstance(value, int):
        return f"{number(value // 60)} phút" + (f" {value % 60} giây" if value % 60 else "")
    if name == "correct" and isinstance(value, list):
        return ", ".join(chr(ord("A") + int(position)) for position in value if isinstance(position, int))
    if name == "options" and isinstance(value, list):
        return _short("; ".join(f"{chr(ord('A') + index)}. {text}" for index, text in enumerate(value)))
    if name == "registration_fields" and isinstance(value, list):
        return ", ".join(REGISTRATION_LABELS.get(str(item), str(item)) for item in value)
    if name == "tie_breakers" and isinstance(value, list):
        return "; ".join(TIE_BREAKER_LABELS.get(str(item), str(item)) for item in value)
    if name == "counting_attempt":
        return COUNTING_LABELS.get(str(value), str(value))
    if name == "review":
        return REVIEW_LABELS.get(str(value), str(value))
    if name == "awards" and isinstance(value, list):
        return "; ".join(f"{_field(tier, 'name')}: {_field(tier, 'count')}" for tier in value)
    if name == "document_heading":
        return HEADINGS.get(str(value), str(value))
    if name == "signers" and isinstance(value, list):
        return "; ".join(" ".join(str(part) for part in (_field(signer, "on_behalf"), _field(signer, "title"),
                                                         _field(signer, "name")) if part) for signer in value)
    if name == "draw" and isinstance(value, list):
        return "; ".join(f"{_field(item, 'count')} câu từ ngân hàng {_field(item, 'bank')}"
                         + (f", chủ đề {_field(item, 'topic')}" if _field(item, "topic") else "") for item in value)
    return _plain(value)


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int | float):
        return number(value, 0 if float(value).is_integer() else 2)
    if isinstance(value, list):
        return _short(", ".join(_plain(item) for item in value))
    if isinstance(value, Mapping):
        return _short("; ".join(f"{FIELD_LABELS.get(str(key), str(key))}: {_plain(item)}"
                                for key, item in value.items()))
    return _short(str(value))


def _short(text: str) -> str:
    return text if len(text) <= LONGEST else text[:LONGEST - 1] + "…"


def _pairs(before: object, after: object, names: Names, keys: Iterable[str] | None = None,
           prefix: str = "") -> list[tuple[str, str, str]]:
    """What changed, as (what, before, after) for the fields whose values differ."""
    before, after = _Data(before), _Data(after)
    wanted = list(keys) if keys is not None else list(dict.fromkeys([*before, *after]))
    return [(prefix + FIELD_LABELS.get(name, name), _value(name, before.get(name), names),
             _value(name, after.get(name), names))
            for name in wanted if before.get(name) != after.get(name) and (name in before or name in after)]


# --- one sentence per kind of event ------------------------------------------------------------------------
# Each writer fills in the view's sentence (without the actor, shown beside it) and its changes.

Writer = Callable[[EventView, _Data, _Data, Names], None]


def _role_changed(view, before, after, names):
    view.sentence = f"Đổi vai trò của {view.target}"
    if before.get("role") and after.get("role"):
        view.sentence += f" từ {_value('role', before['role'], names)} thành {_value('role', after['role'], names)}"


def _units_editor(view, before, after, names):
    allowed = after.get("can_edit_units")
    view.sentence = (f"Cho phép {view.target} sửa danh mục đơn vị" if allowed
                     else f"Bỏ quyền sửa danh mục đơn vị của {view.target}" if allowed is False
                     else f"Đổi quyền sửa danh mục đơn vị của {view.target}")


def _user_updated(view, before, after, names):
    view.sentence = f"Sửa thông tin tài khoản của {view.target}"
    view.changes = _pairs(before, after, names)


def _user_created(view, before, after, names):
    view.sentence = f"Tạo tài khoản {view.target}"
    if after.get("role"):
        view.sentence += f" với vai trò {_value('role', after['role'], names)}"


def _password_reset(view, before, after, names):
    channel = {"sms": "mã gửi qua tin nhắn", "helpdesk": "mã do bộ phận hỗ trợ cấp"}.get(str(after.get("code")))
    view.sentence = f"Mật khẩu của {view.target} được đặt lại" + (f" bằng {channel}" if channel else "")


def _reset_code(view, before, after, names):
    view.sentence = f"Cấp mã đặt lại mật khẩu cho {view.target}"
    if isinstance(after.get("minutes"), int):
        view.sentence += f" (dùng được trong {number(after['minutes'])} phút)"


def _fixed(text: str) -> Writer:
    def write(view, before, after, names):
        view.sentence = text.format(target=view.target)
        view.changes = _pairs(before, after, names)
    return write


def _units_loaded(view, before, after, names):
    view.sentence = f"Nạp danh mục đơn vị từ tệp “{view.event.target_id}”"
    counts = [(after.get("created"), "đơn vị mới"), (after.get("updated"), "cập nhật"),
              (after.get("unchanged"), "không đổi")]
    parts = [f"{number(count)} {label}" for count, label in counts if isinstance(count, int)]
    if parts:
        view.sentence += ": " + ", ".join(parts)


def _bank_imported(view, before, after, names):
    view.sentence = f"Nhập {number(after['new_questions'])} câu hỏi mới vào {view.target}" \
        if isinstance(after.get("new_questions"), int) else f"Nhập câu hỏi vào {view.target}"
    if after.get("file"):
        view.sentence += f" từ tệp “{after['file']}”"
    extra = []
    if after.get("skipped"):
        extra.append(f"bỏ qua {number(after['skipped'])} câu đã có")
    if after.get("pictures"):
        extra.append(f"{number(after['pictures'])} hình minh hoạ")
    if after.get("bank_created"):
        extra.append("tạo ngân hàng mới")
    if extra:
        view.sentence += " (" + ", ".join(extra) + ")"


def _bank_copied(view, before, after, names):
    source = names.banks.get(str(after.get("from")))
    view.sentence = f"Sao chép {'ngân hàng “' + source.title + '”' if source else 'một ngân hàng'} thành {view.target}"
    if isinstance(after.get("questions"), int):
        view.sentence += f" ({number(after['questions'])} câu hỏi)"


def _question_picture(view, before, after, names):
    had, has = before.get("picture"), after.get("picture")
    view.sentence = (f"Thêm hình minh hoạ cho {view.target}" if has and not had
                     else f"Gỡ hình minh hoạ của {view.target}" if had and not has
                     else f"Thay hình minh hoạ của {view.target}")


def _contest_saved(view, before, after, names):
    title = after.get("title") or view.target
    if view.event.action == "contest.created":
        rounds = after.get("rounds")
        view.sentence = f"Tạo cuộc thi “{title}”" if after else f"Tạo {view.target}"
        if isinstance(rounds, Mapping):
            view.sentence += f" với {number(len(rounds))} vòng thi"
        return
    view.sentence = f"Sửa {view.target}"
    view.changes = _pairs(before, after, names, [key for key in dict.fromkeys([*before, *after]) if key != "rounds"])
    old, new = before.get("rounds"), after.get("rounds")
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for number_ in sorted(set(old) | set(new), key=lambda key: (len(key), key)):
            if number_ not in old:
                view.changes.append((f"Vòng {number_}", "chưa có", "thêm mới"))
            elif number_ not in new:
                view.changes.append((f"Vòng {number_}", "có", "đã bỏ"))
            else:
                view.changes += _pairs(old[number_], new[number_], names, prefix=f"Vòng {number_}: ")


def _staff(view, before, after, names):
    data = after or before
    person = names.person(view.event.subject_id) if view.event.subject_id else "một người"
    role = STAFF_LABELS.get(str(data.get("role")), "ban phụ trách").lower()
    view.sentence = (f"Thêm {person} vào {role} của {view.target}" if view.event.action == "contest.staff_added"
                     else f"Bỏ {person} khỏi {role} của {view.target}")


def _round_locked(view, before, after, names):
    view.sentence = f"Khóa kết quả {view.target}"
    if isinstance(after.get("rows"), int):
        view.sentence += f": {number(after['rows'])} dòng"
    if after.get("checksum"):
        view.details.append(("Mã kiểm tra SHA-256", str(after["checksum"])))
    if after.get("undecided_flags"):
        view.details.append(("Dấu hiệu chưa quyết định khi khóa", number(after["undecided_flags"])))
    if after.get("award_overrides"):
        view.details.append(("Quyết định điều chỉnh giải", number(after["award_overrides"])))
    if after.get("reason"):
        view.details.append(("Lý do", str(after["reason"])))


def _award_overridden(view, before, after, names):
    person = names.person(after.get("user_id")) if after else "một người dự thi"
    view.sentence = f"Điều chỉnh giải của {person} ở {view.target}"
    if after:
        view.sentence += f": {_value('award', after.get('award'), names)}"
    view.changes = _pairs(before, after, names, ["award", "reason"]) if before else []
    if not before and after.get("reason"):
        view.details.append(("Lý do", str(after["reason"])))


def _attempt_decided(view, before, after, names):
    if view.event.action == "attempt.disqualified":
        view.sentence = f"Loại {view.target} khỏi xét giải"
    else:
        view.sentence = f"Bỏ qua các dấu hiệu ở {view.target}, giữ lượt thi trong xét giải"
    if after.get("reason"):
        view.details.append(("Lý do", str(after["reason"])))
    view.changes = _pairs(before, after, names, ["disqualified"])


def _exported(view, before, after, names):
    what = EXPORTED.get(view.event.action, "tệp")
    view.sentence = f"Tải {what}" + (f" của {view.target}" if view.event.target_type != "audit" else "")
    if view.event.target_type == "audit":
        # The download's filters, as the page's form names them.
        labels = {"kind": "Nhóm", "actor": "Người thực hiện", "target": "Đối tượng", "from": "Từ ngày",
                  "to": "Đến ngày"}
        category = CATEGORIES.get(str(after.get("kind")))
        view.details = [(label, category.label if name == "kind" and category else str(after[name]))
                        for name, label in labels.items() if after.get(name)]
    elif after.get("kind"):
        view.sentence += f" ({str(after['kind']).upper()})"


def _viewed(view, before, after, names):
    what = VIEWED.get(str(after.get("what")), "một trang có dữ liệu cá nhân")
    view.sentence = f"Xem {what}" + (f" của {view.target}" if view.event.target_type not in ("users", "user") else "")
    if view.event.target_type == "user":
        view.sentence += f" {view.target}"
    if isinstance(after.get("page"), int) and after["page"] > 1:
        view.sentence += f", trang {number(after['page'])}"
    if after.get("search"):
        view.sentence += f", tìm “{after['search']}”"
    if isinstance(after.get("rows"), int):
        view.sentence += f" ({number(after['rows'])} dòng)"


def _erased(view, before, after, names):
    why = {"deletion": "theo yêu cầu của người đó",
           "retention": "vì hết thời hạn lưu giữ"}.get(str(after.get("reason")))
    view.sentence = f"Xoá dữ liệu cá nhân của {view.target}" + (f" {why}" if why else "")
    if isinstance(after.get("attempts"), int):
        view.details.append(("Lượt thi được ẩn danh", number(after["attempts"])))


def _rekeyed(view, before, after, names):
    view.sentence = "Mã hoá lại số CCCD bằng khoá mới"
    if isinstance(after.get("accounts"), int):
        view.sentence += f" cho {number(after['accounts'])} tài khoản"


def _purged(view, before, after, names):
    by = {"daily": "lần chạy tự động hằng ngày", "hand": "chạy bằng tay"}.get(str(after.get("by")), "")
    erased = after.get("erased")
    view.sentence = "Xoá dữ liệu hết thời hạn lưu giữ" + (f" ({by})" if by else "")
    if isinstance(erased, int):
        view.sentence += f": {number(erased)} người"
    if isinstance(after.get("retention_days"), int):
        view.details.append(("Thời hạn lưu giữ", f"{number(after['retention_days'])} ngày"))


def _purge_failed(view, before, after, names):
    view.sentence = "Lần xoá dữ liệu hết thời hạn lưu giữ hằng ngày bị lỗi; chưa xoá được ai, lần sau sẽ chạy lại"


SENTENCES: dict[str, Writer] = {
    "user.created": _user_created, "user.role_changed": _role_changed, "user.units_editor": _units_editor,
    "user.updated": _user_updated, "user.disabled": _fixed("Khoá tài khoản {target}"),
    "user.enabled": _fixed("Mở khoá tài khoản {target}"), "user.password_reset": _password_reset,
    "user.reset_code": _reset_code, "units.loaded": _units_loaded,
    "unit.headcount": _fixed("Sửa số người của {target}"), "bank.imported": _bank_imported,
    "bank.copied": _bank_copied, "question.edited": _fixed("Sửa {target}"),
    "question.picture_changed": _question_picture, "question.activated": _fixed("Dùng lại {target}"),
    "question.deactivated": _fixed("Ngừng dùng {target}"), "contest.created": _contest_saved,
    "contest.saved": _contest_saved, "contest.staff_added": _staff, "contest.staff_removed": _staff,
    "round.locked": _round_locked, "award.overridden": _award_overridden, "attempt.disqualified": _attempt_decided,
    "attempt.cleared": _attempt_decided, audit.PERSONAL_DATA_VIEWED: _viewed, "privacy.erased": _erased,
    "privacy.id_numbers_rekeyed": _rekeyed, "privacy.purged": _purged, "privacy.purge_failed": _purge_failed,
    **dict.fromkeys(EXPORTED, _exported),
}


# --- the CSV ---------------------------------------------------------------------------------------

CSV_HEADER = ["Thời điểm", "Người thực hiện", "Vai trò", "Số điện thoại", "Thao tác", "Đối tượng", "Thay đổi",
              "Chi tiết", "Loại sự kiện"]
CSV_CHUNK = 500


def csv_rows(audit_filter: AuditFilter, limit: int) -> Iterator[list[str]]:
    """The filtered log's rows for the CSV, newest first, at most ``limit``, read and described a
    chunk at a time; one last row says so when more events matched."""
    result = db.session.execute(statement(audit_filter).limit(limit + 1).execution_options(yield_per=CSV_CHUNK))
    written = 0
    for chunk in result.partitions():
        for view in describe(chunk):
            if written == limit:
                yield [f"… còn nữa: tệp chỉ có {number(limit)} thao tác mới nhất; hãy thu hẹp bộ lọc."]
                return
            written += 1
            yield [view.when, view.who, view.role, view.phone, view.sentence, view.target,
                   "; ".join(f"{what}: {old} → {new}" for what, old, new in view.changes),
                   "; ".join(f"{what}: {value}" for what, value in view.details), view.event.action]
