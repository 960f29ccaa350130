"""ExplainRequest, EvaluateRequest, ExplainByExampleRequest and PredictRequest messages from Python arguments."""

import datetime
import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from google.protobuf import descriptor, message

from . import _inputs, _tensors
from ._proto.prism.v1 import example_service_pb2, explain_service_pb2, model_service_pb2, tensor_pb2
from .models import ModelInfo
from .results import SentInstances

#: The explanation methods, as the fields of ExplainRequest's `method` oneof name them.
METHODS: tuple[str, ...] = tuple(
    f.name for f in explain_service_pb2.ExplainRequest.DESCRIPTOR.oneofs_by_name["method"].fields)

#: A time budget: seconds, or a timedelta.
TimeBudget = float | datetime.timedelta
# google.protobuf.Duration's range: 10,000 years.
_MAX_DURATION_NANOS = 315_576_000_000 * 10**9 + 999_999_999

_FEATURE_GROUPINGS = tuple(f.name for f in explain_service_pb2.FeatureGroups.DESCRIPTOR.fields)


def merge_params(method: str, params: Mapping[str, Any] | None, method_params: Mapping[str, Any]) -> dict:
    """`params=` and `**method_params` together; a name given in both is an error."""
    both = sorted(set(params or {}) & set(method_params))
    if both:
        raise TypeError(f"{method} parameter(s) {both} given both in params= and as keywords")
    return {**(params or {}), **method_params}


def predict_request(model: ModelInfo, x: Any) -> model_service_pb2.PredictRequest:
    batch = _inputs.instances(x, model)
    return model_service_pb2.PredictRequest(model=model.name, inputs=[_input_tensor(batch, model)])


def explain_request(model: ModelInfo, x: Any, method: str, params: Mapping[str, Any], *,
                    background: Any = None, background_weights: Any = None, background_kmeans: int = 0,
                    outputs: str | Sequence[str] | None = None, seed: int | None = None, link: Any = None,
                    feature_groups: Any = None, baseline: Any = None, time_budget: Any = None,
                    evaluate: Any = None, per_explanation: bool = False
                    ) -> tuple[explain_service_pb2.ExplainRequest, SentInstances]:
    """The request, and what the result needs of the instances: their values as [instances,
    elements] rows (None when features are groups), their pandas index, one instance's shape."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    evaluation = evaluation_params(evaluate)
    batch = _inputs.instances(x, model)
    request = explain_service_pb2.ExplainRequest(model=model.name, inputs=[_input_tensor(batch, model)])
    getattr(request, method).SetInParent()
    fill(getattr(request, method), params, method)
    # The compact format has no per-explanation messages to carry an evaluation: the server refuses it.
    request.format = (explain_service_pb2.FORMAT_PER_EXPLANATION if per_explanation or evaluation is not None
                      else explain_service_pb2.FORMAT_COMPACT)
    if evaluation is not None:
        request.evaluate.CopyFrom(evaluation)
    if background is not None:
        request.background.CopyFrom(_input_tensor(_inputs.instances(background, model, "background"), model))
    if background_weights is not None:
        request.background_weights.extend(_floats(background_weights, "background_weights"))
    request.background_kmeans = _integer(background_kmeans, "background_kmeans")
    if outputs is not None:
        request.outputs.extend([outputs] if isinstance(outputs, str) else [str(o) for o in outputs])
    if seed is not None:
        seed = _integer(seed, "seed")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        request.seed = seed
    if link is not None:
        request.link = enum_value(explain_service_pb2.Link.DESCRIPTOR, link, "link")
    if feature_groups is not None:
        request.feature_groups.CopyFrom(_feature_groups(feature_groups, model))
    if baseline is not None:
        request.baseline.CopyFrom(_baseline(baseline, model))
    if time_budget is not None:
        request.time_budget.FromNanoseconds(_time_budget_nanos(time_budget))
    data = None if feature_groups is not None else batch.reshape(batch.shape[0], -1)
    return request, SentInstances(data, _inputs.index(x), model.instance_shape)


#: The metrics `evaluate=True` asks for: cheap ones, a few model rows per point of one curve.
DEFAULT_EVALUATION = {"complexity": {}, "deletion": {"steps": 10}}

_METRICS = tuple(explain_service_pb2.EvaluationParams.DESCRIPTOR.fields_by_name)


def evaluation_params(spec: Any) -> explain_service_pb2.EvaluationParams | None:
    """The EvaluationParams of an `evaluate=` argument: None or False (no evaluation), True (the
    DEFAULT_EVALUATION), an EvaluationParams message, or a mapping from metric names to their
    parameters ({"deletion": {"steps": 20}, "sensitivity": {"seed": 3}}), True or {} for a
    metric's defaults."""
    if spec is None or spec is False:
        return None
    if spec is True:
        spec = DEFAULT_EVALUATION
    if isinstance(spec, explain_service_pb2.EvaluationParams):
        params = spec
    elif isinstance(spec, Mapping):
        params = explain_service_pb2.EvaluationParams()
        for metric, metric_params in spec.items():
            if metric not in _METRICS:
                raise ValueError(f"evaluate has no metric {metric!r}; its metrics: {', '.join(_METRICS)}")
            if metric_params is True:
                metric_params = {}
            if not isinstance(metric_params, (Mapping, message.Message)):
                raise ValueError(f"evaluate[{metric!r}] takes a mapping of its parameters or True, "
                                 f"got {metric_params!r}")
            _set(params, params.DESCRIPTOR.fields_by_name[metric], metric_params, f"evaluate.{metric}")
    else:
        raise ValueError(f"evaluate takes True, a mapping of metrics ({', '.join(_METRICS)}) to their "
                         f"parameters, or an EvaluationParams message; got {spec!r}")
    if not any(params.HasField(m) for m in _METRICS):
        raise ValueError(f"evaluate names no metric; its metrics: {', '.join(_METRICS)}")
    return params


