"""Write src/test/resources/golden/captum_<model>.json: Captum's attributions for
the gradient methods on mlp_mixed, conv_zoo, gelu_gate (test models) and
digits_cnn (bundled), the reference Prism's gradient graphs are compared with.

Run tools/make_gradient_models.py first: the torch modules are rebuilt from
tools/gradient_models.py and their weights loaded back from the committed
model.onnx files (checked against onnxruntime), so the values belong to exactly
the exported networks. float32 torch, eval mode, one thread.

Captum calls (captum.attr, defaults unless stated: DeepLift(multiply_by_inputs=True,
eps=1e-10), IntegratedGradients(multiply_by_inputs=True), Saliency(abs=True),
InputXGradient), each with target=k, the score column:
  deep_lift              DeepLift.attribute(x, baselines, target=k, return_convergence_delta=True),
                         baselines zeros or the given baseline (repeated per instance)
  deep_lift_shap         DeepLiftShap.attribute(x, baselines=background, target=k,
                         return_convergence_delta=True)
  integrated_gradients   IntegratedGradients.attribute(x, baselines, target=k, n_steps, method,
                         return_convergence_delta=True)
  saliency               Saliency.attribute(x, target=k)            (|df/dx|; no delta)
  input_x_gradient       InputXGradient.attribute(x, target=k)      (x * df/dx; no delta)

Softmax models (digits_cnn, target "output"): Captum's softmax rule subtracts
the mean of the rescaled multipliers over every element of the batch it runs
on (instances and references together), so its DeepLift depends on what else
is in the batch. Prism's rule takes that mean over one instance's and its
reference's classes, which is what Captum does with one instance per call. So
for this model deep_lift runs one instance per call, and deep_lift_shap is the
mean over the background rows of single-instance, single-baseline DeepLift
calls (what Captum's DeepLiftShap would give if it did not batch the pairs);
such cases carry a "note". Target "logits" cases use the same network without
its final Softmax (Captum's own batching is then harmless): deep_lift (both
baselines), Captum's real DeepLiftShap, integrated_gradients (both baselines),
saliency and input_x_gradient. Models without a softmax run Captum normally:
one DeepLift call for the 4 instances, one DeepLiftShap call with the 8
background rows.

Captum's DeepLift has rules only for the modules nn.ReLU, ELU, LeakyReLU,
Sigmoid, Tanh, Softplus, MaxPool1/2/3d and Softmax. Everything else gets its
plain gradient: on gelu_gate the two GELUs and the Sigmoid*Tanh product, so
its deep_lift / deep_lift_shap values are Captum's, not the Rescale/Shapley
rules Prism uses there, and their deltas are not ~0 (the file says so in
"deep_lift_rules"). Its gradient methods (integrated_gradients, saliency,
input_x_gradient) are exact gradients and comparable.

Captum's integration points: gausslegendre maps numpy's leggauss(n) nodes x and
weights w to alpha = (1 + x) / 2 and w / 2; the Riemann rules use float32
torch.linspace alphas with weights 1/n, and riemann_trapezoid (alphas
linspace(0, 1, n), the two end weights halved) has weights summing to 1 - 1/n.

Schema (one file per model):
  model            string
  versions         {"torch", "captum", "onnxruntime", "numpy"}
  input_shape      [dims]            one instance, without the batch dimension
  feature_names    [feature]         the flattened instance, row-major
  output_names     [output]
  deep_lift_rules  "captum_matches_prism" | "captum_uses_gradients_for": [modules]
  instances        [instance][feature]   4 rows; digits_cnn: the first 4 test-set digits
  baseline         [feature]             the "given" baseline: seeded N(0, 0.5^2) for the
                                         test models, the mean background row (float32) for
                                         digits_cnn
  background       [row][feature]        the first 8 rows of the model's background.csv
  model_outputs    {"output": {...}, "logits": {...} (digits_cnn only)}, each
                   {"instances": [instance][output], "zeros": [output],
                    "given": [output], "background": [row][output]}: f from torch
  cases            [case], each:
    method         "deep_lift" | "deep_lift_shap" | "integrated_gradients" | "saliency"
                   | "input_x_gradient"
    target         "output" | "logits"
    baseline       "zeros" | "given"         (deep_lift, integrated_gradients)
    n_steps        int                       (integrated_gradients)
    integration    "gausslegendre" | "riemann_trapezoid" | "riemann_left" | "riemann_right"
                   | "riemann_middle"        (integrated_gradients)
    output         k, the score column
    attributions   [instance][feature]
    delta          [instance]   Captum's convergence delta, sum(attr) - (f(x) - f(x'));
                                deep_lift_shap: the mean of pair_deltas over the baselines,
                                = sum(attr) - (f(x) - mean_b f(b)); absent for saliency
                                and input_x_gradient
    pair_deltas    [instance][baseline]   (deep_lift_shap) Captum's per-pair deltas
    note           string       (where the case is not one plain Captum call)
Cases, for every output k: deep_lift zeros, deep_lift given, deep_lift_shap,
integrated_gradients gausslegendre n_steps 50 zeros and given, saliency,
input_x_gradient; then, for output 0 and the given baseline,
integrated_gradients riemann_trapezoid n_steps 20 and riemann_left,
riemann_right, riemann_middle n_steps 16. digits_cnn then repeats the
per-output list with target "logits".

Numbers are float32 values written as the shortest decimal that parses back
to the same float32 (instances, baseline and background are exactly the
float32 values the model sees). Running this twice gives identical files.
"""

