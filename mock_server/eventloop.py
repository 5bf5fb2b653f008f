"""The fastest event loop this platform has: uvloop where it is installed, else asyncio's own.

uvloop (libuv under asyncio's API) is a dependency of the package on CPython outside Windows; there it cuts
what aiohttp's transport costs per request, which is most of what a GET costs [issue 17]. Anywhere else (PyPy,
Windows, an install without it), the server runs on asyncio's loop, the same code, only slower.
``SEEDANCE_MOCK_LOOP=asyncio`` picks asyncio's loop even where uvloop is there (to compare the two).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: Environment variable: ``asyncio`` forces asyncio's own loop; anything else (or unset) prefers uvloop.
ENV = "SEEDANCE_MOCK_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """``uvloop.new_event_loop`` when uvloop can be imported (and is not refused by :data:`ENV`), else None
    (asyncio's default loop)."""
    if os.environ.get(ENV, "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name(factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> str:
    """``uvloop`` or ``asyncio``: which loop :func:`run` uses (or ``factory`` makes)."""
    factory = loop_factory() if factory is None else factory
    return "asyncio" if factory is None else factory.__module__.split(".")[0]


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new loop of the fastest kind available (for a server on its own thread)."""
    factory = loop_factory()
    return factory() if factory is not None else asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the fastest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
