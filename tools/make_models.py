"""Regenerate the bundled models under models/ and the test-only models under
src/test/resources/models/.

Bundled (each folder: model.onnx, background.csv, config.json):
  iris           RandomForestClassifier      -> label int64 [N], probabilities float [N,3]
  breast_cancer  StandardScaler + MLP         -> label int64 [N], probabilities float [N,2]
  diabetes       GradientBoostingRegressor    -> variable float [N,1]
  digits         StandardScaler + MLP on sklearn's 8x8 digits; input image float [N,1,8,8]
                 (pixel values 0..16) -> label int64 [N], probabilities float [N,10]

Test-only (each folder: model.onnx only, plus weights.json where useful):
  linear    y = x.w + b                          x float [N,5], y float [N,1]
  broken    loads, but every run() fails         x float [N,2], y float [N,1]
  pairwise  y = x.a + sum_{i<j} B_ij x_i x_j     x float [N,6], y float [N,1]
  diabetes_categorical  the bundled diabetes model and background with `sex`
            declared categorical in config.json (for LIME's categorical sampling)
  text_bag  bag-of-embeddings text classifier     tokens int64 [N,8] (ids 0..19, 0 = padding/mask)
            -> probabilities float [N,2]; config.json (no background) and weights.json

Everything is seeded, so running this twice gives the same files.
Run from anywhere: paths are relative to the repository root.
"""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
TEST_MODELS = ROOT / "src" / "test" / "resources" / "models"

# Opsets onnxruntime 1.29 (the Java runtime) supports; IR 8 is the one that goes with opset 17.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
IR_VERSION = 8
BACKGROUND_ROWS = 100
SEED = 0


def load_split(loader):
    """Train/test split shared with make_golden.py.

    Features are rounded to float32 first, so sklearn trains on exactly the
    values the ONNX graph (float32 input) and background.csv see.
    """
    data = loader()
    x = data.data.astype(np.float32).astype(np.float64)
    x_train, x_test, y_train, y_test = train_test_split(x, data.target, random_state=SEED)
    return x_train, x_test, y_train, y_test


def float32_text(v):
    """Shortest text that parses back to the same float32, checked for both
    a float32 parser and a parse-as-double-then-narrow one."""
    f = np.float32(v)
    s = str(f)
    assert np.float32(float(s)) == f, (v, s)
    return s


def write_background(folder, feature_names, x_train, size=BACKGROUND_ROWS):
    rng = np.random.default_rng(SEED)
    rows = np.sort(rng.choice(len(x_train), size=size, replace=False))
    lines = [",".join(feature_names)]
    for row in x_train[rows]:
        lines.append(",".join(float32_text(v) for v in row))
    (folder / "background.csv").write_text("\n".join(lines) + "\n")


def write_config(folder, feature_names, score_outputs, output_names, output_kind, background=True):
    # Protobuf JSON of prism.v1.ModelConfig (camelCase field names).
    config = {
        "featureNames": feature_names,
        "scoreOutputs": score_outputs,
        "outputNames": output_names,
        "outputKind": output_kind,
    }
    if background:
        config["backgroundFile"] = "background.csv"
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def convert(name, estimator, n_features, options=None):
    onx = convert_sklearn(
        estimator,
        initial_types=[("input", FloatTensorType([None, n_features]))],
        options=options,
        target_opset=TARGET_OPSET,
    )
    # skl2onnx names the graph with a random uuid; a fixed name keeps the file byte-stable.
    onx.graph.name = name
    # skl2onnx may list the same opset twice (seen for trees); keep one entry per domain.
    versions = {}
    for op in onx.opset_import:
        versions[op.domain] = max(op.version, versions.get(op.domain, 0))
    del onx.opset_import[:]
    onx.opset_import.extend(helper.make_opsetid(d, v) for d, v in sorted(versions.items()))
    onnx.checker.check_model(onx)
    return onx


def run_onnx(path, x, dtype=np.float32):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x.astype(dtype)})


def check_classifier(path, clf, x, atol):
    label, proba = run_onnx(path, x)
    expected = clf.predict_proba(x)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=atol)
    # Labels may only disagree where sklearn itself is on a knife edge.
    close_call = np.abs(np.sort(expected, axis=1)[:, -1] - np.sort(expected, axis=1)[:, -2]) < 2 * atol
    mismatch = (label != clf.predict(x)) & ~close_call
    assert not mismatch.any(), f"{path}: labels differ on rows {np.flatnonzero(mismatch)}"


