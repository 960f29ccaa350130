import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shap  # noqa: E402
from helpers import IRIS_FEATURES, SETOSA, VERSICOLOR, VIRGINICA  # noqa: E402

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA])
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result(client):
    return client.explain("iris", FLOWERS, "exact_shapley")


def test_one_output_as_a_shap_explanation(result):
    explanation = result.to_shap(output="virginica")
    assert isinstance(explanation, shap.Explanation)
    np.testing.assert_array_equal(explanation.values, result.values[:, :, 2])
    np.testing.assert_array_equal(explanation.base_values, result.base_values[:, 2])
    np.testing.assert_array_equal(explanation.data, FLOWERS)
    assert list(explanation.feature_names) == IRIS_FEATURES
    np.testing.assert_array_equal(result.to_shap(output=2).values, explanation.values)


def test_every_output_as_one_shap_explanation(result):
    explanation = result.to_shap()
    assert explanation.values.shape == (3, 4, 3)
    assert list(explanation.output_names) == ["setosa", "versicolor", "virginica"]


def test_an_unknown_output_is_refused(result):
    with pytest.raises(ValueError, match=r"no output 'tulip'"):
        result.to_shap(output="tulip")


@pytest.mark.parametrize("plot", ["waterfall", "beeswarm", "bar"])
def test_shap_plots_render(result, plot, tmp_path):
    explanation = result.to_shap(output="virginica")
    draw = getattr(shap.plots, plot)
    draw(explanation[0] if plot == "waterfall" else explanation, show=False)
    path = tmp_path / f"{plot}.png"
    plt.savefig(path)
    plt.close("all")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert path.stat().st_size > 5000


def test_without_shap_to_shap_says_what_to_install(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "shap", None)
    with pytest.raises(ImportError, match=r"pip install 'prism-client\[shap\]'"):
        result.to_shap(output="setosa")


@pytest.fixture(scope="module")
def images(server):
    """Two digits as the model takes them, [n, 1, 8, 8]."""
    return server.background("digits_cnn")[:2].reshape(2, 1, 8, 8)


@pytest.fixture(scope="module")
def digits(client, images):
    return client.explain("digits_cnn", images, "gradient_x_input")


def test_images_keep_their_shape_channels_last(digits, images):
    explanation = digits.to_shap()
    assert explanation.values.shape == (2, 8, 8, 1, 10)
    assert explanation.data.shape == (2, 8, 8, 1)
    for r, c in [(0, 0), (3, 5), (7, 2)]:
        np.testing.assert_array_equal(explanation.values[:, r, c, 0, :], digits.values[:, 8 * r + c, :])
        np.testing.assert_array_equal(explanation.data[:, r, c, 0], images[:, 0, r, c])
    one = digits.to_shap(output="3")
    np.testing.assert_array_equal(one.values, explanation.values[..., 3])
    np.testing.assert_array_equal(one.base_values, digits.base_values[:, 3])


def test_flat_gives_the_features_with_their_names(digits):
    flat = digits.to_shap(output="3", flat=True)
    assert flat.values.shape == (2, 64)
    assert list(flat.feature_names)[:9] == [f"px_0_{c}" for c in range(8)] + ["px_1_0"]


@pytest.mark.parametrize("output", [None, "7"], ids=["every output", "one output"])
def test_shap_image_plot_renders(digits, output, tmp_path):
    shap.plots.image(digits.to_shap(output=output), show=False)
    path = tmp_path / "image.png"
    plt.savefig(path)
    plt.close("all")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert path.stat().st_size > 5000