def evaluate_request(request: explain_service_pb2.ExplainRequest, evaluate: Any, attributions: Any,
                     outputs: Sequence[str], features: int | None) -> explain_service_pb2.EvaluateRequest:
    """The EvaluateRequest over an explain request: its fields with the metrics of `evaluate` (at
    least one) and no time budget, and the given `attributions` (None: the server explains first),
    laid out as `ExplainResult.values` for the explained `outputs` and, when known, `features`."""
    evaluation = evaluation_params(evaluate)
    if evaluation is None:
        raise ValueError("evaluate must name at least one metric: True, a mapping of metrics to their parameters, "
                         "or an EvaluationParams")
    explained = explain_service_pb2.ExplainRequest()
    explained.CopyFrom(request)
    explained.evaluate.CopyFrom(evaluation)
    explained.format = explain_service_pb2.FORMAT_PER_EXPLANATION
    # Evaluate refuses a time budget: it measures values already made, to the end.
    explained.ClearField("time_budget")
    result = explain_service_pb2.EvaluateRequest(request=explained)
    if attributions is not None:
        instances = explained.inputs[0].shape[0]
        result.attributions.extend(given_attributions(attributions, instances, outputs, features))
    return result


def given_attributions(attributions: Any, instances: int, outputs: Sequence[str], features: int | None
                       ) -> list[explain_service_pb2.GivenAttributions]:
    """One GivenAttributions per instance and output from an array [instances, features, outputs]
    (`ExplainResult.values`' layout), or [instances, features] when one output is explained."""
    array = np.asarray(attributions)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"attributions must hold numbers, got {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if array.ndim == 2 and len(outputs) == 1:
        array = array[:, :, np.newaxis]
    expected = [instances, "features" if features is None else features, len(outputs)]
    if (array.ndim != 3 or array.shape[0] != instances or array.shape[2] != len(outputs)
            or (features is not None and array.shape[1] != features)):
        one = " (or [instances, features] when one output is explained)" if len(outputs) == 1 else ""
        raise ValueError(f"attributions must be shaped [instances, features, outputs] = {expected}{one}, "
                         f"as ExplainResult.values, for outputs {list(outputs)}; got {list(array.shape)}")
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        i, j, k = bad[0]
        raise ValueError(f"attributions must be finite, got {array[i, j, k]} at instance {i}, feature {j}, "
                         f"output {outputs[k]!r}")
    return [explain_service_pb2.GivenAttributions(instance=i, output=name, values=array[i, :, k].tolist())
            for i in range(instances) for k, name in enumerate(outputs)]


