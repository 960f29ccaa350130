"""What it costs to explain a model that lives on another Open Inference Protocol server.

Serves breast_cancer three ways to one Prism and times the same KernelSHAP request on each:

  local    the folder's model.onnx, run by Prism's own ONNX Runtime
  kserve   KServe's model server from PyPI (clients/oip/onnx_backend.py, onnxruntime inside) on
           loopback, named by the folder's open_inference_backend
  prism    a second Prism on loopback serving the same file, named the same way

and prints the median seconds of each (--reps runs after --warmup), the ratio to local, the model
rows per second, and the largest difference of the attributions from local's.
"""

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prism_bench import ROOT, PrismServer, attributions, fail, pb, read_csv, stop, tensor  # noqa: E402

MODEL = "breast_cancer"


def parse_args():
    p = argparse.ArgumentParser(prog="bench/oip-backend.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--instances", type=int, default=20)
    p.add_argument("--nsamples", type=int, default=2048)
    p.add_argument("--max-batch-rows", type=int, default=8192, help="the backend folders' max_batch_rows")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    return p.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_kserve():
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "clients" / "oip" / "onnx_backend.py"),
                                "--model", f"{MODEL}={ROOT / 'models' / MODEL / 'model.onnx'}",
                                "--grpc_port", str(port), "--http_port", str(free_port())],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=60)
    except grpc.FutureTimeoutError:
        process.kill()
        fail("the KServe model server did not start")
    finally:
        channel.close()
    time.sleep(1)  # the model registers just after the port opens
    return process, f"127.0.0.1:{port}"


def backend_folder(repo, name, target, max_batch_rows):
    folder = repo / name
    folder.mkdir()
    config = json.loads((ROOT / "models" / MODEL / "config.json").read_text())
    config["openInferenceBackend"] = {"target": target, "modelName": MODEL}
    config["batching"] = {"maxBatchRows": max_batch_rows}
    (folder / "config.json").write_text(json.dumps(config))
    shutil.copy(ROOT / "models" / MODEL / "background.csv", folder / "background.csv")


def main():
    args = parse_args()
    names, background = read_csv(ROOT / "models" / MODEL / "background.csv")
    rows = background[np.random.default_rng(0).integers(0, len(background), args.instances)]
    kserve, kserve_target = start_kserve()
    backend_prism = PrismServer(ROOT / "models")
    repo = Path(tempfile.mkdtemp(prefix="prism-bench-oip-"))
    try:
        shutil.copytree(ROOT / "models" / MODEL, repo / MODEL)
        backend_folder(repo, f"{MODEL}_kserve", kserve_target, args.max_batch_rows)
        backend_folder(repo, f"{MODEL}_prism", f"127.0.0.1:{backend_prism.port}", args.max_batch_rows)
        prism = PrismServer(repo)
        outputs = list(prism.model_info(MODEL).output_names)
        print(f"{MODEL}: {args.instances} instances, kernel_shap nsamples {args.nsamples}, "
              f"backend max_batch_rows {args.max_batch_rows}, {args.reps} runs after {args.warmup}")
        results = {}
        for served in (MODEL, f"{MODEL}_kserve", f"{MODEL}_prism"):
            request = pb.ExplainRequest(model=served, inputs=[tensor(rows)], seed=1,
                                        kernel_shap=pb.KernelShapParams(nsamples=args.nsamples))
            times = []
            for rep in range(args.warmup + args.reps):
                start = time.perf_counter()
                response = prism.explain(request)
                if rep >= args.warmup:
                    times.append(time.perf_counter() - start)
            evaluations = sum(e.diagnostics.model_evaluations for e in response.explanations) / len(outputs)
            results[served] = (statistics.median(times), evaluations,
                               attributions(response, args.instances, len(names), outputs))
        base = results[MODEL][0]
        print(f"{'served':<22} {'median s':>9} {'vs local':>9} {'model rows/s':>13} {'max |dphi|':>11}")
        for served, (seconds, evaluations, phi) in results.items():
            print(f"{served:<22} {seconds:9.3f} {seconds / base:8.2f}x {evaluations / seconds:13,.0f} "
                  f"{np.abs(phi - results[MODEL][2]).max():11.2e}")
        prism.close()
    finally:
        backend_prism.close()
        stop(kserve)
        shutil.rmtree(repo, ignore_errors=True)


if __name__ == "__main__":
    main()
