"""Both clients against httpx.MockTransport: every method, every error class, retries, wait, download.

Each test runs twice (the ``mode`` fixture): over SeedanceClient, and over AsyncSeedanceClient behind a blocking
facade (``conftest.Blocking``), so the two clients pass the same behavioural tests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from client import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncSeedanceClient,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    InsufficientBalanceError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    Prediction,
    RateLimitError,
    SeedanceClient,
    SeedanceError,
    Task,
    TaskCancelledError,
    TaskExpiredError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
)
from client._base import tls_context

from .conftest import (
    BASE,
    TASKS,
    BrokenStream,
    FakeAPI,
    Mode,
    Sleeps,
    envelope,
    prediction_json,
    task_json,
    undecodable,
)

#: Either client: the tests call the blocking surface, which the async client has through ``Blocking``.
Client = SeedanceClient
FAST = "dreamina-seedance-2-0-fast-260128"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8


def ok(body: Any, **kw: Any) -> httpx.Response:
    return httpx.Response(200, json=body, **kw)


def ark_error(status: int, code: str, param: str | None = None, **kw: Any) -> httpx.Response:
    kind = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 429: "TooManyRequests"}
    body = {
        "error": {
            "code": code,
            "message": f"{code} happened. Request ID: 2025abc",
            "param": param,
            "type": kind.get(status, "InternalServerError"),
        }
    }
    return httpx.Response(status, json=body, **kw)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


# ------------------------------------------------------------------------------------------ configuration


def test_headers_auth_and_request_id(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json()))
    client.get_task("cgt-1")
    (request,) = api.requests
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["x-client-request-id"].startswith("req-")
    assert str(request.url) == f"{BASE}{TASKS}/cgt-1"


def test_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, api: FakeAPI, mode: Mode) -> None:
    monkeypatch.setenv("GPTPROTO_API_KEY", "sk-env")
    monkeypatch.setenv("GPTPROTO_BASE_URL", "http://127.0.0.1:8000/api/v3/")
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json()))
    with mode.client(transport=api.transport) as c:
        assert c.base_url == "http://127.0.0.1:8000"
        c.get_task("cgt-1")
    assert api.requests[0].headers["authorization"] == "Bearer sk-env"
    assert api.requests[0].url.host == "127.0.0.1"


def test_default_base_url_is_the_real_service(monkeypatch: pytest.MonkeyPatch, mode: Mode) -> None:
    monkeypatch.delenv("GPTPROTO_BASE_URL", raising=False)
    with mode.client("sk-x") as c:
        assert c.base_url == "https://gptproto.com"


def test_missing_key_and_bad_base_url(monkeypatch: pytest.MonkeyPatch, mode: Mode) -> None:
    monkeypatch.delenv("GPTPROTO_API_KEY", raising=False)
    with pytest.raises(SeedanceError, match="GPTPROTO_API_KEY"):
        mode.client()
    with pytest.raises(SeedanceError, match="http"):
        mode.client("sk-x", base_url="gptproto.com")


def test_http_client_is_used_and_not_closed(api: FakeAPI, mode: Mode) -> None:
    http = mode.http_client(api.transport)
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json()))
    with mode.client("sk-x", base_url=BASE, http_client=http) as c:
        c.get_task("cgt-1")
    assert api.requests and not http.is_closed
    mode.close(http)
    with pytest.raises(ValueError):
        mode.client("sk-x", transport=api.transport, http_client=http)


def test_clients_share_one_tls_context() -> None:
    """A TLS context costs ~50 ms of CPU to build (it loads the CA bundle): a client per request must not pay
    that each time. Every client made without a transport of its own verifies with the one shared context,
    which verifies as httpx's default does."""
    sync_a, sync_b = SeedanceClient("sk-a", base_url=BASE), SeedanceClient("sk-b", base_url=BASE)
    async_c = AsyncSeedanceClient("sk-c", base_url=BASE)
    try:
        used = [c._http._transport._pool._ssl_context for c in (sync_a, sync_b, async_c)]
        assert all(context is tls_context() for context in used)
        assert tls_context().verify_mode == ssl.CERT_REQUIRED and tls_context().check_hostname
    finally:
        sync_a.close()
        sync_b.close()
        asyncio.run(async_c.close())


# ------------------------------------------------------------------------------------------ family A


