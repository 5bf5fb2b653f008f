"""The server's log on stderr, written in batches: one line per request costs about a microsecond.

``seedance-mock`` logs one line per request (``12:03:04 GET /api/v3/… 200 0.4ms``). Through :mod:`logging`
that line cost ~14 µs of CPU (a LogRecord, the handler's lock, the formatter, a ``strftime``) plus one
``write`` per line, about 10% of a whole request [issue 17]. :func:`install` (called by the CLI instead of
``logging.basicConfig``) puts a :class:`BatchedHandler` on the root logger: every record, the request lines
and the rest, is formatted as before and appended to one buffer, written out by the event loop at most
:data:`FLUSH_SECONDS` later (or at once past :data:`FLUSH_BYTES`, from a thread other than the loop's, and
when the server stops). :func:`request_line` formats the request line itself (the clock string is made once
per second) and skips ``logging`` altogether.

Where no such handler is installed (the app embedded in a user's program, the test servers), a request line
goes through ``logging.getLogger("seedance_mock").info`` exactly as before, so caplog and users' own
logging configurations see it.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
import threading
import time
from typing import TextIO

log = logging.getLogger("seedance_mock")

#: The CLI's format: ``%(asctime)s %(message)s`` with the time as ``HH:MM:SS`` (local time).
FORMAT = "%(asctime)s %(message)s"
DATEFMT = "%H:%M:%S"
#: Longest a line waits in the buffer (real seconds).
FLUSH_SECONDS = 0.05
#: Buffered text beyond this is written at once.
FLUSH_BYTES = 64 * 1024


class BatchedHandler(logging.Handler):
    """A stream handler that writes what it gets in batches: on the event loop's next flush, at most
    :data:`FLUSH_SECONDS` later; at once when the buffer grows past :data:`FLUSH_BYTES` or when a record
    comes from a thread with no running loop. Lines keep their order (one buffer, one lock)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stderr
        self.setFormatter(logging.Formatter(FORMAT, DATEFMT))
        self._lines: list[str] = []
        self._size = 0
        self._pending: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._second = -1
        self._clock = ""

    # -- buffering ---------------------------------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let ``loop`` (running in this thread) write the batches from now on."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def detach(self) -> None:
        """Write what is buffered and go back to writing every line at once (the loop is stopping)."""
        with self.lock:  # type: ignore[union-attr]
            self._loop = None
            self._loop_thread = 0
            if self._pending is not None:
                self._pending.cancel()
                self._pending = None
        self.flush()

    def _add(self, text: str) -> None:
        """Buffer ``text`` (whole lines); schedule or do the write. Call with the lock held."""
        self._lines.append(text)
        self._size += len(text)
        loop = self._loop
        if loop is None or threading.get_ident() != self._loop_thread or self._size > FLUSH_BYTES:
            self._write()
        elif self._pending is None:
            self._pending = loop.call_later(FLUSH_SECONDS, self.flush)

    def _write(self) -> None:
        if not self._lines:
            return
        text = "".join(self._lines)
        self._lines.clear()
        self._size = 0
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # stderr closed or gone: a log line is not worth a failed request

    def flush(self) -> None:
        """Write every buffered line now."""
        with self.lock:  # type: ignore[union-attr]
            self._pending = None
            self._write()

    # -- records -----------------------------------------------------------------------------------------
    def emit(self, record: logging.LogRecord) -> None:  # the logging lock is held by Handler.handle
        try:
            text = self.format(record) + "\n"
        except Exception:
            self.handleError(record)
            return
        self._add(text)

    def clock(self) -> str:
        """The time of day as the formatter writes it, computed once per second."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._clock = time.strftime(DATEFMT, time.localtime(now))
        return self._clock

    def line(self, text: str) -> None:
        """Buffer one line (without its time: added here, as the formatter would). A request's line, so the
        common case (the loop's thread, a write already planned, room in the buffer) is spelled out."""
        with self.lock:  # type: ignore[union-attr]
            text = f"{self.clock()} {text}\n"
            if self._pending is None or self._size > FLUSH_BYTES or threading.get_ident() != self._loop_thread:
                self._add(text)
            else:
                self._lines.append(text)
                self._size += len(text)

    def close(self) -> None:
        self.flush()
        super().close()


#: The handler :func:`install` put on the root logger, when the CLI runs.
_HANDLER: BatchedHandler | None = None


def install(level: int = logging.INFO, stream: TextIO | None = None) -> BatchedHandler:
    """The CLI's logging: what ``logging.basicConfig(level, FORMAT, DATEFMT)`` did, written in batches."""
    global _HANDLER
    handler = BatchedHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    _HANDLER = handler
    atexit.register(handler.flush)
    return handler


def installed() -> BatchedHandler | None:
    """The batched handler the CLI installed, or None."""
    return _HANDLER


def request_line(method: str, path_qs: str, status: int | str, ms: float) -> None:
    """Log ``METHOD PATH STATUS 1.2ms``: straight into the batch when the CLI's handler is the way out, else
    through ``logging`` (an embedding program or a test may have configured its own handlers)."""
    handler = _HANDLER
    if handler is not None and log.isEnabledFor(logging.INFO):
        handler.line(f"{method} {path_qs} {status} {ms:.1f}ms")
    else:
        log.info("%s %s %s %.1fms", method, path_qs, status, ms)
