"""Wall time of the perturbation explainers: Prism over gRPC against the Python
references calling the same ONNX model through onnxruntime.

  kernel  Prism kernel_shap (nsamples N, l1 off)  vs shap.KernelExplainer(l1_reg=False, nsamples=N)
  lime    Prism lime (num_samples S, quartile discretizer, 10 features, one output)
          vs lime.lime_tabular.LimeTabularExplainer(background, quartile).explain_instance(
             num_samples=S, num_features=10, labels=(that output,))

Same model, same background rows on both sides (the model's background.csv, or
its first --background-rows rows, sent inline to Prism), the same instances
(each feature taken from a different background row, so every feature varies).
Each repetition times Prism explaining all instances in one request, then the
reference explaining them one after the other; after the warm-up, the medians
of both and the median of the per-repetition ratios reference/Prism are printed.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import lime
import lime.lime_tabular
import numpy as np
import shap

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prism_bench import ROOT, OnnxReference, PrismServer, attributions, fail, pb, read_csv, tensor  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(prog="bench/perturbation-speed.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="breast_cancer", help="bundled model (default breast_cancer)")
    p.add_argument("--methods", default="kernel,lime", help="comma-separated subset of kernel,lime")
    p.add_argument("--instances", type=int, default=4)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--nsamples", type=int, default=2048, help="KernelSHAP coalitions per instance")
    p.add_argument("--estimator", default="default", choices=["default", "leverage", "kernel"],
                   help="Prism kernel_shap estimator: default (ESTIMATOR_ADJUSTED), leverage or kernel (shap's design)")
    p.add_argument("--lime-samples", type=int, default=5000, help="LIME neighbourhood size")
    p.add_argument("--lime-output", default=None, help="output LIME explains (default: the last one)")
    p.add_argument("--background-rows", type=int, default=0,
                   help="use the first N rows of the model's background, inline (default: all, as the model's default)")
    p.add_argument("--ref-threads", type=int, default=0,
                   help="onnxruntime intra-op threads of the references (default 0: one per physical core)")
    return p.parse_args()


def instances_from(background, n):
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(background), size=(n, background.shape[1]))
    return background[rows, np.arange(background.shape[1])]


def median(xs):
    return statistics.median(xs)


def report(label, ref_label, prism_times, ref_times, note):
    ratios = [r / p for p, r in zip(prism_times, ref_times)]
    print(f"{label}")
    print(f"  prism      median {median(prism_times):8.3f} s  [{' '.join(f'{t:.3f}' for t in prism_times)}]")
    print(f"  {ref_label:10} median {median(ref_times):8.3f} s  [{' '.join(f'{t:.3f}' for t in ref_times)}]")
    print(f"  ratio {ref_label}/prism median {median(ratios):.2f}  [{' '.join(f'{r:.2f}' for r in ratios)}]")
    print(f"  check: {note}")


def shap_reference(model, background, x, nsamples, seed):
    """shap's KernelExplainer on every instance: [instance][output][feature]."""
    np.random.seed(seed)
    explainer = shap.KernelExplainer(model, background)
    values = np.asarray(explainer.shap_values(x, nsamples=nsamples, l1_reg=False, silent=True))
    return values.reshape(len(x), x.shape[1], -1).transpose(0, 2, 1)


def lime_reference(model, background, feature_names, x, label, num_samples, seed):
    """lime's tabular explainer on every instance, one label: [instance][feature]
    coefficients (0 for features outside the explanation)."""
    explainer = lime.lime_tabular.LimeTabularExplainer(
        background, mode="classification", feature_names=feature_names, discretize_continuous=True,
        discretizer="quartile", random_state=seed)
    coefs = np.zeros((len(x), x.shape[1]))
    for i, row in enumerate(x):
        exp = explainer.explain_instance(row, model, labels=(label,), num_features=10, num_samples=num_samples)
        for j, c in exp.local_exp[label]:
            coefs[i, j] = c
    return coefs


