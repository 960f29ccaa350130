"""Prism's Open Inference Protocol service, through Triton's own gRPC client as OIP users reach it."""

import shutil

import numpy as np
import pytest
import tritonclient.grpc as triton
from helpers import REPO, SETOSA, VERSICOLOR, VIRGINICA, start_prism
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


def _status(call) -> str:
    """The gRPC status code the call fails with, as Triton's client reports it."""
    with pytest.raises(InferenceServerException) as failure:
        call()
    return failure.value.status()


def _index(oip) -> list[tuple[str, str, str, str]]:
    return [(m.name, m.version, m.state, m.reason) for m in oip.get_model_repository_index().models]


def test_the_repository_extension_loads_and_unloads_folders(tmp_path, monkeypatch):
    """Triton's client drives Prism's reload one folder at a time, on a server of its own over a copy."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "models" / "iris", repo / "iris")
    monkeypatch.setenv("PRISM_MODELS", str(repo))
    with start_prism() as server:
        oip = triton.InferenceServerClient(server.target)
        try:
            flowers = triton.InferInput("input", list(FLOWERS.shape), "FP32")
            flowers.set_data_from_numpy(FLOWERS)
            served = oip.infer("iris", [flowers]).as_numpy("probabilities")
            assert list(oip.get_server_metadata().extensions) == ["model_repository"]
            iris = oip.get_model_metadata("iris").versions[0]
            assert _index(oip) == [("iris", iris, "READY", "")]

            # A folder copied in is listed, and served once loaded.
            shutil.copytree(REPO / "models" / "diabetes", repo / "diabetes")
            assert _index(oip) == [
                ("diabetes", "", "UNAVAILABLE", "not loaded yet: the folder appeared after the last reload"),
                ("iris", iris, "READY", "")]
            assert not oip.is_model_ready("diabetes")
            oip.load_model("diabetes")
            assert oip.is_model_ready("diabetes")
            diabetes = oip.get_model_metadata("diabetes").versions[0]
            assert _index(oip) == [("diabetes", diabetes, "READY", ""), ("iris", iris, "READY", "")]

            # Unloaded, iris answers no more until it is loaded again.
            oip.unload_model("iris")
            assert not oip.is_model_ready("iris")
            assert _status(lambda: oip.infer("iris", [flowers])) == "StatusCode.NOT_FOUND"
            assert _index(oip) == [("diabetes", diabetes, "READY", ""),
                                   ("iris", "", "UNAVAILABLE", "unloaded; loading it serves it again")]
            oip.load_model("iris")
            assert oip.is_model_ready("iris")
            np.testing.assert_array_equal(oip.infer("iris", [flowers]).as_numpy("probabilities"), served)

            # What cannot be loaded says why, and nothing that serves stops.
            (repo / "broken").mkdir()
            (repo / "broken" / "model.onnx").write_bytes(b"not a model")
            assert _status(lambda: oip.load_model("broken")) == "StatusCode.FAILED_PRECONDITION"
            assert not oip.is_model_ready("broken")
            assert _status(lambda: oip.load_model("tulips")) == "StatusCode.NOT_FOUND"
            assert _status(lambda: oip.unload_model("tulips")) == "StatusCode.NOT_FOUND"
            assert _status(lambda: oip.load_model("iris", config="{}")) == "StatusCode.INVALID_ARGUMENT"
            assert [m[:3] for m in _index(oip)] == [("broken", "", "UNAVAILABLE"), ("diabetes", diabetes, "READY"),
                                                    ("iris", iris, "READY")]
            assert oip.is_model_ready("iris") and oip.is_model_ready("diabetes")
        finally:
            oip.close()
