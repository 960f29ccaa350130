"""Wall time of the gradient methods: Prism over gRPC against Captum on the same
CNN, on the CPU.

The model is the bundled digits_cnn (Conv, ReLU, MaxPool, Gemm, Softmax on 8x8
digits). Captum runs on its torch module, rebuilt from the initializers of
models/digits_cnn/model.onnx, so both sides explain the same network. The
instances are test-set digits (the split of tools/make_models.py), repeated when
more are asked for than the 450 there are; one score column for every instance
(Prism's `outputs` applies to the whole request); zero baseline.

  deep_lift  Prism deep_lift, target GRADIENT_TARGET_LOGITS
             vs captum.attr.DeepLift(net without its Softmax).attribute(x, zeros, target=k)
             (Captum's softmax rule mixes every instance of a batch, so the two are compared
             on the logits)
  ig         Prism integrated_gradients (n_steps 50, Gauss-Legendre), on the probabilities
             vs captum.attr.IntegratedGradients(net).attribute(x, zeros, target=k, n_steps=50,
             method="gausslegendre")

Two figures per method:

  latency     Each repetition times one Prism request with every instance
              (FORMAT_COMPACT, client side, over gRPC) and then one Captum call on
              the same batch. After the warm-up, the medians of both, attributions
              per second (one attribution = one instance's map for one output) and
              the median of the per-repetition ratios Captum time / Prism time
              (above 1: Prism is faster).
  throughput  --concurrency clients each send --throughput-requests requests of
              the same batch at once, as a server's callers do; attributions per
              second over the whole burst, the median of --throughput-rounds
              bursts, against Captum's attributions per second from the latency
              repetitions (one process, torch using every core).

The largest |Prism - Captum| difference of the attributions is printed too.

Before anything is timed, --server-warmup untimed Prism requests per method
(default 60, about a second) bring the server's JIT to the steady state of a
server that has been running a while; then --warmup untimed repetitions of both
sides.

For DeepLIFT the check line gives two differences: against Captum as it runs
(each ReLU feeds a MaxPool directly, and Captum's hooks then hand the ReLU rule
the MaxPool's plain gradient, so the cross-max MaxPool rule has no effect), and
against Captum on the same network with a copy between each ReLU and its
MaxPool (both rules applied; see tools/gradient_models.separate_relu_maxpool).

--captum-only runs the Captum side alone, without building or starting Prism.
"""

import argparse
import os
import statistics
import threading
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from gradient_models import build_from_onnx, load_digits_split, separate_relu_maxpool  # noqa: E402

MODEL = "digits_cnn"
OUTPUT_NAMES = [str(d) for d in range(10)]


def parse_args():
    p = argparse.ArgumentParser(prog="bench/gradient-speed.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", default="deep_lift,ig", help="comma-separated subset of deep_lift,ig")
    p.add_argument("--instances", type=int, default=256)
    p.add_argument("--output", default="0", help="the score column explained for every instance (default 0)")
    p.add_argument("--n-steps", type=int, default=50, help="integrated gradients: points on the path")
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--server-warmup", type=int, default=60, help="untimed Prism requests before the repetitions")
    p.add_argument("--concurrency", type=int, default=4, help="throughput: requests in flight at once (0: skip)")
    p.add_argument("--throughput-requests", type=int, default=8, help="throughput: requests per client per burst")
    p.add_argument("--throughput-rounds", type=int, default=3, help="throughput: bursts timed")
    p.add_argument("--torch-threads", type=int, default=0,
                   help="torch intra-op threads for Captum (default 0: torch's default, one per core)")
    p.add_argument("--captum-only", action="store_true", help="time Captum alone; Prism is not built or started")
    return p.parse_args()


def instances(n):
    """n test-set digits as float32 [n,1,8,8], the 450 of the test split repeated as needed."""
    _, x_test, _, _ = load_digits_split()
    rows = np.resize(np.arange(len(x_test)), n)
    return x_test[rows].astype(np.float32).reshape(n, 1, 8, 8)


def median(xs):
    return statistics.median(xs)


class Captum:
    """The Captum side: the torch modules and one timed call per method."""

    def __init__(self, args):
        import captum.attr

        self.attr = captum.attr
        self.version = captum.__version__
        self.args = args
        self.net = build_from_onnx(MODEL)
        self.logits = build_from_onnx(MODEL, softmax=False)
        self.logits_maxpool_rule = separate_relu_maxpool(build_from_onnx(MODEL, softmax=False))

    def deep_lift(self, x, k, net=None):
        x = torch.from_numpy(x)
        return self.attr.DeepLift(net or self.logits).attribute(
            x, baselines=torch.zeros_like(x), target=k).detach().numpy().reshape(len(x), -1)

    def ig(self, x, k):
        x = torch.from_numpy(x)
        return self.attr.IntegratedGradients(self.net).attribute(
            x, baselines=torch.zeros_like(x), target=k, n_steps=self.args.n_steps,
            method="gausslegendre").detach().numpy().reshape(len(x), -1)