import json
import re
import sys
import warnings

import captum
import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F
from captum.attr import DeepLift, DeepLiftShap, InputXGradient, IntegratedGradients, Saliency

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
from gradient_models import (  # noqa: E402
    ROOT, SEED, SPECS, build_from_onnx, feature_names, load_digits_split, read_background, separate_relu_maxpool)

GOLDEN = ROOT / "src" / "test" / "resources" / "golden"
MODELS = ["mlp_mixed", "conv_zoo", "gelu_gate", "digits_cnn"]
INSTANCES = 4
BACKGROUND = 8
GL_STEPS = 50
RIEMANN = [("riemann_trapezoid", 20), ("riemann_left", 16), ("riemann_right", 16), ("riemann_middle", 16)]
# Modules Captum's DeepLift has no rule for, per model (they get plain gradients).
GRADIENT_ONLY = {"gelu_gate": ["GELU(approximate='none')", "GELU(approximate='tanh')", "Sigmoid*Tanh product"]}
EPS = 1e-10  # Captum DeepLift's default eps
DEEP_LIFT_RULES = {
    "gelu_gate": {"captum_uses_gradients_for": GRADIENT_ONLY["gelu_gate"]},
    "digits_cnn": {
        "captum_relu_then_maxpool": (
            "cases without a variant are Captum's DeepLift on the network as exported. Each ReLU feeds a MaxPool "
            "directly, and Captum's hooks then give the ReLU's rescale rule the MaxPool's plain gradient at x "
            "(the routing to x's argmax), so the cross-max MaxPool rule has no effect and attributions do not "
            "sum to f(x) - f(x')"),
        "variant_maxpool_rule": (
            "Captum on the same network with a copy (x.clone()) between each ReLU and its MaxPool: both rules "
            "apply in sequence (Rescale on the ReLU, cross-max on the MaxPool) and, on the logits, attributions "
            "sum to f(x) - f(x')"),
    },
}
VARIANT_NOTES = {"maxpool_rule": "Captum on the network with a copy between each ReLU and its MaxPool, so that "
                                 "Captum's cross-max MaxPool rule is applied"}
SOFTMAX_NOTE_DL = ("Captum DeepLift with one instance per call: its softmax rule subtracts the mean over "
                   "the whole batch, so batching instances would change the values")
SOFTMAX_NOTE_DLS = ("mean over the background rows of single-instance, single-baseline Captum DeepLift calls "
                    "(Captum's DeepLiftShap batches every pair, and its softmax rule then mixes them)")


def f32(values):
    """Nested lists of the shortest decimals of float32 values."""
    a = np.asarray(values, dtype=np.float32)
    if a.ndim == 0:
        return float(str(a[()]))
    return [f32(v) for v in a]


