"""One frozen-clock mock server per module for the property tests (hypothesis forbids function-scoped
fixtures under ``@given``; each example resets the server's state instead)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.mock import Harness, harness_server


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A frozen-clock mock (queued 1 s, running 3 s, no reachable quota) and its HTTP client."""
    yield from harness_server(tmp_path_factory.mktemp("media"))
