"""Prism explaining models that a real Open Inference Protocol server serves: KServe's ModelServer
(onnx_backend.py, kserve and onnxruntime from PyPI) serves the bundled ONNX files, and Prism's model
folders name it as their backend. Answers must equal those of the same files served by Prism itself."""

import asyncio
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import grpc
import numpy as np
from kserve import InferenceGRPCClient, InferInput, InferRequest
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc as pb_grpc

HERE = Path(__file__).resolve().parent
MODELS = Path(os.environ["PRISM_MODELS"])
# The kserve client logs every failed call; the tests that expect one look at the error itself.
logging.getLogger("kserve").setLevel(logging.CRITICAL)
FLOWERS = np.array([[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]], dtype=np.float32)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(target, coroutine_of):
    async def go():
        async with InferenceGRPCClient(url=target, timeout=120, retries=0) as client:
            return await coroutine_of(client)
    return asyncio.run(go())


def start_backend(*names):
    """A KServe ModelServer serving the bundled models' ONNX files; returns (process, target)."""
    port = free_port()
    args = [sys.executable, str(HERE / "onnx_backend.py"), "--grpc_port", str(port), "--http_port", str(free_port())]
    for name in names:
        args += ["--model", f"{name}={MODELS / name / 'model.onnx'}"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if all(call(target, lambda c, n=n: c.is_model_ready(n)) for n in names):
                return process, target
        except grpc.RpcError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("the KServe backend did not start")


def metadata(target, model):
    with grpc.insecure_channel(target) as channel:
        return pb_grpc.GRPCInferenceServiceStub(channel).ModelMetadata(pb.ModelMetadataRequest(name=model),
                                                                      timeout=30)


def remote_folder(repo, name, backend, batch_rows):
    """<name>_kserve: the bundled folder's config and background, its model on the backend."""
    folder = repo / f"{name}_kserve"
    folder.mkdir()
    config = json.loads((MODELS / name / "config.json").read_text())
    config["openInferenceBackend"] = {"target": backend, "modelName": name}
    config["batching"] = {"maxBatchRows": batch_rows}
    (folder / "config.json").write_text(json.dumps(config))
    shutil.copy(MODELS / name / "background.csv", folder / "background.csv")


def start_prism(repo):
    process = subprocess.Popen(
        ["java", "-jar", os.environ["PRISM_JAR"], "serve", "--port", "0", "--metrics-port", "-1",
         "--model-repository", str(repo)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        match = re.search(r"serving .* on port (\d+)", line)
        if match:
            return process, f"127.0.0.1:{match.group(1)}"
    raise RuntimeError("Prism did not start")


def stop(process):
    process.terminate()
    process.wait(timeout=60)


def setUpModule():
    global BACKEND, PRISM, TARGET, REPO
    BACKEND, backend = start_backend("iris", "breast_cancer")
    REPO = Path(tempfile.mkdtemp(prefix="prism-remote-"))
    for name in ("iris", "breast_cancer"):
        shutil.copytree(MODELS / name, REPO / name)
    remote_folder(REPO, "iris", backend, batch_rows=16)
    remote_folder(REPO, "breast_cancer", backend, batch_rows=64)
    PRISM, TARGET = start_prism(REPO)


def tearDownModule():
    stop(PRISM)
    stop(BACKEND)
    shutil.rmtree(REPO, ignore_errors=True)


def infer(model, inputs, **parameters):
    return call(TARGET, lambda c: c.infer(InferRequest(model_name=model, infer_inputs=inputs,
                                                     parameters=parameters or None)))


def tensor(name, values):
    x = InferInput(name=name, shape=list(values.shape), datatype="FP32")
    x.set_data_from_numpy(values)
    return x


def cancer_rows(n):
    rows = np.loadtxt(MODELS / "breast_cancer" / "background.csv", delimiter=",", skiprows=1, dtype=np.float32)
    return rows[:n]


class ModelsOnAKServeBackend(unittest.TestCase):
    def test_predictions_equal_the_local_models_bit_for_bit(self):
        for model, name, rows in (("iris", "input", FLOWERS), ("breast_cancer", None, cancer_rows(40))):
            if name is None:
                name = metadata(TARGET, model).inputs[0].name
            local = infer(model, [tensor(name, rows)]).outputs[0].as_numpy()
            remote = infer(f"{model}_kserve", [tensor(name, rows)]).outputs[0].as_numpy()
            np.testing.assert_array_equal(local, remote, err_msg=model)

    def test_kernel_shap_attributions_equal_the_local_models(self):
        for model, name, rows in (("iris", "input", FLOWERS), ("breast_cancer", None, cancer_rows(3))):
            if name is None:
                name = metadata(TARGET, model).inputs[0].name
            answers = {}
            for served in (model, f"{model}_kserve"):
                response = infer(served, [tensor(name, rows)], explain="kernel_shap", nsamples=400, seed=11)
                answers[served] = {o.name: o.as_numpy() for o in response.outputs}
            local, remote = answers[model], answers[f"{model}_kserve"]
            self.assertEqual(set(local), set(remote))
            for output in ("attributions", "base_values", "model_outputs"):
                np.testing.assert_array_equal(local[output], remote[output], err_msg=f"{model} {output}")

    def test_the_metadata_is_the_backends_model_with_the_folders_names(self):
        served = metadata(TARGET, "iris_kserve")
        self.assertEqual("iris_kserve", served.name)
        self.assertEqual([("input", "FP32", [-1, 4])], [(i.name, i.datatype, list(i.shape)) for i in served.inputs])
        self.assertEqual(["probabilities"], [o.name for o in served.outputs])


class ABackendThatStops(unittest.TestCase):
    def test_its_models_answer_unavailable_and_prism_keeps_serving(self):
        backend, target = start_backend("iris")
        repo = Path(tempfile.mkdtemp(prefix="prism-stopping-"))
        try:
            remote_folder(repo, "iris", target, batch_rows=16)
            prism, prism_target = start_prism(repo)
            try:
                request = lambda c: c.infer(InferRequest(model_name="iris_kserve",
                                                         infer_inputs=[tensor("input", FLOWERS)]))
                self.assertEqual((3, 3), call(prism_target, request).outputs[0].as_numpy().shape)
                stop(backend)
                with self.assertRaises(grpc.RpcError) as caught:
                    call(prism_target, request)
                self.assertEqual(grpc.StatusCode.UNAVAILABLE, caught.exception.code())
                self.assertIn("the backend at " + target, caught.exception.details())
                self.assertTrue(call(prism_target, lambda c: c.is_server_live()))
            finally:
                stop(prism)
        finally:
            if backend.poll() is None:
                stop(backend)
            shutil.rmtree(repo, ignore_errors=True)
