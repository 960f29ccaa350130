"""What the server says about its models (ModelService.GetModel)."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._proto.prism.v1 import model_service_pb2
from ._tensors import DTYPE_NAMES


@dataclass(frozen=True)
class TensorSpec:
    """A graph input or output; a dimension of -1 is dynamic (the batch)."""

    name: str
    dtype: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class MethodInfo:
    """How one method runs and what a request may ask of it, as the server declares it."""

    #: The name `explain(method=...)` takes.
    name: str
    #: "model" (rows of the model itself) or "attribution_graph" (a graph compiled from the model's).
    runs_on: str
    #: "background_or_baseline", "background", "baseline" or "none".
    reference: str
    #: It answers within `time_budget=` (with `.partial` set when the budget cut it short).
    time_budget: bool
    #: It can stop once its standard errors are within a requested tolerance.
    tolerance: bool
    #: `stream_explain` yields running estimates of its attributions.
    running_estimates: bool


@dataclass(frozen=True)
class TreeEnsembleInfo:
    """The tree ensemble tree_shap reads from a model."""

    trees: int
    max_depth: int
    leaves: int
    #: Whether the model states covers that count rows (tree_shap's model_covers=True uses them).
    stated_covers: bool = False
    #: Why its stated covers cannot be used, when stated_covers is False.
    stated_covers_unusable: str = ""


@dataclass(frozen=True)
class ModelInfo:
    """One model's signature, names and capabilities."""

    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    #: The input instances are given for.
    explained_input: str
    #: Graph outputs whose values are explained.
    score_outputs: tuple[str, ...]
    #: One per element of an instance, in the model's order.
    feature_names: tuple[str, ...]
    #: One per score column: the names `outputs=` takes.
    output_names: tuple[str, ...]
    #: "probability", "logit", "regression" or "unspecified".
    output_kind: str
    #: Methods the model can be explained with, named as `explain(method=...)` takes them.
    methods: tuple[str, ...]
    #: Methods it cannot serve, each with the server's reason.
    unsupported_methods: Mapping[str, str] = field(hash=False)
    default_background_rows: int
    device: str
    max_batch_rows: int
    max_queue_delay_micros: int
    categorical_features: tuple[str, ...]
    #: The scores come from a final Softmax, so gradient methods accept target="logits".
    has_logits: bool
    #: What each method in `methods` offers, by name.
    method_details: Mapping[str, MethodInfo] = field(hash=False, default_factory=dict)
    #: The model's tree ensemble when tree_shap can read it, else None. Its instances may hold
    #: NaN: a missing value, routed as the model routes it.
    trees: TreeEnsembleInfo | None = None

    @property
    def input(self) -> TensorSpec:
        """The explained input's spec."""
        return next(s for s in self.inputs if s.name == self.explained_input)

    @property
    def instance_shape(self) -> tuple[int, ...]:
        """The shape of one instance: the explained input's shape without the batch dimension."""
        return self.input.shape[1:]

    @property
    def instance_size(self) -> int:
        return math.prod(self.instance_shape)


def method_name(method: int) -> str:
    """METHOD_KERNEL_SHAP -> "kernel_shap", the name of its field in ExplainRequest."""
    return model_service_pb2.Method.Name(method).removeprefix("METHOD_").lower()


def _method_info(info: model_service_pb2.MethodInfo) -> MethodInfo:
    return MethodInfo(
        name=info.name,
        runs_on=model_service_pb2.RunsOn.Name(info.runs_on).removeprefix("RUNS_ON_").lower(),
        reference=model_service_pb2.ReferenceInput.Name(info.reference).removeprefix("REFERENCE_INPUT_").lower(),
        time_budget=info.time_budget,
        tolerance=info.tolerance,
        running_estimates=info.running_estimates,
    )


def _spec(spec: model_service_pb2.TensorSpec) -> TensorSpec:
    return TensorSpec(spec.name, DTYPE_NAMES.get(spec.dtype, "unspecified"), tuple(spec.shape))


def model_info(info: model_service_pb2.ModelInfo) -> ModelInfo:
    return ModelInfo(
        name=info.name,
        inputs=tuple(_spec(s) for s in info.inputs),
        outputs=tuple(_spec(s) for s in info.outputs),
        explained_input=info.explained_input,
        score_outputs=tuple(info.score_outputs),
        feature_names=tuple(info.feature_names),
        output_names=tuple(info.output_names),
        output_kind=model_service_pb2.OutputKind.Name(info.output_kind).removeprefix("OUTPUT_KIND_").lower(),
        methods=tuple(method_name(m) for m in info.methods),
        unsupported_methods={method_name(u.method): u.reason for u in info.unsupported_methods},
        default_background_rows=info.default_background_rows,
        device=info.device,
        max_batch_rows=info.max_batch_rows,
        max_queue_delay_micros=info.max_queue_delay_micros,
        categorical_features=tuple(info.categorical_features),
        has_logits=info.has_logits,
        method_details={m.name: _method_info(m) for m in info.method_details},
        trees=(TreeEnsembleInfo(info.trees.trees, info.trees.max_depth, info.trees.leaves,
                                info.trees.stated_covers, info.trees.stated_covers_unusable)
               if info.HasField("trees") else None),
    )
