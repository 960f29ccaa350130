"""client.evaluate(...) and result.evaluate(...): the Evaluate call over given attributions, or over
the attributions the server computes first."""

import asyncio

import numpy as np
import pytest
from helpers import IRIS_OUTPUTS, SETOSA, VERSICOLOR, VIRGINICA

from prism_client import AsyncClient, InvalidArgumentError, PrismWarning, _request
from prism_client._proto.prism.v1 import explain_service_pb2

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA])
# Every metric, with perturbations seeded so that two requests draw the same ones.
METRICS = {
    "deletion": {"steps": 0},
    "infidelity": {"n_perturbations": 6, "noise_std": 0.2, "seed": 11},
    "sensitivity": {"radius": 0.05, "n_perturbations": 3, "top_k": 2, "seed": 4},
    "complexity": {"fraction": 0.8},
}
CURVE_FIELDS = ("order", "moved", "values", "area")
SCALARS = ("infidelity", "infidelity_normalized", "infidelity_beta", "infidelity_samples", "sensitivity_max",
           "rank_stability", "top_k", "entropy", "effective_features", "fraction")


def assert_same_evaluation(evaluation, expected) -> None:
    """Every metric of both, bit for bit."""
    for name in ("deletion", "insertion"):
        for field in CURVE_FIELDS:
            np.testing.assert_array_equal(getattr(getattr(evaluation, name), field),
                                          getattr(getattr(expected, name), field), err_msg=f"{name}.{field}")
    for name in SCALARS:
        np.testing.assert_array_equal(getattr(evaluation, name), getattr(expected, name), err_msg=name)


@pytest.fixture(scope="module")
def explained(client):
    """exact_shapley's explanation of the flowers with every metric, as Explain answers it."""
    return client.explain("iris", FLOWERS, "exact_shapley", evaluate=METRICS)


def test_given_attributions_equal_to_explains_evaluate_alike(client, explained):
    result = client.evaluate("iris", FLOWERS, "exact_shapley", attributions=explained.values, evaluate=METRICS)
    np.testing.assert_array_equal(result.values, explained.values)
    np.testing.assert_array_equal(result.base_values, explained.base_values)
    np.testing.assert_array_equal(result.model_outputs, explained.model_outputs)
    assert result.output_names == IRIS_OUTPUTS and result.method == "exact_shapley"
    assert_same_evaluation(result.evaluation, explained.evaluation)


def test_the_given_attributions_are_the_ones_evaluated(client, explained):
    """Other attributions move the features in their own order, and change the complexity."""
    reversed_values = -explained.values
    # -phi sums to -(f(x) - base): the server says so, and the warning points at this call.
    with pytest.warns(PrismWarning, match="EFFICIENCY_GAP") as warned:
        evaluation = client.evaluate("iris", FLOWERS, "exact_shapley", attributions=reversed_values,
                                     evaluate={"deletion": {}, "complexity": {}}).evaluation
    assert warned[0].filename == __file__
    for i in range(3):
        for k in range(3):
            phi = reversed_values[i, :, k]
            np.testing.assert_array_equal(evaluation.deletion.order[i, k], np.lexsort((np.arange(4), -phi)))
    # Complexity reads |phi| only: the same for phi and -phi.
    np.testing.assert_array_equal(evaluation.entropy, explained.evaluation.entropy)
    shares = np.abs(reversed_values) / np.abs(reversed_values).sum(axis=1, keepdims=True)
    expected_entropy = -(np.where(shares > 0, shares * np.log(np.where(shares > 0, shares, 1)), 0)).sum(axis=1)
    np.testing.assert_allclose(evaluation.entropy, expected_entropy, rtol=1e-12, atol=1e-12)


def test_one_output_takes_instances_by_features(client, explained):
    k = IRIS_OUTPUTS.index("virginica")
    result = client.evaluate("iris", FLOWERS, "exact_shapley", outputs="virginica",
                             attributions=explained.values[:, :, k], evaluate={"deletion": {"steps": 0}})
    assert result.output_names == ["virginica"]
    np.testing.assert_array_equal(result.evaluation.deletion.values[:, 0], explained.evaluation.deletion.values[:, k])


def test_without_attributions_the_server_explains_first(client, explained):
    result = client.evaluate("iris", FLOWERS, "exact_shapley", evaluate=METRICS)
    np.testing.assert_array_equal(result.values, explained.values)
    assert_same_evaluation(result.evaluation, explained.evaluation)


def test_evaluate_true_asks_for_the_cheap_metrics(client):
    evaluation = client.evaluate("iris", FLOWERS, "exact_shapley").evaluation
    assert evaluation.deletion.moved.shape == (3, 3, 5) and evaluation.entropy.shape == (3, 3)
    assert evaluation.infidelity is None and evaluation.sensitivity_max is None


