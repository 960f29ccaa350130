"""Parts that need no server: tensors, parameters, channel settings."""

import numpy as np
import pytest

from prism_client import _channel, _tensors
from prism_client._proto.prism.v1 import explain_service_pb2, tensor_pb2
from prism_client._request import fill


def test_raw_data_round_trips_every_dtype():
    values = np.array([[1.5, -2.0], [3.25, 4.0]])
    for dtype in ("float32", "float64"):
        np.testing.assert_array_equal(_tensors.decode(_tensors.encode(values, dtype)), values)
    integers = np.array([[1, -2], [3, 2**40]])
    np.testing.assert_array_equal(_tensors.decode(_tensors.encode(integers, "int64")), integers)
    assert _tensors.encode(values, "float32").raw_data == values.astype("<f4").tobytes()


def test_typed_fields_decode_like_raw_data():
    doubles = tensor_pb2.Tensor(shape=[2, 2], double_data=[1.0, 2.0, 3.0, 4.0])
    floats = tensor_pb2.Tensor(shape=[2, 2], float_data=[1.0, 2.0, 3.0, 4.0])
    int64s = tensor_pb2.Tensor(shape=[2, 2], int64_data=[1, 2, 3, 4])
    for tensor in (doubles, floats, int64s):
        np.testing.assert_array_equal(_tensors.decode(tensor), [[1, 2], [3, 4]])


def test_a_tensor_whose_shape_disagrees_with_its_values_is_refused():
    with pytest.raises(ValueError, match=r"shape \[3\] but 2 values"):
        _tensors.decode(tensor_pb2.Tensor(name="t", shape=[3], double_data=[1.0, 2.0]))


def test_integer_inputs_refuse_fractions_instead_of_truncating():
    with pytest.raises(ValueError, match=r"value at \(0, 1\) is 2.5, but the model's input 'tokens' is int64"):
        _tensors.encode(np.array([[1.0, 2.5]]), "int64", "tokens")
    assert _tensors.encode(np.array([[1.0, 2.0]]), "int32").dtype == tensor_pb2.DATA_TYPE_INT32


def test_nested_parameters_and_arrays():
    lime = explain_service_pb2.LimeParams()
    coalitions = np.array([[1, 0], [0, 1]])
    fill(lime, {"discretizer": "decile", "neighbourhood": {"data": coalitions}}, "lime")
    assert lime.discretizer == explain_service_pb2.LimeParams.DISCRETIZER_DECILE
    np.testing.assert_array_equal(_tensors.decode(lime.neighbourhood.data), coalitions)
    kernel = explain_service_pb2.KernelShapParams()
    fill(kernel, {"l1_reg": "bic", "coalition_weights": np.array([0.5, 0.25])}, "kernel_shap")
    assert kernel.l1_reg.criterion == explain_service_pb2.L1Reg.CRITERION_BIC
    assert list(kernel.coalition_weights) == [0.5, 0.25]
    fill(kernel, {"l1_reg": 0.01}, "kernel_shap")
    assert kernel.l1_reg.alpha == 0.01


def test_tls_options(tmp_path):
    assert _channel.credentials(credentials=None, tls=None, root_certificates=None, certificate_chain=None,
                                private_key=None) is None
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    assert _channel._pem(pem) == b"-----BEGIN CERTIFICATE-----\n"
    assert _channel._pem("-----BEGIN CERTIFICATE-----\n") == b"-----BEGIN CERTIFICATE-----\n"
    with pytest.raises(ValueError, match="needs both certificate_chain and private_key"):
        _channel.credentials(credentials=None, tls=None, root_certificates=None, certificate_chain=b"x",
                             private_key=None)
    with pytest.raises(ValueError, match="tls=False contradicts root_certificates"):
        _channel.credentials(credentials=None, tls=False, root_certificates=b"x", certificate_chain=None,
                             private_key=None)


def test_default_channel_options_can_be_overridden():
    options = dict(_channel.options([("grpc.max_receive_message_length", 1024), ("grpc.enable_retries", 0)]))
    assert options == {"grpc.max_receive_message_length": 1024, "grpc.enable_retries": 0}
