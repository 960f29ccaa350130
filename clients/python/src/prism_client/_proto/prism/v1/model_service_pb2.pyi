from prism_client._proto.prism.v1 import tensor_pb2 as _tensor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OutputKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTPUT_KIND_UNSPECIFIED: _ClassVar[OutputKind]
    OUTPUT_KIND_PROBABILITY: _ClassVar[OutputKind]
    OUTPUT_KIND_LOGIT: _ClassVar[OutputKind]
    OUTPUT_KIND_REGRESSION: _ClassVar[OutputKind]

class Method(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METHOD_UNSPECIFIED: _ClassVar[Method]
    METHOD_KERNEL_SHAP: _ClassVar[Method]
    METHOD_LIME: _ClassVar[Method]
    METHOD_EXACT_SHAPLEY: _ClassVar[Method]
    METHOD_PERMUTATION_SHAP: _ClassVar[Method]
    METHOD_DEEP_LIFT: _ClassVar[Method]
    METHOD_DEEP_LIFT_SHAP: _ClassVar[Method]
    METHOD_INTEGRATED_GRADIENTS: _ClassVar[Method]
    METHOD_GRADIENT_X_INPUT: _ClassVar[Method]
    METHOD_SALIENCY: _ClassVar[Method]
    METHOD_AUTO: _ClassVar[Method]
    METHOD_TREE_SHAP: _ClassVar[Method]

class RunsOn(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUNS_ON_UNSPECIFIED: _ClassVar[RunsOn]
    RUNS_ON_MODEL: _ClassVar[RunsOn]
    RUNS_ON_ATTRIBUTION_GRAPH: _ClassVar[RunsOn]
    RUNS_ON_TREES: _ClassVar[RunsOn]

class ReferenceInput(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFERENCE_INPUT_UNSPECIFIED: _ClassVar[ReferenceInput]
    REFERENCE_INPUT_BACKGROUND_OR_BASELINE: _ClassVar[ReferenceInput]
    REFERENCE_INPUT_BACKGROUND: _ClassVar[ReferenceInput]
    REFERENCE_INPUT_BASELINE: _ClassVar[ReferenceInput]
    REFERENCE_INPUT_NONE: _ClassVar[ReferenceInput]
OUTPUT_KIND_UNSPECIFIED: OutputKind
OUTPUT_KIND_PROBABILITY: OutputKind
OUTPUT_KIND_LOGIT: OutputKind
OUTPUT_KIND_REGRESSION: OutputKind
METHOD_UNSPECIFIED: Method
METHOD_KERNEL_SHAP: Method
METHOD_LIME: Method
METHOD_EXACT_SHAPLEY: Method
METHOD_PERMUTATION_SHAP: Method
METHOD_DEEP_LIFT: Method
METHOD_DEEP_LIFT_SHAP: Method
METHOD_INTEGRATED_GRADIENTS: Method
METHOD_GRADIENT_X_INPUT: Method
METHOD_SALIENCY: Method
METHOD_AUTO: Method
METHOD_TREE_SHAP: Method
RUNS_ON_UNSPECIFIED: RunsOn
RUNS_ON_MODEL: RunsOn
RUNS_ON_ATTRIBUTION_GRAPH: RunsOn
RUNS_ON_TREES: RunsOn
REFERENCE_INPUT_UNSPECIFIED: ReferenceInput
REFERENCE_INPUT_BACKGROUND_OR_BASELINE: ReferenceInput
REFERENCE_INPUT_BACKGROUND: ReferenceInput
REFERENCE_INPUT_BASELINE: ReferenceInput
REFERENCE_INPUT_NONE: ReferenceInput

class TreeEnsembleInfo(_message.Message):
    __slots__ = ("trees", "max_depth", "leaves", "stated_covers", "stated_covers_unusable")
    TREES_FIELD_NUMBER: _ClassVar[int]
    MAX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    LEAVES_FIELD_NUMBER: _ClassVar[int]
    STATED_COVERS_FIELD_NUMBER: _ClassVar[int]
    STATED_COVERS_UNUSABLE_FIELD_NUMBER: _ClassVar[int]
    trees: int
    max_depth: int
    leaves: int
    stated_covers: bool
    stated_covers_unusable: str
    def __init__(self, trees: _Optional[int] = ..., max_depth: _Optional[int] = ..., leaves: _Optional[int] = ..., stated_covers: bool = ..., stated_covers_unusable: _Optional[str] = ...) -> None: ...

class MethodInfo(_message.Message):
    __slots__ = ("method", "name", "runs_on", "reference", "time_budget", "tolerance", "running_estimates", "efficient")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RUNS_ON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_BUDGET_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    RUNNING_ESTIMATES_FIELD_NUMBER: _ClassVar[int]
    EFFICIENT_FIELD_NUMBER: _ClassVar[int]
    method: Method
    name: str
    runs_on: RunsOn
    reference: ReferenceInput
    time_budget: bool
    tolerance: bool
    running_estimates: bool
    efficient: bool
    def __init__(self, method: _Optional[_Union[Method, str]] = ..., name: _Optional[str] = ..., runs_on: _Optional[_Union[RunsOn, str]] = ..., reference: _Optional[_Union[ReferenceInput, str]] = ..., time_budget: bool = ..., tolerance: bool = ..., running_estimates: bool = ..., efficient: bool = ...) -> None: ...

class UnsupportedMethod(_message.Message):
    __slots__ = ("method", "reason")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    method: Method
    reason: str
    def __init__(self, method: _Optional[_Union[Method, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class TensorSpec(_message.Message):
    __slots__ = ("name", "dtype", "shape")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    dtype: _tensor_pb2.DataType
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., dtype: _Optional[_Union[_tensor_pb2.DataType, str]] = ..., shape: _Optional[_Iterable[int]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("name", "background_rows")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_ROWS_FIELD_NUMBER: _ClassVar[int]
    name: str
    background_rows: int
    def __init__(self, name: _Optional[str] = ..., background_rows: _Optional[int] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("name", "inputs", "outputs", "explained_input", "score_outputs", "feature_names", "output_names", "output_kind", "methods", "default_background_rows", "device", "max_batch_rows", "max_queue_delay_micros", "categorical_features", "unsupported_methods", "has_logits", "version", "method_details", "trees", "background_sample")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    EXPLAINED_INPUT_FIELD_NUMBER: _ClassVar[int]
    SCORE_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NAMES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_KIND_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_BACKGROUND_ROWS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_ROWS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_DELAY_MICROS_FIELD_NUMBER: _ClassVar[int]
    CATEGORICAL_FEATURES_FIELD_NUMBER: _ClassVar[int]
    UNSUPPORTED_METHODS_FIELD_NUMBER: _ClassVar[int]
    HAS_LOGITS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    METHOD_DETAILS_FIELD_NUMBER: _ClassVar[int]
    TREES_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    inputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    outputs: _containers.RepeatedCompositeFieldContainer[TensorSpec]
    explained_input: str
    score_outputs: _containers.RepeatedScalarFieldContainer[str]
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    output_names: _containers.RepeatedScalarFieldContainer[str]
    output_kind: OutputKind
    methods: _containers.RepeatedScalarFieldContainer[Method]
    default_background_rows: int
    device: str
    max_batch_rows: int
    max_queue_delay_micros: int
    categorical_features: _containers.RepeatedScalarFieldContainer[str]
    unsupported_methods: _containers.RepeatedCompositeFieldContainer[UnsupportedMethod]
    has_logits: bool
    version: str
    method_details: _containers.RepeatedCompositeFieldContainer[MethodInfo]
    trees: TreeEnsembleInfo
    background_sample: _tensor_pb2.Tensor
    def __init__(self, name: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ..., outputs: _Optional[_Iterable[_Union[TensorSpec, _Mapping]]] = ..., explained_input: _Optional[str] = ..., score_outputs: _Optional[_Iterable[str]] = ..., feature_names: _Optional[_Iterable[str]] = ..., output_names: _Optional[_Iterable[str]] = ..., output_kind: _Optional[_Union[OutputKind, str]] = ..., methods: _Optional[_Iterable[_Union[Method, str]]] = ..., default_background_rows: _Optional[int] = ..., device: _Optional[str] = ..., max_batch_rows: _Optional[int] = ..., max_queue_delay_micros: _Optional[int] = ..., categorical_features: _Optional[_Iterable[str]] = ..., unsupported_methods: _Optional[_Iterable[_Union[UnsupportedMethod, _Mapping]]] = ..., has_logits: bool = ..., version: _Optional[str] = ..., method_details: _Optional[_Iterable[_Union[MethodInfo, _Mapping]]] = ..., trees: _Optional[_Union[TreeEnsembleInfo, _Mapping]] = ..., background_sample: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ...) -> None: ...

class PredictRequest(_message.Message):
    __slots__ = ("model", "inputs")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    model: str
    inputs: _containers.RepeatedCompositeFieldContainer[_tensor_pb2.Tensor]
    def __init__(self, model: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[_tensor_pb2.Tensor, _Mapping]]] = ...) -> None: ...

class PredictResponse(_message.Message):
    __slots__ = ("model", "outputs")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    model: str
    outputs: _containers.RepeatedCompositeFieldContainer[_tensor_pb2.Tensor]
    def __init__(self, model: _Optional[str] = ..., outputs: _Optional[_Iterable[_Union[_tensor_pb2.Tensor, _Mapping]]] = ...) -> None: ...

class ReloadModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReloadModelsResponse(_message.Message):
    __slots__ = ("added", "replaced", "removed", "refused", "tokens_reloaded", "tokens_refused")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    TOKENS_RELOADED_FIELD_NUMBER: _ClassVar[int]
    TOKENS_REFUSED_FIELD_NUMBER: _ClassVar[int]
    added: _containers.RepeatedScalarFieldContainer[str]
    replaced: _containers.RepeatedScalarFieldContainer[str]
    removed: _containers.RepeatedScalarFieldContainer[str]
    refused: _containers.RepeatedCompositeFieldContainer[RefusedModel]
    tokens_reloaded: bool
    tokens_refused: str
    def __init__(self, added: _Optional[_Iterable[str]] = ..., replaced: _Optional[_Iterable[str]] = ..., removed: _Optional[_Iterable[str]] = ..., refused: _Optional[_Iterable[_Union[RefusedModel, _Mapping]]] = ..., tokens_reloaded: bool = ..., tokens_refused: _Optional[str] = ...) -> None: ...

class RefusedModel(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
