"""The API's rate limit: a fixed window per caller, counted atomically (on Redis when
REDIS_URL is set, else the in-process cache)."""

from __future__ import annotations

import threading
import uuid

from marketplace.core.throttling import parse_rate, window_hit


def fresh_ident() -> str:
    return f"test:{uuid.uuid4().hex}"


def test_rates_read_as_drf_writes_them():
    assert parse_rate("600/min") == (600, 60)
    assert parse_rate("5/second") == (5, 1)
    assert parse_rate("100/hour") == (100, 3600)
    assert parse_rate("1000/day") == (1000, 86400)


def test_each_hit_counts_once_within_the_window_and_a_new_window_starts_at_one():
    ident = fresh_ident()
    start = 60 * 16_667 + 20.0  # 20 s into a 60 s window
    counts = [window_hit(ident, period=60, now=start + n)[0] for n in range(3)]
    assert counts == [1, 2, 3]
    count, seconds_left = window_hit(ident, period=60, now=start + 39.5)
    assert (count, seconds_left) == (4, 1)
    assert window_hit(ident, period=60, now=start + 40)[0] == 1  # the next window


def test_concurrent_hits_are_never_lost():
    """DRF's read-modify-write history loses hits under concurrency; an increment can't."""
    ident = fresh_ident()
    seen: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def hit_five_times() -> None:
        barrier.wait()
        for _ in range(5):
            count, _ = window_hit(ident, period=3600)
            with lock:
                seen.append(count)

    threads = [threading.Thread(target=hit_five_times) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 51))