def explained_outputs(request: explain_service_pb2.ExplainRequest, model: ModelInfo) -> list[str]:
    """The outputs a request explains: those it names, else every one of the model's."""
    return list(request.outputs) or list(model.output_names)


def attributed_features(request: explain_service_pb2.ExplainRequest) -> int | None:
    """The attributions' length the request asks for, where the client knows it without the server:
    one per element of an instance without feature groups, one per explicit group; None for the
    other groupings."""
    if not request.HasField("feature_groups"):
        return math.prod(request.inputs[0].shape[1:])
    if request.feature_groups.HasField("explicit"):
        return len(request.feature_groups.explicit.groups)
    return None


def example_request(model: ModelInfo, x: Any, k: int, space: Any, unlike_neighbour: Any, prototypes: Any
                    ) -> example_service_pb2.ExplainByExampleRequest:
    """The ExplainByExampleRequest of `Client.explain_by_example`'s arguments."""
    batch = _inputs.instances(x, model)
    request = example_service_pb2.ExplainByExampleRequest(
        model=model.name, instances=_input_tensor(batch, model), k=_integer(k, "k"),
        space=enum_value(example_service_pb2.ExampleSpace.DESCRIPTOR, space, "space"))
    if unlike_neighbour is not None and unlike_neighbour is not False:
        threshold = 0.0 if unlike_neighbour is True else unlike_neighbour
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise TypeError(f"unlike_neighbour takes a threshold (standard deviations, at least 0), True for 0, "
                            f"or None; got {unlike_neighbour!r}")
        request.unlike_neighbour.threshold = float(threshold)
    if prototypes is not None:
        if isinstance(prototypes, example_service_pb2.PrototypeOptions):
            request.prototypes.CopyFrom(prototypes)
        elif isinstance(prototypes, Mapping):
            request.prototypes.SetInParent()
            fill(request.prototypes, prototypes, "prototypes")
        else:
            raise TypeError("prototypes takes a mapping such as {'set': 'reference', 'prototypes': 5, "
                            f"'criticisms': 2}} or a PrototypeOptions; got {prototypes!r}")
    return request


def with_instances(request: explain_service_pb2.ExplainRequest, batch: np.ndarray,
                   model: ModelInfo) -> explain_service_pb2.ExplainRequest:
    """A copy of the request that explains the instances `batch` ([instances, *instance shape])."""
    copy = explain_service_pb2.ExplainRequest()
    copy.CopyFrom(request)
    del copy.inputs[:]
    copy.inputs.append(_input_tensor(batch, model))
    return copy


def _time_budget_nanos(budget: Any) -> int:
    """A time budget (seconds as a number, or a timedelta) in whole nanoseconds, at least one."""
    if isinstance(budget, datetime.timedelta):
        nanos = budget // datetime.timedelta(microseconds=1) * 1000
    elif isinstance(budget, numbers.Real) and not isinstance(budget, bool):
        if not math.isfinite(budget):
            raise ValueError(f"time_budget must be a finite number of seconds, got {budget!r}")
        nanos = round(float(budget) * 1e9)
    else:
        raise TypeError(f"time_budget takes seconds (a number) or a datetime.timedelta, got {budget!r}")
    if nanos <= 0:
        raise ValueError(f"time_budget must be positive (at least 1 ns), got {budget!r}")
    if nanos > _MAX_DURATION_NANOS:
        raise ValueError(f"time_budget {budget!r} is longer than a protobuf Duration holds (10,000 years)")
    return nanos


def _input_tensor(batch: np.ndarray, model: ModelInfo) -> tensor_pb2.Tensor:
    return _tensors.encode(batch, model.input.dtype, model.explained_input)


# shap's KernelExplainer.shap_values keywords that have no counterpart in a request, and why.
_SHAP_ONLY = {
    "silent": "shap's progress-bar switch; here a bar is drawn only with progress=True",
    "gc_collect": "shap's garbage collection between instances; the work runs on the server",
}
# Fields that take shap's "auto" for the server's default (0): KernelExplainer's nsamples="auto"
# is 2M + 2048, as Prism's.
_AUTO_MEANS_DEFAULT = {"prism.v1.KernelShapParams.nsamples"}


