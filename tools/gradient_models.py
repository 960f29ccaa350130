"""The PyTorch modules behind the gradient-method test models, shared by
make_gradient_models.py (which initialises or trains them and exports them to
ONNX), make_golden_captum.py (Captum's reference values) and
bench/python/gradient_speed.py (the speed comparison with Captum).

Every non-linearity is an nn.Module instance used exactly once, because Captum's
DeepLift applies its rules only to modules (functional calls such as F.relu get
plain gradients) and refuses a module that runs twice in one forward pass.

The golden script and the benchmark do not retrain anything: they build the
module and load its weights back from the committed model.onnx
(`load_onnx_weights`), so they always explain exactly the exported network.
"""

import json
import re
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
TEST_MODELS = ROOT / "src" / "test" / "resources" / "models"
SEED = 0


# ---------------------------------------------------------------- the modules


class DigitsCNN(nn.Module):
    """sklearn's 8x8 digits: image float [N,1,8,8] with raw pixel values 0..16 ->
    probabilities [N,10] (or the logits, with softmax=False: the same network
    without its final Softmax, for Captum's DeepLift on the logits)."""

    def __init__(self, softmax=True):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, 32)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)
        self.softmax = nn.Softmax(dim=1) if softmax else None

    def logits(self, image):
        h = image * (1.0 / 16.0)  # a constant Mul in the graph: pixels 0..16 -> 0..1
        h = self.pool1(self.relu1(self.conv1(h)))
        h = self.pool2(self.relu2(self.conv2(h)))
        return self.fc2(self.relu3(self.fc1(self.flatten(h))))

    def forward(self, image):
        h = self.logits(image)
        return self.softmax(h) if self.softmax is not None else h


class Copy(nn.Module):
    """x.clone(): a new tensor between two modules Captum hooks (see separate_relu_maxpool)."""

    def forward(self, x):
        return x.clone()


def separate_relu_maxpool(net):
    """The DigitsCNN with a copy between each ReLU and its MaxPool (the same function).

    Captum's DeepLift hooks a module through its input and output tensors. When a
    ReLU's output tensor is itself the MaxPool's input, the ReLU records its
    grad_output from that tensor before the MaxPool's hook replaces it, so the
    ReLU's rescale multiplier is applied to the MaxPool's plain gradient and the
    cross-max MaxPool rule never reaches the attributions (summation-to-delta then
    fails). With a copy in between, each module sees its own tensor and Captum
    applies both rules in sequence."""
    net.pool1 = nn.Sequential(Copy(), net.pool1)
    net.pool2 = nn.Sequential(Copy(), net.pool2)
    return net