def test_create_task_builds_the_ark_body(api: FakeAPI, client: Client) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-20251225195352-ab12c"}))
    task = client.create_task(
        FAST,
        "a fox",
        first_frame=PNG,
        last_frame="https://x/last.png",
        resolution="480p",
        seed=None,
        duration=6,
    )
    assert isinstance(task, Task) and task.id == "cgt-20251225195352-ab12c" and str(task) == task.id
    assert (task.status, task.normalized_status, task.model) == ("queued", "queued", FAST)
    assert not task.is_terminal and task.video_url is None
    body = body_of(api.requests[0])
    assert body == {
        "model": FAST,
        "content": [
            {"type": "text", "text": "a fox"},
            {
                "type": "image_url",
                "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()},
                "role": "first_frame",
            },
            {"type": "image_url", "image_url": {"url": "https://x/last.png"}, "role": "last_frame"},
        ],
        "resolution": "480p",
        "duration": 6,
    }


def test_create_task_with_reference_media(api: FakeAPI, client: Client, tmp_path: Path) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-2"}))
    img = tmp_path / "ref.png"
    img.write_bytes(PNG)
    client.create_task(
        "dreamina-seedance-2-0-260128", "a dog", reference_images=[img, "https://x/2.png"],
        reference_videos=["https://x/v.mp4"], reference_audios=["https://x/a.mp3"],
    )  # fmt: skip
    content = body_of(api.requests[0])["content"]
    assert [(c["type"], c.get("role")) for c in content] == [
        ("text", None),
        ("image_url", "reference_image"),
        ("image_url", "reference_image"),
        ("video_url", "reference_video"),
        ("audio_url", "reference_audio"),
    ]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_get_task_parses_the_task(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    task = client.get_task("cgt-1")
    assert isinstance(task, Task) and task.succeeded
    assert task.video_url == f"{BASE}/media/cgt-1.mp4"
    assert (task.width, task.height) == (1280, 720)


def test_list_tasks_sends_filters(api: FakeAPI, client: Client) -> None:
    api.add("GET", TASKS, ok({"total": 1, "items": [task_json()]}))
    page = client.list_tasks(2, 50, status="queued", model=FAST, task_ids=["a", "b"])
    assert page.total == 1 and page.items[0].id == "cgt-1"
    params = api.requests[0].url.params
    assert params["page_num"] == "2" and params["page_size"] == "50"
    assert params["filter.status"] == "queued" and params["filter.model"] == FAST
    assert params.get_list("filter.task_ids") == ["a", "b"]


def test_iter_tasks_walks_every_page(api: FakeAPI, client: Client) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page_num"])
        items = [task_json(f"cgt-{i}") for i in range((n - 1) * 2, min(n * 2, 5))]
        return ok({"total": 5, "items": items})

    api.add("GET", TASKS, pages)
    ids = [t.id for t in client.iter_tasks(page_size=2, status="succeeded")]
    assert ids == [f"cgt-{i}" for i in range(5)]
    assert api.count("GET", TASKS) == 3
    assert all(r.url.params["filter.status"] == "succeeded" for r in api.requests)


def test_iter_tasks_stops_on_an_empty_page(api: FakeAPI, client: Client) -> None:
    api.add("GET", TASKS, ok({"total": 0, "items": []}))
    assert list(client.iter_tasks()) == []


@pytest.mark.parametrize("method", ["cancel_task", "delete_task"])
def test_cancel_and_delete_send_delete(api: FakeAPI, client: Client, method: str) -> None:
    api.add("DELETE", f"{TASKS}/cgt-1", ok({}))
    assert getattr(client, method)(Task.from_dict(task_json())) is None
    assert api.requests[0].method == "DELETE"


# ------------------------------------------------------------------------------------------ family B


def test_text_to_video(api: FakeAPI, client: Client) -> None:
    path = f"/api/v3/bytedance/{FAST}/text-to-video"
    api.add("POST", path, ok(envelope(prediction_json())))
    pred = client.text_to_video(FAST, "a detective", aspect_ratio="16:9", duration="5", seed=-1)
    assert isinstance(pred, Prediction) and pred.id == "cgt-1" and pred.normalized_status == "queued"
    assert body_of(api.requests[0]) == {
        "prompt": "a detective",
        "aspect_ratio": "16:9",
        "duration": "5",
        "seed": -1,
    }


def test_image_to_video(api: FakeAPI, client: Client) -> None:
    path = f"/api/v3/bytedance/{FAST}/image-to-video"
    api.add("POST", path, ok(envelope(prediction_json())))
    client.image_to_video(FAST, "a girl", PNG, "https://x/last.png")
    body = body_of(api.requests[0])
    assert body["image"].startswith("data:image/png;base64,") and body["last_image"] == "https://x/last.png"


def test_reference_to_video(api: FakeAPI, client: Client) -> None:
    path = f"/api/v3/bytedance/{FAST}/reference-to-video"
    api.add("POST", path, ok(envelope(prediction_json())))
    client.reference_to_video(FAST, "a dog", images=["https://x/1.png"], videos=["https://x/v.mp4"])
    assert body_of(api.requests[0]) == {
        "prompt": "a dog",
        "images": ["https://x/1.png"],
        "videos": ["https://x/v.mp4"],
    }


def test_get_prediction(api: FakeAPI, client: Client) -> None:
    api.add("GET", "/api/v3/predictions/cgt-1/result", ok(envelope(prediction_json(status="completed"))))
    pred = client.get_prediction("cgt-1")
    assert pred.succeeded and pred.video_url == f"{BASE}/media/cgt-1.mp4"


def test_prediction_error_inside_a_200_envelope(api: FakeAPI, client: Client) -> None:
    body = {
        "code": 404,
        "message": "not found",
        "data": None,
        "error": {"code": "NotFound", "message": "gone"},
    }
    api.add("GET", "/api/v3/predictions/cgt-x/result", ok(body))
    with pytest.raises(NotFoundError) as info:
        client.get_prediction("cgt-x")
    assert info.value.code == "NotFound"


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("answer", "cls", "code"),
    [
        (ark_error(400, "InvalidParameter", "duration"), BadRequestError, "InvalidParameter"),
        (ark_error(400, "InputTextSensitiveContentDetected", "content"), ContentPolicyError, None),
        (ark_error(400, "InputImageSensitiveContentDetected.PrivacyInformation"), ContentPolicyError, None),
        (ark_error(401, "AuthenticationError"), AuthenticationError, "AuthenticationError"),
        (ark_error(403, "AccessDenied"), PermissionDeniedError, "AccessDenied"),
        (ark_error(403, "AccountOverdueError"), InsufficientBalanceError, "AccountOverdueError"),
        (ark_error(404, "InvalidEndpointOrModel.NotFound", "model"), NotFoundError, None),
        (ark_error(404, "NotFound"), NotFoundError, "NotFound"),
        (ark_error(429, "QuotaExceeded"), RateLimitError, "QuotaExceeded"),
        (ark_error(500, "InternalServiceError"), InternalServerError, "InternalServiceError"),
        (ark_error(503, "ServerOverloaded"), InternalServerError, "ServerOverloaded"),
        (ark_error(409, "Conflict"), APIError, "Conflict"),
    ],
)
def test_ark_error_shape_maps_to_its_class(
    api: FakeAPI, client: Client, answer: httpx.Response, cls: type[APIError], code: str | None
) -> None:
    # A fresh copy each run: the parameter's response is shared by both clients' runs, and a body is read once.
    answer = httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
    api.add("POST", TASKS, answer)
    with pytest.raises(cls) as info:
        client.create_task(FAST, "x")
    err = info.value
    assert type(err) is cls
    assert err.status_code == answer.status_code
    assert err.type == answer.json()["error"]["type"]
    assert err.request_id == "2025abc"  # no header: read from the message
    assert err.body == answer.json()
    if code:
        assert err.code == code


