"""Write the tree-ensemble test models under src/test/resources/models/trees/.

Each model is trained on a small seeded synthetic data set, converted with the converter its
library uses, and checked against the native library's predictions in onnxruntime before it is
written. The Java tests compare Prism's own evaluation of the ensembles with onnxruntime's on
random rows, so only the .onnx files are kept.

  rf_binary              RandomForestClassifier, 2 classes: one score column, class_ids all 0
  rf_multiclass          RandomForestClassifier, 3 classes: three votes per leaf
  rf_regressor           RandomForestRegressor
  extra_trees_regressor  ExtraTreesRegressor
  gb_binary              GradientBoostingClassifier, 2 classes: LOGISTIC, base_values
  gb_multiclass          GradientBoostingClassifier, 3 classes: SOFTMAX, tree i*3+c votes for class c
  gb_exponential         GradientBoostingClassifier(loss="exponential"): NONE, then Mul(2) -> Sigmoid
  hgb_nan                HistGradientBoostingClassifier trained with NaN: missing_value_tracks_true
  xgb_binary_nan         XGBClassifier binary:logistic, NaN in training data, BRANCH_LT
  xgb_multiclass_nan     XGBClassifier multi:softprob, 3 classes, NaN
  xgb_regressor_nan      XGBRegressor reg:squarederror, NaN
  xgb_poisson            XGBRegressor count:poisson: NONE, then Exp -> Mul(base_score)
  lgbm_categorical       LGBMRegressor with a categorical feature: BRANCH_EQ chains sharing a child (DAGs)
  lgbm_categorical_binary LGBMClassifier binary with a categorical feature: LOGISTIC, then Mul(1.0)

Inputs are named `input`, float32 [N, 5]; lgbm_categorical*'s feature 4 holds category codes 0..5.

It also writes the bundled models/breast_cancer_xgb/ (model.onnx, config.json, background.csv): an
XGBClassifier (binary:logistic, 100 trees of depth 5) on scikit-learn's breast cancer data, with
the train/test split, feature names and 100 background rows of make_models.py's breast_cancer, so
the two models explain the same rows. Input `input` float32 [N, 30], outputs `label` int64 [N] and
`probabilities` float32 [N, 2] (malignant, benign).

Pinned: scikit-learn 1.8.0, xgboost 3.2.0, lightgbm 4.7.0, skl2onnx 1.20.0, onnxmltools 1.16.0,
onnx 1.23.2, onnxruntime 1.32.0, numpy 2.4.6 (tools/requirements-trees.txt). Seeded: running it
twice gives the same files. Run from anywhere: paths are relative to the repository root.
"""

import shutil
from pathlib import Path

import lightgbm
import numpy as np
import onnx
import onnxruntime as ort
import xgboost
from onnx import helper
from onnxmltools import convert_lightgbm, convert_xgboost
from onnxmltools.convert.common.data_types import FloatTensorType as MlFloatTensorType
from make_models import MODELS, load_split, write_background, write_config
from skl2onnx import convert_sklearn
from skl2onnx.common import tree_ensemble
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "test" / "resources" / "models" / "trees"
BUNDLED_XGB = MODELS / "breast_cancer_xgb"

# What onnxruntime 1.29 (the Java runtime) runs; IR 8 goes with opset 17.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
IR_VERSION = 8
# onnxmltools 1.16.0 converts up to opset 15.
CONVERTER_OPSET = 15
FEATURES = 5
ROWS = 400
SEED = 0


def patch_hgb_missing_flag():
    """skl2onnx 1.20.0 passes HistGradientBoosting's missing_go_to_left as a numpy bool, which
    onnx refuses in an ints attribute; later skl2onnx releases pass int(...). Do that here."""
    add_node = tree_ensemble.add_node

    def add_node_int_flag(*args, nodes_missing_value_tracks_true=0, **kwargs):
        return add_node(*args, nodes_missing_value_tracks_true=int(nodes_missing_value_tracks_true), **kwargs)

    tree_ensemble.add_node = add_node_int_flag