class MlpMixed(nn.Module):
    """x [N,6] -> Linear(6,16) ReLU Linear(16,12) Tanh Linear(12,8) Sigmoid Linear(8,3) -> y [N,3]."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(16, 12)
        self.tanh = nn.Tanh()
        self.fc3 = nn.Linear(12, 8)
        self.sigmoid = nn.Sigmoid()
        self.fc4 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc4(self.sigmoid(self.fc3(self.tanh(self.fc2(self.relu(self.fc1(x)))))))


class ConvZoo(nn.Module):
    """x [N,2,7,7] -> y [N,3], through every linear operator a CNN export tends
    to hold and the activations Captum has rules for:

      z = (x - shift) / scale                  Sub, Div by constant tensors
      a = LeakyReLU(Conv k3 s2 p1 (z))         [N,4,4,4]
      b = AvgPool k2 s1 (ELU(Conv k3 d2 p1 g2 (z)))   [N,4,5,5] -> [N,4,4,4]
      c = Softplus(BatchNorm(concat(a, b)))    Concat on channels, BN after the
                                               Concat so the exporter cannot fold
                                               it into a Conv
      g = GlobalAveragePool(c)                 [N,8,1,1]
      g -> Squeeze(3) -> Transpose(1,2) -> Reshape(-1,2,4) -> Unsqueeze(1) -> Flatten   [N,8]
      y = Gemm(Tanh(Gemm(Sigmoid(Gemm(Dropout(g))))))
    """

    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.zeros(1, 2, 1, 1))
        self.register_buffer("scale", torch.ones(1, 2, 1, 1))
        self.conv_a = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.leaky = nn.LeakyReLU(0.1)
        self.conv_b = nn.Conv2d(2, 4, 3, dilation=2, padding=1, groups=2)
        self.elu = nn.ELU()
        self.avg = nn.AvgPool2d(2, stride=1)
        self.bn = nn.BatchNorm2d(8)
        self.softplus = nn.Softplus()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(8, 6)
        self.sigmoid = nn.Sigmoid()
        self.fc2 = nn.Linear(6, 6)
        self.tanh = nn.Tanh()
        self.fc3 = nn.Linear(6, 3)

    def forward(self, x):
        z = (x - self.shift) / self.scale
        a = self.leaky(self.conv_a(z))
        b = self.avg(self.elu(self.conv_b(z)))
        c = self.softplus(self.bn(torch.cat([a, b], dim=1)))
        g = self.gap(c).squeeze(3).transpose(1, 2).reshape(-1, 2, 4).unsqueeze(1)
        h = self.dropout(self.flatten(g))
        return self.fc3(self.tanh(self.fc2(self.sigmoid(self.fc1(h)))))


class GeluGate(nn.Module):
    """x [N,5] -> y [N,2]: a = GELU(erf)(Linear x), b = GELU(tanh)(Linear x),
    g = Sigmoid(Linear x) * Tanh(Linear x) (a product of two varying tensors),
    y = Linear(concat(a, b, g))."""

    def __init__(self):
        super().__init__()
        self.fc_a = nn.Linear(5, 4)
        self.gelu_erf = nn.GELU(approximate="none")
        self.fc_b = nn.Linear(5, 4)
        self.gelu_tanh = nn.GELU(approximate="tanh")
        self.fc_gate = nn.Linear(5, 4)
        self.sigmoid = nn.Sigmoid()
        self.fc_value = nn.Linear(5, 4)
        self.tanh = nn.Tanh()
        self.fc_out = nn.Linear(12, 2)

    def forward(self, x):
        a = self.gelu_erf(self.fc_a(x))
        b = self.gelu_tanh(self.fc_b(x))
        g = self.sigmoid(self.fc_gate(x)) * self.tanh(self.fc_value(x))
        return self.fc_out(torch.cat([a, b, g], dim=1))


class GeluOp(nn.Module):
    """x [N,5] -> Linear(5,8) GELU Linear(8,2) -> y [N,2]; exported at opset 20,
    where GELU is the single ONNX Gelu operator."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 8)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(self.gelu(self.fc1(x)))


class Sin(nn.Module):
    def forward(self, x):
        return torch.sin(x)


class PoolZoo(nn.Module):
    """x [N,2,9,9] -> y [N,3] through the three kinds of MaxPool window:

      Conv(2,4,3,p1) Relu MaxPool(k3 s2 p1)   overlapping and padded  [N,4,5,5]
      Conv(4,4,1) Tanh MaxPool(k2 s1)         overlapping             [N,4,4,4]
      Conv(4,4,1) Sigmoid MaxPool(k2)         tiling                  [N,4,2,2]
      Flatten Linear(16,3)
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 1)
        self.tanh = nn.Tanh()
        self.pool2 = nn.MaxPool2d(2, stride=1)
        self.conv3 = nn.Conv2d(4, 4, 1)
        self.sigmoid = nn.Sigmoid()
        self.pool3 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool1(self.relu(self.conv1(x)))
        x = self.pool2(self.tanh(self.conv2(x)))
        x = self.pool3(self.sigmoid(self.conv3(x)))
        return self.fc(self.flatten(x))


class SinNet(nn.Module):
    """x [N,4] -> Linear(4,6) sin Linear(6,1) -> y [N,1]: an ONNX Sin node."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.sin = Sin()
        self.fc2 = nn.Linear(6, 1)

    def forward(self, x):
        return self.fc2(self.sin(self.fc1(x)))


class LinearNet(nn.Module):
    """x [N,4] -> Linear(4,2) -> y [N,2]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


class ReluNeuron(nn.Module):
    """x [N,3] -> Linear(3,1) ReLU -> y [N,1]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.fc(x))