@pytest.mark.parametrize(
    ("status", "code", "type_", "cls"),
    [
        (401, "invalid_api_key", "invalid_request_error", AuthenticationError),
        (403, "permission_error", "permission_error", PermissionDeniedError),
        (403, "insufficient_balance", "permission_error", InsufficientBalanceError),
        (429, "rate_limit_exceeded", "rate_limit_error", RateLimitError),
    ],
)
def test_gateway_error_shape(
    api: FakeAPI, client: Client, status: int, code: str, type_: str, cls: type[APIError]
) -> None:
    body = {"error": {"message": "nope", "type": type_, "code": code}}
    api.add("GET", f"{TASKS}/cgt-1", httpx.Response(status, json=body, headers={"x-request-id": "rid-7"}))
    client.max_retries = 0
    with pytest.raises(cls) as info:
        client.get_task("cgt-1")
    assert type(info.value) is cls
    assert (info.value.code, info.value.type, info.value.request_id) == (code, type_, "rid-7")
    assert info.value.message == "nope"


def test_predictions_error_shape(api: FakeAPI, client: Client) -> None:
    body = {
        "code": 400,
        "message": "bad duration",
        "data": None,
        "error": {
            "code": "InvalidParameter",
            "message": "duration bad",
            "param": "duration",
            "type": "BadRequest",
        },
    }
    api.add("POST", f"/api/v3/bytedance/{FAST}/text-to-video", httpx.Response(400, json=body))
    with pytest.raises(BadRequestError) as info:
        client.text_to_video(FAST, "x")
    assert (info.value.param, info.value.code, info.value.message) == (
        "duration",
        "InvalidParameter",
        "duration bad",
    )


