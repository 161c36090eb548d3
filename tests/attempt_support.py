"""Set-up shared by the attempt and OpenAPI tests: a clock the test moves, question banks
and contests loaded through the command line, and takers speaking the JSON API.

Everything a taker does goes through HTTP, as a phone would; the database is read only to
learn what a taker must never be told (which option is correct) and to count rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from quizapp.banks.models import Option
from quizapp.contests.models import Attempt, AttemptItem
from quizapp.extensions import db
from tests.conftest import PASSWORD, Accounts

API = "/api/v1"
LETTERS = "ABCDEFGH"
# A week's round: Monday 10:00 to the next Monday 09:00 in Hà Nội, in the future so that no
# real clock ever lands inside it by accident.
OPENS = datetime(2030, 5, 6, 3, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=7, hours=-1)
DURING = OPENS + timedelta(hours=2)
# Keys that would tell a taker the answer; they may appear only when the review policy allows.
KEY_FIELDS = frozenset({"correct", "is_correct", "correct_key", "explanation"})


# --- time ---------------------------------------------------------------------------------


class Clock:
    """The server's clock for one test (``app.extensions["quizapp.clock"]``).

    Frozen by default. A ticking clock runs on from the set time at real speed: races use it
    so that two requests that both "won" would show two different times.
    """

    def __init__(self, at: datetime, *, ticking: bool = False) -> None:
        self.ticking = ticking
        self._lock = threading.Lock()
        self.set(at)

    def __call__(self) -> datetime:
        with self._lock:
            if not self.ticking:
                return self._at
            return self._at + timedelta(seconds=time.monotonic() - self._since)

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at, self._since = at, time.monotonic()

    def advance(self, **delta: float) -> None:
        self.set(self() + timedelta(**delta))


def install_clock(app: Flask, at: datetime = DURING, *, ticking: bool = False) -> Clock:
    clock = Clock(at, ticking=ticking)
    app.extensions["quizapp.clock"] = clock
    return clock


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- banks and contests -------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...]
    answer: str  # the correct letters, "A" or "A,C"
    multiple: bool = False
    explanation: str = ""
    topic: str = "Chung"

    @property
    def correct_texts(self) -> set[str]:
        return {self.options[LETTERS.index(letter)] for letter in self.answer.split(",")}


def simple_questions(tag: str, count: int, *, answer: str = "A", options: int = 4) -> list[Question]:
    """Single-select questions whose texts name the bank, the question and the letter."""
    return [
        Question(
            text=f"Câu hỏi {number} của bộ {tag}: chọn phương án đúng?",
            options=tuple(f"{tag} câu {number} phương án {letter}" for letter in LETTERS[:options]),
            answer=answer,
            explanation=f"Giải thích câu {number} của bộ {tag}.",
        )
        for number in range(1, count + 1)
    ]


def write_bank_csv(path: Path, questions: Iterable[Question]) -> Path:
    questions = list(questions)
    width = max(len(question.options) for question in questions)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Chủ đề", "Câu hỏi", *LETTERS[:width], "Đáp án", "Nhiều lựa chọn", "Giải thích"])
    for question in questions:
        options = list(question.options) + [""] * (width - len(question.options))
        writer.writerow([question.topic, question.text, *options, question.answer,
                         "x" if question.multiple else "", question.explanation])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def import_bank(app: Flask, tmp_path: Path, slug: str, questions: Iterable[Question]) -> None:
    path = write_bank_csv(tmp_path / f"{slug}.csv", questions)
    result = app.test_cli_runner().invoke(args=["banks", "import", str(path), "--bank", slug])
    assert result.exit_code == 0, result.output


def round_definition(number: int = 1, *, bank: str, count: int, opens: datetime = OPENS,
                     closes: datetime = CLOSES, time_limit: int | None = 600, max_attempts: int | None = 3,
                     review: str = "after_close", prediction: dict | None = None, practice: bool = False) -> dict:
    return {
        "number": number, "title": f"Tuần {number}",
        "opens_at": opens.isoformat(), "closes_at": closes.isoformat(),
        "time_limit_seconds": time_limit, "max_attempts": max_attempts, "counting_attempt": "best",
        "draw": [{"bank": bank, "count": count}],
        "prediction": prediction,
        "tie_breakers": ["correct_desc", "duration_asc", "submitted_at_asc"],
        "review": review, "practice": practice,
    }


def prediction(*, locked: bool = False) -> dict:
    return {"prompt": "Có bao nhiêu người trả lời đúng tất cả các câu hỏi?", "truth": "participants",
            "locked": locked}


def load_contest(app: Flask, tmp_path: Path, slug: str, rounds: list[dict], **fields: object) -> list[int]:
    """Load a contest with ``contests load``; return its rounds' ids in the order given."""
    definition = {"slug": slug, "title": f"Cuộc thi {slug}", "rounds": rounds, **fields}
    path = tmp_path / f"{slug}.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["contests", "load", str(path)])
    assert result.exit_code == 0, result.output
    ids = {int(number): int(round_id) for number, round_id in re.findall(r"vòng (\d+) .*: id (\d+)", result.output)}
    return [ids[item["number"]] for item in rounds]