def make_iris():
    folder = MODELS / "iris"
    folder.mkdir(parents=True)
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    x_train, x_test, y_train, _ = load_split(load_iris)
    clf = RandomForestClassifier(n_estimators=25, max_depth=4, random_state=SEED).fit(x_train, y_train)
    onx = convert("iris", clf, 4, options={id(clf): {"zipmap": False}})
    onnx.save(onx, folder / "model.onnx")
    check_classifier(folder / "model.onnx", clf, np.vstack([x_train, x_test]), atol=1e-6)
    write_background(folder, names, x_train)
    write_config(folder, names, ["probabilities"], ["setosa", "versicolor", "virginica"], "OUTPUT_KIND_PROBABILITY")


def make_breast_cancer():
    folder = MODELS / "breast_cancer"
    folder.mkdir(parents=True)
    names = [n.lower().replace(" ", "_") for n in load_breast_cancer().feature_names]
    x_train, x_test, y_train, _ = load_split(load_breast_cancer)
    mlp = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=1000, random_state=SEED)
    pipe = Pipeline([("scaler", StandardScaler()), ("mlp", mlp)]).fit(x_train, y_train)
    onx = convert("breast_cancer", pipe, 30, options={id(mlp): {"zipmap": False}})
    onnx.save(onx, folder / "model.onnx")
    check_classifier(folder / "model.onnx", pipe, np.vstack([x_train, x_test]), atol=1e-5)
    write_background(folder, names, x_train)
    write_config(folder, names, ["probabilities"], ["malignant", "benign"], "OUTPUT_KIND_PROBABILITY")


def make_diabetes():
    folder = MODELS / "diabetes"
    folder.mkdir(parents=True)
    names = list(load_diabetes().feature_names)  # age, sex, bmi, bp, s1..s6
    x_train, x_test, y_train, _ = load_split(load_diabetes)
    reg = GradientBoostingRegressor(n_estimators=50, max_depth=3, random_state=SEED).fit(x_train, y_train)
    onx = convert("diabetes", reg, 10)
    onnx.save(onx, folder / "model.onnx")
    x = np.vstack([x_train, x_test])
    (pred,) = run_onnx(folder / "model.onnx", x)
    assert pred.shape == (len(x), 1)
    # Targets are ~25..346; float32 sums of 50 trees agree to ~1e-5 relative.
    np.testing.assert_allclose(pred[:, 0], reg.predict(x), rtol=1e-5, atol=1e-4)
    write_background(folder, names, x_train)
    write_config(folder, names, ["variable"], ["progression"], "OUTPUT_KIND_REGRESSION")


def prepend_reshape(onx, name, shape):
    """Give a converted [N, features] graph an input of another instance shape:
    a new input `name` of shape [N, *shape] is reshaped to the old input."""
    old = onx.graph.input[0]
    new = helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", *shape])
    target = numpy_helper.from_array(np.array([-1, int(np.prod(shape))], dtype=np.int64), name + "_flat_shape")
    onx.graph.initializer.append(target)
    onx.graph.node.insert(0, helper.make_node("Reshape", [name, target.name], [old.name], name=name + "_flatten"))
    del onx.graph.input[:]
    onx.graph.input.append(new)
    onnx.checker.check_model(onx, full_check=True)
    return onx


def make_digits():
    folder = MODELS / "digits"
    folder.mkdir(parents=True)
    names = [f"px_{r}_{c}" for r in range(8) for c in range(8)]
    x_train, x_test, y_train, y_test = load_split(load_digits)
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=1000, random_state=SEED)
    pipe = Pipeline([("scaler", StandardScaler()), ("mlp", mlp)]).fit(x_train, y_train)
    assert pipe.score(x_test, y_test) > 0.95, pipe.score(x_test, y_test)
    onx = prepend_reshape(convert("digits", pipe, 64, options={id(mlp): {"zipmap": False}}), "image", [1, 8, 8])
    onnx.save(onx, folder / "model.onnx")
    x = np.vstack([x_train, x_test])
    label, proba = run_onnx(folder / "model.onnx", x.reshape(-1, 1, 8, 8))
    assert proba.shape == (len(x), 10)
    np.testing.assert_allclose(proba, pipe.predict_proba(x), rtol=0, atol=1e-5)
    assert (label == pipe.predict(x)).mean() > 0.999
    write_background(folder, names, x_train, size=20)
    write_config(folder, names, ["probabilities"], [str(d) for d in range(10)], "OUTPUT_KIND_PROBABILITY")


