"""Write the LIME golden files under src/test/resources/golden/ from the `lime`
library: its tabular neighbourhood, and the surrogate fits of its
deterministic core (LimeBase.explain_instance_with_data) on it.

Run tools/make_models.py first. One file per model and mode,
lime_<model>_<mode>.json, for model in iris (classification), diabetes
(regression, with `sex` declared categorical) and breast_cancer
(classification), and mode in quartile, decile (discretize_continuous=True
with that discretizer) and continuous (discretize_continuous=False).

How each file is made: LimeTabularExplainer(training_data=<the model's
background.csv>, mode, feature_names, categorical_features,
discretize_continuous, discretizer, random_state=0, kernel_width default
0.75*sqrt(features), feature_selection per fit). The neighbourhood is lime's
own (its private sampler, the first thing explain_instance does), num_samples
500 (300 for breast_cancer, to keep the files small) around the model's first
test row. The model is the bundled ONNX file run
by onnxruntime (one intra-op thread) on float32(inverse). Then, as
explain_instance does: scaled_data = (data - scaler_mean) / scaler_scale
(float64, elementwise; not written, it follows exactly from the file),
distances = euclidean(scaled_data, scaled_data[0]), weights =
sqrt(exp(-d^2 / kernel_width^2)), and each fit is
explain_instance_with_data(scaled_data, labels, distances, label,
num_features, feature_selection). The script checks that
explain_instance itself gives the same result for one fit.

Schema:
  model                   string    bundled model under models/
  prism_model             string    model to use in a Prism test: the bundled one,
                                    or "diabetes_categorical" (src/test/resources/models:
                                    the diabetes model with sex declared categorical)
  lime_version, scikit_learn_version, onnxruntime_version   strings
  mode                    "classification" | "regression"
  discretize_continuous   bool
  discretizer             "quartile" | "decile" | null
  proto_discretizer       "DISCRETIZER_QUARTILE" | "DISCRETIZER_DECILE" | "DISCRETIZER_NONE"
  random_state            0
  num_samples             500 (breast_cancer: 300)
  kernel_width            float     0.75 * sqrt(features)
  feature_names           [feature]
  output_names            [output]  the model's score columns
  categorical_features    [k]       indices lime treated as categorical (given, not
                                    the discretised ones)
  background_file         "background.csv"   lime's training data
  instance                [feature]
  scaler_mean             [feature] lime's scaler.mean_ (0 for categorical features,
                                    and for every feature when discretised)
  scaler_scale            [feature] lime's scaler.scale_ (population std; 1 for
                                    categorical features and when discretised)
  discretizer_bins        [feature] of null | {boundaries [b], means [b+1],
                                    stds [b+1], mins [b+1], maxs [b+1]}: lime's bins
                                    (np.unique of the percentiles; bin = searchsorted
                                    (boundaries, value)) and the per-bin statistics its
                                    undiscretize samples from (stds include lime's
                                    +1e-11). null for undiscretised features.
  sampling_values         [feature] of null | [v]   the values lime samples
                                    categorical or discretised features from (bin
                                    indices when discretised, raw values otherwise)
  sampling_frequencies    [feature] of null | [v]   their probabilities
  data                    [sample][feature]   lime's `data` before scaling: 0/1 "same
                                    bin (or category) as the instance" for discretised
                                    and categorical features, raw values otherwise.
                                    Row 0 is the instance.
                                    Columns holding only 0 and 1 are written as
                                    integers.
  inverse                 [sample][feature]   the model inputs: lime's `inverse`
                                    rounded to float32 (what the model sees), written
                                    as the shortest decimal that reads back as that
                                    float32: parse as float32. Row 0 is the instance.
  labels                  [sample][output]    model outputs on float32(inverse)
                                    (regression: one column)
  distances               [sample]
  weights                 [sample]  kernel weights
  explanations            [{
    label                 int       column of `labels` explained
    output                string    its name
    feature_selection     "auto" | "none" | "forward_selection" | "highest_weights"
    proto_feature_selection  FEATURE_SELECTION_*
    num_features          int
    used_features         [k]       LimeBase.feature_selection's result, in its order
    intercept             float
    coefficients          [[feature, coef]]   lime's local_exp: used features sorted
                                    by decreasing |coef|
    score                 float     weighted R^2 on the neighbourhood
    local_pred            float     surrogate prediction at row 0
  }]
"""

