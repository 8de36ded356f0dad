"""The run's time budget (``max_run_minutes``): after it, no new request starts.

A CI job has a timeout; a run that is still sending when it fires is killed and reports nothing. With a
budget a little under the job's timeout the run stops itself instead: requests already sent finish
(they are paid for, and their answers are cached), every request that would start later fails with
the reason "time budget", and the run publishes what succeeded and reports the rest as failed.
"""

from __future__ import annotations

from collections.abc import Callable

from docbot.errors import PermanentError
from docbot.llm.ratelimit import SECONDS_PER_MINUTE

TIME_BUDGET = "time budget"


class TimeBudgetError(PermanentError):
    """A request was not started because the run's time budget is spent; the message is "time budget"."""

    def __init__(self) -> None:
        super().__init__(TIME_BUDGET)


class Deadline:
    """When the run stops starting requests, counted from when this was made (the start of the run).

    Args:
        minutes: the budget; ``None``: no limit.
        clock: monotonic seconds (the provider's, so tests and benchmarks control it).
    """

    def __init__(self, minutes: float | None, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.at: float | None = None if minutes is None else clock() + minutes * SECONDS_PER_MINUTE

    def expired(self) -> bool:
        return self.at is not None and self._clock() >= self.at

    def check(self) -> None:
        """Call before starting a request.

        Raises:
            TimeBudgetError: the budget is spent; the request must not be sent.
        """
        if self.expired():
            raise TimeBudgetError()

    def bounded(self, sleep: Callable[[float], None]) -> Callable[[float], None]:
        """``sleep`` that never waits past the budget: a wait that would cross it sleeps up to it, and
        one asked for once it is spent raises ``TimeBudgetError``. Every wait of a request (rate-limit
        pauses, the open circuit, retry backoff) goes through it, so a run that is waiting out an
        outage when its budget ends stops then, not up to ``breaker_max_open_s`` later."""
        if self.at is None:
            return sleep
        at = self.at

        def bounded_sleep(seconds: float) -> None:
            left = at - self._clock()
            if left <= 0:
                raise TimeBudgetError()
            sleep(min(seconds, left))

        return bounded_sleep
