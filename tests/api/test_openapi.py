"""docs/openapi.yaml against the API as served.

Every answer the tour below gets from the Flask test client is checked against the document:
its status code must be listed for the operation, its body must match that response's schema
(strict: no field the document does not name), and its documented headers must be there. The
tour must meet every documented status and error code, and every route under /api/v1 must be
in the document, so the code and the document cannot drift apart silently.

The checker is small and explicit: JSON Schema 2020-12 (which OpenAPI 3.1 uses) from
``jsonschema``, with ``$ref`` resolved through a ``referencing`` registry holding the document.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select, update

from quizapp.banks.models import Bank, Question
from quizapp.extensions import db
from quizapp.units.services import load_units_csv
from tests.attempt_support import (
    CLOSES,
    answer_key,
    import_bank,
    install_clock,
    load_contest,
    parse_time,
    prediction,
    round_definition,
    simple_questions,
)
from tests.attempt_support import Question as BankQuestion
from tests.conftest import CONSENT, PASSWORD, Accounts
from tests.slot_support import every_slot_taken
from tests.sms_support import last_code, sms_app

SPEC_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SPEC_URI = "https://quizapp.invalid/docs/openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch")
_NO_BODY = object()

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    # RFC 3339 as the API writes it (datetime.isoformat of an aware UTC time).
    return not isinstance(value, str) or ("T" in value and datetime.fromisoformat(value).tzinfo is not None)


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or date.fromisoformat(value).isoformat() == value


@functools.cache
def load_spec() -> dict:
    return yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


# --- the checker --------------------------------------------------------------------------


class Contract:
    """The document, and the check of one served answer against it."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec))
        self.server = spec["servers"][0]["url"]
        self.templates = {
            template: re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
            for template in spec["paths"]
        }
        # (path template, method, status, error code or None) of every answer checked.
        self.seen: set[tuple[str, str, str, str | None]] = set()

    def resolve(self, node: dict, at: str) -> tuple[dict, str]:
        """Follow a (non-schema) ``$ref`` of the document: responses, headers, parameters."""
        while "$ref" in node:
            at = node["$ref"].removeprefix("#")
            node = self.at(at)
        return node, at

    def at(self, json_pointer: str) -> dict:
        node = self.spec
        for part in json_pointer.split("/")[1:]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, schema_pointer: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{SPEC_URI}#{quote(schema_pointer)}"}, registry=self.registry, format_checker=FORMATS
        )

    def validate(self, schema_pointer: str, instance: object) -> None:
        errors = sorted(self.validator(schema_pointer).iter_errors(instance), key=lambda error: list(error.path))
        if errors:
            raise errors[0]

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        assert path.startswith(self.server), path
        local = path.removeprefix(self.server).split("?")[0]
        for template, pattern in self.templates.items():
            if pattern.match(local) and method.lower() in self.spec["paths"][template]:
                return template, self.spec["paths"][template][method.lower()]
        raise AssertionError(f"{method} {path} is not in docs/openapi.yaml")

    def check(self, method: str, path: str, response) -> None:
        template, operation = self.operation(method, path)
        status = str(response.status_code)
        where = f"{method.upper()} {template} → {status}"
        assert status in operation["responses"], f"{where} is not documented: {response.get_data(as_text=True)[:300]}"
        documented, at = self.resolve(
            operation["responses"][status], pointer("paths", template, method.lower(), "responses", status))
        for name, header in documented.get("headers", {}).items():
            header, header_at = self.resolve(header, f"{at}/headers/{name}")
            if header.get("required"):
                assert name in response.headers, f"{where}: header {name} missing"
            if name in response.headers:
                self.validate(f"{header_at}/schema", response.headers[name])
        content = documented.get("content")
        body = None
        if content:
            assert response.mimetype in content, f"{where}: {response.mimetype} is not documented"
            body = response.get_json()
            try:
                self.validate(f"{at}/content/{pointer(response.mimetype)[1:]}/schema", body)
            except ValidationError as error:
                raise AssertionError(f"{where}: {error.message} at {list(error.absolute_path)}\n{body}") from None
        else:
            assert not response.get_data(), f"{where}: a body the document does not describe"
        code = body.get("error", {}).get("code") if isinstance(body, dict) and "error" in body else None
        self.seen.add((template, method.lower(), status, code))

    def check_request(self, method: str, path: str, body: object) -> None:
        """A body the tour sends and the server accepts must be one the document describes."""
        template, operation = self.operation(method, path)
        assert "requestBody" in operation, f"{method} {template} takes no body in the document"
        at = pointer("paths", template, method.lower(), "requestBody", "content", "application/json", "schema")
        self.validate(at, body)

    def documented(self) -> set[tuple[str, str, str, str | None]]:
        """Every (path, method, status, error code) the document promises."""
        promised = set()
        for template, item in self.spec["paths"].items():
            for method in METHODS:
                for status, response in item.get(method, {}).get("responses", {}).items():
                    response, _at = self.resolve(response, "")
                    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                    codes = self.error_codes(schema) or {None}
                    promised |= {(template, method, status, code) for code in codes}
        return promised

    def error_codes(self, schema: dict) -> set[str]:
        if "oneOf" in schema:
            return set().union(*(self.error_codes(option) for option in schema["oneOf"]))
        name = schema.get("$ref", "").rpartition("/")[2]
        return {name.removeprefix("Error.")} if name.startswith("Error.") else set()


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(load_spec())


