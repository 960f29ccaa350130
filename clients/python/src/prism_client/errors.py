"""Exceptions for failed calls, with the details Prism puts in every error status."""

from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

_DETAILS_KEY = "grpc-status-details-bin"


class PrismError(Exception):
    """A call that ended with a non-OK gRPC status.

    Attributes:
        code: the gRPC status code (`grpc.StatusCode`).
        message: the status message.
        reason: the `prism.v1.ErrorReason` name from the status's `google.rpc.ErrorInfo`
            (e.g. "INVALID_PARAMS"); None when the status has none, e.g. a deadline that
            passed on the client or a server that could not be reached.
        domain: the ErrorInfo's domain ("prism.dev"), or None.
        field_violations: (field, description) pairs from `google.rpc.BadRequest`.
        retry_delay: seconds to wait before retrying, from `google.rpc.RetryInfo`, or None.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *, reason: str | None = None,
                 domain: str | None = None, field_violations: list[tuple[str, str]] | None = None,
                 retry_delay: float | None = None):
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.field_violations = list(field_violations or [])
        self.retry_delay = retry_delay
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.code.name}"
        if self.reason:
            text += f" ({self.reason})"
        text += f": {self.message}"
        for name, description in self.field_violations:
            violation = f"{name}: {description}"
            if violation not in self.message:
                text += f"\n  {violation}"
        if self.retry_delay is not None:
            text += f"\n  retry after {self.retry_delay:g} s"
        return text


class InvalidArgumentError(PrismError):
    """INVALID_ARGUMENT: bad tensors, parameters, outputs or budgets."""


class NotFoundError(PrismError):
    """NOT_FOUND: no model of that name."""


class UnauthenticatedError(PrismError):
    """UNAUTHENTICATED: the server checks bearer tokens (`--tokens-file`) and the call had none or an
    unknown one; send `metadata={"authorization": "Bearer <token>"}`."""


class PermissionDeniedError(PrismError):
    """PERMISSION_DENIED: the call's token may not use this model (or, for a reload, every model)."""


class FailedPreconditionError(PrismError):
    """FAILED_PRECONDITION: the model cannot be explained with the requested method."""


class ResourceExhaustedError(PrismError):
    """RESOURCE_EXHAUSTED: the server's queues are full; retry after `retry_delay`."""


class DeadlineExceededError(PrismError):
    """DEADLINE_EXCEEDED: the call's timeout passed before the work finished."""


class UnavailableError(PrismError):
    """UNAVAILABLE: the server cannot be reached or is shutting down, or the model's backend is out of reach."""


class InternalError(PrismError):
    """INTERNAL: the model failed in ONNX Runtime, or a defect in the server."""


class CallCancelledError(PrismError):
    """CANCELLED: the call was cancelled."""


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.CANCELLED: CallCancelledError,
}


def from_rpc_error(error: grpc.RpcError) -> PrismError:
    """The PrismError for a failed call (sync or grpc.aio), with its status details decoded."""
    code: Any = error.code()
    message = error.details() or ""
    fields: dict[str, Any] = {}
    for key, value in error.trailing_metadata() or ():
        if key == _DETAILS_KEY:
            fields = _details(value)
    return _BY_CODE.get(code, PrismError)(code, message, **fields)


def _details(encoded: bytes) -> dict[str, Any]:
    status = status_pb2.Status.FromString(encoded)
    fields: dict[str, Any] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            fields["reason"] = info.reason
            fields["domain"] = info.domain
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields["field_violations"] = [(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            fields["retry_delay"] = retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9
    return fields
