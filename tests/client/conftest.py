"""A scripted fake of the API on ``httpx.MockTransport``: routes answer in order and every request is kept."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from client import AsyncSeedanceClient, SeedanceClient

BASE = "http://mock.test"
TASKS = "/api/v3/contents/generations/tasks"

Answer = httpx.Response | Exception | Callable[[httpx.Request], Any]


class FakeAPI:
    """Answers each (method, path) with its queued answers in order; the last one repeats."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], list[Answer]] = {}

    def add(self, method: str, path: str, *answers: Answer) -> FakeAPI:
        self.routes.setdefault((method, path), []).extend(answers)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(
                404,
                json={
                    "error": {
                        "code": "NotFound",
                        "message": f"no route {request.url.path}",
                        "type": "NotFound",
                    }
                },
            )
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            answer = answer(request)
        return answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.url.path == path)


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that yields ``chunk`` and then raises ``error`` (for either client)."""

    def __init__(self, error: Exception, chunk: bytes = b"\0\0\0\x18ftyp") -> None:
        self.error = error
        self.chunk = chunk

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield self.chunk
        raise self.error

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self.chunk
        raise self.error


def undecodable() -> httpx.Response:
    """A 200 whose body claims gzip but is not: reading it raises httpx.DecodingError."""
    return httpx.Response(200, stream=httpx.ByteStream(b"not gzip at all"), headers={"content-encoding": "gzip"})


def task_json(task_id: str = "cgt-1", status: str = "queued", **extra: Any) -> dict[str, Any]:
    """A task object as the Ark endpoint returns it."""
    body: dict[str, Any] = {
        "id": task_id,
        "model": "dreamina-seedance-2-0-fast-260128",
        "status": status,
        "error": None,
        "content": None,
        "usage": None,
        "seed": 42,
        "resolution": "720p",
        "ratio": "16:9",
        "duration": 5,
        "framespersecond": 24,
        "created_at": 1766663633,
        "updated_at": 1766663640,
    }
    if status == "succeeded":
        body["content"] = {"video_url": f"{BASE}/media/{task_id}.mp4"}
        body["usage"] = {"completion_tokens": 108900, "total_tokens": 108900}
    body.update(extra)
    return body


def envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "message": "success", "data": data}


def prediction_json(task_id: str = "cgt-1", status: str = "created", **extra: Any) -> dict[str, Any]:
    """The ``data`` of a predictions envelope."""
    data: dict[str, Any] = {
        "id": task_id,
        "model": "dreamina-seedance-2-0-fast-260128",
        "outputs": [],
        "urls": {"get": f"{BASE}/api/v3/predictions/{task_id}/result"},
        "status": status,
        "error": None,
        "executionTime": 0,
        "timings": {"inference": 0},
        "has_nsfw_contents": [],
        "created_at": "2026-01-01 00:00:00",
    }
    if status == "completed":
        data["outputs"] = [f"{BASE}/media/{task_id}.mp4"]
    data.update(extra)
    return data


class Sleeps(list[float]):
    """The sleeps a client asked for; a fake clock advances by each so timeouts are instant."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


class Blocking:
    """An AsyncSeedanceClient behind SeedanceClient's blocking surface, so one test body runs over both clients.

    Each coroutine method runs to its end on the facade's own event loop; an async generator is walked one
    item at a time; attributes read and set go to the async client itself.
    """

    def __init__(self, inner: AsyncSeedanceClient, runner: asyncio.Runner) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_runner", runner)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if inspect.iscoroutinefunction(attr):
            return lambda *args, **kwargs: self._runner.run(attr(*args, **kwargs))
        if inspect.isasyncgenfunction(attr):
            return lambda *args, **kwargs: self._walk(attr(*args, **kwargs))
        return attr

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)

    def _walk(self, agen: Any) -> Iterator[Any]:
        async def step() -> Any:
            return await agen.__anext__()

        while True:
            try:
                yield self._runner.run(step())
            except StopAsyncIteration:
                return

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc: object) -> None:
        self._runner.run(self._inner.close())


class Mode:
    """Which client a test body drives: ``sync`` (SeedanceClient) or ``async`` (AsyncSeedanceClient via Blocking)."""

    def __init__(self, name: str, runner: asyncio.Runner | None) -> None:
        self.name = name
        self.runner = runner

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """A client of this mode, built with the constructor's own arguments."""
        if self.runner is None:
            return SeedanceClient(*args, **kwargs)
        return Blocking(AsyncSeedanceClient(*args, **kwargs), self.runner)

    def http_client(self, transport: httpx.MockTransport) -> Any:
        """An httpx client of this mode's kind (``Client`` or ``AsyncClient``) over ``transport``."""
        return httpx.Client(transport=transport) if self.runner is None else httpx.AsyncClient(transport=transport)

    def close(self, http: Any) -> None:
        """Close an httpx client made by :meth:`http_client`."""
        if self.runner is None:
            http.close()
        else:
            self.runner.run(http.aclose())

    @property
    def no_sleep(self) -> Callable[[float], Any]:
        """A ``_sleep`` that returns at once (for a server whose clock the test moves)."""
        if self.runner is None:
            return lambda seconds: None

        async def skip(seconds: float) -> None:
            return None

        return skip

    def sleep_seam(self, sleeps: Sleeps) -> Callable[[float], Any]:
        """What to patch ``_sleep`` with: a plain or an async recorder."""
        return sleeps.sleep if self.runner is None else sleeps.asleep


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Iterator[Mode]:
    """Each behavioural test runs once over SeedanceClient and once over AsyncSeedanceClient."""
    if request.param == "sync":
        yield Mode("sync", None)
        return
    with asyncio.Runner() as runner:
        yield Mode("async", runner)


@pytest.fixture
def client(api: FakeAPI, sleeps: Sleeps, mode: Mode, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A client of either mode on the FakeAPI, its sleeps recorded and its clock the fake one."""
    c = mode.client("sk-test", base_url=BASE, transport=api.transport)
    inner = getattr(c, "_inner", c)  # the seams of the client itself, not of its Blocking facade
    monkeypatch.setattr(inner, "_sleep", mode.sleep_seam(sleeps))
    monkeypatch.setattr(inner, "_monotonic", sleeps.clock)
    with c:
        yield c


@pytest.fixture
async def aclient(api: FakeAPI, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch):
    c = AsyncSeedanceClient("sk-test", base_url=BASE, transport=api.transport)
    monkeypatch.setattr(c, "_sleep", sleeps.asleep)
    monkeypatch.setattr(c, "_monotonic", sleeps.clock)
    async with c:
        yield c
