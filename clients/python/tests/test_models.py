import grpc
import pytest
from helpers import IRIS_FEATURES, IRIS_OUTPUTS

from prism_client import METHODS, NotFoundError

GRADIENT_METHODS = {"deep_lift", "deep_lift_shap", "integrated_gradients", "gradient_x_input", "saliency"}
PERTURBATION_METHODS = {"kernel_shap", "lime", "exact_shapley", "permutation_shap", "auto"}


def test_models_lists_the_bundled_models_sorted(client):
    assert [m.name for m in client.models()] == ["breast_cancer", "breast_cancer_xgb", "diabetes", "digits", "digits_cnn", "iris"]


def test_iris_signature_and_names(client):
    iris = client.model("iris")
    assert iris.feature_names == tuple(IRIS_FEATURES)
    assert iris.output_names == tuple(IRIS_OUTPUTS)
    assert iris.output_kind == "probability"
    assert iris.explained_input == "input"
    assert iris.input.dtype == "float32"
    assert iris.input.shape == (-1, 4)
    assert iris.instance_shape == (4,)
    assert iris.score_outputs == ("probabilities",)
    assert iris.default_background_rows == 100
    assert iris.device == "cpu"
    assert not iris.has_logits


def test_a_forest_serves_the_perturbation_methods_and_says_why_not_the_gradient_ones(client):
    iris = client.model("iris")
    assert set(iris.methods) == PERTURBATION_METHODS | {"tree_shap"}
    assert set(iris.unsupported_methods) == GRADIENT_METHODS
    assert all("TreeEnsembleClassifier" in reason for reason in iris.unsupported_methods.values())


def test_digits_cnn_takes_images_and_has_logits(client):
    cnn = client.model("digits_cnn")
    assert cnn.instance_shape == (1, 8, 8)
    assert cnn.instance_size == 64
    assert cnn.feature_names[:3] == ("px_0_0", "px_0_1", "px_0_2")
    assert cnn.output_names == tuple(str(d) for d in range(10))
    assert set(cnn.methods) == PERTURBATION_METHODS | GRADIENT_METHODS
    assert cnn.unsupported_methods == {"tree_shap": "the model is not a tree ensemble"}
    assert cnn.has_logits


def test_the_client_knows_every_method_the_server_declares(client):
    # Across the bundled models every method is served somewhere: the server's table and the
    # client's request fields must agree.
    declared = {}
    for model in client.models():
        declared.update(model.method_details)
    assert set(declared) == set(METHODS)
    kernel = declared["kernel_shap"]
    assert (kernel.runs_on, kernel.reference) == ("model", "background_or_baseline")
    assert kernel.time_budget and kernel.tolerance and kernel.running_estimates
    saliency = declared["saliency"]
    assert (saliency.runs_on, saliency.reference) == ("attribution_graph", "none")
    assert not (saliency.time_budget or saliency.tolerance)
    assert declared["deep_lift_shap"].reference == "background"
    assert (declared["tree_shap"].runs_on, declared["tree_shap"].reference) == ("trees", "background")


def test_an_unknown_model_is_not_found(client):
    with pytest.raises(NotFoundError) as caught:
        client.model("no_such_model")
    error = caught.value
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "MODEL_NOT_FOUND"
    assert error.domain == "prism.dev"
    assert "no_such_model" in error.message
