"""Text messages (quizapp/sms): the log, file and HTTP gateway backends, tested against a real
HTTP server on a thread; a gateway that fails is logged once and never reaches the person."""

from __future__ import annotations

import json
import logging
import multiprocessing
from urllib.parse import parse_qs

import pytest

from quizapp import create_app, sms
from quizapp.sms.backends import FileBackend
from tests.attempt_support import API
from tests.conftest import csrf_token
from tests.job_support import run_jobs
from tests.sms_support import FakeGateway, sent

TEXT = "Mã đặt lại mật khẩu: 123456 (hiệu lực 10 phút). Không đưa mã này cho ai."


def send_with(make_app, text: str = TEXT, to: str = "0912345678", **config) -> bool:
    app = make_app(**config)
    with app.app_context():
        return sms.send(to, text)


def test_the_gateway_receives_the_vietnamese_text_with_its_accents(make_app):
    with FakeGateway() as gateway:
        ok = send_with(make_app, SMS_BACKEND="http", SMS_HTTP_URL=f"{gateway.url}/send", SMS_SENDER="SO-TTTT",
                       SMS_HTTP_AUTH_HEADER="Authorization: Bearer bi-mat")
    assert ok
    [request] = gateway.received
    assert (request.method, request.path) == ("POST", "/send")
    assert request.headers["Authorization"] == "Bearer bi-mat"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(request.body.decode("utf-8")) == {"to": "84912345678", "from": "SO-TTTT", "text": TEXT}


def test_a_form_encoded_body_and_a_template_from_the_environment(make_app):
    with FakeGateway() as gateway:
        send_with(make_app, SMS_BACKEND="http", SMS_HTTP_URL=gateway.url + "/api?key=k",
                  SMS_HTTP_CONTENT_TYPE="application/x-www-form-urlencoded",
                  SMS_HTTP_BODY="Phone={to}&Content={text}&Brandname={sender}", SMS_SENDER="UBND TINH")
        # QUIZAPP_SMS_HTTP_BODY='{"msisdn": "{to}", ...}' arrives parsed as JSON (quizapp/config.py).
        send_with(make_app, text='Nói "xin chào"', SMS_BACKEND="http", SMS_HTTP_URL=gateway.url,
                  SMS_HTTP_BODY={"msisdn": "{to}", "message": "{text}"})
    form, body = gateway.received
    assert parse_qs(form.body.decode()) == {"Phone": ["0912345678"], "Content": [TEXT], "Brandname": ["UBND TINH"]}
    assert json.loads(body.body) == {"msisdn": "0912345678", "message": 'Nói "xin chào"'}


def test_a_get_gateway_takes_the_message_in_its_url(make_app):
    with FakeGateway() as gateway:
        send_with(make_app, SMS_BACKEND="http", SMS_HTTP_METHOD="GET",
                  SMS_HTTP_URL=gateway.url + "/send?phone={to84}&text={text}")
    [request] = gateway.received
    assert request.method == "GET"
    assert parse_qs(request.path.split("?", 1)[1]) == {"phone": ["84912345678"], "text": [TEXT]}


def test_a_gateway_that_fails_is_logged_once_and_send_carries_on(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="quizapp.sms")
    with FakeGateway(status=500, answer=b'{"error": "het tien"}') as gateway:
        ok = send_with(make_app, SMS_BACKEND="http", SMS_HTTP_URL=gateway.url)
    assert ok is False
    [record] = [r for r in caplog.records if r.name == "quizapp.sms"]
    assert "500" in record.getMessage() and "het tien" in record.getMessage()
    assert "0912345678" not in record.getMessage() and record.exc_info is None


def test_a_gateway_that_answers_200_with_an_error_code_is_a_failure_when_told_what_success_is(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="quizapp.sms")
    with FakeGateway(answer=b'{"CodeResult": "99", "ErrorMessage": "Sai brandname"}') as gateway:
        ok = send_with(make_app, SMS_BACKEND="http", SMS_HTTP_URL=gateway.url,
                       SMS_HTTP_SUCCESS_TEXT='"CodeResult": "100"')
    assert ok is False and "Sai brandname" in caplog.text


def test_an_unreachable_gateway_is_one_log_line(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="quizapp.sms")
    with FakeGateway() as gateway:
        url = gateway.url
    assert send_with(make_app, SMS_BACKEND="http", SMS_HTTP_URL=url, SMS_HTTP_TIMEOUT_SECONDS=2) is False
    assert len([r for r in caplog.records if r.name == "quizapp.sms"]) == 1


def test_a_reset_through_a_failing_gateway_is_still_202_and_the_worker_logs_it(make_app, auth, caplog):
    caplog.set_level(logging.WARNING, logger="quizapp.sms")
    with FakeGateway(status=503) as gateway:
        app = make_app(SMS_BACKEND="http", SMS_HTTP_URL=gateway.url, JOBS_QUEUE="sms-failing-gateway")
        auth.app = app
        auth.create(phone="0912345678")
        client = app.test_client()
        response = client.post(f"{API}/password-reset", json={"phone": "0912345678"},
                               headers={"X-CSRFToken": csrf_token(client)})
        assert response.status_code == 202
        assert gateway.received == []  # not inside the request
        run_jobs(app)
    assert len(gateway.received) == 1
    assert "503" in caplog.text


