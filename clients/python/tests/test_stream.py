import sys
import threading
import time

import numpy as np
import pytest

from prism_client import Client, DeadlineExceededError, ExplainResult, Progress
from prism_client._stream import READER_NAME

# Large enough to run for a second or two, so that progress events come before the result.
NSAMPLES = 4000


@pytest.fixture(scope="module")
def rows(server):
    return server.background("breast_cancer")[:10]


def test_stream_explain_yields_progress_then_the_result(client, rows):
    events = list(client.stream_explain("breast_cancer", rows, nsamples=NSAMPLES, seed=5))
    progress, final = events[:-1], events[-1]
    assert isinstance(final, ExplainResult)
    assert len(progress) >= 1 and all(isinstance(e, Progress) for e in progress)
    done = [e.evaluations_done for e in progress]
    assert done == sorted(done)
    assert all(0 <= e.evaluations_done <= e.evaluations_total for e in progress)
    assert all(0 <= e.fraction <= 1 for e in progress)
    assert final.values.shape == (10, 30, 2)
    unary = client.explain("breast_cancer", rows, nsamples=NSAMPLES, seed=5)
    np.testing.assert_array_equal(final.values, unary.values)


def test_running_estimates_carry_attributions(client, rows):
    estimates = [estimate for event in client.stream_explain("breast_cancer", rows, nsamples=NSAMPLES)
                 if isinstance(event, Progress) for estimate in event.estimates]
    assert estimates, "kernel_shap streams its running estimates"
    assert all(e.values.shape == (30,) and 0 <= e.instance < 10 for e in estimates)
    assert {e.output for e in estimates} <= {"malignant", "benign"}


def test_progress_true_draws_a_bar_to_the_end(client, rows, capsys):
    result = client.explain("breast_cancer", rows, nsamples=NSAMPLES, seed=5, progress=True)
    err = capsys.readouterr().err
    assert "breast_cancer kernel_shap" in err
    assert "100%" in err
    unary = client.explain("breast_cancer", rows, nsamples=NSAMPLES, seed=5)
    np.testing.assert_array_equal(result.values, unary.values)


def test_leaving_the_stream_early_cancels_it(client, rows):
    events = client.stream_explain("breast_cancer", rows, nsamples=NSAMPLES)
    first = next(events)
    assert isinstance(first, Progress)
    events.close()
    # The client stays usable after the cancelled call.
    assert client.predict("iris", [5.1, 3.5, 1.4, 0.2]).shape == (1, 3)