def test_rate_limit_carries_retry_after(api: FakeAPI, client: Client) -> None:
    api.add("POST", TASKS, ark_error(429, "RateLimitExceeded.EndpointRPMExceeded", headers={"Retry-After": "7"}))
    client.max_retries = 0
    with pytest.raises(RateLimitError) as info:
        client.create_task(FAST, "x")
    assert info.value.retry_after == 7.0


def test_non_json_error_body(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", httpx.Response(502, text="<html>Bad gateway</html>"))
    client.max_retries = 0
    with pytest.raises(InternalServerError, match="Bad gateway"):
        client.get_task("cgt-1")


def test_non_json_success_body(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", httpx.Response(200, text="ok"))
    with pytest.raises(APIError, match="expected JSON"):
        client.get_task("cgt-1")


# ------------------------------------------------------------------------------------------ retries


def test_get_is_retried_on_5xx_then_succeeds(api: FakeAPI, client: Client, sleeps: Sleeps) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ark_error(503, "ServerOverloaded"), ark_error(500, "X"), ok(task_json()))
    assert client.get_task("cgt-1").id == "cgt-1"
    assert api.count("GET", f"{TASKS}/cgt-1") == 3
    assert len(sleeps) == 2 and 0 < sleeps[0] < sleeps[1]
    # One logical call: the same client request id on every attempt.
    assert len({r.headers["x-client-request-id"] for r in api.requests}) == 1


def test_get_gives_up_after_max_retries(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ark_error(500, "InternalServiceError"))
    with pytest.raises(InternalServerError):
        client.get_task("cgt-1")
    assert len(api.requests) == 3


def test_get_honours_retry_after(api: FakeAPI, client: Client, sleeps: Sleeps) -> None:
    api.add(
        "GET",
        f"{TASKS}/cgt-1",
        ark_error(429, "QuotaExceeded", headers={"Retry-After": "4"}),
        ok(task_json()),
    )
    client.get_task("cgt-1")
    assert sleeps == [4.0]


def test_get_is_retried_on_connection_errors(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", httpx.ConnectError("refused"), ok(task_json()))
    assert client.get_task("cgt-1").id == "cgt-1"
    assert len(api.requests) == 2


def test_connection_error_is_typed(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError):
        client.get_task("cgt-1")
    assert len(api.requests) == 3
    api.add("GET", f"{TASKS}/cgt-2", httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError):
        client.get_task("cgt-2")


def test_connection_error_without_text_still_says_what_failed(api: FakeAPI, client: Client) -> None:
    # httpx raises some transport errors with an empty message: the error then names the kind of failure.
    api.add("GET", f"{TASKS}/cgt-1", httpx.ConnectError(""))
    with pytest.raises(APIConnectionError) as info:
        client.get_task("cgt-1")
    assert str(info.value).endswith(": ConnectError"), str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_create_is_never_retried_on_5xx(api: FakeAPI, client: Client, status: int) -> None:
    api.add("POST", TASKS, ark_error(status, "InternalServiceError"), ok({"id": "cgt-dup"}))
    with pytest.raises(InternalServerError):
        client.create_task(FAST, "x")
    assert api.count("POST", TASKS) == 1


def test_create_is_never_retried_on_timeouts(api: FakeAPI, client: Client) -> None:
    api.add("POST", TASKS, httpx.ReadTimeout("slow"), ok({"id": "cgt-dup"}))
    with pytest.raises(APITimeoutError):
        client.create_task(FAST, "x")
    assert api.count("POST", TASKS) == 1


def test_create_is_retried_on_429(api: FakeAPI, client: Client, sleeps: Sleeps) -> None:
    api.add("POST", TASKS, ark_error(429, "QuotaExceeded", headers={"Retry-After": "1"}), ok({"id": "cgt-1"}))
    assert client.create_task(FAST, "x").id == "cgt-1"
    assert api.count("POST", TASKS) == 2 and sleeps == [1.0]


def test_prediction_submit_is_retried_only_on_429(api: FakeAPI, client: Client) -> None:
    path = f"/api/v3/bytedance/{FAST}/text-to-video"
    api.add("POST", path, ark_error(429, "X"), ark_error(500, "X"), ok(envelope(prediction_json())))
    with pytest.raises(InternalServerError):
        client.text_to_video(FAST, "x")
    assert api.count("POST", path) == 2


def test_delete_is_not_retried_on_5xx(api: FakeAPI, client: Client) -> None:
    api.add("DELETE", f"{TASKS}/cgt-1", ark_error(500, "X"), ok({}))
    with pytest.raises(InternalServerError):
        client.cancel_task("cgt-1")
    assert len(api.requests) == 1


def test_should_retry_false_header_stops_retries(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ark_error(503, "X", headers={"x-should-retry": "false"}), ok(task_json()))
    with pytest.raises(InternalServerError):
        client.get_task("cgt-1")
    assert len(api.requests) == 1


# ------------------------------------------------------------------------------------------ wait


def test_wait_polls_with_backoff_until_succeeded(api: FakeAPI, client: Client, sleeps: Sleeps) -> None:
    api.add(
        "GET", f"{TASKS}/cgt-1",
        *[ok(task_json(status=s)) for s in ("queued", "queued", "running", "running", "running", "succeeded")],
    )  # fmt: skip
    seen: list[str] = []
    task = client.wait("cgt-1", poll_interval=1.0, on_update=lambda t: seen.append(t.status))
    assert isinstance(task, Task) and task.succeeded
    assert seen == ["queued", "queued", "running", "running", "running", "succeeded"]
    assert sleeps == [1.0, 1.5, 2.25, 3.375, 5.0625]


@pytest.mark.parametrize(
    ("status", "cls"),
    [("failed", TaskFailedError), ("expired", TaskExpiredError), ("cancelled", TaskCancelledError)],
)
def test_wait_raises_on_bad_endings(api: FakeAPI, client: Client, status: str, cls: type) -> None:
    error = {"code": "OutputVideoSensitiveContentDetected", "message": "no"} if status == "failed" else None
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="running")), ok(task_json(status=status, error=error)))
    with pytest.raises(cls) as info:
        client.wait("cgt-1")
    assert info.value.task.status == status
    if status == "failed":
        assert info.value.code == "OutputVideoSensitiveContentDetected"
        assert "OutputVideoSensitiveContentDetected" in str(info.value)