def save_graph(folder, nodes, inputs, outputs, initializers, name):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=initializers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", TARGET_OPSET[""])],
        ir_version=IR_VERSION,
        producer_name="prism-tools",
    )
    onnx.checker.check_model(model, full_check=True)
    folder.mkdir(parents=True)
    onnx.save(model, folder / "model.onnx")
    return folder / "model.onnx"


def f32(values):
    return np.asarray(values, dtype=np.float32)


def write_weights(folder, weights):
    text = json.dumps(weights, indent=2)
    # One line per list of numbers (a matrix row) reads better than one number per line.
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    (folder / "weights.json").write_text(text + "\n")


def make_linear():
    folder = TEST_MODELS / "linear"
    w, b = [0.5, -1.25, 2.0, 0.0, 3.5], 0.75  # exact in float32
    path = save_graph(
        folder,
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [numpy_helper.from_array(f32(w).reshape(5, 1), "w"), numpy_helper.from_array(f32([b]), "b")],
        "linear",
    )
    write_weights(folder, {"w": w, "b": b})
    x = np.random.default_rng(SEED).normal(size=(7, 5)).astype(np.float32)
    (y,) = run_onnx(path, x)
    np.testing.assert_allclose(y[:, 0], x.astype(np.float64) @ w + b, rtol=1e-6, atol=1e-6)


def make_broken():
    folder = TEST_MODELS / "broken"
    # Reshape of N*2 elements to [3] fails for every N (an even count is never 3),
    # but nothing about it is wrong until run time. The reshaped tensor is summed
    # into y so the graph keeps it and y still looks like a normal [N,1] output.
    path = save_graph(
        folder,
        [
            helper.make_node("Reshape", ["x", "shape"], ["flat"]),
            helper.make_node("ReduceSum", ["flat"], ["total"], keepdims=1),  # [1]
            helper.make_node("ReduceSum", ["x", "axis1"], ["row_sum"], keepdims=1),  # [N,1]
            helper.make_node("Add", ["row_sum", "total"], ["y"]),
        ],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [
            numpy_helper.from_array(np.array([3], dtype=np.int64), "shape"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        ],
        "broken",
    )
    options = ort.SessionOptions()
    options.log_severity_level = 4  # the failures below are expected; keep ORT's error log quiet
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])  # must load
    for n in (0, 1, 2, 3, 64):
        try:
            sess.run(None, {"x": np.ones((n, 2), dtype=np.float32)})
        except Exception as e:  # onnxruntime raises its own Fail/RuntimeException types
            assert "reshape" in str(e).lower(), e
            continue
        raise AssertionError(f"broken model ran for N={n}")


