"""Who may change a bank (DESIGN §3 rule 9): its owner and admins. A shared bank (imported
without --owner) is read-only to every organiser, and so is another organiser's bank a contest
lets them see; an organiser copies such a bank into one of their own instead."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quizapp.audit import AuditEvent
from quizapp.banks.models import Bank, Question
from quizapp.extensions import db
from tests.attempt_support import (
    CLOSES,
    DURING,
    OPENS,
    import_bank,
    install_clock,
    load_contest,
    round_definition,
    simple_questions,
    write_bank_csv,
)
from tests.conftest import Accounts, csrf_token

EDIT = {"topic": "Chung", "text": "Câu đã bị sửa?", "option_a": "Sửa A", "option_b": "Sửa B", "correct": ["B"]}


def question_ids(app, slug: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Question.id).join(Bank).where(Bank.slug == slug).order_by(Question.id)))


def question_state(app, question_id: int) -> tuple[str, bool, list[str]]:
    with app.app_context():
        question = db.session.get(Question, question_id)
        return question.text, question.is_active, [option.text for option in question.options]


def question_count(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Question).join(Bank).where(Bank.slug == slug))


def upload(client, data: bytes, filename: str, **fields):
    form = {"file": (io.BytesIO(data), filename), "bank": "", "csrf_token": csrf_token(client), **fields}
    return client.post("/banks/upload", data=form, content_type="multipart/form-data")


def owned_bank(app, tmp_path, slug: str, owner_phone: str) -> None:
    path = write_bank_csv(tmp_path / f"{slug}.csv", simple_questions(slug, 3))
    result = app.test_cli_runner().invoke(args=["banks", "import", str(path), "--bank", slug, "--owner", owner_phone])
    assert result.exit_code == 0, result.output


def refused_everything(app, client, slug: str) -> None:
    """Every write path of ``slug`` refused to the signed-in account, and nothing changed."""
    question_id = question_ids(app, slug)[0]
    before = question_state(app, question_id)
    count = question_count(app, slug)
    url = f"/banks/{slug}/questions/{question_id}"

    assert client.get(url).status_code == 403
    assert client.post(url, data={**EDIT, "csrf_token": csrf_token(client)}).status_code == 403
    assert client.post(f"{url}/active", data={"active": "0", "csrf_token": csrf_token(client)}).status_code == 403
    extra = "Câu hỏi,A,B,Đáp án\nCâu chen vào ngân hàng người khác?,Có,Không,A\n".encode()
    by_slug = upload(client, extra, "them.csv", new_slug=slug)
    by_choice = upload(client, extra, "them.csv", bank=slug)

    assert by_slug.status_code == 422 and by_choice.status_code == 422
    assert 'name="token"' not in by_slug.get_data(as_text=True)
    assert question_state(app, question_id) == before
    assert question_count(app, slug) == count
    page = client.get(f"/banks/{slug}").get_data(as_text=True)
    assert f"/banks/{slug}/questions/{question_id}" not in page  # no edit link, no deactivate button
    assert "Sao chép thành ngân hàng của tôi" in page


def test_an_organiser_cannot_change_a_shared_bank_and_an_admin_can(app, client, auth, tmp_path):
    import_bank(app, tmp_path, "chung", simple_questions("chung", 3))  # no --owner: shared
    auth.login_as("organiser")

    refused_everything(app, client, "chung")

    admin = app.test_client()
    Accounts(app, admin).login_as("admin")
    question_id = question_ids(app, "chung")[0]
    url = f"/banks/chung/questions/{question_id}"
    assert admin.post(url, data={**EDIT, "csrf_token": csrf_token(admin)}).status_code == 302
    assert admin.post(f"{url}/active", data={"active": "0", "csrf_token": csrf_token(admin)}).status_code == 302
    assert question_state(app, question_id) == ("Câu đã bị sửa?", False, ["Sửa A", "Sửa B"])


def test_an_organiser_cannot_change_another_organisers_bank_a_contest_lets_them_see(app, client, auth, tmp_path):
    owner = Accounts(app, app.test_client())
    owner_phone = owner.login_as("organiser")
    owned_bank(app, tmp_path, "cua-b", owner_phone)
    load_contest(app, tmp_path, "chung-cuoc", [round_definition(bank="cua-b", count=3)])
    phone = auth.login_as("organiser", contest="chung-cuoc")
    assert client.get("/banks/cua-b").status_code == 200  # a co-organiser of the contest sees it

    refused_everything(app, client, "cua-b")

    # Nor may the command line import into it in that organiser's name.
    path = write_bank_csv(tmp_path / "them.csv", simple_questions("them", 1))
    result = app.test_cli_runner().invoke(args=["banks", "import", str(path), "--bank", "cua-b", "--owner", phone])
    assert result.exit_code == 1 and "không được sửa ngân hàng cua-b" in result.output
    assert question_count(app, "cua-b") == 3
    # Its owner may.
    result = app.test_cli_runner().invoke(
        args=["banks", "import", str(path), "--bank", "cua-b", "--owner", owner_phone])
    assert result.exit_code == 0, result.output
    assert question_count(app, "cua-b") == 4


def test_the_owner_still_edits_their_own_bank(app, client, auth, tmp_path):
    phone = auth.login_as("organiser")
    owned_bank(app, tmp_path, "cua-toi", phone)
    question_id = question_ids(app, "cua-toi")[0]

    response = client.post(f"/banks/cua-toi/questions/{question_id}", data={**EDIT, "csrf_token": csrf_token(client)})

    assert response.status_code == 302
    assert question_state(app, question_id)[0] == "Câu đã bị sửa?"


def test_an_organiser_copies_a_shared_bank_into_their_own_and_edits_the_copy(app, client, auth, tmp_path):
    import_bank(app, tmp_path, "chung", simple_questions("chung", 3))
    with app.app_context():
        db.session.get(Question, question_ids(app, "chung")[2]).is_active = False
        db.session.commit()
    auth.login_as("organiser")

    copied = client.post("/banks/chung/copy", data={"new_slug": "cua-toi", "new_title": "Ngân hàng của tôi",
                                                    "csrf_token": csrf_token(client)})
    taken = client.post("/banks/chung/copy", data={"new_slug": "cua-toi", "csrf_token": csrf_token(client)})

    assert copied.status_code == 302 and copied.headers["Location"] == "/banks/cua-toi"
    assert taken.status_code == 422 and "Mã cua-toi đã có ngân hàng khác dùng" in taken.get_data(as_text=True)
    with app.app_context():
        copy = db.session.scalar(select(Bank).where(Bank.slug == "cua-toi"))
        assert copy.title == "Ngân hàng của tôi" and copy.owner.role == "organiser"
        rows = db.session.execute(select(Question.text, Question.is_active).where(Question.bank_id == copy.id)
                                  .order_by(Question.id)).all()
        assert [(text, active) for text, active in rows] == [
            (question.text, number != 3) for number, question in enumerate(simple_questions("chung", 3), start=1)]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bank.copied")).one()
        assert event.after["from"] == "chung" and event.after["questions"] == 3
    copy_question = question_ids(app, "cua-toi")[0]
    edited = client.post(f"/banks/cua-toi/questions/{copy_question}", data={**EDIT, "csrf_token": csrf_token(client)})
    assert edited.status_code == 302
    assert question_state(app, copy_question)[0] == "Câu đã bị sửa?"
    assert question_state(app, question_ids(app, "chung")[0])[0] == simple_questions("chung", 1)[0].text


@pytest.mark.parametrize("slug", ["", "Có Dấu", "x" * 65])
def test_a_copy_with_a_bad_slug_is_refused_and_makes_nothing(app, client, auth, tmp_path, slug):
    import_bank(app, tmp_path, "chung", simple_questions("chung", 2))
    auth.login_as("organiser")

    response = client.post("/banks/chung/copy", data={"new_slug": slug, "csrf_token": csrf_token(client)})

    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bank)) == 1


def test_the_question_page_lists_the_open_and_scheduled_rounds_that_may_draw_it(app, client, auth, tmp_path):
    install_clock(app, DURING)
    questions = simple_questions("song", 4) + [replace(question, topic="Khác") for question in simple_questions("k", 2)]
    import_bank(app, tmp_path, "song", questions)
    week = timedelta(days=7)
    load_contest(app, tmp_path, "dang-mo", [
        round_definition(1, bank="song", count=2),                                   # open now
        round_definition(2, bank="song", count=2, opens=OPENS + week, closes=CLOSES + week),  # scheduled
        round_definition(3, bank="song", count=2, opens=OPENS - week, closes=CLOSES - week),  # closed
    ])
    other_topic = round_definition(1, bank="song", count=2)
    other_topic["draw"] = [{"bank": "song", "topic": "Khác", "count": 2}]
    load_contest(app, tmp_path, "chu-de-khac", [other_topic])
    auth.login_as("admin")
    question_id = question_ids(app, "song")[0]

    page = client.get(f"/banks/song/questions/{question_id}").get_data(as_text=True)

    assert "Câu hỏi này có thể được rút trong 2 vòng thi đang mở hoặc sắp mở" in page
    assert "Cuộc thi dang-mo · vòng 1 (Tuần 1): đang mở" in page
    assert "Cuộc thi dang-mo · vòng 2 (Tuần 2): chưa mở" in page
    assert "vòng 3" not in page and "chu-de-khac" not in page
    assert "lượt thi đã rút câu này giữ nguyên" in page
