"""Accuracy of sampled Shapley estimates against exact values, per budget, and
per wall-clock second.

Accuracy (the default mode). For each model under bench/models (exact.json
holds the exact interventional Shapley values of instances.csv against
background.csv), each budget B = k*M coalitions per instance and each seed, it
measures error = ||phi_hat - phi||^2 / ||phi||^2 per instance for
    prism-kernel        Prism kernel_shap, the default estimator (ESTIMATOR_ADJUSTED)
    prism-kernel-plain  Prism kernel_shap, ESTIMATOR_KERNEL (shap's design, plain)
    prism-leverage      Prism kernel_shap, ESTIMATOR_LEVERAGE (plain)
    prism-permutation   Prism permutation_shap, max_evals = B (not run unless named)
    shap-kernel         shap.KernelExplainer(l1_reg=False)
    shapiq-kernel       shapiq.KernelSHAP(n, pairing_trick=True)
    shapiq-leverage     shapiq.LeverageSHAP(n)
    shapiq-poly         shapiq.PolySHAP(n, max_order=3, pairing_trick=True), order-3
                        terms only, min(C(n,3), (B-2)//8) of them (see poly_terms)
    shapiq-poly-full    the same with the whole order-3 frontier (max_terms=None; slow from
                        M=30 on, so not run unless named)
    shapiq-odd          shapiq.OddSHAP(n) (LightGBM proxy)
    shapiq-msr          shapiq.RegressionMSR(n, index="SV") (XGBoost proxy)
and prints, per model, the mean over instances and seeds, then the ratios of
the default to the best shapiq estimator and to shap.

Budgets count every evaluated coalition, the empty and the full one included:
Prism's and shap's nsamples count neither (both evaluate v(empty) from the
background and v(N) = f(x) besides), so they get nsamples = B - 2; shapiq's
budget counts both, so it gets B. The script counts what each method really
evaluated (Prism: diagnostics.coalitions + 2; shap and shapiq: the coalitions
their model calls carried) and prints it.

Wall time (--wall-time): end to end, Prism over gRPC (one request with every
instance) against shap and the shapiq estimators in this process on the same
ONNX model through onnxruntime, several budgets per method; each method's
error-vs-seconds curve is interpolated in log-log at the seconds Prism's
default took.
"""

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import shap
import shapiq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prism_bench import ROOT, OnnxReference, PrismServer, attributions, fail, pb, read_csv, tensor  # noqa: E402

MODELS = ["mlp_m8", "forest_m12", "mlp_m16", "mlp_m20", "gbt_m30", "gbt_m48"]
METHODS = ["prism-kernel", "prism-kernel-plain", "prism-leverage", "shap-kernel", "shapiq-kernel",
           "shapiq-leverage", "shapiq-poly", "shapiq-odd", "shapiq-msr"]
OPTIONAL_METHODS = ["prism-permutation", "shapiq-poly-full"]
SHAPIQ = [m for m in METHODS + OPTIONAL_METHODS if m.startswith("shapiq-")]
LABELS = {
    "prism-kernel": "prism kernel_shap (default)",
    "prism-kernel-plain": "prism ESTIMATOR_KERNEL",
    "prism-leverage": "prism ESTIMATOR_LEVERAGE",
    "prism-permutation": "prism permutation_shap",
    "shap-kernel": "shap KernelExplainer",
    "shapiq-kernel": "shapiq KernelSHAP paired",
    "shapiq-leverage": "shapiq LeverageSHAP",
    "shapiq-poly": "shapiq PolySHAP order 3",
    "shapiq-poly-full": "shapiq PolySHAP whole order 3",
    "shapiq-odd": "shapiq OddSHAP",
    "shapiq-msr": "shapiq RegressionMSR xgb",
}
GOAL_SHAPIQ = 0.8
GOAL_SHAP = 0.5
QUICK = {"models": "mlp_m8,gbt_m30", "multipliers": "4,16", "seeds": 2}
WALL_MODELS = ["breast_cancer", "gbt_m48"]
CHUNK_ROWS = 1 << 18


