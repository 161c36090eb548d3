"""The units loader keeps the directory sound: at most MAX_DEPTH levels, no cycles, checked in
work linear in the number of units, and no cell long enough to hurt; and every page that walks
the directory answers, whatever an older directory holds."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from quizapp.extensions import db
from quizapp.units.models import Unit
from quizapp.units.services import UnitsFileError, load_units_csv
from tests.attempt_support import install_clock, one_round, sign_up
from tests.conftest import Accounts, csrf_token
from tests.flag_support import take

# DESIGN: the directory has at most six levels (quizapp.units.services.MAX_DEPTH).
MAX_DEPTH = 6


def chain(length: int, *, first: int = 0, parent: str = "") -> str:
    """A file of units each the parent of the next: U<first> under ``parent``, then down."""
    rows = [f"U{number},Đơn vị {number},{parent if number == first else f'U{number - 1}'}"
            for number in range(first, first + length)]
    return "code,name,parent_code\n" + "\n".join(rows) + "\n"


def write(tmp_path: Path, text: str | bytes, name: str = "units.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def unit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Unit))


def test_a_directory_of_six_levels_loads(app, runner, tmp_path):
    result = runner.invoke(args=["units", "load", str(write(tmp_path, chain(MAX_DEPTH)))])

    assert result.exit_code == 0, result.output
    assert unit_count(app) == MAX_DEPTH


def test_a_1500_deep_chain_is_refused_and_loads_nothing(app, runner, tmp_path):
    path = write(tmp_path, chain(1500))

    result = runner.invoke(args=["units", "load", str(path)])

    assert result.exit_code == 1
    # U6 is the seventh level, on line 8 (the header is line 1).
    assert f"{path}:8: đơn vị U6 ở cấp 7; danh mục chỉ được tối đa 6 cấp" in result.output
    assert f"{path}:7:" not in result.output
    assert unit_count(app) == 0


def test_a_file_that_pushes_existing_units_too_deep_is_refused_on_the_row_that_does(app, runner, tmp_path):
    assert runner.invoke(args=["units", "load", str(write(tmp_path, chain(MAX_DEPTH), "a.csv"))]).exit_code == 0
    path = write(tmp_path, "code,name,parent_code\nTOP,Cấp trên mới,\nU0,Đơn vị 0,TOP\n", "b.csv")

    result = runner.invoke(args=["units", "load", str(path)])

    assert result.exit_code == 1
    assert f"{path}:3: đơn vị cấp dưới của U0 xuống tới cấp 7" in result.output
    assert unit_count(app) == MAX_DEPTH


def _traced_lines(action, budget: int) -> int:
    """Python lines run by ``action`` (every frame), stopping it once past ``budget``."""
    count = 0

    class OverBudget(Exception):
        pass

    def tracer(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
            if count > budget:
                raise OverBudget
        return tracer

    sys.settrace(tracer)
    try:
        action()
    except OverBudget:
        pass
    finally:
        sys.settrace(None)
    return count


def test_checking_8000_units_takes_work_linear_in_their_number(app):
    """The work is counted, not timed: eight times the units may take about eight times the
    Python lines, never the 64 times a walk to the top from every unit of a chain takes."""

    def load(text: str):
        def run():
            try:
                load_units_csv(text.encode(), "units.csv")  # refused: deeper than six levels
            except UnitsFileError:
                pass
            finally:
                db.session.rollback()
        return run

    with app.app_context():
        load(chain(20))()  # warm up: SQL compiled once, not counted
        small = _traced_lines(load(chain(1000)), budget=10**8)
        large = _traced_lines(load(chain(8000)), budget=12 * small)

    assert large <= 12 * small, (small, large)


@pytest.mark.parametrize("size", [200_000, 100_000, 1001])
def test_an_over_long_cell_is_refused_with_its_line_and_not_echoed(app, runner, tmp_path, size):
    path = write(tmp_path, f"code,name,parent_code\nT01,Tỉnh Một,\nX01,{'Đ' * size},T01\nX02,Xã Hai,T01\n")

    result = runner.invoke(args=["units", "load", str(path)])

    assert result.exit_code == 1
    assert f"{path}:3: ô" in result.output and "dài quá 1000 ký tự" in result.output
    assert len(result.output) < 1000
    assert unit_count(app) == 0


def test_an_over_long_cell_uploaded_is_a_clear_422(app, client, auth):
    auth.login_as("admin")
    data = f"code,name\nT01,{'x' * 200_000}\n".encode()

    response = client.post("/units/upload", data={"csrf_token": csrf_token(client),
                                                  "file": (io.BytesIO(data), "dai.csv")},
                           content_type="multipart/form-data")

    assert response.status_code == 422
    assert "dai.csv:2: ô dài quá 1000 ký tự" in response.get_data(as_text=True)
    assert len(response.data) < 50_000
    assert unit_count(app) == 0


def test_pages_that_walk_a_1500_deep_directory_still_answer(app, tmp_path):
    """A directory loaded before the depth cap: the pages walk it without recursing, the
    registration form stays small, and the deepest unit is found with a short label."""
    with app.app_context():
        db.session.execute(insert(Unit), [
            {"id": number, "code": f"U{number}", "name": f"Đơn vị {number}",
             "parent_id": number - 1 if number > 1 else None} for number in range(1, 1501)])
        db.session.commit()
    clock = install_clock(app)
    round_id = one_round(app, tmp_path, "sau")
    take(sign_up(app, unit_code="U1500"), round_id, clock, seconds_per_answer=20)
    take(sign_up(app, unit_code="U3"), round_id, clock, seconds_per_answer=20)
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")

    dashboard = admin.get("/contests/manage/sau/dashboard")
    collective = admin.get(f"/judging/rounds/{round_id}/collective", query_string={"level": "district"})
    directory = admin.get("/units/")
    register = app.test_client().get("/auth/register")

    assert dashboard.status_code == 200 and collective.status_code == 200 and directory.status_code == 200
    assert register.status_code == 200 and "Đơn vị 2 (1)" in register.get_data(as_text=True)
    assert len(register.data) < 40_000
    (deepest,) = app.test_client().get("/api/v1/units", query_string={"q": "don vi 1500"}).get_json()["units"]
    assert deepest["label"] == " — ".join(f"Đơn vị {number}" for number in range(1500, 1494, -1))
    # Both takers are in the one district under the province U1.
    assert '<td class="num">1</td><td>Đơn vị 2</td><td class="num">2</td>' in collective.get_data(as_text=True)
