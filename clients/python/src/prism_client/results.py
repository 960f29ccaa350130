"""Explanations as numpy arrays, progress events, and the conversion to shap."""

import dataclasses
import math
import warnings as _warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _tensors
from ._proto.prism.v1 import explain_service_pb2, model_service_pb2


@dataclass(frozen=True, eq=False)
class SentInstances:
    """What the client keeps of the instances it sent, to lay out the answer like them."""

    #: [instances, elements]: the values sent, one column per element; None when the features are groups.
    data: np.ndarray | None
    #: The rows' pandas index when the instances came as a DataFrame (or a Series), else None.
    index: Any
    #: The shape of one instance, e.g. (1, 8, 8) for an image model's [N, 1, 8, 8] input.
    instance_shape: tuple[int, ...]
    #: Sends the request again to the server's Evaluate, as `reevaluate(result, evaluate, timeout)`,
    #: with the result's attributions: how `ExplainResult.evaluate` reaches the client that made
    #: the result. None for a chunk's part of a request.
    reevaluate: Callable[["ExplainResult", Any, float | None], Any] | None = None


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
class Curve:
    """Deletion or insertion curves, one per instance and output, in link space."""

    #: [instances, outputs, features]: the feature indices in the order they are moved.
    order: np.ndarray
    #: [instances, outputs, points]: features moved at each point, from 0 to the feature count.
    moved: np.ndarray
    #: [instances, outputs, points]: link(mean model output) at each point.
    values: np.ndarray
    #: [instances, outputs]: trapezoid area over the fraction of features moved.
    area: np.ndarray
    #: [instances, outputs]: the area with both curves of an explanation rescaled by their common
    #: range to [0, 1], comparable across instances and models.
    normalized_area: np.ndarray


@dataclass(frozen=True, eq=False)
class Evaluation:
    """How far each explanation can be trusted: arrays [instances, outputs] (curves with a last axis
    of points); a metric that was not asked for is None. See the server's README, "Evaluating an
    explanation", for what each means and costs."""

    #: Output as features are removed in decreasing order of their attribution: low area = faithful.
    deletion: Curve | None
    #: Output as features are put back in that order: high area = faithful.
    insertion: Curve | None
    #: Captum's infidelity (lower is more faithful), its normalised value, the scale beta, samples.
    infidelity: np.ndarray | None
    infidelity_normalized: np.ndarray | None
    infidelity_beta: np.ndarray | None
    infidelity_samples: np.ndarray | None
    #: Captum's sensitivity_max: max ||phi(x') - phi(x)|| / ||phi(x)|| over the perturbed inputs.
    sensitivity_max: np.ndarray | None
    #: Mean share of the top_k features by |phi| that stay in the top k.
    rank_stability: np.ndarray | None
    top_k: np.ndarray | None
    #: Entropy (nats) of |phi| / sum|phi|.
    entropy: np.ndarray | None
    #: Fewest features whose |phi| reach `fraction` of sum|phi|.
    effective_features: np.ndarray | None
    fraction: np.ndarray | None


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


class PrismWarning(UserWarning):
    """A warning the server attached to an explanation (see `ExplainResult.warnings`)."""