def data(kind, nan=False, categorical=False):
    """Features rounded to float32 (what the ONNX graph sees) and a target of the given kind."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(ROWS, FEATURES)).astype(np.float32).astype(np.float64)
    if categorical:
        x[:, 4] = rng.integers(0, 6, size=ROWS)
    signal = x[:, 0] + 0.8 * x[:, 1] * x[:, 2] - 0.5 * np.abs(x[:, 3])
    if categorical:
        signal += np.where(np.isin(x[:, 4], [1, 3, 4]), 1.2, -0.7)
    signal += 0.3 * rng.normal(size=ROWS)
    if nan:
        x[rng.random(size=x.shape) < 0.15] = np.nan
    if kind == "binary":
        y = (signal > 0).astype(np.int64)
    elif kind == "multiclass":
        y = np.digitize(signal, [-0.5, 0.5]).astype(np.int64)
    elif kind == "count":
        y = rng.poisson(np.exp(0.5 * np.clip(signal, -3, 3)))
    else:
        y = signal
    return x, y


def tidy(onx, name):
    """A fixed graph name (converters use random ones), one opset per domain, IR 8, checked."""
    onx.graph.name = name
    versions = {}
    for op in onx.opset_import:
        versions[op.domain] = max(op.version, versions.get(op.domain, 0))
    del onx.opset_import[:]
    onx.opset_import.extend(helper.make_opsetid(d, v) for d, v in sorted(versions.items()))
    onx.ir_version = IR_VERSION
    onnx.checker.check_model(onx)
    return onx


def sklearn_model(name, estimator):
    options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "classes_") else None
    onx = convert_sklearn(estimator, initial_types=[("input", FloatTensorType([None, FEATURES]))],
                          options=options, target_opset=TARGET_OPSET)
    return tidy(onx, name)


def scores(path, x):
    """The float output the Java side explains: probabilities for classifiers, the value for regressors."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = sess.run(None, {"input": x.astype(np.float32)})
    floats = [o for o in outputs if o.dtype in (np.float32, np.float64)]
    assert len(floats) == 1, [o.dtype for o in outputs]
    return floats[0]


def save(name, onx, expected, x, atol):
    path = OUT / f"{name}.onnx"
    onnx.save(onx, path)
    got = scores(path, x)
    expected = np.asarray(expected).reshape(got.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol, err_msg=name)
    return path


def make_sklearn():
    x, y = data("binary")
    rf = RandomForestClassifier(n_estimators=6, max_depth=4, random_state=SEED).fit(x, y)
    save("rf_binary", sklearn_model("rf_binary", rf), rf.predict_proba(x), x, 1e-6)

    x, y = data("multiclass")
    rf = RandomForestClassifier(n_estimators=6, max_depth=4, random_state=SEED).fit(x, y)
    save("rf_multiclass", sklearn_model("rf_multiclass", rf), rf.predict_proba(x), x, 1e-6)

    x, y = data("regression")
    rf = RandomForestRegressor(n_estimators=6, max_depth=4, random_state=SEED).fit(x, y)
    save("rf_regressor", sklearn_model("rf_regressor", rf), rf.predict(x), x, 1e-5)

    et = ExtraTreesRegressor(n_estimators=6, max_depth=4, random_state=SEED).fit(x, y)
    save("extra_trees_regressor", sklearn_model("extra_trees_regressor", et), et.predict(x), x, 1e-5)

    x, y = data("binary")
    gb = GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=SEED).fit(x, y)
    save("gb_binary", sklearn_model("gb_binary", gb), gb.predict_proba(x), x, 1e-5)
    gb = GradientBoostingClassifier(loss="exponential", n_estimators=8, max_depth=3, random_state=SEED).fit(x, y)
    save("gb_exponential", sklearn_model("gb_exponential", gb), gb.predict_proba(x), x, 1e-5)

    x, y = data("multiclass")
    gb = GradientBoostingClassifier(n_estimators=5, max_depth=3, random_state=SEED).fit(x, y)
    save("gb_multiclass", sklearn_model("gb_multiclass", gb), gb.predict_proba(x), x, 1e-5)

    x, y = data("binary", nan=True)
    hgb = HistGradientBoostingClassifier(max_iter=8, max_depth=3, random_state=SEED).fit(x, y)
    save("hgb_nan", sklearn_model("hgb_nan", hgb), hgb.predict_proba(x), x, 1e-5)


