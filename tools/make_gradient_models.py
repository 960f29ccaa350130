"""Regenerate the PyTorch models for the gradient methods (DeepLIFT, DeepLiftShap,
Integrated Gradients, saliency, gradient x input), exported to ONNX with
torch's TorchScript-based exporter (dynamo=False).

Bundled (models/digits_cnn: model.onnx, config.json, background.csv):
  digits_cnn   CNN on sklearn's 8x8 digits, the split of tools/make_models.py.
               image float [N,1,8,8] (pixels 0..16) -> Mul(1/16) Conv(1,8,3,p1) Relu
               MaxPool(2) Conv(8,16,3,p1) Relu MaxPool(2) Flatten Gemm(64,32) Relu
               Gemm(32,10) Softmax -> probabilities float [N,10]; 20 background rows
               from the train set, the format of models/digits.

Test-only (src/test/resources/models/<name>: model.onnx, config.json with
OUTPUT_KIND_REGRESSION, background.csv of 16 seeded standard-normal rows):
  mlp_mixed    x [N,6] -> Gemm Relu Gemm Tanh Gemm Sigmoid Gemm -> y [N,3]
  conv_zoo     x [N,2,7,7] -> y [N,3]: Sub/Div by constants, Conv stride 2 + padding,
               Conv dilation 2 groups 2, LeakyRelu, Elu, AveragePool(k2 s1), Concat,
               BatchNormalization, Softplus, GlobalAveragePool, Squeeze, Transpose,
               Reshape, Unsqueeze, Flatten, Dropout, Gemm, Sigmoid, Tanh
               (see gradient_models.ConvZoo). The exporter drops eval-mode Dropout;
               this script puts an inference Dropout node (identity) back after the
               Flatten, where the module has its nn.Dropout.
  gelu_gate    x [N,5] -> GELU(erf) and GELU(tanh) branches (opset 17 decomposes them
               into Div/Erf/Add/Mul/Mul and Mul/Mul/Mul/Add/Mul/Tanh/Add/Mul/Mul: the cube
               of the tanh form is Mul(h, h) then Mul(h, h*h), a product of a tensor
               with itself, not Pow) and Sigmoid(.)*Tanh(.) -> Concat -> Gemm -> y [N,2]
  gelu_op      x [N,5] -> Gemm Gelu Gemm -> y [N,2], exported at opset 20 (IR 9), where
               GELU is the single Gelu operator
  pool_zoo     x [N,2,9,9] -> y [N,3]: MaxPool with overlapping padded windows (k3 s2 p1),
               overlapping windows (k2 s1) and tiling windows (k2 s2), after Relu, Tanh
               and Sigmoid (see gradient_models.PoolZoo)
  sin_net      x [N,4] -> Gemm Sin Gemm -> y [N,1]
  linear_net   x [N,4] -> Gemm(4,2) -> y [N,2]; weights.json {"w": [out][in], "b": [out]}
  relu_neuron  x [N,3] -> Gemm(3,1) Relu -> y [N,1]; weights.json likewise

Weights: seeded default initialisation scaled so that the activations are
neither saturated nor linear on the background (non-zero biases throughout);
digits_cnn is trained (Adam, seeded, one thread); linear_net and relu_neuron
have fixed weights exact in float32. Each export is checked against torch with
onnxruntime (atol 1e-5) and its op-type histogram is printed.

Opset 17 and IR version 8, as tools/make_models.py (what the Java runtime,
onnxruntime 1.29, loads), except gelu_op (opset 20 needs IR 9).
Seeded throughout: running this twice gives byte-identical files.
Run from anywhere: paths are relative to the repository root.
"""

import collections
import io
import json
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from onnx import helper

sys.dont_write_bytecode = True  # no tools/__pycache__ in the working tree
from gradient_models import (  # noqa: E402
    ROOT, SEED, SPECS, DigitsCNN, ConvZoo, GeluGate, GeluOp, LinearNet, MlpMixed, PoolZoo, ReluNeuron, SinNet,
    feature_names, load_digits_split)

OPSET = 17
IR_VERSION = 8
BACKGROUND_ROWS = 16
DIGITS_BACKGROUND_ROWS = 20


# ------------------------------------------------------------------ files


