"""kernel_shap's anytime answer: `time_budget` out, `partial` back."""

import asyncio
import datetime

import numpy as np
import pytest
from helpers import SETOSA

from prism_client import AsyncClient, DeadlineExceededError, ExplainResult, InvalidArgumentError, Progress
from prism_client._request import explain_request

# One digit on a background of 2000 distinct rows at 200000 coalitions: 400 million model rows,
# more than a minute on two cores and several seconds on many, while the first estimate (two of
# the 512 draw groups) needs about 1.6 million.
NSAMPLES = 200_000
BACKGROUND = 2000
# A busy or cold server may not reach a first estimate within the smaller ones, and says so with
# DEADLINE_EXCEEDED.
BUDGETS = (1.0, 2.0, 4.0, 8.0, 16.0)


@pytest.fixture(scope="module")
def job(server):
    """The instance and the background: each row a different mix of two real digits."""
    digits = server.background("digits")
    t = (np.arange(BACKGROUND) + 1) / (BACKGROUND + 1.0)
    a = np.arange(BACKGROUND) % len(digits)
    b = (np.arange(BACKGROUND) * 7 + 3) % len(digits)
    background = (1 - t)[:, None] * digits[a] + t[:, None] * digits[b]
    return digits[:1], background


def first_answer(explain) -> ExplainResult:
    """explain(budget) with the budgets in turn until one is answered."""
    for budget in BUDGETS:
        try:
            return explain(budget)
        except DeadlineExceededError as e:
            assert e.reason == "DEADLINE_EXCEEDED", e
    pytest.fail(f"no estimate within {BUDGETS[-1]} s")


def assert_stopped_early(result: ExplainResult):
    assert result.partial
    assert result.values.shape == (1, 64, 10)
    assert np.isfinite(result.values).all()
    assert result.std_errors is not None and np.isfinite(result.std_errors).all()
    assert (result.std_errors >= 0).all() and (result.std_errors > 0).any(), "an estimate, not exact values"
    # The estimate keeps efficiency exactly, partial or not.
    np.testing.assert_allclose(result.values.sum(axis=1), result.model_outputs - result.base_values,
                               rtol=0, atol=1e-9)


def test_a_small_budget_answers_partially(client, job):
    instance, background = job
    result = first_answer(lambda budget: client.explain(
        "digits", instance, background=background, nsamples=NSAMPLES, seed=5, time_budget=budget,
        diagnostics=True))
    assert_stopped_early(result)
    evaluations = result.diagnostics.model_evaluations
    assert (evaluations > 0).all() and (evaluations < NSAMPLES * BACKGROUND // 2).all(), evaluations
    assert not result.diagnostics.converged.any()


def test_an_async_stream_with_a_timedelta_budget_answers_partially(server, job):
    instance, background = job

    async def events(budget):
        async with AsyncClient(server.target, timeout=120) as client:
            return [event async for event in client.stream_explain(
                "digits", instance, background=background, nsamples=NSAMPLES, seed=5,
                time_budget=datetime.timedelta(seconds=budget))]

    answered = []

    def explain(budget):
        answered.append(asyncio.run(events(budget)))
        return answered[-1][-1]

    result = first_answer(explain)
    assert all(isinstance(e, Progress) for e in answered[-1][:-1])
    assert_stopped_early(result)


def test_a_generous_budget_answers_in_full(client, server):
    row = server.background("breast_cancer")[:1]
    result = client.explain("breast_cancer", row, nsamples=512, seed=9, diagnostics=True,
                            time_budget=datetime.timedelta(minutes=10))
    assert not result.partial
    # Every coalition of the sample budget, on each of the 100 background rows, and the instance.
    assert (result.diagnostics.coalitions == 512).all()
    assert (result.diagnostics.model_evaluations == 512 * 100 + 1).all()
    assert not client.explain("breast_cancer", row, nsamples=512).partial


def _lime_sync(client, server):
    return client.explain("iris", SETOSA, "lime", time_budget=0.5)


def _lime_sync_stream(client, server):
    return list(client.stream_explain("iris", SETOSA, "lime", time_budget=0.5))


def _lime_async(client, server):
    async def main():
        async with AsyncClient(server.target, timeout=120) as c:
            return await c.explain("iris", SETOSA, "lime", time_budget=0.5)

    return asyncio.run(main())


def _lime_async_stream(client, server):
    async def main():
        async with AsyncClient(server.target, timeout=120) as c:
            return [e async for e in c.stream_explain("iris", SETOSA, "lime", time_budget=0.5)]

    return asyncio.run(main())


@pytest.mark.parametrize("call", [_lime_sync, _lime_sync_stream, _lime_async, _lime_async_stream],
                         ids=["explain", "stream_explain", "async explain", "async stream_explain"])
def test_only_kernel_shap_takes_a_budget(client, server, call):
    with pytest.raises(InvalidArgumentError) as caught:
        call(client, server)
    assert caught.value.reason == "INVALID_PARAMS"
    assert [field for field, _ in caught.value.field_violations] == ["time_budget"]
    assert "Only kernel_shap answers within a time budget" in caught.value.field_violations[0][1]


@pytest.mark.parametrize("budget, error, message", [
    (0, ValueError, "time_budget must be positive (at least 1 ns), got 0"),
    (-0.5, ValueError, "time_budget must be positive (at least 1 ns), got -0.5"),
    (1e-12, ValueError, "time_budget must be positive (at least 1 ns), got 1e-12"),
    (datetime.timedelta(0), ValueError, "time_budget must be positive (at least 1 ns), got datetime.timedelta(0)"),
    (datetime.timedelta(seconds=-1), ValueError, "time_budget must be positive (at least 1 ns), got "
                                                 "datetime.timedelta(days=-1, seconds=86399)"),
    (float("nan"), ValueError, "time_budget must be a finite number of seconds, got nan"),
    (float("inf"), ValueError, "time_budget must be a finite number of seconds, got inf"),
    (1e20, ValueError, "time_budget 1e+20 is longer than a protobuf Duration holds (10,000 years)"),
    ("2s", TypeError, "time_budget takes seconds (a number) or a datetime.timedelta, got '2s'"),
    (True, TypeError, "time_budget takes seconds (a number) or a datetime.timedelta, got True"),
])
def test_a_bad_budget_is_refused_before_any_call(client, server, budget, error, message):
    client.model("iris")
    before = server.explain_requests()
    with pytest.raises(error) as caught:
        client.explain("iris", SETOSA, time_budget=budget)
    assert str(caught.value) == message
    with pytest.raises(error):
        list(client.stream_explain("iris", SETOSA, time_budget=budget))
    assert server.explain_requests() == before


@pytest.mark.parametrize("budget, seconds, nanos", [
    (2, 2, 0),
    (0.25, 0, 250_000_000),
    (1.5, 1, 500_000_000),
    (1e-9, 0, 1),
    (np.float32(0.5), 0, 500_000_000),
    (datetime.timedelta(milliseconds=1500), 1, 500_000_000),
    (datetime.timedelta(microseconds=1), 0, 1000),
])
def test_budgets_become_durations(client, budget, seconds, nanos):
    request, _ = explain_request(client.model("iris"), SETOSA, "kernel_shap", {}, time_budget=budget)
    assert request.HasField("time_budget")
    assert (request.time_budget.seconds, request.time_budget.nanos) == (seconds, nanos)
    unset, _ = explain_request(client.model("iris"), SETOSA, "kernel_shap", {})
    assert not unset.HasField("time_budget")
