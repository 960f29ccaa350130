"""Write src/test/resources/golden/quantus_linear_net.json: Quantus's metrics that
define the same quantity as one of Prism's explanation-evaluation metrics, on the
test model linear_net (x [N,4] -> Gemm -> y [N,2]).

Quantus works on images, so each instance goes in as a [1,2,2] image (the four
features row-major). The torch module casts it to float64 (Quantus's wrapper hands
it float32; every value but the sensitivity offsets is exact in float32), flattens
it and applies linear_net's layer, rebuilt from tools/gradient_models.py with the
weights of the committed model.onnx and run in float64. Instances, perturbations
and the baseline are multiples of 1/16 and 1/64, so onnxruntime's float32 scores
equal torch's exactly on every row the Java test runs through the ONNX model (the
script checks it).

Quantus's random draws are replaced by fixed lists (the metrics' test mode):

  Complexity(abs=True, normalise=True)                   on the given attributions
  MaxSensitivity(nr_samples=n, perturb_func=fixed offsets, explain_func=InputXGradient)
      the j-th call of perturb_func returns x + offset_j for every instance
  Infidelity(perturb_patch_sizes=[2], n_perturb_samples=n, perturb_func=fixed vectors)
      a 2x2 patch is the whole image, so each of the n draws perturbs once: the j-th
      call returns x - I_j, and Quantus's value is mean_j (I_j.phi - (f(x) - f(x - I_j)))^2
  PixelFlipping(features_in_step=s, perturb_baseline=c)  curve and its area (return_auc_per_sample)
  RegionPerturbation(patch_size=1, regions_evaluation=4, order="morf", perturb_baseline=c)

Captum's infidelity (normalize=False) is computed on the same vectors as a cross-check.
Not written: EffectiveComplexity (the count of |phi_i| > eps, not Prism's fewest features
reaching 90% of sum |phi|), and any counterpart of Captum's normalize=True (Quantus's
normalise_mse is the same mean squared error, expanded).

Schema:
  model, versions {torch, captum, quantus, onnxruntime, numpy}
  weights {w [output][feature], b [output]}
  instances [instance][feature]
  baseline c (the constant that removed features take)
  infidelity_perturbations [n][feature]   the vectors I; the model runs on x - I
  sensitivity_offsets [n][feature]        the explanation runs on x + offset
  cases[c]: instance, output, attributions_kind ("gradient": w_k, "input_x_gradient": x * w_k,
      "fixed": seeded normal values; an attribution with every value negative is left out, as
      Quantus refuses it), attributions [feature],
      complexity, infidelity, captum_infidelity,
      pixel_flipping {features_in_step: {curve [points], auc}},
      region_perturbation [regions]
  sensitivity_max[c]: instance, output, explanation ("input_x_gradient"), value
"""
import sys
from importlib.metadata import version

import captum
import numpy as np
import onnxruntime as ort
import quantus
import torch
from captum.attr import InputXGradient
from captum.metrics import infidelity as captum_infidelity

# Quantus 0.6.0's AUC calls np.trapz, NumPy 2's np.trapezoid under its old name (removed in 2.4).
np.trapz = np.trapezoid

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
from gradient_models import ROOT, SEED, SPECS, build_from_onnx, onnx_outputs, write_golden  # noqa: E402

MODEL = "linear_net"
INSTANCES = 3
PERTURBATIONS = 6
RADIUS = 0.02
BASELINE = 0.25
IMAGE = (1, 2, 2)


class Float64(torch.nn.Module):
    """Casts the input to float64: Quantus's torch wrapper hands the module torch.Tensor(x), float32."""

    def forward(self, x):
        return x.double()


class Steps:
    """A perturb_func returning the j-th fixed row on its j-th call, for every instance in the batch."""

    def __init__(self, rows, subtract):
        self.rows = rows
        self.subtract = subtract
        self.calls = 0

    def __call__(self, arr, indices=None, **kwargs):
        row = self.rows[self.calls]
        self.calls += 1
        return arr - row if self.subtract else arr + row


def input_x_gradient(model, inputs, targets, **kwargs):
    """Quantus's explain_func: Captum's InputXGradient of the float64 module."""
    x = torch.as_tensor(np.asarray(inputs, dtype=np.float64)).requires_grad_()
    return InputXGradient(model).attribute(x, target=torch.as_tensor(targets)).detach().numpy()