def test_wait_times_out_with_the_last_task(api: FakeAPI, client: Client, sleeps: Sleeps) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="running")))
    with pytest.raises(WaitTimeout) as info:
        client.wait("cgt-1", timeout=10, poll_interval=2)
    assert info.value.task.status == "running" and info.value.timeout == 10
    assert sum(sleeps) == pytest.approx(10)  # the last sleep is cut to the deadline
    assert sleeps[-1] <= sleeps[-2] * 1.5


def test_wait_on_a_prediction_polls_the_result_endpoint(api: FakeAPI, client: Client, sleeps: Sleeps) -> None:
    result = "/api/v3/predictions/cgt-1/result"
    api.add(
        "GET",
        result,
        ok(envelope(prediction_json(status="processing"))),
        ok(envelope(prediction_json(status="completed"))),
    )
    done = client.wait(Prediction.from_dict(prediction_json()))
    assert isinstance(done, Prediction) and done.succeeded
    assert api.count("GET", result) == 2


def test_wait_on_a_failed_prediction(api: FakeAPI, client: Client) -> None:
    api.add(
        "GET",
        "/api/v3/predictions/cgt-1/result",
        ok(envelope(prediction_json(status="failed", error="boom"))),
    )
    with pytest.raises(TaskFailedError, match="boom"):
        client.wait(Prediction.from_dict(prediction_json()))


