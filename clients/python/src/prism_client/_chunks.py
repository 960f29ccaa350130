"""A large job as chunks of rows spread over the replicas, each chunk answered exactly once.

The blocking client runs the chunks on threads (`run`), the asyncio client on tasks (`run_async`);
everything else, from the split to the merge, is shared.
"""

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from . import _inputs, _request, results
from .errors import UnavailableError
from .models import ModelInfo
from .results import ExplainResult, SentInstances

Replica = TypeVar("Replica")
Chunk = TypeVar("Chunk")

# With one target (which may resolve to many servers), a chunk refused as UNAVAILABLE is sent again on
# the same channel, where round_robin picks another address; this many tries in all, backing off.
SINGLE_TARGET_ATTEMPTS = 3
_BACKOFF_SECONDS = 0.2
_MAX_RETRY_DELAY_SECONDS = 30.0
# Chunks in flight at once on a single target, by default (a name that may resolve to many servers).
_SINGLE_TARGET_CONCURRENCY = 4


def check_arguments(chunk_rows: int | None, concurrency: int | None, on_chunk: Any, progress: bool) -> None:
    """Refuses the chunking arguments `explain` cannot honour together."""
    if chunk_rows is not None:
        if progress:
            raise ValueError("progress=True cannot follow a job split by chunk_rows")
    elif concurrency is not None or on_chunk is not None:
        raise ValueError("concurrency= and on_chunk= go with chunk_rows=")


def workers(concurrency: int | None, targets: int) -> int:
    """Chunks in flight at once: `concurrency`, by default one per target, or 4 for a single target."""
    if concurrency is None:
        return targets if targets > 1 else _SINGLE_TARGET_CONCURRENCY
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
    return concurrency


def bounds(rows: int, chunk_rows: int) -> list[tuple[int, int]]:
    """[start, stop) of each chunk of `chunk_rows` rows (the last may be shorter)."""
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    return [(start, min(start + chunk_rows, rows)) for start in range(0, rows, chunk_rows)]


@dataclass
class Split:
    """One explain request cut into requests of consecutive rows."""

    #: [start, stop) of each chunk's rows.
    spans: list[tuple[int, int]]
    #: Each chunk's request: the whole request's fields with the chunk's rows.
    requests: list[Any]
    #: What each chunk's result is laid out like.
    sent: list[SentInstances]
    whole: SentInstances

    def merged(self, parts: list[ExplainResult]) -> ExplainResult:
        """The chunks' results, in order, as the one result of the whole request."""
        return results.concatenated(parts, self.whole)


def split(request: Any, sent: SentInstances, X: Any, model: ModelInfo, chunk_rows: int) -> Split:
    """The request for the instances `X` (which it was built from) as chunks of `chunk_rows` rows."""
    rows = _inputs.instances(X, model)
    spans = bounds(rows.shape[0], chunk_rows)
    return Split(spans, [_evaluation_seeds_from(_request.with_instances(request, rows[start:stop], model), start)
                         for start, stop in spans],
                 [SentInstances(None if sent.data is None else sent.data[start:stop], None, sent.instance_shape)
                  for start, stop in spans], sent)


def _evaluation_seeds_from(chunk: Any, start: int) -> Any:
    """The chunk's evaluation seeds moved on by its first row: the server draws instance i's
    perturbations with seed + i, so the chunk's rows draw what they would in one request."""
    for metric in ("infidelity", "sensitivity"):
        if chunk.evaluate.HasField(metric):
            params = getattr(chunk.evaluate, metric)
            params.seed = (params.seed + start) % 2**64
    return chunk


class Job:
    """Which replica takes a chunk's next call, and whether a refused chunk is tried again.

    A call goes to the live replica with the fewest calls of the job in flight (ties in turn), so a
    faster replica, freed sooner, takes more chunks. A chunk refused as UNAVAILABLE (its replica
    died, or drains and refuses new work) is tried again at once on another replica, and with
    several replicas the refusing one is dropped for the rest of the job, so every chunk is tried at
    most once per replica; the job fails when none is left. A single target is tried
    SINGLE_TARGET_ATTEMPTS times per chunk, since its name may hide several servers: after the delay
    the server's RetryInfo gives (at most 30 s), or else a growing backoff.

    Not locked itself: `run` calls it under its lock, `run_async` from its event loop only.
    """

    def __init__(self, chunks: int, replicas: int):
        self._replicas = replicas
        self._in_flight = [0] * replicas
        self._down: set[int] = set()
        self._tries = [0] * chunks
        self._turn = 0
        self._refusal: UnavailableError | None = None

    def replica(self) -> int:
        """The replica for the next call, counted in flight until `ended` or `refused`; raises the
        last refusal when every replica has refused."""
        live = [r for r in range(self._replicas) if r not in self._down]
        if not live:
            assert self._refusal is not None
            raise self._refusal
        r = min(live, key=lambda r: (self._in_flight[r], (r - self._turn) % self._replicas))
        self._turn = r + 1
        self._in_flight[r] += 1
        return r

    def ended(self, r: int) -> None:
        """Replica r's call answered, or failed with an error other than UNAVAILABLE."""
        self._in_flight[r] -= 1

    def refused(self, r: int, chunk: int, refusal: UnavailableError) -> float:
        """Seconds to wait before the chunk's next call, after replica r refused it; raises
        `refusal` when the chunk has no try left."""
        self._in_flight[r] -= 1
        self._tries[chunk] += 1
        self._refusal = refusal
        if self._replicas > 1:
            self._down.add(r)
            return 0.0
        if self._tries[chunk] >= SINGLE_TARGET_ATTEMPTS:
            raise refusal
        if refusal.retry_delay is not None:
            # The server said when to come back (RetryInfo); within reason.
            return min(refusal.retry_delay, _MAX_RETRY_DELAY_SECONDS)
        return _BACKOFF_SECONDS * self._tries[chunk]