# Name -> (module class, folder, input name, instance shape, output name, output names).
SPECS = {
    "digits_cnn": (DigitsCNN, MODELS / "digits_cnn", "image", (1, 8, 8), "probabilities", [str(d) for d in range(10)]),
    "mlp_mixed": (MlpMixed, TEST_MODELS / "mlp_mixed", "x", (6,), "y", ["y0", "y1", "y2"]),
    "conv_zoo": (ConvZoo, TEST_MODELS / "conv_zoo", "x", (2, 7, 7), "y", ["y0", "y1", "y2"]),
    "gelu_gate": (GeluGate, TEST_MODELS / "gelu_gate", "x", (5,), "y", ["y0", "y1"]),
    "gelu_op": (GeluOp, TEST_MODELS / "gelu_op", "x", (5,), "y", ["y0", "y1"]),
    "pool_zoo": (PoolZoo, TEST_MODELS / "pool_zoo", "x", (2, 9, 9), "y", ["y0", "y1", "y2"]),
    "sin_net": (SinNet, TEST_MODELS / "sin_net", "x", (4,), "y", ["y"]),
    "linear_net": (LinearNet, TEST_MODELS / "linear_net", "x", (4,), "y", ["y0", "y1"]),
    "relu_neuron": (ReluNeuron, TEST_MODELS / "relu_neuron", "x", (3,), "y", ["y"]),
}


def feature_names(name):
    """Feature names of a model's flattened instance (row-major)."""
    shape = SPECS[name][3]
    if name.startswith("digits"):
        return [f"px_{r}_{c}" for r in range(8) for c in range(8)]
    if len(shape) == 1:
        return [f"x{i}" for i in range(shape[0])]
    channels, height, width = shape
    return [f"c{ch}_{r}_{c}" for ch in range(channels) for r in range(height) for c in range(width)]


# ------------------------------------------------------- weights from ONNX


def load_onnx_weights(module, path):
    """Copy every parameter and buffer of `module` from the initializer of the
    same name in the ONNX file at `path` (the legacy exporter keeps the
    state_dict names). BatchNorm's num_batches_tracked is not exported and is
    not used in eval mode. Returns the module in eval mode."""
    initializers = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    state = module.state_dict()
    loaded = {}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            loaded[key] = value
            continue
        if key not in initializers:
            raise KeyError(f"{path}: no initializer named {key!r} (have {sorted(initializers)})")
        array = initializers[key]
        if tuple(array.shape) != tuple(value.shape):
            raise ValueError(f"{path}: {key} has shape {array.shape}, the module wants {tuple(value.shape)}")
        loaded[key] = torch.from_numpy(array.copy())
    module.load_state_dict(loaded)
    return module.eval()


def build_from_onnx(name, **kwargs):
    """The module of a model, with the weights of its committed model.onnx."""
    cls, folder = SPECS[name][0], SPECS[name][1]
    return load_onnx_weights(cls(**kwargs), folder / "model.onnx")


# ------------------------------------------------------------------ data


def load_digits_split():
    """sklearn's digits with tools/make_models.py's split: features rounded to
    float32, train_test_split(random_state=0). Returns float64 arrays
    (x_train, x_test, y_train, y_test), x as [rows, 64]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = data.data.astype(np.float32).astype(np.float64)
    return train_test_split(x, data.target, random_state=SEED)


def read_background(folder):
    """A model's background.csv (header line, then float32 values) as float32 [rows, features]."""
    return np.loadtxt(folder / "background.csv", delimiter=",", skiprows=1, dtype=np.float32, ndmin=2)


def read_config(folder):
    return json.loads((folder / "config.json").read_text())


def onnx_outputs(folder, rows):
    """The committed model's outputs for the rows, run by onnxruntime on one thread, as float64."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: np.asarray(rows).astype(np.float32)})
    return out.astype(np.float64)


def write_golden(document, name):
    """Writes src/test/resources/golden/<name> as indented JSON with each list of numbers on one line."""
    text = json.dumps(document, indent=2)
    text = re.sub(r"\[([^\[\]{}\"]*)\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]",
                  text) + "\n"
    path = ROOT / "src" / "test" / "resources" / "golden" / name
    path.write_text(text)
    return path
