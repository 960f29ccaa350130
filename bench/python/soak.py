"""A mixed load against one Prism server for a fixed time, then a report.

Clients send, in a loop, a random pick of: kernel_shap (unary and streaming), exact_shapley,
permutation_shap and lime on iris and breast_cancer, deep_lift and integrated_gradients on
digits_cnn, and Predict. One in eight streaming calls is cancelled by its client after its first
progress event. Every --reload-every seconds the script touches a copy of iris in the server's
repository and sends SIGHUP, so the model is reloaded under load.

The server runs with a fixed, pre-touched heap (--heap, as a production server is run), so that
its resident memory measures what could leak: native memory (ONNX Runtime sessions, graphs,
buffers) and the JVM's own, not the Java heap growing into its limit. BENCH_JAVA_OPTS, when set,
replaces these options.

The report: requests served, outcomes by status code, p50/p99 latency of the completed calls, and
the server's resident memory (VmRSS, sampled every 5 s) after warm-up, at the end, its peak after
warm-up, its trend (least squares over the samples after warm-up) and one sample per minute. Unexpected outcomes
(anything but OK, CANCELLED on a cancelled call, or RESOURCE_EXHAUSTED), or resident memory at the
end more than --rss-tolerance-mib above the reading after warm-up, make the exit status 1.
"""

import argparse
import collections
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc

from prism_bench import PrismServer, fail, model_pb, pb, read_csv, tensor

ROOT = Path(__file__).resolve().parent.parent.parent


def parse_args():
    p = argparse.ArgumentParser(prog="bench/soak.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--warmup-seconds", type=float, default=120, help="load before the first memory reading")
    p.add_argument("--reload-every", type=float, default=60, help="seconds between reloads (0: none)")
    p.add_argument("--heap", default="1g", help="the server's fixed Java heap (-Xms = -Xmx)")
    p.add_argument("--rss-tolerance-mib", type=float, default=32,
                   help="how far resident memory may end above its reading after warm-up")
    return p.parse_args()


