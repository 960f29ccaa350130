"""Parts that need no server: tensors, parameters, channel settings."""

import numpy as np
import pytest

from prism_client import ExplainResult, _channel, _tensors
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
    assert options == {"grpc.max_receive_message_length": 1024, "grpc.lb_policy_name": "round_robin",
                       "grpc.enable_retries": 0}


def _image_result(instance_shape, outputs=1):
    """A result whose attribution of element e for output k is 100 * k + e, and whose data is e."""
    size = int(np.prod(instance_shape))
    values = np.stack([np.arange(size) + 100.0 * k for k in range(outputs)], axis=-1)[np.newaxis].repeat(2, axis=0)
    return ExplainResult(model="m", method="saliency", feature_names=[f"e{e}" for e in range(size)],
                         output_names=[str(k) for k in range(outputs)], values=values,
                         base_values=np.zeros((2, outputs)), model_outputs=np.zeros((2, outputs)), std_errors=None,
                         data=np.arange(2 * size, dtype=float).reshape(2, size) % size,
                         mean_abs_values=np.zeros((size, outputs)), elapsed_seconds=0.0, partial=False,
                         diagnostics=None, instance_shape=instance_shape)


def test_to_shap_reads_three_dimensions_as_channels_first_unless_told():
    # [C=3, H=2, W=4]: element e = (c * 2 + h) * 4 + w.
    first = _image_result((3, 2, 4), outputs=2).to_shap()
    assert first.values.shape == (2, 2, 4, 3, 2)
    assert first.values[1, 1, 2, 0, 1] == 100 + (0 * 2 + 1) * 4 + 2
    assert first.values[0, 0, 3, 2, 0] == (2 * 2 + 0) * 4 + 3
    assert first.data[0, 1, 0, 1] == (1 * 2 + 1) * 4 + 0
    # [H=3, W=2, C=4]: element e = (h * 2 + w) * 4 + c.
    last = _image_result((3, 2, 4)).to_shap(channels_last=True)
    assert last.values.shape == (2, 3, 2, 4)
    assert last.values[0, 2, 1, 3] == (2 * 2 + 1) * 4 + 3


def test_to_shap_gives_a_two_dimensional_instance_one_channel_and_leaves_rows_flat():
    grey = _image_result((3, 5)).to_shap()
    assert grey.values.shape == (2, 3, 5, 1)
    assert grey.values[1, 2, 4, 0] == 2 * 5 + 4
    assert grey.feature_names is None
    rows = _image_result((6,)).to_shap()
    assert rows.values.shape == (2, 6)
    assert list(rows.feature_names) == [f"e{e}" for e in range(6)]


def test_shaps_spellings_that_mean_the_same():
    kernel = explain_service_pb2.KernelShapParams()
    fill(kernel, {"nsamples": 100, "l1_reg": "aic"}, "kernel_shap")
    fill(kernel, {"nsamples": "auto", "l1_reg": False}, "kernel_shap")
    assert kernel.nsamples == 0
    assert not kernel.HasField("l1_reg")
    for none in (0, 0.0):
        fill(kernel, {"l1_reg": "bic"}, "kernel_shap")
        fill(kernel, {"l1_reg": none}, "kernel_shap")
        assert not kernel.HasField("l1_reg")
    fill(kernel, {"l1_reg": "num_features(10)"}, "kernel_shap")
    assert kernel.l1_reg == explain_service_pb2.L1Reg(num_features=10)


def test_shaps_spellings_that_mean_something_else_are_refused():
    kernel = explain_service_pb2.KernelShapParams()
    with pytest.raises(TypeError, match=r"^kernel_shap.l1_reg=5 is ambiguous: shap reads an int as a Lasso alpha; "
                                        r"pass 'num_features\(5\)' for the top 5 features, or 5.0 for the alpha$"):
        fill(kernel, {"l1_reg": 5}, "kernel_shap")
    with pytest.raises(ValueError, match=r"^kernel_shap.l1_reg='auto' \(shap's deprecated default"):
        fill(kernel, {"l1_reg": "auto"}, "kernel_shap")
    with pytest.raises(TypeError, match=r"kernel_shap.l1_reg takes 'num_features\(k\)', .* got True"):
        fill(kernel, {"l1_reg": True}, "kernel_shap")
    with pytest.raises(ValueError, match=r"^kernel_shap has no parameter 'silent' \(shap's progress-bar switch; "
                                         r"here a bar is drawn only with progress=True\); its parameters: nsamples,"):
        fill(kernel, {"silent": True}, "kernel_shap")
    with pytest.raises(TypeError, match=r"permutation_shap.max_evals must be an integer, got 'auto'"):
        fill(explain_service_pb2.PermutationShapParams(), {"max_evals": "auto"}, "permutation_shap")
    assert not kernel.HasField("l1_reg")