def fill(target: message.Message, values: Mapping[str, Any], path: str) -> None:
    """Sets the message's fields from a mapping, naming the parameter path in every error."""
    fields = target.DESCRIPTOR.fields_by_name
    for key, value in values.items():
        if key not in fields:
            known = ", ".join(fields) if fields else "none"
            why = f" ({_SHAP_ONLY[key]})" if key in _SHAP_ONLY else ""
            raise ValueError(f"{path} has no parameter {key!r}{why}; its parameters: {known}")
        _set(target, fields[key], value, f"{path}.{key}")


def _set(target: message.Message, field: descriptor.FieldDescriptor, value: Any, path: str) -> None:
    if field.is_repeated:
        container = getattr(target, field.name)
        del container[:]
        if field.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
            for item in value:
                _set_message(container.add(), field.message_type, item, path)
        else:
            container.extend(_scalar(field, v, f"{path}[{i}]") for i, v in enumerate(np.ravel(value)))
    elif field.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == explain_service_pb2.L1Reg.DESCRIPTOR.full_name and _no_selection(value):
            target.ClearField(field.name)
        else:
            _set_message(getattr(target, field.name), field.message_type, value, path)
    elif isinstance(value, str) and value == "auto" and field.full_name in _AUTO_MEANS_DEFAULT:
        target.ClearField(field.name)
    else:
        setattr(target, field.name, _scalar(field, value, path))


def _set_message(target: message.Message, kind: descriptor.Descriptor, value: Any, path: str) -> None:
    if isinstance(value, Mapping) and kind.full_name != tensor_pb2.Tensor.DESCRIPTOR.full_name:
        target.SetInParent()
        fill(target, value, path)
        return
    # Converted first, so that a refused value leaves the field as it was.
    if isinstance(value, message.Message):
        if value.DESCRIPTOR.full_name != kind.full_name:
            raise TypeError(f"{path} takes a {kind.full_name}, got a {value.DESCRIPTOR.full_name}")
        converted = value
    elif kind.full_name == tensor_pb2.Tensor.DESCRIPTOR.full_name:
        converted = _tensors.encode(_floats_array(value, path), "float64")
    elif kind.full_name == explain_service_pb2.L1Reg.DESCRIPTOR.full_name:
        converted = _l1_reg(value, path)
    else:
        raise TypeError(f"{path} takes a mapping of {kind.name}'s fields, got {type(value).__name__}")
    target.SetInParent()
    target.CopyFrom(converted)


def _no_selection(value: Any) -> bool:
    """shap's l1_reg values that select nothing: False, and 0 (which shap compares equal to False)."""
    return value is False or (isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0)


_NUM_FEATURES = re.compile(r"num_features\((\d+)\)")


def _l1_reg(value: Any, path: str) -> explain_service_pb2.L1Reg:
    """shap's l1_reg spellings: "num_features(k)", "aic", "bic", a float alpha; False (no selection)
    is handled by the caller. An int other than 0 is refused as ambiguous: shap reads it as a Lasso
    alpha, a reader may take it for k."""
    if isinstance(value, str):
        count = _NUM_FEATURES.fullmatch(value.strip())
        if count:
            return explain_service_pb2.L1Reg(num_features=int(count.group(1)))
        if value.strip().lower() == "auto":
            raise ValueError(f"{path}='auto' (shap's deprecated default: AIC when under 20% of the coalitions "
                             "are evaluated) has no counterpart here; pass 'aic', 'num_features(k)', or False "
                             "for no selection")
        return explain_service_pb2.L1Reg(criterion=enum_value(
            explain_service_pb2.L1Reg.Criterion.DESCRIPTOR, value, path))
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        raise TypeError(f"{path}={value!r} is ambiguous: shap reads an int as a Lasso alpha; pass "
                        f"'num_features({value})' for the top {value} features, or {float(value)!r} for the alpha")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return explain_service_pb2.L1Reg(alpha=float(value))
    raise TypeError(f"{path} takes 'num_features(k)', 'aic', 'bic', an alpha (float), False (no selection) or a "
                    f"mapping, got {value!r}")


