"""Group commit: the one-shot submissions of an app process stored many to a transaction,
each acknowledged only after the COMMIT that stored it.

Stored one by one, every desk-QR submission paid for its own transaction (a trip to a thread,
the desk-burst and repeat-browser queries, the INSERT, a COMMIT with its fsync, and on SQLite
its turn in the writer queue), and at a campaign's peak those turns queued behind each other.
Here requests hand their checked row to the writer and wait in the event loop. The writer takes
everything waiting (at most ``MAX_BATCH``) and stores it in one transaction in a thread of its
own: the history flags with a few queries for the whole batch, one INSERT … ON CONFLICT DO
NOTHING, one COMMIT; then it answers each waiter. While a batch is written the next one
gathers, so nobody waits for a timer: at low load a batch is one submission.

What the respondent is told stays true: the 303 to the thanks page is sent only after the
COMMIT that holds the answer (``tests/survey_service/test_durability.py`` kills the servers
under load and finds every acknowledged answer once). A batch that fails is rolled back whole
and its submissions are tried again one by one, each in its own transaction, so one bad row
(a unit deleted meanwhile, say) fails alone and nothing is ever half-stored.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey_service.services import responses as response_service

log = logging.getLogger(__name__)

MAX_BATCH = 64  # submissions a transaction at most (a few milliseconds of writing)

Waiter = asyncio.Future[response_service.Stored]


@dataclass
class _Queue:
    """What waits in one event loop, and the task writing it."""

    waiting: list[tuple[response_service.Prepared, Waiter]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class SubmissionWriter:
    """Stores prepared responses in shared transactions; one per app process."""

    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="submission-writer")
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )
        self.batches = 0  # transactions committed, for the tests and the benchmark's notes

    async def store(self, prepared: response_service.Prepared) -> response_service.Stored:
        """Store ``prepared`` once; returns when it is committed (or raises what stopped it)."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        waiter: Waiter = loop.create_future()
        # a client that hangs up stops waiting; its answer is stored all the same (a retry of
        # it is then a repeat), and an error nobody waits for is not reported as unretrieved
        waiter.add_done_callback(lambda done: done.cancelled() or done.exception())
        queue.waiting.append((prepared, waiter))
        if queue.task is None:
            queue.task = loop.create_task(self._drain(loop, queue))
        return await asyncio.shield(waiter)

    async def _drain(self, loop: asyncio.AbstractEventLoop, queue: _Queue) -> None:
        try:
            while queue.waiting:
                batch = queue.waiting[: self._max_batch]
                del queue.waiting[: self._max_batch]
                rows = [prepared for prepared, _ in batch]
                try:
                    results = await loop.run_in_executor(self._thread, self._write, rows)
                except BaseException:
                    for _, waiter in batch:
                        waiter.cancel()
                    raise
                for (_, waiter), result in zip(batch, results, strict=True):
                    if waiter.done():
                        continue
                    if isinstance(result, BaseException):
                        waiter.set_exception(result)
                    else:
                        waiter.set_result(result)
        finally:
            queue.task = None
            for _, waiter in queue.waiting:  # only when this task itself was cancelled
                waiter.cancel()
            queue.waiting.clear()

    def _write(
        self, batch: list[response_service.Prepared]
    ) -> list[response_service.Stored | Exception]:
        """In the writer's thread: the batch in one transaction, else one by one."""
        try:
            stored: list[response_service.Stored | Exception] = list(self._transaction(batch))
            return stored
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            log.warning("a batch of %d submissions failed (%s); one by one", len(batch), exc)
            return [self._write([prepared])[0] for prepared in batch]

    def _transaction(self, batch: list[response_service.Prepared]) -> list[response_service.Stored]:
        with Session(self._engine) as session, session.begin():
            stored = response_service.store(session=session, batch=batch)
        self.batches += 1
        return stored
