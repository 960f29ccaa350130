import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from prism_client._proto.prism.v1 import tensor_pb2 as _tensor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Link(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINK_UNSPECIFIED: _ClassVar[Link]
    LINK_IDENTITY: _ClassVar[Link]
    LINK_LOGIT: _ClassVar[Link]

class ResponseFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FORMAT_PER_EXPLANATION: _ClassVar[ResponseFormat]
    FORMAT_COMPACT: _ClassVar[ResponseFormat]

class GradientTarget(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRADIENT_TARGET_OUTPUT: _ClassVar[GradientTarget]
    GRADIENT_TARGET_LOGITS: _ClassVar[GradientTarget]

class IntegrationMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTEGRATION_GAUSS_LEGENDRE: _ClassVar[IntegrationMethod]
    INTEGRATION_RIEMANN_RIGHT: _ClassVar[IntegrationMethod]
    INTEGRATION_RIEMANN_LEFT: _ClassVar[IntegrationMethod]
    INTEGRATION_RIEMANN_MIDDLE: _ClassVar[IntegrationMethod]
    INTEGRATION_RIEMANN_TRAPEZOID: _ClassVar[IntegrationMethod]
LINK_UNSPECIFIED: Link
LINK_IDENTITY: Link
LINK_LOGIT: Link
FORMAT_PER_EXPLANATION: ResponseFormat
FORMAT_COMPACT: ResponseFormat
GRADIENT_TARGET_OUTPUT: GradientTarget
GRADIENT_TARGET_LOGITS: GradientTarget
INTEGRATION_GAUSS_LEGENDRE: IntegrationMethod
INTEGRATION_RIEMANN_RIGHT: IntegrationMethod
INTEGRATION_RIEMANN_LEFT: IntegrationMethod
INTEGRATION_RIEMANN_MIDDLE: IntegrationMethod
INTEGRATION_RIEMANN_TRAPEZOID: IntegrationMethod

class ExplainRequest(_message.Message):
    __slots__ = ("model", "inputs", "kernel_shap", "lime", "exact_shapley", "permutation_shap", "auto", "deep_lift", "deep_lift_shap", "integrated_gradients", "gradient_x_input", "saliency", "tree_shap", "feature_groups", "baseline", "background_kmeans", "format", "background", "background_weights", "outputs", "seed", "link", "time_budget", "evaluate")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    KERNEL_SHAP_FIELD_NUMBER: _ClassVar[int]
    LIME_FIELD_NUMBER: _ClassVar[int]
    EXACT_SHAPLEY_FIELD_NUMBER: _ClassVar[int]
    PERMUTATION_SHAP_FIELD_NUMBER: _ClassVar[int]
    AUTO_FIELD_NUMBER: _ClassVar[int]
    DEEP_LIFT_FIELD_NUMBER: _ClassVar[int]
    DEEP_LIFT_SHAP_FIELD_NUMBER: _ClassVar[int]
    INTEGRATED_GRADIENTS_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_X_INPUT_FIELD_NUMBER: _ClassVar[int]
    SALIENCY_FIELD_NUMBER: _ClassVar[int]
    TREE_SHAP_FIELD_NUMBER: _ClassVar[int]
    FEATURE_GROUPS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_KMEANS_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    TIME_BUDGET_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_FIELD_NUMBER: _ClassVar[int]
    model: str
    inputs: _containers.RepeatedCompositeFieldContainer[_tensor_pb2.Tensor]
    kernel_shap: KernelShapParams
    lime: LimeParams
    exact_shapley: ExactShapleyParams
    permutation_shap: PermutationShapParams
    auto: AutoParams
    deep_lift: DeepLiftParams
    deep_lift_shap: DeepLiftShapParams
    integrated_gradients: IntegratedGradientsParams
    gradient_x_input: GradientXInputParams
    saliency: SaliencyParams
    tree_shap: TreeShapParams
    feature_groups: FeatureGroups
    baseline: Baseline
    background_kmeans: int
    format: ResponseFormat
    background: _tensor_pb2.Tensor
    background_weights: _containers.RepeatedScalarFieldContainer[float]
    outputs: _containers.RepeatedScalarFieldContainer[str]
    seed: int
    link: Link
    time_budget: _duration_pb2.Duration
    evaluate: EvaluationParams
    def __init__(self, model: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[_tensor_pb2.Tensor, _Mapping]]] = ..., kernel_shap: _Optional[_Union[KernelShapParams, _Mapping]] = ..., lime: _Optional[_Union[LimeParams, _Mapping]] = ..., exact_shapley: _Optional[_Union[ExactShapleyParams, _Mapping]] = ..., permutation_shap: _Optional[_Union[PermutationShapParams, _Mapping]] = ..., auto: _Optional[_Union[AutoParams, _Mapping]] = ..., deep_lift: _Optional[_Union[DeepLiftParams, _Mapping]] = ..., deep_lift_shap: _Optional[_Union[DeepLiftShapParams, _Mapping]] = ..., integrated_gradients: _Optional[_Union[IntegratedGradientsParams, _Mapping]] = ..., gradient_x_input: _Optional[_Union[GradientXInputParams, _Mapping]] = ..., saliency: _Optional[_Union[SaliencyParams, _Mapping]] = ..., tree_shap: _Optional[_Union[TreeShapParams, _Mapping]] = ..., feature_groups: _Optional[_Union[FeatureGroups, _Mapping]] = ..., baseline: _Optional[_Union[Baseline, _Mapping]] = ..., background_kmeans: _Optional[int] = ..., format: _Optional[_Union[ResponseFormat, str]] = ..., background: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., background_weights: _Optional[_Iterable[float]] = ..., outputs: _Optional[_Iterable[str]] = ..., seed: _Optional[int] = ..., link: _Optional[_Union[Link, str]] = ..., time_budget: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., evaluate: _Optional[_Union[EvaluationParams, _Mapping]] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("request", "attributions")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    request: ExplainRequest
    attributions: _containers.RepeatedCompositeFieldContainer[GivenAttributions]
    def __init__(self, request: _Optional[_Union[ExplainRequest, _Mapping]] = ..., attributions: _Optional[_Iterable[_Union[GivenAttributions, _Mapping]]] = ...) -> None: ...

class GivenAttributions(_message.Message):
    __slots__ = ("instance", "output", "values")
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    instance: int
    output: str
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, instance: _Optional[int] = ..., output: _Optional[str] = ..., values: _Optional[_Iterable[float]] = ...) -> None: ...