def numpy_of(t):
    return t.detach().cpu().numpy()


class Model:
    """A golden model: its torch module(s), data and helpers."""

    def __init__(self, name):
        self.name = name
        _, self.folder, self.input_name, self.shape, _, self.output_names = SPECS[name]
        self.softmax = name == "digits_cnn"
        self.net = build_from_onnx(name)
        self.logits_net = build_from_onnx(name, softmax=False) if self.softmax else None
        self.features = feature_names(name)
        background = read_background(self.folder)
        self.background = background[:BACKGROUND]
        if self.softmax:
            _, x_test, _, _ = load_digits_split()
            self.instances = x_test[:INSTANCES].astype(np.float32)
            self.baseline = background.astype(np.float64).mean(axis=0).astype(np.float32)
        else:
            rng = np.random.default_rng(SEED + 10)
            self.instances = rng.standard_normal((INSTANCES, len(self.features))).astype(np.float32)
            self.baseline = (0.5 * rng.standard_normal(len(self.features))).astype(np.float32)
        self.check_onnx()

    def tensor(self, rows):
        return torch.from_numpy(np.asarray(rows, dtype=np.float32).reshape(-1, *self.shape).copy())

    def check_onnx(self):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        x = np.vstack([self.instances, self.baseline[None], self.background])
        (got,) = session.run(None, {self.input_name: x.reshape(-1, *self.shape)})
        with torch.no_grad():
            want = numpy_of(self.net(self.tensor(x)))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5, err_msg=self.name)

    def outputs(self, net):
        with torch.no_grad():
            f = lambda rows: numpy_of(net(self.tensor(rows)))  # noqa: E731
            return {"instances": f32(f(self.instances)), "zeros": f32(f(np.zeros_like(self.baseline)[None])[0]),
                    "given": f32(f(self.baseline[None])[0]), "background": f32(f(self.background))}

    def baselines(self, kind):
        row = np.zeros_like(self.baseline) if kind == "zeros" else self.baseline
        return self.tensor(np.repeat(row[None], INSTANCES, axis=0))


def flat(t):
    return numpy_of(t).reshape(len(t), -1)


def deep_lift(net, x, baselines, k, one_per_call):
    """Captum DeepLift: (attributions [n][features], delta [n])."""
    if not one_per_call:
        attr, delta = DeepLift(net).attribute(x, baselines=baselines, target=k, return_convergence_delta=True)
        return flat(attr), numpy_of(delta)
    results = [deep_lift(net, x[i:i + 1], baselines[i:i + 1], k, False) for i in range(len(x))]
    return np.vstack([a for a, _ in results]), np.concatenate([d for _, d in results])


def deep_lift_shap(net, x, background, k, one_per_call):
    """(attributions [n][features], mean delta [n], pair deltas [n][rows])."""
    rows = len(background)
    if not one_per_call:
        attr, delta = DeepLiftShap(net).attribute(x, baselines=background, target=k, return_convergence_delta=True)
        pairs = numpy_of(delta).reshape(len(x), rows)  # Captum's order: instance-major
        return flat(attr), pairs.mean(axis=1), pairs
    attrs, pairs = np.zeros((len(x), flat(x).shape[1]), dtype=np.float64), np.zeros((len(x), rows))
    for i in range(len(x)):
        for j in range(rows):
            a, d = deep_lift(net, x[i:i + 1], background[j:j + 1], k, False)
            attrs[i] += a[0]
            pairs[i, j] = d[0]
    # The mean as float64, then rounded to float32 like every other value in the file.
    return (attrs / rows).astype(np.float32), pairs.mean(axis=1), pairs


def integrated_gradients(net, x, baselines, k, n_steps, method):
    attr, delta = IntegratedGradients(net).attribute(x, baselines=baselines, target=k, n_steps=n_steps,
                                                     method=method, return_convergence_delta=True)
    return flat(attr), numpy_of(delta)


