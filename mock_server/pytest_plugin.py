"""The ``seedance_mock`` pytest fixtures, installed with the package (entry point ``pytest11``).

    def test_my_app(seedance_mock):
        app = MyApp(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key)
        ...

    async def test_my_async_app(seedance_mock_async):
        ...
        await seedance_mock_async.advance(10)

Each test gets a fresh server on its own thread (port 0), so neither fixture blocks or needs the test's
event loop. Tune it with a marker whose keywords are :class:`mock_server.MockConfig` fields:
``@pytest.mark.seedance_mock(time_scale=0)``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from mock_server.state import MockState
from mock_server.testing import MockServer

__all__ = ["FIXTURE_DEFAULTS", "AsyncSeedanceMock", "SeedanceMock"]

T = TypeVar("T")

#: Fast by default: a task is done about 0.3 s after it is created.
FIXTURE_DEFAULTS: dict[str, Any] = {
    "time_scale": 1.0,
    "queue_seconds": 0.05,
    "run_seconds": 0.25,
    "log_requests": False,
}


class SeedanceMock(MockServer):
    """The server the ``seedance_mock`` fixture hands out: :class:`MockServer` plus clock conveniences."""

    def set_time_scale(self, time_scale: float) -> None:
        """Mock seconds per real second from now on (0 freezes: only :meth:`advance` moves time)."""

        def change(state: MockState) -> None:
            state.settle()
            state.clock.set_time_scale(time_scale)

        self.call(change)

    def freeze(self) -> None:
        """Stop mock time: tasks move only when the test calls :meth:`advance`."""
        self.set_time_scale(0)

    def finish_all(self) -> float:
        """Jump far enough that every task that can end has ended (execution_expires_after at most 72 h)."""
        return self.advance(259_200 + self.config.queue_seconds + self.config.run_seconds)


class AsyncSeedanceMock:
    """Awaitable control of a :class:`SeedanceMock` for async tests: the server keeps its own thread and
    loop, and every control call is awaited on the caller's loop without blocking it."""

    def __init__(self, server: SeedanceMock) -> None:
        self.server = server

    @property
    def base_url(self) -> str:
        """The origin (what wavespeed and the seedance client take)."""
        return self.server.base_url

    @property
    def ark_base_url(self) -> str:
        """``base_url + /api/v3``: what the official Ark SDKs take."""
        return self.server.ark_base_url

    @property
    def api_key(self) -> str:
        """A key the server accepts."""
        return self.server.api_key

    async def _call(self, fn: Callable[[], T]) -> T:
        # The blocking control methods wait on the server's loop; run them on a worker thread instead.
        return await asyncio.to_thread(fn)

    async def advance(self, seconds: float) -> float:
        """Move mock time forward and settle every task; returns the new mock time."""
        return await self._call(lambda: self.server.advance(seconds))

    async def now(self) -> float:
        """Current mock time."""
        return await self._call(self.server.now)

    async def reset(self) -> None:
        """Forget tasks, keys, faults and the journal."""
        await self._call(self.server.reset)

    async def journal(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Recorded API requests, oldest first."""
        return await self._call(lambda: self.server.journal(method, path))

    async def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (the fields of ``POST /_mock/faults``)."""
        return await self._call(lambda: self.server.add_fault(**rule))

    async def clear_faults(self) -> None:
        """Remove every fault rule."""
        await self._call(self.server.clear_faults)

    async def set_key(self, key: str | None = None, **settings: Any) -> dict[str, Any]:
        """Per-key settings (balance, rpm, models, valid)."""
        return await self._call(lambda: self.server.set_key(key, **settings))

    async def set_time_scale(self, time_scale: float) -> None:
        """Mock seconds per real second from now on."""
        await self._call(lambda: self.server.set_time_scale(time_scale))

    async def freeze(self) -> None:
        """Stop mock time."""
        await self.set_time_scale(0)

    async def finish_all(self) -> float:
        """Jump far enough that every task has ended."""
        return await self._call(self.server.finish_all)

    async def task(self, task_id: str) -> Any:
        """The stored task (settled), or None."""
        return await self._call(lambda: self.server.task(task_id))


#: Markers by which another plugin (pytest-asyncio, anyio, trio) claims a coroutine test for itself.
_ASYNC_MARKERS = ("asyncio", "anyio", "trio")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the marker so ``--strict-markers`` accepts it.

    Runs first so that, in a user's project with pytest-asyncio installed but not configured, its
    configure-time "asyncio_default_fixture_loop_scope is unset" deprecation is not printed on every run:
    this plugin needs no event-loop fixture of theirs, and the unset value already means the future default.
    """
    config.addinivalue_line(
        "markers",
        "seedance_mock(**settings): MockConfig fields for the seedance_mock fixtures, e.g. time_scale=0",
    )
    warnings.filterwarnings(
        "ignore", message='The configuration option "asyncio_default_fixture_loop_scope" is unset'
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test that uses ``seedance_mock_async`` on a fresh event loop when no async
    plugin has claimed it, so the fixture works in a project with no asyncio configuration at all.

    pytest-asyncio in auto mode (or a test marked ``asyncio``/``anyio``/``trio``) runs it as usual."""
    test = pyfuncitem.obj
    if "seedance_mock_async" not in pyfuncitem.fixturenames or not inspect.iscoroutinefunction(test):
        return None
    if any(pyfuncitem.get_closest_marker(name) for name in _ASYNC_MARKERS):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(test(**args))
    return True


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    settings = dict(FIXTURE_DEFAULTS)
    for marker in reversed(list(request.node.iter_markers("seedance_mock"))):
        if marker.args:
            raise pytest.UsageError("@pytest.mark.seedance_mock takes keyword arguments (MockConfig fields) only")
        settings.update(marker.kwargs)
    from mock_server.config import MockConfig

    unknown = set(settings) - {f.name for f in dataclasses.fields(MockConfig)}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.seedance_mock: unknown MockConfig field(s) {sorted(unknown)}")
    fixed = set(settings) & {"host", "port"}
    if fixed:
        raise pytest.UsageError(
            f"@pytest.mark.seedance_mock: {sorted(fixed)} cannot be set: the fixture always serves 127.0.0.1 on a"
            " free port (read it from seedance_mock.base_url)"
        )
    return settings


@pytest.fixture
def seedance_mock(request: pytest.FixtureRequest) -> Iterator[SeedanceMock]:
    """A fresh seedance-mock server for this test: ``base_url``, ``ark_base_url``, ``api_key``,
    ``advance(seconds)``, ``journal()``, ``add_fault(...)``, ``set_key(...)``, ``reset()``, ``freeze()``."""
    with SeedanceMock(**_settings(request)) as server:
        yield server


@pytest.fixture
def seedance_mock_async(request: pytest.FixtureRequest) -> Iterator[AsyncSeedanceMock]:
    """The same fresh server for async tests: every control method is a coroutine that does not block the
    test's event loop. Works under pytest-asyncio, anyio or pytest-aiohttp alike (the fixture itself is
    synchronous, the server runs on its own thread)."""
    with SeedanceMock(**_settings(request)) as server:
        yield AsyncSeedanceMock(server)
