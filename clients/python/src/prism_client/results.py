"""Explanations as numpy arrays, progress events, and the conversion to shap."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _tensors
from ._proto.prism.v1 import explain_service_pb2, model_service_pb2


@dataclass(frozen=True, eq=False)
class Diagnostics:
    """Per-explanation diagnostics, each an array [instances, outputs]."""

    #: Model rows evaluated for the instance (shared by its outputs).
    model_evaluations: np.ndarray
    #: |sum(values) - (model_output - base_value)|; NaN for saliency.
    efficiency_gap: np.ndarray
    elapsed_seconds: np.ndarray
    #: Distinct coalitions evaluated.
    coalitions: np.ndarray
    #: Every coalition was enumerated, so the values are exact Shapley values.
    exact: np.ndarray
    #: Features that vary from the background (the method's M).
    varying_features: np.ndarray
    #: The method met its `tolerance` before spending its whole budget.
    converged: np.ndarray
    #: Gradient methods: sum(values) - (model_output - base_value), signed; None for other methods.
    convergence_delta: np.ndarray | None
    #: LIME's surrogate: intercept, weighted R^2 and prediction at the instance; None for other methods.
    surrogate_intercept: np.ndarray | None
    surrogate_score: np.ndarray | None
    surrogate_local_prediction: np.ndarray | None


@dataclass(frozen=True, eq=False)
class Estimate:
    """A running estimate of one instance's attributions for one output."""

    instance: int
    output: str
    values: np.ndarray
    std_errors: np.ndarray | None


@dataclass(frozen=True, eq=False)
class Progress:
    """The newest progress of a streamed explanation: the server's events since the previous
    item, merged when the reader was slower than the stream."""

    #: Model rows evaluated so far over the whole request.
    evaluations_done: int
    #: Model rows the request will evaluate (may grow for adaptive methods).
    evaluations_total: int
    #: Seconds since the explanation started running on the server.
    elapsed_seconds: float
    #: Estimates that changed since the previous item, the newest of each (instance, output), for
    #: methods that refine one.
    estimates: tuple[Estimate, ...]

    @property
    def fraction(self) -> float:
        """evaluations_done / evaluations_total, 0 before the total is known."""
        return self.evaluations_done / self.evaluations_total if self.evaluations_total else 0.0


class ExplainResult:
    """The attributions of every instance for every explained output.

    Attributes:
        model: the model's name.
        method: the method that ran (for "auto": "exact_shapley" or "kernel_shap").
        feature_names: one per attribution (the model's features, or the feature groups).
        output_names: the explained outputs, in the order of the last axis of `values`.
        values: [instances, features, outputs] attributions.
        base_values: [instances, outputs]: link of the background's mean output for the Shapley
            methods, the surrogate's intercept for LIME, f(baseline) for the gradient methods.
        model_outputs: [instances, outputs]: link(f(x)).
        std_errors: like `values`, for methods that estimate them; None otherwise.
        data: [instances, features]: the instances' values, one column per feature; None when
            the features are groups of input elements.
        mean_abs_values: [features, outputs]: mean |attribution| over the instances.
        elapsed_seconds: the server's wall time for the request.
        partial: True when the request's `time_budget` ran out first: the values are the
            estimates of that moment (see `std_errors`, and `diagnostics.model_evaluations`).
    """

    def __init__(self, *, model: str, method: str, feature_names: list[str], output_names: list[str],
                 values: np.ndarray, base_values: np.ndarray, model_outputs: np.ndarray,
                 std_errors: np.ndarray | None, data: np.ndarray | None, mean_abs_values: np.ndarray,
                 elapsed_seconds: float, partial: bool, diagnostics: Diagnostics | None):
        self.model = model
        self.method = method
        self.feature_names = feature_names
        self.output_names = output_names
        self.values = values
        self.base_values = base_values
        self.model_outputs = model_outputs
        self.std_errors = std_errors
        self.data = data
        self.mean_abs_values = mean_abs_values
        self.elapsed_seconds = elapsed_seconds
        self.partial = partial
        self._diagnostics = diagnostics

    @property
    def diagnostics(self) -> Diagnostics:
        """Per-explanation diagnostics; only when the call passed `diagnostics=True`."""
        if self._diagnostics is None:
            raise AttributeError("diagnostics were not requested: call explain(..., diagnostics=True)")
        return self._diagnostics

    @property
    def instances(self) -> int:
        return self.values.shape[0]

    def output_index(self, output: str | int) -> int:
        """The position of an output on the last axis, from its name or its position."""
        if isinstance(output, str):
            if output not in self.output_names:
                raise ValueError(f"no output {output!r} in this result; its outputs are {self.output_names}")
            return self.output_names.index(output)
        if isinstance(output, (int, np.integer)) and -len(self.output_names) <= output < len(self.output_names):
            return int(output) % len(self.output_names)
        raise ValueError(f"output must be one of {self.output_names} or a position below "
                         f"{len(self.output_names)}, got {output!r}")

    def to_shap(self, output: str | int | None = None) -> Any:
        """A `shap.Explanation` for shap's plots.

        With `output` (a name or position), or when one output was explained: values
        [instances, features] and base_values [instances], so `shap.plots.waterfall(e[0])` and
        `shap.plots.beeswarm(e)` work. Otherwise every output: values [instances, features, outputs].
        """
        try:
            import shap
        except ImportError as e:
            raise ImportError("ExplainResult.to_shap() needs shap: pip install 'prism-client[shap]'") from e
        if output is None and len(self.output_names) > 1:
            return shap.Explanation(values=self.values, base_values=self.base_values, data=self.data,
                                    feature_names=list(self.feature_names), output_names=list(self.output_names))
        k = 0 if output is None else self.output_index(output)
        return shap.Explanation(values=self.values[:, :, k], base_values=self.base_values[:, k], data=self.data,
                                feature_names=list(self.feature_names))

    def __repr__(self) -> str:
        return (f"ExplainResult(model={self.model!r}, method={self.method!r}, instances={self.instances}, "
                f"features={len(self.feature_names)}, outputs={self.output_names})")


