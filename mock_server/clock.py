"""The one clock every status is computed from: real time × scale, plus what the control plane advanced."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mock_server.durable import Durable


class Clock:
    """A virtual clock in Unix seconds. ``time_scale=0`` freezes real time, so only :meth:`advance` moves it."""

    def __init__(
        self,
        time_scale: float = 1.0,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self._monotonic = monotonic
        self._base = time.time() if start is None else float(start)
        self._t0 = monotonic()
        self._scale = float(time_scale)
        self._advanced = 0.0
        #: Called after every advance and time-scale change (the lifecycle driver re-plans its sleep).
        self.on_change: Callable[[], None] | None = None
        #: The state file (``--state``), told of every advance and rate change.
        self.durable: Durable | None = None

    @property
    def time_scale(self) -> float:
        """Mock seconds per real second."""
        return self._scale

    @property
    def advanced(self) -> float:
        """Total seconds added by :meth:`advance`."""
        return self._advanced

    def now(self) -> float:
        """The current mock time (Unix seconds, fractional)."""
        return self._base + (self._monotonic() - self._t0) * self._scale + self._advanced

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (never backwards); returns the new time."""
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        self._advanced += seconds
        if self.durable is not None:
            self.durable.clock(self)
        if self.on_change is not None:
            self.on_change()
        return self.now()

    def set_time_scale(self, time_scale: float) -> None:
        """Change the rate from now on without moving the current time."""
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        now = self.now()
        self._t0 = self._monotonic()
        self._base = now - self._advanced
        self._scale = float(time_scale)
        if self.durable is not None:
            self.durable.clock(self)
        if self.on_change is not None:
            self.on_change()

    def resume(self, now: float, time_scale: float, advanced: float) -> None:
        """Go on from a saved position: mock time ``now`` at this very moment, running at ``time_scale``."""
        self._scale = float(time_scale)
        self._advanced = float(advanced)
        self._base = now - self._advanced
        self._t0 = self._monotonic()
