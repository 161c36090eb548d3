"""The command line (DESIGN §5): `units load`, `users create` and `demo`, through the CLI runner."""

from __future__ import annotations

import csv
import io
import unicodedata
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quizapp.auth import services as accounts
from quizapp.auth.models import User
from quizapp.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from quizapp.extensions import db
from quizapp.units.models import Unit

BOM = b"\xef\xbb\xbf"


# --- helpers ----------------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str, *, name: str = "units.csv", newline: str = "\r\n",
              encoding: str = "utf-8", bom: bool = True) -> Path:
    """Write ``text`` (lines separated by \\n) with the given line endings, encoding and BOM."""
    path = tmp_path / name
    path.write_bytes((BOM if bom else b"") + text.replace("\n", newline).encode(encoding))
    return path


def load(runner, path: Path):
    return runner.invoke(args=["units", "load", str(path)])


def units_table(app) -> dict[str, tuple]:
    """Every unit as code -> (id, name, parent code, headcount, updated_at)."""
    with app.app_context():
        return {
            unit.code: (unit.id, unit.name, unit.parent.code if unit.parent else None, unit.headcount,
                        unit.updated_at)
            for unit in db.session.scalars(select(Unit))
        }


def units_summary(app) -> dict[str, tuple]:
    """Every unit as code -> (name, parent code, headcount)."""
    return {code: (name, parent, headcount) for code, (_id, name, parent, headcount, _at) in units_table(app).items()}


def error_lines(result, path: Path) -> dict[int, str]:
    """The ``FILE:LINE: message`` lines the command printed, by line number."""
    prefix = f"{path}:"
    found: dict[int, str] = {}
    for line in result.stderr.splitlines():
        if line.startswith(prefix):
            number, _, message = line[len(prefix):].partition(": ")
            found.setdefault(int(number), "")
            found[int(number)] += message + "\n"
    return found


def assert_refused(result, path: Path, expected: dict[int, str]) -> None:
    """Exit 1, and exactly the expected lines reported, each with its expected phrase."""
    assert result.exit_code == 1, result.output
    found = error_lines(result, path)
    assert sorted(found) == sorted(expected), result.stderr
    for number, phrase in expected.items():
        assert phrase in found[number], (number, found[number])
    assert "Không nạp đơn vị nào" in result.stderr


def seed_units(runner, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "code,name,parent_code,headcount\nOLD-PARENT,Đơn vị cũ,,7\n"
                               "OLD-CHILD,Đơn vị con cũ,OLD-PARENT,3\n", name="seed.csv")
    result = load(runner, path)
    assert result.exit_code == 0, result.output