class Phone:
    """A taker's phone whose every answer is checked against the document."""

    def __init__(self, app, contract: Contract) -> None:
        self.app, self.contract = app, contract
        self.client = app.test_client()
        self.csrf: str | None = None

    def call(self, method: str, path: str, body: object = _NO_BODY, *, expect: int, csrf: bool = True,
             raw: str | None = None) -> dict | list:
        url = self.contract.server + path
        headers = {"X-CSRFToken": self.csrf} if csrf and self.csrf else {}
        if raw is not None:
            response = self.client.open(url, method=method, data=raw, content_type="application/json",
                                        headers=headers)
        elif body is _NO_BODY:
            response = self.client.open(url, method=method, headers=headers)
        else:
            response = self.client.open(url, method=method, json=body, headers=headers)
        self.contract.check(method, url, response)
        assert response.status_code == expect, (method, path, response.status_code, response.get_json())
        if response.status_code < 300 and body is not _NO_BODY:
            self.contract.check_request(method, url, body)
        answer = response.get_json()
        if response.status_code < 300 and isinstance(answer, dict) and "csrf_token" in answer:
            # Signing in or out starts a new session with a new token, as a phone must follow.
            self.csrf = answer["csrf_token"]
        return answer

    def error(self, method: str, path: str, body: object = _NO_BODY, *, expect: int, code: str, **options) -> None:
        answer = self.call(method, path, body, expect=expect, **options)
        assert answer["error"]["code"] == code, answer

    def session(self) -> dict:
        answer = self.call("GET", "/session", expect=200)
        self.csrf = answer["csrf_token"]
        return answer


# --- the document itself ------------------------------------------------------------------


def test_the_document_is_openapi_3_1_with_valid_schemas(contract):
    spec = contract.spec
    assert re.fullmatch(r"3\.1\.\d+", spec["openapi"])
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert set(spec["components"]["securitySchemes"]) == {"session", "csrf"}
    assert spec["components"]["securitySchemes"]["session"]["name"] == "quizapp_session"
    csrf = spec["components"]["securitySchemes"]["csrf"]
    assert (csrf["type"], csrf["in"], csrf["name"]) == ("apiKey", "header", "X-CSRFToken")
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = re.findall(r'\$ref: "#([^"]+)"', SPEC_FILE.read_text(encoding="utf-8"))
    assert refs
    for ref in refs:
        contract.at(ref)  # raises if a $ref points nowhere
    operation_ids = [operation["operationId"] for item in spec["paths"].values()
                     for method, operation in item.items() if method in METHODS]
    assert len(operation_ids) == len(set(operation_ids)) == 20


def test_the_csrf_header_is_always_named_with_its_session_cookie(contract):
    """A client that sends what the document's security names must pass the CSRF check: the
    token is checked against the secret in the session cookie, so the header alone always fails."""
    schemes = contract.spec["components"]["securitySchemes"]
    unsafe = []
    for template, item in contract.spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            alternatives = operation.get("security", contract.spec["security"])
            for alternative in alternatives:
                if "csrf" in alternative:
                    assert "session" in alternative, f"{method.upper()} {template}: X-CSRFToken without its cookie"
                    assert alternative["csrf"] == [], "the CSRF token has no roles"
            if method in ("post", "put", "patch", "delete"):
                unsafe.append((template, method))
                assert all("csrf" in alternative for alternative in alternatives), f"{method.upper()} {template}"
    assert len(unsafe) == 13
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "quizapp_session")


def test_every_api_route_is_documented_and_nothing_else(app, contract):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(contract.server + "/"):
            template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(contract.server))
            served |= {(template, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(template, method) for template, item in contract.spec["paths"].items()
                  for method in item if method in METHODS}
    assert served == documented


def test_every_error_code_of_the_code_is_listed(contract):
    """The codes the app defines (domain errors and HTTP errors) are the document's ErrorCode."""
    from quizapp.attempts import admission, passwords, services
    from quizapp.auth import terms
    from quizapp.errors import DomainError
    from quizapp.privacy import consent

    listed = set(contract.spec["components"]["schemas"]["ErrorCode"]["enum"])
    defined = {cls.code for module in (services, passwords, admission, terms, consent)
               for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, DomainError) and cls is not DomainError}
    per_code = {name.removeprefix("Error.") for name in contract.spec["components"]["schemas"]
                if name.startswith("Error.")}
    assert defined <= listed
    assert per_code == listed