def cases_for(model, net, target, one_per_call, riemann=False, variant=None):
    """The cases of one network. With a variant, only the DeepLIFT cases (the
    gradient methods do not depend on Captum's hooks)."""
    x = model.tensor(model.instances)
    background = model.tensor(model.background)
    cases = []
    extra = {"variant": variant, "note_variant": VARIANT_NOTES[variant]} if variant else {}

    def add(method, k, attr, delta=None, pair_deltas=None, note=None, **fields):
        case = {"method": method, "target": target, **fields, "output": k, "attributions": f32(attr)}
        if delta is not None:
            case["delta"] = f32(delta)
        if pair_deltas is not None:
            case["pair_deltas"] = f32(pair_deltas)
        notes = [n for n in (note, extra.get("note_variant")) if n]
        if notes:
            case["note"] = "; ".join(notes)
        if variant:
            case["variant"] = variant
        cases.append(case)

    for k in range(len(model.output_names)):
        for kind in ("zeros", "given"):
            attr, delta = deep_lift(net, x, model.baselines(kind), k, one_per_call)
            add("deep_lift", k, attr, delta, baseline=kind, note=SOFTMAX_NOTE_DL if one_per_call else None)
        attr, delta, pairs = deep_lift_shap(net, x, background, k, one_per_call)
        add("deep_lift_shap", k, attr, delta, pair_deltas=pairs, note=SOFTMAX_NOTE_DLS if one_per_call else None)
        if variant:
            continue
        for kind in ("zeros", "given"):
            attr, delta = integrated_gradients(net, x, model.baselines(kind), k, GL_STEPS, "gausslegendre")
            add("integrated_gradients", k, attr, delta, baseline=kind, n_steps=GL_STEPS, integration="gausslegendre")
        add("saliency", k, flat(Saliency(net).attribute(x, target=k)))
        add("input_x_gradient", k, flat(InputXGradient(net).attribute(x, target=k)))
    if riemann:
        for method, n_steps in RIEMANN:
            attr, delta = integrated_gradients(net, x, model.baselines("given"), 0, n_steps, method)
            add("integrated_gradients", 0, attr, delta, baseline="given", n_steps=n_steps, integration=method)
    return cases


def ordered(case):
    """A case's fields in the schema's order."""
    order = ["method", "target", "variant", "baseline", "n_steps", "integration", "output", "attributions", "delta",
             "pair_deltas", "note"]
    return {key: case[key] for key in order if key in case}


def dumps(document):
    text = json.dumps(document, indent=2)
    # One line per list of numbers (an instance's attributions) instead of one line per number.
    return re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]",
                  text) + "\n"


def make(name):
    model = Model(name)
    outputs = {"output": model.outputs(model.net)}
    cases = cases_for(model, model.net, "output", one_per_call=model.softmax, riemann=True)
    if model.softmax:
        outputs["logits"] = model.outputs(model.logits_net)
        cases += cases_for(model, separate_relu_maxpool(build_from_onnx(name)), "output", one_per_call=True,
                           variant="maxpool_rule")
        cases += cases_for(model, model.logits_net, "logits", one_per_call=False)
        cases += cases_for(model, separate_relu_maxpool(build_from_onnx(name, softmax=False)), "logits",
                           one_per_call=False, variant="maxpool_rule")
    document = {
        "model": name,
        "versions": {"torch": torch.__version__, "captum": captum.__version__, "onnxruntime": ort.__version__,
                     "numpy": np.__version__},
        "input_shape": list(model.shape),
        "feature_names": model.features,
        "output_names": model.output_names,
        "deep_lift_rules": DEEP_LIFT_RULES.get(name, "captum_rules_cover_every_nonlinearity"),
        "instances": f32(model.instances),
        "baseline": f32(model.baseline),
        "background": f32(model.background),
        "model_outputs": outputs,
        "cases": [ordered(c) for c in cases],
    }
    path = GOLDEN / f"captum_{name}.json"
    path.write_text(dumps(document))
    return model, document, path