def user_by_phone(app, phone: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is not None:
            db.session.expunge(user)
        return user


# --- units load: good files -------------------------------------------------------------

GOOD_FILE = (
    "code;name;parent_code;headcount\n"
    # A child before its parent, with untidy spaces around and inside its name.
    "XA-01;  Phường   Trung Tâm ;KHOI-XA;1250\n"
    "KHOI-XA;Khối xã, phường;;\n"
    "\n"
    # Typed on a system that sends decomposed Vietnamese.
    f"XA-02;{unicodedata.normalize('NFD', 'Xã Bình Minh')};KHOI-XA;860\n"
    'TINH;"Tỉnh; thành phố";;0\n'
)
GOOD_UNITS = {
    "XA-01": ("Phường Trung Tâm", "KHOI-XA", 1250),
    "KHOI-XA": ("Khối xã, phường", None, None),
    "XA-02": ("Xã Bình Minh", "KHOI-XA", 860),
    "TINH": ("Tỉnh; thành phố", None, 0),
}


def test_units_load_good_file(app, runner, tmp_path):
    path = write_csv(tmp_path, GOOD_FILE)
    assert path.read_bytes().startswith(BOM) and b"\r\n" in path.read_bytes()

    result = load(runner, path)

    assert result.exit_code == 0, result.output
    assert "Đã nạp 4 đơn vị: 4 mới, 0 cập nhật, 0 không đổi." in result.stdout
    assert units_summary(app) == GOOD_UNITS
    with app.app_context():
        name = db.session.scalar(select(Unit.name).where(Unit.code == "XA-02"))
    assert name == unicodedata.normalize("NFC", name)


def test_units_load_same_file_twice_changes_nothing(app, runner, tmp_path):
    path = write_csv(tmp_path, GOOD_FILE)
    assert load(runner, path).exit_code == 0
    before = units_table(app)

    result = load(runner, path)

    assert result.exit_code == 0, result.output
    assert "Đã nạp 4 đơn vị: 0 mới, 0 cập nhật, 4 không đổi." in result.stdout
    assert units_table(app) == before


def test_units_load_second_file_updates_and_leaves_the_rest(app, runner, tmp_path):
    assert load(runner, write_csv(tmp_path, GOOD_FILE)).exit_code == 0
    before = units_table(app)
    path = write_csv(tmp_path, (
        "code,name,parent_code,headcount\n"
        "XA-01,Phường Trung Tâm mới,KHOI-XA,1250\n"  # renamed
        "XA-02,Xã Bình Minh,TINH,900\n"  # new headcount and parent
        "TINH,\"Tỉnh; thành phố\",,0\n"  # as it was
        "XA-03,Xã Đồng Tâm,TINH,940\n"  # new
    ), name="update.csv", bom=False, newline="\n")

    result = load(runner, path)

    assert result.exit_code == 0, result.output
    assert "Đã nạp 4 đơn vị: 1 mới, 2 cập nhật, 1 không đổi." in result.stdout
    after = units_table(app)
    assert units_summary(app) == {
        "XA-01": ("Phường Trung Tâm mới", "KHOI-XA", 1250),
        "KHOI-XA": ("Khối xã, phường", None, None),
        "XA-02": ("Xã Bình Minh", "TINH", 900),
        "TINH": ("Tỉnh; thành phố", None, 0),
        "XA-03": ("Xã Đồng Tâm", "TINH", 940),
    }
    # Absent from the file, or unchanged in it: the very same row, not rewritten.
    assert after["KHOI-XA"] == before["KHOI-XA"]
    assert after["TINH"] == before["TINH"]
    # Updated in place, keeping their ids.
    assert after["XA-01"][0] == before["XA-01"][0]
    assert after["XA-02"][0] == before["XA-02"][0]


# --- units load: bad files --------------------------------------------------------------

ROW_ERRORS_FILE = (
    "code,name,parent_code,headcount\n"  # 1
    "GOOD-1,Đơn vị tốt,,10\n"  # 2
    'GOOD-2,"Tên viết\ntrên hai dòng",GOOD-1,5\n'  # 3-4: one record, two physical lines
    ",Thiếu mã,,1\n"  # 5
    "BAD CODE!,Mã sai,,1\n"  # 6
    "NONAME,,,1\n"  # 7
    "HC1,Số người sai,,12a\n"  # 8
    "HC2,Số người âm,,-3\n"  # 9
    "GOOD-1,Trùng mã,,1\n"  # 10
    "\n"  # 11
    "SELF,Tự là cha,SELF,1\n"  # 12
    "CELLS,Thiếu ô\n"  # 13
    "CELLS2,Thừa ô,,1,ô thừa\n"  # 14
)
ROW_ERRORS = {
    5: "thiếu mã đơn vị",
    6: "“BAD CODE!”",
    7: "thiếu tên đơn vị",
    8: "“12a”",
    9: "“-3”",
    10: "trùng với dòng 2",
    12: "chính nó",
    13: "có 2 ô, cần 4 ô",
    14: "có 5 ô, cần 4 ô",
}
PARENT_ERRORS_FILE = (
    "code,name,parent_code,headcount\n"  # 1
    "P-OK,Đơn vị tốt,,1\n"  # 2
    "ORPHAN,Không có cha,NO-SUCH,1\n"  # 3
    "CYC-A,Vòng A,CYC-B,\n"  # 4
    "CYC-B,Vòng B,CYC-A,\n"  # 5
    "OLD-PARENT,Đơn vị cũ,OLD-CHILD,7\n"  # 6: a cycle through the directory already loaded
)
PARENT_ERRORS = {
    3: "NO-SUCH",
    4: "vòng lặp",
    5: "vòng lặp",
    6: "vòng lặp",
}


def test_units_load_without_optional_columns_keeps_parents_and_headcounts(app, runner, tmp_path):
    assert load(runner, write_csv(tmp_path, GOOD_FILE)).exit_code == 0
    before = units_summary(app)
    result = load(runner, write_csv(tmp_path, "code,name\nXA-01,Phường Trung Tâm (đổi tên)\n", name="names.csv"))
    assert result.exit_code == 0, result.output
    after = units_summary(app)
    assert after["XA-01"] == ("Phường Trung Tâm (đổi tên)", *before["XA-01"][1:])
    assert {code: row for code, row in after.items() if code != "XA-01"} == {
        code: row for code, row in before.items() if code != "XA-01"
    }


@pytest.mark.parametrize("existing", [False, True], ids=["empty-directory", "existing-units"])
def test_units_load_row_errors_load_nothing(app, runner, tmp_path, existing):
    if existing:
        seed_units(runner, tmp_path)
    before = units_table(app)
    path = write_csv(tmp_path, ROW_ERRORS_FILE, bom=False)

    result = load(runner, path)

    assert_refused(result, path, ROW_ERRORS)
    assert units_table(app) == before


def test_units_load_parent_errors_load_nothing(app, runner, tmp_path):
    seed_units(runner, tmp_path)
    before = units_table(app)
    path = write_csv(tmp_path, PARENT_ERRORS_FILE)

    result = load(runner, path)

    assert_refused(result, path, PARENT_ERRORS)
    assert units_table(app) == before
    assert "OLD-PARENT" in before  # the seed did load, so "unchanged" means something


def test_units_load_reports_every_error_of_a_file_at_once(app, runner, tmp_path):
    seed_units(runner, tmp_path)
    before = units_table(app)
    rows = PARENT_ERRORS_FILE.splitlines()[1:]
    path = write_csv(tmp_path, ROW_ERRORS_FILE + "\n".join(rows) + "\n")
    expected = dict(ROW_ERRORS)
    expected.update({number + 13: phrase for number, phrase in PARENT_ERRORS.items()})

    result = load(runner, path)

    assert_refused(result, path, expected)
    assert units_table(app) == before


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("code,name,parent,headcount\nA,Đơn vị A,,1\n", "parent"),
        ("code;parent_code;headcount\nA;;1\n", "thiếu cột: name"),
        ("code,name,name\nA,Đơn vị A,Đơn vị A\n", "tên cột bị lặp"),
    ],
    ids=["unknown-column", "missing-name", "repeated-column"],
)
def test_units_load_header_errors(app, runner, tmp_path, text, phrase):
    path = write_csv(tmp_path, text)

    result = load(runner, path)

    assert_refused(result, path, {1: phrase})
    assert units_table(app) == {}


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("cp1258", "Đơn Tân"), ("latin-1", "Hà Thành")],
)
def test_units_load_refuses_a_file_not_in_utf8(app, runner, tmp_path, encoding, name):
    path = tmp_path / "units.csv"
    path.write_bytes(f"code,name,parent_code,headcount\r\nA1,Unit one,,1\r\nA2,{name},,2\r\n".encode(encoding))

    result = load(runner, path)

    assert result.exit_code == 1, result.output
    found = error_lines(result, path)
    assert list(found) == [3], result.stderr
    assert "UTF-8" in found[3]
    assert units_table(app) == {}