def test_the_checker_catches_drift(app, tmp_path, contract):
    """A check that cannot fail proves nothing: feed it served answers with one thing changed."""
    install_clock(app)
    round_id = _one_round(app, tmp_path)
    phone = _signed_in(app, contract)
    attempt = phone.call("POST", f"/rounds/{round_id}/attempts", expect=201)
    url = f"/api/v1/attempts/{attempt['id']}"

    def served(body: dict, status: int = 200):
        return app.response_class(app.json.dumps(body), status=status, mimetype="application/json",
                                  headers={"Cache-Control": "no-store"})

    contract.check("GET", url, served(attempt))
    question = attempt["questions"][0]
    leaked = {**attempt, "questions": [{**question, "correct": [question["options"][0]["id"]]}]}
    # A key held back because another round can still draw the question (DESIGN §3 rule 2).
    later = attempt["deadline"]
    held = {**attempt, "status": "submitted", "review_available": True, "key_held_until": later,
            "questions": [{**question, "key_held_until": later}]}
    contract.check("GET", url, served(held))
    held_and_leaked = {**held, "questions": [{**question, "key_held_until": later,
                                              "correct": [question["options"][0]["id"]]}]}
    held_unreviewed = {**attempt, "key_held_until": later}
    renamed = {key: value for key, value in attempt.items() if key != "deadline"} | {"ends_at": attempt["deadline"]}
    numeric_ids = {**attempt, "questions": [{**question, "options": [{"id": 7, "text": "x"}, {"id": 8, "text": "y"}]}]}
    naive_time = {**attempt, "server_now": attempt["server_now"].replace("+00:00", "")}
    for drifted in (leaked, held_and_leaked, held_unreviewed, renamed, numeric_ids, naive_time,
                    {**attempt, "extra": 1}):
        with pytest.raises(AssertionError):
            contract.check("GET", url, served(drifted))
    with pytest.raises(AssertionError, match="not documented"):
        contract.check("GET", url, served(attempt, status=409))
    with pytest.raises(AssertionError):
        contract.check("GET", url, served({"error": {"code": "round_not_open", "message": "…"}}, status=404))
    without_header = served(attempt)
    del without_header.headers["Cache-Control"]
    with pytest.raises(AssertionError, match="Cache-Control"):
        contract.check("GET", url, without_header)


# --- the tour -----------------------------------------------------------------------------


def _one_round(app, tmp_path) -> int:
    import_bank(app, tmp_path, "drift", simple_questions("drift", 2))
    (round_id,) = load_contest(app, tmp_path, "drift", [round_definition(bank="drift", count=2)])
    return round_id


def _signed_in(app, contract: Contract, **fields) -> Phone:
    phone = Phone(app, contract)
    number = f"0{next(Accounts._phones)}"
    Accounts(app, phone.client).create("taker", number, **fields)
    phone.session()
    phone.call("POST", "/login", {"phone": number, "password": PASSWORD}, expect=200)
    return phone


@dataclass
class World:
    """The contests the tour plays in."""

    open_round: int  # after_submit, 2 attempts, locked prediction
    upcoming_round: int
    no_prediction_round: int  # after_close, 1 attempt, no prediction
    practice_round: int  # untimed
    password_round: int
    profile_round: int  # needs birth_date
    empty_round: int  # its bank's questions were withdrawn after loading
    verified_round: int  # only for verified phones


def _world(app, tmp_path) -> World:
    questions = [
        *simple_questions("tour", 2),
        BankQuestion("Câu nhiều lựa chọn của chuyến đi?", ("t A", "t B", "t C", "t D"), "A,C", True),
    ]
    import_bank(app, tmp_path, "tour", questions)
    import_bank(app, tmp_path, "rut", simple_questions("rut", 2))
    later = CLOSES + timedelta(days=1)
    open_round, upcoming, plain, practice = load_contest(app, tmp_path, "tour-mo", [
        round_definition(1, bank="tour", count=3, review="after_submit", max_attempts=2,
                         prediction=prediction(locked=True)),
        round_definition(2, bank="tour", count=3, opens=later, closes=later + timedelta(days=7)),
        round_definition(3, bank="tour", count=3, review="after_close", max_attempts=1),
        round_definition(4, bank="tour", count=3, time_limit=None, max_attempts=None, practice=True,
                         review="after_submit"),
    ])
    (password_round,) = load_contest(app, tmp_path, "tour-mat-khau", [round_definition(bank="tour", count=2)],
                                     password="mat-khau-tour")
    (profile_round,) = load_contest(app, tmp_path, "tour-ho-so", [round_definition(bank="tour", count=2)],
                                    registration_fields=["birth_date"])
    (empty_round,) = load_contest(app, tmp_path, "tour-rut", [round_definition(bank="rut", count=2)])
    (verified_round,) = load_contest(app, tmp_path, "tour-xac-minh", [round_definition(bank="tour", count=2)],
                                     require_verified_phone=True)
    with app.app_context():
        bank_id = db.session.scalar(select(Bank.id).where(Bank.slug == "rut"))
        db.session.execute(update(Question).where(Question.bank_id == bank_id).values(is_active=False))
        db.session.commit()
    return World(open_round, upcoming, plain, practice, password_round, profile_round, empty_round, verified_round)


