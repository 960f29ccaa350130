import numpy as np
import pytest
from helpers import SETOSA, VERSICOLOR, VIRGINICA

from prism_client import PrismWarning

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA])


@pytest.mark.parametrize("perturbation", ["interventional", "path_dependent"])
def test_interaction_values_are_an_array_whose_rows_sum_to_the_values(client, perturbation):
    full = client.explain("iris", FLOWERS, "tree_shap", feature_perturbation=perturbation, interactions=True,
                          diagnostics=True)
    assert full.interactions.shape == (3, 4, 4, 3)
    np.testing.assert_allclose(full.interactions.sum(axis=2), full.values, atol=1e-12)
    np.testing.assert_allclose(full.interactions, full.interactions.transpose(0, 2, 1, 3), atol=1e-12)
    compact = client.explain("iris", FLOWERS, "tree_shap", feature_perturbation=perturbation, interactions=True)
    np.testing.assert_array_equal(compact.interactions, full.interactions)


def test_path_dependent_is_another_game_with_the_same_total(client):
    interventional = client.explain("iris", FLOWERS, "tree_shap")
    path = client.explain("iris", FLOWERS, "tree_shap", feature_perturbation="path_dependent")
    assert not np.allclose(path.values, interventional.values)
    np.testing.assert_allclose(path.values.sum(axis=1), path.model_outputs - path.base_values, atol=1e-9)


def test_rescaled_output_warns_that_it_is_not_exact(client):
    with pytest.warns(PrismWarning, match="RESCALED_OUTPUT"):
        result = client.explain("iris", FLOWERS, "tree_shap", output="rescaled")
    assert [w.code for w in result.warnings] == ["RESCALED_OUTPUT"]


def test_a_tree_model_takes_nan_as_a_missing_value_and_other_models_refuse_it(client, server):
    info = client.model("iris")
    assert info.trees is not None and info.trees.trees > 0
    assert not info.trees.stated_covers and info.trees.stated_covers_unusable.startswith("every node states")
    missing = np.array([[5.1, np.nan, 1.4, 0.2]])
    trees = client.explain("iris", missing, "tree_shap")
    exact = client.explain("iris", missing, "exact_shapley")
    # Both route the missing value as the forest does: tree_shap from its trees, exact_shapley through it.
    np.testing.assert_allclose(trees.values, exact.values, atol=1e-6)
    assert client.model("breast_cancer").trees is None
    row = server.background("breast_cancer")[:1].copy()
    row[0, 3] = np.nan
    with pytest.raises(ValueError, match=r"is nan: NaN and infinite values cannot be explained"):
        client.explain("breast_cancer", row, "kernel_shap")
