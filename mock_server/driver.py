"""The lifecycle driver: the clock runs by itself, and callbacks go out with no request to the mock.

One background task (on ``app.cleanup_ctx``) settles the store at the moment the next transition or delivery
is due and sends due deliveries, then sleeps until the next one. It is woken by what can bring that moment
forward: a create, a new delivery, a finished attempt, ``/_mock/clock/advance`` and time-scale changes. With
``time_scale`` 0 it sleeps until woken; an idle server has no timer at all, so it uses no CPU.

Requests still settle lazily before reading anything (``gate`` in app.py), so a request sees exactly the state
due by now even between two wake-ups; the driver only makes the same transitions happen without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from mock_server import ark, predictions
from mock_server.callbacks import Delivery, send
from mock_server.state import STATE, MockState
from mock_server.store import Task

log = logging.getLogger("seedance_mock")

#: Longest single sleep (real seconds): a safety net against clock drift, not a poll (one wake an hour).
MAX_SLEEP = 3600.0
#: Sleep this much past a due time: asyncio timers may fire a hair early.
SLACK = 0.001


class LifecycleDriver:
    """Applies due transitions and sends due deliveries at the right real moment for the time scale."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._sends: set[asyncio.Task[None]] = set()
        #: A transition due before this mock time needs the driver sooner than it plans to turn (it is not
        #: asleep until it has planned: until then, anything does).
        self._until = math.inf

    def wake(self) -> None:
        """Re-plan now (safe to call from inside the loop's callbacks; cheap when already set)."""
        self._wake.set()

    def wake_by(self, due: float) -> None:
        """A new transition is due at mock time ``due``: wake only if that is before the driver's next turn.

        Every create schedules one; waking for each cost a turn of the driver per create under load, for
        nothing when the queue wait puts it after what the driver already sleeps until [issue 17]."""
        if due < self._until:
            self._wake.set()

    def _render(self, task: Task, kind: str, origin: str) -> dict[str, Any]:
        if kind == "callback":
            return ark.task_json(self.state, task, origin)  # the bare task object [FIDELITY §8]
        return predictions.prediction_json(self.state, task, origin)  # the bare prediction [FIDELITY §8]

    async def run(self) -> None:
        """Loop until cancelled."""
        state = self.state
        while True:
            state.deliveries.driver_turns += 1  # shown by /_mock/callbacks: an idle driver does not turn
            self._wake.clear()
            self._until = math.inf
            now = state.now()
            try:
                now = state.settle()
                for delivery in state.deliveries.take_due(now):
                    self._start(delivery)
            except Exception:  # a bug of ours must not stop time for the rest of the server's life
                log.exception("lifecycle driver step failed")
            timeout = self._sleep_for(now)
            if timeout is None:
                await self._wake.wait()
            else:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancel that lands with a
                # wake (a delivery ending as the server stops), and the shutdown then waited for the next due.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()

    def _sleep_for(self, now: float) -> float | None:
        """Real seconds until the next due event, or None to sleep until woken; sets what wakes it sooner."""
        state = self.state
        scale = state.clock.time_scale
        # Frozen, only an advance (which wakes us) moves the clock: what a create schedules waits for it,
        # unless it is due already.
        self._until = math.inf if scale > 0 else math.nextafter(now, math.inf)
        dues = [d for d in (state.store.next_due(), state.deliveries.next_due()) if d is not None]
        if not dues:
            return None
        due = min(dues)
        if due <= now:
            return 0.0
        if scale <= 0:
            return None
        self._until = due
        return min(MAX_SLEEP, (due - now) / scale + SLACK)

    def _start(self, delivery: Delivery) -> None:
        task = asyncio.get_running_loop().create_task(self._attempt(delivery))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _attempt(self, delivery: Delivery) -> None:
        state = self.state
        assert self._session is not None
        started = time.perf_counter()
        try:
            outcome, status, error = await send(self._session, delivery, state.faults, state.config.callback_timeout)
        except Exception as exc:  # never lose a delivery to a bug: record it as an error
            log.exception("callback delivery to %s failed", delivery.url)
            outcome, status, error = "error", None, f"{type(exc).__name__}: {exc}"[:300]
        state.deliveries.done(delivery, outcome, status, error, (time.perf_counter() - started) * 1000)

    async def open(self) -> None:
        """Create the HTTP client session and hook into the state."""
        connector = aiohttp.TCPConnector(limit=max(1, self.state.config.callback_concurrency))
        self._session = aiohttp.ClientSession(connector=connector)
        self.state.deliveries.render = self._render
        self.state.deliveries.wake = self.wake
        self.state.deliveries.wake_by = self.wake_by
        self.state.clock.on_change = self.wake

    async def close(self) -> None:
        """Cancel attempts in flight and close the session."""
        for task in list(self._sends):
            task.cancel()
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        self.state.deliveries.wake = lambda: None
        self.state.deliveries.wake_by = lambda due: None
        self.state.clock.on_change = None
        if self._session is not None:
            await self._session.close()


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    """``app.cleanup_ctx`` entry: run the driver for the application's life."""
    driver = LifecycleDriver(app[STATE])
    await driver.open()
    runner = asyncio.get_running_loop().create_task(driver.run(), name="seedance-mock lifecycle")
    try:
        yield
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await driver.close()