def _scalar(field: descriptor.FieldDescriptor, value: Any, path: str) -> Any:
    kind = field.cpp_type
    FD = descriptor.FieldDescriptor
    if kind == FD.CPPTYPE_ENUM:
        return enum_value(field.enum_type, value, path)
    if kind == FD.CPPTYPE_BOOL:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{path} must be True or False, got {value!r}")
        return bool(value)
    if kind in (FD.CPPTYPE_INT32, FD.CPPTYPE_INT64, FD.CPPTYPE_UINT32, FD.CPPTYPE_UINT64):
        return _integer(value, path)
    if kind in (FD.CPPTYPE_FLOAT, FD.CPPTYPE_DOUBLE):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{path} must be a number, got {value!r}")
        return float(value)
    if kind == FD.CPPTYPE_STRING:
        if not isinstance(value, str):
            raise TypeError(f"{path} must be a string, got {value!r}")
        return value
    raise TypeError(f"{path} cannot be set from Python")


def _integer(value: Any, path: str) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raise TypeError(f"{path} must be an integer, got {value!r}")


def _floats(values: Any, path: str) -> list[float]:
    return [float(v) for v in np.ravel(_floats_array(values, path))]


def _floats_array(values: Any, path: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{path} must hold numbers, got {array.dtype}")
    return array.astype(np.float64, copy=False)


def enum_value(enum: descriptor.EnumDescriptor, value: Any, path: str) -> int:
    """An enum value from its name, with or without the enum's prefix, in any case, or its number."""
    names = [v.name for v in enum.values]
    prefix = os.path.commonprefix(names)
    prefix = prefix[: prefix.rfind("_") + 1]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) in enum.values_by_number:
        return int(value)
    if isinstance(value, str):
        wanted = value.upper()
        for v in enum.values:
            if wanted in (v.name, v.name[len(prefix):]):
                return v.number
    choices = [v.name[len(prefix):].lower() for v in enum.values if not v.name.endswith("_UNSPECIFIED")]
    raise ValueError(f"{path} must be one of {choices}, got {value!r}")


def _feature_groups(groups: Any, model: ModelInfo) -> explain_service_pb2.FeatureGroups:
    """A FeatureGroups message, or a mapping with one of its groupings:
    {"explicit": {name: [feature names or element indices]}}, {"grid": {"patch_height": 2, ...}},
    {"segments": segment ids (one per element)} or {"tokens": {}}."""
    if isinstance(groups, explain_service_pb2.FeatureGroups):
        return groups
    if not isinstance(groups, Mapping) or len(groups) != 1 or next(iter(groups)) not in _FEATURE_GROUPINGS:
        raise ValueError(f"feature_groups takes a mapping with one of {list(_FEATURE_GROUPINGS)}, e.g. "
                         "{'explicit': {'petals': ['petal_length', 'petal_width']}}; got " + repr(groups))
    (kind, value), = groups.items()
    result = explain_service_pb2.FeatureGroups()
    if kind == "explicit":
        result.explicit.SetInParent()
        for name, members in value.items():
            elements = [_element(m, model, f"feature_groups.explicit[{name!r}]") for m in members]
            result.explicit.groups.add(name=str(name), elements=elements)
    elif kind == "segments":
        ids = np.asarray(value)
        result.segments.segment_ids.extend(_integer(v, "feature_groups.segments") for v in ids.ravel())
    else:
        _set_message(getattr(result, kind), getattr(result, kind).DESCRIPTOR, value, f"feature_groups.{kind}")
    return result


def _element(member: Any, model: ModelInfo, path: str) -> int:
    if isinstance(member, str):
        if member not in model.feature_names:
            raise ValueError(f"{path}: model '{model.name}' has no feature {member!r}")
        return model.feature_names.index(member)
    return _integer(member, path)


def _baseline(baseline: Any, model: ModelInfo) -> explain_service_pb2.Baseline:
    """A Baseline message, a constant, one instance of values, or {"mask_token_id": id}."""
    if isinstance(baseline, explain_service_pb2.Baseline):
        return baseline
    result = explain_service_pb2.Baseline()
    if isinstance(baseline, Mapping):
        fill(result, baseline, "baseline")
    elif isinstance(baseline, numbers.Real) and not isinstance(baseline, bool):
        result.constant = float(baseline)
    else:
        values = _inputs.instances(baseline, model, "baseline")
        if values.shape[0] != 1:
            raise ValueError(f"baseline must be one instance, got {values.shape[0]}")
        result.values.CopyFrom(_input_tensor(values, model))
    return result