@dataclass(frozen=True)
class ResponseWarning:
    """Something about an answer its reader should know."""

    #: For programs, e.g. "EFFICIENCY_GAP".
    code: str
    #: What it is and what to do, for people.
    message: str


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
        index: the input DataFrame's index (a Series' name) when the instances came as pandas
            objects, else None; `to_frame()` keeps it.
        instance_shape: the shape of one instance, e.g. (1, 8, 8); `to_shap()` lays images out by it.
        warnings: what the server says a reader should know before trusting the values (e.g.
            code "EFFICIENCY_GAP": attributions that should add up to model_output - base_value
            leave much of it unexplained); each was also issued as a `PrismWarning`.
        interactions: [instances, features, features, outputs] interaction values when the
            method was asked for them (tree_shap with interactions=True; rows sum to `values`,
            as shap's shap_interaction_values), else None.
    """

    def __init__(self, *, model: str, method: str, feature_names: list[str], output_names: list[str],
                 values: np.ndarray, base_values: np.ndarray, model_outputs: np.ndarray,
                 std_errors: np.ndarray | None, data: np.ndarray | None, mean_abs_values: np.ndarray,
                 elapsed_seconds: float, partial: bool, diagnostics: Diagnostics | None, index: Any = None,
                 instance_shape: tuple[int, ...] | None = None,
                 warnings: tuple["ResponseWarning", ...] = (), interactions: np.ndarray | None = None,
                 evaluation: Evaluation | None = None,
                 reevaluate: Callable[["ExplainResult", Any, float | None], Any] | None = None):
        self.model = model
        self.method = method
        self.feature_names = feature_names
        self.output_names = output_names
        self.values = values
        self.base_values = base_values
        self.model_outputs = model_outputs
        self.std_errors = std_errors
        self.interactions = interactions
        self.data = data
        self.mean_abs_values = mean_abs_values
        self.elapsed_seconds = elapsed_seconds
        self.partial = partial
        self.warnings = tuple(warnings)
        self.index = index
        self.instance_shape = tuple(instance_shape) if instance_shape is not None else (len(feature_names),)
        self._diagnostics = diagnostics
        self._evaluation = evaluation
        self._reevaluate = reevaluate

    @property
    def diagnostics(self) -> Diagnostics:
        """Per-explanation diagnostics; only when the call passed `diagnostics=True` (or `evaluate=`)."""
        if self._diagnostics is None:
            raise AttributeError("diagnostics were not requested: call explain(..., diagnostics=True)")
        return self._diagnostics

    @property
    def evaluation(self) -> Evaluation:
        """The evaluation metrics of each explanation; only when the call passed `evaluate=`."""
        if self._evaluation is None:
            raise AttributeError("no evaluation was requested: call explain(..., evaluate=True)")
        return self._evaluation

    def evaluate(self, evaluate: Any = True, *, timeout: float | None = None) -> "ExplainResult":
        """These attributions evaluated by the server: the request that made this result sent again
        to Evaluate, with `values` as the given attributions, and `evaluate` (as `explain`'s: True,
        a mapping of metrics to their parameters, or an EvaluationParams) naming the metrics. Returns
        a new result whose `values` are these and whose `evaluation` is set; a result of
        `AsyncClient` returns an awaitable of it. A `time_budget` of the request is not sent again:
        partial values are evaluated as they are.

        Each call computes the metrics anew, so one explanation can be measured in several ways
        without explaining it again (sensitivity excepted: it explains the perturbed inputs)."""
        if self._reevaluate is None:
            raise ValueError("this result cannot be sent back for evaluation: only a result of Client.explain, "
                             "stream_explain or evaluate (or AsyncClient's) keeps the request that made it")
        return self._reevaluate(self, evaluate, timeout)

    def plot_deletion_curve(self, instance: int = 0, output: str | int | None = None, ax: Any = None) -> Any:
        """Plots one explanation's deletion curve (and its insertion curve when there is one): the
        model's output in link space against the fraction of features moved. `output` is a name or
        a position (default the first); draws on `ax` (default a new figure's) and returns it."""
        curves = self.evaluation.deletion
        if curves is None:
            raise AttributeError("no deletion curve was requested: call explain(..., evaluate={'deletion': {}})")
        if not -self.instances <= instance < self.instances:
            raise ValueError(f"instance must be below {self.instances}, got {instance}")
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:
            raise ImportError("ExplainResult.plot_deletion_curve() needs matplotlib: "
                              "pip install 'prism-client[plot]'") from e
        k = 0 if output is None else self.output_index(output)
        if ax is None:
            _, ax = plt.subplots()
        features = len(self.feature_names)
        for name, curve in (("deletion", curves), ("insertion", self.evaluation.insertion)):
            if curve is not None:
                ax.plot(curve.moved[instance, k] / features, curve.values[instance, k], marker=".",
                        label=f"{name} (area {curve.area[instance, k]:.4g})")
        ax.set_xlabel("fraction of features moved")
        ax.set_ylabel(f"{self.output_names[k]} (link space)")
        ax.set_title(f"{self.model} {self.method}: instance {instance}")
        ax.legend()
        return ax

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

    def to_frame(self, output: str | int | None = None) -> Any:
        """The attributions as a pandas DataFrame, one row per instance, indexed like the input
        DataFrame (or Series) when the instances came as one, 0..n-1 otherwise.

        With `output` (a name or position), or when one output was explained: one column per
        feature. Otherwise every output: columns (output, feature), a two-level MultiIndex, so
        `frame["virginica"]` is that output's attributions.
        """
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("ExplainResult.to_frame() needs pandas: pip install 'prism-client[pandas]'") from e
        index = self.index if self.index is not None else pd.RangeIndex(self.instances)
        if output is None and len(self.output_names) > 1:
            columns = pd.MultiIndex.from_product([self.output_names, self.feature_names], names=["output", "feature"])
            values = np.moveaxis(self.values, 2, 1).reshape(self.instances, -1)
            return pd.DataFrame(values, index=index, columns=columns)
        k = 0 if output is None else self.output_index(output)
        return pd.DataFrame(self.values[:, :, k], index=index,
                            columns=pd.Index(self.feature_names, name="feature"))

    def to_shap(self, output: str | int | None = None, *, flat: bool = False, channels_last: bool = False) -> Any:
        """A `shap.Explanation` for shap's plots.

        With `output` (a name or position), or when one output was explained: the values of that
        output, so `shap.plots.waterfall(e[0])` and `shap.plots.beeswarm(e)` work. Otherwise every
        output, on a last axis of its own.

        Instances of one dimension give values [instances, features(, outputs)] with the feature
        names. Images (instances of two or three dimensions, whose features are their elements)
        keep their shape, as shap's image explainers lay them out and `shap.plots.image` reads
        them: values [instances, height, width, channels(, outputs)] and data [instances, height,
        width, channels]. An instance of three dimensions is read as [channels, height, width]
        (the layout of `feature_groups={"grid": ...}`), or as [height, width, channels] with
        `channels_last=True`; one of two dimensions as [height, width] with one channel. Shaped
        explanations have no feature names (shap cannot slice them); `flat=True` gives the flat
        layout with names instead, for waterfall, beeswarm and bar plots of single pixels.
        """
        try:
            import shap
        except ImportError as e:
            raise ImportError("ExplainResult.to_shap() needs shap: pip install 'prism-client[shap]'") from e
        if output is None and len(self.output_names) > 1:
            values, base_values, extra = self.values, self.base_values, {"output_names": list(self.output_names)}
        else:
            k = 0 if output is None else self.output_index(output)
            values, base_values, extra = self.values[:, :, k], self.base_values[:, k], {}
        image = self._image_shape(channels_last)
        if flat or image is None:
            return shap.Explanation(values=values, base_values=base_values, data=self.data,
                                    feature_names=list(self.feature_names), **extra)
        return shap.Explanation(values=self._as_images(values, image, channels_last),
                                base_values=base_values,
                                data=self._as_images(self.data, image, channels_last), **extra)

    def _image_shape(self, channels_last: bool) -> tuple[int, int, int] | None:
        """[height, width, channels] when the instances are images whose features are their elements."""
        shape = self.instance_shape
        if self.data is None or len(shape) not in (2, 3) or math.prod(shape) != len(self.feature_names):
            return None
        if len(shape) == 2:
            return shape[0], shape[1], 1
        return (shape[0], shape[1], shape[2]) if channels_last else (shape[1], shape[2], shape[0])

    def _as_images(self, flat: np.ndarray, image: tuple[int, int, int], channels_last: bool) -> np.ndarray:
        """[instances, elements(, outputs)] in the model's element order as [instances, H, W, C(, outputs)]."""
        trailing = flat.shape[2:]
        if len(self.instance_shape) == 3 and not channels_last:
            c, h, w = self.instance_shape
            return np.moveaxis(flat.reshape(flat.shape[0], c, h, w, *trailing), 1, 3)
        return flat.reshape(flat.shape[0], *image, *trailing)

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


def result(response: explain_service_pb2.ExplainResponse, sent: SentInstances, *, stacklevel: int = 3
           ) -> ExplainResult:
    """The result of a FORMAT_COMPACT response (summary tensors) or a FORMAT_PER_EXPLANATION one
    (explanation messages, with diagnostics), for the instances `sent`. The server's warnings are
    issued `stacklevel` frames up, at the user's code: by default the caller's caller, as for a
    client's method that calls this directly."""
    summary = response.summary
    outputs = list(summary.outputs)
    shape = (summary.instances, len(response.feature_names), len(outputs))
    if summary.HasField("attributions"):
        values = _dense(summary.attributions, shape)
        std_errors = _dense(summary.standard_errors, shape) if summary.HasField("standard_errors") else None
        base_values = _dense(summary.base_values, shape[::2])
        model_outputs = _dense(summary.model_outputs, shape[::2])
        interactions = (_dense(summary.interactions, (shape[0], shape[1], shape[1], shape[2]))
                        if summary.HasField("interactions") else None)
        diagnostics = evaluation = None
    else:
        values, std_errors, base_values, model_outputs, diagnostics = _from_explanations(
            response.explanations, outputs, shape)
        interactions = _interactions(response.explanations, outputs, shape)
        evaluation = _evaluation(response.explanations, outputs, shape)
    server_warnings = tuple(ResponseWarning(w.code, w.message) for w in response.warnings)
    for w in server_warnings:
        _warnings.warn(f"{w.code}: {w.message}", PrismWarning, stacklevel=stacklevel)
    return ExplainResult(
        model=response.model, method=response.method, feature_names=list(response.feature_names),
        output_names=outputs, values=values, base_values=base_values, model_outputs=model_outputs,
        std_errors=std_errors, data=sent.data, mean_abs_values=_dense(summary.mean_abs_attributions, shape[1:]),
        elapsed_seconds=response.elapsed_seconds, partial=response.partial, diagnostics=diagnostics,
        index=sent.index, instance_shape=sent.instance_shape, warnings=server_warnings, interactions=interactions,
        evaluation=evaluation, reevaluate=sent.reevaluate)


# Evaluation's scalar fields: (message field, its field, dtype), each set when its message is.
_EVALUATION_SCALARS = {
    "infidelity": ("infidelity", "value", np.float64),
    "infidelity_normalized": ("infidelity", "normalized", np.float64),
    "infidelity_beta": ("infidelity", "beta", np.float64),
    "infidelity_samples": ("infidelity", "samples", np.int64),
    "sensitivity_max": ("sensitivity", "max", np.float64),
    "rank_stability": ("sensitivity", "rank_stability", np.float64),
    "top_k": ("sensitivity", "top_k", np.int64),
    "entropy": ("complexity", "entropy", np.float64),
    "effective_features": ("complexity", "effective_features", np.int64),
    "fraction": ("complexity", "fraction", np.float64),
}


def _evaluation(explanations: Any, outputs: list[str], shape: tuple[int, int, int]) -> Evaluation | None:
    """The explanations' evaluations as arrays, or None when the request asked for none."""
    if not explanations or not explanations[0].HasField("evaluation"):
        return None
    n, _, d = shape
    first = explanations[0].evaluation
    scalars = {name: np.zeros((n, d), dtype) if first.HasField(metric) else None
               for name, (metric, _, dtype) in _EVALUATION_SCALARS.items()}
    for e in explanations:
        i, k = e.instance, outputs.index(e.output)
        for name, (metric, field, _) in _EVALUATION_SCALARS.items():
            if scalars[name] is not None:
                scalars[name][i, k] = getattr(getattr(e.evaluation, metric), field)
    curves = {name: _curves(explanations, outputs, n, d, name) if first.HasField(name) else None
              for name in ("deletion", "insertion")}
    return Evaluation(**curves, **scalars)


def _curves(explanations: Any, outputs: list[str], n: int, d: int, name: str) -> Curve:
    """One kind of curve of every explanation; all have as many points, their features alike."""
    first = getattr(explanations[0].evaluation, name)
    order = np.zeros((n, d, len(first.order)), np.int64)
    moved = np.zeros((n, d, len(first.moved)), np.int64)
    values = np.zeros((n, d, len(first.values)))
    area = np.zeros((n, d))
    normalized_area = np.zeros((n, d))
    for e in explanations:
        i, k = e.instance, outputs.index(e.output)
        curve = getattr(e.evaluation, name)
        if len(curve.moved) != moved.shape[2] or len(curve.values) != moved.shape[2]:
            raise ValueError(f"the server sent a {name} curve of {len(curve.values)} points, expected {moved.shape[2]}")
        order[i, k] = curve.order
        moved[i, k] = curve.moved
        values[i, k] = curve.values
        area[i, k] = curve.area
        normalized_area[i, k] = curve.normalized_area
    return Curve(order, moved, values, area, normalized_area)


def _interactions(explanations: Any, outputs: list[str], shape: tuple[int, int, int]) -> np.ndarray | None:
    """[instances, features, features, outputs] from the explanations' interaction matrices, or None."""
    if not explanations or not explanations[0].interactions:
        return None
    n, m, d = shape
    pairs = np.zeros((n, m, m, d))
    for e in explanations:
        if len(e.interactions) != m * m:
            raise ValueError(f"the server sent {len(e.interactions)} interaction values, expected {m * m}")
        pairs[e.instance, :, :, outputs.index(e.output)] = np.reshape(e.interactions, (m, m))
    return pairs


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


def concatenated(parts: list[ExplainResult], sent: SentInstances) -> ExplainResult:
    """One result from the results of consecutive chunks of the instances `sent`, in order: the
    per-instance arrays end to end, `mean_abs_values` over all the instances, `elapsed_seconds`
    the sum of the chunks' server times, `partial` when any chunk was."""
    first = parts[0]
    values = np.concatenate([p.values for p in parts])
    diagnostics = None
    if first._diagnostics is not None:
        diagnostics = Diagnostics(**{
            f.name: _joined([getattr(p.diagnostics, f.name) for p in parts], [p.instances for p in parts],
                            len(first.output_names))
            for f in dataclasses.fields(Diagnostics)})
    warnings = tuple(dict.fromkeys(w for p in parts for w in p.warnings))
    return ExplainResult(
        model=first.model, method=first.method, feature_names=first.feature_names,
        output_names=first.output_names, values=values,
        base_values=np.concatenate([p.base_values for p in parts]),
        model_outputs=np.concatenate([p.model_outputs for p in parts]),
        std_errors=None if first.std_errors is None else np.concatenate([p.std_errors for p in parts]),
        data=sent.data, mean_abs_values=np.abs(values).mean(axis=0),
        elapsed_seconds=sum(p.elapsed_seconds for p in parts), partial=any(p.partial for p in parts),
        diagnostics=diagnostics, index=sent.index, instance_shape=sent.instance_shape, warnings=warnings,
        interactions=None if first.interactions is None else np.concatenate([p.interactions for p in parts]),
        evaluation=None if first._evaluation is None else _joined_evaluation([p.evaluation for p in parts]),
        reevaluate=sent.reevaluate)


def _joined_evaluation(parts: list[Evaluation]) -> Evaluation:
    """The chunks' evaluations end to end; every chunk asked for the same metrics."""
    def joined(values: list[Any]) -> Any:
        if values[0] is None:
            return None
        if isinstance(values[0], Curve):
            return Curve(*(np.concatenate([getattr(c, f.name) for c in values]) for f in dataclasses.fields(Curve)))
        return np.concatenate(values)
    return Evaluation(**{f.name: joined([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(Evaluation)})


def _joined(columns: list[np.ndarray | None], rows: list[int], outputs: int) -> np.ndarray | None:
    """A diagnostics column over all chunks; NaN for the chunks where an optional one is absent."""
    if all(c is None for c in columns):
        return None
    return np.concatenate([np.full((n, outputs), np.nan) if c is None else c for c, n in zip(columns, rows)])