def test_units_load_names_the_right_line_of_a_bad_byte_after_a_bom(app, runner, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(BOM + "name,code\r\nMột,A1\r\n".encode() + "Đơn Tân".encode("cp1258") + b",A2\r\n")

    result = load(runner, path)

    assert result.exit_code == 1, result.output
    assert list(error_lines(result, path)) == [3], result.stderr


@pytest.mark.parametrize(
    ("data", "line"),
    [(b"", 1), (BOM, 1), (b"\r\n\r\n", 1), (BOM + b"code;name;parent_code;headcount\r\n", 2),
     (b"code,name\r\n\r\n\r\n", 2)],
    ids=["empty", "bom-only", "blank-lines", "header-only", "header-and-blank-lines"],
)
def test_units_load_refuses_a_file_without_units(app, runner, tmp_path, data, line):
    path = tmp_path / "units.csv"
    path.write_bytes(data)

    result = load(runner, path)

    assert result.exit_code == 1, result.output
    assert list(error_lines(result, path)) == [line], result.stderr
    assert units_table(app) == {}


def test_units_load_odd_digit_in_headcount_is_a_row_error(app, runner, tmp_path):
    path = write_csv(tmp_path, "code,name,headcount\nA,Đơn vị A,1\nB,Đơn vị B,²\n")

    result = load(runner, path)

    assert_refused(result, path, {3: "“²”"})
    assert units_table(app) == {}


def test_units_load_headcount_too_large_is_a_row_error(app, runner, tmp_path):
    path = write_csv(tmp_path, "code,name,headcount\nA,Đơn vị A,1\nB,Đơn vị B,99999999999\n")

    result = load(runner, path)

    assert_refused(result, path, {3: "99999999999"})
    assert units_table(app) == {}


# --- users create -----------------------------------------------------------------------


def test_users_create_makes_an_account_that_can_sign_in(app, runner, auth):
    with app.app_context():
        db.session.add(Unit(code="BTGDV", name="Ban Tuyên giáo và Dân vận"))
        db.session.commit()

    result = runner.invoke(args=["users", "create", "+84 912 345 678", "--name", "  Trần   Văn Bình ",
                                 "--role", "judge", "--password", "password123", "--unit", "BTGDV"])

    assert result.exit_code == 0, result.output
    assert "0912345678" in result.stdout
    user = user_by_phone(app, "0912345678")
    assert user is not None
    assert user.full_name == "Trần Văn Bình"
    assert user.role == "judge"
    assert user.password_hash != "password123"
    assert "password123" not in user.password_hash
    with app.app_context():
        assert db.session.get(User, user.id).unit.code == "BTGDV"
    assert auth.login("0912345678", "wrong-password").status_code == 401
    assert auth.login("0912345678", "password123").status_code == 302


def test_users_create_default_role_is_taker(app, runner):
    result = runner.invoke(args=["users", "create", "0912345678", "--name", "An", "--password", "password123"])

    assert result.exit_code == 0, result.output
    assert user_by_phone(app, "0912345678").role == "taker"


def test_users_create_prompts_for_a_hidden_password(app, runner, auth):
    result = runner.invoke(args=["users", "create", "0912345678", "--name", "Nguyễn Văn An", "--role", "admin"],
                           input="password123\npassword123\n")

    assert result.exit_code == 0, result.output
    assert "password123" not in result.output
    assert user_by_phone(app, "0912345678").role == "admin"
    assert auth.login("0912345678", "password123").status_code == 302


def test_users_create_prompt_needs_a_matching_confirmation(runner, user_count):
    result = runner.invoke(args=["users", "create", "0912345678", "--name", "Nguyễn Văn An"],
                           input="password123\ndifferent99\n")

    assert result.exit_code != 0
    assert user_count() == 0


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["0912 345 678", "--name", "Người khác", "--password", "password123"], "đã được đăng ký"),
        (["12345", "--name", "Nguyễn Văn An", "--password", "password123"], "số điện thoại không hợp lệ"),
        (["0212345678", "--name", "Nguyễn Văn An", "--password", "password123"], "số điện thoại không hợp lệ"),
        (["0987654321", "--name", "Nguyễn Văn An", "--password", "short7!"], "ít nhất 8 ký tự"),
        (["0987654321", "--name", "Nguyễn Văn An", "--password", "password123", "--role", "superuser"],
         "superuser"),
        (["0987654321", "--name", "Nguyễn Văn An", "--password", "password123", "--unit", "NO-SUCH"],
         "Đơn vị không có trong danh mục"),
    ],
    ids=["duplicate-phone", "bad-phone", "landline", "short-password", "unknown-role", "unknown-unit"],
)
def test_users_create_errors_create_nothing(app, runner, auth, user_count, args, phrase):
    auth.create(phone="0912345678", full_name="Chủ cũ")

    result = runner.invoke(args=["users", "create", *args])

    assert result.exit_code != 0
    assert phrase in result.output
    assert user_count() == 1
    assert user_by_phone(app, "0912345678").full_name == "Chủ cũ"
    assert auth.login("0912345678", "password123").status_code == 401


