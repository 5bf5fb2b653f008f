"""A mock server on its own thread and event loop: for sync tests, scripts and the pytest plugin.

with MockServer(time_scale=0) as mock:
    client = Ark(base_url=mock.ark_base_url, api_key=mock.api_key)
    ...
    mock.advance(10)
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Self, TypeVar

from aiohttp import web

from mock_server.app import create_app
from mock_server.config import MockConfig
from mock_server.state import STATE, MockState

T = TypeVar("T")

if TYPE_CHECKING:
    import httpx


@cache
def _control_http() -> httpx.Client:
    """One HTTP client for every :meth:`MockServer.control` call of the process: a client per call built a TLS
    context each time (~50 ms of CPU loading the CA bundle), for a server that is always plain HTTP. No
    connection is kept alive: servers come and go, and a pooled socket would outlive its server."""
    import httpx  # only this helper needs it

    return httpx.Client(timeout=30, headers={"Connection": "close"})


#: The API key fixtures hand out (any well-formed key works unless the server runs with --api-key).
DEFAULT_KEY = "sk-seedance-mock-test"


class MockServer:
    """Runs :func:`create_app` on 127.0.0.1, port 0, in a background thread.

    Keyword arguments override :class:`MockConfig` fields (``time_scale=0``, ``run_seconds=1`` …).
    Control methods run on the server's loop, so they are safe to call from the test's thread.
    """

    def __init__(self, config: MockConfig | None = None, **overrides: Any) -> None:
        base = config or MockConfig(log_requests=False)
        self.config = dataclasses.replace(base, host="127.0.0.1", port=0, **overrides)
        # With a key list (--api-key), hand out a key the server accepts.
        self.api_key = self.config.api_keys[0] if self.config.api_keys else DEFAULT_KEY
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.port = 0
        self.app: web.Application | None = None

    # -- life ------------------------------------------------------------------------------------------
    def start(self) -> Self:
        """Start serving; returns once the port is bound."""
        # The server renders media on its own threads, importing numpy there when first needed. A test calling
        # pytest.approx meanwhile (it uses numpy once sys.modules holds it) would read a half-imported numpy
        # (AttributeError: isscalar): import it on the caller's thread first (~0.1 s, once per process).
        import numpy  # noqa: F401

        self._started.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="seedance-mock", daemon=True)
        self._thread.start()
        if not self._started.wait(30):
            raise RuntimeError("seedance-mock did not bind a port within 30 s")
        if self._error is not None:
            raise RuntimeError(f"seedance-mock failed to start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._boot())
        except BaseException as exc:  # surfaced to start()
            self._error = exc
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.close()
            self._started.set()
            return
        self._started.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
        loop.close()

    async def _boot(self) -> None:
        self.app = create_app(self.config)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The origin, e.g. ``http://127.0.0.1:54321`` (what wavespeed and the seedance client take)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ark_base_url(self) -> str:
        """``base_url + /api/v3``: what the official Ark SDKs take."""
        return self.base_url + "/api/v3"

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers a control-plane request needs: JSON, plus ``X-Admin-Token`` when the server has one
        (``admin_token=...``) [FIDELITY §13]."""
        headers = {"Content-Type": "application/json"}
        if self.config.admin_token:
            headers["X-Admin-Token"] = self.config.admin_token
        return headers

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call the control plane over HTTP (``control("POST", "/_mock/faults", {...})``) with the admin
        token sent for you; returns the JSON answer, raises ``httpx.HTTPStatusError`` on a 4xx/5xx."""
        response = _control_http().request(method, self.base_url + path, headers=self.admin_headers, json=body)
        response.raise_for_status()
        return response.json()

    # -- control (runs on the server's loop) -----------------------------------------------------------
    def call(self, fn: Callable[[MockState], T]) -> T:
        """Run ``fn(state)`` on the server's loop and return its result."""
        assert self._loop is not None and self.app is not None, "server not started"
        state = self.app[STATE]

        async def run() -> T:
            return fn(state)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    @property
    def state(self) -> MockState:
        """The live state (read it through :meth:`call` when the server is busy)."""
        assert self.app is not None, "server not started"
        return self.app[STATE]

    def advance(self, seconds: float) -> float:
        """Move mock time forward and settle every task; returns the new mock time (as
        ``POST /_mock/clock/advance``: 0 to ten years, else :class:`mock_server.errors.ApiError`)."""
        return self.call(lambda s: s.advance(seconds))

    def set_time_scale(self, time_scale: float) -> float:
        """Mock seconds per real second from now on (0 freezes: only :meth:`advance` moves time), as
        ``PUT /_mock/clock``; returns the mock time."""
        return self.call(lambda s: s.set_time_scale(time_scale))

    def freeze(self) -> None:
        """Stop mock time: tasks move only when the test calls :meth:`advance`."""
        self.set_time_scale(0)

    def finish_all(self, timeout: float = 60.0) -> float:
        """Jump far enough that every task that can end has ended (execution_expires_after at most 72 h)
        and every callback retry is due, then wait (up to ``timeout`` real seconds) until every pending
        callback and webhook delivery is done."""
        now = self.call(lambda s: s.finish_all())
        self.flush_callbacks(timeout)
        return now

    def now(self) -> float:
        """Current mock time."""
        return self.call(lambda s: s.now())

    def reset(self) -> None:
        """Forget tasks, keys, faults and the journal."""
        self.call(lambda s: s.reset())

    def journal(self, method: str | None = None, path: str | None = None, limit: int = 0) -> list[dict[str, Any]]:
        """Recorded API requests, oldest first (``path`` matches as a prefix; only the newest ``limit`` when
        it is positive), as ``GET /_mock/requests`` lists them."""
        return self.call(lambda s: [e.as_json() for e in s.journal.query(method, path, limit)])

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (the fields of ``POST /_mock/faults``)."""
        return self.call(lambda s: dataclasses.asdict(s.faults.add(rule)))

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.call(lambda s: s.faults.clear())

    def set_key(self, key: str | None = None, **settings: Any) -> dict[str, Any]:
        """Per-key settings (balance, rpm, models, valid) as ``PUT /_mock/keys/{key}`` (checked alike:
        :class:`mock_server.errors.ApiError` on a bad one)."""
        return self.call(lambda s: s.accounts.update(key or self.api_key, settings).public())

    def task(self, task_id: str) -> Any:
        """The stored task (settled), or None."""

        def get(state: MockState) -> Any:
            state.settle()
            return state.store.get(task_id)

        return self.call(get)

    # -- callbacks and webhooks ------------------------------------------------------------------------
    def callbacks(self, task_id: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Delivery attempts so far, oldest first, as ``GET /_mock/callbacks`` lists them (filters: task_id,
        url (glob), outcome, event, kind). Each has the ``body`` that was sent."""
        return self.call(lambda s: s.deliveries.list(task_id=task_id, **filters))

    def wait_for_callback(self, task_id: str, status: str, timeout: float = 10.0) -> dict[str, Any]:
        """The first attempt that brought ``task_id``'s ``status`` event to its receiver (the receiver
        answered, whatever it answered); waits up to ``timeout`` real seconds, else TimeoutError.

        ``status`` is the word sent: Ark's for callbacks, ``completed`` / ``failed`` for webhooks.
        """
        deadline = time.monotonic() + timeout
        while True:
            for attempt in self.callbacks(task_id, event=status):
                if attempt["outcome"] in ("delivered", "rejected"):
                    return attempt
            if time.monotonic() >= deadline:
                seen = [(a["event"], a["outcome"]) for a in self.callbacks(task_id)]
                raise TimeoutError(
                    f"no {status!r} callback of {task_id} reached its receiver in {timeout} s; seen {seen}"
                )
            time.sleep(0.01)

    def flush_callbacks(self, timeout: float = 60.0) -> None:
        """Wait until no delivery is waiting or in flight (retries due later on a frozen clock wait too:
        advance first). TimeoutError after ``timeout`` real seconds."""
        assert self._loop is not None and self.app is not None, "server not started"
        deliveries = self.app[STATE].deliveries
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(deliveries.wait_idle(), timeout), self._loop)
        try:
            future.result(timeout + 5)
        except TimeoutError:
            pending = self.call(lambda s: s.deliveries.pending)
            raise TimeoutError(f"{pending} callback deliveries still pending after {timeout} s") from None

    def sink_url(self, name: str = "default") -> str:
        """A ready receiver on this mock (``/_mock/sink/{name}``) to use as a callback_url or webhook."""
        return f"{self.base_url}/_mock/sink/{name}"

    def sink(self, name: str = "default") -> list[dict[str, Any]]:
        """What ``/_mock/sink/{name}`` received, oldest first: headers, raw text and parsed body."""
        return self.call(lambda s: s.deliveries.sinks.list(name))
