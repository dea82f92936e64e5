"""Heavy work of a request, off the event loop: a bounded pool of threads, limits and a deadline.

Reading an upload and assessing its cases is CPU work. It runs in at most
``settings.work_threads`` threads at once; at most ``settings.work_queue`` more requests wait
for one, and any further request is answered at once with 503 and ``Retry-After``. The event
loop itself only moves bytes, so ``/api/health`` answers while the threads work.

Threads, not processes: the reading and the engine are Python code that gives up the GIL
every few milliseconds. Measured on a 2-core machine shared with other work, with four
uploads at their limits in flight, the health check took 100-150 ms at the median and
0.4-0.9 s at worst (tests/web/test_availability.py asserts under 1 s). A process pool would
add the knowledge loaded again in every process and a copy of every body and answer between
processes. What a thread cannot do is stop part-way, so the work is bounded before it starts
(rows, patients, uncompressed size, each checked on the raw input) and checks its deadline
between cases.

Each limit passed is answered with :class:`LimitExceeded`: 413 for size, 422 for time, with
the limit named in the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.to_thread

from lowalp.errors import Problem

T = TypeVar("T")

RETRY_AFTER_SECONDS = 5


class Busy(Exception):
    """Every thread is working and the queue is full (503)."""

    def __init__(self, what: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


class LimitExceeded(Exception):
    """A request passed one of the limits of :class:`~lowalp.web.settings.WebSettings`."""

    def __init__(self, status: int, limit: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.limit = limit
        """The setting's name, e.g. ``max_rows``."""
        self.message = message
        self.hint = hint

    @property
    def title(self) -> str:
        return "The request is too large" if self.status == 413 else "The request took too long"

    def problem(self) -> Problem:
        return Problem(self.limit, self.message, hint=self.hint)


@dataclass
class Deadline:
    """When the work of one request must be done; :meth:`check` between steps."""

    seconds: float
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = self.started or time.monotonic()

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise LimitExceeded(
                422,
                "request_seconds",
                f"reading and assessing took longer than the limit of {self.seconds:g} s",
                hint="send fewer cases at a time, or use 'lowalp screen' for large files",
            )


class WorkPool:
    """A bounded number of threads with a bounded queue in front of them."""

    def __init__(self, threads: int, queue: int, what: str = "work") -> None:
        self.threads = max(1, threads)
        self.queue = max(0, queue)
        self.what = what
        self.pending = 0
        """Requests running or waiting."""
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # made inside the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter

    def admit(self) -> None:
        """Count one more request in, or raise :class:`Busy`."""
        if self.pending >= self.threads + self.queue:
            raise Busy(self.what)
        self.pending += 1

    def leave(self) -> None:
        self.pending -= 1

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in one of the threads. The thread is never abandoned: a request whose
        client went away still holds its place until its work ends, so the bound holds."""
        self.admit()
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)
        finally:
            self.leave()

    async def step(self, fn: Callable[..., T], *args: object) -> T:
        """One step of a request already admitted (a streamed answer's next case)."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)


def count_records(body: bytes) -> int:
    """Lines in a text body, whatever its line endings (LF, CRLF or CR alone)."""
    lines = body.count(b"\n") + body.count(b"\r") - body.count(b"\r\n")
    return lines + (0 if body.endswith((b"\n", b"\r")) or not body else 1)


def check_rows(records: int, limit: int, unit: str = "records") -> None:
    if records > limit:
        raise LimitExceeded(
            413,
            "max_rows",
            f"the input holds {records} {unit}; the limit is {limit}",
            hint="split the file, or use 'lowalp screen' for large files",
        )


def check_patients(cases: int, limit: int, *, more: bool = False) -> None:
    if cases > limit:
        shown = f"more than {limit}" if more else str(cases)
        raise LimitExceeded(
            413,
            "max_patients",
            f"the input holds {shown} patients; the limit is {limit} a request",
            hint="split the file, or use 'lowalp screen' for large files",
        )


def check_parquet(path: object, max_rows: int, max_bytes: int) -> None:
    """Refuse a Parquet file by its metadata (row count, uncompressed size) before any row is
    read: a file of a few kilobytes can hold millions of identical rows."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    except ModuleNotFoundError:  # the adapter says what is missing
        return
    try:
        meta = pq.read_metadata(path)
    except Exception:  # not readable as Parquet: the adapter's own message says why
        return
    check_rows(meta.num_rows, max_rows, "rows")
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if size > max_bytes:
        raise LimitExceeded(
            413,
            "max_decompressed_bytes",
            f"the file holds {size} bytes once uncompressed; the limit is {max_bytes}",
            hint="split the file, or use 'lowalp screen' for large files",
        )