def test_without_tqdm_progress_says_what_to_install(client, server, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    before = server.explain_requests()
    with pytest.raises(ImportError, match=r"pip install 'prism-client\[progress\]'"):
        client.explain("iris", [5.1, 3.5, 1.4, 0.2], "exact_shapley", progress=True)
    assert server.explain_requests() == before


# A slow reader: one item every SLOW_READ_SECONDS for READ_FOR_SECONDS, of a job that outlasts it.
# The server sends progress every 0.2 s, so handed over one by one the items would fall behind by
# about 0.7 s every second: more than 5 s by the end. Read in the background, each is the newest.
SLOW_READ_SECONDS = 0.7
READ_FOR_SECONDS = 9.0
STALENESS_BOUND = 1.5
# About 16 s of work on two cores (5 instances × 200,000 coalitions × 100 background rows).
LONG_JOB = {"nsamples": 200_000, "seed": 3, "timeout": 60}
CANCELLED = 'prism_explanations_total{method="kernel_shap",model="breast_cancer",status="CANCELLED"}'


class _RecordingCall:
    """A StreamExplain call that keeps every event as it comes off the wire."""

    def __init__(self, call, events):
        self._call = call
        self._events = events

    def __iter__(self):
        return self

    def __next__(self):
        event = next(self._call)
        self._events.append(event)
        return event

    def cancel(self):
        return self._call.cancel()


class _RecordingStub:
    def __init__(self, stub):
        self._stub = stub
        self.events = []

    def StreamExplain(self, request, **kwargs):
        return _RecordingCall(self._stub.StreamExplain(request, **kwargs), self.events)


@pytest.fixture
def recorded(server):
    """A client whose StreamExplain events are also recorded raw, as its background reader gets them."""
    with Client(server.target, timeout=120) as c:
        stub = _RecordingStub(c._replicas[0].explain)
        c._replicas[0].explain = stub
        yield c, stub.events


def _key(estimate):
    return estimate.instance, estimate.output


def _assert_merged(delivered, raw):
    """Each delivered item is the merge of the raw progress events since the previous one: the
    counters of the newest, and of each (instance, output) the newest estimate in between.
    Returns the index of the raw event each item ends with."""
    raw_progress = [e.progress for e in raw if e.HasField("progress")]
    ends, previous = [], -1
    for item in delivered:
        end = next(r for r in range(previous + 1, len(raw_progress))
                   if raw_progress[r].elapsed_seconds == item.elapsed_seconds)
        assert (raw_progress[end].evaluations_done, raw_progress[end].evaluations_total) == (
            item.evaluations_done, item.evaluations_total)
        newest = {}
        for event in raw_progress[previous + 1:end + 1]:
            newest.update((_key(e), e) for e in event.estimates)
        assert sorted(_key(e) for e in item.estimates) == sorted(newest)
        for estimate in item.estimates:
            np.testing.assert_array_equal(estimate.values, newest[_key(estimate)].attributions)
            np.testing.assert_array_equal(estimate.std_errors, newest[_key(estimate)].standard_errors)
        ends.append(end)
        previous = end
    return ends, raw_progress


def _reader_threads():
    return [t for t in threading.enumerate() if t.name == READER_NAME]


def test_a_slow_reader_gets_the_latest_state_not_a_backlog(recorded, rows):
    c, raw = recorded
    start = time.monotonic()
    events = c.stream_explain("breast_cancer", rows[:5], **LONG_JOB)
    delivered, staleness = [], []
    for event in events:
        assert isinstance(event, Progress), "the job outlasts the reading"
        now = time.monotonic() - start
        delivered.append(event)
        staleness.append(now - event.elapsed_seconds)
        if now > READ_FOR_SECONDS:
            break
        time.sleep(SLOW_READ_SECONDS)
    events.close()

    assert max(staleness) < STALENESS_BOUND, [round(s, 2) for s in staleness]
    for before, after in zip(delivered, delivered[1:]):
        assert before.elapsed_seconds < after.elapsed_seconds
        assert before.evaluations_done <= after.evaluations_done
        assert before.evaluations_total <= after.evaluations_total
    ends, raw_progress = _assert_merged(delivered, raw)
    # The stream ran well ahead of the reader, so the items did merge several events each.
    assert len(raw_progress) >= 2 * len(delivered)
    seen = {_key(e) for event in raw_progress[:ends[-1] + 1] for e in event.estimates}
    assert seen, "kernel_shap streams its running estimates"
    assert seen == {_key(e) for item in delivered for e in item.estimates}


def test_a_slow_reader_gets_the_last_progress_then_the_result_once(recorded, rows):
    c, raw = recorded
    events = c.stream_explain("breast_cancer", rows, nsamples=NSAMPLES, seed=5)
    items = []
    for event in events:
        items.append(event)
        time.sleep(0.5)
    progress, final = items[:-1], items[-1]
    assert isinstance(final, ExplainResult) and final.values.shape == (10, 30, 2)
    assert progress and all(isinstance(e, Progress) for e in progress)
    ends, raw_progress = _assert_merged(progress, raw)
    assert ends[-1] == len(raw_progress) - 1, "the server's last progress reached the reader"
    assert progress[-1].evaluations_done == progress[-1].evaluations_total
    assert {_key(e) for item in progress for e in item.estimates} == {
        (i, output) for i in range(10) for output in ("malignant", "benign")}
    assert next(events, None) is None
    assert not _reader_threads()


def test_an_error_comes_after_the_last_progress_once(recorded, rows):
    c, raw = recorded
    events = c.stream_explain("breast_cancer", rows[:5], nsamples=200_000, timeout=2)
    items = []
    with pytest.raises(DeadlineExceededError):
        for event in events:
            items.append(event)
            time.sleep(SLOW_READ_SECONDS)
    assert items and all(isinstance(e, Progress) for e in items)
    ends, raw_progress = _assert_merged(items, raw)
    assert ends[-1] == len(raw_progress) - 1, "every progress received came before the error"
    assert next(events, None) is None
    assert not _reader_threads()


def test_leaving_early_cancels_the_servers_work_and_stops_the_reader(client, server, rows):
    def wait_for_cancellations(expected):
        deadline = time.monotonic() + 10
        while server.metric(CANCELLED) != expected:
            assert time.monotonic() < deadline, f"{CANCELLED} is {server.metric(CANCELLED)}, want {expected}"
            time.sleep(0.05)

    before = server.metric(CANCELLED)
    for event in client.stream_explain("breast_cancer", rows[:5], **LONG_JOB):
        assert isinstance(event, Progress)
        break
    assert not _reader_threads()
    wait_for_cancellations(before + 1)

    events = client.stream_explain("breast_cancer", rows[:5], **LONG_JOB)
    next(events)
    events.close()
    assert not _reader_threads()
    wait_for_cancellations(before + 2)

    events = client.stream_explain("breast_cancer", rows[:5], **LONG_JOB)
    next(events)
    del events
    assert not _reader_threads()
    wait_for_cancellations(before + 3)
