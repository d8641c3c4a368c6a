"""How many uploads one client may start a minute: a sliding window per client, in memory.

Per process: with several API processes behind a balancer each counts its own (put a
shared limit in the balancer for that). The client is its API key, or its address for the
web form.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from api.errors import ServiceError

__all__ = ["RateLimiter", "TooManyRequests"]


class TooManyRequests(ServiceError):
    status_code = 429

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
