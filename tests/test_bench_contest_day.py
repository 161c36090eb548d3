"""bench/contest_day.py's wiring (the load itself is a benchmark, never a unit test)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "contest_day.py"


@pytest.fixture(scope="module")
def contest_day():
    spec = importlib.util.spec_from_file_location("contest_day", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules.
    sys.modules["contest_day"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("contest_day", None)


def test_quick_is_a_short_smoke_run(contest_day):
    args = contest_day.arguments(["--quick"])
    assert args.rate_list == [120.0, 300.0]
    assert args.step_seconds == 30.0
    assert args.burst == 40


def test_default_run_ramps_past_the_target_within_ten_minutes(contest_day):
    args = contest_day.arguments([])
    assert max(args.rate_list) > contest_day.TARGET_PER_MINUTE
    assert len(args.rate_list) * args.step_seconds + contest_day.DRAIN_SECONDS <= 600


@pytest.mark.parametrize("argv", [["--rates", "fast"], ["--rates", "0"], ["--compress", "0.5"],
                                  ["--slow-share", "2"], ["--database-url", "sqlite:///x.db"]])
def test_bad_arguments_are_refused(contest_day, argv, capsys):
    with pytest.raises(SystemExit):
        contest_day.arguments(argv)
    assert "error" in capsys.readouterr().err


def test_steps_follow_each_other_and_accounts_cover_the_arrivals(contest_day):
    plan = contest_day.Plan(port=1, start_at=100.0, rates=[600.0, 900.0], step_seconds=60.0, compress=5.0,
                            slow_share=0.15, register_share=0.25, burst=10, seed=1, accounts=0)
    assert plan.steps() == [(600.0, 100.0, 160.0), (900.0, 160.0, 220.0)]
    # 1,500 expected arrivals, with room for Poisson's spread.
    assert plan.expected_arrivals() >= 1500 * 1.2


def test_every_taker_comes_from_an_address_of_its_own(contest_day):
    numbers = [*range(0, 70_000, 7), *range(500_000, 520_000)]
    addresses = {contest_day.address(number) for number in numbers}
    assert len(addresses) == len(numbers)
    assert all(address.startswith("127.") and all(0 < int(part) < 255 for part in address.split(".")[1:])
               for address in addresses)


def test_the_taker_flow_finds_the_start_through_the_confirmation_page(contest_day, app, client, auth):
    """The generator reads the real pages: the demo contest page's button leads to the
    confirmation page, whose form (with its CSRF token) starts the attempt."""
    from quizapp.demo import DEMO_CONTEST, load_demo_contest, load_sample_banks
    from quizapp.extensions import db

    with app.app_context():
        load_sample_banks()
        load_demo_contest()
        db.session.commit()
    auth.login_as()
    contest_page = client.get(f"/contests/{DEMO_CONTEST}").data
    start = contest_day.start_path(contest_page)
    assert start is not None and f'href="{start}"'.encode() in contest_page
    confirmation = client.get(start)
    assert confirmation.status_code == 200 and contest_day.start_path(confirmation.data) == start
    token = re.search(rb'name="csrf_token" value="([^"]+)"', confirmation.data).group(1).decode()
    started = client.post(start, data={"csrf_token": token})
    assert re.fullmatch(r"/contests/attempts/\d+", started.headers["Location"])
    assert contest_day.start_path(b"<p>no round</p>") is None
