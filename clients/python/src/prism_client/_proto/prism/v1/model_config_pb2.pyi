from prism_client._proto.prism.v1 import model_service_pb2 as _model_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelConfig(_message.Message):
    __slots__ = ("feature_names", "score_outputs", "output_names", "output_kind", "background_file", "batching", "device", "categorical_features", "baseline", "open_inference_backend", "reference_file", "reference_label_column", "embedding_output")
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    SCORE_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NAMES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_KIND_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_FILE_FIELD_NUMBER: _ClassVar[int]
    BATCHING_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    CATEGORICAL_FEATURES_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    OPEN_INFERENCE_BACKEND_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FILE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_LABEL_COLUMN_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    score_outputs: _containers.RepeatedScalarFieldContainer[str]
    output_names: _containers.RepeatedScalarFieldContainer[str]
    output_kind: _model_service_pb2.OutputKind
    background_file: str
    batching: BatchingConfig
    device: str
    categorical_features: _containers.RepeatedScalarFieldContainer[str]
    baseline: _containers.RepeatedScalarFieldContainer[float]
    open_inference_backend: OpenInferenceBackend
    reference_file: str
    reference_label_column: str
    embedding_output: str
    def __init__(self, feature_names: _Optional[_Iterable[str]] = ..., score_outputs: _Optional[_Iterable[str]] = ..., output_names: _Optional[_Iterable[str]] = ..., output_kind: _Optional[_Union[_model_service_pb2.OutputKind, str]] = ..., background_file: _Optional[str] = ..., batching: _Optional[_Union[BatchingConfig, _Mapping]] = ..., device: _Optional[str] = ..., categorical_features: _Optional[_Iterable[str]] = ..., baseline: _Optional[_Iterable[float]] = ..., open_inference_backend: _Optional[_Union[OpenInferenceBackend, _Mapping]] = ..., reference_file: _Optional[str] = ..., reference_label_column: _Optional[str] = ..., embedding_output: _Optional[str] = ...) -> None: ...

class OpenInferenceBackend(_message.Message):
    __slots__ = ("target", "model_name", "model_version", "tls", "timeout_millis")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MILLIS_FIELD_NUMBER: _ClassVar[int]
    target: str
    model_name: str
    model_version: str
    tls: BackendTls
    timeout_millis: int
    def __init__(self, target: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., tls: _Optional[_Union[BackendTls, _Mapping]] = ..., timeout_millis: _Optional[int] = ...) -> None: ...

class BackendTls(_message.Message):
    __slots__ = ("ca_file", "cert_file", "key_file", "server_name")
    CA_FILE_FIELD_NUMBER: _ClassVar[int]
    CERT_FILE_FIELD_NUMBER: _ClassVar[int]
    KEY_FILE_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    ca_file: str
    cert_file: str
    key_file: str
    server_name: str
    def __init__(self, ca_file: _Optional[str] = ..., cert_file: _Optional[str] = ..., key_file: _Optional[str] = ..., server_name: _Optional[str] = ...) -> None: ...

class BatchingConfig(_message.Message):
    __slots__ = ("max_batch_rows", "max_queue_delay_micros", "max_queue_rows", "cross_request_batching", "workers")
    MAX_BATCH_ROWS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_DELAY_MICROS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_ROWS_FIELD_NUMBER: _ClassVar[int]
    CROSS_REQUEST_BATCHING_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    max_batch_rows: int
    max_queue_delay_micros: int
    max_queue_rows: int
    cross_request_batching: bool
    workers: int
    def __init__(self, max_batch_rows: _Optional[int] = ..., max_queue_delay_micros: _Optional[int] = ..., max_queue_rows: _Optional[int] = ..., cross_request_batching: bool = ..., workers: _Optional[int] = ...) -> None: ...