def test_create_and_wait(api: FakeAPI, client: Client) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-9"}))
    api.add("GET", f"{TASKS}/cgt-9", ok(task_json("cgt-9", "running")), ok(task_json("cgt-9", "succeeded")))
    task = client.create_and_wait(FAST, "x", duration=5, poll_interval=0.5)
    assert task.id == "cgt-9" and task.succeeded
    assert body_of(api.requests[0])["duration"] == 5


# ------------------------------------------------------------------------------------------ download


def _video(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"\0\0\0\x18ftypmp42" + b"x" * 100_000, headers={"content-type": "video/mp4"})


def test_download_streams_to_disk_with_progress(api: FakeAPI, client: Client, tmp_path: Path) -> None:
    api.add("GET", "/media/cgt-1.mp4", _video)
    progress: list[tuple[int, int | None]] = []
    path = client.download(f"{BASE}/media/cgt-1.mp4", tmp_path / "out.mp4", lambda d, t: progress.append((d, t)))
    assert path.read_bytes()[4:8] == b"ftyp" and path.stat().st_size == 100_012
    assert progress[-1] == (100_012, 100_012)
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]
    assert api.requests[0].headers["authorization"] == "Bearer sk-test"  # same origin as the API


def test_download_by_task_id_looks_the_task_up(api: FakeAPI, client: Client, tmp_path: Path) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    api.add("GET", "/media/cgt-1.mp4", _video)
    client.download("cgt-1", tmp_path / "a.mp4")
    assert (tmp_path / "a.mp4").stat().st_size == 100_012


def test_download_never_sends_the_key_to_another_host(api: FakeAPI, client: Client, tmp_path: Path) -> None:
    api.add("GET", "/video.mp4", _video)
    client.download(
        Task.from_dict(task_json(status="succeeded", content={"video_url": "https://cdn.example/video.mp4"})),
        tmp_path / "v.mp4",
    )
    assert "authorization" not in api.requests[0].headers


def test_download_of_an_unfinished_task_is_refused(api: FakeAPI, client: Client, tmp_path: Path) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="running")))
    with pytest.raises(SeedanceError, match="no video yet"):
        client.download("cgt-1", tmp_path / "a.mp4")
    assert not (tmp_path / "a.mp4").exists()


def test_download_error_leaves_no_file(api: FakeAPI, client: Client, tmp_path: Path) -> None:
    api.add("GET", "/media/gone.mp4", httpx.Response(404, json={"error": {"code": "NotFound", "message": "gone"}}))
    with pytest.raises(NotFoundError):
        client.download(f"{BASE}/media/gone.mp4", tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "answer",
    [
        undecodable,
        lambda: httpx.Response(200, stream=BrokenStream(httpx.StreamClosed())),
        lambda: httpx.Response(200, stream=BrokenStream(httpx.ReadError("reset"))),
    ],
    ids=["DecodingError", "StreamError", "ReadError"],
)
def test_download_body_failures_are_typed_and_leave_no_file(
    api: FakeAPI, client: Client, tmp_path: Path, answer: Callable[[], httpx.Response]
) -> None:
    # Not only TransportError: a body that cannot be decoded or read is an APIConnectionError too.
    api.add("GET", "/media/cgt-1.mp4", answer())  # a fresh response each run: a body is read once
    with pytest.raises(APIConnectionError, match=r"download of .*/media/cgt-1\.mp4 failed") as info:
        client.download(f"{BASE}/media/cgt-1.mp4", tmp_path / "a.mp4")
    assert isinstance(info.value.__cause__, httpx.HTTPError | httpx.StreamError)
    assert list(tmp_path.iterdir()) == []


def test_an_undecodable_answer_is_a_typed_error(api: FakeAPI, client: Client) -> None:
    api.add("GET", f"{TASKS}/cgt-1", undecodable())
    with pytest.raises(APIConnectionError, match="could not be read"):
        client.get_task("cgt-1")