def float32_text(v):
    """Shortest text that parses back to the same float32."""
    f = np.float32(v)
    s = str(f)
    assert np.float32(float(s)) == f, (v, s)
    return s


def write_csv(folder, names, rows):
    lines = [",".join(names)] + [",".join(float32_text(v) for v in row) for row in rows]
    (folder / "background.csv").write_text("\n".join(lines) + "\n")


def write_config(folder, names, score_output, output_names, output_kind):
    # Protobuf JSON of prism.v1.ModelConfig (camelCase field names), as tools/make_models.py.
    config = {
        "featureNames": names,
        "scoreOutputs": [score_output],
        "outputNames": output_names,
        "outputKind": output_kind,
        "backgroundFile": "background.csv",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def write_weights(folder, linear):
    """weights.json of a Linear layer: w [out][in], b [out], one matrix row per line."""
    w = linear.weight.detach().numpy().astype(np.float64)
    b = linear.bias.detach().numpy().astype(np.float64)
    rows = ",\n    ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in w)
    text = '{\n  "w": [\n    ' + rows + '\n  ],\n  "b": [' + ", ".join(repr(float(v)) for v in b) + "]\n}\n"
    assert json.loads(text) == {"w": w.tolist(), "b": b.tolist()}
    (folder / "weights.json").write_text(text)


def normal_background(name):
    """16 seeded standard-normal rows (float32) over the model's features."""
    rng = np.random.default_rng(SEED)
    return rng.standard_normal((BACKGROUND_ROWS, len(feature_names(name)))).astype(np.float32)


# ------------------------------------------------------------------ export


def histogram(model):
    return collections.Counter(n.op_type for n in model.graph.node)


def export(name, module, opset=OPSET, ir_version=IR_VERSION, edit=None):
    """Export with the TorchScript exporter, optionally edit the graph, set the IR
    version, check and save. Returns the saved path."""
    folder, input_name, shape, output_name = SPECS[name][1], SPECS[name][2], SPECS[name][3], SPECS[name][4]
    folder.mkdir(parents=True, exist_ok=True)
    module.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            module, (torch.zeros(2, *shape),), buffer, dynamo=False, opset_version=opset,
            input_names=[input_name], output_names=[output_name],
            dynamic_axes={input_name: {0: "N"}, output_name: {0: "N"}})
    model = onnx.load_from_string(buffer.getvalue())
    if edit is not None:
        edit(model)
    model.ir_version = ir_version
    onnx.checker.check_model(model, full_check=True)
    path = folder / "model.onnx"
    onnx.save(model, path)
    return path


def check_against_torch(name, module, path, x):
    """onnxruntime (one thread, as the server) against torch on float32 rows x."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    shape = SPECS[name][3]
    xs = np.asarray(x, dtype=np.float32).reshape(-1, *shape)
    (got,) = session.run(None, {SPECS[name][2]: xs})
    with torch.no_grad():
        want = module(torch.from_numpy(xs)).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5, err_msg=name)
    return got


def insert_dropout_after(model, op_type):
    """Put an inference-mode Dropout (no ratio or training_mode inputs: the
    identity) on the output of the first `op_type` node, ahead of its consumers."""
    nodes = list(model.graph.node)
    index = next(i for i, n in enumerate(nodes) if n.op_type == op_type)
    source = nodes[index].output[0]
    target = "/dropout/Dropout_output_0"
    for n in nodes[index + 1:]:
        for k, name in enumerate(n.input):
            if name == source:
                n.input[k] = target
    dropout = helper.make_node("Dropout", [source], [target], name="/dropout/Dropout")
    del model.graph.node[:]
    model.graph.node.extend(nodes[: index + 1] + [dropout] + nodes[index + 1:])


def scale_linear_layers(module, gain):
    """Multiply every Linear and Conv weight by `gain` (biases stay as initialised)."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.Conv2d)):
                layer.weight.mul_(gain)


def seeded(cls, gain):
    torch.manual_seed(SEED)
    module = cls()
    scale_linear_layers(module, gain)
    return module.eval()


# ------------------------------------------------------------------ models


