"""A live Prism server for the whole session, started from PRISM_JAR with the models in PRISM_MODELS."""

import os
import queue
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import Server

from prism_client import Client

REPO = Path(__file__).resolve().parents[3]
READY = re.compile(r"serving .* on port (\d+), metrics on port (\d+)")
START_SECONDS = 180


def _setting(name: str, default: Path) -> Path:
    return Path(os.environ.get(name) or default).resolve()


@pytest.fixture(scope="session")
def server():
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
         "--shutdown-grace-seconds", "1"],
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
        yield Server(f"127.0.0.1:{ready.group(1)}", f"http://127.0.0.1:{ready.group(2)}/metrics", models)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def client(server):
    with Client(server.target, timeout=120) as c:
        yield c