def parse_args():
    p = argparse.ArgumentParser(prog="bench/shapley-accuracy.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", help="comma-separated models (accuracy: folders under bench/models, default "
                   + ",".join(MODELS) + "; --wall-time: " + ",".join(WALL_MODELS) + ")")
    p.add_argument("--methods", default=",".join(METHODS),
                   help="comma-separated subset of " + ",".join(METHODS + OPTIONAL_METHODS))
    p.add_argument("--multipliers", help="budgets B = k*M, comma-separated k (default 4,8,16,32; "
                   "--wall-time: 4,16,64,256)")
    p.add_argument("--seeds", type=int, help="seeds per budget (default 5; --wall-time: 2)")
    p.add_argument("--instances", type=int, default=0, help="explain only the first N instances (0: all)")
    p.add_argument("--quick", action="store_true",
                   help=f"models {QUICK['models']}, multipliers {QUICK['multipliers']}, {QUICK['seeds']} seeds "
                   "unless given (--wall-time: breast_cancer, multipliers 4,32, 1 seed)")
    p.add_argument("--wall-time", action="store_true", help="the equal-wall-time table instead")
    p.add_argument("--reference-samples", type=int, default=131072,
                   help="--wall-time, models without exact.json: Prism ESTIMATOR_LEVERAGE nsamples of the "
                   "reference values (default 2^17)")
    p.add_argument("--max-seconds", type=float, default=60,
                   help="--wall-time: a method whose run took longer than this skips its larger budgets (default 60)")
    p.add_argument("--reference-seeds", type=int, default=2, help="seeds averaged into that reference (default 2)")
    return p.parse_args()


class BenchModel:
    """A model folder: its ONNX model, background, instances and, when there, exact values."""

    def __init__(self, folder, instances=0):
        self.name = folder.name
        self.folder = folder
        self.repository = folder.parent
        self.config = json.loads((folder / "config.json").read_text())
        _, self.background = read_csv(folder / self.config["backgroundFile"])
        self.exact = None
        if (folder / "exact.json").is_file():
            self.exact = json.loads((folder / "exact.json").read_text())
            _, self.instances = read_csv(folder / "instances.csv")
            if not np.array_equal(np.array(self.exact["instances"]), self.instances):
                fail(f"{folder}: exact.json was made for other instances")
            self.phi = np.array(self.exact["shapley_values"])  # [instance][feature]
            self.output = self.exact["output"]
        else:
            # No exact values: the instances are the first background rows, the output the
            # last one (the positive class of a binary classifier); phi comes from reference().
            self.instances = self.background[:4]
            self.output = self.config["outputNames"][-1]
            self.phi = None
        if instances:
            self.instances = self.instances[:instances]
            if self.phi is not None:
                self.phi = self.phi[:instances]
        self.m = self.instances.shape[1]
        self.column = self.config["outputNames"].index(self.output)
        self.onnx = OnnxReference(folder / "model.onnx", self.config["scoreOutputs"][0])

    def predict(self, rows):
        """The explained output for float64 rows, in chunks (large games)."""
        out = np.empty(len(rows))
        for start in range(0, len(rows), CHUNK_ROWS):
            out[start:start + CHUNK_ROWS] = self.onnx(rows[start:start + CHUNK_ROWS])[:, self.column]
        return out

    def errors(self, phi_hat):
        """Relative squared error per instance."""
        return ((phi_hat - self.phi) ** 2).sum(axis=1) / (self.phi ** 2).sum(axis=1)