def test_users_create_refuses_a_blank_name(runner, user_count):
    result = runner.invoke(args=["users", "create", "0912345678", "--name", "   ", "--password", "password123"])

    assert result.exit_code != 0
    assert user_count() == 0


# --- demo -------------------------------------------------------------------------------


def invoke_demo(app, runner=None):
    return (runner or app.test_cli_runner()).invoke(args=["demo"])


def test_demo_runs_from_the_test_cli_runner(app, runner, user_count):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert user_count() == len(DEMO_ACCOUNTS)


def demo_unit_codes() -> set[str]:
    text = resources.files("quizapp.demo_data").joinpath("units.csv").read_text(encoding="utf-8-sig")
    return {row["code"] for row in csv.DictReader(io.StringIO(text))}


def test_demo_creates_one_account_per_role_and_the_units(app, runner):
    result = invoke_demo(app, runner)

    assert result.exit_code == 0, result.output
    codes = demo_unit_codes()
    assert f"Đơn vị mẫu: {len(codes)} mới, 0 đã có." in result.stdout
    assert "4 mới" in result.stdout
    with app.app_context():
        users = {user.phone: (user.full_name, user.role, user.unit.code if user.unit else None)
                 for user in db.session.scalars(select(User))}
        assert db.session.scalar(select(Unit.parent_id).where(Unit.code == "XA-01")) == db.session.scalar(
            select(Unit.id).where(Unit.code == "KHOI-XA"))
    assert users == {phone: (name, role, unit) for phone, name, role, unit, _group in DEMO_ACCOUNTS}
    assert sorted(role for _name, role, _unit in users.values()) == ["admin", "judge", "organiser", "taker"]
    assert set(units_table(app)) == codes
    for phone, _name, _role, _unit, _group in DEMO_ACCOUNTS:
        assert phone in result.stdout