def run(chunks: Sequence[Chunk], replicas: Sequence[Replica], call: Callable[[Replica, Chunk], Any],
        workers: int, on_answer: Callable[[Replica, int], None] | None = None) -> list[Any]:
    """Each chunk's answer, in the chunks' order, from `workers` threads taking the chunks in turn.

    Replicas are chosen and refusals retried as `Job` says. The job fails at the first error other
    than a refusal it may retry; the calls already running finish first, and no new chunk starts.
    `on_answer(replica, chunk index)` runs on the worker as each chunk is answered.
    """
    job = Job(len(chunks), len(replicas))
    answers: list[Any] = [None] * len(chunks)
    waiting = iter(range(len(chunks)))
    failure: list[BaseException] = []
    # `state` guards job, waiting and failure.
    state = threading.Lock()

    def answer(i: int) -> bool:
        """Chunk i's answer into `answers`; False when the job failed meanwhile."""
        while True:
            with state:
                if failure:
                    return False
                r = job.replica()
            try:
                answers[i] = call(replicas[r], chunks[i])
            except UnavailableError as e:
                with state:
                    delay = job.refused(r, i, e)
                time.sleep(delay)
                continue
            except BaseException:
                with state:
                    job.ended(r)
                raise
            with state:
                job.ended(r)
            if on_answer is not None:
                on_answer(replicas[r], i)
            return True

    def work() -> None:
        while True:
            with state:
                i = None if failure else next(waiting, None)
            if i is None:
                return
            try:
                if not answer(i):
                    return
            except BaseException as e:  # noqa: BLE001 - re-raised by the caller's thread below
                with state:
                    failure.append(e)
                return

    threads = [threading.Thread(target=work, daemon=True, name=f"prism-chunk-{w}")
               for w in range(min(workers, len(chunks)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failure:
        raise failure[0]
    return answers


async def run_async(chunks: Sequence[Chunk], replicas: Sequence[Replica],
                    call: Callable[[Replica, Chunk], Awaitable[Any]], concurrency: int,
                    on_answer: Callable[[Replica, int], None] | None = None) -> list[Any]:
    """Each chunk's answer, in the chunks' order, from one task per chunk, `concurrency` of them
    calling at once (in the chunks' order: the semaphore is first come, first served).

    Replicas are chosen and refusals retried as `Job` says. At the first error other than a refusal
    it may retry, every other chunk's task is cancelled, their calls with them, and that error is
    raised; cancelling the caller cancels them too. `on_answer(replica, chunk index)` runs on the
    event loop as each chunk is answered.
    """
    job = Job(len(chunks), len(replicas))
    slots = asyncio.Semaphore(concurrency)
    # Set at the first failure, so that a chunk let in by the failed one's slot does not start
    # before the task group's cancellation reaches it.
    failed = False

    async def answer(i: int) -> Any:
        while True:
            r = job.replica()
            try:
                result = await call(replicas[r], chunks[i])
            except UnavailableError as e:
                delay = job.refused(r, i, e)
                if delay:
                    await asyncio.sleep(delay)
                continue
            except BaseException:
                job.ended(r)
                raise
            job.ended(r)
            if on_answer is not None:
                on_answer(replicas[r], i)
            return result

    async def chunk(i: int) -> Any:
        nonlocal failed
        async with slots:
            if failed:
                return None
            try:
                return await answer(i)
            except asyncio.CancelledError:
                raise
            except BaseException:
                failed = True
                raise

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(chunk(i), name=f"prism-chunk-{i}") for i in range(len(chunks))]
    except BaseExceptionGroup as failures:
        # The first chunk's error as it is, as the blocking runner raises it, with its own cause (the
        # others are those of calls that failed before their cancellation reached them).
        first = failures.exceptions[0]
        raise first from first.__cause__
    return [t.result() for t in tasks]