@pytest.mark.parametrize("path", ["api/v3/contents/generations/tasks", "", "http://other.test/x"])
def test_request_refuses_a_path_without_a_leading_slash(api: FakeAPI, client: Client, path: str) -> None:
    # base_url + "api/v3/..." would be "http://mock.testapi/v3/...": another host altogether.
    with pytest.raises(ValidationError, match="must start with '/'") as info:
        client.request("GET", path)
    assert info.value.param == "path" and info.value.value == path
    assert api.requests == []


def test_a_failed_prediction_carries_its_code(api: FakeAPI, client: Client) -> None:
    text = "OutputVideoSensitiveContentDetected: The generated video may contain sensitive content."
    api.add("GET", "/api/v3/predictions/cgt-1/result", ok(envelope(prediction_json(status="failed", error=text))))
    with pytest.raises(TaskFailedError) as info:
        client.wait(Prediction.from_dict(prediction_json()))
    assert info.value.code == "OutputVideoSensitiveContentDetected"
    assert str(info.value) == f"task cgt-1 failed: {text}"


def test_validation_refuses_before_sending(api: FakeAPI, client: Client) -> None:
    with pytest.raises(ValidationError, match="4–15 s"):
        client.create_task(FAST, "x", duration=20)
    with pytest.raises(ValidationError):
        client.text_to_video(FAST, "x", aspect_ratio="adaptive")
    with pytest.raises(ValidationError, match="set by create_task's arguments"):
        client.create_task(FAST, "x", content=[])
    assert api.requests == []


def test_create_and_wait_passes_media_and_fields_to_create(api: FakeAPI, client: Client, sleeps: Sleeps) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-3"}))
    api.add("GET", f"{TASKS}/cgt-3", ok(task_json("cgt-3", "succeeded")))
    seen: list[str] = []
    task = client.create_and_wait(
        FAST, "a cat", first_frame="https://x/f.png", resolution="720p", on_update=lambda t: seen.append(t.status)
    )
    assert task.succeeded and seen == ["succeeded"] and sleeps == []
    body = body_of(api.requests[0])
    assert body["resolution"] == "720p"
    assert body["content"][1] == {"type": "image_url", "image_url": {"url": "https://x/f.png"}, "role": "first_frame"}


def test_a_created_task_is_waited_on_and_downloaded_by_itself(api: FakeAPI, client: Client, tmp_path: Path) -> None:
    # The Task create_task returns stands wherever its id did: wait, get_task, download.
    api.add("POST", TASKS, ok({"id": "cgt-4"}))
    api.add("GET", f"{TASKS}/cgt-4", ok(task_json("cgt-4", "succeeded")))
    api.add("GET", "/media/cgt-4.mp4", _video)
    created = client.create_task(FAST, "x")
    assert client.get_task(created).id == "cgt-4"
    done = client.wait(created)
    assert isinstance(done, Task) and done.succeeded
    assert client.download(done, tmp_path / "v.mp4").stat().st_size == 100_012
    assert [r.url.path for r in api.requests][1:] == [f"{TASKS}/cgt-4", f"{TASKS}/cgt-4", "/media/cgt-4.mp4"]


def test_create_answered_without_an_id_is_an_api_error(api: FakeAPI, client: Client) -> None:
    api.add("POST", TASKS, ok({"task": "cgt-1"}))
    with pytest.raises(APIError, match="without a task id"):
        client.create_task(FAST, "x")


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda c: c.create_task(FAST, "a fox \ud800"), "body.content[0].text"),
        (lambda c: c.text_to_video(FAST, "a fox", webhook_url="https://x.test/\udcff"), "webhook_url"),
        (lambda c: c.list_tasks(status="\udcff"), "filter.status"),
        (lambda c: c.get_task("cgt-\ud800"), "id"),
        (lambda c: c.get_task("cgt-" + "x" * 70_000), "url"),
    ],
    ids=["prompt", "webhook_url", "list filter", "task id", "huge task id"],
)
def test_text_that_cannot_be_sent_is_refused_before_sending(
    api: FakeAPI, client: Client, call: Callable[[Client], object], param: str
) -> None:
    # A lone surrogate (undecodable bytes in argv become one) has no UTF-8 form: a ValidationError naming
    # where it is, never a UnicodeEncodeError from deep inside httpx.
    with pytest.raises(ValidationError) as info:
        call(client)
    assert info.value.param == param
    assert api.requests == []
