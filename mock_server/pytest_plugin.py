"""The ``seedance_mock`` pytest fixture, installed with the package (entry point ``pytest11``).

    def test_my_app(seedance_mock):
        app = MyApp(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key)
        ...

Each test gets a fresh server on its own thread (port 0). Tune it with a marker whose keywords are
:class:`mock_server.MockConfig` fields: ``@pytest.mark.seedance_mock(time_scale=0)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.testing import MockServer

#: Fast by default: a task is done about 0.3 s after it is created.
FIXTURE_DEFAULTS: dict[str, Any] = {
    "time_scale": 1.0,
    "queue_seconds": 0.05,
    "run_seconds": 0.25,
    "log_requests": False,
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        "seedance_mock(**settings): MockConfig fields for the seedance_mock fixture, e.g. time_scale=0",
    )


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    settings = dict(FIXTURE_DEFAULTS)
    for marker in reversed(list(request.node.iter_markers("seedance_mock"))):
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def seedance_mock(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """A fresh seedance-mock server for this test: ``base_url``, ``ark_base_url``, ``api_key``,
    ``advance(seconds)``, ``journal()``, ``add_fault(...)``, ``set_key(...)``, ``reset()``."""
    with MockServer(**_settings(request)) as server:
        yield server
