"""Regenerate the accuracy-benchmark models under bench/models/ and their exact
Shapley values.

Each folder is a model-repository entry (model.onnx, config.json,
background.csv) plus instances.csv (the explained rows) and exact.json (their
exact interventional Shapley values against background.csv, equal weights):

  mlp_m8      M=8   MLPRegressor(32,16)                 exact: brute force over 2^8 coalitions
  forest_m12  M=12  RandomForestRegressor(20, depth 6)  exact: brute force over 2^12 coalitions
                                                        (cross-checked with shap's TreeExplainer)
  mlp_m20     M=20  MLPRegressor(32,16)                 exact: brute force over 2^20 coalitions
  gbt_m30     M=30  GradientBoostingRegressor(100, depth 4)
                                                        exact: shap TreeExplainer, interventional

Every model takes input float [N,M] and returns variable float [N,1] (output
name "y"). Training data: X uniform on [0,1]^M (rounded to float32) and the
synthetic target of `target` below, whose features all matter, with different
strengths, through main effects and interactions of order 2 and 3.

The brute force runs the ONNX model through onnxruntime on every coalition x
every background row: v(S) = mean_b f(x_S, b_rest), then
phi_i = sum_{S not containing i} |S|!(M-|S|-1)!/M! (v(S+i) - v(S)).

exact.json:
  model            string
  method           "brute_force_onnx" | "tree_explainer_interventional"
  feature_names    [feature]
  output           "y"
  instances        [instance][feature]   = instances.csv
  base_value       mean over background.csv of the ONNX model's output
  model_output     [instance]            the ONNX model's output
  shapley_values   [instance][feature]

Seeded throughout; rerunning gives the same files (the brute force of
mlp_m20 evaluates 2^20 x 16 rows per instance, about a minute).
Run from anywhere: paths are relative to the repository root.
"""

import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import shap
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.neural_network import MLPRegressor

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_models import ROOT, convert, float32_text, write_config  # noqa: E402

BENCH_MODELS = ROOT / "bench" / "models"
SEED = 0
TRAIN_ROWS = 3000
BACKGROUND_ROWS = 16
INSTANCES = 8
CHUNK_COALITIONS = 1 << 14


