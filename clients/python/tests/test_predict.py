import numpy as np
import onnxruntime
import pandas as pd
import pytest
from helpers import IRIS_FEATURES, SETOSA, VERSICOLOR, VIRGINICA


def onnx_probabilities(path, rows):
    """The model's probabilities computed here, by onnxruntime: a second source for the server's."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.asarray(rows, dtype=np.float32)}
    return session.run(["probabilities"], feed)[0]


def test_iris_predictions_match_onnxruntime_and_the_species(client, server):
    flowers = np.array([SETOSA, VERSICOLOR, VIRGINICA])
    predicted = client.predict("iris", flowers)
    assert predicted.shape == (3, 3)
    np.testing.assert_allclose(predicted, onnx_probabilities(server.models / "iris" / "model.onnx", flowers),
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(predicted.sum(axis=1), 1.0, atol=1e-6)
    assert list(predicted.argmax(axis=1)) == [0, 1, 2]


def test_one_instance_as_a_flat_list(client):
    predicted = client.predict("iris", SETOSA)
    assert predicted.shape == (1, 3)
    assert predicted[0].argmax() == 0


def test_images_as_rows_of_pixels_or_as_images_predict_the_same(client, server):
    pixels = server.background("digits_cnn")[:5]
    as_rows = client.predict("digits_cnn", pixels)
    as_images = client.predict("digits_cnn", pixels.reshape(5, 1, 8, 8))
    assert as_rows.shape == (5, 10)
    np.testing.assert_array_equal(as_rows, as_images)
    np.testing.assert_allclose(as_rows, onnx_probabilities(server.models / "digits_cnn" / "model.onnx",
                                                           pixels.reshape(5, 1, 8, 8)), rtol=0, atol=1e-6)


def test_a_dataframe_is_read_by_column_name(client):
    shuffled = pd.DataFrame([SETOSA, VIRGINICA], columns=IRIS_FEATURES)[IRIS_FEATURES[::-1]]
    np.testing.assert_array_equal(client.predict("iris", shuffled), client.predict("iris", [SETOSA, VIRGINICA]))


def test_a_series_is_one_instance(client):
    flower = pd.Series(VERSICOLOR, index=IRIS_FEATURES)
    np.testing.assert_array_equal(client.predict("iris", flower), client.predict("iris", VERSICOLOR))


def test_a_wrong_shape_is_refused_naming_the_model_shape(client):
    with pytest.raises(ValueError, match=r"shape \(2, 5\); model 'iris' takes instances of shape \(4,\)"):
        client.predict("iris", np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"\[n, 1, 8, 8\] or \[n, 64\]"):
        client.predict("digits_cnn", np.zeros((2, 63)))
