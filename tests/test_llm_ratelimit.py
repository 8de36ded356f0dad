"""The client-side rate limiter: token buckets, header corrections, the shared pause, the slot cap."""

from __future__ import annotations

import threading

from docbot.llm.ratelimit import RateLimiter
from tests.fakes.clock import FakeClock


def _limiter(clock: FakeClock, **kw: int) -> RateLimiter:
    args = {"rpm": 60, "itpm": 6000, "otpm": 6000, "max_concurrency": 4, **kw}
    return RateLimiter(clock=clock.now, sleep=clock.sleep, **args)


def test_requests_per_minute_are_spaced_once_the_burst_is_spent() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, rpm=3)
    for _ in range(3):
        limiter.release(limiter.acquire(10, 10))
    assert clock.sleeps == []
    limiter.release(limiter.acquire(10, 10))
    assert clock.sleeps == [20.0]  # 3 per minute: one every 20 s


def test_input_tokens_wait_for_refill_and_are_corrected_by_usage() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, itpm=6000)
    permit = limiter.acquire(5000, 100)
    limiter.settle(permit, 2000, 100)  # used less than estimated: 3000 back
    limiter.release(permit)
    limiter.release(limiter.acquire(4000, 100))
    assert clock.sleeps == []
    limiter.release(limiter.acquire(1000, 100))  # 0 left; 1000 tokens refill in 10 s at 100/s
    assert clock.sleeps == [10.0]


def test_output_tokens_reserve_max_tokens_and_refund_the_rest() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, otpm=6000)
    permits = [limiter.acquire(1, 3000), limiter.acquire(1, 3000)]
    for p in permits:
        limiter.settle(p, 1, 500)
        limiter.release(p)
    limiter.release(limiter.acquire(1, 5000))
    assert clock.sleeps == []


def test_an_oversized_request_waits_for_a_full_bucket_not_forever() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, itpm=6000)
    limiter.release(limiter.acquire(3000, 1))
    limiter.release(limiter.acquire(9000, 1))  # bigger than the bucket: goes when it is full
    assert clock.sleeps == [30.0]


def test_headers_set_the_limit_and_lower_the_level() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, rpm=1000)
    limiter.observe(
        {
            "anthropic-ratelimit-requests-limit": "120",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-input-tokens-limit": "bogus",
            "anthropic-ratelimit-output-tokens-remaining": "",
        }
    )
    assert limiter.capacity("requests") == 120
    assert limiter.capacity("input") == 6000  # malformed header ignored
    limiter.release(limiter.acquire(1, 1))
    assert clock.sleeps == [0.5]  # 120 per minute: 2 per second


def test_a_429_pauses_every_thread() -> None:
    clock = FakeClock()
    limiter = _limiter(clock)
    limiter.pause(7.0)
    limiter.release(limiter.acquire(1, 1))
    assert clock.sleeps == [7.0]


def test_concurrency_cap_holds_extra_threads_until_a_slot_is_free() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_concurrency=2)
    held = [limiter.acquire(1, 1), limiter.acquire(1, 1)]
    got = threading.Event()

    def third() -> None:
        limiter.release(limiter.acquire(1, 1))
        got.set()

    t = threading.Thread(target=third)
    t.start()
    assert not got.wait(0.2)  # blocked: both slots taken
    limiter.release(held[0])
    assert got.wait(5)
    t.join(5)
    limiter.release(held[1])
