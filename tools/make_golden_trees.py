"""Golden files for tree_shap: shap's TreeExplainer on native tree ensembles, and their ONNX exports.

    python tools/make_golden_trees.py   (in a venv with tools/requirements-golden-trees.txt installed)

For each model it writes, under src/test/resources:
  models/tree_<name>/model.onnx, config.json   the ONNX export Prism serves
  golden/tree_shap_<name>.json                 the instances, the background and shap's values

shap explains the native model with interventional TreeSHAP over the whole background
(`shap.maskers.Independent(bg, max_samples=len(bg))`, so no background row is dropped), in the
model's raw output space: for random forests the averaged leaf probabilities or values, for
boosted ensembles the margin (log-odds) before the sigmoid. That is the margin Prism explains on
the ONNX export, so the values must agree to float rounding of the thresholds.

For models of at most 12 features the script also enumerates every coalition through the native
model's own prediction (v(S) = mean_r f(x_S, r_notS), the Shapley formula over all 2^M subsets):
the exact values. shap 0.51's interventional TreeExplainer is not exact on every forest (on
tree_rf_iris and tree_rf_regressor it differs from the enumeration of its own model's predictions
by up to about 1e-2 and 1e-1), so where the enumeration exists it is the golden answer and shap's
distance from it is recorded.

Missing values: xgb_multiclass_nan and xgb_regressor_nan are trained, explained and enumerated with
NaN in some cells of the training data, the instances and the background, so each split's learned
default direction is exercised. Before writing them the script checks that onnxruntime, on the
export, gives the native model's predictions on every row with a NaN; it stops if not.

lgbm_categorical declares two categorical features; LightGBM's set splits become chains of
BRANCH_EQ nodes sharing a child, so its trees are DAGs (the script checks there are some). shap
refuses a background for such a model, so its golden answer is the enumeration alone: it has no
shap fields, and its base_values are the mean raw prediction over the background (v of the empty
coalition).

Graph names are fixed (the converters draw random ones) and opset imports sorted, so running the
script again gives the same files.

The golden JSON:
    model            string
    shap_version     string
    background       [R][M] rows
    instances        [N][M] rows
    values           [N][M][K] shap values, K = the model's score columns
    base_values      [K] shap's expected value per column
    exact_values     [N][M][K] the enumeration, for M <= 12 (else absent)
    shap_max_error   max |values - exact_values|, when exact_values is present
    path_values      [N][M][K] shap's tree_path_dependent values with the covers it counts from
                     the background (`data=background`)
    model_cover_values, model_cover_base_values
                     (tree_rf_regressor_covers only, whose export states the forest's training
                     covers in nodes_hitrates) shap's tree_path_dependent values without data
    path_base_values [K] their expected value
    path_interaction_values [N][M][M][K] shap's shap_interaction_values from the same explainer
                     (for XGBoost too: shap's own C++ on the covers it counted, not XGBoost's
                     pred_interactions, which would use the training covers)

A missing value (NaN) in background or instances is written as null. A model shap cannot explain
over a background (lgbm_categorical) has no shap_version, values, path_values, path_base_values,
path_interaction_values or shap_max_error.
"""

import itertools
import json
import math
from pathlib import Path

import lightgbm
import numpy as np
import onnx
import onnxruntime as ort
import shap
import sklearn
import xgboost
from onnxmltools import convert_lightgbm, convert_xgboost
from onnxmltools.convert.common.data_types import FloatTensorType as MLFloatTensorType
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              RandomForestClassifier, RandomForestRegressor)

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "src" / "test" / "resources"
SEED = 7
BACKGROUND_ROWS = 40
INSTANCES = 8


def split(data):
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(data.data))
    X = data.data[order].astype(np.float32)
    return X, data.target[order]


def with_missing(X, fraction):
    """X with a seeded fraction of its cells missing (NaN)."""
    rng = np.random.default_rng(SEED + 1)
    X = X.copy()
    X[rng.random(X.shape) < fraction] = np.nan
    return X


