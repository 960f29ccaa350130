"""Write the LIME core golden files under src/test/resources/golden/, so the
Java implementation can be checked without reproducing numpy's random sampling:

  lime_core.json          lime's surrogate fit (`LimeBase.explain_instance_with_data`)
                          on fixed synthetic neighbourhoods
  lime_core_tabular.json  `LimeTabularExplainer` end to end on a synthetic training
                          set and model: its training statistics, the neighbourhood it
                          sampled (data and inverse) and its explanations

Needs lime 0.2.0.1 next to tools/requirements.txt; lime_base and lime_tabular
import without lime's plotting and imaging dependencies, so install it alone:
  pip install -r tools/requirements.txt
  pip install --no-deps lime==0.2.0.1

Schema of lime_core.json:
  lime_version, numpy_version, sklearn_version  strings
  cases  [case]
    name          string
    data          [row][column]  the scaled neighbourhood lime regresses on; row 0 the instance
    labels        [row][label]
    distances     [row]
    kernel_width  number         lime's kernel: sqrt(exp(-d^2 / w^2))
    fits          [fit]
      label, num_features  int
      feature_selection    "auto" | "forward_selection" | "highest_weights" | "none"
      intercept, score, local_pred  number
      exp          [[feature, coefficient]]  lime's order: by decreasing |coefficient|

Schema of lime_core_tabular.json:
  lime_version, numpy_version, sklearn_version  strings
  training      [row][column]
  categorical   [column]        lime's categorical_features
  instance      [column]
  model         {weights [column], bias}: f(x) = [1 - p, p], p = 1 / (1 + exp(-(weights . x + bias)))
  cases  [case]
    discretizer          "quartile" | "decile" | null (continuous mode)
    sample_around_instance, num_samples, num_features, feature_selection
    edges         {column: [edge]}        discretised mode: lime's bin edges (its mins[1:])
    training_bins [row][column]           discretised mode: lime's discretize(training)
    scaler_mean, scaler_scale  [column]   lime's scaler after its categorical adjustments
    data, inverse [row][column]           the neighbourhood (__data_inverse)
    fits  [{label, intercept, score, local_pred, exp [[feature, coefficient]]}]

Deterministic: running them again gives byte-identical files.
"""

import json
import sys
from functools import partial
from importlib.metadata import version
from pathlib import Path

import numpy as np
from lime.lime_base import LimeBase
from lime.lime_tabular import LimeTabularExplainer

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "src" / "test" / "resources" / "golden"

# (selection, num_features): auto at 4 runs forward selection, auto at 8 highest weights.
SELECTIONS = [("auto", 4), ("auto", 8), ("forward_selection", 3), ("forward_selection", 7), ("forward_selection", 10),
              ("highest_weights", 5), ("none", 10)]


def kernel(d, kernel_width):
    return np.sqrt(np.exp(-(d ** 2) / kernel_width ** 2))


def labels_for(rng, data, count):
    """Labels with some signal in a few columns, plus noise: probabilities and a raw score."""
    n, m = data.shape
    out = np.empty((n, count))
    for k in range(count):
        w = rng.normal(size=m) * (rng.random(m) < 0.5)
        z = data @ w + 0.3 * rng.normal(size=n)
        out[:, k] = 1 / (1 + np.exp(-z)) if k % 2 == 0 else z
    return out


def euclidean_to_row0(data):
    return np.sqrt(((data - data[0]) ** 2).sum(axis=1))


def discretised(rng, n, m):
    """0/1 rows, 1 where a sample's quartile bin is the instance's; row 0 all ones; one constant column."""
    data = (rng.random((n, m)) < 0.25).astype(float)
    data[0] = 1
    data[:, 3] = 1
    return data


def continuous(rng, n, m):
    """Standardised Gaussian samples around a fixed instance, two 0/1 categorical columns."""
    data = rng.normal(size=(n, m))
    data[0] = rng.normal(size=m)
    for c in (1, 6):
        data[:, c] = (rng.random(n) < 0.4).astype(float)
        data[0, c] = 1
    return data


def masked(rng, n, m):
    """Group indicators kept with probability 1/2, row 0 all ones: cosine distance, width 0.25."""
    data = rng.integers(0, 2, size=(n, m)).astype(float)
    data[0] = 1
    return data


