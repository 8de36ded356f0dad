"""The output prediction: learning from replies, and who may split on the recorded figure alone."""

from __future__ import annotations

import threading

from docbot.llm.output import OutputModel

BOUND_S = 10.0  # no wait below should come near this; it only stops a broken gate from hanging the suite


def _waiter(model: OutputModel, entered: threading.Event, passed: threading.Event) -> threading.Thread:
    def run() -> None:
        entered.set()
        model.await_evidence(BOUND_S)
        passed.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_the_first_reply_moves_the_prediction_toward_this_runs_figure() -> None:
    model = OutputModel("claude-sonnet-5-5")
    before = model.predict(10, False)
    model.record(10, False, 40 + 10 * 50)  # 50 tokens a symbol, far under the recorded 220
    assert model.predict(10, False) < before


def test_one_thread_splits_on_the_recorded_figure_the_others_wait_for_its_reply() -> None:
    model = OutputModel("claude-sonnet-5-5")
    model.await_evidence(BOUND_S)  # the first caller goes at once
    entered, passed = threading.Event(), threading.Event()
    waiter = _waiter(model, entered, passed)
    assert entered.wait(BOUND_S)
    assert not passed.wait(0.2)  # still waiting: no reply yet
    model.record(4, False, 400)
    assert passed.wait(BOUND_S)
    waiter.join(BOUND_S)
    model.await_evidence(0.0)  # with a reply recorded nobody waits


def test_when_the_first_thread_gives_up_without_a_reply_another_goes_first() -> None:
    model = OutputModel("claude-sonnet-5-5")
    model.await_evidence(BOUND_S)
    entered, passed = threading.Event(), threading.Event()
    waiter = _waiter(model, entered, passed)
    assert entered.wait(BOUND_S)
    assert not passed.wait(0.2)
    model.done()  # its request failed: nothing recorded, but nobody is left waiting for it
    assert passed.wait(BOUND_S)
    waiter.join(BOUND_S)
