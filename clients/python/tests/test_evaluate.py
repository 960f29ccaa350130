"""explain(..., evaluate=...): the metrics the server computes, as arrays, and the deletion curve's plot."""

import asyncio
import sys

import grpc
import matplotlib
import numpy as np
import pytest
from helpers import IRIS_OUTPUTS, SETOSA, VERSICOLOR, VIRGINICA

from prism_client import AsyncClient
from prism_client._proto.prism.v1 import explain_service_pb2, explain_service_pb2_grpc, tensor_pb2

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA])
EVERY_METRIC = {
    "deletion": {"steps": 0},
    "infidelity": {"n_perturbations": 6, "noise_std": 0.2, "seed": 11},
    "sensitivity": {"radius": 0.05, "n_perturbations": 3, "top_k": 2, "seed": 4},
    "complexity": {"fraction": 0.8},
}


def raw_explain(server, evaluate: explain_service_pb2.EvaluationParams, rows: np.ndarray = FLOWERS
                ) -> explain_service_pb2.ExplainResponse:
    """The server's answer to the request made with the generated stubs alone."""
    request = explain_service_pb2.ExplainRequest(
        model="iris", format=explain_service_pb2.FORMAT_PER_EXPLANATION, evaluate=evaluate,
        inputs=[tensor_pb2.Tensor(shape=list(rows.shape), float_data=rows.ravel().tolist())])
    request.exact_shapley.SetInParent()
    with grpc.insecure_channel(server.target) as channel:
        return explain_service_pb2_grpc.ExplainServiceStub(channel).Explain(request, timeout=120)


def by_explanation(response: explain_service_pb2.ExplainResponse) -> dict[tuple[int, int], explain_service_pb2.Evaluation]:
    return {(e.instance, IRIS_OUTPUTS.index(e.output)): e.evaluation for e in response.explanations}


def assert_same_as_server(evaluation, expected: dict) -> None:
    for (i, k), e in expected.items():
        for name in ("deletion", "insertion"):
            curve, sent = getattr(evaluation, name), getattr(e, name)
            np.testing.assert_array_equal(curve.order[i, k], sent.order)
            np.testing.assert_array_equal(curve.moved[i, k], sent.moved)
            np.testing.assert_array_equal(curve.values[i, k], sent.values)
            assert curve.area[i, k] == sent.area
            assert curve.normalized_area[i, k] == sent.normalized_area
            assert 0 <= curve.normalized_area[i, k] <= 1
        assert evaluation.infidelity[i, k] == e.infidelity.value
        assert evaluation.infidelity_normalized[i, k] == e.infidelity.normalized
        assert evaluation.infidelity_beta[i, k] == e.infidelity.beta
        assert evaluation.infidelity_samples[i, k] == e.infidelity.samples == 6
        assert evaluation.sensitivity_max[i, k] == e.sensitivity.max
        assert evaluation.rank_stability[i, k] == e.sensitivity.rank_stability
        assert evaluation.top_k[i, k] == e.sensitivity.top_k == 2
        assert evaluation.entropy[i, k] == e.complexity.entropy
        assert evaluation.effective_features[i, k] == e.complexity.effective_features
        assert evaluation.fraction[i, k] == e.complexity.fraction == 0.8


def test_every_metric_equals_what_the_server_computed(client, server):
    expected = by_explanation(raw_explain(server, explain_service_pb2.EvaluationParams(
        deletion=explain_service_pb2.DeletionParams(steps=0),
        infidelity=explain_service_pb2.InfidelityParams(n_perturbations=6, noise_std=0.2, seed=11),
        sensitivity=explain_service_pb2.SensitivityParams(radius=0.05, n_perturbations=3, top_k=2, seed=4),
        complexity=explain_service_pb2.ComplexityParams(fraction=0.8))))
    result = client.explain("iris", FLOWERS, "exact_shapley", evaluate=EVERY_METRIC)
    assert len(expected) == 9
    evaluation = result.evaluation
    assert evaluation.deletion.values.shape == (3, 3, 5)
    assert evaluation.deletion.order.shape == (3, 3, 4)
    assert evaluation.entropy.shape == (3, 3)
    assert_same_as_server(evaluation, expected)
    # steps=0: one point per feature count.
    np.testing.assert_array_equal(evaluation.deletion.moved[0, 0], [0, 1, 2, 3, 4])