@pytest.mark.parametrize("attributions, message", [
    (np.zeros((3, 4)), r"\[instances, features, outputs\] = \[3, 4, 3\].*got \[3, 4\]"),
    (np.zeros((3, 4, 2)), r"= \[3, 4, 3\].*got \[3, 4, 2\]"),
    (np.zeros((2, 4, 3)), r"got \[2, 4, 3\]"),
    (np.zeros((3, 3, 3)), r"got \[3, 3, 3\]"),
    (np.zeros((3, 4, 3, 1)), r"got \[3, 4, 3, 1\]"),
    (np.full((3, 4, 3), np.nan), r"must be finite, got nan at instance 0, feature 0, output 'setosa'"),
])
def test_attributions_of_the_wrong_shape_are_refused_before_any_call(client, attributions, message):
    with pytest.raises(ValueError, match=message):
        client.evaluate("iris", FLOWERS, "exact_shapley", attributions=attributions)


def test_attributions_must_be_numbers(client):
    with pytest.raises(TypeError, match="attributions must hold numbers"):
        client.evaluate("iris", FLOWERS, "exact_shapley", attributions=np.full((3, 4, 3), "a"))


def test_evaluate_must_name_a_metric(client):
    with pytest.raises(ValueError, match="evaluate must name at least one metric"):
        client.evaluate("iris", FLOWERS, "exact_shapley", evaluate=None)


def test_what_only_the_server_can_judge_is_its_invalid_argument(client):
    """With feature groups other than explicit ones the client leaves the length to the server."""
    with pytest.raises(InvalidArgumentError) as refused:
        client.evaluate("iris", FLOWERS, "exact_shapley", feature_groups={"segments": [0, 0, 1, 1]},
                        attributions=np.zeros((3, 3, 3)), evaluate={"complexity": {}})
    assert refused.value.reason == "INVALID_PARAMS", refused.value


def test_explicit_groups_are_counted_here(client):
    with pytest.raises(ValueError, match=r"= \[3, 2, 3\]"):
        client.evaluate("iris", FLOWERS, "exact_shapley",
                        feature_groups={"explicit": {"sepals": [0, 1], "petals": [2, 3]}},
                        attributions=np.zeros((3, 4, 3)))


def test_a_result_evaluates_its_own_attributions(client, explained):
    result = client.explain("iris", FLOWERS, "exact_shapley")
    evaluated = result.evaluate(METRICS)
    np.testing.assert_array_equal(evaluated.values, result.values)
    assert_same_evaluation(evaluated.evaluation, explained.evaluation)
    # An evaluated result can be measured again, in another way.
    again = evaluated.evaluate({"complexity": {"fraction": 0.5}})
    np.testing.assert_array_equal(again.evaluation.fraction, np.full((3, 3), 0.5))
    assert again.evaluation.deletion is None


def test_chunked_and_streamed_results_keep_the_whole_request(client, explained):
    chunked = client.explain("iris", FLOWERS, "exact_shapley", chunk_rows=1)
    assert_same_evaluation(chunked.evaluate(METRICS).evaluation, explained.evaluation)
    *_, streamed = client.stream_explain("iris", FLOWERS, "exact_shapley")
    assert_same_evaluation(streamed.evaluate(METRICS).evaluation, explained.evaluation)


def test_the_async_client_evaluates_and_its_results_await(server, explained):
    async def run():
        async with AsyncClient(server.target) as c:
            given = await c.evaluate("iris", FLOWERS, "exact_shapley", attributions=explained.values,
                                     evaluate=METRICS)
            result = await c.explain("iris", FLOWERS, "exact_shapley")
            return given, await result.evaluate(METRICS)

    given, evaluated = asyncio.run(run())
    assert_same_evaluation(given.evaluation, explained.evaluation)
    assert_same_evaluation(evaluated.evaluation, explained.evaluation)


def test_a_time_budget_is_not_sent_again():
    request = explain_service_pb2.ExplainRequest(model="iris", format=explain_service_pb2.FORMAT_COMPACT)
    request.time_budget.FromMilliseconds(20)
    evaluating = _request.evaluate_request(request, True, None, IRIS_OUTPUTS, 4)
    assert not evaluating.request.HasField("time_budget")
    assert evaluating.request.format == explain_service_pb2.FORMAT_PER_EXPLANATION
    assert evaluating.request.evaluate.deletion.steps == 10 and evaluating.request.evaluate.HasField("complexity")
    assert len(evaluating.attributions) == 0


def test_warnings_point_at_the_users_call(client, server, explained):
    """The server's warnings about given attributions name the line that asked, whichever way."""
    reversed_result = client.evaluate("iris", FLOWERS, "exact_shapley", attributions=explained.values,
                                      evaluate={"complexity": {}})
    reversed_result.values = -reversed_result.values
    with pytest.warns(PrismWarning, match="EFFICIENCY_GAP") as warned:
        reversed_result.evaluate({"complexity": {}})
    assert warned[0].filename == __file__

    async def run():
        async with AsyncClient(server.target) as c:
            with pytest.warns(PrismWarning, match="EFFICIENCY_GAP") as given:
                result = await c.evaluate("iris", FLOWERS, "exact_shapley", attributions=-explained.values,
                                          evaluate={"complexity": {}})
            with pytest.warns(PrismWarning, match="EFFICIENCY_GAP") as again:
                await result.evaluate({"complexity": {}})
            return given, again

    for warned in asyncio.run(run()):
        assert warned[0].filename == __file__
