"""The asyncio client over a fleet: a large job in chunks that survives a replica's death, stops at
the first other error, and cancels its calls when its caller is cancelled."""

import asyncio
import collections
import time

import grpc
import pytest
from helpers import assert_merged_equals_one_servers, near_background, start_prism

from prism_client import AsyncClient, Client, UnauthenticatedError, UnavailableError, _chunks

ROWS = 3000
CHUNK_ROWS = 100
# Chunks of kernel_shap on breast_cancer that run for many seconds each (5 rows of test_async's long job).
LONG_CHUNK_ROWS = 5
LONG_JOB = {"nsamples": 200_000, "seed": 3}
CANCELLED = 'prism_explanations_total{method="kernel_shap",model="breast_cancer",status="CANCELLED"}'
RUNNING = "prism_explain_running"


def run(coroutine):
    return asyncio.run(coroutine)


async def until(server, series, expected):
    """Waits until the server's metric `series` is `expected` (10 s at most)."""
    deadline = time.monotonic() + 10
    while server.metric(series) != expected:
        assert time.monotonic() < deadline, f"{series} is {server.metric(series)}, want {expected}"
        await asyncio.sleep(0.05)


def test_a_chunked_job_survives_a_replica_killed_mid_job(fleet):
    X = near_background(fleet[0], "iris", ROWS)
    with Client(fleet[0].target, timeout=120) as one:
        expected = one.explain("iris", X, "exact_shapley", diagnostics=True)
    victim, bystander = fleet[2], fleet[1]
    bystander_before = bystander.explain_requests()
    answered = collections.Counter()
    rows_answered = []

    def on_chunk(target, start, stop):  # on the event loop: no other chunk's callback runs meanwhile
        answered[target] += 1
        rows_answered.extend(range(start, stop))
        if target == victim.target and answered[target] == 1:  # the victim's next chunk meets a dead server
            victim.process.kill()
            victim.process.wait(timeout=30)

    async def job():
        async with AsyncClient([s.target for s in fleet], timeout=120) as client:
            assert client.targets == [s.target for s in fleet]
            return await client.explain("iris", X, "exact_shapley", diagnostics=True, chunk_rows=CHUNK_ROWS,
                                        on_chunk=on_chunk)

    result = run(job())

    assert victim.process.poll() is not None
    assert sorted(rows_answered) == list(range(ROWS))  # every row answered once
    assert answered[victim.target] == 1
    assert answered[fleet[0].target] >= 1 and answered[bystander.target] >= 1
    assert sum(answered.values()) == ROWS // CHUNK_ROWS
    assert bystander.explain_requests() - bystander_before == answered[bystander.target]
    assert_merged_equals_one_servers(result, expected, X)


def test_another_error_cancels_the_running_chunks_and_is_raised_as_the_blocking_client_raises_it(
        fleet, tmp_path):
    live = next(s for s in fleet if s.process.poll() is None)
    tokens = tmp_path / "tokens"
    tokens.write_text("only-this-token  *\n")
    with start_prism("--tokens-file", str(tokens)) as guarded:
        # Each client's first call (the model's signature) goes to its first target, which answers it.
        targets = [live.target, guarded.target]
        with Client(targets, timeout=120) as blocking:
            with pytest.raises(UnauthenticatedError):
                blocking.explain("iris", near_background(live, "iris", 4), "exact_shapley", chunk_rows=1)

        rows = near_background(live, "breast_cancer", 4 * LONG_CHUNK_ROWS)
        requests_before, cancelled_before = live.explain_requests(), live.metric(CANCELLED)

        async def job():
            async with AsyncClient(targets, timeout=120) as client:
                # The first chunk runs on `live` for many seconds; the second is refused by `guarded`.
                with pytest.raises(UnauthenticatedError) as caught:
                    await client.explain("breast_cancer", rows, chunk_rows=LONG_CHUNK_ROWS, concurrency=2,
                                         **LONG_JOB)
                await until(live, CANCELLED, cancelled_before + 1)
                await until(live, RUNNING, 0)
                return caught.value

        error = run(job())
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert live.explain_requests() - requests_before == 1  # no chunk started after the error


