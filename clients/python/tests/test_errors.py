import grpc
import numpy as np
import pytest
from helpers import SETOSA

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


def test_non_finite_values_are_refused_by_the_server(client):
    with pytest.raises(InvalidArgumentError) as caught:
        client.explain("iris", [5.1, np.nan, 1.4, 0.2], "exact_shapley")
    assert caught.value.reason == "INVALID_TENSOR"
    assert caught.value.field_violations[0][0] == "inputs[0]"


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