def fixed(onnx_model, name):
    """A fixed graph name and sorted opset imports, for the same bytes on every run."""
    onnx_model.graph.name = f"tree_{name}"
    imports = sorted(((op.domain, op.version) for op in onnx_model.opset_import))
    del onnx_model.opset_import[:]
    onnx_model.opset_import.extend(onnx.helper.make_opsetid(d, v) for d, v in imports)
    return onnx_model


def check_export(name, onnx_model, score_output, X, native):
    """Stops unless onnxruntime on the export gives the native model's scores on every row of X,
    the rows with missing values included."""
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run([score_output], {"input": X.astype(np.float32)})[0]
    want = np.asarray(native(X), dtype=np.float64).reshape(got.shape)
    missing = np.isnan(X).any(axis=1)
    for rows, what in ((missing, "rows with NaN"), (~missing, "rows without NaN")):
        if rows.any():
            error = float(np.abs(got[rows] - want[rows]).max())
            if not error <= 1e-5 * max(1.0, float(np.abs(want).max())):
                raise SystemExit(f"tree_{name}: onnxruntime differs from the native model on {what} by {error}")
    return int(missing.sum())


def is_dag(onnx_model):
    """Whether some tree node of the ensemble has more than one parent (a shared BRANCH_EQ child)."""
    node = next(n for n in onnx_model.graph.node if n.op_type.startswith("TreeEnsemble"))
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    parents = {}
    for tree, mode, true_id, false_id in zip(attrs["nodes_treeids"], attrs["nodes_modes"],
                                             attrs["nodes_truenodeids"], attrs["nodes_falsenodeids"]):
        if mode != b"LEAF":
            for child in (true_id, false_id):
                parents[(tree, child)] = parents.get((tree, child), 0) + 1
    modes = set(attrs["nodes_modes"])
    return b"BRANCH_EQ" in modes and max(parents.values()) > 1


def missing_as_null(rows):
    """Rows for JSON: NaN (missing) as null."""
    return [[None if math.isnan(v) else v for v in row] for row in rows.tolist()]


def sklearn_onnx(model, features):
    return convert_sklearn(model, initial_types=[("input", FloatTensorType([None, features]))],
                           options={id(model): {"zipmap": False}} if hasattr(model, "classes_") else None,
                           target_opset={"": 15, "ai.onnx.ml": 1})


MAX_ENUMERATED_FEATURES = 12


def enumerate_shapley(predict, x, background):
    """Exact interventional Shapley values [M][K] of predict's columns by enumeration."""
    m = len(x)
    values = {}
    for size in range(m + 1):
        for subset in itertools.combinations(range(m), size):
            rows = background.copy()
            rows[:, list(subset)] = x[list(subset)]
            values[subset] = predict(rows).mean(axis=0)
    k = len(values[()])
    phi = np.zeros((m, k))
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for size in range(m):
            weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            for subset in itertools.combinations(others, size):
                with_i = tuple(sorted(subset + (i,)))
                phi[i] += weight * (values[with_i] - values[subset])
    return phi


