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
  mlp_m16     M=16  MLPRegressor(64,64) on `high_order_target` (products of 3 and 4 features)
                                                        exact: brute force over 2^16 coalitions
  gbt_m48     M=48  GradientBoostingRegressor(300, depth 4)
                                                        exact: shap TreeExplainer, interventional,
                                                        checked against brute force on sub-games
                                                        (`check_tree_explainer`)

Every model takes input float [N,M] and returns variable float [N,1] (output
name "y"). Training data: X uniform on [0,1]^M (rounded to float32) and the
synthetic target of `target` below, whose features all matter, with different
strengths, through main effects and interactions of order 2 and 3 (mlp_m16:
`high_order_target`, where products of 3 and 4 features carry most of the
variance).

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
  python tools/make_bench_models.py [name ...]   (default: every model)
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


def high_order_target(x):
    """Target on [0,1]^M (M=16) whose Shapley values need interactions of order 3
    and 4: with u = 2x - 1, small main effects, four products of 3 consecutive
    features and four products of 4 features spread over the whole vector."""
    m = x.shape[1]
    u = 2.0 * x - 1.0
    j = np.arange(m)
    y = u @ (1.0 / (1.0 + 0.3 * j) * np.where(j % 2 == 0, 1.0, -1.0))
    for k in range(0, m, 4):
        y += 4.0 * u[:, k] * u[:, (k + 1) % m] * u[:, (k + 2) % m]
    for k in range(4):
        y += 6.0 * u[:, k] * u[:, (k + 5) % m] * u[:, (k + 9) % m] * u[:, (k + 13) % m]
    return y


def data(m, target_fn=target, train_rows=TRAIN_ROWS):
    rng = np.random.default_rng(SEED + m)
    x = rng.uniform(size=(train_rows + BACKGROUND_ROWS + INSTANCES, m)).astype(np.float32).astype(np.float64)
    y = target_fn(x) + 0.1 * rng.normal(size=len(x))
    train = slice(0, train_rows)
    background = x[train_rows:train_rows + BACKGROUND_ROWS]
    instances = x[train_rows + BACKGROUND_ROWS:]
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


def check_tree_explainer(model, estimator, instances, background, features=12):
    """TreeExplainer (interventional) against brute force on sub-games small enough to
    enumerate. For each instance x and background row b, the reference row r is x with
    `features` random coordinates taken from b, so only those features differ between x
    and r: the others are null players (phi = 0) and the game against r alone has 2^features
    coalitions. TreeExplainer's values against that one row must equal the enumeration
    through the ONNX model. Over the whole background the interventional values are the
    mean of the single-row ones, which the second check compares with TreeExplainer's
    values against all rows. Returns the largest differences."""
    rng = np.random.default_rng(SEED)
    m = instances.shape[1]
    worst_sub = 0.0
    for x in instances:
        b = background[rng.integers(len(background))]
        chosen = np.sort(rng.choice(m, size=features, replace=False))
        r = x.copy()
        r[chosen] = b[chosen]
        tree = shap.TreeExplainer(estimator, data=r[None, :], feature_perturbation="interventional")
        phi_tree = np.asarray(tree.shap_values(x[None, :], check_additivity=False))[0]
        v = coalition_values(lambda rows: model(expand(rows, x, chosen)), x[chosen], r[None, chosen])
        phi_brute = np.zeros(m)
        phi_brute[chosen] = shapley_from_values(v, features)
        np.testing.assert_allclose(phi_tree, phi_brute, rtol=0, atol=1e-4)
        worst_sub = max(worst_sub, np.abs(phi_tree - phi_brute).max())
    singles = [np.asarray(shap.TreeExplainer(estimator, data=b[None, :], feature_perturbation="interventional")
                          .shap_values(instances, check_additivity=False)) for b in background]
    whole = np.asarray(shap.TreeExplainer(estimator, data=background, feature_perturbation="interventional")
                       .shap_values(instances, check_additivity=False))
    np.testing.assert_allclose(np.mean(singles, axis=0), whole, rtol=0, atol=1e-9)
    return worst_sub, np.abs(np.mean(singles, axis=0) - whole).max()


def expand(rows, x, chosen):
    """Rows over the chosen features -> full rows, the other features from x."""
    full = np.repeat(x[None, :], len(rows), axis=0)
    full[:, chosen] = rows
    return full


def make(name, m, estimator, exact_method, target_fn=target, train_rows=TRAIN_ROWS):
    folder = BENCH_MODELS / name
    folder.mkdir(parents=True)
    names = [f"x{i}" for i in range(m)]
    x_train, y_train, background, instances = data(m, target_fn, train_rows)
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
    if exact_method == "tree_explainer_interventional":
        sub, mean_gap = check_tree_explainer(model, estimator, instances, background)
        print(f"{name}: TreeExplainer vs brute force on 12-feature sub-games: max |diff| {sub:.2e}; "
              f"mean of single-row values vs whole background: max |diff| {mean_gap:.2e}")
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


MODELS = {
    "mlp_m8": lambda: make("mlp_m8", 8, MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=2000, random_state=SEED),
                           "brute_force_onnx"),
    "forest_m12": lambda: make("forest_m12", 12,
                               RandomForestRegressor(n_estimators=20, max_depth=6, random_state=SEED),
                               "brute_force_onnx"),
    "mlp_m20": lambda: make("mlp_m20", 20,
                            MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=2000, random_state=SEED),
                            "brute_force_onnx"),
    "gbt_m30": lambda: make("gbt_m30", 30,
                            GradientBoostingRegressor(n_estimators=100, max_depth=4, random_state=SEED),
                            "tree_explainer_interventional"),
    "mlp_m16": lambda: make("mlp_m16", 16,
                            MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=2000, random_state=SEED),
                            "brute_force_onnx", target_fn=high_order_target, train_rows=8000),
    "gbt_m48": lambda: make("gbt_m48", 48,
                            GradientBoostingRegressor(n_estimators=300, max_depth=4, learning_rate=0.05,
                                                      random_state=SEED),
                            "tree_explainer_interventional"),
}


def main():
    names = sys.argv[1:] or list(MODELS)
    unknown = set(names) - set(MODELS)
    if unknown:
        sys.exit(f"unknown models {sorted(unknown)}; choose from {list(MODELS)}")
    for name in names:
        if (BENCH_MODELS / name).exists():
            shutil.rmtree(BENCH_MODELS / name)
        MODELS[name]()


if __name__ == "__main__":
    main()
