"""Explanations by example (ExampleService.ExplainByExample) as small typed results."""

from dataclasses import dataclass

import grpc
import numpy as np

from . import errors
from ._proto.prism.v1 import example_service_pb2


@dataclass(frozen=True, eq=False)
class ReferenceExample:
    """A row of the model's reference set."""

    #: Its index in the reference file (0 = the first data line).
    row: int
    #: Its distance to the instance, in the request's space (input space for an unlike neighbour).
    distance: float
    #: Its feature values, in the model's feature order.
    values: np.ndarray
    #: The model's scores for it, one per output name.
    prediction: np.ndarray
    #: The argmax of its scores; -1 for a regression model.
    predicted_class: int
    #: Its label, when the model's config names a `reference_label_column`, else None.
    label: float | None


@dataclass(frozen=True)
class DifferingFeature:
    """A feature in which the nearest unlike neighbour differs from the instance."""

    name: str
    index: int
    instance_value: float
    neighbour_value: float
    #: (neighbour - instance) / the reference's standard deviation; 1 for a categorical feature.
    standardised_difference: float


@dataclass(frozen=True, eq=False)
class UnlikeNeighbour:
    """The nearest reference row (in input space) that the model puts in another class."""

    example: ReferenceExample
    #: Most different first.
    differing_features: tuple[DifferingFeature, ...]


@dataclass(frozen=True, eq=False)
class InstanceExamples:
    """What the server found for one instance."""

    #: The model's scores for the instance.
    prediction: np.ndarray
    #: The argmax of the scores; -1 for a regression model.
    predicted_class: int
    #: The k nearest reference rows, nearest first (ties in row order).
    neighbours: tuple[ReferenceExample, ...]
    #: When asked for and some reference row is predicted in another class, else None.
    unlike_neighbour: UnlikeNeighbour | None
    #: The instance's embedding when the space was "embedding", else None.
    embedding: np.ndarray | None

    @property
    def rows(self) -> np.ndarray:
        """The neighbours' reference rows, nearest first."""
        return np.array([n.row for n in self.neighbours], dtype=np.int64)

    @property
    def distances(self) -> np.ndarray:
        """The neighbours' distances, nearest first."""
        return np.array([n.distance for n in self.neighbours], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Prototypes:
    """Prototypes and criticisms (MMD-critic) of a set: the request's instances or the reference set."""

    #: "instances" (indices are instance indices) or "reference" (reference row indices).
    set: str
    #: The Gaussian kernel's sigma used.
    bandwidth: float
    #: The prototypes' indices, in the order chosen.
    prototypes: np.ndarray
    #: MMD^2 between the set and the prototypes chosen up to each one, it included.
    mmd_squared: np.ndarray
    #: The criticisms' indices, in the order chosen.
    criticisms: np.ndarray
    #: The witness function at each criticism: positive where the prototypes under-represent the
    #: set, negative where they over-represent it.
    witness: np.ndarray


@dataclass(frozen=True, eq=False)
class ExampleResult:
    """The answer of `Client.explain_by_example`."""

    model: str
    #: The digest of the model's folder when it was loaded.
    model_version: str
    feature_names: list[str]
    #: The prediction columns' names.
    output_names: list[str]
    #: One per instance, in order.
    instances: tuple[InstanceExamples, ...]
    #: When asked for, else None.
    prototypes: Prototypes | None

    def __len__(self) -> int:
        return len(self.instances)

    def __getitem__(self, i: int) -> InstanceExamples:
        return self.instances[i]


def example_result(response: example_service_pb2.ExplainByExampleResponse,
                   request: example_service_pb2.ExplainByExampleRequest) -> ExampleResult:
    # The answer is read by instance index: one with more or fewer entries would be read against
    # the wrong rows.
    want = request.instances.shape[0] if request.instances.shape else 0
    if len(response.instances) != want:
        raise errors.PrismError(grpc.StatusCode.UNKNOWN,
                                f"the server answered {len(response.instances)} instances, the request has {want}")
    return ExampleResult(
        model=response.model, model_version=response.model_version, feature_names=list(response.feature_names),
        output_names=list(response.output_names),
        instances=tuple(_instance(i) for i in response.instances),
        prototypes=_prototypes(response.prototypes) if response.HasField("prototypes") else None)


def _instance(examples: example_service_pb2.InstanceExamples) -> InstanceExamples:
    unlike = None
    if examples.HasField("unlike_neighbour"):
        u = examples.unlike_neighbour
        unlike = UnlikeNeighbour(_reference(u.example), tuple(
            DifferingFeature(f.name, f.index, f.instance_value, f.neighbour_value, f.standardised_difference)
            for f in u.differing_features))
    return InstanceExamples(
        prediction=np.array(examples.prediction, dtype=np.float64), predicted_class=examples.predicted_class,
        neighbours=tuple(_reference(n) for n in examples.neighbours), unlike_neighbour=unlike,
        embedding=np.array(examples.embedding, dtype=np.float64) if examples.embedding else None)


def _reference(example: example_service_pb2.ReferenceExample) -> ReferenceExample:
    return ReferenceExample(
        row=example.row, distance=example.distance, values=np.array(example.values, dtype=np.float64),
        prediction=np.array(example.prediction, dtype=np.float64), predicted_class=example.predicted_class,
        label=example.label if example.HasField("label") else None)


def _prototypes(p: example_service_pb2.PrototypesAndCriticisms) -> Prototypes:
    kind = "reference" if p.set == example_service_pb2.EXAMPLE_SET_REFERENCE else "instances"
    return Prototypes(
        set=kind, bandwidth=p.bandwidth,
        prototypes=np.array([x.index for x in p.prototypes], dtype=np.int64),
        mmd_squared=np.array([x.mmd_squared for x in p.prototypes], dtype=np.float64),
        criticisms=np.array([x.index for x in p.criticisms], dtype=np.int64),
        witness=np.array([x.witness for x in p.criticisms], dtype=np.float64))
