"""Python client of the Prism explanation server.

    from prism_client import Client

    with Client("localhost:50051") as prism:
        result = prism.explain("iris", [5.1, 3.5, 1.4, 0.2], "exact_shapley")
        result.values        # [instances, features, outputs]
"""

from ._request import METHODS
from .aio import AsyncClient
from .client import Client
from .errors import (
    CallCancelledError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    PrismError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
)
from .examples import (
    DifferingFeature,
    ExampleResult,
    InstanceExamples,
    Prototypes,
    ReferenceExample,
    UnlikeNeighbour,
)
from .models import MethodInfo, ModelInfo, TensorSpec
from .results import (
    Curve,
    Diagnostics,
    Estimate,
    Evaluation,
    ExplainResult,
    PrismWarning,
    Progress,
    ResponseWarning,
)

__all__ = [
    "METHODS",
    "AsyncClient",
    "CallCancelledError",
    "Client",
    "Curve",
    "DeadlineExceededError",
    "Diagnostics",
    "DifferingFeature",
    "Estimate",
    "Evaluation",
    "ExampleResult",
    "ExplainResult",
    "FailedPreconditionError",
    "InstanceExamples",
    "InternalError",
    "InvalidArgumentError",
    "MethodInfo",
    "ModelInfo",
    "NotFoundError",
    "PermissionDeniedError",
    "PrismError",
    "PrismWarning",
    "Progress",
    "Prototypes",
    "ReferenceExample",
    "ResourceExhaustedError",
    "ResponseWarning",
    "TensorSpec",
    "UnauthenticatedError",
    "UnavailableError",
    "UnlikeNeighbour",
]
