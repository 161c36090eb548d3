"""The production layout (deploy/) as `make run-prod` starts it: Debian's nginx in front of
gunicorn, driven over real sockets. Skipped without /usr/sbin/nginx; CI installs it (.ci/run).

One launcher (deploy/run_prod.py) serves the module, on the suite's kind of database (a fresh
SQLite file, or a fresh PostgreSQL database when QUIZAPP_DATABASE_URL names a server) and its
own local Redis; the two-instances test starts a second one beside it.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from gunicorn.ctl.client import ControlClient

from quizapp.localredis import free_port
from tests.conftest import PASSWORD, TEST_SECRET
from tests.upload_support import multipart

pytestmark = pytest.mark.skipif(not os.access("/usr/sbin/nginx", os.X_OK),
                                reason="needs Debian's nginx (apt-get install nginx-light)")

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "quizapp" / "static"
ORGANISER = "0912345678"
MIB = 1024 * 1024
UPLOAD_LIMIT = 20 * MIB
YEAR_IMMUTABLE = "public, max-age=31536000, immutable"


class Browser:
    """A client with cookies over http.client, from a chosen loopback address (127.0.0.0/8 is
    all this host's), so that nginx sees different clients."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float = 30) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                                source_address=(self.source, 0))
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, response.headers, data

    def csrf_token(self, path: str) -> str:
        status, _headers, page = self.request("GET", path)
        assert status == 200, path
        return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None):
        fields = {"csrf_token": self.csrf_token(path), **fields}
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})


