import numpy as np
import pandas as pd
import pytest
from helpers import IRIS_FEATURES, IRIS_OUTPUTS, SETOSA, VERSICOLOR, VIRGINICA

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA])


def test_exact_shapley_on_iris_is_efficient(client):
    result = client.explain("iris", FLOWERS, "exact_shapley")
    assert result.method == "exact_shapley"
    assert result.values.shape == (3, 4, 3)
    assert result.base_values.shape == (3, 3)
    assert result.model_outputs.shape == (3, 3)
    assert result.feature_names == IRIS_FEATURES
    assert result.output_names == IRIS_OUTPUTS
    assert result.std_errors is None
    np.testing.assert_allclose(result.values.sum(axis=1), result.model_outputs - result.base_values,
                               rtol=0, atol=1e-6)
    np.testing.assert_array_equal(result.data, FLOWERS)
    np.testing.assert_allclose(result.model_outputs, client.predict("iris", FLOWERS), rtol=0, atol=1e-12)
    # Every instance explained against the same background: one base value per output.
    np.testing.assert_allclose(result.base_values, result.base_values[[0, 0, 0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.mean_abs_values, np.abs(result.values).mean(axis=0), rtol=0, atol=1e-12)
    assert result.elapsed_seconds > 0


def test_exact_shapley_on_iris_is_deterministic(client):
    first = client.explain("iris", FLOWERS, "exact_shapley")
    second = client.explain("iris", FLOWERS, "exact_shapley")
    np.testing.assert_array_equal(first.values, second.values)
    np.testing.assert_array_equal(first.base_values, second.base_values)


def test_petals_decide_the_setosa_score(client):
    result = client.explain("iris", SETOSA, "exact_shapley", outputs="setosa")
    assert result.output_names == ["setosa"]
    petals = result.values[0, 2:, 0].sum()
    sepals = result.values[0, :2, 0].sum()
    assert petals > 0.5 > abs(sepals)


def test_kernel_shap_estimates_standard_errors(client, server):
    rows = server.background("breast_cancer")[:3]
    result = client.explain("breast_cancer", rows, "kernel_shap", nsamples=300, seed=3)
    assert result.method == "kernel_shap"
    assert result.values.shape == (3, 30, 2)
    assert result.std_errors is not None and result.std_errors.shape == (3, 30, 2)
    assert np.all(np.isfinite(result.std_errors))
    assert np.all(result.std_errors >= 0) and np.any(result.std_errors > 0)
    np.testing.assert_allclose(result.values.sum(axis=1), result.model_outputs - result.base_values,
                               rtol=0, atol=1e-6)


def test_the_seed_reproduces_a_sampled_explanation(client, server):
    rows = server.background("breast_cancer")[:2]
    first = client.explain("breast_cancer", rows, nsamples=200, seed=11)
    again = client.explain("breast_cancer", rows, nsamples=200, seed=11)
    other = client.explain("breast_cancer", rows, nsamples=200, seed=12)
    np.testing.assert_array_equal(first.values, again.values)
    assert np.abs(first.values - other.values).max() > 1e-9


def test_diagnostics_come_with_the_same_values(client, server):
    rows = server.background("breast_cancer")[:2]
    compact = client.explain("breast_cancer", rows, nsamples=300)
    detailed = client.explain("breast_cancer", rows, nsamples=300, diagnostics=True)
    np.testing.assert_array_equal(compact.values, detailed.values)
    np.testing.assert_array_equal(compact.std_errors, detailed.std_errors)
    np.testing.assert_array_equal(compact.base_values, detailed.base_values)
    np.testing.assert_array_equal(compact.model_outputs, detailed.model_outputs)
    diagnostics = detailed.diagnostics
    assert diagnostics.coalitions.shape == (2, 2)
    assert np.all(diagnostics.coalitions <= 300) and np.all(diagnostics.coalitions > 0)
    assert np.all(diagnostics.model_evaluations >= diagnostics.coalitions)
    assert not diagnostics.exact.any()
    np.testing.assert_array_equal(diagnostics.varying_features, 30)
    assert np.all(diagnostics.efficiency_gap < 1e-6)
    assert diagnostics.convergence_delta is None and diagnostics.surrogate_score is None
    with pytest.raises(AttributeError, match="diagnostics=True"):
        _ = compact.diagnostics


def test_exact_shapley_diagnostics_say_exact(client):
    result = client.explain("iris", SETOSA, "exact_shapley", diagnostics=True)
    assert result.diagnostics.exact.all()
    np.testing.assert_array_equal(result.diagnostics.coalitions, 2 ** 4 - 2)


def test_lime_reports_its_surrogate(client, server):
    rows = server.background("breast_cancer")[:2]
    result = client.explain("breast_cancer", rows, "lime", num_features=5, diagnostics=True)
    assert result.method == "lime"
    assert ((result.values != 0).sum(axis=1) == 5).all()
    diagnostics = result.diagnostics
    np.testing.assert_array_equal(diagnostics.surrogate_intercept, result.base_values)
    assert np.all((diagnostics.surrogate_score > 0) & (diagnostics.surrogate_score <= 1))


def test_auto_says_which_method_ran(client, server):
    # iris is a random forest of averaged probabilities: its output is linear in its leaves.
    assert client.explain("iris", SETOSA, "auto").method == "tree_shap"
    assert client.explain("breast_cancer", server.background("breast_cancer")[:1], "auto",
                          timeout=120).method == "kernel_shap"


def test_a_dataframe_with_shuffled_columns_gives_the_array_values(client):
    frame = pd.DataFrame(FLOWERS, columns=IRIS_FEATURES)[["petal_width", "sepal_length", "petal_length",
                                                          "sepal_width"]]
    from_frame = client.explain("iris", frame, "exact_shapley")
    from_array = client.explain("iris", FLOWERS, "exact_shapley")
    np.testing.assert_array_equal(from_frame.values, from_array.values)
    np.testing.assert_array_equal(from_frame.data, FLOWERS)


def test_a_wrong_column_is_refused_before_any_call(client, server):
    client.model("iris")
    frame = pd.DataFrame([SETOSA], columns=["sepal_length", "sepal_width", "petal_length", "petal_wdth"])
    before = server.explain_requests()
    with pytest.raises(ValueError) as caught:
        client.explain("iris", frame, "exact_shapley")
    message = str(caught.value)
    assert "missing ['petal_width']" in message
    assert "unexpected ['petal_wdth']" in message
    assert server.explain_requests() == before


def test_a_background_with_weights_moves_the_base_value(client):
    background = np.array([SETOSA, VIRGINICA])
    even = client.explain("iris", VERSICOLOR, "exact_shapley", background=background)
    leaning = client.explain("iris", VERSICOLOR, "exact_shapley", background=background,
                             background_weights=[0.9, 0.1])
    outputs = client.predict("iris", background)
    np.testing.assert_allclose(even.base_values[0], outputs.mean(axis=0), rtol=0, atol=1e-9)
    np.testing.assert_allclose(leaning.base_values[0], 0.9 * outputs[0] + 0.1 * outputs[1], rtol=0, atol=1e-9)


def test_the_logit_link_explains_log_odds(client):
    result = client.explain("iris", VERSICOLOR, "exact_shapley", link="logit", outputs=["versicolor"])
    p = np.clip(client.predict("iris", VERSICOLOR)[0, 1], 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(result.model_outputs[0, 0], np.log(p / (1 - p)), rtol=1e-9)
    np.testing.assert_allclose(result.values.sum(axis=1), result.model_outputs - result.base_values,
                               rtol=0, atol=1e-6)


def test_explicit_feature_groups_by_name(client):
    groups = {"explicit": {"sepals": ["sepal_length", "sepal_width"], "petals": [2, 3]}}
    result = client.explain("iris", FLOWERS, "exact_shapley", feature_groups=groups)
    assert result.feature_names == ["sepals", "petals"]
    assert result.values.shape == (3, 2, 3)
    assert result.data is None
    np.testing.assert_allclose(result.values.sum(axis=1), result.model_outputs - result.base_values,
                               rtol=0, atol=1e-6)


def test_kernel_shap_parameters_reach_the_server(client, server):
    rows = server.background("breast_cancer")[:1]
    selected = client.explain("breast_cancer", rows, nsamples=400, l1_reg="num_features(5)", estimator="kernel")
    assert ((selected.values != 0).sum(axis=1) <= 5).all()
    by_params = client.explain("breast_cancer", rows, params={"nsamples": 400, "l1_reg": {"num_features": 5},
                                                              "estimator": "ESTIMATOR_KERNEL"})
    np.testing.assert_array_equal(selected.values, by_params.values)


def test_shaps_spellings_of_the_defaults_reach_the_server_as_the_defaults(client, server):
    rows = server.background("breast_cancer")[:1]
    plain = client.explain("breast_cancer", rows)
    spelt = client.explain("breast_cancer", rows, nsamples="auto", l1_reg=False)
    np.testing.assert_array_equal(spelt.values, plain.values)
    # The server refuses a time budget beside any l1_reg: False sends none.
    assert client.explain("breast_cancer", rows, l1_reg=False, time_budget=60).partial is False


def test_tree_shap_on_the_forest_is_its_exact_shapley_values(client):
    flowers = [[5.1, 3.5, 1.4, 0.2], [6.3, 2.9, 5.6, 1.8]]
    trees = client.explain("iris", flowers, "tree_shap")
    exact = client.explain("iris", flowers, "exact_shapley")
    assert trees.method == "tree_shap"
    np.testing.assert_allclose(trees.values, exact.values, rtol=0, atol=1e-6)
    np.testing.assert_allclose(trees.base_values, exact.base_values, rtol=0, atol=1e-6)
    assert trees.std_errors is None
