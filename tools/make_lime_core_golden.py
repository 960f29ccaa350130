"""Write src/test/resources/golden/lime_core.json: lime's surrogate fit
(`LimeBase.explain_instance_with_data`) on fixed synthetic neighbourhoods, so
the Java core can be checked without reproducing numpy's random sampling.

Needs lime 0.2.0.1 next to tools/requirements.txt; only lime/lime_base.py is
imported, so install it without its plotting and imaging dependencies:
  pip install -r tools/requirements.txt
  pip install --no-deps lime==0.2.0.1

Schema:
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

Deterministic: running it again gives a byte-identical file.
"""

import json
import sys
from functools import partial
from importlib.metadata import version
from pathlib import Path

import numpy as np
from lime.lime_base import LimeBase

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "test" / "resources" / "golden" / "lime_core.json"

# (selection, num_features): auto at 4 runs forward selection, auto at 8 highest weights.
SELECTIONS = [("auto", 4), ("auto", 8), ("forward_selection", 3), ("forward_selection", 7),
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
    document = {
        "lime_version": version("lime"),
        "numpy_version": np.__version__,
        "sklearn_version": version("scikit-learn"),
        "cases": cases,
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