def digits_reference(net, x, xr, k, cross_max):
    """DeepLIFT on DigitsCNN's logits written out layer by layer (no Captum), as
    Captum's rules define it: Rescale on every ReLU (the gradient where
    |dx| < 1e-10), exact transposes for Mul/Conv/Flatten/Linear, and for each
    MaxPool either the cross-max rule (cross_max=True: the x half of the change,
    max(y, y') - y', goes to x's argmax, the reference half, y - max(y, y'), to
    x''s argmax, and their sum is divided by the input's change) or the plain
    gradient at x (cross_max=False, what Captum's hooks do on ReLU -> MaxPool).
    Returns (attributions [n][features], delta [n])."""
    def forward(v):
        s = {"c1": net.conv1(v / 16)}
        s["r1"] = F.relu(s["c1"])
        s["p1"], s["i1"] = F.max_pool2d(s["r1"], 2, return_indices=True)
        s["c2"] = net.conv2(s["p1"])
        s["r2"] = F.relu(s["c2"])
        s["p2"], s["i2"] = F.max_pool2d(s["r2"], 2, return_indices=True)
        s["l1"] = net.fc1(s["p2"].flatten(1))
        s["l2"] = net.fc2(F.relu(s["l1"]))
        return s

    def relu(g, z, zr):
        d = z - zr
        return torch.where(d.abs() < EPS, g * (z > 0), g * (F.relu(z) - F.relu(zr)) / d)

    def pool(g, a, r, layer):
        y, yr, i, ir, inp, inp_r = a["p" + layer], r["p" + layer], a["i" + layer], r["i" + layer], a["r" + layer], \
            r["r" + layer]
        size = inp.shape[-2:]
        plain = F.max_unpool2d(g, i, 2, output_size=size)
        if not cross_max:
            return plain
        top = torch.max(y, yr)
        routed = F.max_unpool2d(g * (top - yr), i, 2, output_size=size) + F.max_unpool2d(g * (y - top), ir, 2,
                                                                                           output_size=size)
        d = inp - inp_r
        return torch.where(d.abs() < EPS, plain, routed / d)

    with torch.no_grad():
        a, r = forward(x), forward(xr)
        g = net.fc2.weight[k].expand(len(x), -1)
        g = relu(g, a["l1"], r["l1"]) @ net.fc1.weight
        g = pool(g.reshape(a["p2"].shape), a, r, "2")
        g = torch.nn.grad.conv2d_input(a["p1"].shape, net.conv2.weight, relu(g, a["c2"], r["c2"]), padding=1)
        g = pool(g, a, r, "1")
        g = torch.nn.grad.conv2d_input(x.shape, net.conv1.weight, relu(g, a["c1"], r["c1"]), padding=1) / 16
        attr = (x - xr) * g
        delta = attr.flatten(1).sum(1) - (a["l2"][:, k] - r["l2"][:, k])
    return flat(attr), numpy_of(delta)


