"""Fixtures for driving the mock server in-process with a frozen clock."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from mock_server import MockConfig, create_app
from mock_server.state import STATE, MockState

KEY = "sk-test-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}

#: Frozen clock: nothing moves unless a test advances it. queued 1 s, running 3 s.
FROZEN = MockConfig(time_scale=0, queue_seconds=1, run_seconds=3, log_requests=False, random_seed=7)


class Mock:
    """A test client plus direct handles on the server's state."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.state: MockState = client.server.app[STATE]

    async def call(
        self, method: str, path: str, *, json: Any = None, key: str | None = KEY, **kw: Any
    ) -> tuple[int, Any, Any]:
        """(status, parsed JSON body, headers)."""
        headers = dict(kw.pop("headers", {}))
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        if path.startswith("/_mock") and method in ("POST", "PUT", "PATCH", "DELETE") and "data" not in kw:
            headers.setdefault("Content-Type", "application/json")  # the control plane's rule [FIDELITY §13]
        resp = await self.client.request(method, path, json=json, headers=headers, **kw)
        media = resp.content_type.startswith(("video/", "image/"))
        body = None if media else await resp.json(content_type=None)
        return resp.status, body, resp.headers

    async def advance(self, seconds: float) -> None:
        status, _, _ = await self.call("POST", "/_mock/clock/advance", json={"seconds": seconds})
        assert status == 200

    @property
    def origin(self) -> str:
        return str(self.client.make_url("")).rstrip("/")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One media cache for the whole run: each distinct file is rendered once."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def make_mock(aiohttp_client: Callable[..., Awaitable[TestClient]], media_dir: Path) -> Callable[..., Awaitable[Mock]]:
    """``await make_mock(**MockConfig overrides)`` → a :class:`Mock` on a frozen clock."""

    async def make(**overrides: Any) -> Mock:
        config = dataclasses.replace(FROZEN, cache_dir=media_dir, **overrides)
        return Mock(await aiohttp_client(create_app(config)))

    return make


@pytest.fixture
async def mock(make_mock: Callable[..., Awaitable[Mock]]) -> Mock:
    """The default frozen-clock mock."""
    return await make_mock()