def target(x):
    """Synthetic regression target on [0,1]^M: decaying alternating main effects,
    pairwise sin(pi x_i x_j) terms joining the first and last features, and
    third-order products of consecutive features."""
    m = x.shape[1]
    j = np.arange(m)
    a = 6.0 / (1.0 + 0.3 * j) * np.where(j % 2 == 0, 1.0, -1.0)
    y = x @ a + 5.0 * (x[:, 0] - 0.5) ** 2
    for k in range(m // 2):
        y += 3.0 * np.sin(np.pi * x[:, k] * x[:, m - 1 - k])
    for k in range(0, m - 2, 3):
        y += 20.0 * (x[:, k] - 0.5) * (x[:, k + 1] - 0.5) * (x[:, k + 2] - 0.5)
    return y


def data(m):
    rng = np.random.default_rng(SEED + m)
    x = rng.uniform(size=(TRAIN_ROWS + BACKGROUND_ROWS + INSTANCES, m)).astype(np.float32).astype(np.float64)
    y = target(x) + 0.1 * rng.normal(size=len(x))
    train = slice(0, TRAIN_ROWS)
    background = x[TRAIN_ROWS:TRAIN_ROWS + BACKGROUND_ROWS]
    instances = x[TRAIN_ROWS + BACKGROUND_ROWS:]
    return x[train], y[train], background, instances


class Onnx:
    def __init__(self, path):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # same floats whatever the machine
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        assert np.array_equal(x.astype(np.float32), x)
        (y,) = self.session.run(["variable"], {self.input: x.astype(np.float32)})
        return y.reshape(len(x)).astype(np.float64)


def write_csv(path, names, rows):
    lines = [",".join(names)] + [",".join(float32_text(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def coalition_values(model, x, background):
    """v[k] for every coalition k (bit i of k set = feature i from x)."""
    m = x.size
    v = np.empty(1 << m)
    bits = 1 << np.arange(m)
    for start in range(0, 1 << m, CHUNK_COALITIONS):
        ks = np.arange(start, min(start + CHUNK_COALITIONS, 1 << m))
        masks = (ks[:, None] & bits) != 0  # [C, M]
        rows = np.where(masks[:, None, :], x[None, None, :], background[None, :, :])  # [C, B, M]
        v[ks] = model(rows.reshape(-1, m)).reshape(len(ks), len(background)).mean(axis=1)
    return v


def shapley_from_values(v, m):
    ks = np.arange(1 << m)
    sizes = popcount(ks)
    weights = np.array([math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)])
    phi = np.zeros(m)
    for i in range(m):
        without = ks[(ks >> i) & 1 == 0]
        phi[i] = np.sum(weights[sizes[without]] * (v[without | (1 << i)] - v[without]))
    return phi


def popcount(ks):
    c = np.zeros_like(ks)
    k = ks.copy()
    while k.any():
        c += k & 1
        k >>= 1
    return c


def brute_force(model, instances, background):
    m = instances.shape[1]
    phis = []
    for x in instances:
        v = coalition_values(model, x, background)
        phi = shapley_from_values(v, m)
        np.testing.assert_allclose(phi.sum(), v[-1] - v[0], rtol=0, atol=1e-9)
        phis.append(phi)
    return np.array(phis)


def check_onnx_matches(model, estimator, instances, background, rtol, atol):
    """ONNX vs sklearn on hybrid rows (random mixes of an instance and a
    background row), which is what the explainers feed the model."""
    rng = np.random.default_rng(SEED)
    m = instances.shape[1]
    masks = rng.random(size=(len(instances), len(background), m)) < 0.5
    rows = np.where(masks, instances[:, None, :], background[None, :, :]).reshape(-1, m)
    rows = np.vstack([rows, instances, background])
    onnx_out, sk_out = model(rows), estimator.predict(rows)
    np.testing.assert_allclose(onnx_out, sk_out, rtol=rtol, atol=atol)
    return np.abs(onnx_out - sk_out).max()


def make(name, m, estimator, exact_method):
    folder = BENCH_MODELS / name
    folder.mkdir(parents=True)
    names = [f"x{i}" for i in range(m)]
    x_train, y_train, background, instances = data(m)
    estimator.fit(x_train, y_train)
    onx = convert(name, estimator, m)
    onnx.save(onx, folder / "model.onnx")
    model = Onnx(folder / "model.onnx")
    gap = check_onnx_matches(model, estimator, instances, background, rtol=1e-5, atol=1e-5)
    write_csv(folder / "background.csv", names, background)
    write_csv(folder / "instances.csv", names, instances)
    write_config(folder, names, ["variable"], ["y"], "OUTPUT_KIND_REGRESSION")

    fx = model(instances)
    base = model(background).mean()
    if exact_method == "brute_force_onnx":
        phi = brute_force(model, instances, background)
    else:
        explainer = shap.TreeExplainer(estimator, data=background, feature_perturbation="interventional")
        phi = np.asarray(explainer.shap_values(instances, check_additivity=False))
        # TreeExplainer explains sklearn's float64 sums; the ONNX model sums in float32.
        np.testing.assert_allclose(phi.sum(axis=1), fx - base, rtol=0, atol=1e-4)
    np.testing.assert_allclose(phi.sum(axis=1), fx - base, rtol=0, atol=1e-4)
    if isinstance(estimator, RandomForestRegressor):
        # The tree path and the brute force agree (same game, float32 vs float64 sums).
        tree = shap.TreeExplainer(estimator, data=background, feature_perturbation="interventional")
        np.testing.assert_allclose(tree.shap_values(instances, check_additivity=False), phi, rtol=0, atol=1e-4)
    exact = {
        "model": name,
        "method": exact_method,
        "feature_names": names,
        "output": "y",
        "instances": instances.tolist(),
        "base_value": float(base),
        "model_output": fx.tolist(),
        "shapley_values": phi.tolist(),
    }
    text = json.dumps(exact, indent=1, allow_nan=False)
    (folder / "exact.json").write_text(text + "\n")
    size = (folder / "model.onnx").stat().st_size
    print(f"{name}: M={m}, model.onnx {size} bytes, max |onnx - sklearn| {gap:.2e}, "
          f"max |sum(phi) - (f(x) - E f)| {np.abs(phi.sum(axis=1) - (fx - base)).max():.2e}, "
          f"R^2 train {estimator.score(x_train, y_train):.3f}")


def main():
    for name in ("mlp_m8", "forest_m12", "mlp_m20", "gbt_m30"):
        if (BENCH_MODELS / name).exists():
            shutil.rmtree(BENCH_MODELS / name)
    make("mlp_m8", 8, MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=2000, random_state=SEED),
         "brute_force_onnx")
    make("forest_m12", 12, RandomForestRegressor(n_estimators=20, max_depth=6, random_state=SEED),
         "brute_force_onnx")
    make("mlp_m20", 20, MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=2000, random_state=SEED),
         "brute_force_onnx")
    make("gbt_m30", 30, GradientBoostingRegressor(n_estimators=100, max_depth=4, random_state=SEED),
         "tree_explainer_interventional")


if __name__ == "__main__":
    main()
