"""When a protection, or an outage, is turning people away: one log line as it starts, one as
it stops.

The password-hashing slots and the sign-in failure budgets may refuse thousands of requests a
minute under a flood. One warning per refusal would bury the log; none would leave an admin
blind. So refusals of one kind make an *episode*: the first refusal after a quiet spell logs
"started", and once ``QUIET_SECONDS`` pass with no refusal the next look logs "stopped" with
how many were refused. With a shared Redis the episode is shared by every worker and host (one
pair of lines in all); without one, each process keeps its own. The admin pages show the
episodes under way and the last one that ended.

A look happens on requests of the same kind that were let through (at most every
``CHECK_SECONDS`` per process) and whenever an admin page reads the state.

Outages (quizapp/outages.py: the database unreachable or too busy, answered 503) are episodes
of the same kind, logged as "Outage …" rather than "Protection …", and end after a shorter
quiet spell (``OUTAGE_QUIET_SECONDS``): once the database answers again, a few seconds with
no refusal say it is back, while a flapping database still makes one episode, not one a second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app

QUIET_SECONDS = 30
OUTAGE_QUIET_SECONDS = 5
CHECK_SECONDS = 5
KEEP_SECONDS = 7 * 24 * 3600

# What each kind of refusal means: for the log (English) and the admin page (Vietnamese).
KINDS = {
    "hash-slots": (
        "every password-hashing slot is taken; sign-ins and registrations get 503 busy",
        "Hết chỗ băm mật khẩu: đăng nhập, đăng ký được trả lời 503 (hệ thống bận)",
    ),
    "login-failures-ip": (
        "addresses have spent their budget of failed sign-ins; they get 429",
        "Địa chỉ IP đã hết lượt đăng nhập sai: được trả lời 429",
    ),
    "login-failures-phone": (
        "phone numbers have spent their budget of failed sign-ins; unknown browsers get 429",
        "Số điện thoại đã hết lượt đăng nhập sai: trình duyệt lạ được trả lời 429",
    ),
    "login-failures-browser": (
        "trusted browsers have spent their own budget of failed sign-ins; they get 429",
        "Trình duyệt đã từng đăng nhập hết lượt nhập sai riêng: được trả lời 429",
    ),
}
# Outages: the same episodes, on a shorter quiet spell (outages.py raises them).
OUTAGES = {
    "database-unreachable": (
        "the database cannot be reached; pages and the API answer 503 with Retry-After",
        "Không kết nối được cơ sở dữ liệu: trang và API được trả lời 503 (thử lại sau)",
    ),
    "database-busy": (
        "the database is too busy (locked or out of resources); requests get 503 with Retry-After",
        "Cơ sở dữ liệu quá bận: yêu cầu được trả lời 503 (thử lại sau)",
    ),
    "redis-unreachable": (
        "Redis cannot be reached (seen by the health check); rate limits are counted per process",
        "Không kết nối được Redis: giới hạn lượt được đếm riêng trên từng tiến trình",
    ),
    "jobs-no-worker": (
        "no background worker is alive on the job queue (seen by the health check); judges' downloads "
        "and rankings wait in the queue",
        "Không có tiến trình nền nào đang chạy: tệp tải về và bảng xếp hạng của ban giám khảo phải chờ",
    ),
}
KINDS.update(OUTAGES)


@dataclass(frozen=True)
class Episode:
    kind: str
    started: float
    last: float
    refused: int
    ended: float | None = None

    @property
    def label(self) -> str:
        return KINDS[self.kind][1] if self.kind in KINDS else self.kind


class _Memory:
    """Episodes of this process only (no Redis configured, or Redis unreachable)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[str, list[float]] = {}  # kind -> [started, last, refused]
        self.ended: dict[str, Episode] = {}

    def refuse(self, kind: str, now: float) -> bool:
        with self.lock:
            state = self.active.get(kind)
            if state is None:
                self.active[kind] = [now, now, 1]
                return True
            state[1] = now
            state[2] += 1
            return False

    def close_if_quiet(self, kind: str, now: float) -> Episode | None:
        with self.lock:
            state = self.active.get(kind)
            if state is None or now - state[1] < _quiet(kind):
                return None
            del self.active[kind]
            episode = self.ended[kind] = Episode(kind, state[0], state[1], int(state[2]), now)
            return episode

    def snapshot(self) -> tuple[list[Episode], list[Episode]]:
        with self.lock:
            active = [Episode(kind, s[0], s[1], int(s[2])) for kind, s in self.active.items()]
            return active, list(self.ended.values())