def _tour_accounts(app, contract: Contract) -> Phone:
    phone = Phone(app, contract)
    assert phone.session()["user"] is None
    anonymous = phone.call("GET", "/contests", expect=200)
    assert all(item["attempts_used"] == 0 for contest in anonymous for item in contest["rounds"])
    registration = {"phone": "0987 654 321", "password": PASSWORD, "full_name": "Nguyễn Thị Tham Gia",
                    "birth_date": "1990-09-02", "gender": "female", **CONSENT}
    phone.error("POST", "/register", registration, expect=400, code="csrf_failed", csrf=False)
    phone.error("POST", "/register", expect=400, code="invalid_json", raw="không phải JSON")
    phone.error("POST", "/register", {**registration, "phone": "12345"}, expect=422, code="validation_error")
    user = phone.call("POST", "/register", registration, expect=201)["user"]
    assert (user["phone"], user["birth_date"], user["role"]) == ("0987654321", "1990-09-02", "taker")
    phone.error("POST", "/register", registration, expect=400, code="already_logged_in")
    assert phone.session()["user"]["id"] == user["id"]
    phone.error("POST", "/logout", expect=400, code="csrf_failed", csrf=False)
    assert phone.call("POST", "/logout", expect=200)["user"] is None
    phone.session()
    phone.error("POST", "/login", {"phone": "0987654321"}, expect=422, code="validation_error")
    phone.error("POST", "/login", expect=400, code="invalid_json", raw="[]")
    phone.error("POST", "/login", {"phone": "0987654321", "password": "sai-mat-khau"}, expect=401,
                code="invalid_credentials")
    phone.error("POST", "/login", {"phone": "0987654321", "password": PASSWORD}, expect=400,
                code="csrf_failed", csrf=False)
    _set_disabled(app, "0987654321", True)
    phone.error("POST", "/login", {"phone": "0987654321", "password": PASSWORD}, expect=403,
                code="account_disabled")
    _set_disabled(app, "0987654321", False)
    phone.call("POST", "/login", {"phone": "+84 987 654 321", "password": PASSWORD}, expect=200)
    phone.session()
    return phone


def _tour_deletion(app, contract: Contract) -> None:
    """DELETE /me: refused without the password, with a wrong one (then a 429 once the
    account's budget is spent) and for staff; then the account is erased and signed out."""
    # Accounts made directly: the tour has spent the registrations one address may make.
    def signed_in(number: str, role: str = "taker") -> Phone:
        phone = Phone(app, contract)
        Accounts(app, phone.client).create(role, number)
        phone.session()
        phone.call("POST", "/login", {"phone": number, "password": PASSWORD}, expect=200)
        return phone

    hasty = signed_in("0977000901")
    hasty.error("DELETE", "/me", expect=400, code="invalid_json", raw="[]")
    hasty.error("DELETE", "/me", {}, expect=422, code="validation_error")
    for _try in range(5):
        hasty.error("DELETE", "/me", {"password": "sai-mat-khau"}, expect=403, code="wrong_password")
    hasty.error("DELETE", "/me", {"password": PASSWORD}, expect=429, code="rate_limited")

    staff = signed_in("0977000902", "organiser")
    staff.error("DELETE", "/me", {"password": PASSWORD}, expect=403, code="staff_account")

    leaving = signed_in("0977000903")
    assert leaving.call("DELETE", "/me", {"password": PASSWORD}, expect=200)["deleted"] is True
    assert leaving.session()["user"] is None
    leaving.error("POST", "/login", {"phone": "0977000903", "password": PASSWORD}, expect=401,
                  code="invalid_credentials")


def _set_disabled(app, number: str, disabled: bool) -> None:
    from quizapp.auth import services as accounts

    with app.app_context():
        user = accounts.find_by_phone(number)
        accounts.disable_account(user) if disabled else accounts.enable_account(user)
        db.session.commit()


def _tour_starts(phone: Phone, world: World) -> None:
    listed = phone.call("GET", "/contests", expect=200)
    statuses = {item["id"]: item["status"] for contest in listed for item in contest["rounds"]}
    assert statuses[world.open_round] == "open" and statuses[world.upcoming_round] == "upcoming"
    assert {contest["slug"]: contest["password_required"] for contest in listed}["tour-mat-khau"] is True
    phone.error("POST", "/rounds/999999/attempts", expect=404, code="not_found")
    phone.error("POST", f"/rounds/{world.open_round}/attempts", expect=400, code="invalid_json", raw="[1]")
    phone.error("POST", f"/rounds/{world.open_round}/attempts", {"password": 1}, expect=422, code="validation_error")
    phone.error("POST", f"/rounds/{world.upcoming_round}/attempts", expect=409, code="round_not_open")
    phone.error("POST", f"/rounds/{world.empty_round}/attempts", expect=409, code="draw_unavailable")
    phone.error("POST", f"/rounds/{world.password_round}/attempts", expect=403, code="contest_password_required")
    phone.error("POST", f"/rounds/{world.password_round}/attempts", {"password": "doan-sai"}, expect=403,
                code="contest_password_wrong")
    phone.call("POST", f"/rounds/{world.password_round}/attempts", {"password": "mat-khau-tour"}, expect=201)