import json
import sys
from pathlib import Path

import lime
import lime.lime_tabular
import numpy as np
import onnxruntime as ort
import sklearn
import sklearn.metrics
from importlib.metadata import version
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import OnnxModel, write  # noqa: E402
from make_models import load_split  # noqa: E402

NUM_SAMPLES = 500
RANDOM_STATE = 0
MODES = {
    "quartile": (True, "quartile", "DISCRETIZER_QUARTILE"),
    "decile": (True, "decile", "DISCRETIZER_DECILE"),
    "continuous": (False, "quartile", "DISCRETIZER_NONE"),  # discretizer unused when not discretising
}
SELECTIONS = [  # (lime's feature_selection, num_features)
    ("auto", 4),  # forward selection (num_features <= 6)
    ("auto", 10),  # highest weights
    ("none", 10),
    ("forward_selection", 3),
    ("highest_weights", 3),
]
PROTO_SELECTION = {
    "auto": "FEATURE_SELECTION_AUTO",
    "none": "FEATURE_SELECTION_NONE",
    "forward_selection": "FEATURE_SELECTION_FORWARD",
    "highest_weights": "FEATURE_SELECTION_HIGHEST_WEIGHTS",
}


def predict_fn(model, mode):
    def predict(x):
        out = model(np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64))
        return out[:, 0] if mode == "regression" else out
    return predict


def make_explainer(model, mode, categorical, mode_name):
    discretize, discretizer, _ = MODES[mode_name]
    return lime.lime_tabular.LimeTabularExplainer(
        model.background.astype(np.float64),
        mode=mode,
        feature_names=model.config["featureNames"],
        categorical_features=categorical,
        discretize_continuous=discretize,
        discretizer=discretizer,
        random_state=RANDOM_STATE,
    )


def compact(matrix):
    """Rows as lists; 0/1 columns as integers (shorter files)."""
    binary = np.all((matrix == 0) | (matrix == 1), axis=0)
    return [[int(v) if binary[j] else float(v) for j, v in enumerate(row)] for row in matrix]


def bins_of(explainer, m):
    d = explainer.discretizer
    if d is None:
        return [None] * m
    out = []
    for j in range(m):
        if j not in d.lambdas:
            out.append(None)
            continue
        boundaries = d.lambdas[j].__defaults__[0]  # the bin edges the lambda searches
        out.append({
            "boundaries": np.asarray(boundaries, dtype=np.float64).tolist(),
            "means": np.asarray(d.means[j], dtype=np.float64).tolist(),
            "stds": np.asarray(d.stds[j], dtype=np.float64).tolist(),
            "mins": np.asarray(d.mins[j], dtype=np.float64).tolist(),
            "maxs": np.asarray(d.maxs[j], dtype=np.float64).tolist(),
        })
    return out


