"""StreamExplain read at full speed in the background and handed over as the latest state.

The server sends progress every 200 ms or so, and the transport's flow-control window lets it send
thousands of events ahead of a caller that reads slowly: handed over one by one, each would be
older than the one before. So a reader (a daemon thread, or an asyncio task) takes every event off
the stream as it arrives, and the caller's next item is the newest state not yet delivered: the
latest counters, with every estimate that changed since its previous item (the newest of each
instance and output). The result, or the error, comes after the last progress, once.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, NamedTuple

import grpc

from . import errors, results
from ._proto.prism.v1 import explain_service_pb2
from .results import ExplainResult, Progress, SentInstances

#: The name of the threads (blocking client) and tasks (asyncio client) that read the streams.
READER_NAME = "prism-stream-explain"
# How long closing a stream waits for its reader, which the cancellation ends at once.
_READER_JOIN_SECONDS = 5.0


class _End(NamedTuple):
    """How the stream ended: with a result, an error, or neither (the server closed it early)."""

    response: explain_service_pb2.ExplainResponse | None
    error: BaseException | None


class _Mailbox:
    """What the reader has received and the caller has not taken: at most one progress event
    and one estimate per (instance, output), so memory does not grow with the caller's lag.
    It has no lock of its own: the thread reader guards it with a condition, the asyncio reader
    shares the caller's event loop."""

    def __init__(self) -> None:
        self._latest: explain_service_pb2.Progress | None = None
        self._estimates: dict[tuple[int, str], explain_service_pb2.Estimate] = {}
        self._end: _End | None = None

    def put(self, event: explain_service_pb2.ExplainEvent) -> None:
        if event.HasField("progress"):
            self._latest = event.progress
            for estimate in event.progress.estimates:
                self._estimates[(estimate.instance, estimate.output)] = estimate
        elif event.HasField("result") and self._end is None:
            self._end = _End(event.result, None)
        # Event kinds newer than this client are skipped, as protobuf readers do.

    def end(self, error: BaseException | None) -> None:
        """The stream is over; a result received before keeps precedence over a later error."""
        if self._end is None:
            self._end = _End(None, error)

    def take(self) -> Progress | _End | None:
        """The merged progress while there is some, then the end; None while neither has come."""
        if self._latest is not None:
            progress = results.progress(self._latest, self._estimates.values())
            self._latest, self._estimates = None, {}
            return progress
        return self._end


def _deliver(end: _End, sent: SentInstances) -> ExplainResult | None:
    if end.error is not None:
        if isinstance(end.error, grpc.RpcError):
            raise errors.from_rpc_error(end.error) from end.error
        raise end.error
    return None if end.response is None else results.result(end.response, sent)


def drained(start_call: Callable[[], Any], sent: SentInstances) -> Iterator[Progress | ExplainResult]:
    """The items of the blocking StreamExplain call that `start_call` starts on the first item,
    read by a daemon thread. Closing the generator, or dropping it, cancels the call, which ends
    the thread."""
    call = start_call()
    mailbox = _Mailbox()
    changed = threading.Condition()

    # The reader holds the call and the mailbox, never this generator, so that dropping the
    # generator closes it.
    def read() -> None:
        error = None
        try:
            for event in call:
                with changed:
                    mailbox.put(event)
                    changed.notify()
        except BaseException as e:  # everything reaches the caller, who would otherwise wait for ever
            error = e
        with changed:
            mailbox.end(error)
            changed.notify()

    reader = threading.Thread(target=read, name=READER_NAME, daemon=True)
    reader.start()
    try:
        while True:
            with changed:
                item = mailbox.take()
                while item is None:
                    changed.wait()
                    item = mailbox.take()
            if isinstance(item, Progress):
                yield item
                continue
            result = _deliver(item, sent)
            if result is not None:
                yield result
            return
    finally:
        call.cancel()
        # A generator collected on the reader's own thread cannot wait for it.
        if reader is not threading.current_thread():
            reader.join(_READER_JOIN_SECONDS)


async def drained_async(start_call: Callable[[], Any], sent: SentInstances
                        ) -> AsyncIterator[Progress | ExplainResult]:
    """The items of the grpc.aio StreamExplain call that `start_call` starts on the first item,
    read by an asyncio task. Closing the generator cancels the task and the call."""
    call = start_call()
    mailbox = _Mailbox()
    changed = asyncio.Event()

    async def read() -> None:
        error: BaseException | None = None
        try:
            async for event in call:
                mailbox.put(event)
                changed.set()
        except asyncio.CancelledError:
            error = errors.CallCancelledError(grpc.StatusCode.CANCELLED, "the call was cancelled")
            raise
        except Exception as e:  # everything reaches the caller, who would otherwise wait for ever
            error = e
        finally:
            mailbox.end(error)
            changed.set()

    reader = asyncio.create_task(read(), name=READER_NAME)
    try:
        while True:
            item = mailbox.take()
            while item is None:
                changed.clear()
                await changed.wait()
                item = mailbox.take()
            if isinstance(item, Progress):
                yield item
                continue
            result = _deliver(item, sent)
            if result is not None:
                yield result
            return
    finally:
        reader.cancel()
        call.cancel()
        await asyncio.wait([reader], timeout=_READER_JOIN_SECONDS)