class EvaluationParams(_message.Message):
    __slots__ = ("deletion", "infidelity", "sensitivity", "complexity")
    DELETION_FIELD_NUMBER: _ClassVar[int]
    INFIDELITY_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    deletion: DeletionParams
    infidelity: InfidelityParams
    sensitivity: SensitivityParams
    complexity: ComplexityParams
    def __init__(self, deletion: _Optional[_Union[DeletionParams, _Mapping]] = ..., infidelity: _Optional[_Union[InfidelityParams, _Mapping]] = ..., sensitivity: _Optional[_Union[SensitivityParams, _Mapping]] = ..., complexity: _Optional[_Union[ComplexityParams, _Mapping]] = ...) -> None: ...

class DeletionParams(_message.Message):
    __slots__ = ("steps",)
    STEPS_FIELD_NUMBER: _ClassVar[int]
    steps: int
    def __init__(self, steps: _Optional[int] = ...) -> None: ...

class InfidelityParams(_message.Message):
    __slots__ = ("n_perturbations", "noise_std", "seed")
    N_PERTURBATIONS_FIELD_NUMBER: _ClassVar[int]
    NOISE_STD_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    n_perturbations: int
    noise_std: float
    seed: int
    def __init__(self, n_perturbations: _Optional[int] = ..., noise_std: _Optional[float] = ..., seed: _Optional[int] = ...) -> None: ...

