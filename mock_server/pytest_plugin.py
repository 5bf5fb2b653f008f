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
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mock_server.plugin_servers import AsyncSeedanceMock, SeedanceMock

__all__ = ["FIXTURE_DEFAULTS", "AsyncSeedanceMock", "SeedanceMock"]


def __getattr__(name: str) -> Any:
    # pytest loads this module in every run of every project where the package is installed: the server (aiohttp,
    # numpy, PyAV…, ~0.8 s) is imported when a test asks for a fixture, or for one of these names, not before.
    if name in ("SeedanceMock", "AsyncSeedanceMock"):
        from mock_server import plugin_servers

        return getattr(plugin_servers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Fast by default: a task is done about 0.3 s after it is created.
FIXTURE_DEFAULTS: dict[str, Any] = {
    "time_scale": 1.0,
    "queue_seconds": 0.05,
    "run_seconds": 0.25,
    "log_requests": False,
}


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
    warnings.filterwarnings("ignore", message='The configuration option "asyncio_default_fixture_loop_scope" is unset')


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
    ``advance(seconds)``, ``journal()``, ``add_fault(...)``, ``set_key(...)``, ``reset()``, ``freeze()``,
    ``callbacks()``, ``wait_for_callback(task_id, status)``, ``sink_url()``, ``sink()``, ``finish_all()``,
    ``control(method, path, body)`` (HTTP, the admin token sent for you) and ``admin_headers``."""
    from mock_server.plugin_servers import SeedanceMock

    with SeedanceMock(**_settings(request)) as server:
        yield server


@pytest.fixture
def seedance_mock_async(request: pytest.FixtureRequest) -> Iterator[AsyncSeedanceMock]:
    """The same fresh server for async tests: every control method is a coroutine that does not block the
    test's event loop. Works under pytest-asyncio, anyio or pytest-aiohttp alike (the fixture itself is
    synchronous, the server runs on its own thread)."""
    from mock_server.plugin_servers import AsyncSeedanceMock, SeedanceMock

    with SeedanceMock(**_settings(request)) as server:
        yield AsyncSeedanceMock(server)
