"""Write the KernelSHAP golden files under src/test/resources/golden/ from the
`shap` library, explaining the bundled ONNX models through onnxruntime.

Run tools/make_models.py first. Files written:
  kernel_shap_iris.json                 bundled background, identity link
  kernel_shap_diabetes.json             bundled background, identity link
  kernel_shap_breast_cancer.json        inline background, identity link
  kernel_shap_breast_cancer_logit.json  inline background, logit link

Schema of each file:
  model                string   model folder name under models/
  shap_version         string
  onnxruntime_version  string
  link                 "identity" | "logit"
  feature_names        [feature]
  output_names         [output]          the score columns, as in config.json
  background_file      "background.csv" when the model's bundled background was used, else null
  background           [row][feature]    the inline background, else null
  instances            [instance][feature]
  expected_value       [output]          link(mean over background of f)
  shap_values          [instance][output][feature]
  model_output         [instance][output]  link(f(instance))

Inputs are float32 values written as float64 (exact); the model sees float32 and
its float32 scores reach shap as float64. KernelExplainer always runs with
l1_reg=False and nsamples="auto" (2M+2048), which enumerates every coalition
for M <= 11 varying features, so the values are exact Shapley values: the
script checks that against a brute-force computation.
"""

import itertools
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import shap
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_models import MODELS, ROOT, load_split  # noqa: E402  same split as the models

GOLDEN = ROOT / "src" / "test" / "resources" / "golden"
INSTANCES = 5
LOGIT_BOUND = 1e-7  # stay clear of clamping probabilities to [1e-7, 1-1e-7] before a logit
LINKS = {"identity": lambda p: p, "logit": lambda p: np.log(p / (1 - p))}  # as shap.links


class OnnxModel:
    """The bundled model as shap sees it: float64 rows in, float64 scores out."""

    def __init__(self, name):
        folder = MODELS / name
        self.name = name
        self.config = json.loads((folder / "config.json").read_text())
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # fixed summation order: same floats on any machine size
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.background = np.loadtxt(folder / self.config["backgroundFile"], delimiter=",", skiprows=1, dtype=np.float32)

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        assert np.array_equal(x.astype(np.float32), x), "inputs must be float32 values"
        outputs = self.session.run(self.config["scoreOutputs"], {self.input: x.astype(np.float32)})
        return np.hstack([o.reshape(len(x), -1) for o in outputs]).astype(np.float64)


def varying_features(x, background):
    """Features shap treats as players: those where x differs from some background row."""
    return [j for j in range(len(x)) if np.any(background[:, j] != x[j])]


def brute_force_shapley(model, x, background, link):
    """Exact Shapley values of v(S) = link(mean_b f(x_S, b_rest)) over the varying features."""
    players = varying_features(x, background)
    m = len(players)
    masks = np.array(list(itertools.product([False, True], repeat=m)))[:, ::-1]  # row k = bits of k
    rows = np.repeat(background[None, :, :], len(masks), axis=0)
    for k, j in enumerate(players):
        rows[masks[:, k], :, j] = x[j]
    out = model(rows.reshape(-1, x.size)).reshape(len(masks), len(background), -1).mean(axis=1)
    values = LINKS[link](out)  # [2^m, outputs]
    phi = np.zeros((values.shape[1], x.size))
    subsets = np.arange(len(masks))
    sizes = masks.sum(axis=1)
    weights = np.array([math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) for s in range(m)])
    for k, j in enumerate(players):
        without = subsets[~masks[:, k]]
        phi[:, j] = (weights[sizes[without]][:, None] * (values[without | (1 << k)] - values[without])).sum(axis=0)
    return phi