def make_pairwise():
    folder = TEST_MODELS / "pairwise"
    a = [1.0, -0.5, 0.25, 2.0, -1.5, 0.75]
    # Strictly upper triangular: B[i][j] (i<j) is the x_i*x_j coefficient. Exact in float32.
    b = [[0.0] * 6 for _ in range(6)]
    for (i, j), v in {
        (0, 1): 0.5, (0, 2): -1.0, (0, 5): 0.25, (1, 2): 1.5, (1, 3): -0.75,
        (2, 4): 2.0, (3, 4): -0.5, (3, 5): 1.0, (4, 5): 0.125,
    }.items():
        b[i][j] = v
    path = save_graph(
        folder,
        [
            helper.make_node("MatMul", ["x", "a"], ["linear"]),  # [N,1]
            helper.make_node("MatMul", ["x", "B"], ["xB"]),  # [N,6]
            helper.make_node("Mul", ["xB", "x"], ["terms"]),  # (xB)_j * x_j
            helper.make_node("ReduceSum", ["terms", "axis1"], ["quadratic"], keepdims=1),  # [N,1]
            helper.make_node("Add", ["linear", "quadratic"], ["y"]),
        ],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [
            numpy_helper.from_array(f32(a).reshape(6, 1), "a"),
            numpy_helper.from_array(f32(b), "B"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        ],
        "pairwise",
    )
    write_weights(folder, {"a": a, "B": b})
    x = np.random.default_rng(SEED).normal(size=(7, 6)).astype(np.float32)
    (y,) = run_onnx(path, x)
    xd = x.astype(np.float64)
    expected = xd @ np.array(a) + np.einsum("ni,ij,nj->n", xd, np.array(b), xd)
    np.testing.assert_allclose(y[:, 0], expected, rtol=1e-5, atol=1e-5)


def make_diabetes_categorical():
    folder = TEST_MODELS / "diabetes_categorical"
    folder.mkdir(parents=True)
    for name in ("model.onnx", "background.csv"):
        shutil.copyfile(MODELS / "diabetes" / name, folder / name)
    config = json.loads((MODELS / "diabetes" / "config.json").read_text())
    config["categoricalFeatures"] = ["sex"]
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def make_text_bag():
    """Sum of token embeddings -> linear layer -> softmax. Token 0 (padding and
    the mask token) embeds to zeros, so it adds nothing. The logit difference
    logit(p_positive) = (W[:,1] - W[:,0]) . sum_i E[tokens_i] + b1 - b0 is
    additive over positions: with the logit link and mask token 0 as the
    baseline, position i's exact Shapley value is (W[:,1] - W[:,0]) . E[x_i]."""
    folder = TEST_MODELS / "text_bag"
    vocab, dim, length = 20, 4, 8
    rng = np.random.default_rng(SEED)
    # Multiples of 1/8 in [-1, 1]: exact in float32.
    emb = np.round(rng.uniform(-1, 1, size=(vocab, dim)) * 8) / 8
    emb[0] = 0.0
    # Tokens 1..5 lean positive and 6..10 negative along dimension 0; 11..19 are weak.
    emb[1:6, 0] += 1.0
    emb[6:11, 0] -= 1.0
    emb[11:, :] *= 0.25
    emb += 0.0  # no negative zeros in weights.json
    w = np.array([[-0.5, 0.5], [0.25, -0.125], [0.0, 0.25], [-0.25, 0.0]])
    b = np.array([0.25, -0.25])
    path = save_graph(
        folder,
        [
            helper.make_node("Gather", ["E", "tokens"], ["embedded"], axis=0),  # [N,8,4]
            helper.make_node("ReduceSum", ["embedded", "axis1"], ["pooled"], keepdims=0),  # [N,4]
            helper.make_node("Gemm", ["pooled", "W", "b"], ["logits"]),  # [N,2]
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["N", length])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        [
            numpy_helper.from_array(f32(emb), "E"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
            numpy_helper.from_array(f32(w), "W"),
            numpy_helper.from_array(f32(b), "b"),
        ],
        "text_bag",
    )
    write_config(folder, [f"tok_{i}" for i in range(length)], ["probabilities"], ["negative", "positive"],
                 "OUTPUT_KIND_PROBABILITY", background=False)
    write_weights(folder, {"E": emb.tolist(), "W": w.tolist(), "b": b.tolist()})
    tokens = rng.integers(0, vocab, size=(16, length))
    tokens[:, 6:] = 0  # padded tails
    tokens[0] = 0  # all padding
    (proba,) = run_onnx(path, tokens, dtype=np.int64)
    logits = emb[tokens].sum(axis=1) @ w + b
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-6)


def main():
    # Remove only what this script owns; anything else in these folders stays.
    owned = [MODELS / n for n in ("iris", "breast_cancer", "diabetes", "digits")]
    owned += [TEST_MODELS / n for n in ("linear", "broken", "pairwise", "diabetes_categorical", "text_bag")]
    for folder in owned:
        if folder.exists():
            shutil.rmtree(folder)
    make_iris()
    make_breast_cancer()
    make_diabetes()
    make_digits()
    make_linear()
    make_broken()
    make_pairwise()
    make_diabetes_categorical()
    make_text_bag()
    for path in sorted(p for folder in owned for p in folder.iterdir()):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
