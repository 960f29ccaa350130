"""The client's default deadlines: `timeout` bounds models, model and predict; `explain_timeout`
bounds explanations, which have none by default, so a client-wide timeout never kills a long job."""

import asyncio

import pytest

from prism_client import AsyncClient, Client, DeadlineExceededError, ExplainResult
from prism_client._channel import CallSettings

SHORT = 0.3


def test_each_default_goes_to_its_calls_and_a_calls_own_timeout_wins():
    settings = CallSettings(60, None, {"authorization": "Bearer t"})
    assert settings(None) == {"timeout": 60, "metadata": (("authorization", "Bearer t"),)}
    assert settings(None, explaining=True)["timeout"] is None
    assert settings(5, explaining=True)["timeout"] == 5
    bounded = CallSettings(60, 600, None)
    assert bounded(None, explaining=True) == {"timeout": 600, "metadata": None}
    assert bounded(None)["timeout"] == 60
    assert bounded(2)["timeout"] == 2


@pytest.fixture(scope="module")
def rows(server):
    """Breast cancer rows whose explanation takes the server well over SHORT seconds."""
    return server.background("breast_cancer")[:12]


def _known(client):
    """Reads the model's signature within a generous deadline, so that only the explanation is timed."""
    client.model("breast_cancer", timeout=60)
    return client


def test_a_short_client_timeout_does_not_bound_an_explanation(server, rows):
    with _known(Client(server.target, timeout=SHORT)) as client:
        result = client.explain("breast_cancer", rows, nsamples=4000)
        streamed = list(client.stream_explain("breast_cancer", rows, nsamples=4000))
    assert result.elapsed_seconds > SHORT
    assert result.values.shape == (12, 30, 2)
    assert isinstance(streamed[-1], ExplainResult)
    assert streamed[-1].elapsed_seconds > SHORT


def test_explain_timeout_bounds_explanations(server, rows):
    with _known(Client(server.target, explain_timeout=SHORT)) as client:
        with pytest.raises(DeadlineExceededError):
            client.explain("breast_cancer", rows, nsamples=4000)
        with pytest.raises(DeadlineExceededError):
            list(client.stream_explain("breast_cancer", rows, nsamples=4000))
        assert client.explain("breast_cancer", rows[:1], nsamples=4000, timeout=120).values.shape == (1, 30, 2)


def test_the_async_client_splits_its_deadlines_the_same_way(server, rows):
    async def calls():
        async with AsyncClient(server.target, timeout=SHORT) as client:
            await client.model("breast_cancer", timeout=60)
            result = await client.explain("breast_cancer", rows, nsamples=4000)
        async with AsyncClient(server.target, explain_timeout=SHORT) as bounded:
            await bounded.model("breast_cancer", timeout=60)
            with pytest.raises(DeadlineExceededError):
                await bounded.explain("breast_cancer", rows, nsamples=4000)
        return result

    assert asyncio.run(calls()).elapsed_seconds > SHORT