def write(name, onnx_model, score_output, output_names, X, model_for_shap, score_columns, predict,
          shap_explains=True):
    """Writes the model and its golden file. Without shap_explains (shap refuses a background for
    the model) the enumeration is the only answer."""
    folder = RESOURCES / "models" / f"tree_{name}"
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(fixed(onnx_model, name), folder / "model.onnx")
    (folder / "config.json").write_text(json.dumps({
        "scoreOutputs": [score_output],
        "outputNames": output_names,
    }, indent=2) + "\n")
    background = X[:BACKGROUND_ROWS].astype(np.float64)
    instances = X[BACKGROUND_ROWS:BACKGROUND_ROWS + INSTANCES].astype(np.float64)
    golden = {"model": f"tree_{name}"}
    if shap_explains:
        explainer = shap.TreeExplainer(model_for_shap,
                                       data=shap.maskers.Independent(background, max_samples=len(background)),
                                       feature_perturbation="interventional")
        explanation = explainer(instances, check_additivity=True)
        values = np.asarray(explanation.values, dtype=np.float64)
        base = np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))
        if values.ndim == 2:
            values = values[:, :, None]
        values, base = score_columns(values, base)
        path = shap.TreeExplainer(model_for_shap, data=background, feature_perturbation="tree_path_dependent")
        path_values = np.asarray(path.shap_values(instances, check_additivity=False), dtype=np.float64)
        if isinstance(path.shap_values(instances[:1], check_additivity=False), list):
            path_values = np.stack(path.shap_values(instances, check_additivity=False), axis=-1)
        if path_values.ndim == 2:
            path_values = path_values[:, :, None]
        path_base = np.atleast_1d(np.asarray(path.expected_value, dtype=np.float64))
        path_values, path_base = score_columns(path_values, path_base)
        if path.model.model_type == "xgboost":
            # shap hands XGBoost's interactions to XGBoost itself, whose covers are the training
            # set's whatever data says; as "internal" it runs its own C++ on the covers it counted.
            path.model.model_type = "internal"
        path_interactions = np.asarray(path.shap_interaction_values(instances), dtype=np.float64)
        if path_interactions.ndim == 3:
            path_interactions = path_interactions[..., None]
        path_interactions, _ = score_columns(path_interactions, path_base)
        golden.update({
            "shap_version": shap.__version__,
            "background": missing_as_null(background),
            "instances": missing_as_null(instances),
            "values": values.tolist(),
            "base_values": base.tolist(),
            "path_values": path_values.tolist(),
            "path_base_values": path_base.tolist(),
            "path_interaction_values": path_interactions.tolist(),
        })
    else:
        base = np.asarray(predict(background), dtype=np.float64).mean(axis=0)
        golden.update({
            "background": missing_as_null(background),
            "instances": missing_as_null(instances),
            "base_values": base.tolist(),
        })
    if instances.shape[1] <= MAX_ENUMERATED_FEATURES:
        exact = np.stack([enumerate_shapley(predict, x, background) for x in instances])
        exact, _ = score_columns(exact, base)
        golden["exact_values"] = exact.tolist()
        if shap_explains:
            golden["shap_max_error"] = float(np.abs(values - exact).max())
    (RESOURCES / "golden" / f"tree_shap_{name}.json").write_text(json.dumps(golden) + "\n")
    shape = np.asarray(golden.get("values", golden.get("exact_values"))).shape
    print(f"tree_{name}: {shape}, base {np.round(base, 6).tolist()}, shap vs enumeration:"
          f" {golden.get('shap_max_error', 'not enumerated' if shap_explains else 'shap not run')}")


def with_stated_covers(onnx_model, forest):
    """The export with nodes_hitrates set to each node's weighted training count
    (scikit-learn's weighted_n_node_samples): covers that count rows, as converters never write."""
    graph = onnx_model.graph
    node = next(n for n in graph.node if n.op_type.startswith("TreeEnsemble"))
    attributes = {a.name: a for a in node.attribute}
    trees = list(attributes["nodes_treeids"].ints)
    ids = list(attributes["nodes_nodeids"].ints)
    covers = [float(forest.estimators_[t].tree_.weighted_n_node_samples[i]) for t, i in zip(trees, ids)]
    if "nodes_hitrates" in attributes:
        node.attribute.remove(attributes["nodes_hitrates"])
    node.attribute.append(onnx.helper.make_attribute("nodes_hitrates", covers))
    return onnx_model


def write_stated_covers(name, onnx_model, score_output, output_names, X, forest):
    """A forest whose export states its training covers, and shap's path-dependent values on the
    native forest without data (which weighs the splits by those same training covers)."""
    folder = RESOURCES / "models" / f"tree_{name}"
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(fixed(with_stated_covers(onnx_model, forest), name), folder / "model.onnx")
    (folder / "config.json").write_text(json.dumps({
        "scoreOutputs": [score_output],
        "outputNames": output_names,
    }, indent=2) + "\n")
    background = X[:BACKGROUND_ROWS].astype(np.float64)
    instances = X[BACKGROUND_ROWS:BACKGROUND_ROWS + INSTANCES].astype(np.float64)
    path = shap.TreeExplainer(forest, feature_perturbation="tree_path_dependent")
    values = np.asarray(path.shap_values(instances, check_additivity=False), dtype=np.float64)
    if values.ndim == 2:
        values = values[:, :, None]
    base = np.atleast_1d(np.asarray(path.expected_value, dtype=np.float64))
    golden = {
        "model": f"tree_{name}",
        "shap_version": shap.__version__,
        "background": missing_as_null(background),
        "instances": missing_as_null(instances),
        "model_cover_values": values.tolist(),
        "model_cover_base_values": base.tolist(),
    }
    (RESOURCES / "golden" / f"tree_shap_{name}.json").write_text(json.dumps(golden) + "\n")
    print(f"tree_{name}: {values.shape}, base {np.round(base, 6).tolist()}, with stated covers")