def make_digits_cnn():
    name = "digits_cnn"
    folder = SPECS[name][1]
    x_train, x_test, y_train, y_test = load_digits_split()
    torch.manual_seed(SEED)
    model = DigitsCNN()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same sums in the same order on every run
    try:
        xt = torch.tensor(x_train, dtype=torch.float32).reshape(-1, 1, 8, 8)
        yt = torch.tensor(y_train, dtype=torch.long)
        optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
        loss_fn = nn.CrossEntropyLoss()  # on the logits, before the module's Softmax
        generator = torch.Generator().manual_seed(SEED)
        model.train()
        for _ in range(40):
            order = torch.randperm(len(xt), generator=generator)
            for start in range(0, len(xt), 32):
                batch = order[start:start + 32]
                optimiser.zero_grad()
                loss = loss_fn(model.logits(xt[batch]), yt[batch])
                loss.backward()
                optimiser.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    with torch.no_grad():
        accuracy = (model(torch.tensor(x_test, dtype=torch.float32).reshape(-1, 1, 8, 8)).argmax(1).numpy()
                    == y_test).mean()
    assert accuracy > 0.95, accuracy
    path = export(name, model)
    proba = check_against_torch(name, model, path, np.vstack([x_train, x_test]))
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    # The background rows of tools/make_models.py's digits model: 20 train rows, seeded.
    rows = np.sort(np.random.default_rng(SEED).choice(len(x_train), size=DIGITS_BACKGROUND_ROWS, replace=False))
    write_csv(folder, feature_names(name), x_train[rows])
    write_config(folder, feature_names(name), SPECS[name][4], SPECS[name][5], "OUTPUT_KIND_PROBABILITY")
    return f"test accuracy {accuracy:.4f}"


def finish_test_model(name, module, path, weights=None):
    folder = SPECS[name][1]
    background = normal_background(name)
    extra = np.random.default_rng(SEED + 1).standard_normal((64, background.shape[1])).astype(np.float32)
    check_against_torch(name, module, path, np.vstack([background, extra]))
    write_csv(folder, feature_names(name), background)
    write_config(folder, feature_names(name), SPECS[name][4], SPECS[name][5], "OUTPUT_KIND_REGRESSION")
    if weights is not None:
        write_weights(folder, weights)


def pre_activation_spread(module, x, layers):
    """Standard deviation of each named layer's output on x (float32 rows)."""
    seen = {}
    hooks = [getattr(module, n).register_forward_hook(lambda m, i, o, n=n: seen.__setitem__(n, float(o.std())))
             for n in layers]
    with torch.no_grad():
        module(torch.from_numpy(x))
    for h in hooks:
        h.remove()
    return seen


def make_mlp_mixed():
    name = "mlp_mixed"
    module = seeded(MlpMixed, 2.0)
    spread = pre_activation_spread(module, normal_background(name), ["fc1", "fc2", "fc3"])
    assert all(0.3 < s < 3 for s in spread.values()), spread  # neither flat nor saturated
    path = export(name, module)
    finish_test_model(name, module, path)
    return "pre-activation std " + ", ".join(f"{k} {v:.2f}" for k, v in spread.items())


def make_conv_zoo():
    name = "conv_zoo"
    module = seeded(ConvZoo, 1.5)
    rng = torch.Generator().manual_seed(SEED + 2)
    with torch.no_grad():
        module.shift.copy_(0.5 * torch.randn(1, 2, 1, 1, generator=rng))
        module.scale.copy_(0.5 + 1.5 * torch.rand(1, 2, 1, 1, generator=rng))
        module.bn.running_mean.copy_(0.3 * torch.randn(8, generator=rng))
        module.bn.running_var.copy_(0.5 + 1.5 * torch.rand(8, generator=rng))
        module.bn.weight.copy_(0.5 + torch.rand(8, generator=rng))
        module.bn.bias.copy_(0.3 * torch.randn(8, generator=rng))
    path = export(name, module, edit=lambda m: insert_dropout_after(m, "Flatten"))
    finish_test_model(name, module, path)
    model = onnx.load(str(path))
    convs = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in model.graph.node
             if n.op_type == "Conv"]
    assert any(c.get("strides") == [2, 2] and any(c.get("pads", [])) for c in convs), convs
    assert any(c.get("dilations") == [2, 2] and c.get("group") == 2 for c in convs), convs
    wanted = {"Conv", "BatchNormalization", "LeakyRelu", "Elu", "Softplus", "AveragePool", "GlobalAveragePool",
              "Concat", "Transpose", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Sub", "Div", "Gemm", "Dropout",
              "Sigmoid", "Tanh"}
    missing = wanted - set(histogram(model))
    assert not missing, missing
    return "every wanted operator present"


