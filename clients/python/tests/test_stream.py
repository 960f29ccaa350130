import sys

import numpy as np
import pytest

from prism_client import ExplainResult, Progress

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
