import warnings

import numpy as np
import pytest

from prism_client import PrismWarning


@pytest.fixture(scope="module")
def digits(server):
    return server.background("digits_cnn")[:4]


def test_deep_lift_on_the_cnn_reports_its_convergence_delta(client, digits):
    result = client.explain("digits_cnn", digits, "deep_lift", diagnostics=True)
    assert result.method == "deep_lift"
    assert result.values.shape == (4, 64, 10)
    assert result.feature_names[:2] == ["px_0_0", "px_0_1"]
    assert result.data.shape == (4, 64)
    delta = result.diagnostics.convergence_delta
    assert delta is not None and delta.shape == (4, 10)
    np.testing.assert_allclose(delta, result.values.sum(axis=1) - (result.model_outputs - result.base_values),
                               rtol=0, atol=1e-9)
    # The default reference input is zeros, so the base value is the model's output at a blank image.
    np.testing.assert_allclose(result.base_values[0], client.predict("digits_cnn", np.zeros(64))[0],
                               rtol=0, atol=1e-6)


def test_deep_lift_on_the_logits_sums_to_the_change(client, digits):
    result = client.explain("digits_cnn", digits, "deep_lift", target="logits", diagnostics=True)
    change = result.model_outputs - result.base_values
    assert np.abs(change).max() > 1
    # Rescale and the cross-max rule are complete up to float32 rounding; only the Softmax rule is not.
    assert np.abs(result.diagnostics.convergence_delta).max() < 1e-4


def test_deep_lift_compact_and_detailed_agree(client, digits):
    compact = client.explain("digits_cnn", digits, "deep_lift")
    detailed = client.explain("digits_cnn", digits, "deep_lift", diagnostics=True)
    np.testing.assert_array_equal(compact.values, detailed.values)


def test_grid_patches_sum_their_pixels(client, digits):
    pixels = client.explain("digits_cnn", digits, "deep_lift", outputs=["3"])
    patches = client.explain("digits_cnn", digits, "deep_lift", outputs=["3"],
                             feature_groups={"grid": {"patch_height": 4, "patch_width": 4}})
    assert patches.feature_names == ["patch_0_0", "patch_0_1", "patch_1_0", "patch_1_1"]
    images = pixels.values[:, :, 0].reshape(4, 8, 8)
    quadrants = np.stack([images[:, :4, :4].sum((1, 2)), images[:, :4, 4:].sum((1, 2)),
                          images[:, 4:, :4].sum((1, 2)), images[:, 4:, 4:].sum((1, 2))], axis=1)
    np.testing.assert_allclose(patches.values[:, :, 0], quadrants, rtol=0, atol=1e-9)


def test_integrated_gradients_takes_its_quadrature_through_params(client, digits):
    trapezoid = client.explain("digits_cnn", digits[:1], "integrated_gradients", n_steps=32, target="logits",
                               params={"method": "riemann_trapezoid"})
    gauss = client.explain("digits_cnn", digits[:1], "integrated_gradients", n_steps=32, target="logits")
    assert np.abs(trapezoid.values - gauss.values).max() > 1e-3
    # The trapezoid rule's steps sum to (n - 1) / n, so its values add up to about 31/32 of the change.
    change = trapezoid.model_outputs - trapezoid.base_values
    total = trapezoid.values.sum(axis=1)
    assert np.abs(total - change * 31 / 32).max() < np.abs(total - change).max()
    gauss_total = gauss.values.sum(axis=1)
    assert np.abs(gauss_total - change).max() < np.abs(gauss_total - change * 31 / 32).max()


def test_a_constant_baseline_is_the_reference_input(client, digits):
    result = client.explain("digits_cnn", digits[:1], "gradient_x_input", baseline=8.0)
    np.testing.assert_allclose(result.base_values[0], client.predict("digits_cnn", np.full(64, 8.0))[0],
                               rtol=0, atol=1e-6)


def test_saliency_has_no_base_value(client, digits):
    result = client.explain("digits_cnn", digits[:2], "saliency")
    assert np.isnan(result.base_values).all()
    assert (result.values >= 0).all()


def test_deep_lift_through_the_softmax_warns_and_the_logits_do_not(client, digits):
    with pytest.warns(PrismWarning, match="EFFICIENCY_GAP: deep_lift leaves up to") as caught:
        result = client.explain("digits_cnn", digits, "deep_lift")
    assert len(caught) == 1
    assert [w.code for w in result.warnings] == ["EFFICIENCY_GAP"]
    assert "GRADIENT_TARGET_LOGITS" in result.warnings[0].message
    # The premise, from the values themselves: some instance's largest gap is over 5% of its
    # outputs' largest change f(x) - f(x').
    change = result.model_outputs - result.base_values
    gap = np.abs(result.values.sum(axis=1) - change)
    assert (gap.max(axis=1) > 0.05 * np.abs(change).max(axis=1)).any()

    with warnings.catch_warnings():
        warnings.simplefilter("error", PrismWarning)
        logits = client.explain("digits_cnn", digits, "deep_lift", target="logits")
    assert logits.warnings == ()
