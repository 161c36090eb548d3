"""docs/openapi.yaml fuzzed by schemathesis against the app in process.

tests/api/test_openapi.py walks a written tour; this test lets schemathesis write its own
requests from the document: every operation with generated bodies and path ids (valid ones
and, in negative mode, invalid ones), then sequences along the document's links (the
contests → start → get, save, predict, submit). Every answer goes through the default
checks: no 5xx, the status code and content type documented for the operation, the
documented headers, and the body valid against the response's schema.

Requests carry a real session: a taker account signed in through the API, with an open
round and an attempt in it, and the CSRF token of that session. The account operations use
sessions of their own (an anonymous one for /login and /register, a second sign-in for
/logout), so that the fuzzer neither ends the taker's session nor is refused as already
signed in. The clock stands still inside the round, so nothing expires during the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.generation.stateful import run_state_machine_as_test

from tests.attempt_support import API, Taker, install_clock, one_round, prediction, sign_up
from tests.conftest import GENEROUS_LIMITS, PASSWORD

SPEC_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
COOKIE = "quizapp_session"
# Bounded so the whole file stays well under a minute per database on a loaded CI machine;
# derandomized so a failure found once is found on every run.
SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
STATEFUL_SETTINGS = settings(SETTINGS, max_examples=30, stateful_step_count=10)
# schemathesis's default checks, with two adjustments the API's documented design asks for.
CONFIG = schemathesis.Config.from_dict({
    "checks": {
        # ignored_auth expects a request without credentials to get 401 or 403. This API refuses
        # a request without its X-CSRFToken header (and so without its session cookie) with 400
        # csrf_failed, as documented and as the phones' script expects; that every operation
        # refuses missing credentials is checked by tests/api/test_openapi.py (_tour_security).
        "ignored_auth": {"enabled": False},
    },
    # The run per operation sends negative cases; the stateful run keeps to valid requests so
    # that its scenarios get through a whole attempt.
    "phases": {"stateful": {"generation": {"mode": "positive"}}},
    "operations": [{
        # A registration can break rules no schema can state (the units directory, the configured
        # participant groups, a phone that already has an account, a birth date after today);
        # those are 422 validation_error, as documented, for a body the schema allows.
        "include-operation-id": "register",
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "422", "429"]}},
    }, *({
        # A phone number the schema allows may not be a Vietnamese mobile number, and a code the
        # schema allows is wrong unless it is the one sent: 422 validation_error or
        # code_invalid, as documented.
        "include-operation-id": operation,
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "409", "422", "429"]}},
    } for operation in ("requestPasswordReset", "confirmPasswordReset", "confirmPhoneVerification")), {
        # Any string is a consent_version to the schema, but only the current notice's version
        # (GET /privacy) is a consent: the others are 422 consent_required, as documented.
        "include-operation-id": "giveConsent",
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "422"]}},
    }, {
        # Option ids are opaque and differ in every attempt: ids the schema allows but this
        # attempt did not show are 422 invalid_option, as documented.
        "include-operation-id": "saveAnswer",
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "422", "429"]}},
    }],
})


@dataclass(frozen=True)
class Session:
    cookie: str
    csrf: str


@dataclass
class Sessions:
    taker: Session  # signed in, with an open attempt (a new taker for each stateful scenario)
    leaving: Session  # the same account signed in again, for /logout
    anonymous: Session  # a session cookie and its token, nobody signed in

    def for_operation(self, operation_id: str) -> Session:
        return {"login": self.anonymous, "register": self.anonymous, "logout": self.leaving}.get(
            operation_id, self.taker)


def session_of(client) -> Session:
    csrf = client.get(f"{API}/session").get_json()["csrf_token"]
    return Session(client.get_cookie(COOKIE).value, csrf)


def new_taker(app) -> tuple[Taker, Session]:
    taker = sign_up(app)
    return taker, session_of(taker.client)


@pytest.fixture
def sessions(make_app, tmp_path) -> tuple[object, Sessions]:
    # Limits high enough that no answer depends on how many requests came before it.
    app = make_app(**GENEROUS_LIMITS, RATELIMIT_LOGIN_FAILURES_PER_PHONE="10000 per minute",
                   RATELIMIT_LOGIN_FAILURES_PER_IP="10000 per minute",
                   RATELIMIT_LOGIN_PER_IP="10000 per minute", RATELIMIT_REGISTER_PER_IP="10000 per hour")
    install_clock(app)
    round_id = one_round(app, tmp_path, review="after_submit", max_attempts=None, prediction=prediction())
    taker, session = new_taker(app)
    taker.started(round_id)
    second = app.test_client()
    token = second.get(f"{API}/session").get_json()["csrf_token"]
    signed_in = second.post(f"{API}/login", json={"phone": taker.phone, "password": PASSWORD},
                            headers={"X-CSRFToken": token})
    assert signed_in.status_code == 200, signed_in.get_json()
    return app, Sessions(session, session_of(second), session_of(app.test_client()))


@pytest.fixture
def api_schema(sessions):
    app, signed = sessions
    schema = schemathesis.openapi.from_path(SPEC_FILE, config=CONFIG)
    schema.app = app

    # Through schemathesis's own auth, so that a negative case that leaves out or spoils the
    # cookie or the CSRF header is sent as generated. Not cached: the session depends on the
    # operation.
    @schema.auth(refresh_interval=None)
    class SignedIn:
        def get(self, case, context) -> Session:
            return signed.for_operation(case.operation.definition.raw["operationId"])

        def set(self, case, data: Session, context) -> None:
            case.cookies = {**(case.cookies or {}), COOKIE: data.cookie}
            case.headers = {**(case.headers or {}), "X-CSRFToken": data.csrf}

    return schema


def operation_ids() -> list[str]:
    spec = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    return [operation["operationId"] for item in spec["paths"].values() for operation in item.values()
            if isinstance(operation, dict) and "operationId" in operation]


# schemathesis.pytest.from_fixture would do this loop itself, but its parametrize sets the
# private `_nodeid` of pytest's items, which pytest 9.2 no longer has; the generation, the
# calls and the checks are the same.
@pytest.mark.parametrize("operation_id", operation_ids())
def test_every_operation_answers_as_documented(api_schema, operation_id):
    operation = api_schema.find_operation_by_id(operation_id)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @SETTINGS
    @given(case=cases)
    def answers_as_documented(case) -> None:
        case.call_and_validate()

    answers_as_documented()


def test_sequences_along_the_documents_links_answer_as_documented(api_schema, sessions):
    app, signed = sessions
    succeeded: set[str] = set()

    class Workflow(api_schema.as_state_machine()):
        def setup(self) -> None:
            # Every scenario starts from the same state, a taker with no attempt yet, so that
            # the same choices meet the same answers (Hypothesis replays scenarios).
            signed.taker = new_taker(app)[1]

        def after_call(self, response, case) -> None:
            super().after_call(response, case)
            if 200 <= response.status_code < 300:
                succeeded.add(case.operation.definition.raw["operationId"])

    run_state_machine_as_test(Workflow, settings=STATEFUL_SETTINGS)

    # The links took the fuzzer through a whole attempt, not only to refusals (15 scenarios
    # did with every seed tried; 30 leave a margin for changes to the document).
    assert {"listContests", "startAttempt", "getAttempt", "saveAnswer", "savePrediction",
            "submitAttempt"} <= succeeded, succeeded
