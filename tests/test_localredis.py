"""``python -m quizapp.localredis``: the embedded default's Redis, and what runs beside the web
server (``make run`` starts the background worker so)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import redis


def test_a_command_beside_shares_the_local_redis_and_stops_with_the_main_command(tmp_path):
    seen = tmp_path / "beside.txt"
    beside = (f"{sys.executable} -c \"import os, time; open({str(seen)!r}, 'w').write(os.environ['QUIZAPP_REDIS_URL']);"
              " time.sleep(120)\"")
    main = f"import pathlib, time; [time.sleep(0.1) for _ in range(100) if not pathlib.Path({str(seen)!r}).exists()]"
    env = {key: value for key, value in os.environ.items() if key != "QUIZAPP_REDIS_URL"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "quizapp.localredis", "--beside", beside,  # noqa: S603
                           sys.executable, "-c", main], cwd=tmp_path, env={**env, "PYTHONPATH": os.getcwd()},
                          timeout=60, check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # The command beside got the local server's URL, and did not outlive the main command.
    url = seen.read_text()
    assert url.startswith("redis://127.0.0.1:") and time.monotonic() - started < 30
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
        stopped = False
    except redis.ConnectionError:
        stopped = True
    assert stopped