class InterventionalGame:
    """shapiq's game: v(S) = mean over the background rows b of f(x_S, b_rest), through
    onnxruntime on the model's ONNX file. Counts the coalitions it is asked for."""

    def __init__(self, model, x):
        self.model, self.x, self.coalitions = model, x, 0
        self.chunk = max(1, CHUNK_ROWS // len(model.background))

    def __call__(self, coalitions):
        z = np.atleast_2d(np.asarray(coalitions, dtype=bool))  # PermutationSamplingSV passes 1-D rows
        self.coalitions += len(z)
        bg = self.model.background
        values = np.empty(len(z))
        for start in range(0, len(z), self.chunk):
            part = z[start:start + self.chunk]
            rows = np.where(np.repeat(part, len(bg), axis=0), self.x, np.tile(bg, (len(part), 1)))
            values[start:start + len(part)] = self.model.predict(rows).reshape(len(part), len(bg)).mean(axis=1)
        return values


def shapiq_approximator(method, n, budget, seed):
    if method == "shapiq-kernel":
        return shapiq.KernelSHAP(n=n, pairing_trick=True, random_state=seed)
    if method == "shapiq-leverage":
        return shapiq.LeverageSHAP(n=n, random_state=seed)
    if method == "shapiq-poly":
        return shapiq.PolySHAP(n=n, max_order=3, sizes_to_exclude={2}, max_terms=poly_terms(n, budget),
                               pairing_trick=True, random_state=seed)
    if method == "shapiq-poly-full":
        return shapiq.PolySHAP(n=n, max_order=3, max_terms=None, pairing_trick=True, random_state=seed)
    if method == "shapiq-odd":
        return shapiq.OddSHAP(n=n, random_state=seed)
    if method == "shapiq-msr":
        return shapiq.RegressionMSR(n=n, index="SV", random_state=seed)
    raise ValueError(method)


def poly_terms(n, budget):
    """PolySHAP's frontier size (max_terms): the empty set, the n singletons and
    min(C(n,3), (B-2)//8) order-3 terms, drawn at random by shapiq. Order 2 is left out:
    paired sampling cancels even orders (paired KernelSHAP is 2nd-order PolySHAP, the
    shapiq-kernel row). Of the frontiers tried on mlp_m16 and gbt_m30 at 4M and 16M (3 seeds x
    4 instances) - order-3 terms only with (B-2)//2, //4 or //8 of them, and the whole order-3
    frontier (max_terms=None, min-norm least squares below B = its size) - this one was the
    most accurate on gbt_m30 and second on mlp_m16 (1.2e-1 at 4M against 1.1e-1 for the whole
    frontier). The whole frontier costs 20 s a call at M=30, B=960 and more at M=48 (dense
    least squares over 1 + n + C(n,2) + C(n,3) columns), so it is the optional shapiq-poly-full."""
    return n + 1 + min(math.comb(n, 3), max(1, (budget - 2) // 8))


def shapiq_values(model, method, budget, seed):
    """[instance][feature], and the coalitions each instance's game evaluated."""
    phi = np.empty((len(model.instances), model.m))
    spent = []
    for i, x in enumerate(model.instances):
        game = InterventionalGame(model, x)
        approximator = shapiq_approximator(method, model.m, budget, seed * 1000 + i)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = approximator.approximate(budget=budget, game=game)
        phi[i] = values.get_n_order_values(1)
        spent.append(game.coalitions)
    return phi, spent


class ShapKernel:
    """shap's KernelExplainer on the model through onnxruntime, the same background."""

    def __init__(self, model):
        self.model = model
        self.rows = 0

        def f(x):
            self.rows += len(x)
            return model.predict(np.asarray(x, dtype=np.float64))

        self.explainer = shap.KernelExplainer(f, model.background)  # evaluates v(empty) here

    def values(self, budget, seed):
        """nsamples = B - 2: shap's nsamples leaves out the empty and the full coalition."""
        model = self.model
        phi = np.empty((len(model.instances), model.m))
        spent = []
        for i, x in enumerate(model.instances):
            np.random.seed(seed * 1000 + i)  # KernelExplainer samples with numpy's global generator
            self.rows = 0
            values = self.explainer.shap_values(x[None, :], nsamples=budget - 2, l1_reg=False, silent=True)
            phi[i] = np.asarray(values).reshape(-1, model.m)[0]
            # f(x) is one row; each sampled coalition is a background's worth; plus empty and full.
            spent.append((self.rows - 1) // len(model.background) + 2)
        return phi, spent


def prism_request(model, method, budget, seed):
    request = pb.ExplainRequest(model=model.name, inputs=[tensor(model.instances)], seed=seed,
                                outputs=[model.output])
    if method == "prism-permutation":
        request.permutation_shap.max_evals = budget
        return request
    request.kernel_shap.nsamples = budget - 2  # Prism's nsamples leaves out the empty and the full coalition
    if method == "prism-kernel-plain":
        request.kernel_shap.estimator = pb.KernelShapParams.ESTIMATOR_KERNEL
    elif method == "prism-leverage":
        request.kernel_shap.estimator = pb.KernelShapParams.ESTIMATOR_LEVERAGE
    elif method != "prism-kernel":
        raise ValueError(method)
    return request


def prism_values(server, model, method, budget, seed):
    response = server.explain(prism_request(model, method, budget, seed))
    phi = attributions(response, len(model.instances), model.m, [model.output])[:, 0, :]
    if method != "prism-permutation" and budget >= 2 ** model.m and not all(
            e.diagnostics.exact for e in response.explanations):
        fail(f"{model.name}: Prism {method} at B={budget} >= 2^M enumerates every coalition but did not report exact")
    spent = [e.diagnostics.coalitions + (2 if method != "prism-permutation" else 0) for e in response.explanations]
    # The standard errors, where every explanation has them (not when every coalition was enumerated).
    se = None
    if all(len(e.standard_errors) == model.m for e in response.explanations):
        se = np.full((len(model.instances), model.m), np.nan)
        for e in response.explanations:
            se[e.instance] = e.standard_errors
    return phi, spent, se


# Untimed Prism requests per budget before the wall-time runs (see run_wall_time).
PRISM_WARMUP_RUNS = 3


class Runner:
    """Runs one method at one budget and seed: (phi [instance][feature], coalitions per instance)."""

    def __init__(self, servers, model):
        self.servers, self.model = servers, model
        self.shap = None
        self.standard_errors = None  # Prism's, from the last call, when it gave them

    def __call__(self, method, budget, seed):
        self.standard_errors = None
        if method.startswith("prism-"):
            phi, spent, self.standard_errors = prism_values(self.servers.get(self.model.repository), self.model,
                                                            method, budget, seed)
            return phi, spent
        if method == "shap-kernel":
            if self.shap is None:
                self.shap = ShapKernel(self.model)
            return self.shap.values(budget, seed)
        return shapiq_values(self.model, method, budget, seed)


class Servers:
    """One Prism server per model repository, started when first needed."""

    def __init__(self):
        self.started = {}

    def get(self, repository):
        if repository not in self.started:
            self.started[repository] = PrismServer(repository)
        return self.started[repository]


def fmt(x):
    return f"{x:9.2e}" if isinstance(x, float) else f"{x:>9}"


def run_accuracy(servers, model, methods, multipliers, seeds):
    budgets = [k * model.m for k in multipliers]
    runner = Runner(servers, model)
    errors = {m: {} for m in methods}
    spent = {m: {} for m in methods}
    covered = {m: {} for m in methods}  # share of |phi_hat - phi| <= 2.5 se, where Prism gave se
    # root mean se² over root mean (phi_hat - phi)²: near 1 when the se are the size of the error;
    # coverage alone would pass se that are far too wide
    se_scale = {m: {} for m in methods}
    start = time.monotonic()
    for b in budgets:
        for method in methods:
            per_seed, used, within, se_squared, error_squared = [], [], [], [], []
            try:
                for seed in range(seeds):
                    phi_hat, coalitions = runner(method, b, seed)
                    per_seed.append(model.errors(phi_hat))
                    used.extend(coalitions)
                    if runner.standard_errors is not None:
                        within.extend((np.abs(phi_hat - model.phi) <= 2.5 * runner.standard_errors).ravel())
                        se_squared.extend((runner.standard_errors ** 2).ravel())
                        error_squared.extend(((phi_hat - model.phi) ** 2).ravel())
                errors[method][b] = float(np.mean(per_seed))
                if within:
                    covered[method][b] = float(np.mean(within))
                    se_scale[method][b] = float(np.sqrt(np.mean(se_squared) / max(np.mean(error_squared), 1e-300)))
                spent[method][b] = (min(used), max(used))
            except Exception as e:  # a method that refuses a budget (OddSHAP at low ones) is shown so
                errors[method][b] = "raises"
                spent[method][b] = f"{type(e).__name__}: {str(e).splitlines()[0][:90]}"
    elapsed = time.monotonic() - start

    full = 2 ** model.m
    print(f"\n{model.name}: M={model.m}, {len(model.instances)} instances x {seeds} seeds, "
          f"{len(model.background)} background rows, exact values: {model.exact['method']}  ({elapsed:.0f} s)")
    print("mean ||phi_hat - phi||^2 / ||phi||^2 over seeds x instances; B = coalitions per instance, "
          "empty and full included; * = B >= 2^M (every coalition); se coverage: share of Prism's "
          "attributions within 2.5 standard errors of the exact value (the goal is >= 80%); se / error: "
          "root mean se^2 over root mean error^2 (near 1: the se are the size of the error)")
    print(f"{'method':30}" + "".join(f"{'B=' + str(b) + ('*' if b >= full else ''):>11}" for b in budgets))
    for method in methods:
        print(f"{LABELS[method]:30}" + "".join(f"  {fmt(errors[method][b])}" for b in budgets))

    for method in methods:
        if covered[method]:
            print(f"{'  ' + LABELS[method].removeprefix('prism ') + ' se coverage':30}"
                  + "".join(f"{covered[method][b]:11.0%}" if b in covered[method] else f"{'-':>11}"
                            for b in budgets))
            print(f"{'  ' + LABELS[method].removeprefix('prism ') + ' se / error':30}"
                  + "".join(f"{se_scale[method][b]:11.2f}" if b in se_scale[method] else f"{'-':>11}"
                            for b in budgets))
    verdict = None
    default = errors.get("prism-kernel")
    shapiq_methods = [m for m in methods if m in SHAPIQ]
    if default is not None:
        ok = True
        checked = 0
        if shapiq_methods:
            cells, names = [], []
            for b in budgets:
                done = {m: errors[m][b] for m in shapiq_methods if isinstance(errors[m][b], float)}
                if not done or not isinstance(default[b], float) or b >= full:
                    cells.append(f"{'-':>11}")
                    names.append(f"{'-':>11}")
                    continue
                best = min(done, key=done.get)
                r = default[b] / done[best] if done[best] > 0 else math.inf
                ok &= r <= GOAL_SHAPIQ
                checked += 1
                cells.append(f"{r:11.2f}")
                names.append(f"{best.removeprefix('shapiq-'):>11}")
            print(f"{'ratio default/best shapiq':30}" + "".join(cells))
            print(f"{'  best shapiq is':30}" + "".join(names))
        if "shap-kernel" in methods:
            cells = []
            for b in budgets:
                s = errors["shap-kernel"][b]
                if b >= full or not isinstance(s, float) or not isinstance(default[b], float):
                    cells.append(f"{'-':>11}")
                    continue
                r = default[b] / s if s > 0 else math.inf
                ok &= r <= GOAL_SHAP
                checked += 1
                cells.append(f"{r:11.2f}")
            print(f"{'ratio default/shap':30}" + "".join(cells))
        if checked:
            verdict = ok
            parts = ([f"<= {GOAL_SHAPIQ}x best shapiq"] if shapiq_methods else []) + (
                [f"<= {GOAL_SHAP}x shap"] if "shap-kernel" in methods else [])
            print(f"goal ({model.name}): default {' and '.join(parts)} at every sampled budget: "
                  f"{'HOLDS' if ok else 'NOT MET'}")

    print("budget check, coalitions evaluated per instance (min..max over instances and seeds):")
    for method in methods:
        cells = []
        for b in budgets:
            s = spent[method][b]
            if isinstance(s, str):
                cells.append(f"B={b}: {s}")
            else:
                lo, hi = s
                tag = "" if lo == hi == min(b, full) else "  <- not B"
                cells.append(f"B={b}: {lo}" + (f"..{hi}" if hi != lo else "") + tag)
        print(f"  {LABELS[method]:28} " + "; ".join(cells))
    return verdict


def budget_note():
    print("budgets: B coalitions per instance, empty and full included, for every method: Prism kernel_shap "
          "nsamples = B-2 and shap nsamples = B-2 (both evaluate v(empty) and f(x) besides their nsamples; "
          "Prism's diagnostics.coalitions counts the nsamples), shapiq budget = B (counts both); checked below "
          "per model from what each method evaluated")


# ---------------------------------------------------------------------------------------------
# Equal wall time


def reference_values(server, model, samples, seeds):
    """Reference Shapley values for a model without exact ones: the mean of Prism's
    ESTIMATOR_LEVERAGE (unbiased, no adjustment) over `seeds` seeds at `samples` coalitions.
    Returns phi and the estimated relative error of that mean (from the spread of the seeds)."""
    runs = []
    for seed in range(seeds):
        request = pb.ExplainRequest(model=model.name, inputs=[tensor(model.instances)], seed=10_000 + seed,
                                    outputs=[model.output])
        request.kernel_shap.nsamples = samples
        request.kernel_shap.estimator = pb.KernelShapParams.ESTIMATOR_LEVERAGE
        response = server.explain(request)
        runs.append(attributions(response, len(model.instances), model.m, [model.output])[:, 0, :])
    runs = np.array(runs)
    phi = runs.mean(axis=0)
    # Each run's error is about its squared distance from the mean x s/(s-1); the mean's is 1/s of that.
    spread = ((runs - phi) ** 2).sum(axis=2).sum(axis=0) / (seeds - 1) / seeds
    own = float(np.mean(spread / (phi ** 2).sum(axis=1)))
    return phi, own


def interpolate(points, t):
    """log-log interpolation of (seconds, error) points at t. Outside the measured range the
    nearest point bounds the answer: ('>=', e) below the fastest run (less time cannot do
    better), ('<=', e) above the slowest."""
    points = sorted(points)
    ts = np.log([p[0] for p in points])
    es = np.log([p[1] for p in points])
    lt = math.log(t)
    if lt < ts[0]:
        return ">=", float(np.exp(es[0]))
    if lt > ts[-1]:
        return "<=", float(np.exp(es[-1]))
    return "", float(np.exp(np.interp(lt, ts, es)))


def run_wall_time(servers, model, methods, multipliers, seeds, args):
    server = servers.get(model.repository)
    own = None
    if model.phi is None:
        t0 = time.monotonic()
        model.phi, own = reference_values(server, model, args.reference_samples, args.reference_seeds)
        print(f"\n{model.name}: reference = mean of {args.reference_seeds} Prism ESTIMATOR_LEVERAGE runs at "
              f"{args.reference_samples} coalitions; its own estimated error {own:.2e} ({time.monotonic() - t0:.0f} s)")
    budgets = [k * model.m for k in multipliers]
    runner = Runner(servers, model)
    # Warm-up, outside the clock: onnxruntime's sessions and shap's explainer with one run per
    # method; Prism is timed as a server that has been running a while, so its JIT first compiles
    # each budget's paths (the adjustment, the sandwich) with PRISM_WARMUP_RUNS untimed requests.
    for method in methods:
        warm = [budgets[0]]
        if method.startswith("prism-"):
            warm = [b for b in budgets for _ in range(PRISM_WARMUP_RUNS)]
        for b in warm:
            try:
                runner(method, b, 99)
            except Exception:
                pass
    points = {m: [] for m in methods}
    rows = {m: {} for m in methods}
    for b in budgets:
        for method in methods:
            if points[method] and points[method][-1][0] > args.max_seconds:
                rows[method][b] = "skipped"
                continue
            times, errs = [], []
            try:
                for seed in range(seeds):
                    t0 = time.perf_counter()
                    phi_hat, _ = runner(method, b, seed)
                    times.append(time.perf_counter() - t0)
                    errs.append(float(np.mean(model.errors(phi_hat))))
            except Exception as e:
                rows[method][b] = f"raises {type(e).__name__}"
                continue
            t, e = float(np.mean(times)), float(np.mean(errs))
            points[method].append((t, e))
            rows[method][b] = f"{t:7.2f}s {e:8.2e}"

    print(f"\n{model.name}: M={model.m}, {len(model.instances)} instances (one Prism request; shap and shapiq one "
          f"instance after another in this process), {len(model.background)} background rows, {seeds} seeds; "
          f"end-to-end seconds for all instances and mean error per budget")
    print(f"{'method':30}" + "".join(f"{'B=' + str(b):>19}" for b in budgets))
    for method in methods:
        print(f"{LABELS[method]:30}" + "".join(f"{rows[method].get(b, '-'):>19}" for b in budgets))
    if own is not None:
        errs = [e for m in methods for _, e in points[m]]
        if errs:
            print(f"reference's own error {own:.2e} vs the smallest compared error {min(errs):.2e} "
                  f"({'far below' if own < 0.1 * min(errs) else 'NOT far below: the smallest errors are unreliable'})")
    if "prism-kernel" not in methods:
        return
    print("at the seconds Prism's default took: the others' error there (log-log interpolation; >= / <=: outside "
          "their measured times, bounded by the nearest point), and default / that")
    others = [m for m in methods if m != "prism-kernel" and len(points[m]) >= 1]
    print(f"{'default at':30}" + "".join(f"{f'{t:.2f}s {e:.2e}':>19}" for t, e in points["prism-kernel"]))
    at = {}
    for method in others:
        cells = []
        for t, e in points["prism-kernel"]:
            side, e_other = interpolate(points[method], t)
            at.setdefault(t, {})[method] = (side, e_other)
            cells.append(f"{side}{e_other:.2e} x{e / e_other:.2f}")
        print(f"{LABELS[method]:30}" + "".join(f"{c:>19}" for c in cells))
    shapiq_methods = [m for m in others if m in SHAPIQ]
    cells_shap, cells_best, names = [], [], []
    for t, e in points["prism-kernel"]:
        if "shap-kernel" in at.get(t, {}):
            side, e_shap = at[t]["shap-kernel"]
            cells_shap.append(f"{flip(side)}{e / e_shap:.2f}")
        if shapiq_methods:
            best = min(shapiq_methods, key=lambda m: at[t][m][1])
            side, e_best = at[t][best]
            cells_best.append(f"{flip(side)}{e / e_best:.2f}")
            names.append(best.removeprefix("shapiq-"))
    if cells_shap:
        print(f"{'ratio default/shap':30}" + "".join(f"{c:>19}" for c in cells_shap))
    if cells_best:
        print(f"{'ratio default/best shapiq':30}" + "".join(f"{c:>19}" for c in cells_best))
        print(f"{'  best shapiq is':30}" + "".join(f"{c:>19}" for c in names))


def flip(side):
    """The bound on a ratio default/other when other's error is bounded: other >= e gives ratio <= ..."""
    return {"": "", ">=": "<=", "<=": ">="}[side]


def main():
    args = parse_args()
    wall = args.wall_time
    if args.quick:
        args.models = args.models or ("breast_cancer" if wall else QUICK["models"])
        args.multipliers = args.multipliers or ("4,32" if wall else QUICK["multipliers"])
        args.seeds = args.seeds or (1 if wall else QUICK["seeds"])
    models = [m for m in (args.models or ",".join(WALL_MODELS if wall else MODELS)).split(",") if m]
    multipliers = [int(k) for k in (args.multipliers or ("4,16,64,256" if wall else "4,8,16,32")).split(",")]
    seeds = args.seeds or (2 if wall else 5)
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS + OPTIONAL_METHODS)
    if unknown:
        fail(f"unknown methods {sorted(unknown)}; choose from {METHODS + OPTIONAL_METHODS}")

    servers = Servers()
    print(f"shapley-{'wall-time' if wall else 'accuracy'}: models {', '.join(models)}; budgets B = k*M for k in "
          f"{multipliers}; {seeds} seeds; shap {shap.__version__}, shapiq {shapiq.__version__}")
    budget_note()
    verdicts = {}
    for name in models:
        folder = ROOT / ("models" if name == "breast_cancer" else "bench/models") / name
        if not folder.is_dir():
            fail(f"no model folder {folder}")
        model = BenchModel(folder.resolve(), args.instances)
        if wall:
            run_wall_time(servers, model, methods, multipliers, seeds, args)
        else:
            if model.exact is None:
                fail(f"{name} has no exact.json")
            verdicts[name] = run_accuracy(servers, model, methods, multipliers, seeds)
    if verdicts and any(v is not None for v in verdicts.values()):
        held = [n for n, v in verdicts.items() if v]
        print(f"\ngoal met on {len(held)} of {len(verdicts)} models" + (f" ({', '.join(held)})" if held else ""))


if __name__ == "__main__":
    main()
