"""The blocking client."""

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import grpc
import numpy as np

from . import _channel, _chunks, _request, _stream, errors, examples, results
from ._progress import ProgressBar
from ._proto.prism.v1 import explain_service_pb2, model_service_pb2
from ._request import TimeBudget
from .examples import ExampleResult
from .models import ModelInfo, model_info
from .results import ExplainResult, Progress, SentInstances


class Client:
    """A blocking client of a Prism server, or of a fleet of them.

    Args:
        target: "host:port"; a name that resolves to several servers, e.g.
            "dns:///prism-headless.ns.svc.cluster.local:8001"; or several targets, as a list or a
            comma-separated string. Calls are spread with gRPC's round_robin policy over the
            addresses of a name, and in turn over several targets (one channel each); a large
            `explain` with `chunk_rows=` runs on all of them at once.
        credentials: gRPC channel credentials, for full control over TLS.
        tls: use TLS with the system's root certificates (implied by the options below).
        root_certificates, certificate_chain, private_key: PEM bytes, a PEM string or a file path:
            the CAs that sign the server's certificate, and the client's certificate and key for
            mutual TLS.
        timeout: default deadline, in seconds, of models, model, predict and explain_by_example
            (None: no deadline).
        explain_timeout: default deadline of explain, stream_explain and evaluate (None, the default: no
            deadline). An explanation's length grows with its instances and sample budget, so a
            deadline that suits the quick calls would kill a large job and drop all its work; bound
            a long job with its own `timeout=`, with this, or with `time_budget=` (kernel_shap,
            permutation_shap, lime), which answers from what it evaluated instead of failing.
        metadata: (key, value) pairs or a mapping sent with every call, e.g. an authorization header.
        options: gRPC channel options, e.g. [("grpc.ssl_target_name_override", "prism.internal")];
            ("grpc.lb_policy_name", "pick_first") undoes the round_robin default.
    """

    def __init__(self, target: str | Sequence[str], *, credentials: grpc.ChannelCredentials | None = None, tls: bool | None = None,
                 root_certificates: _channel.Pem | None = None, certificate_chain: _channel.Pem | None = None,
                 private_key: _channel.Pem | None = None, timeout: float | None = None,
                 explain_timeout: float | None = None,
                 metadata: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
                 options: Sequence[tuple[str, Any]] | None = None):
        creds = _channel.credentials(credentials=credentials, tls=tls, root_certificates=root_certificates,
                                     certificate_chain=certificate_chain, private_key=private_key)
        channel_options = _channel.options(options)
        self._replicas = []
        for name in _channel.targets(target):
            channel = (grpc.secure_channel(name, creds, channel_options) if creds
                       else grpc.insecure_channel(name, channel_options))
            self._replicas.append(_channel.Replica.of(name, channel))
        # next() on a cycle is atomic under the GIL, so threads sharing the client need no lock.
        self._turns = itertools.cycle(self._replicas)
        self._settings = _channel.CallSettings(timeout, explain_timeout, metadata)
        self._infos: dict[str, ModelInfo] = {}

    @property
    def targets(self) -> list[str]:
        """The targets this client calls, one per channel."""
        return [r.target for r in self._replicas]

    def close(self) -> None:
        for r in self._replicas:
            r.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def models(self, *, timeout: float | None = None) -> list[ModelInfo]:
        """Every model the server has loaded, sorted by name."""
        response = self._call(next(self._turns).models.ListModels, model_service_pb2.ListModelsRequest(), timeout)
        infos = [model_info(m) for m in response.models]
        self._infos.update((m.name, m) for m in infos)
        return infos

    def model(self, name: str, *, timeout: float | None = None) -> ModelInfo:
        """One model's signature, names and capabilities; NotFoundError for an unknown name."""
        info = model_info(self._call(next(self._turns).models.GetModel, model_service_pb2.GetModelRequest(name=name), timeout))
        self._infos[name] = info
        return info

    def predict(self, model: str, X: Any, *, timeout: float | None = None) -> np.ndarray:
        """The model's scores for the instances: [instances, outputs], columns as `model(name).output_names`."""
        request = _request.predict_request(self._info(model, timeout), X)
        return results.predictions(self._call(next(self._turns).models.Predict, request, timeout))

    def explain(self, model: str, X: Any, method: str = "kernel_shap", *, background: Any = None,
                background_weights: Any = None, background_kmeans: int = 0,
                outputs: str | Sequence[str] | None = None, seed: int | None = None, link: str | None = None,
                feature_groups: Any = None, baseline: Any = None, time_budget: TimeBudget | None = None,
                evaluate: Any = None,
                params: Mapping[str, Any] | None = None, diagnostics: bool = False, progress: bool = False,
                timeout: float | None = None, chunk_rows: int | None = None, concurrency: int | None = None,
                on_chunk: Callable[[str, int, int], None] | None = None,
                **method_params: Any) -> ExplainResult:
        """Explains the instances `X` (one or many; numpy array or pandas DataFrame).

        Args:
            method: one of `prism_client.METHODS` (e.g. "kernel_shap", "exact_shapley", "deep_lift").
            background: rows for masking, shaped like X (default: the model's background).
            background_weights: one weight per background row.
            background_kmeans: summarise the background to this many weighted centres first.
            outputs: the output name(s) to explain (default all).
            seed: seed of the method's random choices (default 0).
            link: "identity" or "logit".
            feature_groups: {"explicit": {name: [features]}}, {"grid": {...}}, {"segments": ids},
                {"tokens": {}} or a prism.v1.FeatureGroups message.
            baseline: a constant, one instance of values, or {"mask_token_id": id}.
            time_budget: the method's best answer within this time (seconds, or a timedelta; kernel_shap,
                permutation_shap and lime: `model(...).method_details[m].time_budget`),
                counted from the server's receipt of the request; when it runs out first, the
                result holds the estimates of that moment and `.partial` is True. Must be positive.
            evaluate: also measure how far each explanation can be trusted, into `.evaluation`:
                True for the cheap metrics (complexity, and deletion/insertion curves of 10 steps),
                or a mapping from metrics ("deletion", "infidelity", "sensitivity", "complexity")
                to their parameters (True or {} for the server's defaults), e.g.
                {"deletion": {"steps": 20}, "sensitivity": {"n_perturbations": 5, "seed": 1}}, or
                a prism.v1.EvaluationParams. Asks for per-explanation messages, so `.diagnostics`
                is set too. Its model rows count against the same deadline.
            params, **method_params: fields of the method's parameter message, e.g. nsamples=512
                for kernel_shap (params= reaches a field named like an argument here, such as
                integrated_gradients' "method"). Enums by name, e.g. estimator="kernel".
            diagnostics: ask for one message per explanation, so that `.diagnostics` is set.
            progress: show a tqdm progress bar fed by the server's progress events.
            timeout: this call's deadline in seconds (default: the client's `explain_timeout`, none
                unless set). When it passes, the call fails with DeadlineExceededError and the work
                done is dropped; `time_budget` returns the estimates of that moment instead.
                With `chunk_rows`, the deadline of each chunk's call.
            chunk_rows: split the instances into requests of this many rows, run `concurrency` at
                once over the client's targets, and merge the answers in order into one result
                (`elapsed_seconds` is then the sum of the chunks' server times). A chunk refused
                as UNAVAILABLE (its server died, or drains for shutdown) is sent again to another
                target, which is then preferred for the rest of the job; the call fails when
                every target has refused, or at any other error. Use a method whose answer for a
                row does not depend on the rows beside it (any seeded method does), so that the
                merged result equals one call's. Not with progress=True.
            concurrency: chunks in flight at once (default: one per target, or 4 for a single
                target, whose name may resolve to several servers).
            on_chunk: called as `on_chunk(target, start, stop)` from a worker thread when the
                rows [start, stop) have been answered by `target`.
        """
        _chunks.check_arguments(chunk_rows, concurrency, on_chunk, progress)
        request, sent = self._explain_request(
            model, X, method, params, method_params, timeout, diagnostics, background=background,
            background_weights=background_weights, background_kmeans=background_kmeans, outputs=outputs,
            seed=seed, link=link, feature_groups=feature_groups, baseline=baseline, time_budget=time_budget,
            evaluate=evaluate)
        if chunk_rows is not None:
            return self._explain_in_chunks(model, X, request, sent, timeout, chunk_rows, concurrency, on_chunk)
        if not progress:
            return results.result(self._call(next(self._turns).explain.Explain, request, timeout, explaining=True),
                                  sent)
        bar = ProgressBar(f"{model} {method}")
        finished = False
        events = self._events(request, sent, timeout)
        try:
            for event in events:
                if isinstance(event, Progress):
                    bar.update(event)
                else:
                    finished = True
                    return event
        finally:
            events.close()
            bar.close(finished)
        raise errors.PrismError(grpc.StatusCode.UNKNOWN, "the stream ended without a result")

    def stream_explain(self, model: str, X: Any, method: str = "kernel_shap", *, background: Any = None,
                       background_weights: Any = None, background_kmeans: int = 0,
                       outputs: str | Sequence[str] | None = None, seed: int | None = None,
                       link: str | None = None, feature_groups: Any = None, baseline: Any = None,
                       time_budget: TimeBudget | None = None,
                       evaluate: Any = None, params: Mapping[str, Any] | None = None,
                       diagnostics: bool = False, timeout: float | None = None,
                       **method_params: Any) -> Iterator[Progress | ExplainResult]:
        """Like `explain`, streamed: `Progress` events while the work runs, then the `ExplainResult`.

        A thread reads the stream as it comes, so each `Progress` is the newest state: when the loop
        is slower than the server, the events in between are merged into the next one (its
        `estimates` are all those that changed since the previous item), never queued.
        The arguments are checked before the call starts; leaving the loop early, closing or
        dropping the iterator cancels the call and ends the thread.
        """
        request, sent = self._explain_request(
            model, X, method, params, method_params, timeout, diagnostics, background=background,
            background_weights=background_weights, background_kmeans=background_kmeans, outputs=outputs,
            seed=seed, link=link, feature_groups=feature_groups, baseline=baseline, time_budget=time_budget,
            evaluate=evaluate)
        return self._events(request, sent, timeout)

    def evaluate(self, model: str, X: Any, method: str = "kernel_shap", *, attributions: Any = None,
                 evaluate: Any = True, background: Any = None, background_weights: Any = None,
                 background_kmeans: int = 0, outputs: str | Sequence[str] | None = None, seed: int | None = None,
                 link: str | None = None, feature_groups: Any = None, baseline: Any = None,
                 params: Mapping[str, Any] | None = None, timeout: float | None = None,
                 **method_params: Any) -> ExplainResult:
        """Measures how far explanations of the instances `X` can be trusted (the Evaluate call).

        Args:
            attributions: the attributions to evaluate, made before or by another tool, laid out as
                `ExplainResult.values`: [instances, features, outputs] with the explained outputs
                in order (`outputs=`, default all of the model's), or [instances, features] when
                one output is explained; in the request's `link` space. None: the server explains
                the instances with `method` first, as `explain(..., evaluate=...)` does.
            evaluate: the metrics, as `explain`'s (default True: complexity and 10-step deletion
                and insertion curves).
            method, params, **method_params and the other arguments: as `explain`'s. They define
                the explanation the attributions stand for: deletion and insertion move features
                toward the method's background or baseline, and sensitivity explains the perturbed
                inputs with the method and compares the result with the given attributions.

        Returns the result `explain` would, its `values` the given attributions, with `evaluation`.
        The shape of `attributions` is checked here (ValueError); the server refuses what it alone
        can judge with InvalidArgumentError. The deadline is `explain_timeout`'s, as explain's.
        """
        info = self._info(model, timeout)
        request, sent = self._explain_request(
            model, X, method, params, method_params, timeout, True, background=background,
            background_weights=background_weights, background_kmeans=background_kmeans, outputs=outputs,
            seed=seed, link=link, feature_groups=feature_groups, baseline=baseline)
        evaluating = _request.evaluate_request(request, evaluate, attributions,
                                               _request.explained_outputs(request, info),
                                               _request.attributed_features(request))
        return self._evaluate(evaluating, sent, timeout, stacklevel=4)

    def explain_by_example(self, model: str, X: Any, *, k: int = 5, space: str = "input",
                           unlike_neighbour: float | bool | None = None, prototypes: Any = None,
                           timeout: float | None = None) -> ExampleResult:
        """Explains the instances `X` by examples from the model's reference set (its config's
        `reference_file`; FailedPreconditionError for a model without one).

        Args:
            k: the nearest reference rows returned per instance (0 to 1000).
            space: where closeness is measured: "input" (each numeric feature standardised by the
                reference's mean and standard deviation, a categorical feature's mismatch adding 1
                to the squared distance), "output" (the score columns) or "embedding" (the
                model's embedding output, for a model whose config names one).
            unlike_neighbour: also find each instance's nearest reference row (in input space) that
                the model puts in another class, with the features that differ by more than this
                many standard deviations (True or 0: every differing feature). Classifiers only.
            prototypes: also choose prototypes and criticisms (MMD-critic) of a set: a mapping of
                PrototypeOptions' fields, e.g. {"set": "reference", "prototypes": 5,
                "criticisms": 2, "bandwidth": 1.5} (set default: the instances), or the message.
            timeout: the call's deadline (default: the client's `timeout`, as predict's).
        """
        request = _request.example_request(self._info(model, timeout), X, k, space, unlike_neighbour, prototypes)
        return examples.example_result(self._call(next(self._turns).examples.ExplainByExample, request, timeout),
                                       request)

    def _evaluate(self, request: explain_service_pb2.EvaluateRequest, sent: SentInstances,
                  timeout: float | None, *, stacklevel: int) -> ExplainResult:
        """The Evaluate call's result, which can be evaluated again in its turn; the server's
        warnings point `stacklevel` frames up from the result's making, at the user's call."""
        sent = dataclasses.replace(sent, reevaluate=self._reevaluate(request.request, sent))
        response = self._call(next(self._turns).explain.Evaluate, request, timeout, explaining=True)
        return results.result(response, sent, stacklevel=stacklevel)

    def _reevaluate(self, request: explain_service_pb2.ExplainRequest, sent: SentInstances
                    ) -> Callable[[ExplainResult, Any, float | None], ExplainResult]:
        """How a result of `request` sends its attributions back to Evaluate."""
        def reevaluate(result: ExplainResult, evaluate: Any, timeout: float | None) -> ExplainResult:
            evaluating = _request.evaluate_request(request, evaluate, result.values, result.output_names,
                                                   len(result.feature_names))
            # Called by ExplainResult.evaluate: one frame more than Client.evaluate.
            return self._evaluate(evaluating, sent, timeout, stacklevel=5)
        return reevaluate

    def _explain_in_chunks(self, model: str, X: Any, request: Any, sent: SentInstances, timeout: float | None,
                           chunk_rows: int, concurrency: int | None,
                           on_chunk: Callable[[str, int, int], None] | None) -> ExplainResult:
        """The request for X as consecutive chunks, spread over the targets and merged in order."""
        workers = _chunks.workers(concurrency, len(self._replicas))
        split = _chunks.split(request, sent, X, self._info(model, timeout), chunk_rows)

        def call(replica: _channel.Replica, i: int) -> ExplainResult:
            response = self._call(replica.explain.Explain, split.requests[i], timeout, explaining=True)
            return results.result(response, split.sent[i])

        def answered(replica: _channel.Replica, i: int) -> None:
            if on_chunk is not None:
                on_chunk(replica.target, *split.spans[i])

        return split.merged(_chunks.run(range(len(split.spans)), self._replicas, call, workers, answered))

    def _explain_request(self, model: str, X: Any, method: str, params: Mapping[str, Any] | None,
                         method_params: Mapping[str, Any], timeout: float | None, diagnostics: bool,
                         **request_fields: Any) -> tuple[Any, SentInstances]:
        params = _request.merge_params(method, params, method_params)
        request, sent = _request.explain_request(self._info(model, timeout), X, method, params,
                                                 per_explanation=diagnostics, **request_fields)
        return request, dataclasses.replace(sent, reevaluate=self._reevaluate(request, sent))

    def _events(self, request: Any, sent: SentInstances, timeout: float | None
                ) -> Iterator[Progress | ExplainResult]:
        """The call's items, read in the background: each is the latest state, never a backlog."""
        settings = self._settings(timeout, explaining=True)
        explain = next(self._turns).explain
        return _stream.drained(lambda: explain.StreamExplain(request, **settings), sent)

    def _info(self, model: str, timeout: float | None) -> ModelInfo:
        return self._infos.get(model) or self.model(model, timeout=timeout)

    def _call(self, method: Any, request: Any, timeout: float | None, *, explaining: bool = False) -> Any:
        try:
            return method(request, **self._settings(timeout, explaining=explaining))
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from e