def xgb_model(name, model):
    onx = convert_xgboost(model, initial_types=[("input", MlFloatTensorType([None, FEATURES]))],
                          target_opset=CONVERTER_OPSET)
    return tidy(onx, name)


def make_xgboost():
    params = dict(n_estimators=8, max_depth=3, learning_rate=0.3, random_state=SEED, tree_method="hist")
    x, y = data("binary", nan=True)
    m = xgboost.XGBClassifier(objective="binary:logistic", **params).fit(x, y)
    save("xgb_binary_nan", xgb_model("xgb_binary_nan", m), m.predict_proba(x), x, 1e-5)

    x, y = data("multiclass", nan=True)
    m = xgboost.XGBClassifier(objective="multi:softprob", **params).fit(x, y)
    save("xgb_multiclass_nan", xgb_model("xgb_multiclass_nan", m), m.predict_proba(x), x, 1e-5)

    x, y = data("regression", nan=True)
    m = xgboost.XGBRegressor(objective="reg:squarederror", **params).fit(x, y)
    save("xgb_regressor_nan", xgb_model("xgb_regressor_nan", m), m.predict(x), x, 1e-5)

    x, y = data("count")
    m = xgboost.XGBRegressor(objective="count:poisson", **params).fit(x, y)
    save("xgb_poisson", xgb_model("xgb_poisson", m), m.predict(x), x, 1e-5)


def lgbm_model(name, model):
    onx = convert_lightgbm(model, initial_types=[("input", MlFloatTensorType([None, FEATURES]))],
                           target_opset=CONVERTER_OPSET, zipmap=False)
    return tidy(onx, name)


def make_lightgbm():
    params = dict(n_estimators=8, num_leaves=8, min_child_samples=5, min_data_per_group=5, cat_smooth=1.0,
                  random_state=SEED, verbose=-1)
    x, y = data("regression", categorical=True)
    m = lightgbm.LGBMRegressor(**params).fit(x, y, categorical_feature=[4])
    save("lgbm_categorical", lgbm_model("lgbm_categorical", m), m.predict(x), x, 1e-5)

    x, y = data("binary", categorical=True)
    m = lightgbm.LGBMClassifier(**params).fit(x, y, categorical_feature=[4])
    save("lgbm_categorical_binary", lgbm_model("lgbm_categorical_binary", m), m.predict_proba(x), x, 1e-5)


def make_breast_cancer_xgb():
    """The bundled XGBoost classifier, on the breast_cancer model's split and background."""
    folder = BUNDLED_XGB
    folder.mkdir(parents=True)
    names = [n.lower().replace(" ", "_") for n in load_breast_cancer().feature_names]
    x_train, x_test, y_train, y_test = load_split(load_breast_cancer)
    m = xgboost.XGBClassifier(objective="binary:logistic", n_estimators=100, max_depth=5, learning_rate=0.1,
                              random_state=SEED, tree_method="hist", n_jobs=1).fit(x_train, y_train)
    assert m.score(x_test, y_test) > 0.93, m.score(x_test, y_test)
    onx = convert_xgboost(m, initial_types=[("input", MlFloatTensorType([None, len(names)]))],
                          target_opset=CONVERTER_OPSET)
    onnx.save(tidy(onx, "breast_cancer_xgb"), folder / "model.onnx")
    x = np.vstack([x_train, x_test])
    sess = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    label, proba = sess.run(["label", "probabilities"], {"input": x.astype(np.float32)})
    np.testing.assert_allclose(proba, m.predict_proba(x), rtol=0, atol=1e-5)
    assert (label == m.predict(x)).all()
    write_background(folder, names, x_train)
    write_config(folder, names, ["probabilities"], ["malignant", "benign"], "OUTPUT_KIND_PROBABILITY")


def main():
    for folder in (OUT, BUNDLED_XGB):
        if folder.exists():
            shutil.rmtree(folder)
    OUT.mkdir(parents=True)
    patch_hgb_missing_flag()
    make_sklearn()
    make_xgboost()
    make_lightgbm()
    make_breast_cancer_xgb()
    for path in sorted([*OUT.iterdir(), *BUNDLED_XGB.iterdir()]):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
