"""Group commit: many concurrent commands saved in one transaction by one writer thread.

The event store serialises writers on a table lock, so one event per transaction caps the
write rate (~750 commits/s). Callers hand their command to the committer and wait; the writer
collects what arrives within a few milliseconds (or up to a batch size), decides every command
against its customer in arrival order, saves all changed customers at once and answers each
caller with its own outcome. A command that breaks a rule fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass

from crm.application.crm import CRM, Command, Outcome, Recorded

log = logging.getLogger(__name__)


class CommitUnavailableError(RuntimeError):
    """The committer could not answer in time (stopped, or the database is slow or down)."""


@dataclass
class _Pending:
    """A queued command and whoever waits for it: a thread (`future`) or a coroutine on an
    event loop (`waiter`, settled on its own loop)."""

    command: Command
    future: Future[Recorded] | None = None
    waiter: asyncio.Future[Recorded] | None = None

    def wanted(self) -> bool:
        """False once the caller gave up before the batch started (its command is dropped)."""
        if self.future is not None:
            return self.future.set_running_or_notify_cancel()
        return self.waiter is not None and not self.waiter.cancelled()


def _settle(answers: list[tuple[asyncio.Future[Recorded], Outcome]]) -> None:
    """Answer a batch's waiters of one event loop (runs on that loop)."""
    for waiter, outcome in answers:
        if waiter.done():  # timed out meanwhile; the client retries with its key
            continue
        if isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


class GroupCommitter:
    """A queue of commands, drained in batches by one writer thread."""

    def __init__(
        self,
        crm: CRM,
        *,
        max_batch: int = 256,
        max_wait: float = 0.004,
        answer_timeout: float = 15.0,
    ) -> None:
        self.crm = crm
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.answer_timeout = answer_timeout
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._running = False
        self._lock = threading.Lock()
        self.batches = 0
        self.commands = 0

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        with self._lock:
            if self._running:
                return
            self._running = True
            self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the commands already queued, then stop the writer."""
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._queue.put(None)
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # Callers ------------------------------------------------------------------------------

    def submit(self, command: Command) -> Future[Recorded]:
        """Queue a command; the future holds its outcome once its batch is saved."""
        future: Future[Recorded] = Future()
        if not self._running:
            future.set_exception(CommitUnavailableError("The writer is not running."))
            return future
        self._queue.put(_Pending(command, future=future))
        return future

    def execute(self, command: Command) -> Recorded:
        """Run a command through the next batch and wait for its outcome."""
        future = self.submit(command)
        try:
            return future.result(timeout=self.answer_timeout)
        except FutureTimeoutError as error:
            # Not acknowledged: the client retries with the same idempotency key.
            raise CommitUnavailableError("The write did not complete in time.") from error

    async def wait_for(self, command: Command) -> Recorded:
        """`execute` for a caller on an event loop: waits without holding a thread."""
        if not self._running:
            raise CommitUnavailableError("The writer is not running.")
        # An asyncio future settled on this loop once per batch, rather than a thread future
        # wrapped for the loop: one wake-up of the loop answers all of its callers.
        waiter: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._queue.put(_Pending(command, waiter=waiter))
        try:
            return await asyncio.wait_for(waiter, self.answer_timeout)
        except TimeoutError as error:
            # Cancelled if still queued; if its batch is already being saved, the client's
            # retry with the same idempotency key gets the first answer.
            raise CommitUnavailableError("The write did not complete in time.") from error

    # Writer -------------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while len(batch) < self.max_batch:
                remaining = deadline - time.monotonic()
                try:
                    # After the wait, still take what is queued already, up to the batch size.
                    if remaining > 0:
                        item = self._queue.get(timeout=remaining)
                    else:
                        item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._commit(batch)
        # Answer whatever was queued behind the stop marker rather than leave callers waiting.
        while True:
            try:
                left = self._queue.get_nowait()
            except queue.Empty:
                break
            if left is not None:
                self._commit([left])

    def _commit(self, batch: list[_Pending]) -> None:
        live = [p for p in batch if p.wanted()]
        if not live:
            return
        outcomes: list[Outcome]
        try:
            outcomes = self.crm.execute_batch([p.command for p in live])
        except Exception as error:
            # The database failed (e.g. it is restarting): nothing of this batch was saved.
            log.warning("group commit of %d commands failed: %s", len(live), error)
            outcomes = [error] * len(live)
        else:
            self.batches += 1
            self.commands += len(live)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Recorded], Outcome]]]
        by_loop = {}
        for pending, outcome in zip(live, outcomes, strict=True):
            if pending.waiter is not None:
                by_loop.setdefault(pending.waiter.get_loop(), []).append((pending.waiter, outcome))
            elif pending.future is not None:
                if isinstance(outcome, BaseException):
                    pending.future.set_exception(outcome)
                else:
                    pending.future.set_result(outcome)
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, answers)