def make_gelu_gate():
    name = "gelu_gate"
    module = seeded(GeluGate, 2.0)
    path = export(name, module)
    finish_test_model(name, module, path)
    ops = histogram(onnx.load(str(path)))
    assert {"Erf", "Tanh", "Sigmoid", "Mul", "Concat"} <= set(ops), ops
    # tanh-GELU's cube is exported as Mul(h, h) then Mul(h, h*h), not Pow.
    return "GELUs decomposed at opset 17" + ("" if "Pow" in ops else " (the cube as Mul(h,h), Mul(h,h*h): no Pow)")


def make_gelu_op():
    name = "gelu_op"
    module = seeded(GeluOp, 2.0)
    path = export(name, module, opset=20, ir_version=9)
    finish_test_model(name, module, path)
    ops = histogram(onnx.load(str(path)))
    assert ops["Gelu"] == 1 and "Erf" not in ops, ops
    return "one Gelu node at opset 20, IR 9"


def make_pool_zoo():
    name = "pool_zoo"
    module = seeded(PoolZoo, 1.5)
    path = export(name, module)
    finish_test_model(name, module, path)
    model = onnx.load(str(path))
    pools = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in model.graph.node
             if n.op_type == "MaxPool"]
    windows = sorted((p["kernel_shape"][0], p.get("strides", [1, 1])[0], max(p.get("pads", [0]))) for p in pools)
    assert windows == [(2, 1, 0), (2, 2, 0), (3, 2, 1)], windows
    return "MaxPool windows (kernel, stride, pad) " + ", ".join(map(str, windows))


def make_sin_net():
    name = "sin_net"
    module = seeded(SinNet, 2.5)
    path = export(name, module)
    finish_test_model(name, module, path)
    assert histogram(onnx.load(str(path)))["Sin"] == 1
    return "a Sin node"


def fixed_linear(module, layer, w, b):
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(w, dtype=torch.float32))
        layer.bias.copy_(torch.tensor(b, dtype=torch.float32))
    return module.eval()


def make_linear_net():
    name = "linear_net"
    module = LinearNet()
    # Multiples of 1/8: exact in float32 and in weights.json.
    fixed_linear(module, module.fc, [[0.5, -1.25, 2.0, 0.75], [-0.375, 0.25, 1.5, -2.0]], [0.25, -0.75])
    path = export(name, module)
    finish_test_model(name, module, path, weights=module.fc)
    return "fixed weights"


def make_relu_neuron():
    name = "relu_neuron"
    module = ReluNeuron()
    fixed_linear(module, module.fc, [[1.5, -2.0, 0.5]], [-0.25])
    path = export(name, module)
    finish_test_model(name, module, path, weights=module.fc)
    return "fixed weights"


MAKERS = {
    "digits_cnn": make_digits_cnn,
    "mlp_mixed": make_mlp_mixed,
    "conv_zoo": make_conv_zoo,
    "gelu_gate": make_gelu_gate,
    "gelu_op": make_gelu_op,
    "pool_zoo": make_pool_zoo,
    "sin_net": make_sin_net,
    "linear_net": make_linear_net,
    "relu_neuron": make_relu_neuron,
}


def main():
    torch.use_deterministic_algorithms(True)
    # Remove only what this script owns; anything else in these folders stays.
    for name in MAKERS:
        if SPECS[name][1].exists():
            shutil.rmtree(SPECS[name][1])
    for name, make in MAKERS.items():
        note = make()
        path = SPECS[name][1] / "model.onnx"
        model = onnx.load(str(path))
        ops = ", ".join(f"{op} {count}" for op, count in sorted(histogram(model).items()))
        print(f"{name}: opset {model.opset_import[0].version}, IR {model.ir_version}; {note}")
        print(f"  ops: {ops}")
    for name in MAKERS:
        for path in sorted(SPECS[name][1].iterdir()):
            print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
