"""numpy arrays to and from prism.v1.Tensor."""

import math

import numpy as np

from ._proto.prism.v1 import tensor_pb2

# Little-endian, as Tensor.raw_data is defined.
_NUMPY_DTYPES = {
    tensor_pb2.DATA_TYPE_FLOAT32: np.dtype("<f4"),
    tensor_pb2.DATA_TYPE_FLOAT64: np.dtype("<f8"),
    tensor_pb2.DATA_TYPE_INT32: np.dtype("<i4"),
    tensor_pb2.DATA_TYPE_INT64: np.dtype("<i8"),
}

DTYPE_NAMES = {
    tensor_pb2.DATA_TYPE_UNSPECIFIED: "unspecified",
    tensor_pb2.DATA_TYPE_FLOAT32: "float32",
    tensor_pb2.DATA_TYPE_FLOAT64: "float64",
    tensor_pb2.DATA_TYPE_INT32: "int32",
    tensor_pb2.DATA_TYPE_INT64: "int64",
}
_DATA_TYPES = {name: number for number, name in DTYPE_NAMES.items()}


def encode(values: np.ndarray, dtype: str, name: str = "") -> tensor_pb2.Tensor:
    """A tensor of `values` as packed little-endian `raw_data` of `dtype` ("float32", "int64", ...).

    Integer dtypes refuse fractional values rather than truncate them.
    """
    data_type = _DATA_TYPES.get(dtype)
    if data_type not in _NUMPY_DTYPES:
        raise ValueError(f"cannot send values as dtype {dtype!r}")
    target = _NUMPY_DTYPES[data_type]
    values = np.asarray(values)
    if target.kind == "i" and values.dtype.kind == "f":
        fractional = values != np.round(values)
        if fractional.any():
            first = tuple(int(i) for i in np.argwhere(fractional)[0])
            raise ValueError(f"value at {first} is {values[first]}, but the model's input '{name}' is {dtype}")
    packed = np.ascontiguousarray(values, dtype=target)
    return tensor_pb2.Tensor(name=name, dtype=data_type, shape=packed.shape, raw_data=packed.tobytes())


def decode(tensor: tensor_pb2.Tensor) -> np.ndarray:
    """The tensor's values shaped by its shape, from whichever field carries them."""
    if tensor.raw_data:
        if tensor.dtype not in _NUMPY_DTYPES:
            raise ValueError(f"tensor '{tensor.name}' has raw_data without a dtype")
        values = np.frombuffer(tensor.raw_data, dtype=_NUMPY_DTYPES[tensor.dtype]).astype(
            _NUMPY_DTYPES[tensor.dtype].newbyteorder("="))
    elif tensor.double_data:
        values = np.array(tensor.double_data, dtype=np.float64)
    elif tensor.float_data:
        values = np.array(tensor.float_data, dtype=np.float32)
    elif tensor.int_data:
        values = np.array(tensor.int_data, dtype=np.int32)
    elif tensor.int64_data:
        values = np.array(tensor.int64_data, dtype=np.int64)
    else:
        values = np.empty(0, dtype=np.float64)
    shape = tuple(tensor.shape)
    if values.size != math.prod(shape):
        raise ValueError(f"tensor '{tensor.name}' has shape {list(shape)} but {values.size} values")
    return values.reshape(shape)