def same(values, base):
    return values, base


def binary_from_positive(values, base):
    """A one-margin binary model whose ONNX scores are [margin-derived column 0, margin]: shap gives
    the positive margin only; column 0's margin is its negation."""
    v = values[..., -1:]
    b = base[-1:]
    return np.concatenate([-v, v], axis=-1), np.concatenate([-b, b])


def main():
    print(f"shap {shap.__version__}, scikit-learn {sklearn.__version__}, xgboost {xgboost.__version__},"
          f" lightgbm {lightgbm.__version__}")
    X, y = split(load_breast_cancer())
    M = X.shape[1]

    # Random forest, binary: ONNX columns [1 - p, p]; shap explains both probabilities.
    rf = RandomForestClassifier(n_estimators=15, max_depth=5, random_state=SEED).fit(X, y)
    write("rf_binary", sklearn_onnx(rf, M), "probabilities", ["malignant", "benign"], X, rf, same,
          rf.predict_proba)

    # Gradient boosting, binary: the margin is the log-odds before the logistic; ONNX lays it out
    # as [-s, s] before the sigmoid, shap explains s.
    gb = GradientBoostingClassifier(n_estimators=25, max_depth=3, random_state=SEED).fit(X, y)
    write("gb_binary", sklearn_onnx(gb, M), "probabilities", ["malignant", "benign"], X, gb,
          binary_from_positive, lambda rows: gb.decision_function(rows)[:, None])

    # XGBoost, binary, margin space.
    xgb = xgboost.XGBClassifier(n_estimators=30, max_depth=4, random_state=SEED).fit(X, y)
    xgb_onnx = convert_xgboost(xgb, initial_types=[("input", MLFloatTensorType([None, M]))], target_opset=15)
    write("xgb_binary", xgb_onnx, "probabilities", ["malignant", "benign"], X, xgb, binary_from_positive,
          lambda rows: xgb.predict(rows, output_margin=True)[:, None])

    # Random forest, multi-class: one column per class.
    Xi, yi = split(load_iris())
    rfi = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=SEED).fit(Xi, yi)
    write("rf_iris", sklearn_onnx(rfi, Xi.shape[1]), "probabilities", ["setosa", "versicolor", "virginica"],
          Xi, rfi, same, lambda rows: rfi.predict_proba(rows.astype(np.float32)))

    # Regressors: one column.
    Xd, yd = split(load_diabetes())
    rfr = RandomForestRegressor(n_estimators=12, max_depth=5, random_state=SEED).fit(Xd, yd)
    write("rf_regressor", sklearn_onnx(rfr, Xd.shape[1]), "variable", ["progression"], Xd, rfr, same,
          lambda rows: rfr.predict(rows.astype(np.float32))[:, None])
    # The same forest with its training covers in the export, for tree_shap.model_covers.
    write_stated_covers("rf_regressor_covers", sklearn_onnx(rfr, Xd.shape[1]), "variable", ["progression"], Xd, rfr)
    etr = ExtraTreesRegressor(n_estimators=12, max_depth=5, random_state=SEED).fit(Xd, yd)
    write("et_regressor", sklearn_onnx(etr, Xd.shape[1]), "variable", ["progression"], Xd, etr, same,
          lambda rows: etr.predict(rows.astype(np.float32))[:, None])

    # LightGBM regressor.
    lgb = lightgbm.LGBMRegressor(n_estimators=20, num_leaves=15, random_state=SEED, verbose=-1).fit(Xd, yd)
    lgb_onnx = convert_lightgbm(lgb, initial_types=[("input", MLFloatTensorType([None, Xd.shape[1]]))],
                                target_opset=15)
    write("lgbm_regressor", lgb_onnx, "variable", ["progression"], Xd, lgb, same,
          lambda rows: lgb.predict(rows)[:, None])

    # Extra trees, binary on the ten "mean" measurements (few enough to enumerate), and on iris.
    Xm = X[:, :10]
    etb = ExtraTreesClassifier(n_estimators=15, max_depth=5, random_state=SEED).fit(Xm, y)
    etb_onnx = sklearn_onnx(etb, Xm.shape[1])
    check_export("et_binary", etb_onnx, "probabilities", Xm, etb.predict_proba)
    write("et_binary", etb_onnx, "probabilities", ["malignant", "benign"], Xm, etb, same,
          lambda rows: etb.predict_proba(rows.astype(np.float32)))
    eti = ExtraTreesClassifier(n_estimators=10, max_depth=4, random_state=SEED).fit(Xi, yi)
    eti_onnx = sklearn_onnx(eti, Xi.shape[1])
    check_export("et_iris", eti_onnx, "probabilities", Xi, eti.predict_proba)
    write("et_iris", eti_onnx, "probabilities", ["setosa", "versicolor", "virginica"], Xi, eti, same,
          lambda rows: eti.predict_proba(rows.astype(np.float32)))

    # XGBoost with missing values in training, instances and background: multi-class (softprob,
    # one margin per class) and regression.
    Xin = with_missing(Xi, 0.15)
    xgbm = xgboost.XGBClassifier(objective="multi:softprob", n_estimators=10, max_depth=3,
                                 random_state=SEED).fit(Xin, yi)
    xgbm_onnx = convert_xgboost(xgbm, initial_types=[("input", MLFloatTensorType([None, Xin.shape[1]]))],
                                target_opset=15)
    check_export("xgb_multiclass_nan", xgbm_onnx, "probabilities", Xin, xgbm.predict_proba)
    write("xgb_multiclass_nan", xgbm_onnx, "probabilities", ["setosa", "versicolor", "virginica"], Xin, xgbm,
          same, lambda rows: xgbm.predict(rows, output_margin=True))
    Xdn = with_missing(Xd, 0.15)
    xgbr = xgboost.XGBRegressor(n_estimators=20, max_depth=4, random_state=SEED).fit(Xdn, yd)
    xgbr_onnx = convert_xgboost(xgbr, initial_types=[("input", MLFloatTensorType([None, Xdn.shape[1]]))],
                                target_opset=15)
    check_export("xgb_regressor_nan", xgbr_onnx, "variable", Xdn, xgbr.predict)
    write("xgb_regressor_nan", xgbr_onnx, "variable", ["progression"], Xdn, xgbr, same,
          lambda rows: xgbr.predict(rows, output_margin=True)[:, None])

    # LightGBM with categorical features: sex as its two codes and bmi as its decile (0..9).
    Xc = Xd.copy()
    Xc[:, 1] = (Xd[:, 1] > 0).astype(np.float32)
    Xc[:, 2] = np.searchsorted(np.quantile(Xd[:, 2], np.linspace(0.1, 0.9, 9)), Xd[:, 2]).astype(np.float32)
    lgbc = lightgbm.LGBMRegressor(n_estimators=20, num_leaves=8, min_child_samples=5, min_data_per_group=5,
                                  cat_smooth=1.0, random_state=SEED, verbose=-1)
    lgbc.fit(Xc, yd, categorical_feature=[1, 2])
    lgbc_onnx = convert_lightgbm(lgbc, initial_types=[("input", MLFloatTensorType([None, Xc.shape[1]]))],
                                 target_opset=15)
    if not is_dag(lgbc_onnx):
        raise SystemExit("tree_lgbm_categorical: the export has no BRANCH_EQ chain sharing a child")
    check_export("lgbm_categorical", lgbc_onnx, "variable", Xc, lgbc.predict)
    write("lgbm_categorical", lgbc_onnx, "variable", ["progression"], Xc, lgbc, same,
          lambda rows: lgbc.predict(rows, raw_score=True)[:, None], shap_explains=False)


if __name__ == "__main__":
    main()
