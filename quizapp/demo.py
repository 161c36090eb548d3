"""Demo data for a first run: a small units directory, one account per role and the
sample question banks in ``question_banks/``.

Loading is create-if-missing, so running it again never resets what someone changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from quizapp import clock
from quizapp.auth import services as accounts
from quizapp.auth import terms
from quizapp.banks.formats import EXTENSIONS
from quizapp.banks.services import ImportReport, import_bank_file
from quizapp.contests.models import Contest, ContestStaff
from quizapp.contests.services import ContestInvalid, save_contest, validate_contest
from quizapp.extensions import db
from quizapp.units.services import LoadReport, load_units_csv

DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented in the README; demo refuses production
DEMO_ACCOUNTS = [
    # phone, full name, role, unit code, participant group
    ("0900000001", "Quản trị viên Demo", "admin", "BTGDV", "can_bo"),
    ("0900000002", "Ban Tổ chức Demo", "organiser", "BTGDV", "can_bo"),
    ("0900000003", "Giám khảo Demo", "judge", "BTGDV", "can_bo"),
    ("0900000004", "Nguyễn Thị Demo", "taker", "XA-01", "nhan_dan"),
]
# The demo contest's organiser and judge (contests.access): the others see nothing of it.
DEMO_ORGANISER, DEMO_JUDGE = "0900000002", "0900000003"


SAMPLE_BANK_TITLES = {
    "tu-tuong-hcm": "Tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "nghi-quyet": "Nghị quyết, văn kiện của Đảng",
    "ha-giang": "Hà Giang: lịch sử, văn hóa và lời Bác căn dặn",
    "cai-cach-hanh-chinh": "Cải cách hành chính",
    "chuyen-doi-so": "Chuyển đổi số",
}


def sample_bank_files() -> list[Path]:
    folder = Path(current_app.root_path).parent / "question_banks"
    return sorted(path for path in folder.glob("*") if path.suffix in EXTENSIONS)


def load_sample_banks() -> list[ImportReport]:
    """Import every sample bank; questions already there are skipped."""
    reports = []
    for path in sample_bank_files():
        slug = path.stem
        reports.append(import_bank_file(path.name, path.read_bytes(), slug=slug,
                                        title=SAMPLE_BANK_TITLES.get(slug, slug)))
    return reports


DEMO_CONTEST = "demo-hcm"


def demo_contest_definition(now: datetime) -> dict:
    """A contest like the real ones: a weekly round open now, whose key appears after it closes,
    and an untimed practice round over other banks, whose key appears at submit."""
    local = ZoneInfo("Asia/Ho_Chi_Minh")
    opens = (now - timedelta(days=1)).astimezone(local).replace(minute=0, second=0, microsecond=0)
    closes = opens + timedelta(days=30)
    common = {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    return {
        "slug": DEMO_CONTEST,
        "title": "Tìm hiểu tư tưởng, đạo đức, phong cách Hồ Chí Minh (cuộc thi mẫu)",
        "description": "Cuộc thi mẫu để dùng thử hệ thống. Mỗi lượt thi gồm 20 câu hỏi, làm trong 20 phút; "
                       "mỗi người được thi tối đa 3 lượt, lượt có kết quả cao nhất được tính.",
        "registration_fields": [],
        "rounds": [
            {"number": 1, "title": "Tuần 1", **common, "time_limit_seconds": 1200, "max_attempts": 3,
             "counting_attempt": "best",
             "draw": [{"bank": "tu-tuong-hcm", "topic": "Cuộc đời và sự nghiệp", "count": 5},
                      {"bank": "tu-tuong-hcm", "topic": "Tư tưởng, đạo đức, phong cách", "count": 5},
                      {"bank": "nghi-quyet", "count": 5}, {"bank": "ha-giang", "count": 5}],
             "prediction": {"prompt": "Theo bạn, tuần này có bao nhiêu người trả lời đúng tất cả các câu hỏi?",
                            "truth": "participants_all_correct", "locked": False},
             "tie_breakers": ["correct_desc", "prediction_error_asc", "duration_asc", "submitted_at_asc"],
             "awards": [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2},
                        {"name": "Giải Ba", "count": 3}, {"name": "Giải Khuyến khích", "count": 10}],
             # Three attempts, the best counting: a key shown at submit would answer the next two.
             "review": "after_close"},
            {"number": 2, "title": "Thi thử", **common, "time_limit_seconds": None, "max_attempts": None,
             "practice": True, "draw": [{"bank": "chuyen-doi-so", "count": 5},
                                        {"bank": "cai-cach-hanh-chinh", "count": 5}],
             "tie_breakers": ["correct_desc"], "review": "after_submit"},
        ],
    }


def load_demo_contest() -> Contest | None:
    """The demo contest, unless it exists already or the sample banks are missing."""
    if db.session.scalar(select(Contest).where(Contest.slug == DEMO_CONTEST)) is not None:
        return None
    try:
        clean = validate_contest(demo_contest_definition(clock.now()))
    except ContestInvalid as error:
        current_app.logger.warning("Demo contest not loaded: %s", "; ".join(map(str, error.errors)))
        return None
    organiser = accounts.find_by_phone(DEMO_ORGANISER)
    contest = save_contest(clean, owner=organiser)
    judge = accounts.find_by_phone(DEMO_JUDGE)
    if judge is not None:
        contest.staff.append(ContestStaff(user=judge, role="judge", added_by_id=organiser.id if organiser else None))
    return contest


def load_demo() -> tuple[LoadReport, list[str]]:
    """Load the demo units and create missing demo accounts; returns what was created."""
    units_file = resources.files("quizapp.demo_data").joinpath("units.csv")
    report = load_units_csv(units_file.read_bytes(), "units.csv")
    created = []
    for phone, name, role, unit_code, group in DEMO_ACCOUNTS:
        if accounts.find_by_phone(phone) is None:
            accounts.register_user(
                phone=phone,
                password=DEMO_PASSWORD,
                full_name=name,
                role=role,
                unit_code=unit_code,
                participant_group=group,
                # Demo people stand for accounts whose consent the organisation holds on paper.
                consent=terms.on_paper(),
            )
            created.append(phone)
    return report, created