def predictions(response: model_service_pb2.PredictResponse) -> np.ndarray:
    """The score outputs side by side: [instances, score columns], one column per output name."""
    columns = [_tensors.decode(t).astype(np.float64, copy=False) for t in response.outputs]
    return np.concatenate([c.reshape(c.shape[0], -1) for c in columns], axis=1)


def progress(event: explain_service_pb2.Progress, estimates: Iterable[explain_service_pb2.Estimate]) -> Progress:
    """The event's counters with `estimates`, which may have come in earlier events."""
    return Progress(
        evaluations_done=event.evaluations_done,
        evaluations_total=event.evaluations_total,
        elapsed_seconds=event.elapsed_seconds,
        estimates=tuple(Estimate(e.instance, e.output, np.array(e.attributions, dtype=np.float64),
                                 np.array(e.standard_errors, dtype=np.float64) if e.standard_errors else None)
                        for e in estimates))


def result(response: explain_service_pb2.ExplainResponse, data: np.ndarray | None) -> ExplainResult:
    """The result of a FORMAT_COMPACT response (summary tensors) or a FORMAT_PER_EXPLANATION one
    (explanation messages, with diagnostics).

    Args:
        data: the instances as [instances, elements] rows, or None when features are groups.
    """
    summary = response.summary
    outputs = list(summary.outputs)
    shape = (summary.instances, len(response.feature_names), len(outputs))
    if summary.HasField("attributions"):
        values = _dense(summary.attributions, shape)
        std_errors = _dense(summary.standard_errors, shape) if summary.HasField("standard_errors") else None
        base_values = _dense(summary.base_values, shape[::2])
        model_outputs = _dense(summary.model_outputs, shape[::2])
        diagnostics = None
    else:
        values, std_errors, base_values, model_outputs, diagnostics = _from_explanations(
            response.explanations, outputs, shape)
    return ExplainResult(
        model=response.model, method=response.method, feature_names=list(response.feature_names),
        output_names=outputs, values=values, base_values=base_values, model_outputs=model_outputs,
        std_errors=std_errors, data=data, mean_abs_values=_dense(summary.mean_abs_attributions, shape[1:]),
        elapsed_seconds=response.elapsed_seconds, partial=response.partial, diagnostics=diagnostics)


def _dense(tensor: Any, shape: tuple[int, ...]) -> np.ndarray:
    values = _tensors.decode(tensor).astype(np.float64, copy=False)
    if values.shape != shape:
        raise ValueError(f"the server sent {tensor.name or 'a tensor'} of shape {list(values.shape)}, "
                         f"expected {list(shape)}")
    return values


# The Diagnostics fields every explanation has, with their dtypes.
_DIAGNOSTIC_COLUMNS = {
    "model_evaluations": np.int64, "efficiency_gap": np.float64, "elapsed_seconds": np.float64,
    "coalitions": np.int64, "exact": np.bool_, "varying_features": np.int64, "converged": np.bool_,
}
# Set for some methods only: NaN where an explanation has none, None when none has.
_OPTIONAL_COLUMNS = ("convergence_delta", "surrogate_intercept", "surrogate_score", "surrogate_local_prediction")


def _from_explanations(explanations: Any, outputs: list[str], shape: tuple[int, int, int]) -> tuple:
    n, _, d = shape
    values = np.zeros(shape)
    std_errors = np.zeros(shape)
    base_values = np.zeros((n, d))
    model_outputs = np.zeros((n, d))
    columns = {name: np.zeros((n, d), dtype) for name, dtype in _DIAGNOSTIC_COLUMNS.items()}
    columns.update({name: np.full((n, d), np.nan) for name in _OPTIONAL_COLUMNS})
    has_errors = has_delta = has_surrogate = False
    if len(explanations) != n * d:
        raise ValueError(f"the server sent {len(explanations)} explanations, expected {n * d}")
    for e in explanations:
        i, k = e.instance, outputs.index(e.output)
        values[i, :, k] = e.attributions
        if e.standard_errors:
            std_errors[i, :, k] = e.standard_errors
            has_errors = True
        base_values[i, k] = e.base_value
        model_outputs[i, k] = e.model_output
        diag = e.diagnostics
        for name in _DIAGNOSTIC_COLUMNS:
            columns[name][i, k] = getattr(diag, name)
        if diag.HasField("convergence_delta"):
            has_delta = True
            columns["convergence_delta"][i, k] = diag.convergence_delta
        if diag.HasField("surrogate"):
            has_surrogate = True
            columns["surrogate_intercept"][i, k] = diag.surrogate.intercept
            columns["surrogate_score"][i, k] = diag.surrogate.score
            columns["surrogate_local_prediction"][i, k] = diag.surrogate.local_prediction
    present = {"convergence_delta": has_delta, "surrogate_intercept": has_surrogate,
               "surrogate_score": has_surrogate, "surrogate_local_prediction": has_surrogate}
    diagnostics = Diagnostics(**{name: column if present.get(name, True) else None
                                 for name, column in columns.items()})
    return values, std_errors if has_errors else None, base_values, model_outputs, diagnostics
