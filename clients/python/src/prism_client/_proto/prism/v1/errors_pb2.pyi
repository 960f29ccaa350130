from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    MODEL_NOT_FOUND: _ClassVar[ErrorReason]
    INVALID_TENSOR: _ClassVar[ErrorReason]
    INVALID_PARAMS: _ClassVar[ErrorReason]
    UNKNOWN_OUTPUT: _ClassVar[ErrorReason]
    BACKGROUND_REQUIRED: _ClassVar[ErrorReason]
    BUDGET_EXCEEDED: _ClassVar[ErrorReason]
    METHOD_UNSUPPORTED_FOR_MODEL: _ClassVar[ErrorReason]
    QUEUE_FULL: _ClassVar[ErrorReason]
    MODEL_EXECUTION_FAILED: _ClassVar[ErrorReason]
    SHUTTING_DOWN: _ClassVar[ErrorReason]
    CANCELLED: _ClassVar[ErrorReason]
    DEADLINE_EXCEEDED: _ClassVar[ErrorReason]
    INTERNAL_ERROR: _ClassVar[ErrorReason]
    UNAUTHENTICATED: _ClassVar[ErrorReason]
    PERMISSION_DENIED: _ClassVar[ErrorReason]
    MEMORY_EXHAUSTED: _ClassVar[ErrorReason]
    SLOW_READER: _ClassVar[ErrorReason]
    MALFORMED_REQUEST: _ClassVar[ErrorReason]
    MODEL_OUTPUT_NOT_FINITE: _ClassVar[ErrorReason]
    MODEL_LOAD_FAILED: _ClassVar[ErrorReason]
    BACKEND_UNAVAILABLE: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
MODEL_NOT_FOUND: ErrorReason
INVALID_TENSOR: ErrorReason
INVALID_PARAMS: ErrorReason
UNKNOWN_OUTPUT: ErrorReason
BACKGROUND_REQUIRED: ErrorReason
BUDGET_EXCEEDED: ErrorReason
METHOD_UNSUPPORTED_FOR_MODEL: ErrorReason
QUEUE_FULL: ErrorReason
MODEL_EXECUTION_FAILED: ErrorReason
SHUTTING_DOWN: ErrorReason
CANCELLED: ErrorReason
DEADLINE_EXCEEDED: ErrorReason
INTERNAL_ERROR: ErrorReason
UNAUTHENTICATED: ErrorReason
PERMISSION_DENIED: ErrorReason
MEMORY_EXHAUSTED: ErrorReason
SLOW_READER: ErrorReason
MALFORMED_REQUEST: ErrorReason
MODEL_OUTPUT_NOT_FINITE: ErrorReason
MODEL_LOAD_FAILED: ErrorReason
BACKEND_UNAVAILABLE: ErrorReason
