"""The client-side rate limiter: token buckets, header corrections, the shared pause, the slot cap."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from docbot.llm.ratelimit import Permit, RateLimiter, Window
from tests.fakes.clock import FakeClock


def _limiter(
    clock: FakeClock,
    wall: Callable[[], float] = time.time,
    *,
    limits_in_headers: bool = True,
    kind: type[RateLimiter] = RateLimiter,
    **kw: int,
) -> RateLimiter:
    # The bucket tests start with the whole window open; the window's own tests start it small.
    args = {"rpm": 60, "itpm": 6000, "otpm": 6000, "max_concurrency": 4, **kw}
    args.setdefault("start_concurrency", args["max_concurrency"])
    return kind(clock=clock.now, sleep=clock.sleep, wall=wall, limits_in_headers=limits_in_headers, **args)


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


def test_the_window_starts_with_one_request_and_slow_starts_without_headers() -> None:
    window = Window(ceiling=8)
    assert window.limit == 1  # nothing is known about the tier before the first response
    for expected in (2, 3, 4, 5, 6, 7, 8, 8):  # half a slot per answer
        for _ in range(2):
            _in_flight(window, window.limit - window.in_flight)  # the window is full when an answer comes
            window.grow()
        assert window.limit == expected


def test_a_window_that_was_not_full_does_not_grow() -> None:
    window = Window(ceiling=32, start=8)
    _in_flight(window, 3)  # the buckets hold the others back: 3 of 8 slots in use
    for _ in range(20):
        window.grow()
    assert window.limit == 8
    _in_flight(window, 5)
    window.grow()
    window.grow()
    assert window.limit == 9


def test_the_first_headers_open_the_window_to_half_the_ceiling() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_concurrency=16, start_concurrency=1)
    limiter.observe({"anthropic-ratelimit-requests-remaining": "10"})  # no limit header: no news
    assert limiter.window.limit == 1
    limiter.observe({"anthropic-ratelimit-requests-limit": "1000"})
    assert limiter.window.limit == 8
    _in_flight(limiter.window, 8)
    limiter.answered()
    limiter.answered()
    assert limiter.window.limit == 9  # still slow-starting: a slot per two answers until a 429


def _in_flight(window: Window, n: int) -> None:
    for _ in range(n):
        window.enter()


def test_a_429_teaches_the_servers_concurrency_and_growth_past_it_is_slow() -> None:
    window = Window(ceiling=32, start=32)
    _in_flight(window, 21)
    window.shrink()  # the 21st was refused: the server takes 20
    assert (window.limit, window.learned) == (20, 20)
    window.leave()  # the refused request; the 20 admitted still run, and their answers come back full
    for _ in range(150):
        window.grow()
    assert window.limit == 20  # probing past what was learned takes ten windows of answers per slot
    for _ in range(60):
        window.grow()
    assert window.limit == 21


def test_a_429_below_what_was_learned_halves_the_window() -> None:
    window = Window(ceiling=32, start=32)
    _in_flight(window, 21)
    window.shrink()
    for _ in range(11):
        window.leave()
    window.shrink()  # refused with 10 in flight: not concurrency but tokens, or a smaller limit now
    assert window.limit == 9
    assert window.decreases == 2


def test_a_429_at_the_learned_level_steps_down_once_more_instead_of_halving() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_concurrency=32)
    # 22 counted in flight when the server (20 at once) refuses one: 20 it is answering, the refused
    # one, and one whose reply the server has finished but the client has not read yet.
    held = [limiter.acquire(1, 1) for _ in range(22)]
    limiter.pause(1.0)
    limiter.release(held.pop())  # the refused request
    assert (limiter.window.limit, limiter.window.learned) == (21, 21)  # a slot above the server's 20
    clock.advance(1.4)  # the pause is over: the next refusal is a fresh one
    limiter.pause(1.0)  # the 21st slot is refused again, at the level just learned
    assert (limiter.window.limit, limiter.window.learned) == (20, 20)  # not halved to 10
    for _ in range(2):  # the second refused request, and one answered
        limiter.release(held.pop())
    clock.advance(1.4)
    limiter.pause(1.0)  # refused with 19 in flight, below what was learned: that halves it
    assert limiter.window.limit == 10


def test_429s_that_arrive_together_pause_once_and_leave_what_was_admitted() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_concurrency=16)
    held = [limiter.acquire(1, 1) for _ in range(12)]  # the server admitted 9 of them, refused 3
    for hint in (5.0, 5.0, 3.0):  # the three refusals come back, one after another
        limiter.pause(hint)
        limiter.release(held.pop())
    assert limiter.window.limit == 9 and limiter.window.learned == 9
    for p in held:
        limiter.release(p)
    limiter.release(limiter.acquire(1, 1))
    assert clock.sleeps == [5.0]  # one shared pause, not 5 + 5 + 3
    limiter.pause(2.0, shrink=False)  # a 529's hint: wait, but the window stays
    assert limiter.window.limit == 9


def test_the_window_holds_requests_beyond_it() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_concurrency=4, start_concurrency=1)
    held = limiter.acquire(1, 1)
    got = threading.Event()

    def second() -> None:
        limiter.release(limiter.acquire(1, 1))
        got.set()

    t = threading.Thread(target=second)
    t.start()
    assert not got.wait(0.2)  # blocked: the window is one request wide
    limiter.answered()  # slow start: half a slot per answer, so two answers widen it to two
    assert not got.wait(0.05)
    limiter.answered()
    assert got.wait(5)
    t.join(5)
    limiter.release(held)


class _ForgetsOutput(RateLimiter):
    """A broken limiter: its ``acquire`` reserves no output tokens (the bug this file must catch)."""

    def acquire(self, input_tokens: int, output_tokens: int) -> Permit:
        permit = super().acquire(input_tokens, 0)
        return Permit(permit.input_tokens, output_tokens, permit.taken_at)


def _output_waits(limiter_type: type[RateLimiter]) -> list[float]:
    """The sleeps of a second request whose ``max_tokens`` no longer fits beside the first one's."""
    clock = FakeClock()
    limiter = _limiter(clock, kind=limiter_type)
    first = limiter.acquire(1, 4000)  # holds 4000 of the 6000 output tokens until it settles
    limiter.release(limiter.acquire(1, 4000))
    limiter.settle(first, 1, 4000)
    limiter.release(first)
    return clock.sleeps


