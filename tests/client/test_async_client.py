"""AsyncSeedanceClient: the same behaviour as the sync twin, through the async send loop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from client import (
    APIConnectionError,
    APITimeoutError,
    AsyncSeedanceClient,
    BadRequestError,
    InternalServerError,
    Prediction,
    RateLimitError,
    TaskExpiredError,
    ValidationError,
    WaitTimeout,
)

from .conftest import (
    BASE,
    TASKS,
    BrokenStream,
    FakeAPI,
    Sleeps,
    envelope,
    prediction_json,
    task_json,
    undecodable,
)

FAST = "dreamina-seedance-2-0-fast-260128"


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def err(status: int, code: str = "X", **kw: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": code, "type": "T"}}, **kw)


@pytest.mark.asyncio
async def test_ark_round_trip(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    api.add("GET", TASKS, ok({"total": 1, "items": [task_json()]}))
    api.add("DELETE", f"{TASKS}/cgt-1", ok({}))
    assert await aclient.create_task(FAST, "a fox", ratio="9:16") == "cgt-1"
    assert json.loads(api.requests[0].content)["ratio"] == "9:16"
    assert api.requests[0].headers["authorization"] == "Bearer sk-test"
    assert (await aclient.get_task("cgt-1")).succeeded
    page = await aclient.list_tasks(status="queued", task_ids=["a", "b"])
    assert page.total == 1
    assert api.requests[2].url.params.get_list("filter.task_ids") == ["a", "b"]
    await aclient.cancel_task("cgt-1")
    await aclient.delete_task("cgt-1")
    assert api.count("DELETE", f"{TASKS}/cgt-1") == 2


@pytest.mark.asyncio
async def test_iter_tasks(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page_num"])
        return ok({"total": 3, "items": [task_json(f"cgt-{i}") for i in range((n - 1) * 2, min(n * 2, 3))]})

    api.add("GET", TASKS, pages)
    assert [t.id async for t in aclient.iter_tasks(page_size=2)] == ["cgt-0", "cgt-1", "cgt-2"]


@pytest.mark.asyncio
async def test_predictions(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    for op in ("text-to-video", "image-to-video", "reference-to-video"):
        api.add("POST", f"/api/v3/bytedance/{FAST}/{op}", ok(envelope(prediction_json())))
    api.add("GET", "/api/v3/predictions/cgt-1/result", ok(envelope(prediction_json(status="completed"))))
    assert (await aclient.text_to_video(FAST, "x", duration=5)).id == "cgt-1"
    await aclient.image_to_video(FAST, "x", "https://x/1.png")
    await aclient.reference_to_video(FAST, "x", images=["https://x/1.png"])
    assert (await aclient.get_prediction("cgt-1")).succeeded
    assert [r.url.path.rsplit("/", 1)[-1] for r in api.requests] == [
        "text-to-video", "image-to-video", "reference-to-video", "result",
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_validation_sends_nothing(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    with pytest.raises(ValidationError, match="4–15 s"):
        await aclient.create_task(FAST, "x", duration=20)
    with pytest.raises(ValidationError):
        await aclient.text_to_video(FAST, "x", aspect_ratio="adaptive")
    assert api.requests == []


@pytest.mark.asyncio
async def test_retries(api: FakeAPI, aclient: AsyncSeedanceClient, sleeps: Sleeps) -> None:
    api.add("GET", f"{TASKS}/cgt-1", err(503), httpx.ConnectError("reset"), ok(task_json()))
    assert (await aclient.get_task("cgt-1")).id == "cgt-1"
    assert api.count("GET", f"{TASKS}/cgt-1") == 3 and len(sleeps) == 2
    api.add("POST", TASKS, err(500), ok({"id": "dup"}))
    with pytest.raises(InternalServerError):
        await aclient.create_task(FAST, "x")
    assert api.count("POST", TASKS) == 1


@pytest.mark.asyncio
async def test_create_retried_on_429_only(api: FakeAPI, aclient: AsyncSeedanceClient, sleeps: Sleeps) -> None:
    api.add("POST", TASKS, err(429, headers={"Retry-After": "2"}), err(429), err(429))
    with pytest.raises(RateLimitError):
        await aclient.create_task(FAST, "x")
    assert api.count("POST", TASKS) == 3 and sleeps[0] == 2.0
    api.add("POST", f"/api/v3/bytedance/{FAST}/text-to-video", httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError):
        await aclient.text_to_video(FAST, "x")
    assert api.count("POST", f"/api/v3/bytedance/{FAST}/text-to-video") == 1


@pytest.mark.asyncio
async def test_error_classes(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    api.add("POST", TASKS, err(400, "InvalidParameter"))
    with pytest.raises(BadRequestError):
        await aclient.create_task(FAST, "x")


@pytest.mark.asyncio
async def test_wait_with_async_on_update(api: FakeAPI, aclient: AsyncSeedanceClient, sleeps: Sleeps) -> None:
    api.add("GET", f"{TASKS}/cgt-1", *[ok(task_json(status=s)) for s in ("queued", "running", "succeeded")])
    seen: list[str] = []

    async def record(task: Any) -> None:
        seen.append(task.status)

    task = await aclient.wait("cgt-1", poll_interval=2, on_update=record)
    assert task.succeeded and seen == ["queued", "running", "succeeded"]
    assert sleeps == [2.0, 3.0]


@pytest.mark.asyncio
async def test_wait_endings(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="expired")))
    with pytest.raises(TaskExpiredError):
        await aclient.wait("cgt-1")
    api.add("GET", f"{TASKS}/cgt-2", ok(task_json("cgt-2", status="running")))
    with pytest.raises(WaitTimeout) as info:
        await aclient.wait("cgt-2", timeout=5)
    assert info.value.task.id == "cgt-2"


@pytest.mark.asyncio
async def test_create_and_wait_and_prediction_wait(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="running")), ok(task_json(status="succeeded")))
    assert (await aclient.create_and_wait(FAST, "x")).succeeded
    api.add("GET", "/api/v3/predictions/cgt-1/result", ok(envelope(prediction_json(status="completed"))))
    done = await aclient.wait(Prediction.from_dict(prediction_json()))
    assert isinstance(done, Prediction) and done.video_url


@pytest.mark.asyncio
async def test_download(api: FakeAPI, aclient: AsyncSeedanceClient, tmp_path: Path) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    api.add("GET", "/media/cgt-1.mp4", httpx.Response(200, content=b"v" * 5000))
    progress: list[int] = []
    path = await aclient.download("cgt-1", tmp_path / "o.mp4", progress=lambda d, t: progress.append(d))
    assert path.read_bytes() == b"v" * 5000 and progress[-1] == 5000


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "answer",
    [undecodable(), httpx.Response(200, stream=BrokenStream(httpx.StreamClosed()))],
    ids=["DecodingError", "StreamError"],
)
async def test_download_body_failures_are_typed_and_leave_no_file(
    api: FakeAPI, aclient: AsyncSeedanceClient, tmp_path: Path, answer: httpx.Response
) -> None:
    api.add("GET", "/media/cgt-1.mp4", answer)
    with pytest.raises(APIConnectionError, match=r"download of .*/media/cgt-1\.mp4 failed"):
        await aclient.download(f"{BASE}/media/cgt-1.mp4", tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.asyncio
async def test_an_undecodable_answer_is_a_typed_error(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    api.add("GET", f"{TASKS}/cgt-1", undecodable())
    with pytest.raises(APIConnectionError, match="could not be read"):
        await aclient.get_task("cgt-1")


@pytest.mark.asyncio
async def test_request_refuses_a_path_without_a_leading_slash(api: FakeAPI, aclient: AsyncSeedanceClient) -> None:
    with pytest.raises(ValidationError, match="must start with '/'") as info:
        await aclient.request("GET", "api/v3/contents/generations/tasks")
    assert info.value.param == "path"
    assert api.requests == []


@pytest.mark.asyncio
async def test_delete_task_is_cancel_task(aclient: AsyncSeedanceClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    async def cancel(task_id: object) -> None:
        seen.append(task_id)

    monkeypatch.setattr(aclient, "cancel_task", cancel)
    assert await aclient.delete_task("cgt-1") is None
    assert seen == ["cgt-1"]


@pytest.mark.asyncio
async def test_context_manager_closes_its_own_client(api: FakeAPI) -> None:
    async with AsyncSeedanceClient("sk-x", base_url=BASE, transport=api.transport) as c:
        pass
    assert c._http.is_closed