class SensitivityParams(_message.Message):
    __slots__ = ("radius", "n_perturbations", "top_k", "seed")
    RADIUS_FIELD_NUMBER: _ClassVar[int]
    N_PERTURBATIONS_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    radius: float
    n_perturbations: int
    top_k: int
    seed: int
    def __init__(self, radius: _Optional[float] = ..., n_perturbations: _Optional[int] = ..., top_k: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class ComplexityParams(_message.Message):
    __slots__ = ("fraction",)
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    fraction: float
    def __init__(self, fraction: _Optional[float] = ...) -> None: ...

class FeatureGroups(_message.Message):
    __slots__ = ("explicit", "grid", "segments", "tokens")
    EXPLICIT_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    explicit: ExplicitGroups
    grid: GridPatches
    segments: SegmentMap
    tokens: TokenPositions
    def __init__(self, explicit: _Optional[_Union[ExplicitGroups, _Mapping]] = ..., grid: _Optional[_Union[GridPatches, _Mapping]] = ..., segments: _Optional[_Union[SegmentMap, _Mapping]] = ..., tokens: _Optional[_Union[TokenPositions, _Mapping]] = ...) -> None: ...

class ExplicitGroups(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[FeatureGroup]
    def __init__(self, groups: _Optional[_Iterable[_Union[FeatureGroup, _Mapping]]] = ...) -> None: ...

class FeatureGroup(_message.Message):
    __slots__ = ("name", "elements")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    elements: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., elements: _Optional[_Iterable[int]] = ...) -> None: ...

class GridPatches(_message.Message):
    __slots__ = ("image_height", "image_width", "patch_height", "patch_width", "channels_last")
    IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    PATCH_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PATCH_WIDTH_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_LAST_FIELD_NUMBER: _ClassVar[int]
    image_height: int
    image_width: int
    patch_height: int
    patch_width: int
    channels_last: bool
    def __init__(self, image_height: _Optional[int] = ..., image_width: _Optional[int] = ..., patch_height: _Optional[int] = ..., patch_width: _Optional[int] = ..., channels_last: bool = ...) -> None: ...

class SegmentMap(_message.Message):
    __slots__ = ("segment_ids",)
    SEGMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    segment_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, segment_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class TokenPositions(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Baseline(_message.Message):
    __slots__ = ("constant", "values", "mask_token_id")
    CONSTANT_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    MASK_TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    constant: float
    values: _tensor_pb2.Tensor
    mask_token_id: int
    def __init__(self, constant: _Optional[float] = ..., values: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., mask_token_id: _Optional[int] = ...) -> None: ...

class DeepLiftParams(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: GradientTarget
    def __init__(self, target: _Optional[_Union[GradientTarget, str]] = ...) -> None: ...

class DeepLiftShapParams(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: GradientTarget
    def __init__(self, target: _Optional[_Union[GradientTarget, str]] = ...) -> None: ...

class IntegratedGradientsParams(_message.Message):
    __slots__ = ("n_steps", "method", "target")
    N_STEPS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    n_steps: int
    method: IntegrationMethod
    target: GradientTarget
    def __init__(self, n_steps: _Optional[int] = ..., method: _Optional[_Union[IntegrationMethod, str]] = ..., target: _Optional[_Union[GradientTarget, str]] = ...) -> None: ...

class GradientXInputParams(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: GradientTarget
    def __init__(self, target: _Optional[_Union[GradientTarget, str]] = ...) -> None: ...

class SaliencyParams(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: GradientTarget
    def __init__(self, target: _Optional[_Union[GradientTarget, str]] = ...) -> None: ...

class TreeShapParams(_message.Message):
    __slots__ = ("feature_perturbation", "output", "interactions", "model_covers")
    class FeaturePerturbation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        FEATURE_PERTURBATION_UNSPECIFIED: _ClassVar[TreeShapParams.FeaturePerturbation]
        FEATURE_PERTURBATION_INTERVENTIONAL: _ClassVar[TreeShapParams.FeaturePerturbation]
        FEATURE_PERTURBATION_PATH_DEPENDENT: _ClassVar[TreeShapParams.FeaturePerturbation]
    FEATURE_PERTURBATION_UNSPECIFIED: TreeShapParams.FeaturePerturbation
    FEATURE_PERTURBATION_INTERVENTIONAL: TreeShapParams.FeaturePerturbation
    FEATURE_PERTURBATION_PATH_DEPENDENT: TreeShapParams.FeaturePerturbation
    class Output(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTPUT_UNSPECIFIED: _ClassVar[TreeShapParams.Output]
        OUTPUT_MARGIN: _ClassVar[TreeShapParams.Output]
        OUTPUT_RESCALED: _ClassVar[TreeShapParams.Output]
    OUTPUT_UNSPECIFIED: TreeShapParams.Output
    OUTPUT_MARGIN: TreeShapParams.Output
    OUTPUT_RESCALED: TreeShapParams.Output
    FEATURE_PERTURBATION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    INTERACTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_COVERS_FIELD_NUMBER: _ClassVar[int]
    feature_perturbation: TreeShapParams.FeaturePerturbation
    output: TreeShapParams.Output
    interactions: bool
    model_covers: bool
    def __init__(self, feature_perturbation: _Optional[_Union[TreeShapParams.FeaturePerturbation, str]] = ..., output: _Optional[_Union[TreeShapParams.Output, str]] = ..., interactions: bool = ..., model_covers: bool = ...) -> None: ...

class AutoParams(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class KernelShapParams(_message.Message):
    __slots__ = ("nsamples", "l1_reg", "estimator", "tolerance", "coalitions", "coalition_weights")
    class Estimator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ESTIMATOR_ADJUSTED: _ClassVar[KernelShapParams.Estimator]
        ESTIMATOR_LEVERAGE: _ClassVar[KernelShapParams.Estimator]
        ESTIMATOR_KERNEL: _ClassVar[KernelShapParams.Estimator]
    ESTIMATOR_ADJUSTED: KernelShapParams.Estimator
    ESTIMATOR_LEVERAGE: KernelShapParams.Estimator
    ESTIMATOR_KERNEL: KernelShapParams.Estimator
    NSAMPLES_FIELD_NUMBER: _ClassVar[int]
    L1_REG_FIELD_NUMBER: _ClassVar[int]
    ESTIMATOR_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    COALITIONS_FIELD_NUMBER: _ClassVar[int]
    COALITION_WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    nsamples: int
    l1_reg: L1Reg
    estimator: KernelShapParams.Estimator
    tolerance: float
    coalitions: _tensor_pb2.Tensor
    coalition_weights: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, nsamples: _Optional[int] = ..., l1_reg: _Optional[_Union[L1Reg, _Mapping]] = ..., estimator: _Optional[_Union[KernelShapParams.Estimator, str]] = ..., tolerance: _Optional[float] = ..., coalitions: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., coalition_weights: _Optional[_Iterable[float]] = ...) -> None: ...

class L1Reg(_message.Message):
    __slots__ = ("num_features", "criterion", "alpha")
    class Criterion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CRITERION_UNSPECIFIED: _ClassVar[L1Reg.Criterion]
        CRITERION_AIC: _ClassVar[L1Reg.Criterion]
        CRITERION_BIC: _ClassVar[L1Reg.Criterion]
    CRITERION_UNSPECIFIED: L1Reg.Criterion
    CRITERION_AIC: L1Reg.Criterion
    CRITERION_BIC: L1Reg.Criterion
    NUM_FEATURES_FIELD_NUMBER: _ClassVar[int]
    CRITERION_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    num_features: int
    criterion: L1Reg.Criterion
    alpha: float
    def __init__(self, num_features: _Optional[int] = ..., criterion: _Optional[_Union[L1Reg.Criterion, str]] = ..., alpha: _Optional[float] = ...) -> None: ...

class ExactShapleyParams(_message.Message):
    __slots__ = ("max_evaluations",)
    MAX_EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    max_evaluations: int
    def __init__(self, max_evaluations: _Optional[int] = ...) -> None: ...

class PermutationShapParams(_message.Message):
    __slots__ = ("max_evals", "npermutations")
    MAX_EVALS_FIELD_NUMBER: _ClassVar[int]
    NPERMUTATIONS_FIELD_NUMBER: _ClassVar[int]
    max_evals: int
    npermutations: int
    def __init__(self, max_evals: _Optional[int] = ..., npermutations: _Optional[int] = ...) -> None: ...

class LimeParams(_message.Message):
    __slots__ = ("num_samples", "num_features", "feature_selection", "discretizer", "kernel_width", "sample_around_instance", "mask_sampling", "neighbourhood")
    class FeatureSelection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        FEATURE_SELECTION_AUTO: _ClassVar[LimeParams.FeatureSelection]
        FEATURE_SELECTION_FORWARD: _ClassVar[LimeParams.FeatureSelection]
        FEATURE_SELECTION_HIGHEST_WEIGHTS: _ClassVar[LimeParams.FeatureSelection]
        FEATURE_SELECTION_NONE: _ClassVar[LimeParams.FeatureSelection]
    FEATURE_SELECTION_AUTO: LimeParams.FeatureSelection
    FEATURE_SELECTION_FORWARD: LimeParams.FeatureSelection
    FEATURE_SELECTION_HIGHEST_WEIGHTS: LimeParams.FeatureSelection
    FEATURE_SELECTION_NONE: LimeParams.FeatureSelection
    class Discretizer(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DISCRETIZER_QUARTILE: _ClassVar[LimeParams.Discretizer]
        DISCRETIZER_DECILE: _ClassVar[LimeParams.Discretizer]
        DISCRETIZER_NONE: _ClassVar[LimeParams.Discretizer]
    DISCRETIZER_QUARTILE: LimeParams.Discretizer
    DISCRETIZER_DECILE: LimeParams.Discretizer
    DISCRETIZER_NONE: LimeParams.Discretizer
    class MaskSampling(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MASK_SAMPLING_AUTO: _ClassVar[LimeParams.MaskSampling]
        MASK_SAMPLING_BERNOULLI: _ClassVar[LimeParams.MaskSampling]
        MASK_SAMPLING_UNIFORM_COUNT: _ClassVar[LimeParams.MaskSampling]
    MASK_SAMPLING_AUTO: LimeParams.MaskSampling
    MASK_SAMPLING_BERNOULLI: LimeParams.MaskSampling
    MASK_SAMPLING_UNIFORM_COUNT: LimeParams.MaskSampling
    NUM_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    NUM_FEATURES_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SELECTION_FIELD_NUMBER: _ClassVar[int]
    DISCRETIZER_FIELD_NUMBER: _ClassVar[int]
    KERNEL_WIDTH_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_AROUND_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    MASK_SAMPLING_FIELD_NUMBER: _ClassVar[int]
    NEIGHBOURHOOD_FIELD_NUMBER: _ClassVar[int]
    num_samples: int
    num_features: int
    feature_selection: LimeParams.FeatureSelection
    discretizer: LimeParams.Discretizer
    kernel_width: float
    sample_around_instance: bool
    mask_sampling: LimeParams.MaskSampling
    neighbourhood: Neighbourhood
    def __init__(self, num_samples: _Optional[int] = ..., num_features: _Optional[int] = ..., feature_selection: _Optional[_Union[LimeParams.FeatureSelection, str]] = ..., discretizer: _Optional[_Union[LimeParams.Discretizer, str]] = ..., kernel_width: _Optional[float] = ..., sample_around_instance: bool = ..., mask_sampling: _Optional[_Union[LimeParams.MaskSampling, str]] = ..., neighbourhood: _Optional[_Union[Neighbourhood, _Mapping]] = ...) -> None: ...

class Neighbourhood(_message.Message):
    __slots__ = ("data", "inputs")
    DATA_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    data: _tensor_pb2.Tensor
    inputs: _tensor_pb2.Tensor
    def __init__(self, data: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., inputs: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ...) -> None: ...

class ExplainResponse(_message.Message):
    __slots__ = ("model", "method", "feature_names", "explanations", "elapsed_seconds", "summary", "partial", "warnings")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    EXPLANATIONS_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    model: str
    method: str
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    explanations: _containers.RepeatedCompositeFieldContainer[Explanation]
    elapsed_seconds: float
    summary: Summary
    partial: bool
    warnings: _containers.RepeatedCompositeFieldContainer[ResponseWarning]
    def __init__(self, model: _Optional[str] = ..., method: _Optional[str] = ..., feature_names: _Optional[_Iterable[str]] = ..., explanations: _Optional[_Iterable[_Union[Explanation, _Mapping]]] = ..., elapsed_seconds: _Optional[float] = ..., summary: _Optional[_Union[Summary, _Mapping]] = ..., partial: bool = ..., warnings: _Optional[_Iterable[_Union[ResponseWarning, _Mapping]]] = ...) -> None: ...

class ResponseWarning(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Summary(_message.Message):
    __slots__ = ("outputs", "mean_abs_attributions", "attributions", "standard_errors", "base_values", "model_outputs", "instances", "interactions")
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_ABS_ATTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    STANDARD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    BASE_VALUES_FIELD_NUMBER: _ClassVar[int]
    MODEL_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    INTERACTIONS_FIELD_NUMBER: _ClassVar[int]
    outputs: _containers.RepeatedScalarFieldContainer[str]
    mean_abs_attributions: _tensor_pb2.Tensor
    attributions: _tensor_pb2.Tensor
    standard_errors: _tensor_pb2.Tensor
    base_values: _tensor_pb2.Tensor
    model_outputs: _tensor_pb2.Tensor
    instances: int
    interactions: _tensor_pb2.Tensor
    def __init__(self, outputs: _Optional[_Iterable[str]] = ..., mean_abs_attributions: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., attributions: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., standard_errors: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., base_values: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., model_outputs: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., instances: _Optional[int] = ..., interactions: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ...) -> None: ...

class Explanation(_message.Message):
    __slots__ = ("instance", "output", "base_value", "model_output", "attributions", "standard_errors", "diagnostics", "interactions", "evaluation")
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    BASE_VALUE_FIELD_NUMBER: _ClassVar[int]
    MODEL_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    STANDARD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    INTERACTIONS_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    instance: int
    output: str
    base_value: float
    model_output: float
    attributions: _containers.RepeatedScalarFieldContainer[float]
    standard_errors: _containers.RepeatedScalarFieldContainer[float]
    diagnostics: Diagnostics
    interactions: _containers.RepeatedScalarFieldContainer[float]
    evaluation: Evaluation
    def __init__(self, instance: _Optional[int] = ..., output: _Optional[str] = ..., base_value: _Optional[float] = ..., model_output: _Optional[float] = ..., attributions: _Optional[_Iterable[float]] = ..., standard_errors: _Optional[_Iterable[float]] = ..., diagnostics: _Optional[_Union[Diagnostics, _Mapping]] = ..., interactions: _Optional[_Iterable[float]] = ..., evaluation: _Optional[_Union[Evaluation, _Mapping]] = ...) -> None: ...

class Evaluation(_message.Message):
    __slots__ = ("deletion", "insertion", "infidelity", "sensitivity", "complexity")
    DELETION_FIELD_NUMBER: _ClassVar[int]
    INSERTION_FIELD_NUMBER: _ClassVar[int]
    INFIDELITY_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    deletion: Curve
    insertion: Curve
    infidelity: InfidelityValue
    sensitivity: SensitivityValue
    complexity: ComplexityValue
    def __init__(self, deletion: _Optional[_Union[Curve, _Mapping]] = ..., insertion: _Optional[_Union[Curve, _Mapping]] = ..., infidelity: _Optional[_Union[InfidelityValue, _Mapping]] = ..., sensitivity: _Optional[_Union[SensitivityValue, _Mapping]] = ..., complexity: _Optional[_Union[ComplexityValue, _Mapping]] = ...) -> None: ...

class Curve(_message.Message):
    __slots__ = ("order", "moved", "values", "area", "normalized_area")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_AREA_FIELD_NUMBER: _ClassVar[int]
    order: _containers.RepeatedScalarFieldContainer[int]
    moved: _containers.RepeatedScalarFieldContainer[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    area: float
    normalized_area: float
    def __init__(self, order: _Optional[_Iterable[int]] = ..., moved: _Optional[_Iterable[int]] = ..., values: _Optional[_Iterable[float]] = ..., area: _Optional[float] = ..., normalized_area: _Optional[float] = ...) -> None: ...

class InfidelityValue(_message.Message):
    __slots__ = ("value", "normalized", "beta", "samples")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    BETA_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    value: float
    normalized: float
    beta: float
    samples: int
    def __init__(self, value: _Optional[float] = ..., normalized: _Optional[float] = ..., beta: _Optional[float] = ..., samples: _Optional[int] = ...) -> None: ...

class SensitivityValue(_message.Message):
    __slots__ = ("max", "rank_stability", "top_k")
    MAX_FIELD_NUMBER: _ClassVar[int]
    RANK_STABILITY_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    max: float
    rank_stability: float
    top_k: int
    def __init__(self, max: _Optional[float] = ..., rank_stability: _Optional[float] = ..., top_k: _Optional[int] = ...) -> None: ...

class ComplexityValue(_message.Message):
    __slots__ = ("entropy", "effective_features", "fraction")
    ENTROPY_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FEATURES_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    entropy: float
    effective_features: int
    fraction: float
    def __init__(self, entropy: _Optional[float] = ..., effective_features: _Optional[int] = ..., fraction: _Optional[float] = ...) -> None: ...

class Diagnostics(_message.Message):
    __slots__ = ("model_evaluations", "efficiency_gap", "elapsed_seconds", "coalitions", "exact", "varying_features", "converged", "surrogate", "convergence_delta")
    MODEL_EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    EFFICIENCY_GAP_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    COALITIONS_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    VARYING_FEATURES_FIELD_NUMBER: _ClassVar[int]
    CONVERGED_FIELD_NUMBER: _ClassVar[int]
    SURROGATE_FIELD_NUMBER: _ClassVar[int]
    CONVERGENCE_DELTA_FIELD_NUMBER: _ClassVar[int]
    model_evaluations: int
    efficiency_gap: float
    elapsed_seconds: float
    coalitions: int
    exact: bool
    varying_features: int
    converged: bool
    surrogate: SurrogateFit
    convergence_delta: float
    def __init__(self, model_evaluations: _Optional[int] = ..., efficiency_gap: _Optional[float] = ..., elapsed_seconds: _Optional[float] = ..., coalitions: _Optional[int] = ..., exact: bool = ..., varying_features: _Optional[int] = ..., converged: bool = ..., surrogate: _Optional[_Union[SurrogateFit, _Mapping]] = ..., convergence_delta: _Optional[float] = ...) -> None: ...

class SurrogateFit(_message.Message):
    __slots__ = ("intercept", "score", "local_prediction")
    INTERCEPT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_PREDICTION_FIELD_NUMBER: _ClassVar[int]
    intercept: float
    score: float
    local_prediction: float
    def __init__(self, intercept: _Optional[float] = ..., score: _Optional[float] = ..., local_prediction: _Optional[float] = ...) -> None: ...

class ExplainEvent(_message.Message):
    __slots__ = ("progress", "result")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    progress: Progress
    result: ExplainResponse
    def __init__(self, progress: _Optional[_Union[Progress, _Mapping]] = ..., result: _Optional[_Union[ExplainResponse, _Mapping]] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("evaluations_done", "evaluations_total", "elapsed_seconds", "estimates")
    EVALUATIONS_DONE_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATES_FIELD_NUMBER: _ClassVar[int]
    evaluations_done: int
    evaluations_total: int
    elapsed_seconds: float
    estimates: _containers.RepeatedCompositeFieldContainer[Estimate]
    def __init__(self, evaluations_done: _Optional[int] = ..., evaluations_total: _Optional[int] = ..., elapsed_seconds: _Optional[float] = ..., estimates: _Optional[_Iterable[_Union[Estimate, _Mapping]]] = ...) -> None: ...

class Estimate(_message.Message):
    __slots__ = ("instance", "output", "attributions", "standard_errors")
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    STANDARD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    instance: int
    output: str
    attributions: _containers.RepeatedScalarFieldContainer[float]
    standard_errors: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, instance: _Optional[int] = ..., output: _Optional[str] = ..., attributions: _Optional[_Iterable[float]] = ..., standard_errors: _Optional[_Iterable[float]] = ...) -> None: ...
