"""Demo data for a first run: a small units directory, one account per role and the
sample question banks in ``question_banks/``.

Loading is create-if-missing, so running it again never resets what someone changed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flask import current_app

from quizapp.auth import services as accounts
from quizapp.banks.formats import EXTENSIONS
from quizapp.banks.services import ImportReport, import_bank_file
from quizapp.units.services import LoadReport, load_units_csv

DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented in the README; demo refuses production
DEMO_ACCOUNTS = [
    # phone, full name, role, unit code, participant group
    ("0900000001", "Quản trị viên Demo", "admin", "BTGDV", "can_bo"),
    ("0900000002", "Ban Tổ chức Demo", "organiser", "BTGDV", "can_bo"),
    ("0900000003", "Giám khảo Demo", "judge", "BTGDV", "can_bo"),
    ("0900000004", "Nguyễn Thị Demo", "taker", "XA-01", "nhan_dan"),
]


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
            )
            created.append(phone)
    return report, created
