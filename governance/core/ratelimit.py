"""A small per-client rate limit kept in Django's cache, for public or expensive endpoints.

Fixed windows: each (scope, key, window) has a counter that expires with the
window. With several server processes the cache must be shared (`CACHE_URL`, e.g. Redis);
the per-process default still bounds each process.
"""

from __future__ import annotations

import hashlib
import math
import time

from axes.helpers import get_client_ip_address
from django.core.cache import cache
from django.http import HttpRequest

from governance.core.errors import DomainError


class RateLimited(DomainError):
    """Too many requests from this client (429); `retry_after` says how long to wait."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def client_address(request: HttpRequest) -> str:
    # The address the login lockout uses too, so one proxy configuration serves both.
    return get_client_ip_address(request) or "unknown"


def hit(*, scope: str, key: str, limit: int, window: int) -> int:
    """Count one request; return 0 if it is within the limit, else the seconds to wait."""
    now = time.time()
    bucket = int(now // window)
    # Hashed so that any key (an IPv6 address, a username) is a valid cache key.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this request opens the window
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((bucket + 1) * window - now))


def check(request: HttpRequest, *, scope: str, limit: int, window: int, what: str) -> None:
    """Raise `RateLimited` with a plain message once a client exceeds `limit` per `window`."""
    wait = hit(scope=scope, key=client_address(request), limit=limit, window=window)
    if wait:
        raise RateLimited(
            f"Too many {what} from your address: at most {limit} every {window} seconds. "
            f"Try again in {wait} seconds.",
            retry_after=wait,
        )