def _tour_privacy(app, contract: Contract, world: World) -> None:
    """The notice, registrations refused without consent or a child's guardian, and an account
    from before the notice: refused a start until it consents."""
    visitor = Phone(app, contract)
    notice = visitor.call("GET", "/privacy", expect=200)
    assert notice["retention_days"] == 730 and notice["controller"] in notice["text"]
    visitor.session()
    newcomer = {"phone": "0966 000 111", "password": PASSWORD, "full_name": "Người Đồng Ý"}
    visitor.error("POST", "/register", newcomer, expect=422, code="consent_required")
    visitor.error("POST", "/register", {**newcomer, "consent_version": "2020-01-01"}, expect=422,
                  code="consent_required")
    child = {**newcomer, "birth_date": "2020-01-01", "consent_version": notice["version"]}
    visitor.error("POST", "/register", child, expect=422, code="guardian_consent_required")
    user = visitor.call("POST", "/register", {**child, "guardian_name": "Mẹ Của Em", "guardian_phone": "0966000222",
                                              "guardian_consent": True}, expect=201)["user"]
    assert user["consent_needed"] is False

    older = _signed_in(app, contract, consent=False)
    assert older.session()["user"]["consent_needed"] is True
    older.error("POST", f"/rounds/{world.open_round}/attempts", expect=403, code="consent_required")
    older.error("POST", "/privacy/consent", expect=400, code="invalid_json", raw="[]")
    older.error("POST", "/privacy/consent", {"consent_version": "cu"}, expect=422, code="consent_required")
    assert older.call("POST", "/privacy/consent", {"consent_version": notice["version"]},
                      expect=200)["user"]["consent_needed"] is False
    young = _signed_in(app, contract, consent=False, birth_date=date(2019, 6, 1))
    young.error("POST", "/privacy/consent", {"consent_version": notice["version"]}, expect=422,
                code="guardian_consent_required")


def _tour_attempt(app, phone: Phone, world: World, clock) -> dict:
    """A full attempt: start, resume, save, stale seq, invalid option, prediction, submit twice, get."""
    attempt = phone.call("POST", f"/rounds/{world.open_round}/attempts", expect=201)
    assert attempt["status"] == "open" and attempt["result"] is None
    resumed = phone.call("POST", f"/rounds/{world.open_round}/attempts", {}, expect=200)
    assert resumed["id"] == attempt["id"] and resumed["questions"] == attempt["questions"]
    key = answer_key(app, attempt)
    single = next(question for question in attempt["questions"] if not question["multiple"])
    multiple = next(question for question in attempt["questions"] if question["multiple"])
    other = next(question for question in attempt["questions"] if question["id"] != single["id"])
    base = f"/attempts/{attempt['id']}"
    answer = f"{base}/answers/{single['id']}"
    right = sorted(key[single["id"]])
    wrong = [next(option["id"] for option in single["options"] if option["id"] not in key[single["id"]])]

    saved = phone.call("PUT", answer, {"option_ids": right, "seq": 2}, expect=200)
    assert saved["option_ids"] == right and saved["question_id"] == single["id"]
    stale = phone.call("PUT", answer, {"option_ids": wrong, "seq": 1}, expect=200)
    assert stale["option_ids"] == right
    phone.call("PUT", f"{base}/answers/{multiple['id']}", {"option_ids": sorted(key[multiple["id"]])}, expect=200)
    phone.error("PUT", answer, {"option_ids": [other["options"][0]["id"]]}, expect=422, code="invalid_option")
    phone.error("PUT", answer, {"option_ids": [option["id"] for option in single["options"][:2]]}, expect=422,
                code="invalid_option")
    phone.error("PUT", answer, {"option_ids": "A"}, expect=422, code="validation_error")
    phone.error("PUT", answer, {"option_ids": [], "seq": -1}, expect=422, code="validation_error")
    phone.error("PUT", answer, expect=400, code="invalid_json", raw="{")
    phone.error("PUT", f"{base}/answers/999999", {"option_ids": []}, expect=404, code="not_found")
    phone.error("PUT", f"/attempts/999999/answers/{single['id']}", {"option_ids": []}, expect=404, code="not_found")

    assert phone.call("PUT", f"{base}/prediction", {"value": 250}, expect=200) == {
        "attempt_id": attempt["id"], "prediction": 250}
    phone.error("PUT", f"{base}/prediction", {"value": -3}, expect=422, code="validation_error")
    phone.error("PUT", f"{base}/prediction", expect=400, code="invalid_json", raw='"250"')
    phone.error("GET", "/attempts/999999", expect=404, code="not_found")

    current = phone.call("GET", base, expect=200)
    assert current["prediction"] == 250 and current["review_available"] is False
    clock.advance(minutes=2)
    submitted = phone.call("POST", f"{base}/submit", expect=200)
    assert submitted["correct_count"] == 2 and submitted["duration_ms"] == 120_000
    assert phone.call("POST", f"{base}/submit", expect=200) == submitted
    phone.error("PUT", answer, {"option_ids": wrong}, expect=409, code="attempt_closed")
    phone.error("PUT", f"{base}/prediction", {"value": 250}, expect=409, code="attempt_closed")
    phone.error("POST", "/attempts/999999/submit", expect=404, code="not_found")
    review = phone.call("GET", base, expect=200)
    assert review["review_available"] is True and review["result"]["correct_count"] == 2

    second = phone.call("POST", f"/rounds/{world.open_round}/attempts", expect=201)
    assert second["prediction"] == 250 and second["prediction_locked"] is True
    phone.error("PUT", f"/attempts/{second['id']}/prediction", {"value": 251}, expect=409, code="prediction_locked")
    clock.set(parse_time(second["deadline"]) + timedelta(minutes=1))
    expired = phone.call("POST", f"/attempts/{second['id']}/submit", expect=200)
    assert parse_time(expired["submitted_at"]) == parse_time(second["deadline"])
    assert phone.call("GET", f"/attempts/{second['id']}", expect=200)["result"]["expired"] is True
    phone.error("POST", f"/rounds/{world.open_round}/attempts", expect=409, code="attempt_limit_reached")
    # "My data" lists both attempts, their scores (the round shows them at submit), the sessions.
    mine = phone.call("GET", "/me/data", expect=200)
    assert {item["id"]: item["correct_count"] for item in mine["attempts"]}[attempt["id"]] == 2
    assert mine["profile"]["phone"] == "0987654321" and any(item["current"] for item in mine["sessions"])
    clock.set(parse_time(second["started_at"]))
    return attempt