class Launcher:
    def __init__(self, env: dict[str, str], run_dir: Path) -> None:
        self.port = free_port()
        self.run_dir = run_dir
        self.log = run_dir.parent / f"{run_dir.name}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the launcher under test
                [sys.executable, str(ROOT / "deploy" / "run_prod.py"), "--port", str(self.port),
                 "--run-dir", str(run_dir)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"make run-prod did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)

    def healthy(self) -> bool:
        try:
            return Browser(self.port).request("GET", "/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_flask(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments],  # noqa: S603
                   cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def server_env(new_database, tmp_path_factory) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUIZAPP_")}
    env.update(
        QUIZAPP_DATABASE_URL=new_database(),
        QUIZAPP_SECRET_KEY=TEST_SECRET,
        # Small enough to reach in a test: the per-address limit on sign-ins.
        QUIZAPP_RATELIMIT_LOGIN_PER_IP="3 per minute",
        QUIZAPP_PASSWORD_HASH_SLOTS_DIR=str(tmp_path_factory.mktemp("slots")),
        # The bank upload's limit, which run_prod.py writes into nginx's configuration too;
        # smaller than the default 64 MiB so that the test sends less.
        QUIZAPP_UPLOAD_MAX_BYTES=str(UPLOAD_LIMIT),
    )
    run_flask(env, "db", "upgrade")
    run_flask(env, "users", "create", ORGANISER, "--name", "Ban tổ chức", "--role", "organiser",
              "--password", PASSWORD)
    return env


@pytest.fixture(scope="module")
def server(server_env, tmp_path_factory):
    launcher = Launcher(server_env, tmp_path_factory.mktemp("run-a"))
    yield launcher
    launcher.stop()


def test_healthz_answers_through_nginx(server):
    status, headers, body = Browser(server.port).request("GET", "/healthz")
    assert status == 200
    assert headers["Server"] == "nginx"
    assert b'"status":"ok"' in body


def test_sixteen_slow_or_idle_connections_leave_healthz_answering(server):
    request_line = b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    body_head = request_line + b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    # What each connection does: nothing at all, one byte of its headers a second (slowloris),
    # or whole headers and then one byte of a large body a second (a phone on a bad link).
    kinds = ["silent"] * 5 + ["headers"] * 5 + ["body"] * 6

    def connect(kind: str) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        if kind == "body":
            connection.sendall(body_head)
        return connection

    connections = [connect(kind) for kind in kinds]
    progress = [0] * len(kinds)
    probes: list[float] = []
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            started = time.monotonic()
            for number, kind in enumerate(kinds):
                connection = connections[number]
                try:
                    # poll, not select: a long suite's process may hold descriptors past 1024.
                    poller = select.poll()
                    poller.register(connection, select.POLLIN)
                    if poller.poll(0) and not connection.recv(4096):
                        raise ConnectionResetError("closed by the server")
                    if kind == "headers":
                        connection.send(request_line[progress[number] % len(request_line):][:1])
                    elif kind == "body":
                        connection.send(b"a")
                    progress[number] += 1
                except OSError:
                    # nginx dropped it (client_header_timeout): the attacker opens another.
                    connection.close()
                    connections[number] = connect(kind)
            probe_started = time.monotonic()
            status, _headers, _body = Browser(server.port).request("GET", "/healthz", timeout=5)
            probes.append(time.monotonic() - probe_started)
            assert status == 200
            time.sleep(max(0.0, 1 - (time.monotonic() - started)))
    finally:
        for connection in connections:
            connection.close()
    assert len(probes) >= 20
    assert max(probes) < 2, probes


def test_css_and_js_arrive_compressed_with_a_year_immutable_cache(server):
    browser = Browser(server.port)
    status, headers, page = browser.request("GET", "/auth/login", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    urls = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js)\?v=[0-9a-f]+)"', gzip.decompress(page))
    assert {url.split(b"?")[0] for url in urls} == {b"/static/style.css", b"/static/busy-retry.js"}
    for url in urls:
        status, headers, body = browser.request("GET", url.decode(), headers={"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Cache-Control"] == YEAR_IMMUTABLE
        assert gzip.decompress(body) == (STATIC / url.decode().split("?")[0].removeprefix("/static/")).read_bytes()
    # Without a version the file may have changed since: checked on every use instead.
    assert browser.request("GET", "/static/style.css")[1]["Cache-Control"] == "no-cache"


def test_favicon(server):
    status, headers, body = Browser(server.port).request("GET", "/favicon.ico")
    assert status == 200
    assert headers["Content-Type"] == "image/x-icon"
    assert body == (STATIC / "favicon.ico").read_bytes()


def test_the_service_worker_is_served_at_the_root_and_never_cached_as_immutable(server):
    browser = Browser(server.port)
    status, headers, body = browser.request("GET", "/sw.js?v=0123456789ab")
    assert status == 200 and body == (STATIC / "sw.js").read_bytes()
    assert headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    assert headers["Cache-Control"] == "no-cache"  # even with ?v=: a browser checks it for updates
    # Its offline page is a plain static file, the same for everyone.
    status, headers, body = browser.request("GET", "/static/offline.html")
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    assert body == (STATIC / "offline.html").read_bytes()


def refused_by_nginx(status: int, headers, page: bytes) -> bool:
    """nginx's own short 413 page: Vietnamese, and without the app's security headers."""
    return (status == 413 and "Content-Security-Policy" not in headers and 'lang="vi"' in page.decode()
            and "Tệp quá lớn" in page.decode())


def test_uploads_pass_up_to_their_limit_and_larger_bodies_get_413(server):
    organiser = Browser(server.port)
    status, headers, _ = organiser.post_form("/auth/login", {"phone": ORGANISER, "password": PASSWORD})
    assert status == 302, headers
    fields = {"csrf_token": organiser.csrf_token("/banks/upload"), "bank": "", "new_slug": "tep-lon"}

    # The bank upload takes more than the 16 MiB every other URL takes: 16 KiB under its own
    # limit, nginx buffers it and the app reads it whole, then finds it is no spreadsheet.
    near, content_type = multipart(fields, "tep-lon.xlsx", b"")
    near, content_type = multipart(fields, "tep-lon.xlsx", b"x" * (UPLOAD_LIMIT - 16 * 1024 - len(near)))
    assert len(near) > 16 * MIB
    status, _headers, page = organiser.request("POST", "/banks/upload", near, {"Content-Type": content_type})
    assert status == 422
    assert 'lang="vi"' in page.decode() and "tep-lon.xlsx" in page.decode()

    # Past its limit: refused by nginx, before any worker spent time on it.
    over, content_type = multipart(fields, "tep-lon.xlsx", b"x" * (UPLOAD_LIMIT + 1024))
    assert refused_by_nginx(*organiser.request("POST", "/banks/upload", over, {"Content-Type": content_type}))

    # Any other URL keeps the general 16 MiB: the units directory's upload, a page form, the API.
    units, content_type = multipart({"csrf_token": fields["csrf_token"]}, "don-vi.csv", b"x" * (16 * MIB + 1024))
    assert refused_by_nginx(*organiser.request("POST", "/units/upload", units, {"Content-Type": content_type}))
    status, headers, body = organiser.request("POST", "/api/v1/login", b"x" * (16 * MIB + 1024),
                                              {"Content-Type": "application/json"})
    assert status == 413 and "Content-Security-Policy" not in headers
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    # Nothing was kept: the bank does not exist.
    assert organiser.request("GET", "/banks/tep-lon")[0] == 404


def test_the_app_sees_the_client_address_nginx_saw(server):
    # Three sign-ins a minute per address on this server. The client's own X-Forwarded-For
    # changes nothing: the app reads the address nginx appended.
    phone = {"phone": "0987654321", "password": "khong-dung-mat-khau"}
    first = Browser(server.port, source="127.0.0.2")
    for number in range(3):
        status, _headers, _page = first.post_form("/auth/login", phone, {"X-Forwarded-For": f"203.0.113.{number}"})
        assert status != 429
    assert first.post_form("/auth/login", phone, {"X-Forwarded-For": "198.51.100.7"})[0] == 429
    # Another address behind the same nginx keeps its own allowance.
    assert Browser(server.port, source="127.0.0.3").post_form("/auth/login", phone)[0] != 429


def test_two_instances_run_side_by_side(server, server_env, tmp_path_factory):
    second = Launcher(server_env, tmp_path_factory.mktemp("run-b"))
    try:
        for launcher in (server, second):
            assert Browser(launcher.port).request("GET", "/healthz")[0] == 200
            # Each gunicorn has its own control socket, beside its own unix socket.
            with ControlClient(str(launcher.run_dir / "gunicorn.ctl"), timeout=10) as control:
                listeners = control.send_command("show listeners")["listeners"]
            assert [listener["address"] for listener in listeners] == [f"unix:{launcher.run_dir / 'gunicorn.sock'}"]
    finally:
        second.stop()
    # Stopping one takes nothing from the other.
    with ControlClient(str(server.run_dir / "gunicorn.ctl"), timeout=10) as control:
        assert control.send_command("show listeners")["count"] == 1
    assert Browser(server.port).request("GET", "/healthz")[0] == 200



@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl for a throwaway certificate")
def test_the_production_site_passes_nginx_check(tmp_path):
    # deploy/nginx/quizapp.conf as an admin installs it, with this checkout for /srv/quizapp and
    # a throwaway certificate for Let's Encrypt's.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S603, S607
                    "-subj", "/CN=thi.example.vn", "-keyout", str(tmp_path / "privkey.pem"),
                    "-out", str(tmp_path / "fullchain.pem")], check=True, capture_output=True)
    site = (ROOT / "deploy" / "nginx" / "quizapp.conf").read_text()
    site = site.replace("/srv/quizapp", str(ROOT)).replace("/etc/letsencrypt/live/thi.example.vn", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f'pid "{tmp_path}/nginx.pid";\nerror_log stderr;\nevents {{}}\n'
        f'http {{\ninclude /etc/nginx/mime.types;\ninclude "{tmp_path}/site.conf";\n}}\n')
    check = subprocess.run(["/usr/sbin/nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),  # noqa: S603
                            "-e", "stderr"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_nginx_answers_503_with_retry_after_when_gunicorn_cannot(tmp_path):
    """gunicorn gone (restarting, or its queue full): nginx says 503 with Retry-After, JSON under
    /api/, never a bare 502 (DESIGN §3 rule 10)."""
    port, dead = free_port(), free_port()  # nothing listens on ``dead``
    (tmp_path / "nginx.conf").write_text(
        f'daemon off;\npid "{tmp_path}/nginx.pid";\nerror_log stderr crit;\nevents {{}}\n'
        f'http {{\ninclude /etc/nginx/mime.types;\naccess_log off;\n'
        f'client_body_temp_path "{tmp_path}/body";\nproxy_temp_path "{tmp_path}/proxy";\n'
        f'include "{ROOT}/deploy/nginx/quizapp-http.conf";\n'
        f'upstream quizapp_app {{ server 127.0.0.1:{dead}; }}\n'
        f'server {{ listen 127.0.0.1:{port}; root "{ROOT}/quizapp";\n'
        f'include "{ROOT}/deploy/nginx/quizapp-server.conf"; }}\n}}\n')
    nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),  # noqa: S603
                              "-e", "stderr"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        answers = {}
        for path in ("/contests/", "/api/v1/session"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path)
            response = connection.getresponse()
            answers[path] = (response.status, response.getheader("Retry-After"), response.getheader("Content-Type"),
                             response.read().decode())
            connection.close()
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        nginx.stderr.close()

    status, retry_after, content_type, body = answers["/contests/"]
    assert (status, retry_after) == (503, "5") and content_type.startswith("text/html")
    assert "Hệ thống đang bận" in body
    status, retry_after, content_type, body = answers["/api/v1/session"]
    assert (status, retry_after, content_type) == (503, "5", "application/json")
    assert json.loads(body)["error"]["code"] == "unavailable"
