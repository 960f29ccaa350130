"""Shared by the Python benchmarks: the generated gRPC stubs, a Prism server in a
child process, request helpers, and a reference model through onnxruntime.

Run through bench/common.sh (bench_python), which generates the stubs into a
temporary folder and names it in PRISM_BENCH_STUBS.
"""

import atexit
import collections
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent

_stubs = os.environ.get("PRISM_BENCH_STUBS")
if not _stubs:
    sys.exit("bench: run this through its bench/*.sh command (PRISM_BENCH_STUBS is not set)")
sys.path.insert(0, _stubs)

import grpc  # noqa: E402
import onnxruntime as ort  # noqa: E402
from prism.v1 import explain_service_pb2 as pb  # noqa: E402
from prism.v1 import explain_service_pb2_grpc as pb_grpc  # noqa: E402
from prism.v1 import model_service_pb2 as model_pb  # noqa: E402
from prism.v1 import model_service_pb2_grpc as model_grpc  # noqa: E402
from prism.v1 import tensor_pb2  # noqa: E402

__all__ = ["pb", "model_pb", "tensor_pb2", "PrismServer", "OnnxReference", "attributions", "read_csv", "tensor",
           "fail"]


def fail(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(1)


class PrismServer:
    """`java -jar target/prism.jar serve` on a free port, stopped at exit. Its
    log goes to stderr only when something fails."""

    def __init__(self, repository, *extra_args, java_opts=None):
        """java_opts: JVM options; None takes them from BENCH_JAVA_OPTS."""
        jar = ROOT / "target" / "prism.jar"
        if not jar.is_file():
            fail(f"{jar} is missing (bench/common.sh builds it)")
        if java_opts is None:
            java_opts = shlex.split(os.environ.get("BENCH_JAVA_OPTS", ""))
        self.java_opts = java_opts
        cmd = ["java", *java_opts, "-jar", str(jar), "serve",
               "--port", "0", "--metrics-port", "-1", "--model-repository", str(repository), *extra_args]
        self.log = collections.deque(maxlen=200)
        self.process = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        atexit.register(self.close)
        self.port = None
        deadline = time.monotonic() + 180
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))
            match = re.search(r"serving .* on port (\d+)", line)
            if match:
                self.port = int(match.group(1))
                break
            if time.monotonic() > deadline:
                break
        if self.port is None:
            self.close()
            fail("the Prism server did not start:\n" + "\n".join(self.log))
        threading.Thread(target=self._drain, daemon=True).start()
        self.channel = grpc.insecure_channel(
            f"localhost:{self.port}",
            options=[("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20)])
        grpc.channel_ready_future(self.channel).result(timeout=60)
        self.explain_stub = pb_grpc.ExplainServiceStub(self.channel)
        self.models = model_grpc.ModelServiceStub(self.channel)

    def _drain(self):
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))

    def explain(self, request, timeout=3600):
        """ExplainService/Explain; any non-OK status ends the benchmark with its code and message."""
        try:
            return self.explain_stub.Explain(request, timeout=timeout)
        except grpc.RpcError as e:
            method = request.WhichOneof("method")
            log = "\nserver log:\n" + "\n".join(self.log) if self.process.poll() is not None else ""
            fail(f"Explain ({request.model}, {method}) failed: {e.code().name}: {e.details()}{log}")

    def model_info(self, name):
        try:
            return self.models.GetModel(model_pb.GetModelRequest(name=name), timeout=60)
        except grpc.RpcError as e:
            fail(f"GetModel({name}) failed: {e.code().name}: {e.details()}")

    def close(self):
        stop(self.process)


def stop(process):
    """Stops a server process: SIGTERM (it drains), then SIGKILL if it has not ended within 40 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tensor(rows):
    """A FLOAT32 tensor, batch first, its values packed little-endian in raw_data (as a client
    sending arrays would: no per-value conversion)."""
    rows = np.ascontiguousarray(rows, dtype="<f4")
    return tensor_pb2.Tensor(dtype=tensor_pb2.DATA_TYPE_FLOAT32, shape=list(rows.shape), raw_data=rows.tobytes())


def attributions(response, instances, features, outputs):
    """[instance][output][feature] from a FORMAT_PER_EXPLANATION response."""
    phi = np.full((instances, len(outputs), features), np.nan)
    for e in response.explanations:
        phi[e.instance, outputs.index(e.output), :] = e.attributions
    if np.isnan(phi).any():
        fail(f"response of {response.method} lacks explanations")
    return phi


def read_csv(path):
    """A CSV with a header line: (names, values). The values are float32 (what the
    models take), returned as float64."""
    with open(path) as f:
        names = f.readline().strip().split(",")
    return names, np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2).astype(np.float64)


class OnnxReference:
    """The model as the Python references see it: float64 rows in (rounded to
    float32 for the graph), float64 scores out, one column per score."""

    def __init__(self, path, score_output, threads=0):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's default, one per physical core
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.output = score_output
        self.rows = 0

    def __call__(self, x):
        x = np.asarray(x)
        self.rows += len(x)
        (y,) = self.session.run([self.output], {self.input: x.astype(np.float32)})
        return y.reshape(len(x), -1).astype(np.float64)