def test_true_asks_for_complexity_and_ten_step_curves(client, server):
    expected = by_explanation(raw_explain(server, explain_service_pb2.EvaluationParams(
        deletion=explain_service_pb2.DeletionParams(steps=10), complexity=explain_service_pb2.ComplexityParams())))
    evaluation = client.explain("iris", FLOWERS, "exact_shapley", evaluate=True).evaluation
    assert evaluation.infidelity is None and evaluation.sensitivity_max is None and evaluation.top_k is None
    for (i, k), e in expected.items():
        np.testing.assert_array_equal(evaluation.deletion.values[i, k], e.deletion.values)
        np.testing.assert_array_equal(evaluation.insertion.values[i, k], e.insertion.values)
        assert evaluation.entropy[i, k] == e.complexity.entropy
        assert evaluation.effective_features[i, k] == e.complexity.effective_features


def test_a_message_is_sent_as_it_is(client):
    params = explain_service_pb2.EvaluationParams(complexity=explain_service_pb2.ComplexityParams(fraction=0.5))
    evaluation = client.explain("iris", FLOWERS, "exact_shapley", evaluate=params).evaluation
    assert evaluation.deletion is None
    np.testing.assert_array_equal(evaluation.fraction, np.full((3, 3), 0.5))


def test_the_plot_draws_the_curves_of_the_instance_and_output(client):
    result = client.explain("iris", FLOWERS, "exact_shapley", evaluate={"deletion": {"steps": 0}})
    curves = result.evaluation
    fig, ax = plt.subplots()
    try:
        assert result.plot_deletion_curve(instance=2, output="virginica", ax=ax) is ax
        deletion, insertion = ax.get_lines()
        np.testing.assert_array_equal(deletion.get_xdata(), np.arange(5) / 4)
        np.testing.assert_array_equal(deletion.get_ydata(), curves.deletion.values[2, 2])
        np.testing.assert_array_equal(insertion.get_ydata(), curves.insertion.values[2, 2])
        # The curve starts at the instance's output and, every feature removed, ends at the base value.
        assert deletion.get_ydata()[0] == pytest.approx(result.model_outputs[2, 2], abs=1e-9)
        assert deletion.get_ydata()[-1] == pytest.approx(result.base_values[2, 2], abs=1e-9)
    finally:
        plt.close(fig)


def test_without_evaluate_there_is_no_evaluation(client):
    result = client.explain("iris", FLOWERS, "exact_shapley", diagnostics=True)
    with pytest.raises(AttributeError, match="evaluate=True"):
        result.evaluation
    with pytest.raises(AttributeError, match="evaluate=True"):
        result.plot_deletion_curve()


@pytest.mark.parametrize("spec, message", [
    ({"fidelity": {}}, "no metric 'fidelity'"),
    ({"deletion": {"step": 3}}, "evaluate.deletion has no parameter 'step'"),
    ({"deletion": 10}, "evaluate\\['deletion'\\] takes a mapping"),
    ({}, "names no metric"),
    ("deletion", "evaluate takes True"),
])
def test_a_bad_spec_is_refused_before_any_call(client, server, spec, message):
    client.model("iris")
    before = server.explain_requests()
    with pytest.raises(ValueError, match=message):
        client.explain("iris", FLOWERS, "exact_shapley", evaluate=spec)
    assert server.explain_requests() == before


def test_chunks_draw_the_perturbations_of_one_request(client):
    spec = {"infidelity": {"seed": 5}, "sensitivity": {"n_perturbations": 2, "seed": 9}}
    whole = client.explain("iris", FLOWERS, "exact_shapley", evaluate=spec).evaluation
    chunked = client.explain("iris", FLOWERS, "exact_shapley", evaluate=spec, chunk_rows=1).evaluation
    np.testing.assert_array_equal(chunked.infidelity, whole.infidelity)
    np.testing.assert_array_equal(chunked.sensitivity_max, whole.sensitivity_max)
    np.testing.assert_array_equal(chunked.rank_stability, whole.rank_stability)


def test_the_stream_and_the_async_client_carry_it(client, server):
    expected = client.explain("iris", FLOWERS, "exact_shapley", evaluate=EVERY_METRIC).evaluation
    *_, streamed = client.stream_explain("iris", FLOWERS, "exact_shapley", evaluate=EVERY_METRIC)
    np.testing.assert_array_equal(streamed.evaluation.deletion.values, expected.deletion.values)
    np.testing.assert_array_equal(streamed.evaluation.sensitivity_max, expected.sensitivity_max)

    async def explain():
        async with AsyncClient(server.target) as c:
            return await c.explain("iris", FLOWERS, "exact_shapley", evaluate=EVERY_METRIC)

    awaited = asyncio.run(explain()).evaluation
    np.testing.assert_array_equal(awaited.deletion.values, expected.deletion.values)
    np.testing.assert_array_equal(awaited.infidelity, expected.infidelity)


def test_the_plot_without_matplotlib_names_the_extra(client, monkeypatch):
    result = client.explain("iris", FLOWERS, "exact_shapley", evaluate=True)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"prism-client\[plot\]"):
        result.plot_deletion_curve()
