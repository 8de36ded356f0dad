"""How many output tokens a reply will need, so a request reserves that and not a fixed ``max_tokens``.

The API debits ``max_tokens`` from the output-tokens-per-minute budget when a request starts and
refunds the unused part only when the reply is complete. A fixed, generous ``max_tokens`` therefore
starves a small tier (at 8,000 OTPM, two 4,096-token reservations fill the bucket while each reply
uses a fraction of it); a tight one cuts replies off, which are paid for and thrown away.

The prediction is ``(FIXED + symbols x tokens per symbol + overview) x MARGIN``. Tokens per symbol
start from the recorded figure for the model (thinking included: it is billed as output and counts
toward ``max_tokens``) and follow this run's own complete replies, weighted so a few odd replies do
not swing it. A request whose prediction does not fit the answer limit is split before it is sent.
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
        self._symbols = 0.0
        self._tokens = 0.0

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
        with self._lock:
            self._symbols += symbols
            self._tokens += max(0.0, float(spent))
