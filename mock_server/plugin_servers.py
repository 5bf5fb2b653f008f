"""The servers the ``seedance_mock`` fixtures hand out (mock_server.pytest_plugin imports this module only when
a test asks for one, so the plugin costs nothing in a run that does not)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from mock_server.testing import MockServer

__all__ = ["AsyncSeedanceMock", "SeedanceMock"]

T = TypeVar("T")


class SeedanceMock(MockServer):
    """The server the ``seedance_mock`` fixture hands out: a :class:`MockServer` with the fixture's settings
    (every control method, the clock's included, is :class:`MockServer`'s)."""


def _awaitable(method: Callable[..., T]) -> Callable[..., Coroutine[Any, Any, T]]:
    """The async twin of a blocking :class:`MockServer` method: the same call, its docstring and signature,
    run on a worker thread so the caller's event loop is never blocked (the server keeps its own)."""
    name = method.__name__

    @functools.wraps(method)
    async def twin(self: AsyncSeedanceMock, *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(getattr(self.server, name), *args, **kwargs)

    return twin


def _same(name: str, doc: str | None = None) -> property:
    """A read-only attribute of the wrapped server (documented as the server's property of that name)."""
    return property(lambda self: getattr(self.server, name), doc=doc or getattr(MockServer, name).__doc__)


class AsyncSeedanceMock:
    """Awaitable control of a :class:`SeedanceMock` for async tests: the server keeps its own thread and
    loop, and every control call is awaited on the caller's loop without blocking it. Each method wraps the
    :class:`MockServer` method of the same name (:func:`_awaitable`): one behaviour, two ways to call it."""

    def __init__(self, server: SeedanceMock) -> None:
        self.server = server

    base_url = _same("base_url")
    ark_base_url = _same("ark_base_url")
    api_key = _same("api_key", "A key the server accepts.")
    admin_headers = _same("admin_headers")

    def sink_url(self, name: str = "default") -> str:
        """A ready receiver on the mock (``/_mock/sink/{name}``)."""
        return self.server.sink_url(name)

    control = _awaitable(MockServer.control)
    advance = _awaitable(MockServer.advance)
    set_time_scale = _awaitable(MockServer.set_time_scale)
    freeze = _awaitable(MockServer.freeze)
    finish_all = _awaitable(MockServer.finish_all)
    now = _awaitable(MockServer.now)
    reset = _awaitable(MockServer.reset)
    journal = _awaitable(MockServer.journal)
    add_fault = _awaitable(MockServer.add_fault)
    clear_faults = _awaitable(MockServer.clear_faults)
    set_key = _awaitable(MockServer.set_key)
    task = _awaitable(MockServer.task)
    callbacks = _awaitable(MockServer.callbacks)
    wait_for_callback = _awaitable(MockServer.wait_for_callback)
    flush_callbacks = _awaitable(MockServer.flush_callbacks)
    sink = _awaitable(MockServer.sink)
