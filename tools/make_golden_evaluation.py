"""Write src/test/resources/golden/evaluation_linear_net.json: Captum's infidelity
and sensitivity_max on the test model linear_net (x [N,4] -> Gemm -> y [N,2]),
the reference Prism's evaluation metrics are compared with.

The torch module is rebuilt from tools/gradient_models.py with the weights of the
committed model.onnx (exact in float32) and run in float64, so Captum's sums carry
no float32 rounding. Instances and infidelity perturbations are multiples of 1/16
and 1/64: w.x + b and w.(x - I) + b are then exact in float32 too, and the script
checks that onnxruntime gives exactly torch's outputs on every row Prism will
run, so the Java test can score them through the ONNX model.

Perturbations are fixed lists (the metrics' test mode), handed to Captum by a
perturb_func that returns them in order; each call has one instance, so Captum's
repeat_interleave puts the n perturbations of that instance in list order.

  infidelity(net, perturb_func, x_i, attributions, target=k, n_perturb_samples=n,
             normalize=False | True), perturb_func returning (I, x - I)
  sensitivity_max(InputXGradient(net).attribute, x_i, perturb_func, target=k,
             n_perturb_samples=n), perturb_func returning x + offsets

Schema:
  model, versions {torch, captum, onnxruntime, numpy}
  weights {w [output][feature], b [output]}
  instances [instance][feature]
  infidelity_perturbations [n][feature]   the vectors I; the model runs on x - I
  sensitivity_offsets [n][feature]        the model's explanation runs on x + offset
  infidelity[c]: instance, output, attributions_kind ("gradient": w_k, "input_x_gradient":
      x * w_k, "fixed": seeded normal values), attributions [feature], model_output f(x),
      perturbed_outputs [n] f(x - I_j), value (normalize=False), normalized (normalize=True)
  sensitivity_max[c]: instance, output, explanation ("input_x_gradient"), value
"""
import sys

import captum
import numpy as np
import onnxruntime as ort
import torch
from captum.attr import InputXGradient
from captum.metrics import infidelity, sensitivity_max

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
from gradient_models import ROOT, SEED, SPECS, build_from_onnx, onnx_outputs, write_golden  # noqa: E402

MODEL = "linear_net"
INSTANCES = 3
PERTURBATIONS = 6
RADIUS = 0.02


def fixed_perturb_func(vectors, subtract):
    """A perturb_func returning the given rows in order (one instance per Captum call)."""
    def perturb(inputs):
        assert inputs.shape[0] == len(vectors), inputs.shape
        if subtract:
            return vectors, inputs - vectors
        return inputs + vectors
    return perturb


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED + 40)
    folder = SPECS[MODEL][1]
    net = build_from_onnx(MODEL).double().eval()
    w = net.fc.weight.detach().numpy()
    b = net.fc.bias.detach().numpy()
    instances = rng.integers(-32, 33, (INSTANCES, 4)) / 16.0
    vectors = rng.integers(-16, 17, (PERTURBATIONS, 4)) / 64.0
    offsets = rng.uniform(-RADIUS, RADIUS, (PERTURBATIONS, 4))
    fixed = rng.standard_normal((INSTANCES, 2, 4))

    # onnxruntime must score every row exactly as float64 torch does.
    rows = np.vstack([instances] + [x - vectors for x in instances])
    with torch.no_grad():
        torch_out = net(torch.from_numpy(rows)).numpy()
    np.testing.assert_array_equal(onnx_outputs(folder, rows), torch_out)

    infid_cases = []
    sens_cases = []
    t_vectors = torch.from_numpy(vectors)
    t_offsets = torch.from_numpy(offsets)
    explain = InputXGradient(net).attribute
    for i, x in enumerate(instances):
        xt = torch.from_numpy(x[None].copy())
        with torch.no_grad():
            fx = net(xt).numpy()[0]
            fp = net(xt - t_vectors).numpy()
        for k in range(2):
            kinds = {"gradient": w[k], "input_x_gradient": x * w[k], "fixed": fixed[i, k]}
            for kind, phi in kinds.items():
                values = [float(infidelity(net, fixed_perturb_func(t_vectors, True), xt,
                                           torch.from_numpy(phi[None].copy()), target=k,
                                           n_perturb_samples=PERTURBATIONS, normalize=normalize)[0])
                          for normalize in (False, True)]
                a = vectors @ phi
                d = fx[k] - fp[:, k]
                assert abs(values[0] - np.mean((a - d) ** 2)) < 1e-12, (values, kind)
                infid_cases.append({"instance": i, "output": k, "attributions_kind": kind,
                                    "attributions": phi.tolist(), "model_output": float(fx[k]),
                                    "perturbed_outputs": fp[:, k].tolist(), "value": values[0],
                                    "normalized": values[1]})
            value = float(sensitivity_max(explain, xt.clone().requires_grad_(),
                                          fixed_perturb_func(t_offsets, False), target=k,
                                          n_perturb_samples=PERTURBATIONS)[0])
            want = max(np.linalg.norm(o * w[k]) for o in offsets) / np.linalg.norm(x * w[k])
            assert abs(value - want) < 1e-12, (value, want)
            sens_cases.append({"instance": i, "output": k, "explanation": "input_x_gradient", "value": value})

    document = {
        "model": MODEL,
        "versions": {"torch": torch.__version__, "captum": captum.__version__, "onnxruntime": ort.__version__,
                     "numpy": np.__version__},
        "weights": {"w": w.tolist(), "b": b.tolist()},
        "instances": instances.tolist(),
        "infidelity_perturbations": vectors.tolist(),
        "sensitivity_offsets": offsets.tolist(),
        "infidelity": infid_cases,
        "sensitivity_max": sens_cases,
    }
    path = write_golden(document, f"evaluation_{MODEL}.json")
    print(f"{path.relative_to(ROOT)}: {len(infid_cases)} infidelity cases, {len(sens_cases)} sensitivity cases")


if __name__ == "__main__":
    main()
