import asyncio

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
    assert [m.name for m in models] == ["breast_cancer", "diabetes", "digits", "digits_cnn", "iris"]
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
