"""The API's rate limit: a fixed-window counter per caller, one atomic increment a request.

DRF's SimpleRateThrottle keeps every request time of the window in one cache value and
reads, trims and writes it back on every request: the work grows with the rate (at
1,200/min, a 1,200-item list unpickled and pickled per request), and two workers that
read the same list at once each write back their own, so concurrent requests can pass
the limit. Here the window is a key of its own and a request is one increment of it:
one pipelined INCR + EXPIRE on Redis, `add` then `incr` on any other cache (the embedded
default's in-process cache). A caller can make up to twice the rate across a window
boundary; that is the usual price of a fixed window, and it never lets through more
than the limit within one window.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

CACHE_ALIAS = "default"


def window_hit(ident: str, *, period: int, now: float | None = None) -> tuple[int, int]:
    """Counts one request by `ident` in the current window of `period` seconds; returns
    (requests so far in this window, seconds until the window ends)."""
    now = time.time() if now is None else now
    window = int(now // period)
    seconds_left = max(1, int((window + 1) * period - now))
    key = f"api-throttle:{ident}:{period}:{window}"
    cache = caches[CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        # Django's cache API has no atomic "increment or create with a timeout"; its
        # Redis backend's client (RedisCache._cache, there since Django 4.0) does.
        redis_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(redis_key, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(redis_key)
        pipeline.expire(redis_key, period + 1)
        count, _ = pipeline.execute()
        return int(count), seconds_left
    if cache.add(key, 1, timeout=period + 1):
        return 1, seconds_left
    try:
        return int(cache.incr(key)), seconds_left
    except ValueError:  # expired between add and incr: this request opens the window
        cache.add(key, 1, timeout=period + 1)
        return 1, seconds_left


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate notation: "600/min" -> (600, 60); the period is read by its first letter."""
    count, _, period = rate.partition("/")
    return int(count), PERIOD_SECONDS[period.strip()[0]]


class CallerRateThrottle(BaseThrottle):
    """One counter per API key, or per user for browser sessions. Rates come from
    settings.API_THROTTLE_RATES ("write_key", "read_key", "user") at request time."""

    def __init__(self) -> None:
        self.seconds_left: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        api_key = request.auth if hasattr(request.auth, "is_read_only") else None
        if api_key is not None:
            scope = "read_key" if api_key.is_read_only else "write_key"
            ident = f"key:{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            scope, ident = "user", f"user:{request.user.pk}"
        else:
            return True  # Anonymous callers are refused before they cost anything.
        rate = settings.API_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        limit, period = parse_rate(rate)
        count, self.seconds_left = window_hit(f"{scope}:{ident}", period=period)
        return count <= limit

    def wait(self) -> float | None:
        return self.seconds_left