def test_cancelling_the_caller_cancels_every_chunks_call(fleet):
    live = [s for s in fleet if s.process.poll() is None]
    rows = near_background(live[0], "breast_cancer", 4 * len(live) * LONG_CHUNK_ROWS)
    requests_before = [s.explain_requests() for s in live]
    cancelled_before = [s.metric(CANCELLED) for s in live]

    async def job():
        async with AsyncClient([s.target for s in live], timeout=120) as client:
            explaining = asyncio.create_task(client.explain("breast_cancer", rows, chunk_rows=LONG_CHUNK_ROWS,
                                                            **LONG_JOB))
            for server in live:  # one chunk on each (concurrency is one per target)
                await until(server, RUNNING, 1)
            explaining.cancel()
            with pytest.raises(asyncio.CancelledError):
                await explaining
            # Still inside the client: its channels, open, would not cancel the calls for it.
            for server, before in zip(live, cancelled_before):
                await until(server, CANCELLED, before + 1)
                await until(server, RUNNING, 0)

    run(job())
    assert [s.explain_requests() - b for s, b in zip(live, requests_before)] == [1] * len(live)


def _unavailable():
    return UnavailableError(grpc.StatusCode.UNAVAILABLE, "shutting down", reason="SHUTTING_DOWN")


def test_a_refused_chunk_goes_to_the_next_replica_once_as_in_the_blocking_runner():
    calls = []

    async def call(replica, chunk):
        calls.append((replica, chunk))
        await asyncio.sleep(0)
        if replica == "b":
            raise _unavailable()
        return chunk * 10

    assert run(_chunks.run_async(range(6), ["a", "b", "c"], call, 3)) == [0, 10, 20, 30, 40, 50]
    assert calls[:3] == [("a", 0), ("b", 1), ("c", 2)]  # one chunk on each replica at first
    assert sum(1 for r, _ in calls if r == "b") == 1  # dropped after its refusal
    assert sorted(chunk for r, chunk in calls if r != "b") == list(range(6))


@pytest.mark.parametrize("runner", ["blocking", "asyncio"])
def test_a_single_target_is_tried_three_times_per_chunk_and_every_replica_once(runner):
    calls = []

    def refuse(replica, chunk):
        calls.append(replica)
        raise _unavailable()

    async def refuse_async(replica, chunk):
        refuse(replica, chunk)

    def job(replicas):
        if runner == "blocking":
            return _chunks.run(range(1), replicas, refuse, 1)
        return run(_chunks.run_async(range(1), replicas, refuse_async, 1))

    with pytest.raises(UnavailableError):
        job(["a"])
    assert calls == ["a"] * _chunks.SINGLE_TARGET_ATTEMPTS
    calls.clear()
    with pytest.raises(UnavailableError):
        job(["a", "b", "c"])
    assert calls == ["a", "b", "c"]


def test_a_single_target_waits_as_long_as_its_retry_info_says():
    job = _chunks.Job(chunks=1, replicas=1)
    job.replica()
    told = UnavailableError(grpc.StatusCode.UNAVAILABLE, "backend down", reason="BACKEND_UNAVAILABLE",
                            retry_delay=0.7)
    assert job.refused(0, 0, told) == 0.7
    job.replica()
    assert job.refused(0, 0, _unavailable()) == 2 * _chunks._BACKOFF_SECONDS  # no RetryInfo: the backoff
    job.replica()
    with pytest.raises(UnavailableError):
        job.refused(0, 0, told)


def test_the_chunking_arguments_are_checked_before_any_call():
    async def calls(client):
        with pytest.raises(ValueError, match="progress"):
            await client.explain("iris", [[0.0] * 4], chunk_rows=1, progress=True)
        with pytest.raises(ValueError, match="go with chunk_rows"):
            await client.explain("iris", [[0.0] * 4], concurrency=2)
        with pytest.raises(ValueError, match="go with chunk_rows"):
            await client.explain("iris", [[0.0] * 4], on_chunk=print)

    async def job():
        async with AsyncClient("127.0.0.1:1", timeout=1) as client:  # nothing listens there
            await calls(client)

    run(job())
    with pytest.raises(ValueError, match="concurrency"):
        _chunks.workers(0, 2)
    assert _chunks.workers(None, 3) == 3 and _chunks.workers(None, 1) == 4 and _chunks.workers(2, 3) == 2
