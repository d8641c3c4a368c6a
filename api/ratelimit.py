"""How many uploads one client may start a minute: a sliding window per client.

In memory for the embedded setup; in Redis when the queue is Redis (RIDEALONG_QUEUE_URL), so
that every API process behind a balancer counts against the same limit. The client is its
API key, or its address for the web form.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from typing import Any, Protocol

from api.errors import ServiceError

logger = logging.getLogger(__name__)

__all__ = ["Limiter", "RateLimiter", "RedisRateLimiter", "TooManyRequests", "rate_limiter"]


class TooManyRequests(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, limit: int, retry_after_s: int) -> None:
        super().__init__(
            f"too many uploads: at most {limit} a minute; try again in {retry_after_s} s"
        )
        self.retry_after_s = retry_after_s


class RateLimiter:
    """At most `limit` events per `window_s` per client (0: no limit)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str, now: float | None = None) -> None:
        """Count one event for `client`, or raise TooManyRequests (nothing counted)."""
        if self.limit <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.setdefault(client, deque())
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                raise TooManyRequests(self.limit, max(1, round(events[0] + self.window_s - now)))
            events.append(now)
            if len(self._events) > 10_000:  # forget idle clients
                for key in [k for k, v in self._events.items() if not v]:
                    del self._events[key]


class Limiter(Protocol):
    def check(self, client: str) -> None: ...


# One atomic step per upload: drop events older than the window, refuse when the window is
# full (answering the seconds until its oldest event leaves it), else count this one.
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('EXPIRE', key, math.ceil(window))
return '-1'
"""


class RedisRateLimiter:
    """The same sliding window, kept in Redis and shared by every process using it. When
    Redis cannot be reached, each process falls back to counting in memory."""

    def __init__(self, url: str, limit: int, window_s: float = 60.0) -> None:
        import redis

        self.limit, self.window_s = limit, window_s
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script: Any = self._client.register_script(_SLIDING_WINDOW)
        self._fallback = RateLimiter(limit, window_s)

    def check(self, client: str) -> None:
        if self.limit <= 0:
            return
        key = "ridealong:uploads:" + hashlib.sha256(client.encode()).hexdigest()[:32]
        try:
            wait_s = float(
                self._script(
                    keys=[key], args=[time.time(), self.window_s, self.limit, uuid.uuid4().hex]
                )
            )
        except Exception as e:  # Redis down: limit per process rather than refuse uploads
            logger.warning("upload rate limit counted in this process (%s)", e)
            self._fallback.check(client)
            return
        if wait_s >= 0:
            raise TooManyRequests(self.limit, max(1, round(wait_s)))


def rate_limiter(limit: int, redis_url: str | None) -> Limiter:
    """Shared in Redis when the queue is Redis (`Settings.redis_url`), else in memory."""
    return RedisRateLimiter(redis_url, limit) if redis_url else RateLimiter(limit)
