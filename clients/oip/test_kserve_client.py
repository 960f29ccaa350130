"""Prism's Open Inference Protocol service through KServe's Python gRPC client."""

import asyncio
import os
import re
import subprocess
import unittest

import grpc
import numpy as np
from kserve import InferenceGRPCClient, InferInput, InferRequest

FLOWERS = np.array([[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]], dtype=np.float32)


def setUpModule():
    global PRISM, TARGET
    PRISM = subprocess.Popen(
        ["java", "-jar", os.environ["PRISM_JAR"], "serve", "--port", "0", "--metrics-port", "-1",
         "--model-repository", os.environ["PRISM_MODELS"]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in PRISM.stdout:
        match = re.search(r"serving .* on port (\d+)", line)
        if match:
            TARGET = f"localhost:{match.group(1)}"
            break
    else:
        raise RuntimeError("Prism did not start")


def tearDownModule():
    PRISM.terminate()
    PRISM.wait(timeout=60)


def run(coroutine_of):
    async def go():
        async with InferenceGRPCClient(url=TARGET, timeout=60, retries=0) as client:
            return await coroutine_of(client)
    return asyncio.run(go())


def flowers_input():
    x = InferInput(name="input", shape=list(FLOWERS.shape), datatype="FP32")
    x.set_data_from_numpy(FLOWERS)
    return x


class KServeClient(unittest.TestCase):
    def test_health(self):
        self.assertTrue(run(lambda c: c.is_server_live()))
        self.assertTrue(run(lambda c: c.is_server_ready()))
        self.assertTrue(run(lambda c: c.is_model_ready("iris")))

    def test_infer_answers_the_models_probabilities(self):
        response = run(lambda c: c.infer(InferRequest(model_name="iris", infer_inputs=[flowers_input()],
                                                     request_id="kserve-1")))
        self.assertEqual("kserve-1", response.id)
        probabilities = response.outputs[0].as_numpy()
        self.assertEqual((3, 3), probabilities.shape)
        self.assertEqual(np.float32, probabilities.dtype)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)
        # setosa, versicolor, virginica: each flower's class is the most probable.
        self.assertEqual([0, 1, 2], probabilities.argmax(axis=1).tolist())

    def test_an_explain_parameter_answers_exact_shapley_values(self):
        response = run(lambda c: c.infer(InferRequest(model_name="iris", infer_inputs=[flowers_input()],
                                                     parameters={"explain": "exact_shapley"})))
        outputs = {o.name: o.as_numpy() for o in response.outputs}
        self.assertEqual({"attributions", "base_values", "model_outputs"}, set(outputs))
        # Exact Shapley values add up to the output less the base value.
        np.testing.assert_allclose(outputs["attributions"].sum(axis=1),
                                   outputs["model_outputs"] - outputs["base_values"], atol=1e-5)

    def test_an_unknown_model_is_not_found(self):
        with self.assertRaises(grpc.RpcError) as caught:
            run(lambda c: c.infer(InferRequest(model_name="tulips", infer_inputs=[flowers_input()])))
        self.assertEqual(grpc.StatusCode.NOT_FOUND, caught.exception.code())


if __name__ == "__main__":
    unittest.main()