def self_checks(model, document):
    """Cross-checks of the file against Captum and the definitions. Returns summary lines."""
    lines = []
    x = model.tensor(model.instances)
    background = model.tensor(model.background)
    cases = {(c["method"], c["target"], c.get("variant"), c.get("baseline"), c.get("integration"), c["output"]): c
             for c in document["cases"]}
    # DeepLiftShap = mean over the background of DeepLift against each row (no softmax in between).
    net = model.logits_net if model.softmax else model.net
    target = "logits" if model.softmax else "output"
    k = len(model.output_names) - 1
    per_row = np.mean([deep_lift(net, x, background[j:j + 1].repeat(INSTANCES, *[1] * len(model.shape)), k,
                                 False)[0] for j in range(len(background))], axis=0)
    dls = np.asarray(cases[("deep_lift_shap", target, None, None, None, k)]["attributions"])
    lines.append(f"DeepLiftShap = mean over the background rows of DeepLift ({target}, output {k}): "
                 f"max diff {np.abs(per_row - dls).max():.2e}")
    assert np.abs(per_row - dls).max() < 1e-5
    if model.softmax:
        # Captum's DeepLift on the logits, layer by layer without Captum.
        for variant, cross_max in ((None, False), ("maxpool_rule", True)):
            worst = 0.0
            for kind in ("zeros", "given"):
                for k in range(len(model.output_names)):
                    ref, _ = digits_reference(model.logits_net, x, model.baselines(kind), k, cross_max)
                    got = np.asarray(cases[("deep_lift", "logits", variant, kind, None, k)]["attributions"])
                    worst = max(worst, float(np.abs(ref - got).max()))
            label = "cross-max MaxPool rule" if cross_max else "plain MaxPool gradient"
            lines.append(f"logits deep_lift{' ' + variant if variant else ''} = a layer-by-layer DeepLIFT with the "
                         f"{label}: max diff {worst:.2e}")
            assert worst < 1e-4, worst
        # Captum's softmax rule with one instance per call: the logits get the multipliers
        # w_c = s * ([c == t] - 1/C), s = (p_t(x) - p_t(x')) / (z_t(x) - z_t(x')), and DeepLIFT is
        # linear in the seed, so the probability case is that mix of the logit cases.
        worst = 0.0
        classes = len(model.output_names)
        for variant in (None, "maxpool_rule"):
            for kind in ("zeros", "given"):
                z = model.logits_net(x).detach().numpy().astype(np.float64)
                zr = model.logits_net(model.baselines(kind)).detach().numpy().astype(np.float64)
                p = model.net(x).detach().numpy().astype(np.float64)
                pr = model.net(model.baselines(kind)).detach().numpy().astype(np.float64)
                logit_attr = np.stack([np.asarray(cases[("deep_lift", "logits", variant, kind, None, c)]["attributions"])
                                       for c in range(classes)])  # [class][instance][feature]
                for t in range(classes):
                    s = (p[:, t] - pr[:, t]) / (z[:, t] - zr[:, t])
                    w = s[None, :] * ((np.arange(classes) == t)[:, None] - 1.0 / classes)  # [class][instance]
                    mixed = np.einsum("ci,cif->if", w, logit_attr)
                    got = np.asarray(cases[("deep_lift", "output", variant, kind, None, t)]["attributions"])
                    worst = max(worst, float(np.abs(mixed - got).max() / np.abs(got).max()))
        lines.append(f"softmax rule: each probability deep_lift = s * (logit case t - mean of the logit cases): "
                     f"max diff {worst:.2e} relative to max |attr|")
        assert worst < 1e-3, worst
        # The softmax quirk: batching the 4 instances changes Captum's DeepLift on the probabilities.
        batched, _ = deep_lift(model.net, x, model.baselines("zeros"), 0, False)
        single = np.asarray(cases[("deep_lift", "output", None, "zeros", None, 0)]["attributions"])
        lines.append(f"softmax quirk: Captum DeepLift on the probabilities, 4 instances in one call vs one per call: "
                     f"max diff {np.abs(batched - single).max():.2e} (max |attr| {np.abs(single).max():.2e})")
    return lines


def summary(document):
    """max |delta| per (method, integration, target, variant)."""
    worst = {}
    for c in document["cases"]:
        if "delta" not in c:
            continue
        key = (c["method"], c.get("integration", ""), c["target"], c.get("variant") or "")
        worst[key] = max(worst.get(key, 0.0), float(np.abs(c["delta"]).max()))
    return worst


def main():
    warnings.filterwarnings("ignore")  # Captum's notices about hooks and requires_grad
    torch.set_num_threads(1)  # the same sums in the same order on every run
    for name in MODELS:
        model, document, path = make(name)
        print(f"{path.relative_to(ROOT)}: {len(document['cases'])} cases, {path.stat().st_size} bytes")
        for line in self_checks(model, document):
            print(f"  {line}")
        for (method, integration, target, variant), value in summary(document).items():
            label = f"{method} {integration}".strip()
            print(f"  max |delta| {label:38} {target:7} {variant:13} {value:.3e}")
            # Where Captum's rules cover every non-linearity and no softmax sits in between,
            # DeepLIFT's summation-to-delta holds to float32 rounding.
            covered = name not in GRADIENT_ONLY and (not model.softmax or (target == "logits" and variant))
            if method.startswith("deep_lift") and covered:
                assert value < 1e-4, (name, method, target, value)


if __name__ == "__main__":
    main()
