import grpc
import numpy as np
import pandas as pd
import pytest
from helpers import IRIS_FEATURES, SETOSA

from prism_client import (
    Client,
    DeadlineExceededError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    UnavailableError,
)


def test_an_out_of_range_parameter_names_the_field(client):
    with pytest.raises(InvalidArgumentError) as caught:
        client.explain("iris", SETOSA, "kernel_shap", nsamples=1)
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_PARAMS"
    assert [field for field, _ in error.field_violations] == ["kernel_shap.nsamples"]
    assert "got 1" in error.field_violations[0][1]
    assert "kernel_shap.nsamples" in str(error)


def test_an_unknown_output_is_an_invalid_argument(client):
    with pytest.raises(InvalidArgumentError) as caught:
        client.explain("iris", SETOSA, "exact_shapley", outputs=["setosa", "tulip"])
    assert caught.value.reason == "UNKNOWN_OUTPUT"
    assert caught.value.field_violations[0][0] == "outputs[1]"
    assert "tulip" in caught.value.field_violations[0][1]


def test_a_non_finite_value_is_refused_naming_its_row_and_column(client, server):
    client.model("iris")
    before = server.explain_requests()
    # iris is a tree ensemble, which takes NaN as a missing value: infinities are what it refuses.
    with pytest.raises(ValueError, match=r"^X at row 1, column 'sepal_width' is inf: infinite values "
                                         r"cannot be explained$"):
        client.explain("iris", [SETOSA, [5.1, np.inf, 1.4, 0.2]], "exact_shapley")
    with pytest.raises(ValueError, match=r"^X at row 0, column 'petal_width' is -inf: .* \(1 more such value in X\)$"):
        client.predict("iris", [[5.1, 3.5, 1.4, -np.inf], [np.inf, 3.5, 1.4, 0.2]])
    with pytest.raises(ValueError, match=r"^background at row 2, column 'petal_length' is inf"):
        client.explain("iris", SETOSA, "exact_shapley", background=[SETOSA, SETOSA, [5.1, 3.5, np.inf, 0.2]])
    assert server.explain_requests() == before


def test_a_dataframes_non_finite_value_is_named_by_its_index_label(client):
    frame = pd.DataFrame([SETOSA, SETOSA, SETOSA], columns=IRIS_FEATURES, index=["a", "b", "c"])
    frame.loc["b", "petal_length"] = -np.inf
    frame.loc["c", "sepal_width"] = np.inf
    shuffled = frame[IRIS_FEATURES[::-1]]
    with pytest.raises(ValueError, match=r"^X at index label 'b' \(row 1\), column 'petal_length' is -inf: "
                                         r"infinite values cannot be explained \(1 more such value in X\)$"):
        client.explain("iris", shuffled, "exact_shapley")
    with pytest.raises(ValueError, match=r"^X at index label 'c' \(row 0\), column 'sepal_width' is inf"):
        client.explain("iris", frame.loc["c"], "exact_shapley")


def test_an_images_non_finite_pixel_is_named_by_its_feature(client):
    images = np.zeros((2, 1, 8, 8))
    images[1, 0, 3, 5] = np.nan
    with pytest.raises(ValueError, match=r"^X at row 1, column 'px_3_5' is nan"):
        client.explain("digits", images, "saliency")


def test_a_value_beyond_float32_is_refused_before_it_turns_infinite(client):
    with pytest.raises(ValueError, match=r"^X at row 0, column 'sepal_length' is 1e\+39: beyond the range of the "
                                         r"model's float32 input$"):
        client.predict("iris", [1e39, 3.5, 1.4, 0.2])
    assert client.predict("iris", [3e38, 3.5, 1.4, 0.2]).shape == (1, 3)


def test_an_unknown_model_is_not_found(client):
    with pytest.raises(NotFoundError) as caught:
        client.explain("tulips", SETOSA)
    assert caught.value.code == grpc.StatusCode.NOT_FOUND
    assert caught.value.reason == "MODEL_NOT_FOUND"


def test_a_gradient_method_on_a_forest_is_a_failed_precondition(client):
    with pytest.raises(FailedPreconditionError) as caught:
        client.explain("iris", SETOSA, "deep_lift")
    assert caught.value.reason == "METHOD_UNSUPPORTED_FOR_MODEL"
    assert "TreeEnsembleClassifier" in caught.value.message


def test_a_tiny_deadline_is_exceeded(client, server):
    rows = server.background("breast_cancer")[:50]
    with pytest.raises(DeadlineExceededError) as caught:
        client.explain("breast_cancer", rows, "kernel_shap", timeout=0.05)
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_an_unreachable_server_is_unavailable():
    with Client("127.0.0.1:1", timeout=10) as nowhere:
        with pytest.raises(UnavailableError) as caught:
            nowhere.models()
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.reason is None


def test_a_misspelt_parameter_is_refused_naming_it_and_the_known_ones(client):
    with pytest.raises(ValueError, match=r"kernel_shap has no parameter 'nsample'; its parameters: nsamples, "):
        client.explain("iris", SETOSA, "kernel_shap", nsample=100)


def test_a_method_without_parameters_says_so(client):
    with pytest.raises(ValueError, match=r"auto has no parameter 'nsamples'; its parameters: none"):
        client.explain("iris", SETOSA, "auto", nsamples=100)


def test_an_unknown_method_lists_the_methods(client):
    with pytest.raises(ValueError, match=r"unknown method 'shapley'; methods: kernel_shap, lime, exact_shapley"):
        client.explain("iris", SETOSA, "shapley")


def test_an_unknown_enum_value_lists_the_choices(client):
    with pytest.raises(ValueError, match=r"kernel_shap.estimator must be one of \['adjusted', 'leverage', 'kernel'\]"):
        client.explain("iris", SETOSA, "kernel_shap", estimator="sampling")


def test_parameter_types_are_checked(client):
    with pytest.raises(TypeError, match=r"kernel_shap.nsamples must be an integer, got 10.5"):
        client.explain("iris", SETOSA, "kernel_shap", nsamples=10.5)
    with pytest.raises(TypeError, match=r"lime.sample_around_instance must be True or False"):
        client.explain("iris", SETOSA, "lime", sample_around_instance=1)


def test_a_parameter_given_twice_is_refused(client):
    with pytest.raises(TypeError, match=r"\['nsamples'\] given both"):
        client.explain("iris", SETOSA, "kernel_shap", params={"nsamples": 10}, nsamples=20)
