"""The attempt views of the JSON API (quizapp/api/attempts.py): what their bodies may be."""

from __future__ import annotations

import pytest

from tests.attempt_support import (
    API,
    count_attempts,
    error_code,
    install_clock,
    one_round,
    prediction,
    sign_up,
)


@pytest.fixture
def round_id(app, tmp_path) -> int:
    install_clock(app)
    return one_round(app, tmp_path, review="after_submit", max_attempts=None, prediction=prediction())


def post_start(taker, round_id: int, data: bytes | None, content_type: str | None):
    options = {} if data is None else {"data": data}
    if content_type is not None:
        options["content_type"] = content_type
    return taker.client.post(f"{API}/rounds/{round_id}/attempts", headers={"X-CSRFToken": taker.csrf}, **options)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"\x00", "application/json"),
        (b"not json", "application/json"),
        (b"[1]", "application/json"),
        (b'"mat-khau"', "application/json"),
        (b"null", "application/json"),
        (b'{"password": "x"}', "text/plain"),
    ],
)
def test_a_start_whose_body_is_not_a_json_object_is_refused_and_starts_nothing(app, round_id, data, content_type):
    taker = sign_up(app)

    response = post_start(taker, round_id, data, content_type)

    assert (response.status_code, error_code(response)) == (400, "invalid_json"), response.get_json()
    assert count_attempts(app) == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(None, None), (b"", "application/json"), (b"", None), (b"{}", "application/json"),
     (b'{"password": null}', "application/json")],
)
def test_a_start_without_a_body_or_with_an_empty_object_starts(app, round_id, data, content_type):
    taker = sign_up(app)

    response = post_start(taker, round_id, data, content_type)

    assert response.status_code == 201, response.get_json()
    assert count_attempts(app) == 1


@pytest.mark.parametrize("password", [5, True, ["mat-khau"], {"text": "mat-khau"}])
def test_a_start_whose_password_is_not_text_is_refused_and_starts_nothing(app, round_id, password):
    taker = sign_up(app)

    response = taker.start(round_id, {"password": password})

    assert (response.status_code, error_code(response)) == (422, "validation_error"), response.get_json()
    assert list(response.get_json()["error"]["fields"]) == ["password"]
    assert count_attempts(app) == 0


def test_a_whole_float_is_a_whole_number_for_seq_and_prediction(app, round_id):
    taker = sign_up(app)
    attempt = taker.started(round_id)
    question = attempt["questions"][0]
    newer, older = question["options"][0]["id"], question["options"][1]["id"]

    saved = taker.save(attempt["id"], question["id"], [newer], seq=5.0)
    assert saved.status_code == 200, saved.get_json()
    # The 5.0 was kept as 5: an older choice sent later with seq 4 does not replace it.
    assert taker.save(attempt["id"], question["id"], [older], seq=4).get_json()["option_ids"] == [newer]
    assert taker.save(attempt["id"], question["id"], [older], seq=6.0).get_json()["option_ids"] == [older]
    predicted = taker.predict(attempt["id"], 250.0)
    assert (predicted.status_code, predicted.get_json()) == (200, {"attempt_id": attempt["id"], "prediction": 250})
    assert taker.attempt(attempt["id"]).get_json()["prediction"] == 250


@pytest.mark.parametrize("value", [5.5, 1e300, -1.0, True, "5"])
def test_a_number_that_is_not_whole_or_out_of_range_is_refused(app, round_id, value):
    taker = sign_up(app)
    attempt = taker.started(round_id)
    question = attempt["questions"][0]

    refused_save = taker.save(attempt["id"], question["id"], [question["options"][0]["id"]], seq=value)
    refused_prediction = taker.predict(attempt["id"], value)

    assert (refused_save.status_code, error_code(refused_save)) == (422, "validation_error")
    assert (refused_prediction.status_code, error_code(refused_prediction)) == (422, "validation_error")
    shown = taker.attempt(attempt["id"]).get_json()
    assert shown["prediction"] is None and shown["questions"][0]["selected"] == []
