"""Contests and rounds: one validator for the JSON file and the organiser's pages. Never commits."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from quizapp import audit
from quizapp.auth.passwords import hash_password
from quizapp.banks.models import Bank, Question, Topic
from quizapp.contests.documents import HEADINGS, MAX_SIGNERS
from quizapp.contests.logos import LogoInvalid, logo_png
from quizapp.contests.models import (
    COUNTING,
    REGISTRATION_FIELDS,
    REVIEWS,
    TIE_BREAKERS,
    TRUTHS,
    Contest,
    ContestStaff,
    Round,
)
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.text import clean_text
from quizapp.text import slug as slug_of

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DEFAULT_TIE_BREAKERS = ["correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc"]
# Path segments the /contests pages use, so no contest may take them as its slug.
RESERVED_SLUGS = {"manage", "attempts", "rounds"}
# A contest file without "password" keeps the stored one; null removes it.
KEEP = object()
# Who issues the contest's documents (contests/documents.py).
DOCUMENT_KEYS = ("organising_body", "parent_body", "place", "document_heading", "signers")
CONTEST_KEYS = {"slug", "title", "description", "timezone", "registration_fields", "one_award_per_person",
                "require_verified_phone", "password", "rounds", "certificates", *DOCUMENT_KEYS}
CERTIFICATE_KEYS = {"participants", "title", "logo"}
ROUND_KEYS = {"number", "title", "opens_at", "closes_at", "time_limit_seconds", "max_attempts",
              "counting_attempt", "draw", "prediction", "tie_breakers", "awards", "review", "practice"}


FILE_TIME = "2024-05-06T10:00:00+07:00"  # how a file writes a moment
FORM_TIME = "06/05/2024 10:00"  # how the form's date-time field shows one


@dataclass(frozen=True)
class Problem:
    """One error of a contest definition: where it is (a JSON path) and what to do about it.

    ``message`` is what an organiser reads next to the form's field. A file's author also
    needs the file's own syntax at times (a moment with its offset, ``null``, the keys'
    values), so ``in_file`` replaces it where the file and the form differ. Both are plain
    sentences; the path is what names the key in a file.
    """

    path: str
    message: str
    in_file: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.in_file or self.message}"


class ContestInvalid(DomainError):
    """A contest definition with errors; ``errors`` holds each as a ``Problem``, which prints as
    ``$.json.path: message``."""

    status, code = 422, "contest_invalid"
    message = "Thông tin cuộc thi có lỗi; chưa có thay đổi nào được lưu."

    def __init__(self, errors: list[Problem]) -> None:
        super().__init__()
        self.errors = errors


SLUG_LIMIT = 64
FALLBACK_SLUG = "cuoc-thi"  # for a title with no letter or digit to make a code from


def free_slug(title: str | None) -> str:
    """A contest code from ``title`` (``text.slug``) that no contest has and the pages do not
    use: the title's own, else with -2, -3, … added, still within the length a code may have."""
    base = slug_of(title) or FALLBACK_SLUG
    candidate, number = base, 1
    while candidate in RESERVED_SLUGS or db.session.scalar(
            select(Contest.id).where(Contest.slug == candidate)) is not None:
        number += 1
        suffix = f"-{number}"
        candidate = slug_of(base, SLUG_LIMIT - len(suffix)) + suffix
    return candidate


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Checker:
    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: str, message: str, in_file: str | None = None) -> None:
        self.errors.append(Problem(path, message, in_file))

    def warning(self, path: str, message: str, in_file: str | None = None) -> None:
        self.warnings.append(Problem(path, message, in_file))

    def text(self, data: dict, key: str, path: str, name: str, *, required=True, limit=300) -> str | None:
        """``name`` is what the organiser calls the value ("tên cuộc thi")."""
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not clean_text(value)):
            self.error(f"{path}.{key}", f"Nhập {name}.",
                       None if value is None or isinstance(value, str) else f"Nhập {name} (một chuỗi ký tự).")
            return None
        value = value.strip() if key == "description" else clean_text(value)
        if len(value) > limit:
            self.error(f"{path}.{key}", f"{_capital(name)} dài {len(value)} ký tự; tối đa {limit} ký tự.")
        return value

    def integer(self, data: dict, key: str, path: str, message: str, *, in_file: str | None = None,
                nullable=False, minimum=1, default=None):
        """``message`` says what a whole number from ``minimum`` up means for this key."""
        if key not in data:
            return default
        value = data[key]
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.error(f"{path}.{key}", message, in_file)
            return None
        return value

    def boolean(self, data: dict, key: str, path: str, default=False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(f"{path}.{key}", "Chọn có hoặc không.", "Ghi true (có) hoặc false (không).")
            return default
        return value

    def choice(self, data: dict, key: str, path: str, choices, default):
        value = data.get(key, default)
        if value not in choices:
            # Forms offer only valid choices: a wrong value comes from a file, which writes these codes.
            self.error(f"{path}.{key}", "Chọn một giá trị trong danh sách.",
                       f"Giá trị {_quoted(value)} không dùng được; chọn một trong: {', '.join(choices)}.")
            return default
        return value

    def unknown(self, data: dict, known: set[str], path: str) -> None:
        for key in sorted(set(data) - known):
            self.error(f"{path}.{key}", "Định dạng tệp cuộc thi không có mục này; kiểm tra lại chính tả "
                                        "(docs/contest-format.md).")


def _quoted(value: object) -> str:
    """A value from a file as a message quotes it: text in quotation marks, the rest as JSON writes it."""
    if isinstance(value, str):
        return f"“{value}”"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def validate_contest(data: object) -> dict:
    """Check a contest definition (DESIGN §5, docs/contest-format.md); return it cleaned.

    Raises ``ContestInvalid`` with every problem and its JSON path. What is allowed but
    probably not meant comes back in ``clean["warnings"]``, each a ``Problem`` too.
    """
    check = _Checker()
    if not isinstance(data, dict):
        raise ContestInvalid([Problem("$", "Tệp phải chứa một đối tượng JSON {…} mô tả cuộc thi.")])
    check.unknown(data, CONTEST_KEYS, "$")
    clean: dict = {
        "slug": data.get("slug"),
        "title": check.text(data, "title", "$", "tên cuộc thi"),
        "description": check.text(data, "description", "$", "thể lệ", required=False, limit=20000),
        "timezone": data.get("timezone", "Asia/Ho_Chi_Minh"),
        "one_award_per_person": check.boolean(data, "one_award_per_person", "$"),
        "require_verified_phone": check.boolean(data, "require_verified_phone", "$"),
    }
    slug = clean["slug"]
    if not isinstance(slug, str) or not SLUG.fullmatch(slug) or len(slug) > SLUG_LIMIT:
        check.error("$.slug", "Mã cuộc thi chỉ gồm chữ thường không dấu, số và dấu gạch ngang, tối đa 64 ký tự, "
                              "ví dụ hcm-2024.")
    elif slug in RESERVED_SLUGS:
        check.error("$.slug", f"Mã “{slug}” đã được hệ thống dùng trong đường dẫn; chọn mã khác.")
    zone = None
    try:
        zone = ZoneInfo(str(clean["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        check.error("$.timezone", f"Không có múi giờ {_quoted(clean['timezone'])}; ghi tên múi giờ, "
                                  "ví dụ Asia/Ho_Chi_Minh (giờ Việt Nam).")
    fields = data.get("registration_fields", [])
    if not isinstance(fields, list) or any(field not in REGISTRATION_FIELDS for field in fields):
        check.error("$.registration_fields", "Chọn thông tin trong danh sách.",
                    f"Chỉ ghi các thông tin: {', '.join(REGISTRATION_FIELDS)}.")
        fields = []
    clean["registration_fields"] = list(dict.fromkeys(fields))
    password = data.get("password", KEEP)
    if password is not KEEP and password is not None and (not isinstance(password, str) or len(password) < 4):
        check.error("$.password", "Mật khẩu cuộc thi cần ít nhất 4 ký tự.",
                    "Mật khẩu cuộc thi cần ít nhất 4 ký tự; ghi null để bỏ mật khẩu.")
    clean["password"] = password
    clean.update(_validate_documents(check, data))
    clean["certificates"] = _validate_certificates(check, data.get("certificates", KEEP))
    rounds = data.get("rounds")
    if not isinstance(rounds, list) or not rounds:
        check.error("$.rounds", "Cuộc thi cần ít nhất một vòng thi.")
        rounds = []
    clean["rounds"] = [_validate_round(check, item, f"$.rounds[{index}]", zone) for index, item in enumerate(rounds)]
    numbers = Counter(item.get("number") for item in clean["rounds"] if item and item.get("number") is not None)
    for index, item in enumerate(clean["rounds"]):
        if item and item.get("number") is not None and numbers[item.get("number")] > 1:
            check.error(f"$.rounds[{index}].number", f"Đã có vòng số {item.get('number')}; mỗi vòng một số riêng.")
    if check.errors:
        raise ContestInvalid(check.errors)
    clean["warnings"] = check.warnings
    return clean


def _validate_round(check: _Checker, data: object, path: str, zone) -> dict:
    if not isinstance(data, dict):
        check.error(path, "Mỗi vòng thi là một đối tượng JSON {…}.")
        return {}
    check.unknown(data, ROUND_KEYS, path)
    practice = check.boolean(data, "practice", path)
    item = {
        "number": check.integer(data, "number", path, "Nhập số thứ tự của vòng, từ 1 trở lên.", default=None),
        "title": check.text(data, "title", path, "tên vòng thi", limit=200),
        "opens_at": _moment(check, data, "opens_at", path, zone, "thời điểm mở vòng thi"),
        "closes_at": _moment(check, data, "closes_at", path, zone, "thời điểm đóng vòng thi"),
        "time_limit_seconds": check.integer(
            data, "time_limit_seconds", path, "Thời gian làm bài phải lớn hơn 0 phút.", nullable=True, default=None,
            in_file="Thời gian làm bài là số giây, từ 1 trở lên (null: không giới hạn, chỉ ở vòng thi thử)."),
        "max_attempts": check.integer(
            data, "max_attempts", path, "Số lượt thi phải từ 1 trở lên; để trống nếu không giới hạn.",
            in_file="Số lượt thi phải từ 1 trở lên; ghi null nếu không giới hạn.", nullable=True, default=None),
        "counting_attempt": check.choice(data, "counting_attempt", path, COUNTING, "best"),
        "review": check.choice(data, "review", path, REVIEWS, "after_close"),
        "practice": practice,
        "draw": _validate_draw(check, data.get("draw"), f"{path}.draw"),
        "tie_breakers": data.get("tie_breakers", DEFAULT_TIE_BREAKERS if data.get("prediction")
                                 else [key for key in DEFAULT_TIE_BREAKERS if key != "prediction_error_asc"]),
        "awards": _validate_awards(check, data.get("awards", []), f"{path}.awards"),
    }
    if item["number"] is None and "number" not in data:
        check.error(f"{path}.number", "Nhập số thứ tự của vòng, từ 1 trở lên.")
    if item["opens_at"] and item["closes_at"] and item["closes_at"] <= item["opens_at"]:
        check.error(f"{path}.closes_at", "Thời điểm đóng phải sau thời điểm mở.")
    if data.get("time_limit_seconds") is None and not practice:
        check.error(f"{path}.time_limit_seconds", "Nhập thời gian làm bài (phút). Chỉ vòng thi thử mới được để trống.",
                    "Nhập thời gian làm bài, tính bằng giây. Chỉ vòng thi thử mới được để trống.")
    breakers = item["tie_breakers"]
    _check_tie_breakers(check, breakers, f"{path}.tie_breakers")
    prediction = data.get("prediction")
    item["prediction"] = None
    if prediction is not None:
        ppath = f"{path}.prediction"
        if not isinstance(prediction, dict):
            check.error(ppath, "Câu hỏi dự đoán là một đối tượng {prompt, truth, locked}, hoặc null nếu không có.")
        else:
            check.unknown(prediction, {"prompt", "truth", "locked"}, ppath)
            item["prediction"] = {
                "prompt": check.text(prediction, "prompt", ppath, "câu hỏi dự đoán", limit=1000),
                "truth": check.choice(prediction, "truth", ppath, TRUTHS, None),
                "locked": check.boolean(prediction, "locked", ppath),
            }
    if item["prediction"] is None and isinstance(breakers, list) and "prediction_error_asc" in breakers:
        check.error(f"{path}.tie_breakers", "Tiêu chí “Sai số dự đoán” cần câu hỏi dự đoán: nhập câu hỏi dự đoán, "
                                            "hoặc bỏ tiêu chí này.",
                    "Tiêu chí prediction_error_asc (sai số dự đoán) cần câu hỏi dự đoán (prediction): "
                    "thêm câu hỏi, hoặc bỏ tiêu chí này.")
    if not practice and item["review"] == "after_submit":
        check.warning(f"{path}.review", *_after_submit_warning(item["max_attempts"]))
    return item


def _check_tie_breakers(check: _Checker, breakers: object, path: str) -> None:
    if not isinstance(breakers, list) or not breakers:
        check.error(path, "Chọn ít nhất một tiêu chí xếp hạng.",
                    f"Ghi danh sách có ít nhất một tiêu chí trong: {', '.join(TIE_BREAKERS)}.")
        return
    unknown = [key for key in breakers if key not in TIE_BREAKERS]
    if unknown:
        check.error(path, "Chọn tiêu chí trong danh sách.",
                    f"Không có tiêu chí {', '.join(map(_quoted, unknown))}; chỉ dùng: {', '.join(TIE_BREAKERS)}.")
    elif len(set(breakers)) != len(breakers):
        check.error(path, "Mỗi tiêu chí chỉ chọn một lần.")


def _after_submit_warning(max_attempts: int | None) -> tuple[str, str]:
    """Why showing the key at submit is a leak in a round with prizes (DESIGN §3 rule 2): for the
    form, and for a file, which names the choices by their values."""
    reasons = "người khác vẫn đang làm bài của vòng thi này"
    if max_attempts != 1:
        limit = f"{max_attempts} lượt" if max_attempts else "không giới hạn số lượt"
        reasons += f", và mỗi người được thi {limit} nên có thể dùng đáp án vừa xem cho lượt sau"
    held = ("Hệ thống sẽ giữ kín đáp án cho đến khi không còn vòng thi nào có thể rút câu hỏi đó "
            "(ít nhất đến khi vòng thi này kết thúc); ")
    return (f"Xem đáp án ngay sau khi nộp cho người thi thấy đáp án trong khi {reasons}. {held}"
            "nên chọn xem đáp án sau khi vòng thi kết thúc, hoặc chỉ xem điểm.",
            f"Xem đáp án ngay sau khi nộp (after_submit) cho người thi thấy đáp án trong khi {reasons}. {held}"
            "nên chọn xem đáp án sau khi vòng thi kết thúc (after_close) hoặc chỉ xem điểm (score_only).")


def _moment(check: _Checker, data: dict, key: str, path: str, zone, name: str) -> datetime | None:
    value = data.get(key)
    if not isinstance(value, str):
        check.error(f"{path}.{key}", f"Nhập {name}, ví dụ {FORM_TIME}.", f"Nhập {name}, dạng {FILE_TIME}.")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        check.error(f"{path}.{key}", f"Không đọc được {name}; nhập ví dụ {FORM_TIME}.",
                    f"Không đọc được {name} {_quoted(value)}; ghi dạng {FILE_TIME}.")
        return None
    if moment.tzinfo is None:
        if zone is None:
            return None
        # A time written without an offset is the contest's local time.
        moment = moment.replace(tzinfo=zone)
    return moment


def _validate_draw(check: _Checker, draw: object, path: str) -> list[dict]:
    if not isinstance(draw, list) or not draw:
        check.error(path, "Thêm ít nhất một dòng rút câu hỏi: ngân hàng và số câu.",
                    "Cần ít nhất một mục rút câu hỏi {bank, topic, count} (topic có thể bỏ).")
        return []
    entries: list[tuple[int, dict]] = []
    for index, entry in enumerate(draw):
        epath = f"{path}[{index}]"
        if not isinstance(entry, dict):
            check.error(epath, "Mỗi mục rút câu hỏi là một đối tượng {bank, topic, count}.")
            continue
        check.unknown(entry, {"bank", "topic", "count"}, epath)
        bank, topic = entry.get("bank"), entry.get("topic")
        count = check.integer(entry, "count", epath, "Nhập số câu rút, từ 1 trở lên.")
        if "count" not in entry:
            check.error(f"{epath}.count", "Nhập số câu rút, từ 1 trở lên.")
        if not isinstance(bank, str) or not bank:
            check.error(f"{epath}.bank", "Chọn ngân hàng câu hỏi.", "Ghi mã ngân hàng câu hỏi.")
            continue
        if topic is not None and not isinstance(topic, str):
            check.error(f"{epath}.topic", "Ghi tên chủ đề, hoặc bỏ trống để rút từ cả ngân hàng.")
            continue
        if count is not None:
            entries.append((index, {"bank": bank, **({"topic": clean_text(topic)} if clean_text(topic) else {}),
                                    "count": count}))
    for message_path, message in draw_shortfalls(entries, path):
        check.error(message_path, message)
    return [entry for _index, entry in entries]


def draw_shortfalls(entries: list[tuple[int, dict]], path: str = "$.draw") -> list[tuple[str, str]]:
    """Where the banks cannot fill a draw blueprint: "chủ đề X: cần 10 câu, chỉ có 7".

    ``entries`` are (position in the blueprint, entry). The draw takes topic entries first
    (attempts.draw_questions), so a blueprint fits exactly when every topic's entries together
    fit that topic and every bank's entries together fit that bank.
    """
    problems = []
    topic_need: Counter[tuple[str, str]] = Counter()
    bank_need: Counter[str] = Counter()
    last_row: dict[object, int] = {}
    for index, entry in entries:
        bank = db.session.scalar(select(Bank).where(Bank.slug == entry["bank"]))
        if bank is None:
            problems.append((f"{path}[{index}].bank", no_bank_message(entry["bank"])))
            continue
        if entry.get("topic"):
            exists = db.session.scalar(select(Topic.id).where(Topic.bank_id == bank.id, Topic.name == entry["topic"]))
            if exists is None:
                problems.append((f"{path}[{index}].topic",
                                 f"Ngân hàng {bank.slug} không có chủ đề “{entry['topic']}”."))
                continue
            topic_need[(bank.slug, entry["topic"])] += entry["count"]
            last_row[(bank.slug, entry["topic"])] = index
        bank_need[bank.slug] += entry["count"]
        last_row[bank.slug] = index
    for (slug, topic), needed in topic_need.items():
        available = _active_count(slug, topic)
        if needed > available:
            problems.append((f"{path}[{last_row[(slug, topic)]}].count",
                             f"Chủ đề {topic}: cần {needed} câu, chỉ có {available} câu đang dùng."))
    for slug, needed in bank_need.items():
        available = _active_count(slug)
        if needed > available:
            problems.append((f"{path}[{last_row[slug]}].count",
                             f"Ngân hàng {slug}: cần {needed} câu, chỉ có {available} câu đang dùng."))
    return problems


def no_bank_message(slug: str) -> str:
    """For a bank that does not exist, or that the organiser may not draw from: the same words,
    so another organisation's banks cannot be told from missing ones."""
    return f"Không có ngân hàng câu hỏi mã “{slug}”."


def _active_count(slug: str, topic: str | None = None) -> int:
    statement = select(func.count()).select_from(Question).join(Bank).where(Bank.slug == slug, Question.is_active)
    if topic:
        statement = statement.join(Topic, Question.topic_id == Topic.id).where(Topic.name == topic)
    return db.session.scalar(statement)


def save_contest(clean: dict, owner=None) -> Contest:
    """Create or update a contest and its rounds by slug and round number (audit-logged)."""
    contest = db.session.scalar(select(Contest).where(Contest.slug == clean["slug"]))
    before = contest_summary(contest) if contest is not None else None
    if contest is None:
        contest = Contest(slug=clean["slug"], owner=owner)
        db.session.add(contest)
        if owner is not None:
            # The creator is its first organiser; they add co-organisers and judges.
            contest.staff.append(ContestStaff(user=owner, role="organiser", added_by_id=owner.id))
    contest.title = clean["title"]
    contest.description = clean["description"]
    contest.timezone = clean["timezone"]
    contest.registration_fields = clean["registration_fields"]
    contest.one_award_per_person = clean["one_award_per_person"]
    contest.require_verified_phone = clean["require_verified_phone"]
    contest.organising_body, contest.parent_body = clean["organising_body"], clean["parent_body"]
    contest.document_place, contest.document_heading = clean["place"], clean["document_heading"]
    contest.signers = clean["signers"]
    if clean["certificates"] is not KEEP:
        certificates = clean["certificates"]
        contest.certificate_participants = certificates["participants"]
        contest.certificate_title = certificates["title"]
        if certificates["logo"] is not KEEP:
            contest.certificate_logo = certificates["logo"]
    if clean["password"] is None:
        contest.password_hash = None
    elif clean["password"] is not KEEP:
        contest.password_hash = hash_password(clean["password"])
    db.session.flush()
    rounds = {round_.number: round_ for round_ in contest.rounds}
    for item in clean["rounds"]:
        round_ = rounds.get(item["number"])
        if round_ is None:
            round_ = Round(contest=contest, number=item["number"])
            db.session.add(round_)
        prediction = item["prediction"] or {}
        round_.title = item["title"]
        round_.opens_at, round_.closes_at = item["opens_at"], item["closes_at"]
        round_.time_limit_seconds, round_.max_attempts = item["time_limit_seconds"], item["max_attempts"]
        round_.counting_attempt, round_.review, round_.practice = (
            item["counting_attempt"], item["review"], item["practice"])
        round_.draw, round_.tie_breakers, round_.awards = item["draw"], item["tie_breakers"], item["awards"]
        round_.prediction_prompt = prediction.get("prompt")
        round_.prediction_truth = prediction.get("truth")
        round_.prediction_locked = bool(prediction.get("locked"))
    db.session.flush()
    db.session.refresh(contest)
    audit.record("contest.created" if before is None else "contest.saved", "contest", contest.slug,
                 before=before, after=contest_summary(contest))
    return contest


def contest_summary(contest: Contest) -> dict:
    """What an organiser set on a contest and its rounds, as the audit log keeps it."""
    return {
        "title": contest.title, "registration_fields": list(contest.registration_fields),
        "one_award_per_person": contest.one_award_per_person, "password": contest.password_hash is not None,
        "require_verified_phone": contest.require_verified_phone, **stored_documents(contest),
        "certificates": {"participants": contest.certificate_participants, "title": contest.certificate_title,
                         "logo": hashlib.sha256(contest.certificate_logo).hexdigest()[:16]
                         if contest.certificate_logo else None},
        "rounds": {str(round_.number): {
            "title": round_.title, "opens_at": round_.opens_at.isoformat(), "closes_at": round_.closes_at.isoformat(),
            "time_limit_seconds": round_.time_limit_seconds, "max_attempts": round_.max_attempts,
            "counting_attempt": round_.counting_attempt, "draw": list(round_.draw),
            "tie_breakers": list(round_.tie_breakers), "awards": list(round_.awards), "review": round_.review,
            "practice": round_.practice, "prediction": round_.prediction_prompt,
        } for round_ in contest.rounds},
    }


def _validate_awards(check: _Checker, awards: object, path: str) -> list[dict]:
    if not isinstance(awards, list):
        check.error(path, "Giải thưởng là một danh sách [{name, count}, …].")
        return []
    clean = []
    for index, award in enumerate(awards):
        apath = f"{path}[{index}]"
        if not isinstance(award, dict):
            check.error(apath, "Mỗi giải là một đối tượng {name, count}.")
            continue
        check.unknown(award, {"name", "count"}, apath)
        name = check.text(award, "name", apath, "tên giải", limit=100)
        count = check.integer(award, "count", apath, "Nhập số giải, từ 1 trở lên.")
        if "count" not in award:
            check.error(f"{apath}.count", "Nhập số giải, từ 1 trở lên.")
        if name and count:
            clean.append({"name": name, "count": count})
    return clean


def _validate_documents(check: _Checker, data: dict) -> dict:
    """The keys saying who issues the contest's documents; absent ones take their defaults."""
    clean = {
        "organising_body": check.text(data, "organising_body", "$", "cơ quan tổ chức", required=False),
        "parent_body": check.text(data, "parent_body", "$", "cơ quan cấp trên", required=False),
        "place": check.text(data, "place", "$", "địa danh", required=False, limit=100),
        "document_heading": check.choice(data, "document_heading", "$", tuple(HEADINGS), "state"),
        "signers": [],
    }
    for key in ("organising_body", "parent_body", "place"):
        clean[key] = clean[key] or None
    signers = data.get("signers", [])
    if not isinstance(signers, list) or len(signers) > MAX_SIGNERS:
        check.error("$.signers", f"Nhập tối đa {MAX_SIGNERS} người ký.",
                    f"Nhập danh sách tối đa {MAX_SIGNERS} người ký, mỗi người {{title, name, on_behalf}}.")
        return clean
    for index, signer in enumerate(signers):
        path = f"$.signers[{index}]"
        if not isinstance(signer, dict):
            check.error(path, "Nhập chức vụ và họ tên người ký.",
                        "Mỗi người ký là một đối tượng {title, name, on_behalf}.")
            continue
        check.unknown(signer, {"title", "name", "on_behalf"}, path)
        title = check.text(signer, "title", path, "chức vụ người ký", limit=200)
        name = check.text(signer, "name", path, "họ tên người ký", limit=100)
        on_behalf = check.text(signer, "on_behalf", path, "thẩm quyền ký", required=False, limit=200)
        if title and name:
            clean["signers"].append({"title": title, "name": name, **({"on_behalf": on_behalf} if on_behalf else {})})
    return clean


def _validate_certificates(check: _Checker, value: object) -> object:
    """The ``certificates`` key: ``KEEP`` when the file leaves it out (the organiser's forms,
    which do not show it, keep what the contest file set), the defaults for ``null``. Within it
    a left-out ``logo`` keeps the stored image and ``null`` removes it."""
    if value is KEEP:
        return KEEP
    if value is None:
        return {"participants": False, "title": None, "logo": None}
    if not isinstance(value, dict):
        check.error("$.certificates", "Chọn cách cấp giấy chứng nhận.",
                    "Ghi một đối tượng {participants, title, logo}, hoặc null để trở về mặc định.")
        return KEEP
    check.unknown(value, CERTIFICATE_KEYS, "$.certificates")
    clean = {"participants": check.boolean(value, "participants", "$.certificates"),
             "title": check.text(value, "title", "$.certificates", "tiêu đề giấy chứng nhận", required=False,
                                 limit=100) or None,
             "logo": value.get("logo", KEEP)}
    if isinstance(clean["logo"], str):
        try:
            clean["logo"] = logo_png(clean["logo"])
        except LogoInvalid as error:
            check.error("$.certificates.logo", str(error))
    elif clean["logo"] is not None and clean["logo"] is not KEEP:
        check.error("$.certificates.logo", "Chọn một tệp hình ảnh PNG hoặc JPEG.",
                    "Ghi hình ảnh dạng data:image/png;base64,…, hoặc null để bỏ hình.")
    return clean


def stored_documents(contest: Contest) -> dict:
    """The contest's document keys as a contest file writes them."""
    return {"organising_body": contest.organising_body, "parent_body": contest.parent_body,
            "place": contest.document_place, "document_heading": contest.document_heading,
            "signers": [dict(signer) for signer in contest.signers or []]}
