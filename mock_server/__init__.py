"""seedance-mock: a faithful local fake of GPTProto's Seedance video-generation API.

``create_app(MockConfig(...))`` builds the aiohttp application; ``seedance-mock`` (``python -m mock_server``)
runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mock_server.app import create_app
    from mock_server.config import MockConfig

__all__ = ["MockConfig", "__version__", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use: importing any submodule (the pytest plugin, which pytest loads in every run of
    # every project that has the package) must not import the whole server.
    if name == "create_app":
        from mock_server.app import create_app

        return create_app
    if name == "MockConfig":
        from mock_server.config import MockConfig

        return MockConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