def golden(name, prism_model, loader, mode, labels_explained, categorical, mode_name, num_samples=NUM_SAMPLES):
    model = OnnxModel(name)
    m = model.background.shape[1]
    _, x_test, _, _ = load_split(loader)
    x = x_test[0].astype(np.float32).astype(np.float64)
    predict = predict_fn(model, mode)

    explainer = make_explainer(model, mode, categorical, mode_name)
    data, inverse = explainer._LimeTabularExplainer__data_inverse(x, num_samples)
    scaled = (data - explainer.scaler.mean_) / explainer.scaler.scale_
    distances = sklearn.metrics.pairwise_distances(scaled, scaled[0].reshape(1, -1), metric="euclidean").ravel()
    yss = predict(inverse)
    if mode == "regression":
        yss = yss[:, None]
    kernel_width = 0.75 * np.sqrt(m)
    weights = explainer.base.kernel_fn(distances)
    np.testing.assert_allclose(weights, np.exp(-distances**2 / (2 * kernel_width**2)), rtol=1e-12, atol=0)

    explanations = []
    for label in labels_explained:
        for selection, num_features in SELECTIONS:
            used = explainer.base.feature_selection(scaled, yss[:, label], weights, num_features, selection)
            intercept, coefs, score, local_pred = explainer.base.explain_instance_with_data(
                scaled, yss, distances, label, num_features, feature_selection=selection)
            assert sorted(int(j) for j, _ in coefs) == sorted(int(j) for j in used)
            explanations.append({
                "label": int(label),
                "output": model.config["outputNames"][label],
                "feature_selection": selection,
                "proto_feature_selection": PROTO_SELECTION[selection],
                "num_features": num_features,
                "used_features": [int(j) for j in used],
                "intercept": float(intercept),
                "coefficients": [[int(j), float(c)] for j, c in coefs],
                "score": float(score),
                "local_pred": float(np.asarray(local_pred).ravel()[0]),
            })

    # lime's own explain_instance, from a fresh explainer with the same seed,
    # gives the same neighbourhood and the same default fit (auto, 10 features).
    fresh = make_explainer(model, mode, categorical, mode_name)
    label = labels_explained[-1]
    exp = fresh.explain_instance(x, predict, labels=(label,), num_features=10, num_samples=num_samples)
    mine = next(e for e in explanations if e["label"] == label and e["feature_selection"] == "auto" and e["num_features"] == 10)
    key = 1 if mode == "regression" else label  # lime files regression fits under label 1 (and negates label 0)
    assert exp.intercept[key] == mine["intercept"], (exp.intercept[key], mine["intercept"])
    assert [[int(j), float(c)] for j, c in exp.local_exp[key]] == mine["coefficients"]
    assert exp.score == mine["score"] and float(np.ravel(exp.local_pred)[0]) == mine["local_pred"]

    values = [None] * m
    freqs = [None] * m
    for j, v in explainer.feature_values.items():
        values[j] = np.asarray(v, dtype=np.float64).tolist()
        freqs[j] = np.asarray(explainer.feature_frequencies[j], dtype=np.float64).tolist()
    discretize, discretizer, proto_discretizer = MODES[mode_name]
    result = {
        "model": name,
        "prism_model": prism_model,
        "lime_version": version("lime"),
        "scikit_learn_version": sklearn.__version__,
        "onnxruntime_version": ort.__version__,
        "mode": mode,
        "discretize_continuous": discretize,
        "discretizer": discretizer if discretize else None,
        "proto_discretizer": proto_discretizer,
        "random_state": RANDOM_STATE,
        "num_samples": num_samples,
        "kernel_width": kernel_width,
        "feature_names": model.config["featureNames"],
        "output_names": model.config["outputNames"],
        "categorical_features": list(categorical),
        "background_file": model.config["backgroundFile"],
        "instance": x.tolist(),
        "scaler_mean": explainer.scaler.mean_.tolist(),
        "scaler_scale": explainer.scaler.scale_.tolist(),
        "discretizer_bins": bins_of(explainer, m),
        "sampling_values": values,
        "sampling_frequencies": freqs,
        "data": compact(data),
        "inverse": [[float(str(v)) for v in row] for row in inverse.astype(np.float32)],
        "labels": yss.astype(np.float64).tolist(),
        "distances": distances.tolist(),
        "weights": weights.tolist(),
        "explanations": explanations,
    }
    write(f"lime_{name}_{mode_name}.json", result)


def main():
    for mode_name in MODES:
        golden("iris", "iris", load_iris, "classification", [0, 1, 2], [], mode_name)
        golden("diabetes", "diabetes_categorical", load_diabetes, "regression", [0], [1], mode_name)
        golden("breast_cancer", "breast_cancer", load_breast_cancer, "classification", [0, 1], [], mode_name,
               num_samples=300)


if __name__ == "__main__":
    main()
