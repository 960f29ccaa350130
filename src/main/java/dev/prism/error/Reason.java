package dev.prism.error;

/**
 * Why a request failed. Each value has a counterpart of the same name in the public
 * {@code prism.v1.ErrorReason} enum; the server maps it to a gRPC status in one place.
 */
public enum Reason {
    MODEL_NOT_FOUND,
    INVALID_TENSOR,
    INVALID_PARAMS,
    UNKNOWN_OUTPUT,
    BACKGROUND_REQUIRED,
    BUDGET_EXCEEDED,
    METHOD_UNSUPPORTED_FOR_MODEL,
    QUEUE_FULL,
    MODEL_EXECUTION_FAILED,
    SHUTTING_DOWN,
    CANCELLED,
    DEADLINE_EXCEEDED,
    INTERNAL_ERROR,
    UNAUTHENTICATED,
    PERMISSION_DENIED,
    MEMORY_EXHAUSTED,
    SLOW_READER,
    MALFORMED_REQUEST,
    MODEL_OUTPUT_NOT_FINITE,
    MODEL_LOAD_FAILED,
    BACKEND_UNAVAILABLE
}
