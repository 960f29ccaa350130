"""A large job as chunks of rows spread over the replicas, each chunk answered exactly once."""

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import UnavailableError

Replica = TypeVar("Replica")
Chunk = TypeVar("Chunk")

# With one target (which may resolve to many servers), a chunk refused as UNAVAILABLE is sent again on
# the same channel, where round_robin picks another address; this many tries in all, backing off.
SINGLE_TARGET_ATTEMPTS = 3
_BACKOFF_SECONDS = 0.2


def bounds(rows: int, chunk_rows: int) -> list[tuple[int, int]]:
    """[start, stop) of each chunk of `chunk_rows` rows (the last may be shorter)."""
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    return [(start, min(start + chunk_rows, rows)) for start in range(0, rows, chunk_rows)]


def run(chunks: Sequence[Chunk], replicas: Sequence[Replica], call: Callable[[Replica, Chunk], Any],
        workers: int, on_answer: Callable[[Replica, int], None] | None = None) -> list[Any]:
    """Each chunk's answer, in the chunks' order.

    `workers` threads run at once, worker w starting on replica w % len(replicas), each taking the
    next waiting chunk, so a faster replica takes more. A call that fails with UNAVAILABLE (the
    replica died, or drains and refuses new work) puts its chunk back at the head of the queue; with
    several replicas that replica is then dropped for the rest of the job and its workers move to the
    next live one, so every chunk is tried at most once per replica. The job fails when no replica is
    left, or at the first other error (the calls
    already running finish first). `on_answer(replica, chunk index)` runs on the worker as each
    chunk is answered.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"concurrency must be a positive integer, got {workers!r}")
    answers: list[Any] = [None] * len(chunks)
    waiting = deque(range(len(chunks)))
    tries = [0] * len(chunks)
    down: set[int] = set()
    # `state` guards waiting, tries, down and the counters below; workers wait on it for a chunk
    # that a failing call may still put back.
    state = threading.Condition()
    running = 0
    failure: list[BaseException] = []

    def work(r: int) -> None:
        nonlocal running
        while True:
            with state:
                while not waiting and running and not failure:
                    state.wait()
                if not waiting or failure:
                    return
                while r in down:
                    r = (r + 1) % len(replicas)
                i = waiting.popleft()
                running += 1
            try:
                answer = call(replicas[r], chunks[i])
                if on_answer is not None:
                    on_answer(replicas[r], i)
            except UnavailableError as e:
                with state:
                    running -= 1
                    tries[i] += 1
                    if len(replicas) > 1:
                        down.add(r)
                    if len(down) == len(replicas) or (len(replicas) == 1 and tries[i] >= SINGLE_TARGET_ATTEMPTS):
                        failure.append(e)
                    else:
                        waiting.appendleft(i)
                    state.notify_all()
                if len(replicas) == 1:
                    time.sleep(_BACKOFF_SECONDS * tries[i])
                continue
            except BaseException as e:  # noqa: BLE001 - re-raised by the caller's thread below
                with state:
                    running -= 1
                    failure.append(e)
                    state.notify_all()
                return
            with state:
                answers[i] = answer
                running -= 1
                state.notify_all()

    threads = [threading.Thread(target=work, args=(w % len(replicas),), daemon=True,
                                name=f"prism-chunk-{w}") for w in range(min(workers, len(chunks)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failure:
        raise failure[0]
    return answers
