"""Milliseconds per row of Prism's tree_shap over gRPC against shap's TreeExplainer in-process.

Trains three ensembles on breast_cancer (seeded), exports each to ONNX into a temporary model
repository, starts Prism on it, and explains the same rows against the same background:

  prism      tree_shap (interventional), all rows in one request answered in FORMAT_COMPACT (as
             the Python client asks), on a server splitting a request's
             rows over one thread (--tree-shap-threads 1) and over every core, once the background's
             table is kept; "new background" is a request on a background the server has not seen,
             which tabulates it first
  prism-path tree_shap path-dependent (covers counted from the same background), one thread and
             every core
  shap       TreeExplainer(model, shap.maskers.Independent(bg, max_samples=len(bg)),
             feature_perturbation="interventional") on the native model, one thread
  shap-path  TreeExplainer(model, feature_perturbation="tree_path_dependent") (the model's own covers)
  kernel     Prism kernel_shap (default budget) on a few rows, for the ratio against tree_shap

After the warm-up it prints, per model, the median ms per row of each and the ratios, and the
largest |tree_shap − shap| over the rows (both explain the margin). Then a global job: one request
of --global-rows rows (breast_cancer rows with noise) on the XGBoost model, on one thread and on
every core, with the server's CPU use (CPU seconds over wall seconds, from /proc).
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
    p.add_argument("--global-rows", type=int, default=100_000, help="rows of the global job (0 skips it)")
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
        limits = ["--max-instances", str(max(10_000, args.global_rows)), "--max-message-bytes", str(256 << 20)]
        prism = PrismServer(repo, *limits)
        one_thread = PrismServer(repo, "--tree-shap-threads", "1", *limits)
        cores = os.cpu_count()
        for name, (native, _, positive) in built.items():
            info = prism.model_info(name)
            trees = f"{info.trees.trees} trees, depth {info.trees.max_depth}, {info.trees.leaves} leaves"
            request = pb.ExplainRequest(model=name, inputs=[tensor(rows)], background=tensor(background),
                                        tree_shap=pb.TreeShapParams(), outputs=[info.output_names[-1]],
                                        format=pb.FORMAT_COMPACT)
            one_times, _ = timed(lambda: one_thread.explain(request), args.reps, args.warmup)
            fresh = pb.ExplainRequest()
            fresh.CopyFrom(request)
            fresh.background.CopyFrom(tensor(X[-args.background_rows:]))
            first_times, _ = timed(lambda: one_thread.explain(fresh), 1, 0)
            path_request = pb.ExplainRequest()
            path_request.CopyFrom(request)
            path_request.tree_shap.feature_perturbation = pb.TreeShapParams.FEATURE_PERTURBATION_PATH_DEPENDENT
            prism_path_times, _ = timed(lambda: one_thread.explain(path_request), args.reps, args.warmup)
            prism_path_all, _ = timed(lambda: prism.explain(path_request), args.reps, args.warmup)
            prism_times, response = timed(lambda: prism.explain(request), args.reps, args.warmup)
            phi = np.array(response.summary.attributions.double_data).reshape(len(rows), -1)

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
            pp, ppa = per_row(prism_path_times, len(rows)), per_row(prism_path_all, len(rows))
            k = per_row(kernel_times, len(kernel_rows))
            print(f"{name} ({trees})")
            print(f"  interventional, {len(background)} background rows")
            print(f"    shap (1 thread)                    {s:9.3f} ms/row")
            print(f"    prism, 1 thread                    {p1:9.3f} ms/row   shap/prism {s / p1:6.2f}")
            print(f"    prism, {cores} threads                   {p:9.3f} ms/row   shap/prism {s / p:6.2f}")
            print(f"    prism, 1 thread, new background    {first:9.3f} ms/row   shap/prism {s / first:6.2f}")
            print("  path-dependent")
            print(f"    shap (1 thread, the model's covers) {sp:8.3f} ms/row")
            print(f"    prism, 1 thread (background covers) {pp:8.3f} ms/row   shap/prism {sp / pp:6.2f}")
            print(f"    prism, {cores} threads                  {ppa:8.3f} ms/row   shap/prism {sp / ppa:6.2f}")
            print(f"  prism kernel_shap                    {k:9.3f} ms/row   kernel/tree_shap {k / p:6.1f}")
            print(f"  max |tree_shap - shap| {np.abs(phi - reference).max():.2e}")
        if args.global_rows and "xgb_300x6" in built:
            global_job(args, X, background, {"1 thread": one_thread, f"{cores} threads": prism})
        prism.close()
        one_thread.close()


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def global_job(args, X, background, servers):
    noise = np.random.default_rng(1)
    rows = X[noise.integers(0, len(X), args.global_rows)]
    rows = (rows * noise.normal(1, 0.05, rows.shape)).astype(np.float32)
    request = pb.ExplainRequest(model="xgb_300x6", inputs=[tensor(rows)], background=tensor(background),
                                tree_shap=pb.TreeShapParams(),
                                outputs=[next(iter(servers.values())).model_info("xgb_300x6").output_names[-1]],
                                format=pb.FORMAT_COMPACT)
    print(f"global job: {args.global_rows} rows on xgb_300x6, one request, FORMAT_COMPACT")
    walls = {}
    for name, server in servers.items():
        cpu = cpu_seconds(server.process.pid)
        start = time.perf_counter()
        server.explain(request)
        wall = time.perf_counter() - start
        used = cpu_seconds(server.process.pid) - cpu
        walls[name] = wall
        print(f"  {name:10s} {wall:7.2f} s  ({1e6 * wall / args.global_rows:6.1f} µs/row), server CPU {used:6.1f} s"
              f" = {used / wall:4.2f} cores busy")
    one, *rest = walls.values()
    for name, wall in list(walls.items())[1:]:
        print(f"  speed-up on {name}: {one / wall:.2f}×")


if __name__ == "__main__":
    main()