def slope_mib_per_hour(samples):
    """Least squares slope of (seconds, KiB) samples, in MiB per hour."""
    if len(samples) < 2:
        return float("nan")
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mr = sum(r for _, r in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    cov = sum((t - mt) * (r - mr) for t, r in samples)
    return cov / var * 3600 / 1024 if var > 0 else float("nan")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Requests:
    """The request mix; rows from the models' own backgrounds."""

    def __init__(self):
        _, self.iris = read_csv(ROOT / "models/iris/background.csv")
        _, self.cancer = read_csv(ROOT / "models/breast_cancer/background.csv")
        _, digits = read_csv(ROOT / "models/digits_cnn/background.csv")
        self.digits = digits.reshape(-1, 1, 8, 8)

    def pick(self, rng):
        kind = rng.randrange(8)
        seed = rng.randrange(1 << 30)
        if kind == 0:
            r = pb.ExplainRequest(model="iris", inputs=[tensor(self.iris[rng.randrange(len(self.iris))][None])],
                                  seed=seed)
            r.exact_shapley.SetInParent()
            return "exact_shapley", r
        if kind in (1, 2):
            rows = self.cancer[rng.sample(range(len(self.cancer)), 2)]
            r = pb.ExplainRequest(model="breast_cancer", inputs=[tensor(rows)], seed=seed)
            r.kernel_shap.nsamples = 512
            return "kernel_shap", r
        if kind == 3:
            r = pb.ExplainRequest(model="breast_cancer", inputs=[tensor(self.cancer[:1])], seed=seed)
            r.permutation_shap.max_evals = 600
            return "permutation_shap", r
        if kind == 4:
            r = pb.ExplainRequest(model="breast_cancer", inputs=[tensor(self.cancer[:1])], seed=seed)
            r.lime.num_samples = 2000
            return "lime", r
        if kind == 5:
            r = pb.ExplainRequest(model="digits_cnn", inputs=[tensor(self.digits[:16])], seed=seed)
            r.baseline.constant = 0
            r.deep_lift.SetInParent()
            return "deep_lift", r
        if kind == 6:
            r = pb.ExplainRequest(model="digits_cnn", inputs=[tensor(self.digits[:4])], seed=seed)
            r.baseline.constant = 0
            r.integrated_gradients.n_steps = 32
            return "integrated_gradients", r
        return "predict", model_pb.PredictRequest(model="iris", inputs=[tensor(self.iris[:8])])


def main():
    args = parse_args()
    repo = Path(tempfile.mkdtemp(prefix="prism-soak-"))
    for name in ("iris", "breast_cancer", "digits_cnn"):
        shutil.copytree(ROOT / "models" / name, repo / name)
    java_opts = None if os.environ.get("BENCH_JAVA_OPTS") else [
        f"-Xms{args.heap}", f"-Xmx{args.heap}", "-XX:+AlwaysPreTouch"]
    server = PrismServer(repo, java_opts=java_opts)
    pid = server.process.pid
    requests = Requests()
    outcomes = collections.Counter()
    latencies = []
    lock = threading.Lock()
    stop = time.monotonic() + args.minutes * 60
    rss = {}

    def record(method, code, seconds):
        with lock:
            outcomes[(method, code)] += 1
            if code in ("OK", "CANCELLED (by client)"):
                latencies.append(seconds)

    def client(index):
        rng = random.Random(index)
        while time.monotonic() < stop:
            method, request = requests.pick(rng)
            t0 = time.perf_counter()
            try:
                if method == "predict":
                    server.models.Predict(request, timeout=60)
                elif rng.random() < 0.5:
                    server.explain_stub.Explain(request, timeout=120)
                else:
                    stream = server.explain_stub.StreamExplain(request, timeout=120)
                    cancel = rng.random() < 1 / 8
                    for event in stream:
                        if cancel and event.HasField("progress"):
                            stream.cancel()
                            break
                    if cancel:
                        record(method, "CANCELLED (by client)", time.perf_counter() - t0)
                        continue
                record(method, "OK", time.perf_counter() - t0)
            except grpc.RpcError as e:
                record(method, e.code().name, time.perf_counter() - t0)

    def reloads():
        while time.monotonic() < stop and args.reload_every > 0:
            time.sleep(args.reload_every)
            # A new file in the folder changes its digest: the model is reloaded beside the serving one.
            (repo / "iris" / "reload-marker").write_text(str(time.time()))
            os.kill(pid, signal.SIGHUP)
            with lock:
                outcomes[("reload", "SIGHUP")] += 1

    started = time.monotonic()
    warmed = started + min(args.warmup_seconds, args.minutes * 60)
    samples = []  # (seconds since start, KiB) after warm-up

    def memory():
        while time.monotonic() < stop:
            time.sleep(5)
            now = time.monotonic()
            if now >= warmed:
                samples.append((now - started, rss_kib(pid)))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    side = [threading.Thread(target=reloads, daemon=True), threading.Thread(target=memory, daemon=True)]
    for t in threads + side:
        t.start()
    time.sleep(max(0.0, warmed - time.monotonic()))
    rss["after warm-up"] = rss_kib(pid)
    for t in threads:
        t.join()
    rss["end"] = rss_kib(pid)
    if server.process.poll() is not None:
        fail("the server exited during the soak:\n" + "\n".join(server.log))

    served = sum(n for (m, c), n in outcomes.items() if m != "reload")
    print(f"soak: {args.minutes:g} min, {args.clients} clients, reload every {args.reload_every:g} s")
    print(f"requests served {served:,}")
    by_code = collections.Counter()
    for (m, c), n in outcomes.items():
        by_code[c] += n
    for code, n in sorted(by_code.items()):
        print(f"  {code:24} {n:,}")
    for (m, c), n in sorted(outcomes.items()):
        print(f"    {m:22} {c:24} {n:,}")
    lat = sorted(latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[int(0.99 * (len(lat) - 1))] if lat else float("nan")
    print(f"latency of completed calls: p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms")
    peak = max([r for _, r in samples] + [rss["after warm-up"], rss["end"]])
    growth = (rss["end"] - rss["after warm-up"]) / 1024
    # One sample per whole minute after warm-up, to show whether the growth settles or goes on.
    by_minute = {}
    for t, r in samples:
        by_minute.setdefault(int(t // 60), r)
    print("server RSS by minute: " + ", ".join(f"{minute}:{r / 1024:.0f}" for minute, r in sorted(by_minute.items())))
    print(f"server RSS: after warm-up {rss['after warm-up'] / 1024:.0f} MiB, end {rss['end'] / 1024:.0f} MiB"
          f" ({growth:+.1f} MiB), peak {peak / 1024:.0f} MiB,"
          f" trend {slope_mib_per_hour(samples):+.1f} MiB/h over {len(samples)} samples"
          f" (JVM options: {' '.join(server.java_opts) or 'defaults'})")
    allowed = {"OK", "CANCELLED (by client)", "RESOURCE_EXHAUSTED", "SIGHUP"}
    unexpected = {c: n for c, n in by_code.items() if c not in allowed}
    server.close()
    shutil.rmtree(repo, ignore_errors=True)
    failed = False
    if unexpected:
        print(f"soak: unexpected outcomes {unexpected}", file=sys.stderr)
        failed = True
    if growth > args.rss_tolerance_mib:
        print(f"soak: resident memory grew {growth:.1f} MiB after warm-up (tolerance {args.rss_tolerance_mib:g})",
              file=sys.stderr)
        failed = True
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