def one_round(app: Flask, tmp_path: Path, slug: str = "tuan", *, questions: list[Question] | None = None,
              count: int | None = None, contest: dict | None = None, **round_fields) -> int:
    """A bank and a contest of one round drawing from it; returns the round's id."""
    questions = questions if questions is not None else simple_questions(slug, 4)
    import_bank(app, tmp_path, f"bank-{slug}", questions)
    definition = round_definition(bank=f"bank-{slug}", count=count or len(questions), **round_fields)
    (round_id,) = load_contest(app, tmp_path, slug, [definition], **(contest or {}))
    return round_id


# --- takers -------------------------------------------------------------------------------


class Taker:
    """A signed-in taker's phone: the JSON API with the CSRF header, every answer kept."""

    def __init__(self, app: Flask, client, user_id: int, phone: str, csrf: str | None = None) -> None:
        self.app, self.client, self.user_id, self.phone = app, client, user_id, phone
        self.csrf = csrf or client.get(f"{API}/session").get_json()["csrf_token"]
        self.log: list[tuple[str, str, int, object]] = []

    def call(self, method: str, path: str, body: object = None):
        response = self.client.open(f"{API}{path}", method=method, json=body, headers={"X-CSRFToken": self.csrf})
        self.log.append((method, path, response.status_code, response.get_json(silent=True)))
        return response

    def contests(self):
        return self.call("GET", "/contests")

    def start(self, round_id: int, body: object = None):
        return self.call("POST", f"/rounds/{round_id}/attempts", body)

    def attempt(self, attempt_id: int):
        return self.call("GET", f"/attempts/{attempt_id}")

    def save(self, attempt_id: int, question_id: int, option_ids: list[str], seq: int | None = None):
        body: dict[str, object] = {"option_ids": option_ids}
        if seq is not None:
            body["seq"] = seq
        return self.call("PUT", f"/attempts/{attempt_id}/answers/{question_id}", body)

    def predict(self, attempt_id: int, value: int):
        return self.call("PUT", f"/attempts/{attempt_id}/prediction", {"value": value})

    def submit(self, attempt_id: int):
        return self.call("POST", f"/attempts/{attempt_id}/submit")

    def started(self, round_id: int, body: object = None) -> dict:
        """Start (or resume) and return the attempt, failing on anything but 200/201."""
        response = self.start(round_id, body)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    def twin(self) -> Taker:
        """A second test client on the same signed-in session, as a retried request would be."""
        client = self.app.test_client()
        client.set_cookie("quizapp_session", self.client.get_cookie("quizapp_session").value)
        return Taker(self.app, client, self.user_id, self.phone, csrf=self.csrf)

    def signed_in_again(self) -> Taker:
        """The same account signed in on another phone: a session of its own."""
        client, response = sign_in(self.app, self.phone)
        assert response.status_code == 200, response.get_json()
        return Taker(self.app, client, self.user_id, self.phone)


def sign_in(app: Flask, phone: str, password: str = PASSWORD):
    """Sign in through the JSON API on a new test client; the client and the response."""
    client = app.test_client()
    csrf = client.get(f"{API}/session").get_json()["csrf_token"]
    return client, client.post(f"{API}/login", json={"phone": phone, "password": password},
                               headers={"X-CSRFToken": csrf})


def sign_up(app: Flask, **fields: object) -> Taker:
    """A new taker account, signed in through the JSON API."""
    client = app.test_client()
    accounts = Accounts(app, client)
    phone = f"0{next(Accounts._phones)}"
    user_id = accounts.create("taker", phone, **fields)
    client, response = sign_in(app, phone)
    assert response.status_code == 200, response.get_json()
    return Taker(app, client, user_id, phone)


def error_code(response) -> str | None:
    body = response.get_json(silent=True) or {}
    return (body.get("error") or {}).get("code")


# --- what the database knows --------------------------------------------------------------


def answer_key(app: Flask, attempt: dict) -> dict[int, set[str]]:
    """Question id -> the option ids, as this attempt shows them, that the bank marks correct.

    Read from the bank's options and the attempt's stored order, checked against the option
    texts the taker was shown, so it does not trust the app's own scoring key.
    """
    with app.app_context():
        items = {item.question_id: item for item in db.session.scalars(
            select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"]))}
        options = {option.id: option for option in db.session.scalars(
            select(Option).where(Option.question_id.in_(list(items))))}
        key = {}
        for question in attempt["questions"]:
            stored = items[question["id"]].option_ids
            shown = question["options"]
            assert [options[option_id].text for option_id in stored] == [option["text"] for option in shown]
            key[question["id"]] = {
                option["id"] for option, option_id in zip(shown, stored, strict=True) if options[option_id].is_correct
            }
        return key


def attempt_rows(app: Flask, round_id: int, user_id: int) -> list[tuple[int, int, str]]:
    """(id, number, status) of a person's attempts in a round."""
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Attempt.id, Attempt.number, Attempt.status)
            .where(Attempt.round_id == round_id, Attempt.user_id == user_id).order_by(Attempt.number)
        )]


def count_attempts(app: Flask, **where: object) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(Attempt)
        for name, value in where.items():
            statement = statement.where(getattr(Attempt, name) == value)
        return db.session.scalar(statement)


# --- races --------------------------------------------------------------------------------


def run_together(actions: list[Callable[[], object]], timeout: float = 60) -> list[object]:
    """Run each action on its own thread, released together by a barrier; return their results.

    An exception on a thread is re-raised here, so a crash cannot pass as a missing result.
    """
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            results[index] = action()
        except BaseException as error:  # handed to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    if errors:
        raise errors[0]
    return results
