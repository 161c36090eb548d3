"""The access matrix of contests: every role against every page and export of one contest.

One installation serves several organisations. Contest "cua-minh" has its own organiser and
judge; contest "cua-nguoi" belongs to another organisation with its own. Each person below
opens every page of "cua-minh", downloads every export and tries every action; what they
may not do is refused (403, or the login page for a visitor) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, insert, select

from quizapp.audit import AuditEvent
from quizapp.auth.models import User
from quizapp.banks.models import Bank
from quizapp.contests.models import Attempt, ContestStaff, Round
from quizapp.extensions import db
from quizapp.flags.models import Flag
from quizapp.judging.models import AwardOverride, RoundResult
from tests.attempt_support import CLOSES, DURING, install_clock, one_round, simple_questions
from tests.conftest import Accounts, csrf_token

MINE, THEIRS = "cua-minh", "cua-nguoi"


@dataclass
class World:
    round_id: int
    attempt_id: int
    staff_id: int  # a judge row of MINE that an organiser may remove
    helper_phone: str  # a judge's account an organiser may add


def build(app, tmp_path) -> World:
    install_clock(app, CLOSES + (CLOSES - DURING))  # both rounds closed: locking is possible
    round_id = one_round(app, tmp_path, MINE, questions=simple_questions("m", 3))
    one_round(app, tmp_path, THEIRS, questions=simple_questions("n", 3))
    helper = Accounts(app, app.test_client())
    helper_phone = "0977000001"
    helper.create("judge", helper_phone)
    removable = helper.create("judge", "0977000002")
    helper.assign(removable, "judge", contest=MINE)
    with app.app_context():
        taker = db.session.scalar(select(User.id).where(User.phone == helper_phone))
        db.session.execute(insert(Attempt), [{
            "round_id": round_id, "user_id": taker, "number": 1, "max_attempts": 3, "status": "submitted",
            "started_at": DURING, "deadline": DURING + (CLOSES - DURING), "submitted_at": DURING,
            "question_count": 3, "correct_count": 3, "duration_ms": 30_000, "expired": False,
            "disqualified": False}])
        attempt_id = db.session.scalar(select(Attempt.id).where(Attempt.round_id == round_id))
        staff_id = db.session.scalar(select(ContestStaff.id).where(ContestStaff.user_id == removable))
        db.session.commit()
    return World(round_id, attempt_id, staff_id, helper_phone)


# --- what there is to open, download and do -------------------------------------------------
# (kind, method, path, form); kind says who may: "organiser", "judge" or "staff" (either).


def requests_of(world: World) -> list[tuple[str, str, str, dict]]:
    manage, judging = f"/contests/manage/{MINE}", f"/judging/rounds/{world.round_id}"
    return [
        ("organiser", "GET", f"{manage}/edit", {}),
        ("organiser", "GET", f"{manage}/rounds/new", {}),
        ("organiser", "GET", f"{manage}/rounds/1/edit", {}),
        ("organiser", "GET", f"{manage}/share", {}),
        ("organiser", "GET", f"{manage}/qr.svg", {}),
        ("organiser", "GET", f"{manage}/staff", {}),
        ("organiser", "POST", f"{manage}/rounds/new", {"number": ""}),
        ("organiser", "POST", f"{manage}/edit", {"title": ""}),
        ("organiser", "POST", f"{manage}/staff", {"phone": world.helper_phone, "role": "judge"}),
        ("organiser", "POST", f"{manage}/staff/{world.staff_id}/remove", {}),
        ("organiser", "GET", f"/certificates/contests/{MINE}/settings", {}),
        ("organiser", "GET", f"/certificates/contests/{MINE}/sample.pdf", {}),
        ("organiser", "POST", f"/certificates/contests/{MINE}/settings", {"title": "Giấy khen"}),
        ("staff", "GET", f"{manage}/dashboard", {}),
        ("staff", "GET", f"{judging}/summary", {}),
        ("staff", "GET", f"{judging}/questions", {}),
        ("staff", "GET", f"{judging}/questions.csv", {}),
        ("judge", "GET", judging, {}),
        ("judge", "GET", f"{judging}/ranking", {}),
        ("judge", "GET", f"{judging}/ranking?q=0977", {}),
        ("judge", "GET", f"{judging}/export.csv", {}),
        ("judge", "GET", f"{judging}/export.xlsx", {}),
        ("judge", "GET", f"{judging}/awards.csv", {}),
        ("judge", "GET", f"{judging}/attempts.csv", {}),
        ("judge", "GET", f"{judging}/collective", {}),
        ("judge", "GET", f"{judging}/collective?format=csv", {}),
        ("judge", "GET", f"/judging/contests/{MINE}/standings", {}),
        ("judge", "GET", f"/judging/contests/{MINE}/standings.csv", {}),
        ("judge", "POST", f"{judging}/scan", {}),
        ("judge", "POST", f"{judging}/awards/override",
         {"phone": world.helper_phone, "award": "Giải Nhất", "reason": "Quyết định của hội đồng"}),
        ("judge", "POST", f"/judging/attempts/{world.attempt_id}/decision",
         {"decision": "disqualify", "reason": "Thử quyền", "round_id": str(world.round_id)}),
        ("judge", "GET", f"{judging}/lock", {}),
        ("judge", "POST", f"{judging}/lock", {"confirm": "yes", "reason": "Thử quyền"}),
    ]


def state(app) -> tuple:
    """Everything the actions above could change."""
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                       for model in (AuditEvent, ContestStaff, RoundResult, AwardOverride, Flag))
        disqualified = db.session.scalar(select(func.count()).where(Attempt.disqualified))
        return (*counts, disqualified)


# --- who asks ---------------------------------------------------------------------------------
# (account role, contest and role in it or None, kinds of request allowed)

ACTORS = {
    "taker": ("taker", None, set()),
    "organiser of this contest": ("organiser", (MINE, "organiser"), {"organiser", "staff"}),
    "organiser of another contest": ("organiser", (THEIRS, "organiser"), set()),
    "organiser of no contest": ("organiser", None, set()),
    "judge of this contest": ("judge", (MINE, "judge"), {"judge", "staff"}),
    "judge of another contest": ("judge", (THEIRS, "judge"), set()),
    "organiser judging this contest": ("organiser", (MINE, "judge"), {"judge", "staff"}),
    "admin": ("admin", None, {"organiser", "judge", "staff"}),
}
# A download answers 303 to its background job's progress page (judging.jobs).
ALLOWED = {"GET": {200, 303}, "POST": {200, 302, 422}}


@pytest.mark.parametrize("actor", list(ACTORS))
def test_each_role_against_every_page_and_export_of_a_contest(app, tmp_path, actor):
    world = build(app, tmp_path)
    role, held, allowed = ACTORS[actor]
    client = app.test_client()
    accounts = Accounts(app, client)
    phone = accounts.login_as(role)
    if held is not None:
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.phone == phone))
        accounts.assign(user_id, held[1], contest=held[0])
    token = csrf_token(client)

    seen = []
    for kind, method, path, form in requests_of(world):
        before = state(app)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={**form, "csrf_token": token})
        status = response.status_code
        response.close()
        seen.append((method, path, status))
        if kind in allowed:
            assert status in ALLOWED[method], (actor, method, path, status)
        else:
            assert status == 403, (actor, method, path, status)
            assert state(app) == before, (actor, method, path)
    assert len(seen) == len(requests_of(world))


def test_a_visitor_is_sent_to_log_in_everywhere(app, tmp_path, client):
    world = build(app, tmp_path)
    token = csrf_token(client)
    before = state(app)
    for _kind, method, path, form in requests_of(world):
        response = client.get(path) if method == "GET" else client.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), path
        response.close()
    assert state(app) == before


def test_lists_show_only_the_contests_and_banks_a_person_is_on(app, tmp_path):
    world = build(app, tmp_path)
    with app.app_context():
        # An uploaded bank belongs to its organiser; the command line's banks are shared.
        mine = db.session.scalar(select(Bank).where(Bank.slug == f"bank-{THEIRS}"))
        mine.owner_id = db.session.scalar(select(User.id).where(User.phone == world.helper_phone))
        db.session.commit()

    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", contest=MINE)
    contests = organiser.get("/contests/manage/").get_data(as_text=True)
    banks = organiser.get("/banks/").get_data(as_text=True)
    assert f"<code>{MINE}</code>" in contests and f"<code>{THEIRS}</code>" not in contests
    assert f"bank-{MINE}" in banks and f"bank-{THEIRS}" not in banks
    assert organiser.get(f"/banks/bank-{THEIRS}").status_code == 403
    # A bank's page links to the rounds of the organiser's contests that draw from it.
    bank_page = organiser.get(f"/banks/bank-{MINE}").get_data(as_text=True)
    assert f'/contests/manage/{MINE}/rounds/1/edit' in bank_page and f"/contests/manage/{THEIRS}/" not in bank_page
    response = organiser.get(f"/banks/bank-{THEIRS}/export.xlsx")
    assert response.status_code == 403
    response.close()
    # Nor may a round of theirs draw from it.
    new_round = organiser.get(f"/contests/manage/{MINE}/rounds/new").get_data(as_text=True)
    assert f'value="bank-{THEIRS}"' not in new_round

    judge = app.test_client()
    Accounts(app, judge).login_as("judge", contest=THEIRS)
    listed = judge.get("/judging/").get_data(as_text=True)
    with app.app_context():
        theirs = db.session.scalar(select(Round.id).join(Round.contest).where(Round.contest.has(slug=THEIRS)))
    assert f"/judging/rounds/{theirs}" in listed and f"/judging/rounds/{world.round_id}\"" not in listed


def test_the_staff_form_names_only_accounts_that_may_hold_the_role(app, tmp_path, client, auth):
    """Typing any phone into the form must not tell an organiser who the person behind it is."""
    build(app, tmp_path)
    auth.login_as("organiser", contest=MINE)
    auth.create("taker", "0977000099", full_name="Trần Thị Riêng Tư")
    auth.create("judge", "0977000088", full_name="Lê Văn Giám Khảo")
    token = csrf_token(client)

    refused = client.post(f"/contests/manage/{MINE}/staff", data={
        "csrf_token": token, "phone": "0977 000 099", "role": "judge"})
    added = client.post(f"/contests/manage/{MINE}/staff", data={
        "csrf_token": token, "phone": "0977000088", "role": "judge"}, follow_redirects=True)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Trần Thị Riêng Tư" not in html and "0977000099" not in html.replace('value="0977 000 099"', "")
    assert "09xx xxx 099" in html and "tài khoản này chưa được cấp quyền" in html
    assert added.status_code == 200 and "Lê Văn Giám Khảo" in added.get_data(as_text=True)


def test_the_creator_of_a_contest_is_its_organiser_and_adds_a_judge(app, tmp_path, client, auth):
    build(app, tmp_path)
    auth.login_as("organiser", contest=MINE)
    taker_phone = "0977000099"
    auth.create("taker", taker_phone)
    token = csrf_token(client)

    refused = client.post(f"/contests/manage/{MINE}/staff", data={
        "csrf_token": token, "phone": taker_phone, "role": "judge"})
    unknown = client.post(f"/contests/manage/{MINE}/staff", data={
        "csrf_token": token, "phone": "0977000098", "role": "judge"})
    added = client.post(f"/contests/manage/{MINE}/staff", data={
        "csrf_token": token, "phone": "0977000001", "role": "judge"})

    assert refused.status_code == 422 and "tài khoản này chưa được cấp quyền" in refused.get_data(as_text=True)
    assert unknown.status_code == 422 and "cần đăng ký trước" in unknown.get_data(as_text=True)
    assert added.status_code == 302
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)))
        roles = db.session.execute(select(User.phone, ContestStaff.role).join(User, User.id == ContestStaff.user_id)
                                   .where(ContestStaff.contest.has(slug=MINE))).all()
    assert actions.count("contest.staff_added") == 1
    assert ("0977000001", "judge") in roles and (taker_phone, "judge") not in roles


def test_a_contest_keeps_its_last_organiser(app, tmp_path, client, auth):
    build(app, tmp_path)
    auth.login_as("organiser", contest=MINE)
    with app.app_context():
        (only,) = db.session.scalars(select(ContestStaff.id).where(
            ContestStaff.role == "organiser", ContestStaff.contest.has(slug=MINE)))
    page = client.post(f"/contests/manage/{MINE}/staff/{only}/remove", data={"csrf_token": csrf_token(client)},
                       follow_redirects=True)
    assert "ít nhất một người trong ban tổ chức" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ContestStaff, only) is not None


def test_an_admin_changes_roles_but_not_their_own(app, client, auth):
    phone = auth.login_as("admin")
    judge_id = auth.create("taker", "0977000050")
    token = csrf_token(client)
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.phone == phone))

    client.post(f"/admin/users/{judge_id}/role", data={"csrf_token": token, "role": "judge", "confirm": "1"})
    own = client.post(f"/admin/users/{admin_id}/role", data={"csrf_token": token, "role": "taker", "confirm": "1"},
                      follow_redirects=True)
    bad = client.post(f"/admin/users/{judge_id}/role", data={"csrf_token": token, "role": "vua", "confirm": "1"},
                      follow_redirects=True)

    with app.app_context():
        assert db.session.get(User, judge_id).role == "judge"
        assert db.session.get(User, admin_id).role == "admin"
        changes = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.role_changed")))
    assert "chính mình" in own.get_data(as_text=True) and "Vai trò phải là" in bad.get_data(as_text=True)
    assert [(event.before, event.after) for event in changes] == [({"role": "taker"}, {"role": "judge"})]


def test_a_demoted_organiser_loses_the_contest(app, tmp_path, client, auth):
    build(app, tmp_path)
    phone = auth.login_as("organiser", contest=MINE)
    assert client.get(f"/contests/manage/{MINE}/edit").status_code == 200
    with app.app_context():
        db.session.scalar(select(User).where(User.phone == phone)).role = "taker"
        db.session.commit()
    assert client.get(f"/contests/manage/{MINE}/edit").status_code == 403


def test_the_command_line_gives_and_takes_contest_roles(app, tmp_path, runner):
    build(app, tmp_path)
    auth = Accounts(app, app.test_client())
    auth.create("organiser", "0977000070")
    auth.create("taker", "0977000071")

    given = runner.invoke(args=["contests", "staff", MINE, "0977 000 070", "--role", "organiser"])
    refused = runner.invoke(args=["contests", "staff", MINE, "0977000071", "--role", "judge"])
    missing = runner.invoke(args=["contests", "staff", "khong-co", "0977000070", "--role", "judge"])
    judging = runner.invoke(args=["contests", "staff", MINE, "0977000070", "--role", "judge"])
    last = runner.invoke(args=["contests", "staff", MINE, "0977000070", "--role", "organiser", "--remove"])
    taken = runner.invoke(args=["contests", "staff", MINE, "0977000070", "--role", "judge", "--remove"])

    assert given.exit_code == 0 and "organiser\t0977000070" in given.output
    assert refused.exit_code == 1 and "tài khoản này chưa được cấp quyền" in refused.output
    assert missing.exit_code == 1 and "không có cuộc thi khong-co" in missing.output
    assert judging.exit_code == 0 and "judge\t0977000070" in judging.output
    assert last.exit_code == 1 and "ít nhất một người trong ban tổ chức" in last.output
    assert taken.exit_code == 0 and "judge\t0977000070" not in taken.output and "organiser\t0977000070" in taken.output
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == ["contest.staff_added", "contest.staff_added", "contest.staff_removed"]


def test_a_bank_imported_for_an_organiser_is_theirs_alone(app, tmp_path, runner):
    from tests.attempt_support import write_bank_csv

    auth = Accounts(app, app.test_client())
    auth.create("organiser", "0977000080")
    path = write_bank_csv(tmp_path / "rieng.csv", simple_questions("rieng", 2))
    imported = runner.invoke(args=["banks", "import", str(path), "--owner", "0977000080"])
    not_staff = runner.invoke(args=["banks", "import", str(path), "--bank", "khac", "--owner", "0977000099"])
    assert imported.exit_code == 0, imported.output
    assert not_staff.exit_code == 1 and "không có tài khoản ban tổ chức" in not_staff.output

    owner, other = app.test_client(), app.test_client()
    owner_phone = "0977000080"
    Accounts(app, owner).login(owner_phone)
    Accounts(app, other).login_as("organiser")
    assert owner.get("/banks/rieng").status_code == 200
    assert other.get("/banks/rieng").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bank).where(Bank.slug == "khac")) == 0


def test_another_organisations_bank_is_neither_drawn_from_nor_added_to(app, tmp_path):
    """Forged requests: a round drawing from, or an upload into, a bank the organiser cannot see."""
    from tests.banks.test_bank_pages import GOOD_CSV, counts, upload
    from tests.contests.test_contest_manage import round_form

    build(app, tmp_path)
    with app.app_context():
        theirs = db.session.scalar(select(Bank).where(Bank.slug == f"bank-{THEIRS}"))
        theirs.owner_id = db.session.scalar(select(User.id).where(User.phone == "0977000001"))
        db.session.commit()
        rounds_before = db.session.scalar(select(func.count()).select_from(Round))
    organiser = app.test_client()
    Accounts(app, organiser).login_as("organiser", contest=MINE)
    before = counts(app)

    drawn = organiser.post(f"/contests/manage/{MINE}/rounds/new", data={
        **round_form(number="2", draw=[(f"bank-{THEIRS}", "", "1")]), "csrf_token": csrf_token(organiser)})
    added = upload(organiser, GOOD_CSV, "them.csv", new_slug=f"bank-{THEIRS}")

    assert drawn.status_code == 422
    assert f"Không có ngân hàng câu hỏi mã “bank-{THEIRS}”." in drawn.get_data(as_text=True)
    assert added.status_code == 422 and "đã có ngân hàng khác dùng" in added.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == rounds_before
    assert counts(app) == before
