"""How many output tokens a reply will need, so a request reserves that and not a fixed ``max_tokens``.

The API debits ``max_tokens`` from the output-tokens-per-minute budget when a request starts and
refunds the unused part only when the reply is complete. A fixed, generous ``max_tokens`` therefore
starves a small tier (at 8,000 OTPM, two 4,096-token reservations fill the bucket while each reply
uses a fraction of it); a tight one cuts replies off, which are paid for and thrown away.

The prediction is ``(FIXED + symbols x tokens per symbol + overview) x MARGIN``. Tokens per symbol
start from the recorded figure for the model (thinking included: it is billed as output and counts
toward ``max_tokens``) and follow this run's own complete replies, weighted so a few odd replies do
not swing it. A request whose prediction does not fit the answer limit is split before it is sent.

Before the run's first reply the prediction is the recorded figure alone, and a run that sends its
longest chunks first would split all of them on it. So only one request splits on the recorded figure
(``await_evidence``): the others wait for the first complete reply and decide on this run's figure.
That costs no time: the rate limiter lets the first request go alone anyway.
"""

from __future__ import annotations

import math
import threading

# Output tokens per documented symbol, thinking included, recorded from complete structured replies at
# the model's default effort. A model not listed starts from DEFAULT and learns from its replies.
RECORDED_TOKENS_PER_SYMBOL = {
    "claude-haiku-5-5": 160.0,
    "claude-sonnet-5": 220.0,
    "claude-sonnet-5-5": 220.0,
    "claude-opus-5": 300.0,
    "claude-opus-5-5": 260.0,
}
DEFAULT_TOKENS_PER_SYMBOL = 250.0
OVERVIEW_TOKENS = 250  # the file overview (a request of its own), or a module-level chunk's note
FIXED_TOKENS = 40  # the JSON object's own keys and brackets
MARGIN = 1.5  # replies vary; a cut-off reply costs a whole request, a spare 50% costs nothing
# How many symbols' worth of evidence the recorded figure counts as, against this run's replies.
PRIOR_SYMBOLS = 20.0
MIN_MAX_TOKENS = 256


class OutputModel:
    """Predicts a request's output tokens and learns from complete replies. Thread-safe.

    Args:
        model: the model id (picks the recorded tokens per symbol).
    """

    def __init__(self, model: str) -> None:
        self.prior = RECORDED_TOKENS_PER_SYMBOL.get(model, DEFAULT_TOKENS_PER_SYMBOL)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._symbols = 0.0
        self._tokens = 0.0
        self._learner: int | None = None  # the thread whose request may split on the prior alone

    def await_evidence(self, timeout_s: float) -> None:
        """Call before splitting a request on the prediction: returns at once once a reply has been
        recorded, or to the one thread that goes first (until it calls ``done``); the others wait for
        the first reply (or for that thread to give up), at most ``timeout_s`` in all."""
        me = threading.get_ident()
        with self._changed:
            self._changed.wait_for(
                lambda: self._symbols > 0 or self._learner in (None, me), timeout=timeout_s
            )
            if self._symbols == 0 and self._learner is None:
                self._learner = me

    def done(self) -> None:
        """The calling thread's request ended: if it was the one going first, another may go first."""
        with self._changed:
            if self._learner == threading.get_ident():
                self._learner = None
                self._changed.notify_all()

    def tokens_per_symbol(self) -> float:
        with self._lock:
            return (self.prior * PRIOR_SYMBOLS + self._tokens) / (PRIOR_SYMBOLS + self._symbols)

    def predict(self, symbols: int, overview: bool) -> int:
        """The ``max_tokens`` a request for ``symbols`` symbols (and the overview) should reserve."""
        need = FIXED_TOKENS + symbols * self.tokens_per_symbol() + (OVERVIEW_TOKENS if overview else 0)
        return max(MIN_MAX_TOKENS, math.ceil(need * MARGIN))

    def record(self, symbols: int, overview: bool, output_tokens: int) -> None:
        """A complete reply: ``output_tokens`` for ``symbols`` symbols (and the overview)."""
        if symbols <= 0:
            return  # an overview alone says nothing about symbols
        spent = output_tokens - FIXED_TOKENS - (OVERVIEW_TOKENS if overview else 0)
        with self._changed:
            self._symbols += symbols
            self._tokens += max(0.0, float(spent))
            self._changed.notify_all()