def _tour_other_rounds(app, contract: Contract, phone: Phone, world: World) -> None:
    plain = phone.call("POST", f"/rounds/{world.no_prediction_round}/attempts", expect=201)
    assert plain["prediction_prompt"] is None
    phone.error("PUT", f"/attempts/{plain['id']}/prediction", {"value": 1}, expect=400, code="no_prediction")
    assert phone.call("POST", f"/attempts/{plain['id']}/submit", expect=200)["correct_count"] is None
    assert phone.call("GET", f"/attempts/{plain['id']}", expect=200)["result"] is None
    phone.error("POST", f"/rounds/{world.no_prediction_round}/attempts", expect=409, code="attempt_limit_reached")

    practice = phone.call("POST", f"/rounds/{world.practice_round}/attempts", expect=201)
    assert practice["time_limit_seconds"] is None and parse_time(practice["deadline"]) == CLOSES
    assert phone.call("POST", f"/attempts/{practice['id']}/submit", expect=200)["correct_count"] == 0

    incomplete = _signed_in(app, contract)
    incomplete.error("POST", f"/rounds/{world.profile_round}/attempts", expect=422, code="registration_incomplete")
    assert phone.call("POST", f"/rounds/{world.profile_round}/attempts", expect=201)["number"] == 1


def _tour_results(phone: Phone, world: World, attempt: dict) -> None:
    """The caller's results: a score shown at submit (after_submit), one hidden until the close
    (after_close), a practice round; nothing locked yet, so no rank or award."""
    results = {item["round"]["id"]: item for item in phone.call("GET", "/me/results", expect=200)}
    assert results[world.open_round]["attempt"]["id"] == attempt["id"]  # 2 right beats the expired 0
    assert results[world.open_round]["attempts_used"] == 2 and results[world.open_round]["provisional"] is True
    hidden = results[world.no_prediction_round]
    assert hidden["attempt"] is None and hidden["score_hidden"] is True
    assert results[world.practice_round]["round"]["practice"] is True
    assert all(item["rank"] is None and item["award"] is None and item["locked"] is False
               and item["results_url"] is None for item in results.values())


def _tour_someone_else(app, contract: Contract, attempt: dict) -> None:
    stranger = _signed_in(app, contract)
    base = f"/attempts/{attempt['id']}"
    question = attempt["questions"][0]
    stranger.error("GET", base, expect=404, code="not_found")
    stranger.error("PUT", f"{base}/answers/{question['id']}", {"option_ids": [question["options"][0]["id"]]},
                   expect=404, code="not_found")
    stranger.error("PUT", f"{base}/prediction", {"value": 3}, expect=404, code="not_found")
    stranger.error("POST", f"{base}/submit", expect=404, code="not_found")


def _tour_security(app, contract: Contract, phone: Phone, ids: dict[str, int]) -> None:
    """What the document's security says, the server does: no CSRF header → 400, no session → 401,
    and a body past the API's bound → 413."""
    signed_out = Phone(app, contract)
    signed_out.session()
    for template, item in contract.spec["paths"].items():
        path = template.format(**ids)
        for method, operation in item.items():
            if method not in METHODS:
                continue
            alternatives = operation.get("security", contract.spec["security"])
            body = {"option_ids": []} if "answers" in template else {"value": 1} if "prediction" in template else {}
            if all("csrf" in alternative for alternative in alternatives):
                phone.error(method.upper(), path, body, expect=400, code="csrf_failed", csrf=False)
            if all("signed_in" in alternative.get("session", ()) for alternative in alternatives):
                signed_out.error(method.upper(), path, body, expect=401, code="login_required")
            elif method != "get":
                # The cookie and its token without an account: no login_required here.
                response = signed_out.client.open(contract.server + path, method=method.upper(), json=body,
                                                  headers={"X-CSRFToken": signed_out.csrf})
                contract.check(method.upper(), contract.server + path, response)
                assert response.status_code in (200, 422), (method, path, response.get_json())
                # Signing out starts a new session: its token is the one to send from now on.
                signed_out.csrf = (response.get_json() or {}).get("csrf_token", signed_out.csrf)
            if "413" in operation["responses"]:
                # Past JSON_MAX_BYTES: refused when the body is read (signed out, for the
                # operations that refuse a signed-in caller before that).
                sender = signed_out if template in ("/register", "/login") else phone
                sender.error(method.upper(), path, raw='{"x": "' + "a" * 70_000 + '"}', expect=413,
                            code="payload_too_large")