def test_acquire_reserves_the_requests_max_tokens_from_the_output_bucket() -> None:
    # 2000 left, 2000 more needed, refilled at 100 a second: 20 s, all of it for output tokens.
    assert _output_waits(RateLimiter) == [20.0]
    # A limiter whose acquire forgets the output tokens lets the second request straight through.
    assert _output_waits(_ForgetsOutput) == []


EPOCH = 1_795_000_000.0  # the wall clock the reset timestamps are read against, moved with the fake clock


def _reset_headers(clock: FakeClock, *, limit: int, remaining: int, full_in: float) -> dict[str, str]:
    when = dt.datetime.fromtimestamp(EPOCH + clock.now() + full_in, dt.UTC)
    prefix = "anthropic-ratelimit-output-tokens"
    return {
        f"{prefix}-limit": str(limit),
        f"{prefix}-remaining": str(remaining),
        f"{prefix}-reset": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _walled(clock: FakeClock) -> RateLimiter:
    return _limiter(clock, wall=lambda: EPOCH + clock.now(), rpm=600, itpm=600_000)


def test_a_server_whose_bucket_refills_slower_than_a_minute_paces_the_refill() -> None:
    clock = FakeClock()
    limiter = _walled(clock)
    limiter.release(limiter.acquire(10, 6000))
    # The server's bucket is empty and full again only in 180 s: 6,000 per 3 minutes, not per minute.
    limiter.observe(_reset_headers(clock, limit=6000, remaining=0, full_in=180))
    limiter.release(limiter.acquire(10, 3000))
    assert clock.sleeps == [90.0]  # half the bucket at the server's rate; a per-minute refill said 30 s


def test_reset_headers_that_agree_with_a_minute_per_limit_change_nothing() -> None:
    # A reset is given to the second, so a per-minute bucket half empty says 29 to 31 s: still a minute.
    for full_in in (29.0, 30.0, 31.0, 5.0):
        clock = FakeClock()
        limiter = _walled(clock)
        limiter.release(limiter.acquire(10, 6000))
        limiter.observe(_reset_headers(clock, limit=6000, remaining=3000, full_in=full_in))
        limiter.release(limiter.acquire(10, 3000))
        assert clock.sleeps == [30.0], full_in  # our own level is 0: 3,000 refill at 100 per second


def test_a_later_per_minute_reset_undoes_a_slow_one_and_a_malformed_reset_is_ignored() -> None:
    clock = FakeClock()
    limiter = _walled(clock)
    limiter.release(limiter.acquire(10, 6000))
    limiter.observe(_reset_headers(clock, limit=6000, remaining=0, full_in=180))
    limiter.observe(_reset_headers(clock, limit=6000, remaining=0, full_in=60))
    broken = _reset_headers(clock, limit=6000, remaining=0, full_in=600)
    broken["anthropic-ratelimit-output-tokens-reset"] = "soon"
    limiter.observe(broken)
    limiter.release(limiter.acquire(10, 3000))
    assert clock.sleeps == [30.0]


def test_on_a_platform_without_rate_limit_headers_every_429_is_a_limit() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_concurrency=16, limits_in_headers=False)  # Bedrock, Vertex AI
    held = [limiter.acquire(1, 1) for _ in range(8)]
    assert limiter.refused(1.0, {"retry-after": "1"}) is True
    assert (limiter.window.limit, limiter.window.decreases) == (7, 1)
    for p in held:
        limiter.release(p)
    limiter.release(limiter.acquire(1, 1))
    assert clock.sleeps == [1.0]


def test_a_429_without_rate_limit_headers_holds_only_its_own_request() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_concurrency=16)
    held = [limiter.acquire(1, 1) for _ in range(8)]
    # A refusal with a wait hint and no limit figure (a random storm): no pause, the window stays.
    assert limiter.refused(1.0, {"retry-after": "1"}) is False
    limiter.release(held.pop())
    limiter.release(limiter.acquire(1, 1))  # another thread's next request goes at once
    assert clock.sleeps == []
    assert (limiter.window.limit, limiter.window.decreases) == (16, 0)
    # The same refusal with the server's figures is a limit: every request waits, the window shrinks.
    limit = {"anthropic-ratelimit-requests-limit": "60", "anthropic-ratelimit-requests-remaining": "40"}
    assert limiter.refused(1.0, {"retry-after": "1", **limit}) is True
    assert (limiter.window.limit, limiter.window.decreases) == (6, 1)  # 7 were in flight
    for p in held:
        limiter.release(p)
    limiter.release(limiter.acquire(1, 1))
    assert clock.sleeps == [1.0]