def test_demo_twice_creates_nothing_new_and_keeps_changed_passwords(app, runner, auth, user_count):
    assert invoke_demo(app, runner).exit_code == 0
    taker_phone = next(phone for phone, _n, role, _u, _g in DEMO_ACCOUNTS if role == "taker")
    with app.app_context():
        taker = accounts.find_by_phone(taker_phone)
        accounts.change_password(taker, DEMO_PASSWORD, "mat-khau-moi-123")
        db.session.commit()
    units_before = units_table(app)

    result = invoke_demo(app, runner)

    assert result.exit_code == 0, result.output
    assert f"Đơn vị mẫu: 0 mới, {len(units_before)} đã có." in result.stdout
    assert "0 mới:" in result.stdout
    assert user_count() == 4
    assert units_table(app) == units_before
    assert auth.login(taker_phone, DEMO_PASSWORD).status_code == 401
    assert auth.login(taker_phone, "mat-khau-moi-123").status_code == 302


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=[account[2] for account in DEMO_ACCOUNTS])
def test_demo_accounts_sign_in_with_the_demo_password(app, runner, auth, account):
    assert invoke_demo(app, runner).exit_code == 0
    phone = account[0]

    assert auth.login(phone, "wrong-password").status_code == 401
    assert auth.login(phone, DEMO_PASSWORD).status_code == 302


def test_demo_is_refused_in_production(make_app):
    production = make_app(ENV="production", SMS_BACKEND="file:/dev/null")

    result = invoke_demo(production)

    assert result.exit_code != 0
    assert "production" in result.output
    with production.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0