def _tour_taker_limits(make_app, contract: Contract, world: World, now) -> None:
    """Starting, saving (answers and the prediction share a bucket) and submitting are limited
    per account, and a 429 says when to try again; new attempts are admitted a few a second."""
    tight = make_app(RATELIMIT_START_PER_ACCOUNT="1 per minute", RATELIMIT_SAVE_PER_ACCOUNT="1 per minute",
                     RATELIMIT_SAVE_BATCH=1, ADMISSION_STARTS_PER_SECOND=1,
                     RATELIMIT_SUBMIT_PER_ACCOUNT="1 per minute")
    install_clock(tight, now)
    phone = Phone(tight, contract)
    phone.session()
    phone.call("POST", "/register",
               {"phone": "0977 000 111", "password": PASSWORD, "full_name": "Người Vội", **CONSENT}, expect=201)
    phone.session()
    latecomer = Phone(tight, contract)
    latecomer.session()
    latecomer.call("POST", "/register",
                   {"phone": "0977 000 222", "password": PASSWORD, "full_name": "Người Sau", **CONSENT}, expect=201)
    latecomer.session()
    start = f"/rounds/{world.open_round}/attempts"
    attempt = phone.call("POST", start, expect=201)
    # The one new attempt this second is taken: admission control asks the next to wait.
    response = latecomer.client.post(contract.server + start, headers={"X-CSRFToken": latecomer.csrf})
    contract.check("POST", contract.server + start, response)
    assert (response.status_code, response.get_json()["error"]["code"]) == (503, "busy")
    assert int(response.headers["Retry-After"]) >= 1
    answers = f"/attempts/{attempt['id']}/answers/{attempt['questions'][0]['id']}"
    phone.call("PUT", answers, {"option_ids": []}, expect=200)
    phone.call("POST", f"/attempts/{attempt['id']}/submit", expect=200)
    for method, path, body in [("POST", start, _NO_BODY), ("PUT", answers, {"option_ids": []}),
                               ("PUT", f"/attempts/{attempt['id']}/prediction", {"value": 5}),
                               ("POST", f"/attempts/{attempt['id']}/submit", _NO_BODY)]:
        response = phone.client.open(contract.server + path, method=method, headers={"X-CSRFToken": phone.csrf},
                                     **({} if body is _NO_BODY else {"json": body}))
        contract.check(method, contract.server + path, response)
        assert response.status_code == 429, (method, path, response.get_json())
        assert response.get_json()["error"]["code"] == "rate_limited"
        assert 0 < int(response.headers["Retry-After"]) <= 61  # a minute, rounded up


def _tour_codes(make_app, contract: Contract, world: World, tmp_path, now) -> None:
    """Password reset and phone verification by SMS code, with codes read from the file backend."""
    app, outbox = sms_app(make_app, tmp_path, RATELIMIT_CODE_SEND_PER_PHONE="1 per hour",
                          RATELIMIT_CODE_CHECK_PER_PHONE="3 per hour")
    install_clock(app, now)
    visitor = Phone(app, contract)
    visitor.session()
    number = "0966 123 456"
    Accounts(app, visitor.client).create("taker", "0966123456")
    visitor.error("POST", "/password-reset", expect=400, code="invalid_json", raw="[]")
    visitor.error("POST", "/password-reset", {"phone": "12"}, expect=422, code="validation_error")
    visitor.call("POST", "/password-reset", {"phone": number}, expect=202)
    visitor.error("POST", "/password-reset", {"phone": number}, expect=429, code="rate_limited")
    code = last_code(app, outbox, "0966123456")
    confirm = "/password-reset/confirm"
    visitor.error("POST", confirm, expect=400, code="invalid_json", raw="{")
    visitor.error("POST", confirm, {"phone": number, "code": code}, expect=422, code="validation_error")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    visitor.error("POST", confirm, {"phone": number, "code": wrong, "new_password": "mat-khau-moi-1"},
                  expect=422, code="code_invalid")
    with every_slot_taken():
        visitor.error("POST", confirm, {"phone": number, "code": code, "new_password": "mat-khau-moi-1"},
                      expect=503, code="busy")
    user = visitor.call("POST", confirm, {"phone": number, "code": code, "new_password": "mat-khau-moi-1"},
                        expect=200)["user"]
    assert user["phone_verified"] is True
    visitor.error("POST", confirm, {"phone": number, "code": code, "new_password": "mat-khau-moi-1"},
                  expect=429, code="rate_limited")

    taker = _signed_in(app, contract)
    start = f"/rounds/{world.verified_round}/attempts"
    taker.error("POST", start, expect=403, code="phone_unverified")
    taker.call("POST", "/phone-verification", expect=202)
    taker.error("POST", "/phone-verification", expect=429, code="rate_limited")
    mine = taker.call("GET", "/session", expect=200)["user"]["phone"]
    code = last_code(app, outbox, mine)
    verify = "/phone-verification/confirm"
    taker.error("POST", verify, expect=400, code="invalid_json", raw="1")
    taker.error("POST", verify, {"code": "12"}, expect=422, code="validation_error")
    taker.error("POST", verify, {"code": f"{(int(code) + 1) % 1_000_000:06d}"}, expect=422, code="code_invalid")
    assert taker.call("POST", verify, {"code": code}, expect=200)["user"]["phone_verified"] is True
    taker.error("POST", verify, {"code": code}, expect=409, code="phone_already_verified")
    taker.error("POST", "/phone-verification", expect=409, code="phone_already_verified")
    taker.call("POST", start, expect=201)
    guesser = _signed_in(app, contract)
    for _ in range(3):
        guesser.error("POST", verify, {"code": "000000"}, expect=422, code="code_invalid")
    guesser.error("POST", verify, {"code": "000000"}, expect=429, code="rate_limited")


