"""A KServe ModelServer (kserve from PyPI) serving ONNX files with onnxruntime over the Open Inference
Protocol's gRPC API, as a model server in front of Prism would:

    python onnx_backend.py --model NAME=PATH [--model ...] --grpc_port P --http_port Q

The metadata is the ONNX graph's, with -1 for dynamic dimensions; ModelInfer runs the session and
answers with the requested outputs (all when none is named) as raw little-endian contents.
"""

import argparse

import kserve
import numpy as np
import onnxruntime as ort
from kserve import InferOutput, InferRequest, InferResponse

_DATATYPES = {
    "tensor(float)": "FP32",
    "tensor(double)": "FP64",
    "tensor(int32)": "INT32",
    "tensor(int64)": "INT64",
    "tensor(string)": "BYTES",
}


def _tensors(args):
    return [
        {
            "name": a.name,
            "datatype": _DATATYPES.get(a.type, a.type),
            "shape": [d if isinstance(d, int) else -1 for d in a.shape],
        }
        for a in args
    ]


class OnnxModel(kserve.Model):
    def __init__(self, name, path):
        super().__init__(name)
        self.path = path
        self.session = None

    def load(self):
        options = ort.SessionOptions()
        # One thread a run, as Prism runs its own models, so that a row's result is the same in any batch.
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        self.ready = True
        return self.ready

    def get_input_types(self):
        return _tensors(self.session.get_inputs())

    def get_output_types(self):
        return _tensors(self.session.get_outputs())

    async def predict(self, payload: InferRequest, headers=None, response_headers=None):
        feeds = {i.name: i.as_numpy() for i in payload.inputs}
        wanted = [o.name for o in (payload.request_outputs or [])] or [o.name for o in self.session.get_outputs()]
        values = self.session.run(wanted, feeds)
        outputs = []
        for name, value in zip(wanted, values):
            value = np.asarray(value)
            out = InferOutput(name=name, shape=list(value.shape), datatype=_DATATYPES[
                next(o.type for o in self.session.get_outputs() if o.name == name)])
            out.set_data_from_numpy(value, binary_data=True)
            outputs.append(out)
        return InferResponse(response_id=payload.id, model_name=self.name, infer_outputs=outputs,
                             use_binary_outputs=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append", required=True, help="NAME=PATH of an ONNX file")
    parser.add_argument("--grpc_port", type=int, required=True)
    parser.add_argument("--http_port", type=int, required=True)
    known, _ = parser.parse_known_args()
    models = []
    for spec in known.model:
        name, path = spec.split("=", 1)
        model = OnnxModel(name, path)
        model.load()
        models.append(model)
    kserve.ModelServer(grpc_port=known.grpc_port, http_port=known.http_port, workers=1).start(models)


if __name__ == "__main__":
    main()