def explain(model, background, instances, link, inline):
    explainer = shap.KernelExplainer(model, background.astype(np.float64), link=link)
    expected = np.atleast_1d(explainer.expected_value).astype(np.float64)
    shap_values, outputs = [], []
    for x in instances.astype(np.float64):
        phi = explainer.shap_values(x[None, :], nsamples="auto", l1_reg=False, silent=True)[0].T  # [out][feat]
        # Every coalition was enumerated (so no sampling happened).
        assert explainer.M == len(varying_features(x, background)) and explainer.M <= 11
        assert explainer.nsamplesAdded == 2**explainer.M - 2, (explainer.nsamplesAdded, explainer.M)
        fx = model(x[None, :])[0]
        assert np.array_equal(fx, explainer.fx)
        if link == "logit":
            # Everything shap fed to the logit: E[f], f(x) and every coalition's background mean.
            fed = np.concatenate([explainer.fnull, explainer.fx, np.asarray(explainer.ey)[: explainer.nsamplesAdded].ravel()])
            assert fed.min() >= LOGIT_BOUND and fed.max() <= 1 - LOGIT_BOUND, (fed.min(), fed.max())
        out = LINKS[link](fx)
        # shap's efficiency: the values add up to link(f(x)).
        np.testing.assert_allclose(phi.sum(axis=1) + expected, out, rtol=0, atol=1e-8)
        # Cross-check with the definition (ORT batches differently, hence float32-level tolerance).
        exact = brute_force_shapley(model, x, background, link)
        np.testing.assert_allclose(phi, exact, rtol=0, atol=1e-5 * max(1.0, np.abs(out).max()))
        shap_values.append(phi.tolist())
        outputs.append(out.tolist())
    return {
        "model": model.name,
        "shap_version": shap.__version__,
        "onnxruntime_version": ort.__version__,
        "link": link,
        "feature_names": model.config["featureNames"],
        "output_names": model.config["outputNames"],
        "background_file": None if inline else model.config["backgroundFile"],
        "background": background.astype(np.float64).tolist() if inline else None,
        "instances": instances.astype(np.float64).tolist(),
        "expected_value": expected.tolist(),
        "shap_values": shap_values,
        "model_output": outputs,
    }


def write(filename, golden):
    text = json.dumps(golden, indent=2, allow_nan=False)
    # One line per innermost list of numbers keeps the files readable.
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    json.loads(text)  # still valid JSON
    (GOLDEN / filename).write_text(text + "\n")
    print(f"{(GOLDEN / filename).relative_to(ROOT)}  {len(text) + 1} bytes")


def bundled(name, loader):
    model = OnnxModel(name)
    _, x_test, _, _ = load_split(loader)
    instances = x_test[:INSTANCES].astype(np.float32)
    write(f"kernel_shap_{name}.json", explain(model, model.background, instances, "identity", inline=False))


def breast_cancer():
    """M=30 is too many to enumerate, so only 10 features ("mean_*") vary: the
    other 20 are pinned to their background median in background and instances.
    The 8 background rows are the first 4 the model calls malignant and the
    first 4 it calls benign, which keeps E[f] near 0.5; with the instances
    below every background mean stays at least ~0.02 away from 0 and 1, so
    the logit is well conditioned and far from any clamping."""
    model = OnnxModel("breast_cancer")
    varying = list(range(10))
    pinned = [j for j in range(30) if j not in varying]
    median = np.median(model.background.astype(np.float64), axis=0).astype(np.float32)

    benign = model(model.background)[:, 1] >= 0.5
    rows = sorted([*np.flatnonzero(~benign)[:4], *np.flatnonzero(benign)[:4]])
    background = model.background[rows].copy()
    background[:, pinned] = median[pinned]

    _, x_test, _, _ = load_split(load_breast_cancer)
    picked = [0, 21, 32, 96, 130]  # test rows: 4 malignant, 1 benign; all satisfy the logit bound
    instances = x_test[picked].astype(np.float32)
    instances[:, pinned] = median[pinned]

    write("kernel_shap_breast_cancer.json", explain(model, background, instances, "identity", inline=True))
    write("kernel_shap_breast_cancer_logit.json", explain(model, background, instances, "logit", inline=True))


def main():
    GOLDEN.mkdir(parents=True, exist_ok=True)
    np.random.seed(0)  # shap only samples when it cannot enumerate, which is asserted never to happen
    bundled("iris", load_iris)
    bundled("diabetes", load_diabetes)
    breast_cancer()


if __name__ == "__main__":
    main()
