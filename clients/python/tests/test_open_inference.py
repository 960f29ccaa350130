"""Prism's Open Inference Protocol service, through Triton's own gRPC client as OIP users reach it."""

import numpy as np
import pytest
import tritonclient.grpc as triton
from helpers import SETOSA, VERSICOLOR, VIRGINICA
from tritonclient.utils import InferenceServerException

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA], dtype=np.float32)


@pytest.fixture(scope="module")
def oip(server):
    c = triton.InferenceServerClient(server.target)
    yield c
    c.close()


def test_health_and_metadata(oip):
    assert oip.is_server_live()
    assert oip.is_server_ready()
    assert oip.is_model_ready("iris")
    assert not oip.is_model_ready("tulips")
    assert oip.get_server_metadata().name == "prism"
    meta = oip.get_model_metadata("iris")
    assert meta.platform == "onnx_onnxv1"
    assert [(i.name, i.datatype, list(i.shape)) for i in meta.inputs] == [("input", "FP32", [-1, 4])]
    assert [o.name for o in meta.outputs] == ["probabilities"]


def test_model_infer_equals_predict_bit_for_bit(oip, client):
    request = triton.InferInput("input", list(FLOWERS.shape), "FP32")
    request.set_data_from_numpy(FLOWERS)
    result = oip.infer("iris", [request], request_id="flowers")
    probabilities = result.as_numpy("probabilities")
    assert probabilities.dtype == np.float32 and probabilities.shape == (3, 3)
    assert result.get_response().id == "flowers"
    np.testing.assert_array_equal(probabilities, client.predict("iris", FLOWERS).astype(np.float32))


def test_errors_are_prisms_statuses(oip):
    request = triton.InferInput("input", [1, 4], "FP32")
    request.set_data_from_numpy(FLOWERS[:1])
    with pytest.raises(InferenceServerException, match="no model 'tulips'"):
        oip.infer("tulips", [request])
    wrong = triton.InferInput("input", [1, 3], "FP32")
    wrong.set_data_from_numpy(FLOWERS[:1, :3])
    with pytest.raises(InferenceServerException, match="StatusCode.INVALID_ARGUMENT"):
        oip.infer("iris", [wrong])


def test_an_explain_parameter_answers_prisms_explanation(oip, client):
    request = triton.InferInput("input", list(FLOWERS.shape), "FP32")
    request.set_data_from_numpy(FLOWERS)
    result = oip.infer("iris", [request], parameters={"explain": "exact_shapley"})
    response = result.get_response()
    assert response.parameters["method"].string_param == "exact_shapley"
    attributions = result.as_numpy("attributions")
    assert attributions.shape == (3, 4, 3)
    exact = client.explain("iris", FLOWERS, "exact_shapley")
    np.testing.assert_array_equal(attributions, exact.values.astype(np.float32))
    np.testing.assert_array_equal(result.as_numpy("base_values"), exact.base_values.astype(np.float32))
    assert result.as_numpy("standard_errors") is None