def images(rows):
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), *IMAGE)


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED + 50)
    folder = SPECS[MODEL][1]
    linear = build_from_onnx(MODEL).double().eval()
    net = torch.nn.Sequential(Float64(), torch.nn.Flatten(), linear).eval()
    w = linear.fc.weight.detach().numpy()
    b = linear.fc.bias.detach().numpy()
    instances = rng.integers(-32, 33, (INSTANCES, 4)) / 16.0
    vectors = rng.integers(-16, 17, (PERTURBATIONS, 4)) / 64.0
    offsets = rng.uniform(-RADIUS, RADIUS, (PERTURBATIONS, 4))
    fixed = rng.standard_normal((INSTANCES, 2, 4))
    order_cases = [(i, k) for i in range(INSTANCES) for k in range(2)]

    def f(rows):
        with torch.no_grad():
            return net(torch.from_numpy(images(rows))).numpy()

    # Every row Prism scores: the instances, x - I_j, and each deletion point (a prefix of any
    # feature order, replaced by the baseline): onnxruntime must give torch's values exactly.
    rows = [x for x in instances] + [x - v for x in instances for v in vectors]
    for x in instances:
        for mask in range(16):
            rows.append(np.where([(mask >> i) & 1 for i in range(4)], BASELINE, x))
    rows = np.array(rows)
    np.testing.assert_array_equal(onnx_outputs(folder, rows), f(rows))

    common = dict(disable_warnings=True, display_progressbar=False)
    cases = []
    for i, x in enumerate(instances):
        fx = f(x[None])[0]
        for k in range(2):
            kinds = {"gradient": w[k], "input_x_gradient": x * w[k], "fixed": fixed[i, k]}
            for kind, phi in kinds.items():
                if np.all(phi < 0):
                    continue  # Quantus refuses an attribution with every value negative
                # Distinct values: Quantus sorts with argsort, whose order of ties is not Prism's.
                assert len(set(phi.tolist())) == 4, (kind, phi)
                xb, yb, ab = images([x]), np.array([k]), images([phi])
                call = dict(model=net, x_batch=xb, y_batch=yb, channel_first=True, softmax=False)

                complexity = quantus.Complexity(**common)(a_batch=ab.copy(), **call)[0]
                p = np.abs(phi) / np.abs(phi).sum()
                assert abs(complexity + np.sum(p[p > 0] * np.log(p[p > 0]))) < 1e-10, (complexity, kind)
                infid = quantus.Infidelity(perturb_func=Steps(vectors, True), perturb_patch_sizes=[2],
                                           n_perturb_samples=PERTURBATIONS, **common)(a_batch=ab.copy(), **call)[0]
                d = fx[k] - f(x - vectors)[:, k]
                assert abs(infid - np.mean((vectors @ phi - d) ** 2)) < 1e-12, (infid, kind)
                reference = float(captum_infidelity(
                    linear, lambda inputs: (torch.from_numpy(vectors), inputs - torch.from_numpy(vectors)),
                    torch.from_numpy(x[None].copy()), torch.from_numpy(phi[None].copy()), target=k,
                    n_perturb_samples=PERTURBATIONS)[0])
                assert abs(infid - reference) < 1e-12, (infid, reference)

                flipping = {}
                for step in (1, 2):
                    metric = dict(features_in_step=step, perturb_baseline=BASELINE, normalise=False, **common)
                    curve = quantus.PixelFlipping(**metric)(a_batch=ab.copy(), **call)[0]
                    auc = quantus.PixelFlipping(return_auc_per_sample=True, **metric)(a_batch=ab.copy(), **call)[0]
                    flipping[str(step)] = {"curve": [float(v) for v in curve], "auc": float(auc)}
                regions = quantus.RegionPerturbation(patch_size=1, regions_evaluation=4, order="morf",
                                                     perturb_baseline=BASELINE, normalise=False,
                                                     **common)(a_batch=ab.copy(), **call)[0]
                # By hand: features by decreasing φ replaced by the baseline, one at a time.
                deleted = x.copy()
                want = []
                for feature in np.argsort(-phi, kind="stable"):
                    deleted[feature] = BASELINE
                    want.append(f(deleted[None])[0, k])
                np.testing.assert_allclose(flipping["1"]["curve"], want, rtol=0, atol=1e-12)
                np.testing.assert_allclose(regions, fx[k] - np.array(want), rtol=0, atol=1e-12)

                cases.append({"instance": i, "output": k, "attributions_kind": kind, "attributions": phi.tolist(),
                              "complexity": float(complexity), "infidelity": float(infid),
                              "captum_infidelity": reference, "pixel_flipping": flipping,
                              "region_perturbation": [float(v) for v in regions]})

    sens_cases = []
    for i, k in order_cases:
        x = instances[i]
        if np.all(x * w[k] < 0):
            continue
        xb, yb = images([x]), np.array([k])
        metric = quantus.MaxSensitivity(nr_samples=PERTURBATIONS, perturb_func=Steps(offsets, False), **common)
        value = metric(model=net, x_batch=xb, y_batch=yb, a_batch=images([x * w[k]]), channel_first=True,
                       softmax=False, explain_func=input_x_gradient)[0]
        want = max(np.linalg.norm(o * w[k]) for o in offsets) / np.linalg.norm(x * w[k])
        assert abs(value - want) < 1e-12, (value, want)
        sens_cases.append({"instance": i, "output": k, "explanation": "input_x_gradient", "value": float(value)})

    document = {
        "model": MODEL,
        "versions": {"torch": torch.__version__, "captum": captum.__version__, "quantus": version("quantus"),
                     "onnxruntime": ort.__version__, "numpy": np.__version__},
        "weights": {"w": w.tolist(), "b": b.tolist()},
        "instances": instances.tolist(),
        "baseline": BASELINE,
        "infidelity_perturbations": vectors.tolist(),
        "sensitivity_offsets": offsets.tolist(),
        "cases": cases,
        "sensitivity_max": sens_cases,
    }
    path = write_golden(document, f"quantus_{MODEL}.json")
    print(f"{path.relative_to(ROOT)}: {len(cases)} attribution cases, {len(sens_cases)} sensitivity cases")


if __name__ == "__main__":
    main()
