"""One client over a fleet of servers: several targets, and a large job in chunks that survives a
replica's death."""

import collections
import threading

import grpc
import numpy as np
import pytest
from helpers import assert_merged_equals_one_servers, near_background

from prism_client import Client, InvalidArgumentError, UnavailableError, _channel, _chunks

ROWS = 3000
CHUNK_ROWS = 100


def test_a_chunked_job_survives_a_replica_killed_mid_job(fleet):
    X = near_background(fleet[0], "iris", ROWS)
    with Client(fleet[0].target, timeout=120) as one:
        expected = one.explain("iris", X, "exact_shapley", diagnostics=True)
    victim, bystander = fleet[2], fleet[1]
    bystander_before = bystander.explain_requests()
    answered = collections.Counter()
    rows_answered = []
    lock = threading.Lock()

    def on_chunk(target, start, stop):
        with lock:
            answered[target] += 1
            rows_answered.extend(range(start, stop))
            first_of_victim = target == victim.target and answered[target] == 1
        if first_of_victim:  # the victim's next chunk meets a dead server
            victim.process.kill()
            victim.process.wait(timeout=30)

    with Client([s.target for s in fleet], timeout=120) as fleet_client:
        result = fleet_client.explain("iris", X, "exact_shapley", diagnostics=True, chunk_rows=CHUNK_ROWS,
                                      on_chunk=on_chunk)

    assert victim.process.poll() is not None
    assert sorted(rows_answered) == list(range(ROWS))  # every row answered once
    assert answered[victim.target] == 1
    assert answered[fleet[0].target] >= 1 and answered[bystander.target] >= 1
    assert sum(answered.values()) == ROWS // CHUNK_ROWS
    assert bystander.explain_requests() - bystander_before == answered[bystander.target]
    assert_merged_equals_one_servers(result, expected, X)


def test_targets_come_as_a_list_or_a_comma_separated_string_and_spread_plain_calls(fleet):
    live = [s for s in fleet if s.process.poll() is None][:2]
    assert len(live) == 2
    before = [s.explain_requests() for s in live]
    with Client(",".join(s.target for s in live), timeout=120) as c:
        assert c.targets == [s.target for s in live]
        for _ in range(4):
            c.explain("iris", near_background(live[0], "iris", 2), "exact_shapley")
    assert [s.explain_requests() - b for s, b in zip(live, before)] == [2, 2]


def test_a_chunked_job_keeps_a_dataframe_index_and_fails_on_a_bad_argument(fleet):
    pd = pytest.importorskip("pandas")
    live = [s for s in fleet if s.process.poll() is None]
    X = pd.DataFrame(near_background(live[0], "iris", 7),
                     columns=["sepal_length", "sepal_width", "petal_length", "petal_width"],
                     index=[f"r{i}" for i in range(7)])
    with Client([s.target for s in live], timeout=120) as c:
        result = c.explain("iris", X, "exact_shapley", chunk_rows=3)
        whole = c.explain("iris", X, "exact_shapley")
        with pytest.raises(InvalidArgumentError):
            c.explain("iris", X, "kernel_shap", chunk_rows=3, nsamples=-1)
    assert list(result.index) == list(X.index)
    np.testing.assert_array_equal(result.values, whole.values)


def test_targets_parse_lists_strings_and_resolver_names():
    assert _channel.targets("a:1") == ["a:1"]
    assert _channel.targets("a:1, b:2") == ["a:1", "b:2"]
    assert _channel.targets(["a:1", "b:2"]) == ["a:1", "b:2"]
    assert _channel.targets("dns:///prism:8001") == ["dns:///prism:8001"]
    assert _channel.targets("ipv4:127.0.0.1:1,127.0.0.1:2") == ["ipv4:127.0.0.1:1,127.0.0.1:2"]
    for bad in ("", "a:1,", []):
        with pytest.raises(ValueError):
            _channel.targets(bad)


def _unavailable():
    return UnavailableError(grpc.StatusCode.UNAVAILABLE, "shutting down", reason="SHUTTING_DOWN")


def test_a_chunk_refused_as_unavailable_goes_to_the_next_replica_once():
    calls = []
    b_refused = threading.Event()

    def call(replica, chunk):
        calls.append((replica, chunk))
        if replica == "b":
            b_refused.set()
            raise _unavailable()
        assert b_refused.wait(timeout=30)  # so that b takes a chunk before a and c take them all
        return chunk * 10

    assert _chunks.run(range(6), ["a", "b", "c"], call, workers=3) == [0, 10, 20, 30, 40, 50]
    assert sum(1 for r, _ in calls if r == "b") == 1  # dropped after its refusal
    answered = sorted(chunk for r, chunk in calls if r != "b")
    assert answered == list(range(6))


def test_a_job_fails_when_every_replica_refuses_and_at_the_first_other_error():
    with pytest.raises(UnavailableError):
        _chunks.run(range(4), ["a", "b"], lambda r, c: (_ for _ in ()).throw(_unavailable()), workers=2)
    with pytest.raises(ValueError, match="bad"):
        _chunks.run(range(4), ["a"], lambda r, c: (_ for _ in ()).throw(ValueError("bad")), workers=1)
    assert _chunks.bounds(250, 100) == [(0, 100), (100, 200), (200, 250)]
    with pytest.raises(ValueError):
        _chunks.bounds(10, 0)
