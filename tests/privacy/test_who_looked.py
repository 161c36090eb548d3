"""Who looked at other people's phones and ID numbers (issue 19 item 8): one audit event per
page shown or file asked for, never one per person listed; the admin lists them."""

from __future__ import annotations

from sqlalchemy import select

from quizapp.audit import PERSONAL_DATA_VIEWED, AuditEvent
from quizapp.auth.models import User
from quizapp.extensions import db
from tests.attempt_support import install_clock, one_round, sign_up
from tests.conftest import Accounts


def viewed(app) -> list[tuple[int | None, str, str, dict]]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == PERSONAL_DATA_VIEWED)
                                    .order_by(AuditEvent.id))
        return [(event.actor_id, event.target_type, event.target_id, event.after) for event in events]


def account_id(app, phone: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.phone == phone))


def a_round_with_takers(app, tmp_path, count: int = 3) -> int:
    install_clock(app)
    round_id = one_round(app, tmp_path, "ai-xem")
    for n in range(count):
        sign_up(app, full_name=f"Người Dự Thi {n}").started(round_id)
    return round_id


def test_judges_pages_are_logged_once_per_view_with_who_and_what(app, tmp_path):
    round_id = a_round_with_takers(app, tmp_path)
    client = app.test_client()
    judge = account_id(app, Accounts(app, client).login_as("judge", round_id=round_id))
    assert viewed(app) == []
    assert client.get(f"/judging/rounds/{round_id}/ranking").status_code == 200
    assert client.get(f"/judging/rounds/{round_id}/ranking?q=Người").status_code == 200
    assert client.get(f"/judging/rounds/{round_id}").status_code == 200
    assert client.get(f"/judging/rounds/{round_id}/lock").status_code == 200
    assert client.get(f"/judging/rounds/{round_id}/summary").status_code == 200
    assert client.get("/judging/contests/ai-xem/standings").status_code == 200
    contest_id = viewed(app)[-1][2]
    assert viewed(app) == [
        (judge, "round", str(round_id), {"what": "judging.ranking", "page": 1}),
        (judge, "round", str(round_id), {"what": "judging.ranking", "page": 1, "search": "Người"}),
        (judge, "round", str(round_id), {"what": "judging.round"}),
        (judge, "round", str(round_id), {"what": "judging.lock"}),
        (judge, "round", str(round_id), {"what": "judging.summary"}),
        (judge, "contest", contest_id, {"what": "judging.standings", "page": 1}),
    ]


def test_a_judge_of_another_contest_is_refused_and_nothing_is_logged(app, tmp_path):
    round_id = a_round_with_takers(app, tmp_path, 1)
    client = app.test_client()
    Accounts(app, client).login_as("judge")
    assert client.get(f"/judging/rounds/{round_id}/ranking").status_code in (403, 404)
    assert viewed(app) == []


def test_admin_account_pages_and_the_cli_export_are_logged(app, tmp_path):
    round_id = a_round_with_takers(app, tmp_path, 2)
    client = app.test_client()
    admin = account_id(app, Accounts(app, client).login_as("admin"))
    taker = sign_up(app).user_id
    assert client.get("/admin/users").status_code == 200
    assert client.get(f"/admin/users/{taker}").status_code == 200
    result = app.test_cli_runner().invoke(args=["rankings", "export", str(round_id), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 0, result.output
    assert viewed(app) == [
        (admin, "users", "*", {"what": "admin.users", "page": 1}),
        (admin, "user", str(taker), {"what": "admin.account"}),
        (None, "round", str(round_id), {"what": "rankings export", "kind": "csv", "rows": 0}),
    ]


def test_the_organisers_staff_page_is_logged(app, tmp_path):
    round_id = a_round_with_takers(app, tmp_path, 0)
    client = app.test_client()
    organiser = account_id(app, Accounts(app, client).login_as("organiser", round_id=round_id))
    assert client.get("/contests/manage/ai-xem/staff").status_code == 200
    ((actor, target_type, _contest, after),) = viewed(app)
    assert (actor, target_type, after) == (organiser, "contest", {"what": "contests.staff"})


def test_the_admin_lists_who_looked_apart_from_other_actions(app, tmp_path):
    round_id = a_round_with_takers(app, tmp_path, 1)
    judge = app.test_client()
    judge_phone = Accounts(app, judge).login_as("judge", round_id=round_id)
    judge.get(f"/judging/rounds/{round_id}/ranking")
    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    page = admin.get("/admin/audit?kind=personal_data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # In words: who (name, role, phone) looked at what.
    assert "Xem bảng xếp hạng của" in html and judge_phone in html and "(Ban giám khảo, " in html
    assert PERSONAL_DATA_VIEWED not in html and "judging.ranking" not in html
    with app.app_context():
        actions = [event.action for event in db.session.scalars(select(AuditEvent))]
    others = set(actions) - {PERSONAL_DATA_VIEWED}
    assert others, "the scenario must have recorded other actions too"
    assert html.count('<li class="event"') == actions.count(PERSONAL_DATA_VIEWED)
    # An unknown filter lists everything, and never fails.
    assert admin.get("/admin/audit?kind=%00nope").status_code == 200