def cosine_to_ones(data):
    norms = np.sqrt(data.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = np.where(norms > 0, data.sum(axis=1) / (norms * np.sqrt(data.shape[1])), 0.0)
    return 1 - similarity


def case(name, rng, data, distances, kernel_width, label_count):
    labels = labels_for(rng, data, label_count)
    base = LimeBase(partial(kernel, kernel_width=kernel_width), random_state=0)
    fits = []
    for label in range(label_count):
        for selection, num_features in SELECTIONS:
            intercept, exp, score, local_pred = base.explain_instance_with_data(
                data, labels, distances, label, num_features, feature_selection=selection)
            fits.append({
                "label": label,
                "num_features": num_features,
                "feature_selection": selection,
                "intercept": float(intercept),
                "score": float(score),
                "local_pred": float(local_pred[0]),
                "exp": [[int(f), float(c)] for f, c in exp],
            })
    return {
        "name": name,
        "data": data.tolist(),
        "labels": labels.tolist(),
        "distances": distances.tolist(),
        "kernel_width": kernel_width,
        "fits": fits,
    }


def training_set(rng, n):
    """Columns: Gaussian; categorical 0-3; constant; ties at 2.0 (a one-valued first bin); integers 0-9; wide."""
    return np.column_stack([
        rng.normal(size=n),
        rng.choice(4, size=n, p=[0.1, 0.2, 0.3, 0.4]).astype(float),
        np.full(n, 3.5),
        np.where(rng.random(n) < 0.4, 2.0, 2.0 + np.round(rng.exponential(size=n), 1)),
        rng.integers(0, 10, size=n).astype(float),
        1000 + 100 * rng.normal(size=n),
    ])


def tabular(rng):
    training = training_set(rng, 200)
    categorical = [1]
    instance = np.array([0.3, 2.0, 3.5, 2.0, 7.0, 1050.0])
    weights = np.array([1.2, -0.8, 0.5, 0.9, -0.3, 0.004])
    bias = -4.5

    def predict(rows):
        p = 1 / (1 + np.exp(-(rows @ weights + bias)))
        return np.column_stack([1 - p, p])

    cases = []
    for discretizer, around, num_samples, num_features, selection in [
            ("quartile", False, 500, 4, "auto"), ("decile", False, 400, 8, "auto"),
            (None, False, 500, 6, "none"), (None, True, 300, 3, "forward_selection")]:
        recorded = []
        fits = []
        for label in (0, 1):
            explainer = LimeTabularExplainer(
                training, categorical_features=categorical, discretize_continuous=discretizer is not None,
                discretizer=discretizer or "quartile", sample_around_instance=around,
                feature_selection=selection, random_state=7)
            sample = explainer._LimeTabularExplainer__data_inverse

            def record(row, n, sample=sample):
                data, inverse = sample(row, n)
                recorded.append((data, inverse))
                return data, inverse

            explainer._LimeTabularExplainer__data_inverse = record
            e = explainer.explain_instance(instance, predict, labels=(label,), num_features=num_features,
                                           num_samples=num_samples)
            fits.append({
                "label": label,
                "intercept": float(e.intercept[label]),
                "score": float(e.score),
                "local_pred": float(e.local_pred[0]),
                "exp": [[int(f), float(c)] for f, c in e.local_exp[label]],
            })
        assert all(np.array_equal(recorded[0][i], r[i]) for r in recorded for i in (0, 1))
        item = {
            "discretizer": discretizer,
            "sample_around_instance": around,
            "num_samples": num_samples,
            "num_features": num_features,
            "feature_selection": selection,
            "scaler_mean": explainer.scaler.mean_.tolist(),
            "scaler_scale": explainer.scaler.scale_.tolist(),
            "data": recorded[0][0].tolist(),
            "inverse": recorded[0][1].tolist(),
            "fits": fits,
        }
        if discretizer is not None:
            item["edges"] = {str(f): explainer.discretizer.mins[f][1:] for f in explainer.discretizer.mins}
            item["training_bins"] = explainer.discretizer.discretize(training).tolist()
        cases.append(item)
    return {
        "training": training.tolist(),
        "categorical": categorical,
        "instance": instance.tolist(),
        "model": {"weights": weights.tolist(), "bias": bias},
        "cases": cases,
    }


def versions():
    return {
        "lime_version": version("lime"),
        "numpy_version": np.__version__,
        "sklearn_version": version("scikit-learn"),
    }


def write(name, document):
    (GOLDEN / name).write_text(json.dumps(document, indent=1) + "\n")


def main():
    rng = np.random.default_rng(20240611)
    cases = []
    m = 10
    data = discretised(rng, 300, m)
    cases.append(case("discretised", rng, data, euclidean_to_row0(data), 0.75 * np.sqrt(m), 3))
    data = continuous(rng, 400, m)
    cases.append(case("continuous", rng, data, euclidean_to_row0(data), 0.75 * np.sqrt(m), 2))
    m = 12
    data = masked(rng, 250, m)
    cases.append(case("masked", rng, data, cosine_to_ones(data), 0.25, 2))
    data = rng.normal(size=(60, m))
    cases.append(case("random_distances", rng, data, rng.random(60) * 3, 1.7, 2))
    write("lime_core.json", {**versions(), "cases": cases})
    write("lime_core_tabular.json", {**versions(), **tabular(np.random.default_rng(20240612))})


if __name__ == "__main__":
    main()
