"""No request, however malformed, produces a 500 (DESIGN §3 rule 8).

Every route of the app's URL map is called as an anonymous visitor and signed in as each role,
first in a fixed sweep (every route, every role, every method, with ids past the integer
columns and with real ones) and then with hypothesis drawing the route, the role, the path
ids (real, absurd and huge), the query string, and a body: a form (with or without a valid
CSRF token), a file upload, JSON (random, deeply nested, or not JSON at all). The answer-save
lane runs in front of Flask here as in production, so it is fuzzed too. The examples are
derandomised, so every run sends the same requests.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.attempt_support import install_clock, one_round, prediction, sign_up
from tests.conftest import Accounts, csrf_token

HUGE = [2**31, 2**63, 10**30, int("9" * 400)]
ODD_TEXT = ["", " ", "0", "-1", "00", "²", "١٢", "٣", "1e400", "nan", "inf", "-0", "1.5", "0x10", "true", "null",
            str(2**31), str(2**63), str(10**30), "9" * 5000, "a" * 5000, "\x00", "%", "%00", "%zz", "../../x",
            "<script>alert(1)</script>", "' OR 1=1 --", "đ", "Hà Nội", "\u200b", "\ufeff", "A,B", "submit",
            "csv", "xlsx", "district", "rate", "attempts", "participants", "clear", "disqualify", "judge", "admin"]
QUERY_KEYS = ["page", "q", "round", "by", "level", "min_rate", "format", "next", "go", "kind", "token", "job", "x",
              "actor", "target", "from", "to"]
FORM_KEYS = sorted({
    "active", "award", "bank", "birth_date", "by", "closes_at", "confirm_password", "correct", "count",
    "counting_attempt", "current_password", "decision", "description", "difficulty", "explanation", "full_name",
    "gender", "go", "headcount", "id_number", "level", "max_attempts", "multiple", "name", "new_password",
    "new_slug", "new_title", "next", "number", "one_award_per_person", "opens_at", "option", "participant_group",
    "password", "phone", "practice", "prediction", "prediction_locked", "prediction_prompt", "prediction_truth",
    "q", "question", "reason", "registration_fields", "remove_password", "review", "role", "round", "slug",
    "source", "text", "time_limit", "title", "token", "topic", "unit_code", "user", "awards-0-name",
    "awards-0-count", "awards-1000000-name", "draw-0-bank", "draw-0-topic", "draw-0-count", "draw-99999-count",
    "tie_breakers-0", "tie_breakers-7",
})
FILE_NAMES = ["bank.csv", "bank.xlsx", "bank.gift", "bank.txt", "units.csv", "x", "a.docx", "..\\..\\x.csv"]
SKIPPED_WHEN_SIGNED_IN = {"auth.logout", "api.logout"}  # would end the role the fuzz runs as
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


@dataclass
class Visitor:
    name: str
    client: object
    csrf: str


@dataclass
class World:
    visitors: list[Visitor]
    ids: list[int]
    names: list[str]
    # The real value of each path argument, by its name, for requests that reach the views.
    real: dict[str, object]

    def real_value(self, rule: str, name: str) -> str:
        if name == "slug":
            return "bank-mo" if rule.startswith("/banks/") else "mo"
        return str(self.real.get(name, 1))


@pytest.fixture
def world(app, tmp_path) -> World:
    """A contest with an open round, a taker in an attempt, the contest's organiser and judge,
    an admin and an anonymous visitor; the app's instance folder is the test's own."""
    app.instance_path = str(tmp_path)
    install_clock(app)
    round_id = one_round(app, tmp_path, "mo", prediction=prediction())
    taker = sign_up(app)
    attempt = taker.started(round_id)
    visitors = [Visitor("taker", taker.client, taker.csrf)]
    for role in ("organiser", "judge", "admin"):
        client = app.test_client()
        accounts = Accounts(app, client)
        accounts.login_as(role, contest="mo" if role != "admin" else None)
        visitors.append(Visitor(role, client, csrf_token(client)))
    anonymous = app.test_client()
    visitors.append(Visitor("anonymous", anonymous, csrf_token(anonymous)))
    question_ids = [question["id"] for question in attempt["questions"]]
    # Not the visitors' own accounts: a role change ends that account's sessions, and the
    # fuzz would go on as nobody. Another account takes the role changes.
    other = Accounts(app, app.test_client()).create("taker")
    ids = sorted({1, round_id, attempt["id"], other, *question_ids} - {taker.user_id})
    real = {"round_id": round_id, "attempt_id": attempt["id"], "question_id": question_ids[0], "number": 1,
            "user_id": other, "staff_id": 1, "kind": "csv", "code": "1", "filename": "style.css"}
    return World(visitors, ids, ["mo", "bank-mo", "khong-co", "csv", "xlsx", "style.css", "1"], real)


def routes(app) -> list[tuple[str, str, list[str]]]:
    """(endpoint, rule, methods) for every route of the app."""
    found = []
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        found.append((rule.endpoint, rule.rule, methods))
    return sorted(found)


def build_path(rule: str, value_for) -> str:
    return _ARGUMENT.sub(lambda match: value_for(match["converter"] or "default", match["name"]), rule)


def send(visitor: Visitor, method: str, path: str, query: dict[str, str], body: tuple[str, object] | None,
         csrf: str | None):
    headers = {"X-CSRFToken": csrf} if csrf is not None else {}
    url = path + ("?" + urlencode(query) if query else "")
    kind, payload = body if body is not None else ("none", None)
    if kind == "form":
        return visitor.client.open(url, method=method, data=payload, headers=headers)
    if kind == "multipart":
        return visitor.client.open(url, method=method, data=payload, headers=headers,
                                   content_type="multipart/form-data")
    if kind == "raw_json":
        return visitor.client.open(url, method=method, data=payload, headers=headers, content_type="application/json")
    return visitor.client.open(url, method=method, headers=headers)


def check(response, visitor: Visitor, method: str, path: str, query, body) -> None:
    with response:  # closes a download's spooled file
        assert response.status_code < 500, (
            f"{response.status_code} for {visitor.name}: {method} {path} query={query!r} "
            f"body={str(body)[:300]!r}\n{response.get_data(as_text=True)[:500]}")


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- the sweep: every route, every role, every method ----------------------------------------


def sweep_bodies(visitor: Visitor, path: str, number: int) -> list[tuple[str, object]]:
    if path.startswith("/api/"):
        return [("raw_json", deep(30_000)), ("raw_json", json.dumps({"option_ids": [str(number)] * 3, "seq": -1,
                                                                      "value": "²", "phone": ["x"]}))]
    form = {name: ODD_TEXT[(number + index) % len(ODD_TEXT)] for index, name in enumerate(FORM_KEYS)}
    return [("form", {**form, "csrf_token": visitor.csrf}),
            ("multipart", {"csrf_token": visitor.csrf, "bank": "", "new_slug": "²",
                           "file": (io.BytesIO(b"PK\x03\x04" + b"\x00" * 40), FILE_NAMES[number % len(FILE_NAMES)])})]


def test_every_route_as_every_role_with_hostile_ids_and_bodies(app, world):
    for number, (endpoint, rule, methods) in enumerate(routes(app)):
        for visitor in world.visitors:
            if endpoint in SKIPPED_WHEN_SIGNED_IN and visitor.name != "anonymous":
                continue
            huge, name = str(HUGE[number % len(HUGE)]), world.names[number % len(world.names)]
            huge_ids = build_path(rule, lambda converter, _name, huge=huge, name=name:
                                  huge if converter == "int" else name)
            real_ids = build_path(rule, lambda _converter, argument, rule=rule: world.real_value(rule, argument))
            query = {"page": ODD_TEXT[number % len(ODD_TEXT)], "q": "²", "round": "9" * 50, "min_rate": "nan",
                     "by": "rate", "level": "district", "format": "csv"}
            for method in methods:
                for path in (huge_ids, real_ids):
                    # Built afresh for each request: the test client closes the uploaded file.
                    for body in sweep_bodies(visitor, rule, number) if method != "GET" else [None]:
                        response = send(visitor, method, path, query, body, visitor.csrf)
                        check(response, visitor, method, path, query, body)


# --- hypothesis: anything at all --------------------------------------------------------------

odd_text = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=40))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(odd_text, children, max_size=5),
    max_leaves=12,
)


@st.composite
def bodies(draw, visitor: Visitor) -> tuple[str, object] | None:
    kind = draw(st.sampled_from(["none", "form", "multipart", "json", "raw_json"]))
    if kind == "none":
        return None
    if kind == "json":
        return "raw_json", json.dumps(draw(json_values))
    if kind == "raw_json":
        return "raw_json", draw(st.sampled_from([deep(3000), deep(70_000), "{", '{"a":', "\x00", "nan", "[1,2",
                                                 '{"option_ids": "x"}', '{"value": 1e999}', "9" * 5000]))
    form = draw(st.dictionaries(st.sampled_from(FORM_KEYS), odd_text, max_size=8))
    if draw(st.booleans()):
        form["csrf_token"] = visitor.csrf
    if kind == "multipart":
        content = draw(st.sampled_from([b"", b"PK\x03\x04junk", b"\xff\xfe\x00", "Câu hỏi,A,B,Đáp án\n".encode(),
                                        "::T:: Câu? {=a ~b}\n".encode(), b"x" * 3000]))
        form["file"] = (io.BytesIO(content), draw(st.sampled_from(FILE_NAMES)))
    return kind, form


def test_random_requests_to_every_route_never_get_a_server_error(app, world):
    table = routes(app)

    @settings(max_examples=250, derandomize=True, deadline=None, database=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one_request(data):
        endpoint, rule, methods = data.draw(st.sampled_from(table), label="route")
        visitor = data.draw(st.sampled_from(world.visitors), label="visitor")
        if endpoint in SKIPPED_WHEN_SIGNED_IN and visitor.name != "anonymous":
            return
        ids = st.one_of(st.sampled_from(world.ids), st.sampled_from(HUGE), st.integers(min_value=0))

        def value_for(converter: str, name: str) -> str:
            if data.draw(st.booleans(), label="real"):
                return world.real_value(rule, name)
            if converter == "int":
                return str(data.draw(ids, label="id"))
            return quote(data.draw(st.one_of(st.sampled_from(world.names), odd_text), label="text"), safe="")

        path = build_path(rule, value_for)
        method = data.draw(st.sampled_from([*methods, "PUT", "DELETE", "PATCH"]), label="method")
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_KEYS), odd_text, max_size=4), label="query")
        body = data.draw(bodies(visitor), label="body")
        csrf = data.draw(st.sampled_from([visitor.csrf, visitor.csrf, None, "x", "²" * 300]), label="csrf")
        response = send(visitor, method, path, query, body, csrf)
        check(response, visitor, method, path, query, body)

    one_request()