def test_the_log_backend_writes_the_message_to_the_apps_log(make_app, caplog):
    caplog.set_level(logging.INFO, logger="quizapp.sms")
    assert send_with(make_app) is True
    assert TEXT in caplog.text


def test_the_file_backend_writes_one_json_line_per_message(make_app, tmp_path):
    outbox = tmp_path / "sms.jsonl"
    send_with(make_app, SMS_BACKEND=f"file:{outbox}")
    send_with(make_app, "Tin thứ hai", "0987654321", SMS_BACKEND=f"file:{outbox}")
    assert sent(outbox) == [{"to": "0912345678", "text": TEXT}, {"to": "0987654321", "text": "Tin thứ hai"}]


def _append_many(path: str, worker: int) -> None:
    backend = FileBackend(path)
    for n in range(200):
        backend.send(f"09{worker:02d}{n:06d}", f"Tiến trình {worker}, tin {n}: " + "ư" * 300)


def test_several_processes_append_whole_lines(tmp_path):
    outbox = tmp_path / "sms.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(outbox), n)) for n in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    lines = sent(outbox)
    assert len(lines) == 800
    assert {line["to"][:4] for line in lines} == {"0900", "0901", "0902", "0903"}


def test_a_file_that_cannot_be_written_is_a_logged_failure(make_app, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="quizapp.sms")
    assert send_with(make_app, SMS_BACKEND=f"file:{tmp_path}/khong-co/sms.jsonl") is False
    assert "cannot open" in caplog.text


@pytest.mark.parametrize("settings", [
    {"SMS_BACKEND": "carrier-pigeon"},
    {"SMS_BACKEND": "file:"},
    {"SMS_BACKEND": "http"},
    {"SMS_BACKEND": "http", "SMS_HTTP_URL": "ftp://gateway.example.vn"},
    {"SMS_BACKEND": "http", "SMS_HTTP_URL": "https://gateway.example.vn", "SMS_HTTP_METHOD": "DELETE"},
    {"SMS_BACKEND": "http", "SMS_HTTP_URL": "https://gateway.example.vn", "SMS_HTTP_AUTH_HEADER": "Bearer x"},
])
def test_wrong_settings_stop_the_app_at_start(database_url, settings):
    from tests.conftest import base_config

    with pytest.raises(RuntimeError, match="QUIZAPP_SMS"):
        create_app({**base_config(database_url, None), **settings})


def test_production_refuses_the_log_backend_but_takes_a_file_or_a_gateway(database_url, tmp_path):
    """The log backend writes phones and codes into the log (DESIGN §3 rule 7): production
    refuses it, the default included, as it refuses a weak secret key."""
    from tests.conftest import base_config

    production = {**base_config(database_url, None), "ENV": "production", "INSTANCE_PATH": str(tmp_path)}
    for refused in ({}, {"SMS_BACKEND": "log"}):
        with pytest.raises(RuntimeError, match="QUIZAPP_SMS_BACKEND=log writes phone numbers"):
            create_app({**production, **refused})
    for accepted, name in ({"SMS_BACKEND": f"file:{tmp_path}/sms.jsonl"}, "file"), (
            {"SMS_BACKEND": "http", "SMS_HTTP_URL": "https://sms.example.vn/send"}, "http"):
        assert create_app({**production, **accepted}).extensions["quizapp.sms"].name == name
    assert create_app(base_config(database_url, None)).extensions["quizapp.sms"].name == "log"


def test_the_worker_sends_a_code_without_the_phone_reaching_its_log(make_app, auth, tmp_path, database_url,
                                                                    redis_url):
    """``flask --app wsgi jobs worker`` at its own log level, as the systemd unit runs it: the job
    that sends a code carries the account's id, and the worker logs jobs by id, so neither the
    phone nor the code is in its output; the code still arrives."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.sms_support import sms_app

    if redis_url is None:
        pytest.skip("the worker needs Redis")
    app, outbox = sms_app(make_app, tmp_path)
    auth.app = app
    auth.create(phone="0912345678")
    client = app.test_client()
    for path, body in (("password-reset", {"phone": "0912345678"}), ("password-reset", {"phone": "0987654321"})):
        assert client.post(f"{API}/{path}", json=body, headers={"X-CSRFToken": csrf_token(client)}).status_code == 202
    env = {**os.environ, "QUIZAPP_DATABASE_URL": database_url, "QUIZAPP_REDIS_URL": redis_url,
           "QUIZAPP_SECRET_KEY": app.config["SECRET_KEY"], "QUIZAPP_JOBS_QUEUE": app.config["JOBS_QUEUE"],
           "QUIZAPP_SMS_BACKEND": f"file:{outbox}", "QUIZAPP_INSTANCE_PATH": str(tmp_path / "instance")}
    root = Path(__file__).resolve().parents[1]  # where wsgi.py is
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],  # noqa: S603
                          cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    messages = sent(outbox)
    assert [message["to"] for message in messages] == ["0912345678"]
    code = messages[0]["text"].split(": ")[1][:6]
    output = done.stdout + done.stderr
    # The worker's log, at the level it runs with, is here: both sends, and the day's retention
    # purge too when the test runs after its time (jobs/daily.py).
    assert output.count("Job OK") >= 2
    for secret in ("0912345678", "0987654321", "912345678", code):
        assert secret not in output
