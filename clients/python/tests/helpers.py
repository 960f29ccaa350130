"""Data and helpers the tests share."""

import contextlib
import os
import queue
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# Classic iris flowers (Fisher's data set): one of each species, in the model's feature order.
SETOSA = [5.1, 3.5, 1.4, 0.2]
VERSICOLOR = [7.0, 3.2, 4.7, 1.4]
VIRGINICA = [6.3, 3.3, 6.0, 2.5]
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IRIS_OUTPUTS = ["setosa", "versicolor", "virginica"]


@dataclass
class Server:
    target: str
    metrics_url: str
    models: Path
    process: subprocess.Popen

    def explain_requests(self) -> float:
        """Explain and StreamExplain requests the server has received, from its gRPC metrics."""
        text = urllib.request.urlopen(self.metrics_url, timeout=10).read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("grpc_server_requests_received_messages_total{") and (
                    'method="Explain"' in line or 'method="StreamExplain"' in line):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def metric(self, series: str) -> float:
        """One sample of the server's metrics, e.g. 'prism_model_rows_total{graph="",model="iris"}'; 0 when absent."""
        text = urllib.request.urlopen(self.metrics_url, timeout=10).read().decode()
        for line in text.splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def background(self, model: str) -> np.ndarray:
        """The model's bundled background rows (header line skipped)."""
        return np.loadtxt(self.models / model / "background.csv", delimiter=",", skiprows=1, ndmin=2)


def near_background(server: Server, model: str, n: int) -> np.ndarray:
    """`n` rows near the model's background: background rows drawn with replacement, plus noise."""
    rng = np.random.default_rng(15)
    background = server.background(model)
    return background[rng.integers(0, len(background), n)] + rng.normal(0.0, 0.1, (n, background.shape[1]))


REPO = Path(__file__).resolve().parents[3]
READY = re.compile(r"serving .* on port (\d+), metrics on port (\d+)")
START_SECONDS = 180


def _setting(name: str, default: Path) -> Path:
    return Path(os.environ.get(name) or default).resolve()


@contextlib.contextmanager
def start_prism(*extra_args: str):
    """A Prism server from PRISM_JAR on the models in PRISM_MODELS, on free ports, with `extra_args`
    added to `serve`; stopped when the block ends."""
    jar = _setting("PRISM_JAR", REPO / "target" / "prism.jar")
    models = _setting("PRISM_MODELS", REPO / "models")
    if not jar.is_file():
        pytest.fail(f"no Prism jar at {jar}: build it (mvn -DskipTests package) or set PRISM_JAR")
    if not models.is_dir():
        pytest.fail(f"no model repository at {models}: set PRISM_MODELS")
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is not on PATH")
    process = subprocess.Popen(
        [java, "-jar", str(jar), "serve", "--port", "0", "--metrics-port", "0", "--model-repository", str(models),
         "--shutdown-grace-seconds", "1", *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    log: list[str] = []

    def drain():  # keeps reading so the server never blocks on a full pipe
        for line in process.stdout:
            log.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + START_SECONDS
    ready = None
    while ready is None:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        ready = READY.search(line)
    if ready is None:
        process.kill()
        pytest.fail(f"Prism did not start within {START_SECONDS} s:\n{''.join(log)}")
    try:
        yield Server(f"127.0.0.1:{ready.group(1)}", f"http://127.0.0.1:{ready.group(2)}/metrics", models, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def assert_merged_equals_one_servers(result, expected, data):
    """A job merged from chunks is one server's answer for the same rows: every value, bit for bit
    (mean |attribution| up to its summing order)."""
    assert result.instances == len(data)
    np.testing.assert_array_equal(result.values, expected.values)
    np.testing.assert_array_equal(result.base_values, expected.base_values)
    np.testing.assert_array_equal(result.model_outputs, expected.model_outputs)
    np.testing.assert_array_equal(result.data, data)
    np.testing.assert_array_equal(result.diagnostics.model_evaluations, expected.diagnostics.model_evaluations)
    np.testing.assert_array_equal(result.diagnostics.exact, expected.diagnostics.exact)
    assert result.std_errors is None and expected.std_errors is None
    np.testing.assert_allclose(result.mean_abs_values, expected.mean_abs_values, rtol=1e-12, atol=0)
    assert result.output_names == expected.output_names and result.feature_names == expected.feature_names