def _tour_rate_limits(app, contract: Contract) -> None:
    for _ in range(30):
        answer = Phone(app, contract)
        answer.session()
        response = answer.client.post("/api/v1/login", json={"phone": "0911111111", "password": "sai-mat-khau"},
                                      headers={"X-CSRFToken": answer.csrf})
        contract.check("POST", "/api/v1/login", response)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
            break
    else:
        pytest.fail("ten wrong passwords for one phone were never limited")
    for number in range(30):
        newcomer = Phone(app, contract)
        newcomer.session()
        response = newcomer.client.post(
            "/api/v1/register", json={"phone": f"09222{number:05d}", "password": "x"},
            headers={"X-CSRFToken": newcomer.csrf})
        contract.check("POST", "/api/v1/register", response)
        if response.status_code == 429:
            break
    else:
        pytest.fail("registrations from one IP were never limited")
    # Every password-hashing slot taken by another process: sign-in and registration are busy.
    with every_slot_taken():
        for path, body in (("/api/v1/login", {"phone": "0933333333", "password": PASSWORD}),
                           ("/api/v1/register", {"phone": "0933333334", "password": PASSWORD,
                                                 "full_name": "Người bận", **CONSENT})):
            visitor = Phone(app, contract)
            visitor.session()
            response = visitor.client.post(path, json=body, headers={"X-CSRFToken": visitor.csrf},
                                            environ_base={"REMOTE_ADDR": "10.20.0.1"})
            contract.check("POST", path, response)
            assert (response.status_code, response.headers["Retry-After"]) == (503, "1")


def _tour_units(app, make_app, contract: Contract) -> None:
    """The units directory: a search, a level, revalidation, bad questions, the limit."""
    with app.app_context():
        load_units_csv("code,name,parent_code\nHN,Thành phố Hà Nội,\nDP,Huyện Đan Phượng,HN\n"
                       "DP-TL,Xã Tân Lập,DP\n".encode(), "units.csv")
        db.session.commit()
    phone = Phone(app, contract)
    found = phone.call("GET", "/units?q=xa%20tan%20lap", expect=200)
    assert found["units"][0]["label"] == "Xã Tân Lập — Huyện Đan Phượng — Thành phố Hà Nội"
    assert phone.call("GET", "/units?parent=DP", expect=200)["total"] == 1
    assert [unit["code"] for unit in phone.call("GET", "/units", expect=200)["units"]] == ["HN"]
    first = phone.client.get("/api/v1/units?parent=HN")
    contract.check("GET", "/api/v1/units?parent=HN", first)
    again = phone.client.get("/api/v1/units?parent=HN", headers={"If-None-Match": first.headers["ETag"]})
    contract.check("GET", "/api/v1/units?parent=HN", again)
    assert again.status_code == 304
    phone.error("GET", "/units?q=" + "x" * 101, expect=422, code="validation_error")
    phone.error("GET", "/units?offset=-5", expect=422, code="validation_error")
    phone.error("GET", "/units?parent=KHONG-CO", expect=404, code="not_found")
    tight = make_app(RATELIMIT_UNIT_SEARCH_PER_IP="1 per minute")
    hurried = Phone(tight, contract)
    hurried.call("GET", "/units?q=tan", expect=200)
    hurried.error("GET", "/units?q=tan%20lap", expect=429, code="rate_limited")


def test_every_documented_answer_is_served_as_documented(make_app, tmp_path, contract):
    # The tour's one taker starts more attempts than a minute's limit allows; the limits on
    # takers' actions are toured by another app, with limits of one.
    app = make_app(RATELIMIT_LOGIN_FAILURES_PER_PHONE="3 per minute", RATELIMIT_REGISTER_PER_IP="12 per hour",
                   RATELIMIT_START_PER_ACCOUNT="100 per minute")
    clock = install_clock(app)
    world = _world(app, tmp_path)
    contract.seen.clear()

    phone = _tour_accounts(app, contract)
    _tour_privacy(app, contract, world)
    _tour_starts(phone, world)
    attempt = _tour_attempt(app, phone, world, clock)
    _tour_other_rounds(app, contract, phone, world)
    _tour_results(phone, world, attempt)
    _tour_someone_else(app, contract, attempt)
    _tour_security(app, contract, phone, {"round_id": world.open_round, "attempt_id": attempt["id"],
                                         "question_id": attempt["questions"][0]["id"]})
    _tour_taker_limits(make_app, contract, world, clock())
    _tour_codes(make_app, contract, world, tmp_path, clock())
    _tour_rate_limits(app, contract)
    _tour_units(app, make_app, contract)
    _tour_deletion(app, contract)

    missing = sorted(contract.documented() - contract.seen, key=str)
    assert not missing, f"documented but never served by the tour: {missing}"
    undocumented = sorted(contract.seen - contract.documented(), key=str)
    assert not undocumented, f"served but not documented: {undocumented}"
