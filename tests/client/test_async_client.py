"""What only the async client has: awaited callbacks, ``async for``, ``async with``.

Everything else it does is tested with the sync client's behavioural tests, which run over both
(``test_clients.py`` and the ``mode`` fixture).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from client import AsyncSeedanceClient, Task

from .conftest import BASE, TASKS, FakeAPI, Sleeps, task_json

FAST = "dreamina-seedance-2-0-fast-260128"


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


async def test_methods_are_awaited_directly(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    created = await aclient.create_task(FAST, "a fox")
    assert isinstance(created, Task) and created.status == "queued"
    assert (await aclient.get_task(created)).succeeded


async def test_wait_awaits_a_coroutine_on_update(api: FakeAPI, aclient: AsyncSeedanceClient, sleeps: Sleeps) -> None:
    api.add("GET", f"{TASKS}/cgt-1", *[ok(task_json(status=s)) for s in ("queued", "running", "succeeded")])
    seen: list[str] = []

    async def record(task: Any) -> None:
        seen.append(task.status)

    task = await aclient.wait("cgt-1", poll_interval=2, on_update=record)
    assert task.succeeded and seen == ["queued", "running", "succeeded"]
    assert sleeps == [2.0, 3.0]


async def test_iter_tasks_is_an_async_iterator(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page_num"])
        return ok({"total": 3, "items": [task_json(f"cgt-{i}") for i in range((n - 1) * 2, min(n * 2, 3))]})

    api.add("GET", TASKS, pages)
    assert [t.id async for t in aclient.iter_tasks(page_size=2)] == ["cgt-0", "cgt-1", "cgt-2"]


async def test_delete_task_is_cancel_task(aclient: AsyncSeedanceClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    async def cancel(task_id: object) -> None:
        seen.append(task_id)

    monkeypatch.setattr(aclient, "cancel_task", cancel)
    assert await aclient.delete_task("cgt-1") is None
    assert seen == ["cgt-1"]


async def test_context_manager_closes_its_own_client(api: FakeAPI) -> None:
    async with AsyncSeedanceClient("sk-x", base_url=BASE, transport=api.transport) as c:
        pass
    assert c._http.is_closed
