import asyncio
import time

import grpc
import numpy as np
import pytest
from helpers import IRIS_FEATURES, SETOSA, VERSICOLOR, VIRGINICA

from prism_client import (
    AsyncClient,
    DeadlineExceededError,
    ExplainResult,
    InvalidArgumentError,
    NotFoundError,
    Progress,
)
from prism_client._stream import READER_NAME

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA])


def run(coroutine_function, target):
    async def main():
        async with AsyncClient(target, timeout=120) as client:
            return await coroutine_function(client)

    return asyncio.run(main())


def test_models_model_and_predict(server):
    async def calls(client):
        return await client.models(), await client.model("iris"), await client.predict("iris", FLOWERS)

    models, iris, predicted = run(calls, server.target)
    assert [m.name for m in models] == ["breast_cancer", "breast_cancer_xgb", "diabetes", "digits", "digits_cnn", "iris"]
    assert iris.feature_names == tuple(IRIS_FEATURES)
    assert list(predicted.argmax(axis=1)) == [0, 1, 2]


def test_explain_matches_the_blocking_client(server, client):
    async def calls(client):
        return await client.explain("iris", FLOWERS, "exact_shapley")

    result = run(calls, server.target)
    np.testing.assert_array_equal(result.values, client.explain("iris", FLOWERS, "exact_shapley").values)
    np.testing.assert_allclose(result.values.sum(axis=1), result.model_outputs - result.base_values,
                               rtol=0, atol=1e-6)


def test_concurrent_explanations(server):
    async def calls(client):
        return await asyncio.gather(*(client.explain("iris", flower, "exact_shapley") for flower in FLOWERS))

    results = run(calls, server.target)
    assert [r.model_outputs[0].argmax() for r in results] == [0, 1, 2]


def test_stream_explain_is_an_async_iterator(server):
    rows = server.background("breast_cancer")[:10]

    async def calls(client):
        return [event async for event in client.stream_explain("breast_cancer", rows, nsamples=4000)]

    events = run(calls, server.target)
    assert isinstance(events[-1], ExplainResult)
    assert events[-1].values.shape == (10, 30, 2)
    assert len(events) >= 2 and all(isinstance(e, Progress) for e in events[:-1])


def test_progress_bar(server, capsys):
    rows = server.background("breast_cancer")[:10]

    async def calls(client):
        return await client.explain("breast_cancer", rows, nsamples=4000, progress=True)

    assert run(calls, server.target).values.shape == (10, 30, 2)
    assert "100%" in capsys.readouterr().err


def test_errors_carry_the_status_details(server):
    async def invalid(client):
        await client.explain("iris", SETOSA, nsamples=1)

    with pytest.raises(InvalidArgumentError) as caught:
        run(invalid, server.target)
    assert caught.value.reason == "INVALID_PARAMS"
    assert caught.value.field_violations[0][0] == "kernel_shap.nsamples"

    async def unknown(client):
        await client.model("tulips")

    with pytest.raises(NotFoundError) as caught:
        run(unknown, server.target)
    assert caught.value.reason == "MODEL_NOT_FOUND"


def test_a_tiny_deadline_is_exceeded(server):
    rows = server.background("breast_cancer")[:50]

    async def slow(client):
        await client.model("breast_cancer")
        await client.explain("breast_cancer", rows, timeout=0.05)

    with pytest.raises(DeadlineExceededError) as caught:
        run(slow, server.target)
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


# As in test_stream: a reader of one item every 0.7 s for 9 s, on a job of about 16 s.
SLOW_READ_SECONDS = 0.7
READ_FOR_SECONDS = 9.0
STALENESS_BOUND = 1.5
LONG_JOB = {"nsamples": 200_000, "seed": 3, "timeout": 60}
CANCELLED = 'prism_explanations_total{method="kernel_shap",model="breast_cancer",status="CANCELLED"}'


def _readers():
    return [t for t in asyncio.all_tasks() if t.get_name() == READER_NAME and not t.done()]


def test_a_slow_reader_gets_the_latest_state_not_a_backlog(server):
    rows = server.background("breast_cancer")[:5]

    async def calls(client):
        await client.model("breast_cancer")
        loop = asyncio.get_running_loop()
        start = loop.time()
        delivered, staleness = [], []
        events = client.stream_explain("breast_cancer", rows, **LONG_JOB)
        async for event in events:
            assert isinstance(event, Progress), "the job outlasts the reading"
            now = loop.time() - start
            delivered.append(event)
            staleness.append(now - event.elapsed_seconds)
            if now > READ_FOR_SECONDS:
                break
            await asyncio.sleep(SLOW_READ_SECONDS)
        await events.aclose()
        return delivered, staleness, _readers()

    delivered, staleness, readers = run(calls, server.target)
    assert max(staleness) < STALENESS_BOUND, [round(s, 2) for s in staleness]
    assert len(delivered) >= READ_FOR_SECONDS / (SLOW_READ_SECONDS + STALENESS_BOUND)
    for before, after in zip(delivered, delivered[1:]):
        assert before.elapsed_seconds < after.elapsed_seconds
        assert before.evaluations_done <= after.evaluations_done
        assert before.evaluations_total <= after.evaluations_total
    assert any(item.estimates for item in delivered), "kernel_shap streams its running estimates"
    assert readers == []


def test_leaving_early_cancels_the_servers_work_and_stops_the_reader(server):
    rows = server.background("breast_cancer")[:5]

    async def cancelled(expected):
        deadline = time.monotonic() + 10
        while server.metric(CANCELLED) != expected:
            assert time.monotonic() < deadline, f"{CANCELLED} is {server.metric(CANCELLED)}, want {expected}"
            await asyncio.sleep(0.05)

    async def calls(client):
        before = server.metric(CANCELLED)
        # Closed explicitly: the reader is gone when aclose returns.
        events = client.stream_explain("breast_cancer", rows, **LONG_JOB)
        assert isinstance(await anext(events), Progress)
        await events.aclose()
        assert _readers() == []
        await cancelled(before + 1)

        # Dropped after break: the event loop closes the generator.
        async for event in client.stream_explain("breast_cancer", rows, **LONG_JOB):
            assert isinstance(event, Progress)
            break
        await cancelled(before + 2)
        assert _readers() == []

        # The consuming task cancelled while it waits for the next item.
        async def consume():
            async for _ in client.stream_explain("breast_cancer", rows, **LONG_JOB):
                pass

        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(consume(), timeout=1.0)
        assert _readers() == []
        await cancelled(before + 3)

    run(calls, server.target)


def test_several_targets_take_the_calls_in_turn(server):
    before = server.explain_requests()

    async def calls(client):
        return [await client.explain("iris", FLOWERS, "exact_shapley") for _ in range(4)]

    # The same server twice stands for two replicas: each channel takes every other call.
    results = run(calls, [server.target, server.target])
    assert len(results) == 4 and all(r.method == "exact_shapley" for r in results)
    np.testing.assert_array_equal(results[0].values, results[3].values)
    assert server.explain_requests() == before + 4