def bench_kernel(args, server, name, model, background, inline, x, outputs):
    def prism_run(seed):
        request = pb.ExplainRequest(model=name, inputs=[tensor(x)], seed=seed)
        request.kernel_shap.nsamples = args.nsamples
        request.kernel_shap.estimator = {
            "default": pb.KernelShapParams.ESTIMATOR_ADJUSTED,
            "leverage": pb.KernelShapParams.ESTIMATOR_LEVERAGE,
            "kernel": pb.KernelShapParams.ESTIMATOR_KERNEL,
        }[args.estimator]
        if inline is not None:
            request.background.CopyFrom(tensor(inline))
        response = server.explain(request)
        return attributions(response, len(x), x.shape[1], outputs)

    def ref_run(seed):
        return shap_reference(model, background, x, args.nsamples, seed)

    prism_times, ref_times = [], []
    for rep in range(args.warmup + args.reps):
        t0 = time.perf_counter()
        phi_p = prism_run(rep)
        t1 = time.perf_counter()
        phi_r = ref_run(rep)
        t2 = time.perf_counter()
        if rep >= args.warmup:
            prism_times.append(t1 - t0)
            ref_times.append(t2 - t1)
    rel = np.linalg.norm(phi_p - phi_r) / np.linalg.norm(phi_r)
    report(f"kernel_shap: nsamples {args.nsamples}, l1 off, {len(outputs)} outputs, estimator {args.estimator}",
           "shap", prism_times, ref_times,
           f"||phi_prism - phi_shap|| / ||phi_shap|| = {rel:.3f} (both estimates; last repetition)")


def bench_lime(args, server, name, model, background, inline, x, outputs, feature_names):
    output = args.lime_output or outputs[-1]
    label = outputs.index(output)

    def prism_run(seed):
        request = pb.ExplainRequest(model=name, inputs=[tensor(x)], seed=seed, outputs=[output])
        request.lime.num_samples = args.lime_samples
        request.lime.num_features = 10
        request.lime.discretizer = pb.LimeParams.DISCRETIZER_QUARTILE
        if inline is not None:
            request.background.CopyFrom(tensor(inline))
        response = server.explain(request)
        return attributions(response, len(x), x.shape[1], [output])[:, 0, :]

    def ref_run(seed):
        return lime_reference(model, background, feature_names, x, label, args.lime_samples, seed)

    prism_times, ref_times = [], []
    for rep in range(args.warmup + args.reps):
        t0 = time.perf_counter()
        coef_p = prism_run(rep)
        t1 = time.perf_counter()
        coef_r = ref_run(rep)
        t2 = time.perf_counter()
        if rep >= args.warmup:
            prism_times.append(t1 - t0)
            ref_times.append(t2 - t1)
    top_p = [set(np.argsort(-np.abs(c))[:5]) for c in coef_p]
    top_r = [set(np.argsort(-np.abs(c))[:5]) for c in coef_r]
    overlap = np.mean([len(a & b) for a, b in zip(top_p, top_r)])
    report(f"lime: {args.lime_samples} samples, quartile, 10 features, output {output}",
           "lime", prism_times, ref_times,
           f"top-5 features by |coef| shared with lime: {overlap:.1f} of 5 on average (last repetition)")


def main():
    args = parse_args()
    methods = [m for m in args.methods.split(",") if m]
    if set(methods) - {"kernel", "lime"}:
        fail(f"unknown methods {methods}; choose from kernel,lime")
    folder = ROOT / "models" / args.model
    config = json.loads((folder / "config.json").read_text())
    feature_names, background = read_csv(folder / config.get("backgroundFile", "background.csv"))
    inline = None
    if args.background_rows:
        background = background[: args.background_rows]
        inline = background
    x = instances_from(background, args.instances)
    outputs = config["outputNames"]
    model = OnnxReference(folder / "model.onnx", config["scoreOutputs"][0], threads=args.ref_threads)

    server = PrismServer(ROOT / "models")
    info = server.model_info(args.model)
    if list(info.output_names) != outputs or list(info.feature_names) != feature_names:
        fail(f"{args.model}: the server's names differ from {folder}/config.json")
    print(f"perturbation-speed: {args.model} ({x.shape[1]} features), {args.instances} instances, "
          f"{len(background)} background rows{' (inline)' if inline is not None else ' (the model default)'}, "
          f"{args.reps} reps after {args.warmup} warm-up; shap {shap.__version__}, "
          f"references on onnxruntime with {args.ref_threads or 'default'} intra-op threads")
    if "kernel" in methods:
        bench_kernel(args, server, args.model, model, background, inline, x, outputs)
    if "lime" in methods:
        bench_lime(args, server, args.model, model, background, inline, x, outputs, feature_names)


if __name__ == "__main__":
    main()