class Prism:
    """The Prism side: a server on the bundled models and one request per method."""

    def __init__(self):
        from prism_bench import PrismServer, fail, pb, tensor

        self.pb, self.tensor, self.fail = pb, tensor, fail
        self.server = PrismServer(ROOT / "models")
        info = self.server.model_info(MODEL)
        if list(info.output_names) != OUTPUT_NAMES:
            fail(f"{MODEL}: the server's output names are {list(info.output_names)}")

    def request(self, x, output):
        request = self.pb.ExplainRequest(model=MODEL, inputs=[self.tensor(x)], outputs=[output],
                                         format=self.pb.FORMAT_COMPACT)
        request.baseline.constant = 0.0
        return request

    def attributions(self, response, n):
        """[instance][feature] of the one requested output, from the compact summary."""
        t = response.summary.attributions
        values = np.frombuffer(t.raw_data, dtype="<f8") if t.raw_data else np.asarray(t.double_data)
        if values.size != n * 64:
            self.fail(f"{response.method}: summary.attributions has {values.size} values, expected {n * 64}")
        return values.reshape(list(t.shape))[:, :, 0]

    def deep_lift(self, x, output):
        request = self.request(x, output)
        request.deep_lift.target = self.pb.GRADIENT_TARGET_LOGITS
        return self.attributions(self.server.explain(request), len(x))

    def ig(self, x, output, n_steps):
        request = self.request(x, output)
        request.integrated_gradients.n_steps = n_steps
        request.integrated_gradients.method = self.pb.INTEGRATION_GAUSS_LEGENDRE
        request.integrated_gradients.target = self.pb.GRADIENT_TARGET_OUTPUT
        return self.attributions(self.server.explain(request), len(x))


def times(values):
    return " ".join(f"{t:.3f}" for t in values)


def throughput(args, run_prism, n):
    """Attributions per second of --concurrency clients sending their requests at once: the
    median over --throughput-rounds bursts, and each burst's figure."""
    rates = []
    for _ in range(args.throughput_rounds):
        start = threading.Barrier(args.concurrency + 1)
        errors = []

        def client():
            start.wait()
            try:
                for _ in range(args.throughput_requests):
                    run_prism()
            except BaseException as e:  # noqa: BLE001 - reported below, after the burst
                errors.append(e)

        threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        if errors:
            raise errors[0]
        rates.append(args.concurrency * args.throughput_requests * n / elapsed)
    return median(rates), rates


def report(label, n, captum_times, prism_times, rates, concurrency, checks):
    c = median(captum_times)
    line = f"{label:30} latency    captum {c:7.3f} s {n / c:10,.0f} attr/s"
    if prism_times:
        p = median(prism_times)
        ratio = median([ct / pt for ct, pt in zip(captum_times, prism_times)])
        line += f" | prism {p:7.3f} s {n / p:10,.0f} attr/s | prism/captum {ratio:6.2f}"
    else:
        line += " | prism skipped (--captum-only)"
    print(line)
    if rates:
        rate, each = rates
        print(f"{label:30} throughput captum {n / c:10,.0f} attr/s | prism {rate:10,.0f} attr/s with "
              f"{concurrency} requests in flight | prism/captum {rate / (n / c):6.2f}")
    print(f"  captum [{times(captum_times)}]" + (f"  prism [{times(prism_times)}]" if prism_times else ""))
    if rates:
        print("  prism throughput [" + " ".join(f"{r:,.0f}" for r in rates[1]) + "] attr/s")
    for check in checks:
        print(f"  check: {check}")


def bench(args, captum, prism, method, x, k):
    output = OUTPUT_NAMES[k]
    if method == "deep_lift":
        run_captum = lambda: captum.deep_lift(x, k)  # noqa: E731
        run_prism = lambda: prism.deep_lift(x, output)  # noqa: E731
        label = "deep_lift (logits)"
    else:
        run_captum = lambda: captum.ig(x, k)  # noqa: E731
        run_prism = lambda: prism.ig(x, output, args.n_steps)  # noqa: E731
        label = f"integrated_gradients ({args.n_steps}, GL)"
    captum_times, prism_times = [], []
    phi_c = phi_p = None
    if prism is not None:
        for _ in range(args.server_warmup):
            run_prism()
    for rep in range(args.warmup + args.reps):
        if prism is not None:
            t0 = time.perf_counter()
            phi_p = run_prism()
            if rep >= args.warmup:
                prism_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        phi_c = run_captum()
        if rep >= args.warmup:
            captum_times.append(time.perf_counter() - t0)
    rates = None
    if prism is not None and args.concurrency > 0:
        rates = throughput(args, run_prism, len(x))
    scale = np.abs(phi_c).max()
    checks = [f"max |captum attribution| {scale:.3e}"]
    if phi_p is not None:
        checks = [f"max |prism - captum| {np.abs(phi_p - phi_c).max():.3e} (max |captum attribution| {scale:.3e})"]
        if method == "deep_lift":
            phi_rule = captum.deep_lift(x, k, captum.logits_maxpool_rule)
            checks.append(f"max |prism - captum with a copy between ReLU and MaxPool| "
                          f"{np.abs(phi_p - phi_rule).max():.3e}")
    report(label, len(x), captum_times, prism_times, rates, args.concurrency, checks)


def main():
    args = parse_args()
    methods = [m for m in args.methods.split(",") if m]
    if set(methods) - {"deep_lift", "ig"} or not methods:
        sys.exit(f"bench: unknown methods {methods}; choose from deep_lift,ig")
    if args.concurrency < 0 or args.throughput_requests < 1 or args.throughput_rounds < 1:
        sys.exit("bench: --concurrency must be >= 0, --throughput-requests and --throughput-rounds >= 1")
    if args.output not in OUTPUT_NAMES:
        sys.exit(f"bench: --output must be one of {','.join(OUTPUT_NAMES)}")
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    warnings.filterwarnings("ignore", module="captum")  # notices about hooks on every DeepLift call
    k = OUTPUT_NAMES.index(args.output)
    x = instances(args.instances)
    captum = Captum(args)
    prism = None if args.captum_only else Prism()
    print(f"gradient-speed: {MODEL} on the CPU, {len(x)} instances, output {args.output!r}, zero baseline, "
          f"{args.reps} reps after {args.warmup} warm-up; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), captum {captum.version}, {os.cpu_count()} CPUs")
    for method in methods:
        bench(args, captum, prism, method, x, k)


if __name__ == "__main__":
    main()
