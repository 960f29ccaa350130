"""Write the exact-Shapley and KernelSHAP-design golden files under
src/test/resources/golden/ from the `shap` library, explaining the bundled
ONNX models through onnxruntime (one intra-op thread, float32 input).

Run tools/make_models.py first. Files written:

exact_shapley_iris.json, exact_shapley_diabetes.json
  shap.explainers.ExactExplainer with shap.maskers.Independent(background,
  max_samples=len(background)) (the model's whole background.csv, in file
  order, equal weights), identity link, every output.
    model                string
    shap_version         string
    onnxruntime_version  string
    explainer            "ExactExplainer"
    link                 "identity"
    feature_names        [feature]
    output_names         [output]
    background_file      "background.csv"
    background           [row][feature]        the same rows, inline
    instances            [instance][feature]
    base_values          [instance][output]    mean over the background of f
    values               [instance][output][feature]
    model_output         [instance][output]    f(instance)

kernel_shap_coalitions_breast_cancer.json
  shap.KernelExplainer on breast_cancer (M=30) with the model's background.csv,
  nsamples=500, one instance per shap_values call, numpy's global seed set to
  `numpy_seed` just before it. The coalitions shap draws depend only on that
  seed, so every case (link, l1_reg) shares one design per instance.
    model, shap_version, onnxruntime_version, feature_names, output_names
    background_file      "background.csv"
    nsamples             500
    expected_value_raw   [output]    shap's fnull: mean over the background of f
    instances            [{          the designs, one per instance
      numpy_seed         int
      instance           [feature]
      varying_features   [m]         indices of the features shap treats as players
                                     (all 30 here); mask columns follow this order
      enumerated_rows    int         leading rows from shap's complete enumeration of
                                     the small coalition sizes (here sizes 1 and 29);
                                     the rest are sampled
      mask_matrix        [row][m]    0/1: the coalitions shap evaluated (its
                                     maskMatrix, first nsamplesAdded rows)
      kernel_weights     [row]       shap's final kernelWeights for those rows
      coalition_values   [row][output]  mean over the background of f with the
                                     coalition's features taken from the instance
                                     (shap's ey), before the link
      model_output_raw   [output]    f(instance), before the link
    }]
    cases                [{          identity/False, logit/False,
                                     identity/"num_features(5)", identity/"aic"
      link               "identity" | "logit"
      l1_reg             false | "num_features(5)" | "aic"   as passed to shap
      expected_value     [output]    link(expected_value_raw)
      results            [{          one per instance, in `instances` order
        model_output       [output]          link(f(instance))
        selected_features  [output][k] | null  with l1_reg: the features the
                                     selection kept, in shap's order (LARS entry
                                     order for num_features, ascending for aic)
        shap_values        [output][feature]  shap's phi (0 where unselected)
      }]
    }]
  To reproduce shap's phi from a design: y_r = link(coalition_values[r]) -
  expected_value, weights kernel_weights, the efficiency constraint
  sum(phi) = model_output - expected_value, the optional selection on shap's
  augmented system, then the constrained weighted least squares.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import shap
from scipy.special import binom
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LassoLarsIC, lars_path
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import LINKS, LOGIT_BOUND, OnnxModel, brute_force_shapley, write  # noqa: E402
from make_models import load_split  # noqa: E402

EXACT_INSTANCES = 4
KERNEL_NSAMPLES = 500
# Test rows of breast_cancer: P(benign) about 0.92, 0.18 and 0.0007, so the
# logit link stays far from shap's unclamped 0 and 1 (checked below).
KERNEL_ROWS = (1, 13, 27)


def exact_shapley(name, loader):
    model = OnnxModel(name)
    background = model.background.astype(np.float64)
    _, x_test, _, _ = load_split(loader)
    instances = x_test[:EXACT_INSTANCES].astype(np.float32).astype(np.float64)
    masker = shap.maskers.Independent(background, max_samples=len(background))
    explainer = shap.explainers.ExactExplainer(model, masker)
    result = explainer(instances, silent=True)
    values = np.asarray(result.values)  # [instance, feature, output]; no output axis for one output
    base = np.asarray(result.base_values)  # [instance, output] or [instance]
    if values.ndim == 2:
        values = values[:, :, None]
    base = base.reshape(len(instances), -1)
    assert values.shape == (len(instances), background.shape[1], len(model.config["outputNames"])), values.shape
    fx = model(instances)
    mean_f = model(background).mean(axis=0)
    for i, x in enumerate(instances):
        np.testing.assert_allclose(base[i], mean_f, rtol=0, atol=1e-9 * max(1.0, np.abs(mean_f).max()))
        np.testing.assert_allclose(values[i].sum(axis=0) + base[i], fx[i], rtol=0, atol=1e-8 * max(1.0, np.abs(fx[i]).max()))
        exact = brute_force_shapley(model, x, model.background, "identity")  # [output][feature]
        np.testing.assert_allclose(values[i].T, exact, rtol=0, atol=1e-5 * max(1.0, np.abs(fx[i]).max()))
    golden = {
        "model": name,
        "shap_version": shap.__version__,
        "onnxruntime_version": ort.__version__,
        "explainer": "ExactExplainer",
        "link": "identity",
        "feature_names": model.config["featureNames"],
        "output_names": model.config["outputNames"],
        "background_file": model.config["backgroundFile"],
        "background": background.tolist(),
        "instances": instances.tolist(),
        "base_values": base.tolist(),
        "values": values.transpose(0, 2, 1).tolist(),
        "model_output": fx.tolist(),
    }
    write(f"exact_shapley_{name}.json", golden)


def enumerated_rows(m, nsamples):
    """How many leading coalitions KernelExplainer enumerates completely
    (sizes s and m-s together while the budget share of a size covers all of
    its subsets), recomputed from the rule so the test can check it."""
    sizes = math.ceil((m - 1) / 2)
    paired = (m - 1) // 2
    w = np.array([(m - 1) / (s * (m - s)) for s in range(1, sizes + 1)])
    w[:paired] *= 2
    w /= w.sum()
    left, rows = nsamples, 0
    for s in range(1, sizes + 1):
        count = binom(m, s) * (2 if s <= paired else 1)
        if left * w[s - 1] / count < 1 - 1e-8:
            break
        rows += int(count)
        left -= count
        if w[s - 1] < 1:
            w /= 1 - w[s - 1]
    return rows


def selection(l1_reg, mask, weights, y, delta):
    """The features shap's l1_reg keeps: a lasso on the constraint-augmented
    system (rows z with weight k(m-|z|), rows z-1 against y-delta with weight k|z|)."""
    size = mask.sum(axis=1)
    w = np.sqrt(np.concatenate([weights * (mask.shape[1] - size), weights * size]))
    a = np.vstack([mask, mask - 1]) * w[:, None]
    b = np.concatenate([y, y - delta]) * w
    if l1_reg.startswith("num_features("):
        return list(lars_path(a, b, max_iter=int(l1_reg[len("num_features("):-1]))[1])
    assert l1_reg == "aic"
    fit = make_pipeline(StandardScaler(with_mean=False), LassoLarsIC(criterion="aic")).fit(a, b)
    return list(np.flatnonzero(fit[1].coef_))


CASES = [("identity", False), ("logit", False), ("identity", "num_features(5)"), ("identity", "aic")]


def kernel_coalitions():
    model = OnnxModel("breast_cancer")
    background = model.background.astype(np.float64)
    _, x_test, _, _ = load_split(load_breast_cancer)
    designs, cases = [], []
    for link, l1_reg in CASES:
        explainer = shap.KernelExplainer(model, background, link=link)
        fnull = np.asarray(explainer.fnull, dtype=np.float64)
        expected = np.atleast_1d(explainer.expected_value).astype(np.float64)
        results = []
        for seed, row in enumerate(KERNEL_ROWS):
            x = x_test[row].astype(np.float32).astype(np.float64)
            np.random.seed(seed)
            phi = np.asarray(explainer.shap_values(x[None, :], nsamples=KERNEL_NSAMPLES, l1_reg=l1_reg, silent=True))
            phi = phi[0].T  # [output][feature]
            n = explainer.nsamplesAdded
            assert n == KERNEL_NSAMPLES and explainer.M == 30, (n, explainer.M)
            design = {
                "numpy_seed": seed,
                "instance": x.tolist(),
                "varying_features": [int(j) for j in explainer.varyingInds],
                "enumerated_rows": enumerated_rows(30, KERNEL_NSAMPLES),
                "mask_matrix": explainer.maskMatrix[:n].astype(int).tolist(),
                "kernel_weights": explainer.kernelWeights[:n].tolist(),
                "coalition_values": np.asarray(explainer.ey[:n], dtype=np.float64).tolist(),
                "model_output_raw": np.asarray(explainer.fx, dtype=np.float64).tolist(),
            }
            if len(designs) <= seed:
                check_design(model, background, design, explainer)
                designs.append(design)
            else:
                # The design depends only on the seed, not on the link or l1_reg.
                assert design == designs[seed], (link, l1_reg, seed)
            fx = np.array(design["model_output_raw"])
            ey = np.array(design["coalition_values"])
            if link == "logit":
                fed = np.concatenate([explainer.fnull, fx, ey.ravel()])
                assert fed.min() >= LOGIT_BOUND and fed.max() <= 1 - LOGIT_BOUND, (fed.min(), fed.max())
            out = LINKS[link](fx)
            np.testing.assert_allclose(phi.sum(axis=1) + expected, out, rtol=0, atol=1e-8)
            selected = None
            if l1_reg:
                mask, weights = np.array(design["mask_matrix"], dtype=float), np.array(design["kernel_weights"])
                selected = []
                for d in range(len(out)):
                    keep = selection(l1_reg, mask, weights, LINKS[link](ey[:, d]) - expected[d], out[d] - expected[d])
                    assert np.all(phi[d, np.setdiff1d(np.arange(30), keep)] == 0), (d, keep)
                    selected.append([int(j) for j in keep])
            results.append({"model_output": out.tolist(), "selected_features": selected, "shap_values": phi.tolist()})
        cases.append({"link": link, "l1_reg": l1_reg, "expected_value": expected.tolist(), "results": results})
    golden = {
        "model": model.name,
        "shap_version": shap.__version__,
        "onnxruntime_version": ort.__version__,
        "feature_names": model.config["featureNames"],
        "output_names": model.config["outputNames"],
        "background_file": model.config["backgroundFile"],
        "nsamples": KERNEL_NSAMPLES,
        "expected_value_raw": fnull.tolist(),
        "instances": designs,
        "cases": cases,
    }
    write("kernel_shap_coalitions_breast_cancer.json", golden)


def check_design(model, background, design, explainer):
    x = np.array(design["instance"])
    mask = np.array(design["mask_matrix"])
    ey = np.array(design["coalition_values"])
    assert np.array_equal(np.array(design["model_output_raw"]), model(x[None, :])[0])
    # The recorded design reproduces shap's coalition values.
    n = len(mask)
    check = [3, n // 2, n - 1]
    rows = np.where(mask[check][:, None, :] == 1, x[None, None, :], background[None, :, :])
    got = model(rows.reshape(-1, 30)).reshape(len(check), len(background), -1).mean(axis=1)
    np.testing.assert_allclose(got, ey[check], rtol=0, atol=1e-12)
    k = design["enumerated_rows"]
    assert set(mask[:k].sum(axis=1)) == {1, 29}, "M=30, nsamples=500: sizes 1 and 29 are enumerated"
    assert set(mask[k:].sum(axis=1)).isdisjoint({0, 1, 29, 30})
    np.testing.assert_allclose(explainer.fnull, model(background).mean(axis=0), rtol=0, atol=1e-12)


def main():
    exact_shapley("iris", load_iris)
    exact_shapley("diabetes", load_diabetes)
    kernel_coalitions()


if __name__ == "__main__":
    main()
