"""The asyncio client, on grpc.aio: the same surface as `Client`, with async methods."""

import dataclasses
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import grpc
import grpc.aio
import numpy as np

from . import _channel, _chunks, _request, _stream, errors, examples, results
from ._progress import ProgressBar
from ._proto.prism.v1 import explain_service_pb2, explain_service_pb2_grpc, model_service_pb2, model_service_pb2_grpc
from ._request import TimeBudget
from .examples import ExampleResult
from .models import ModelInfo, model_info
from .results import ExplainResult, Progress, SentInstances


class AsyncClient:
    """An asyncio client of a Prism server; the arguments are those of `prism_client.Client`.

    Use it as `async with AsyncClient(target) as client:` or call `await client.close()`.
    """

    def __init__(self, target: str | Sequence[str], *, credentials: grpc.ChannelCredentials | None = None,
                 tls: bool | None = None,
                 root_certificates: _channel.Pem | None = None, certificate_chain: _channel.Pem | None = None,
                 private_key: _channel.Pem | None = None, timeout: float | None = None,
                 explain_timeout: float | None = None,
                 metadata: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
                 options: Sequence[tuple[str, Any]] | None = None):
        creds = _channel.credentials(credentials=credentials, tls=tls, root_certificates=root_certificates,
                                     certificate_chain=certificate_chain, private_key=private_key)
        channel_options = _channel.options(options)
        # One channel per target, taken in turn by each call (as Client does); a dns:/// target's
        # channel spreads its calls over the addresses it resolves to by itself (round_robin).
        self._replicas = [_channel.Replica.of(name, grpc.aio.secure_channel(name, creds, channel_options) if creds
                                              else grpc.aio.insecure_channel(name, channel_options))
                          for name in _channel.targets(target)]
        self._turns = itertools.cycle(self._replicas)
        self._settings = _channel.CallSettings(timeout, explain_timeout, metadata)
        self._infos: dict[str, ModelInfo] = {}

    @property
    def targets(self) -> list[str]:
        """The targets this client calls, one per channel."""
        return [r.target for r in self._replicas]

    @property
    def _models(self) -> model_service_pb2_grpc.ModelServiceStub:
        """The next replica's model service."""
        return next(self._turns).models

    @property
    def _explain(self) -> explain_service_pb2_grpc.ExplainServiceStub:
        """The next replica's explain service."""
        return next(self._turns).explain

    async def close(self) -> None:
        for r in self._replicas:
            await r.channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def models(self, *, timeout: float | None = None) -> list[ModelInfo]:
        """Every model the server has loaded, sorted by name."""
        response = await self._call(self._models.ListModels, model_service_pb2.ListModelsRequest(), timeout)
        infos = [model_info(m) for m in response.models]
        self._infos.update((m.name, m) for m in infos)
        return infos

    async def model(self, name: str, *, timeout: float | None = None) -> ModelInfo:
        """One model's signature, names and capabilities; NotFoundError for an unknown name."""
        request = model_service_pb2.GetModelRequest(name=name)
        info = model_info(await self._call(self._models.GetModel, request, timeout))
        self._infos[name] = info
        return info

    async def predict(self, model: str, X: Any, *, timeout: float | None = None) -> np.ndarray:
        """The model's scores for the instances: [instances, outputs], columns as `model(name).output_names`."""
        request = _request.predict_request(await self._info(model, timeout), X)
        return results.predictions(await self._call(self._models.Predict, request, timeout))

    async def explain(self, model: str, X: Any, method: str = "kernel_shap", *, background: Any = None,
                      background_weights: Any = None, background_kmeans: int = 0,
                      outputs: str | Sequence[str] | None = None, seed: int | None = None, link: str | None = None,
                      feature_groups: Any = None, baseline: Any = None, time_budget: TimeBudget | None = None,
                      evaluate: Any = None,
                      params: Mapping[str, Any] | None = None, diagnostics: bool = False,
                      progress: bool = False, timeout: float | None = None, chunk_rows: int | None = None,
                      concurrency: int | None = None, on_chunk: Callable[[str, int, int], None] | None = None,
                      **method_params: Any) -> ExplainResult:
        """Explains the instances `X`; the arguments are those of `Client.explain`.

        With `chunk_rows`, the chunks run as tasks, `concurrency` of them calling at once, and
        `on_chunk` is called on the event loop. At an error other than a refusal that goes to
        another target, the chunks' other calls are cancelled before the error is raised;
        cancelling the awaiting task cancels them all.
        """
        _chunks.check_arguments(chunk_rows, concurrency, on_chunk, progress)
        request, sent = await self._explain_request(
            model, X, method, params, method_params, timeout, diagnostics, background=background,
            background_weights=background_weights, background_kmeans=background_kmeans, outputs=outputs,
            seed=seed, link=link, feature_groups=feature_groups, baseline=baseline, time_budget=time_budget,
            evaluate=evaluate)
        if chunk_rows is not None:
            return await self._explain_in_chunks(model, X, request, sent, timeout, chunk_rows, concurrency,
                                                 on_chunk)
        if not progress:
            return results.result(await self._call(self._explain.Explain, request, timeout, explaining=True), sent)
        bar = ProgressBar(f"{model} {method}")
        finished = False
        events = self._events(request, sent, timeout)
        try:
            async for event in events:
                if isinstance(event, Progress):
                    bar.update(event)
                else:
                    finished = True
                    return event
        finally:
            await events.aclose()
            bar.close(finished)
        raise errors.PrismError(grpc.StatusCode.UNKNOWN, "the stream ended without a result")

    async def stream_explain(self, model: str, X: Any, method: str = "kernel_shap", *, background: Any = None,
                             background_weights: Any = None, background_kmeans: int = 0,
                             outputs: str | Sequence[str] | None = None, seed: int | None = None,
                             link: str | None = None, feature_groups: Any = None, baseline: Any = None,
                             time_budget: TimeBudget | None = None,
                             evaluate: Any = None, params: Mapping[str, Any] | None = None,
                             diagnostics: bool = False, timeout: float | None = None,
                             **method_params: Any) -> AsyncIterator[Progress | ExplainResult]:
        """Like `explain`, streamed: an async iterator of `Progress` events, then the `ExplainResult`.

        A task reads the stream as it comes, so each `Progress` is the newest state: when the loop
        is slower than the server, the events in between are merged into the next one, never queued.
        The arguments are checked before the call starts; leaving the loop early or closing the
        iterator (`aclose`) cancels the call and the task.
        """
        request, sent = await self._explain_request(
            model, X, method, params, method_params, timeout, diagnostics, background=background,
            background_weights=background_weights, background_kmeans=background_kmeans, outputs=outputs,
            seed=seed, link=link, feature_groups=feature_groups, baseline=baseline, time_budget=time_budget,
            evaluate=evaluate)
        events = self._events(request, sent, timeout)
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()

    async def evaluate(self, model: str, X: Any, method: str = "kernel_shap", *, attributions: Any = None,
                       evaluate: Any = True, background: Any = None, background_weights: Any = None,
                       background_kmeans: int = 0, outputs: str | Sequence[str] | None = None,
                       seed: int | None = None, link: str | None = None, feature_groups: Any = None,
                       baseline: Any = None, params: Mapping[str, Any] | None = None,
                       timeout: float | None = None, **method_params: Any) -> ExplainResult:
        """Measures how far explanations of `X` can be trusted; the arguments are those of
        `Client.evaluate`. The result's `evaluate(...)` returns an awaitable."""
        info = await self._info(model, timeout)
        request, sent = await self._explain_request(
            model, X, method, params, method_params, timeout, True, background=background,
            background_weights=background_weights, background_kmeans=background_kmeans, outputs=outputs,
            seed=seed, link=link, feature_groups=feature_groups, baseline=baseline)
        evaluating = _request.evaluate_request(request, evaluate, attributions,
                                               _request.explained_outputs(request, info),
                                               _request.attributed_features(request))
        return await self._evaluate(evaluating, sent, timeout, stacklevel=4)

    async def explain_by_example(self, model: str, X: Any, *, k: int = 5, space: str = "input",
                                 unlike_neighbour: float | bool | None = None, prototypes: Any = None,
                                 timeout: float | None = None) -> ExampleResult:
        """Explains the instances `X` by examples from the model's reference set; the arguments
        are those of `Client.explain_by_example`."""
        request = _request.example_request(await self._info(model, timeout), X, k, space, unlike_neighbour,
                                           prototypes)
        return examples.example_result(await self._call(next(self._turns).examples.ExplainByExample, request,
                                                        timeout), request)

    async def _evaluate(self, request: explain_service_pb2.EvaluateRequest, sent: SentInstances,
                        timeout: float | None, *, stacklevel: int) -> ExplainResult:
        """The Evaluate call's result, which can be evaluated again in its turn; the server's
        warnings point `stacklevel` frames up from the result's making, at the user's await."""
        sent = dataclasses.replace(sent, reevaluate=self._reevaluate(request.request, sent))
        response = await self._call(self._explain.Evaluate, request, timeout, explaining=True)
        return results.result(response, sent, stacklevel=stacklevel)

    def _reevaluate(self, request: explain_service_pb2.ExplainRequest, sent: SentInstances
                    ) -> Callable[[ExplainResult, Any, float | None], Awaitable[ExplainResult]]:
        """How a result of `request` sends its attributions back to Evaluate: the request is built
        (and a bad `evaluate` refused) at once, the call when the awaitable is awaited."""
        def reevaluate(result: ExplainResult, evaluate: Any, timeout: float | None) -> Awaitable[ExplainResult]:
            evaluating = _request.evaluate_request(request, evaluate, result.values, result.output_names,
                                                   len(result.feature_names))
            # The user awaits this coroutine itself: ExplainResult.evaluate has returned already.
            return self._evaluate(evaluating, sent, timeout, stacklevel=3)
        return reevaluate

    async def _explain_in_chunks(self, model: str, X: Any, request: Any, sent: SentInstances,
                                 timeout: float | None, chunk_rows: int, concurrency: int | None,
                                 on_chunk: Callable[[str, int, int], None] | None) -> ExplainResult:
        """The request for X as consecutive chunks, spread over the targets and merged in order."""
        workers = _chunks.workers(concurrency, len(self._replicas))
        split = _chunks.split(request, sent, X, await self._info(model, timeout), chunk_rows)

        async def call(replica: _channel.Replica, i: int) -> ExplainResult:
            response = await self._call(replica.explain.Explain, split.requests[i], timeout, explaining=True)
            return results.result(response, split.sent[i])

        def answered(replica: _channel.Replica, i: int) -> None:
            if on_chunk is not None:
                on_chunk(replica.target, *split.spans[i])

        return split.merged(await _chunks.run_async(range(len(split.spans)), self._replicas, call, workers,
                                                    answered))

    async def _explain_request(self, model: str, X: Any, method: str, params: Mapping[str, Any] | None,
                               method_params: Mapping[str, Any], timeout: float | None, diagnostics: bool,
                               **request_fields: Any) -> tuple[Any, SentInstances]:
        params = _request.merge_params(method, params, method_params)
        request, sent = _request.explain_request(await self._info(model, timeout), X, method, params,
                                                 per_explanation=diagnostics, **request_fields)
        return request, dataclasses.replace(sent, reevaluate=self._reevaluate(request, sent))

    def _events(self, request: Any, sent: SentInstances, timeout: float | None
                ) -> AsyncIterator[Progress | ExplainResult]:
        """The call's items, read in the background: each is the latest state, never a backlog."""
        settings = self._settings(timeout, explaining=True)
        return _stream.drained_async(lambda: self._explain.StreamExplain(request, **settings), sent)

    async def _info(self, model: str, timeout: float | None) -> ModelInfo:
        return self._infos.get(model) or await self.model(model, timeout=timeout)

    async def _call(self, method: Any, request: Any, timeout: float | None, *, explaining: bool = False) -> Any:
        try:
            return await method(request, **self._settings(timeout, explaining=explaining))
        except grpc.RpcError as e:
            raise errors.from_rpc_error(e) from e
