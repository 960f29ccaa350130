"""Milliseconds per row of Prism's tree_shap over gRPC against shap's TreeExplainer in-process.

Trains three ensembles on breast_cancer (seeded), exports each to ONNX into a temporary model
repository, starts Prism on it, and explains the same rows against the same background:

  prism      tree_shap (interventional), all rows in one request, on a server splitting a request's
             rows over one thread (--tree-shap-threads 1) and over every core; "first" is the first
             request on the background, which tabulates it (later ones find the table kept)
  shap       TreeExplainer(model, shap.maskers.Independent(bg, max_samples=len(bg)),
             feature_perturbation="interventional") on the native model, one thread
  shap-path  TreeExplainer(model, feature_perturbation="tree_path_dependent") (the model's own covers)
  kernel     Prism kernel_shap (default budget) on a few rows, for the ratio against tree_shap

After the warm-up it prints, per model, the median ms per row of each and the ratios, and the
largest |tree_shap − shap| over the rows (both explain the margin).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # shap's C extension and the boosters on one thread

import lightgbm  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import shap  # noqa: E402
import xgboost  # noqa: E402
from onnxmltools import convert_lightgbm, convert_xgboost  # noqa: E402
from onnxmltools.convert.common.data_types import FloatTensorType as MLFloatTensorType  # noqa: E402
from skl2onnx import convert_sklearn  # noqa: E402
from skl2onnx.common.data_types import FloatTensorType  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prism_bench import PrismServer, pb, tensor  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(prog="bench/tree-shap-speed.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=200, help="rows explained per repetition")
    p.add_argument("--background-rows", type=int, default=100)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--kernel-rows", type=int, default=4, help="rows for Prism kernel_shap")
    p.add_argument("--models", default="xgb,lgbm,rf")
    return p.parse_args()


def models(X, y, names):
    m = X.shape[1]
    out = {}
    if "xgb" in names:
        xgb = xgboost.XGBClassifier(n_estimators=300, max_depth=6, random_state=0, n_jobs=1).fit(X, y)
        out["xgb_300x6"] = (xgb, convert_xgboost(xgb, initial_types=[("input", MLFloatTensorType([None, m]))],
                                                 target_opset=15), lambda v: v)
    if "lgbm" in names:
        lgb = lightgbm.LGBMClassifier(n_estimators=300, max_depth=8, num_leaves=63, random_state=0, n_jobs=1,
                                      verbose=-1).fit(X, y)
        out["lgbm_300x8"] = (lgb, convert_lightgbm(lgb, initial_types=[("input", MLFloatTensorType([None, m]))],
                                                   target_opset=15, zipmap=False), lambda v: v)
    if "rf" in names:
        rf = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0, n_jobs=1).fit(X, y)
        onx = convert_sklearn(rf, initial_types=[("input", FloatTensorType([None, m]))],
                              options={id(rf): {"zipmap": False}}, target_opset={"": 15, "ai.onnx.ml": 1})
        out["rf_100x8"] = (rf, onx, lambda v: v[..., 1] if v.ndim == 3 else v)
    return out


def median(xs):
    return statistics.median(xs)


def timed(fn, reps, warmup):
    times = []
    result = None
    for i in range(warmup + reps):
        start = time.perf_counter()
        result = fn()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times, result


def main():
    args = parse_args()
    data = load_breast_cancer()
    order = np.random.default_rng(0).permutation(len(data.data))
    X = data.data[order].astype(np.float32)
    y = data.target[order]
    background = X[:args.background_rows]
    rows = X[args.background_rows:args.background_rows + args.rows]
    print(f"shap {shap.__version__}, xgboost {xgboost.__version__}, lightgbm {lightgbm.__version__};"
          f" {len(rows)} rows, {len(background)} background rows, breast_cancer ({X.shape[1]} features)")
    built = models(X, y, args.models.split(","))
    with tempfile.TemporaryDirectory() as repo:
        for name, (_, onx, _) in built.items():
            folder = Path(repo) / name
            folder.mkdir()
            onnx.save(onx, folder / "model.onnx")
            (folder / "config.json").write_text(json.dumps({"scoreOutputs": ["probabilities"]}))
        prism = PrismServer(repo)
        one_thread = PrismServer(repo, "--tree-shap-threads", "1")
        cores = os.cpu_count()
        for name, (native, _, positive) in built.items():
            info = prism.model_info(name)
            trees = f"{info.trees.trees} trees, depth {info.trees.max_depth}, {info.trees.leaves} leaves"
            request = pb.ExplainRequest(model=name, inputs=[tensor(rows)], background=tensor(background),
                                        tree_shap=pb.TreeShapParams(), outputs=[info.output_names[-1]])
            first_times, _ = timed(lambda: one_thread.explain(request), 1, 0)
            one_times, _ = timed(lambda: one_thread.explain(request), args.reps, args.warmup)
            prism_times, response = timed(lambda: prism.explain(request), args.reps, args.warmup)
            phi = np.array([list(e.attributions) for e in response.explanations])

            explainer = shap.TreeExplainer(native, shap.maskers.Independent(background.astype(np.float64),
                                                                            max_samples=len(background)),
                                           feature_perturbation="interventional")
            shap_times, values = timed(lambda: explainer.shap_values(rows.astype(np.float64),
                                                                     check_additivity=False),
                                       args.reps, args.warmup)
            reference = positive(np.asarray(values))
            path = shap.TreeExplainer(native, feature_perturbation="tree_path_dependent")
            path_times, _ = timed(lambda: path.shap_values(rows.astype(np.float64), check_additivity=False),
                                  args.reps, args.warmup)
            kernel_rows = rows[:args.kernel_rows]
            kernel = pb.ExplainRequest(model=name, inputs=[tensor(kernel_rows)], background=tensor(background),
                                       kernel_shap=pb.KernelShapParams(), outputs=[info.output_names[-1]])
            kernel_times, _ = timed(lambda: prism.explain(kernel), 1, 0)

            per_row = lambda ts, n: 1000 * median(ts) / n  # noqa: E731
            p, s, sp = per_row(prism_times, len(rows)), per_row(shap_times, len(rows)), per_row(path_times, len(rows))
            p1, first = per_row(one_times, len(rows)), per_row(first_times, len(rows))
            k = per_row(kernel_times, len(kernel_rows))
            print(f"{name} ({trees})")
            print(f"  prism tree_shap, 1 thread, first {first:9.3f} ms/row   shap/prism {s / first:6.2f}")
            print(f"  prism tree_shap, 1 thread        {p1:9.3f} ms/row   shap/prism {s / p1:6.2f}")
            print(f"  prism tree_shap, {cores} threads       {p:9.3f} ms/row   shap/prism {s / p:6.2f}")
            print(f"  shap interventional (1 thread)   {s:9.3f} ms/row")
            print(f"  shap path-dependent (1 thread)   {sp:9.3f} ms/row   shap-path/prism-1-thread {sp / p1:6.2f}")
            print(f"  prism kernel_shap                {k:9.3f} ms/row   kernel/tree_shap {k / p:6.1f}")
            print(f"  max |tree_shap - shap| {np.abs(phi - reference).max():.2e}")
        prism.close()
        one_thread.close()


if __name__ == "__main__":
    main()
