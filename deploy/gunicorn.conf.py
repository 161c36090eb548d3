"""gunicorn's settings for production: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Used by deploy/systemd/quizapp-web.service and by ``make run-prod`` (deploy/run_prod.py). Any
setting may still be given on the command line, which wins (``--bind``, ``--workers``, …).

- Sync workers, only ever behind nginx (deploy/nginx/): nginx buffers whole requests and
  responses, so a worker is busy only while the app works, never while a phone trickles bytes.
- Workers: ``WEB_CONCURRENCY`` if set, else two per core plus one (gunicorn's own advice): a
  worker mostly waits on the database. The app is told the count (``QUIZAPP_WEB_WORKERS``)
  so that password hashing never holds every worker (quizapp/slots.py).
- The control socket (gunicorn 25+, for ``gunicornc``) is one path per user by default, so a
  second instance on the host would take it from the first. Here it sits beside the instance's
  own unix socket (``/run/quizapp/gunicorn.sock`` → ``/run/quizapp/gunicorn.ctl``), or is
  named after its TCP address; ``--control-socket`` still chooses another.
- Logs: the access and error logs go where the app's own log goes, standard error (the
  journal under systemd); set ``--error-logfile`` to a file and the app's output follows it.
"""

from __future__ import annotations

import gc
import os

from gunicorn.config import ControlSocket

bind = ["unix:/run/quizapp/gunicorn.sock"]
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)

# A request that takes longer than this is killed (the worker is replaced); the judges' long
# exports run as background jobs instead. nginx waits longer (proxy_read_timeout 60 s).
timeout = 30
graceful_timeout = 30
# The workers' heartbeat files in memory rather than on a disk that may stall (gunicorn makes
# them with mkstemp and unlinks them at once).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None

errorlog = "-"
accesslog = "-"
# The client is the last X-Forwarded-For address (nginx's $remote_addr); a unix socket has none.
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
loglevel = "info"
# When the error log is a file, the app's own output (Flask's logger writes to stderr) follows it.
capture_output = True


def instance_control_socket(binds: list[str]) -> str:
    """A control socket path of this instance's own, derived from its first address."""
    address = binds[0] if binds else "127.0.0.1:8000"
    if address.startswith("unix:"):
        base, _extension = os.path.splitext(address[len("unix:"):])
        return base + ".ctl"
    if address.startswith("fd://"):
        name = "fd-" + address[len("fd://"):]
    else:
        name = address.replace("[", "").replace("]", "").replace(":", "-").replace("/", "-")
    # Beside gunicorn's own default, in a directory of this user's.
    return os.path.join(os.path.dirname(ControlSocket.default), f"gunicorn-{name}.ctl")


def on_starting(server) -> None:
    # Runs in the master after every setting is read and before the control socket opens.
    setting = server.cfg.settings["control_socket"]
    if setting.value == setting.default:
        server.cfg.set("control_socket", instance_control_socket(server.cfg.bind))
    os.environ["QUIZAPP_WEB_WORKERS"] = str(server.cfg.workers)


def pre_fork(server, worker) -> None:
    # The count may have changed since start (gunicornc "worker add", TTIN/TTOU).
    os.environ["QUIZAPP_WEB_WORKERS"] = str(server.num_workers)


# The collector's first generation runs every 700 new objects by default: several times in every
# page a worker renders, each pass walking the young objects of SQLAlchemy's rows and Jinja's output.
# A worker holds little cyclic garbage, so it is collected every 20,000 instead, and what the loaded
# app holds for good is frozen out of every pass (Python's gc.freeze, made for forked servers).
# Measured with bench/taker_cost.py: the collector's CPU for the same takers fell from 198 ms to 70 ms.
GC_FIRST_GENERATION = 20_000


def post_worker_init(worker) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_FIRST_GENERATION, 50, 100)