class _Redis:
    """Episodes shared through Redis: a hash per kind under way, one per kind that ended."""

    # Closes the episode only if it is still quiet, and only for one caller.
    CLOSE = """
    local last = redis.call('HGET', KEYS[1], 'last')
    if not last or tonumber(ARGV[1]) - tonumber(last) < tonumber(ARGV[2]) then return nil end
    local state = redis.call('HMGET', KEYS[1], 'started', 'last', 'refused')
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[2], 'started', state[1], 'last', state[2], 'refused', state[3], 'ended', ARGV[1])
    redis.call('EXPIRE', KEYS[2], ARGV[3])
    return state
    """

    def __init__(self, client, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:pressure" if prefix else "pressure"
        self.close_script = client.register_script(self.CLOSE)

    def _key(self, kind: str, part: str = "active") -> str:
        return f"{self.prefix}:{part}:{kind}"

    def refuse(self, kind: str, now: float) -> bool:
        key = self._key(kind)
        pipe = self.client.pipeline(transaction=True)
        pipe.hsetnx(key, "started", now)
        pipe.hset(key, "last", now)
        pipe.hincrby(key, "refused", 1)
        pipe.expire(key, KEEP_SECONDS)
        started = pipe.execute()[0]
        return bool(started)

    def close_if_quiet(self, kind: str, now: float) -> Episode | None:
        state = self.close_script(keys=[self._key(kind), self._key(kind, "ended")],
                                  args=[now, _quiet(kind), KEEP_SECONDS])
        if not state:
            return None
        started, last, refused = (float(value) for value in state)
        return Episode(kind, started, last, int(refused), now)

    def snapshot(self) -> tuple[list[Episode], list[Episode]]:
        active, ended = [], []
        for kind in KINDS:
            state = self.client.hgetall(self._key(kind))
            if state.get(b"started"):
                active.append(Episode(kind, float(state[b"started"]), float(state[b"last"]),
                                      int(state.get(b"refused", 0))))
            state = self.client.hgetall(self._key(kind, "ended"))
            if state.get(b"started"):
                ended.append(Episode(kind, float(state[b"started"]), float(state[b"last"]),
                                     int(state.get(b"refused", 0)), float(state[b"ended"])))
        return active, ended


class Pressure:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.memory = _Memory()
        client = app.extensions.get("quizapp.redis")
        self.shared = _Redis(client, app.config.get("RATELIMIT_KEY_PREFIX") or "") if client else None
        self._checked: dict[str, float] = {}

    def _store(self):
        return self.shared if self.shared is not None else self.memory

    def refused(self, kind: str) -> None:
        """One request of ``kind`` was turned away."""
        now = time.time()
        try:
            started = self._store().refuse(kind, now)
        except Exception:  # Redis away: this process keeps count meanwhile
            started = self.memory.refuse(kind, now)
        if started:
            self.app.logger.warning("%s %s started refusing requests: %s", _subject(kind), kind, _meaning(kind))
        self._checked[kind] = now

    def passed(self, *kinds: str) -> None:
        """A request of these kinds was let through: maybe their episodes are over (one clock
        read for all of them: the answer-save lane calls this after every save)."""
        now = time.time()
        for kind in kinds:
            if now - self._checked.get(kind, 0.0) >= CHECK_SECONDS:
                self._checked[kind] = now
                self._close(kind, now)

    def _close(self, kind: str, now: float) -> None:
        episodes = []
        try:
            if self.shared is not None:
                episodes.append(self.shared.close_if_quiet(kind, now))
        except Exception:  # Redis away: the shared episode is closed on a later look
            self.app.logger.debug("Could not close the shared %s episode", kind, exc_info=True)
        episodes.append(self.memory.close_if_quiet(kind, now))
        for episode in episodes:
            if episode is not None:
                self.app.logger.warning(
                    "%s %s stopped refusing requests after %d refusals over %.0f s: %s",
                    _subject(kind), kind, episode.refused, episode.last - episode.started, _meaning(kind),
                )

    def snapshot(self) -> tuple[list[Episode], list[Episode]]:
        """Episodes under way and the last ended one of each kind (closing quiet ones first)."""
        now = time.time()
        for kind in KINDS:
            self._close(kind, now)
        try:
            if self.shared is not None:
                active, ended = self.shared.snapshot()
                local_active, local_ended = self.memory.snapshot()
                return active + local_active, ended + local_ended
        except Exception:  # Redis away: what this process saw
            self.app.logger.warning("Could not read the protections' state from Redis", exc_info=True)
        return self.memory.snapshot()


def _subject(kind: str) -> str:
    return "Outage" if kind in OUTAGES else "Protection"


def _quiet(kind: str) -> float:
    return OUTAGE_QUIET_SECONDS if kind in OUTAGES else QUIET_SECONDS


def _meaning(kind: str) -> str:
    return KINDS[kind][0] if kind in KINDS else kind


def init_app(app: Flask) -> None:
    app.extensions["quizapp.pressure"] = Pressure(app)


def pressure() -> Pressure:
    return current_app.extensions["quizapp.pressure"]
