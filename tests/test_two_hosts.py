"""Two hosts, proven (issue 13, item 6): two app instances behind one nginx upstream, sharing
PostgreSQL and Redis and nothing else.

Each instance is a gunicorn of its own, started as an admin would start one, with its own port,
instance folder, hashing-slot folder and control socket (gunicorn 27 puts one per user at
``~/.gunicorn/gunicorn.ctl`` by default, so two instances of one user would clobber each other).
Debian's nginx, started here with a generated config, spreads requests over both. Requests go
to one instance by its port, or through nginx; a phone's cookie jar sends its cookie to both,
as a load balancer would.

Needs /usr/sbin/nginx and a PostgreSQL run (QUIZAPP_DATABASE_URL); skipped without them (CI
has both). The instances start once for the module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from quizapp import create_app
from quizapp.auth import services as accounts
from quizapp.auth.terms import on_paper
from quizapp.extensions import db
from quizapp.localredis import free_port
from tests.attempt_support import import_bank, load_contest, round_definition, simple_questions
from tests.conftest import PASSWORD, TEST_ID_NUMBER_KEY, base_config

NGINX = "/usr/sbin/nginx"
REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "two-hosts-secret-key-shared-by-both-0123456789"
SAVES_PER_MINUTE = 12
STARTS_PER_SECOND = 2
PEOPLE = 12

pytestmark = [
    pytest.mark.skipif(not os.path.exists(NGINX), reason="Debian's nginx is not installed (apt-get install nginx)"),
    pytest.mark.skipif(not os.environ.get("QUIZAPP_DATABASE_URL", "").startswith(("postgres://", "postgresql")),
                       reason="two hosts share PostgreSQL: set QUIZAPP_DATABASE_URL"),
]


@dataclass
class Cluster:
    hosts: dict[str, str]  # "a", "b" and "nginx" -> base URL
    round_id: int
    phones: list[str]
    sockets: list[Path]
    logs: list[Path]

    def url(self, host: str, path: str) -> str:
        return self.hosts[host] + path


# --- starting the layout ------------------------------------------------------------------


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still booting
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer /healthz in {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


def nginx_config(folder: Path, port: int, upstreams: list[int]) -> Path:
    """A minimal site of the production shape: one upstream of both instances, the forwarded
    headers the app trusts with QUIZAPP_TRUSTED_PROXIES=1, and which instance answered."""
    temp = "\n".join(f"  {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                         "uwsgi", "scgi"))
    servers = "\n".join(f"    server 127.0.0.1:{upstream};" for upstream in upstreams)
    # As root, nginx's workers would drop to "nobody", who may not write the test's temp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    path = folder / "nginx.conf"
    path.write_text(f"""{user}worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
{temp}
  upstream quizapp {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 16m;
    location / {{
      proxy_pass http://quizapp;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
""")
    return path


def seed(database_url: str, redis_url: str, folder: Path) -> tuple[int, list[str]]:
    """An open round of three questions and PEOPLE takers, loaded as the suite loads them."""
    app = create_app({**base_config(database_url, redis_url), "INSTANCE_PATH": str(folder / "seed")})
    now = datetime.now(UTC)
    import_bank(app, folder, "hai-may", simple_questions("hai-may", 3))
    (round_id,) = load_contest(app, folder, "hai-may", [round_definition(
        bank="hai-may", count=3, opens=now - timedelta(hours=1), closes=now + timedelta(days=1))])
    phones = [f"0976{number:06d}" for number in range(PEOPLE)]
    with app.app_context():
        for phone in phones:
            accounts.register_user(phone=phone, password=PASSWORD, full_name="Thí sinh hai máy", consent=on_paper())
        db.session.commit()
        db.engine.dispose()
    return round_id, phones


@pytest.fixture(scope="module")
def cluster(new_database, redis_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-hosts")
    database_url = new_database()
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUIZAPP_")}
    env.update({
        "QUIZAPP_ENV": "production", "QUIZAPP_SECRET_KEY": SECRET, "QUIZAPP_ID_NUMBER_KEYS": TEST_ID_NUMBER_KEY,
        "QUIZAPP_DATABASE_URL": database_url, "QUIZAPP_REDIS_URL": redis_url,
        "QUIZAPP_SMS_BACKEND": f"file:{folder / 'sms.jsonl'}",
        # This run's own counters in a Redis that other runs may share.
        "QUIZAPP_RATELIMIT_KEY_PREFIX": f"quizapp-two-hosts-{uuid.uuid4().hex[:8]}",
        "QUIZAPP_TRUSTED_PROXIES": "1", "QUIZAPP_WEB_WORKERS": "2",
        # The hashes seed() made: cheap, and not rewritten at sign-in.
        "QUIZAPP_PASSWORD_TIME_COST": "1", "QUIZAPP_PASSWORD_MEMORY_COST_KIB": "8",
        # Tight limits, each save counted at once, so that one count across hosts shows.
        "QUIZAPP_RATELIMIT_SAVE_PER_ACCOUNT": f"{SAVES_PER_MINUTE} per minute", "QUIZAPP_RATELIMIT_SAVE_BATCH": "1",
        "QUIZAPP_ADMISSION_STARTS_PER_SECOND": str(STARTS_PER_SECOND),
    })
    upgraded = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],  # noqa: S603 - the venv's
                              cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert upgraded.returncode == 0, upgraded.stderr
    round_id, phones = seed(database_url, redis_url, folder)

    processes: list[subprocess.Popen] = []
    hosts, sockets, logs, ports = {}, [], [], []
    try:
        for name in ("a", "b"):
            home = folder / name
            home.mkdir()
            port = free_port()
            socket_path, log = home / "gunicorn.ctl", home / "error.log"
            processes.append(subprocess.Popen(  # noqa: S603 - the venv's own gunicorn
                [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                 "--control-socket", str(socket_path), "--error-logfile", str(log), "wsgi:app"],
                cwd=REPO, env={**env, "QUIZAPP_INSTANCE_PATH": str(home / "instance"),
                               "QUIZAPP_PASSWORD_HASH_SLOTS_DIR": str(home / "slots")},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            hosts[name] = f"http://127.0.0.1:{port}"
            sockets.append(socket_path)
            logs.append(log)
            ports.append(port)
        for name, process, log in zip(("a", "b"), processes, logs, strict=True):
            wait_until_serving(hosts[name], process, log)

        proxy = folder / "nginx"
        proxy.mkdir()
        port = free_port()
        config = nginx_config(proxy, port, ports)
        processes.append(subprocess.Popen(  # noqa: S603
            [NGINX, "-p", str(proxy), "-c", str(config), "-e", str(proxy / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        hosts["nginx"] = f"http://127.0.0.1:{port}"
        wait_until_serving(hosts["nginx"], processes[-1], proxy / "error.log")
        yield Cluster(hosts=hosts, round_id=round_id, phones=phones, sockets=sockets, logs=logs)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- a phone ------------------------------------------------------------------------------


class Phone:
    """A taker's phone speaking the JSON API, to whichever host each call names."""

    def __init__(self, cluster: Cluster, phone: str) -> None:
        self.cluster, self.phone = cluster, phone
        self.http = requests.Session()
        self.csrf = ""

    def call(self, host: str, method: str, path: str, body: object = None) -> requests.Response:
        return self.http.request(method, self.cluster.url(host, "/api/v1" + path), json=body,
                                 headers={"X-CSRFToken": self.csrf}, timeout=30)

    def sign_in(self, host: str) -> None:
        self.csrf = self.call(host, "GET", "/session").json()["csrf_token"]
        response = self.call(host, "POST", "/login", {"phone": self.phone, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]

    def who(self, host: str) -> str | None:
        user = self.call(host, "GET", "/session").json()["user"]
        return user and user["phone"]

    def start(self, host: str) -> requests.Response:
        return self.call(host, "POST", f"/rounds/{self.cluster.round_id}/attempts")

    def started(self, host: str) -> dict:
        """Start an attempt, waiting out admission control as the phone does."""
        for _try in range(10):
            response = self.start(host)
            if response.status_code != 503:
                assert response.status_code == 201, response.text
                return response.json()
            time.sleep(int(response.headers["Retry-After"]))
        pytest.fail("admission control refused ten starts in a row")

    def save(self, host: str, attempt: dict, index: int = 0) -> requests.Response:
        question = attempt["questions"][index % len(attempt["questions"])]
        return self.call(host, "PUT", f"/attempts/{attempt['id']}/answers/{question['id']}",
                         {"option_ids": [question["options"][0]["id"]]})

    def cookie(self) -> str:
        return self.http.cookies["quizapp_session"]

    def with_cookie(self, cookie: str) -> Phone:
        """Another phone replaying this one's session cookie, as a copied cookie would be."""
        twin = Phone(self.cluster, self.phone)
        twin.http.cookies.set("quizapp_session", cookie)
        twin.csrf = self.csrf
        return twin


@pytest.fixture(scope="module")
def people(cluster):
    return iter(cluster.phones)


# --- the tests ----------------------------------------------------------------------------


def test_one_upstream_reaches_both_instances_each_with_its_own_control_socket(cluster):
    answered = set()
    for _ in range(6):
        response = requests.get(cluster.url("nginx", "/healthz"), timeout=10)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        answered.add(response.headers["X-Upstream"])
    assert answered == {url.removeprefix("http://") for name, url in cluster.hosts.items() if name != "nginx"}
    assert all(path.is_socket() for path in cluster.sockets)


def test_a_session_made_on_one_host_works_on_the_other(cluster, people):
    phone = Phone(cluster, next(people))
    phone.sign_in("a")

    assert phone.who("b") == phone.phone
    attempt = phone.started("b")
    assert phone.save("a", attempt).status_code == 200  # the answer-save lane of the other host
    seen = phone.call("b", "GET", f"/attempts/{attempt['id']}").json()
    assert seen["questions"][0]["selected"] == [attempt["questions"][0]["options"][0]["id"]]
    # Through the upstream, whichever instance answers, the same person is signed in.
    assert {phone.who("nginx") for _ in range(4)} == {phone.phone}


def test_signing_out_on_one_host_ends_the_session_on_the_other(cluster, people):
    phone = Phone(cluster, next(people))
    phone.sign_in("a")
    attempt = phone.started("a")
    # Both hosts have seen (and cached the signature of) this cookie, on pages and saves alike.
    for host in ("a", "b", "nginx"):
        assert phone.who(host) == phone.phone
        assert phone.save(host, attempt).status_code == 200
    copied = phone.with_cookie(phone.cookie())

    assert phone.call("b", "POST", "/logout").status_code == 200

    for host in ("a", "b", "nginx"):
        assert copied.who(host) is None
        refused = copied.save(host, attempt)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "login_required"


def test_the_save_limit_counts_once_across_both_hosts(cluster, people):
    phone = Phone(cluster, next(people))
    phone.sign_in("nginx")
    attempt = phone.started("nginx")
    hosts = ["a", "b", "nginx"] * SAVES_PER_MINUTE

    statuses = [phone.save(host, attempt, index) for index, host in enumerate(hosts[:SAVES_PER_MINUTE + 6])]

    assert [response.status_code for response in statuses] == [200] * SAVES_PER_MINUTE + [429] * 6
    for response in statuses[SAVES_PER_MINUTE:]:
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "rate_limited"


def test_admission_counts_starts_once_across_both_hosts(cluster, people):
    """A cap of 2 starts a second for the whole site: a start on A, one on B, and the third,
    on A again, waits, though A alone has admitted only one."""
    for _try in range(3):
        first, second, third = (Phone(cluster, next(people)) for _ in range(3))
        for phone in (first, second, third):
            phone.sign_in("a")
        time.sleep(1.1)  # an empty window of the cap
        began = time.monotonic()
        answers = [first.start("a"), second.start("b"), third.start("a")]
        if time.monotonic() - began < 0.9:  # all three inside one second of the cap
            break
    else:
        pytest.skip("this machine took over a second for three starts each try")

    assert [answer.status_code for answer in answers] == [201, 201, 503], [answer.text for answer in answers]
    assert answers[2].json()["error"]["code"] == "busy"
    assert int(answers[2].headers["Retry-After"]) >= 1
    time.sleep(1.1)
    assert third.start("b").status_code == 201
