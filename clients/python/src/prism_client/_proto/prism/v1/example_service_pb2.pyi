from prism_client._proto.prism.v1 import tensor_pb2 as _tensor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExampleSpace(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXAMPLE_SPACE_UNSPECIFIED: _ClassVar[ExampleSpace]
    EXAMPLE_SPACE_INPUT: _ClassVar[ExampleSpace]
    EXAMPLE_SPACE_OUTPUT: _ClassVar[ExampleSpace]
    EXAMPLE_SPACE_EMBEDDING: _ClassVar[ExampleSpace]

class ExampleSet(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXAMPLE_SET_UNSPECIFIED: _ClassVar[ExampleSet]
    EXAMPLE_SET_INSTANCES: _ClassVar[ExampleSet]
    EXAMPLE_SET_REFERENCE: _ClassVar[ExampleSet]
EXAMPLE_SPACE_UNSPECIFIED: ExampleSpace
EXAMPLE_SPACE_INPUT: ExampleSpace
EXAMPLE_SPACE_OUTPUT: ExampleSpace
EXAMPLE_SPACE_EMBEDDING: ExampleSpace
EXAMPLE_SET_UNSPECIFIED: ExampleSet
EXAMPLE_SET_INSTANCES: ExampleSet
EXAMPLE_SET_REFERENCE: ExampleSet

class ExplainByExampleRequest(_message.Message):
    __slots__ = ("model", "instances", "k", "space", "unlike_neighbour", "prototypes")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    UNLIKE_NEIGHBOUR_FIELD_NUMBER: _ClassVar[int]
    PROTOTYPES_FIELD_NUMBER: _ClassVar[int]
    model: str
    instances: _tensor_pb2.Tensor
    k: int
    space: ExampleSpace
    unlike_neighbour: UnlikeNeighbourOptions
    prototypes: PrototypeOptions
    def __init__(self, model: _Optional[str] = ..., instances: _Optional[_Union[_tensor_pb2.Tensor, _Mapping]] = ..., k: _Optional[int] = ..., space: _Optional[_Union[ExampleSpace, str]] = ..., unlike_neighbour: _Optional[_Union[UnlikeNeighbourOptions, _Mapping]] = ..., prototypes: _Optional[_Union[PrototypeOptions, _Mapping]] = ...) -> None: ...

class UnlikeNeighbourOptions(_message.Message):
    __slots__ = ("threshold",)
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    def __init__(self, threshold: _Optional[float] = ...) -> None: ...

class PrototypeOptions(_message.Message):
    __slots__ = ("set", "prototypes", "criticisms", "bandwidth")
    SET_FIELD_NUMBER: _ClassVar[int]
    PROTOTYPES_FIELD_NUMBER: _ClassVar[int]
    CRITICISMS_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_FIELD_NUMBER: _ClassVar[int]
    set: ExampleSet
    prototypes: int
    criticisms: int
    bandwidth: float
    def __init__(self, set: _Optional[_Union[ExampleSet, str]] = ..., prototypes: _Optional[int] = ..., criticisms: _Optional[int] = ..., bandwidth: _Optional[float] = ...) -> None: ...

class ExplainByExampleResponse(_message.Message):
    __slots__ = ("model", "model_version", "feature_names", "output_names", "instances", "prototypes")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NAMES_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    PROTOTYPES_FIELD_NUMBER: _ClassVar[int]
    model: str
    model_version: str
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    output_names: _containers.RepeatedScalarFieldContainer[str]
    instances: _containers.RepeatedCompositeFieldContainer[InstanceExamples]
    prototypes: PrototypesAndCriticisms
    def __init__(self, model: _Optional[str] = ..., model_version: _Optional[str] = ..., feature_names: _Optional[_Iterable[str]] = ..., output_names: _Optional[_Iterable[str]] = ..., instances: _Optional[_Iterable[_Union[InstanceExamples, _Mapping]]] = ..., prototypes: _Optional[_Union[PrototypesAndCriticisms, _Mapping]] = ...) -> None: ...

class InstanceExamples(_message.Message):
    __slots__ = ("prediction", "embedding", "predicted_class", "neighbours", "unlike_neighbour")
    PREDICTION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_CLASS_FIELD_NUMBER: _ClassVar[int]
    NEIGHBOURS_FIELD_NUMBER: _ClassVar[int]
    UNLIKE_NEIGHBOUR_FIELD_NUMBER: _ClassVar[int]
    prediction: _containers.RepeatedScalarFieldContainer[float]
    embedding: _containers.RepeatedScalarFieldContainer[float]
    predicted_class: int
    neighbours: _containers.RepeatedCompositeFieldContainer[ReferenceExample]
    unlike_neighbour: UnlikeNeighbour
    def __init__(self, prediction: _Optional[_Iterable[float]] = ..., embedding: _Optional[_Iterable[float]] = ..., predicted_class: _Optional[int] = ..., neighbours: _Optional[_Iterable[_Union[ReferenceExample, _Mapping]]] = ..., unlike_neighbour: _Optional[_Union[UnlikeNeighbour, _Mapping]] = ...) -> None: ...

class ReferenceExample(_message.Message):
    __slots__ = ("row", "distance", "values", "prediction", "predicted_class", "label")
    ROW_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_CLASS_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    row: int
    distance: float
    values: _containers.RepeatedScalarFieldContainer[float]
    prediction: _containers.RepeatedScalarFieldContainer[float]
    predicted_class: int
    label: float
    def __init__(self, row: _Optional[int] = ..., distance: _Optional[float] = ..., values: _Optional[_Iterable[float]] = ..., prediction: _Optional[_Iterable[float]] = ..., predicted_class: _Optional[int] = ..., label: _Optional[float] = ...) -> None: ...

class UnlikeNeighbour(_message.Message):
    __slots__ = ("example", "differing_features")
    EXAMPLE_FIELD_NUMBER: _ClassVar[int]
    DIFFERING_FEATURES_FIELD_NUMBER: _ClassVar[int]
    example: ReferenceExample
    differing_features: _containers.RepeatedCompositeFieldContainer[DifferingFeature]
    def __init__(self, example: _Optional[_Union[ReferenceExample, _Mapping]] = ..., differing_features: _Optional[_Iterable[_Union[DifferingFeature, _Mapping]]] = ...) -> None: ...

class DifferingFeature(_message.Message):
    __slots__ = ("name", "index", "instance_value", "neighbour_value", "standardised_difference")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEIGHBOUR_VALUE_FIELD_NUMBER: _ClassVar[int]
    STANDARDISED_DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    index: int
    instance_value: float
    neighbour_value: float
    standardised_difference: float
    def __init__(self, name: _Optional[str] = ..., index: _Optional[int] = ..., instance_value: _Optional[float] = ..., neighbour_value: _Optional[float] = ..., standardised_difference: _Optional[float] = ...) -> None: ...

class PrototypesAndCriticisms(_message.Message):
    __slots__ = ("set", "bandwidth", "prototypes", "criticisms")
    SET_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_FIELD_NUMBER: _ClassVar[int]
    PROTOTYPES_FIELD_NUMBER: _ClassVar[int]
    CRITICISMS_FIELD_NUMBER: _ClassVar[int]
    set: ExampleSet
    bandwidth: float
    prototypes: _containers.RepeatedCompositeFieldContainer[Prototype]
    criticisms: _containers.RepeatedCompositeFieldContainer[Criticism]
    def __init__(self, set: _Optional[_Union[ExampleSet, str]] = ..., bandwidth: _Optional[float] = ..., prototypes: _Optional[_Iterable[_Union[Prototype, _Mapping]]] = ..., criticisms: _Optional[_Iterable[_Union[Criticism, _Mapping]]] = ...) -> None: ...

class Prototype(_message.Message):
    __slots__ = ("index", "mmd_squared")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    MMD_SQUARED_FIELD_NUMBER: _ClassVar[int]
    index: int
    mmd_squared: float
    def __init__(self, index: _Optional[int] = ..., mmd_squared: _Optional[float] = ...) -> None: ...

class Criticism(_message.Message):
    __slots__ = ("index", "witness")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    WITNESS_FIELD_NUMBER: _ClassVar[int]
    index: int
    witness: float
    def __init__(self, index: _Optional[int] = ..., witness: _Optional[float] = ...) -> None: ...
