"""Phone verification per contest (issue 14 item 4): a contest with "require_verified_phone"
admits only accounts whose phone an SMS code proved; the start answers 403 phone_unverified
(API and page), and POST /api/v1/phone-verification[/confirm] verifies the phone."""

from __future__ import annotations

import json
import re

from sqlalchemy import event, select

from quizapp.auth.models import User
from quizapp.contests.models import Contest
from quizapp.extensions import db
from tests.attempt_support import API, error_code, install_clock, one_round, sign_up
from tests.conftest import csrf_token
from tests.contests.test_contest_manage import SLUG, contest_form, post, round_form
from tests.contests.test_contest_manage import bank as bank  # noqa: F401 - the fixture
from tests.sms_support import last_code, sent, sms_app

VERIFIED = {"require_verified_phone": True}


def gated(make_app, tmp_path, contest: dict | None = VERIFIED, **config):
    app, outbox = sms_app(make_app, tmp_path, **config)
    install_clock(app)
    return app, outbox, one_round(app, tmp_path, contest=contest)


def test_an_unverified_taker_is_refused_until_the_code_comes_back(make_app, tmp_path):
    app, outbox, round_id = gated(make_app, tmp_path)
    taker = sign_up(app)

    refused = taker.start(round_id)
    assert (refused.status_code, error_code(refused)) == (403, "phone_unverified")
    assert "Xác minh số điện thoại" in refused.get_json()["error"]["message"]
    [contest] = taker.contests().get_json()
    assert contest["require_verified_phone"] is True

    asked = taker.call("POST", "/phone-verification")
    assert asked.status_code == 202 and sent(outbox) == []
    code = last_code(app, outbox, taker.phone)
    assert "Mã xác minh số điện thoại" in sent(outbox)[-1]["text"]
    wrong = taker.call("POST", "/phone-verification/confirm", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert (wrong.status_code, error_code(wrong)) == (422, "code_invalid")
    assert taker.start(round_id).status_code == 403

    done = taker.call("POST", "/phone-verification/confirm", {"code": code})
    assert done.status_code == 200 and done.get_json()["user"]["phone_verified"] is True
    assert taker.start(round_id).status_code == 201
    again = taker.call("POST", "/phone-verification")
    assert (again.status_code, error_code(again)) == (409, "phone_already_verified")


def test_a_contest_without_the_setting_admits_unverified_phones(make_app, tmp_path):
    app, _outbox, round_id = gated(make_app, tmp_path, contest=None)
    assert sign_up(app).start(round_id).status_code == 201


def test_the_start_page_sends_the_taker_to_verification(make_app, tmp_path):
    app, outbox, round_id = gated(make_app, tmp_path)
    taker = sign_up(app)
    client = taker.client
    page = client.post(f"/contests/rounds/{round_id}/start", data={"csrf_token": csrf_token(client)})
    assert page.status_code == 302 and page.headers["Location"] == "/contests/tuan"
    html = client.get("/contests/tuan").get_data(as_text=True).replace("%2F", "/")
    assert "yêu cầu xác minh số điện thoại bằng mã SMS trước khi làm bài" in html
    assert 'href="/auth/phone-verification?next=/contests/tuan"' in html

    anonymous = app.test_client().get("/contests/tuan").get_data(as_text=True)
    assert "/auth/register?next=/auth/phone-verification?next%3D/contests/tuan" in anonymous.replace("%2F", "/")
    register = app.test_client().get("/auth/register?next=/auth/phone-verification%3Fnext%3D/contests/tuan")
    assert "sau khi đăng ký, bấm “Gửi mã”" in register.get_data(as_text=True)


def test_verification_limits_and_sign_in(make_app, tmp_path):
    app, _outbox, _round_id = gated(make_app, tmp_path, RATELIMIT_CODE_SEND_PER_PHONE="1 per hour")
    taker = sign_up(app)
    assert taker.call("POST", "/phone-verification").status_code == 202
    refused = taker.call("POST", "/phone-verification")
    assert (refused.status_code, error_code(refused)) == (429, "rate_limited") and "Retry-After" in refused.headers
    anonymous = app.test_client()
    nobody = anonymous.post(f"{API}/phone-verification", headers={"X-CSRFToken": csrf_token(anonymous)})
    assert (nobody.status_code, error_code(nobody)) == (401, "login_required")


def test_the_contest_file_takes_only_a_boolean(app, runner, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"slug": "sai", "title": "Sai", "require_verified_phone": "có", "rounds": []}))
    result = runner.invoke(args=["contests", "load", str(path)])
    assert result.exit_code == 1 and "$.require_verified_phone" in result.output


def test_the_organisers_form_sets_and_clears_it(client, app, auth, bank):  # noqa: F811
    auth.login_as("organiser")
    created = post(client, "/contests/manage/new", {**contest_form(require_verified_phone="y"), **round_form("round")})
    assert created.status_code == 302

    def required() -> bool:
        with app.app_context():
            return db.session.scalar(select(Contest.require_verified_phone).where(Contest.slug == SLUG))

    assert required() is True
    edit_page = client.get(f"/contests/manage/{SLUG}/edit").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="require_verified_phone"|name="require_verified_phone"[^>]*checked',
                     edit_page)
    assert post(client, f"/contests/manage/{SLUG}/edit", {"title": "Đổi", "description": ""}).status_code == 302
    assert required() is False


def test_the_start_costs_no_extra_statement_for_the_setting(make_app, tmp_path):
    """The account's phone_verified_at comes with the account the session loads: a start in a
    contest that requires a verified phone runs as many statements as one in a contest that
    does not (the start is contest day's hot path)."""
    app, _outbox, gated_round = gated(make_app, tmp_path)
    open_round = one_round(app, tmp_path, "mo")
    taker = sign_up(app)
    with app.app_context():
        user = db.session.get(User, taker.user_id)
        user.phone_verified_at = user.created_at
        db.session.commit()
        engine = db.engine

    def statements(round_id: int) -> int:
        seen = []

        def count(*_args) -> None:
            seen.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert taker.start(round_id).status_code == 201
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    assert statements(gated_round) == statements(open_round)
