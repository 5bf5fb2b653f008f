"""The client against the real mock server (``mock_server.testing.MockServer``): both families end to end,
every error class the server can produce, retries counted in the server's journal, and validation that
sends nothing. The tests that take ``client`` (or ``mode``) run over both clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from client import (
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
    Task,
    TaskCancelledError,
    TaskExpiredError,
    TaskFailedError,
    ValidationError,
)
from client.cli import main
from mock_server.testing import MockServer

from .conftest import Mode

FAST = "dreamina-seedance-2-0-fast-260128"
TASKS = "/api/v3/contents/generations/tasks"
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a2dd5b1c0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A server whose tasks finish about 0.06 s after creation (each test that waits for one waits that long).
    Its media go to a temporary directory, not the user's cache (task ids make every file new anyway)."""
    media = tmp_path_factory.mktemp("media")
    with MockServer(
        time_scale=1.0, queue_seconds=0.01, run_seconds=0.05, log_requests=False, cache_dir=media
    ) as server:
        yield server


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A server whose clock only moves when a test advances it."""
    media = tmp_path_factory.mktemp("media")
    with MockServer(time_scale=0.0, queue_seconds=1.0, run_seconds=3.0, log_requests=False, cache_dir=media) as server:
        yield server


@pytest.fixture
def mock(live: MockServer) -> Iterator[MockServer]:
    live.reset()
    yield live


@pytest.fixture
def client(mock: MockServer, mode: Mode) -> Iterator[SeedanceClient]:
    """A client of either mode (the async one behind ``conftest.Blocking``) on the live server."""
    with mode.client(mock.api_key, base_url=mock.base_url) as c:
        yield c


def _video(path: Path) -> bytes:
    data = path.read_bytes()
    assert data[4:8] == b"ftyp", "not an MP4"
    return data


def test_ark_end_to_end(client: SeedanceClient, tmp_path: Path) -> None:
    seen: list[str] = []
    task = client.create_and_wait(
        FAST, "a fox in the snow", resolution="480p", ratio="9:16", duration=4, seed=7, poll_interval=0.05,
        on_update=lambda t: seen.append(t.normalized_status),
    )  # fmt: skip
    assert task.succeeded and seen[-1] == "succeeded"
    assert (task.width, task.height, task.seed, task.duration) == (496, 864, 7, 4)
    assert task.usage is not None and task.usage.completion_tokens == 496 * 864 * (24 * 4 + 1) // 1024
    _video(client.download(task, tmp_path / "a.mp4"))


def test_ark_with_a_local_first_frame(client: SeedanceClient, tmp_path: Path) -> None:
    frame = tmp_path / "frame.png"
    frame.write_bytes(PNG_1x1)
    task = client.create_and_wait(FAST, "it moves", first_frame=frame, resolution="480p", poll_interval=0.05)
    assert task.succeeded and task.ratio is not None


def test_predictions_end_to_end(client: SeedanceClient, mock: MockServer, tmp_path: Path) -> None:
    pred = client.text_to_video(FAST, "a detective", aspect_ratio="21:9", duration="4", resolution="480p")
    assert isinstance(pred, Prediction) and pred.id.startswith("cgt-")
    done = client.wait(pred, poll_interval=0.05)
    assert isinstance(done, Prediction) and done.succeeded and done.video_url
    _video(client.download(done, tmp_path / "p.mp4"))
    # One task, two families: the Ark endpoint reads the same id.
    assert client.get_task(pred.id).succeeded
    assert mock.journal("GET", f"/api/v3/predictions/{pred.id}/result")


def test_predictions_image_and_reference(client: SeedanceClient) -> None:
    first = client.image_to_video(FAST, "a girl", PNG_1x1, PNG_1x1, resolution="480p")
    ref = client.reference_to_video("dreamina-seedance-2-0-260128", "a dog", images=[PNG_1x1])
    for pred in (first, ref):
        assert client.wait(pred, poll_interval=0.05).succeeded


def test_list_filter_and_iterate(client: SeedanceClient) -> None:
    ids = [client.create_task(FAST, f"clip {i}", duration=4).id for i in range(3)]
    page = client.list_tasks(1, 2, task_ids=ids)
    assert page.total == 3 and len(page.items) == 2
    assert sorted(t.id for t in client.iter_tasks(page_size=2, task_ids=ids)) == sorted(ids)
    assert all(t.model == FAST for t in client.list_tasks(model=FAST).items)


def test_cancel_a_queued_task_then_wait_raises(frozen: MockServer, mode: Mode) -> None:
    frozen.reset()
    with mode.client(frozen.api_key, base_url=frozen.base_url) as c:
        task = c.create_task(FAST, "to be cancelled")
        assert task.status == "queued" and c.get_task(task).status == "queued"
        c.cancel_task(task)
        with pytest.raises(TaskCancelledError) as info:
            c.wait(task)
        assert isinstance(info.value.task, Task) and info.value.task.status == "cancelled"


def test_wait_follows_the_mock_clock(frozen: MockServer, mode: Mode) -> None:
    frozen.reset()
    with mode.client(frozen.api_key, base_url=frozen.base_url) as c:
        c._sleep = mode.no_sleep
        statuses: list[str] = []

        def advance(task: Task) -> None:
            statuses.append(task.status)
            frozen.advance(1.0)

        task = c.create_and_wait(FAST, "slowly", on_update=advance)
    assert task.succeeded
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "succeeded"


def test_failed_task(client: SeedanceClient) -> None:
    with pytest.raises(TaskFailedError) as info:
        client.create_and_wait(FAST, "[mock:fail] a clip", poll_interval=0.05, timeout=30)
    assert info.value.task is not None and info.value.task.error is not None


def test_a_failed_prediction_has_the_same_code_as_the_ark_task(client: SeedanceClient) -> None:
    # The predictions family writes "Code: message"; the client splits it back into the Ark code.
    pred = client.text_to_video(FAST, "[mock:fail] a clip")
    with pytest.raises(TaskFailedError) as ark:
        client.wait(pred.id, poll_interval=0.05, timeout=30)
    with pytest.raises(TaskFailedError) as predictions:
        client.wait(pred, poll_interval=0.05, timeout=30)
    assert ark.value.code and predictions.value.code == ark.value.code
    assert predictions.value.task is not None and ark.value.task is not None
    assert str(predictions.value.task.error) == str(ark.value.task.error)


def test_expired_task(frozen: MockServer, mode: Mode) -> None:
    frozen.reset()
    with mode.client(frozen.api_key, base_url=frozen.base_url) as c:
        c._sleep = mode.no_sleep
        with pytest.raises(TaskExpiredError):
            c.create_and_wait(
                FAST, "[mock:expire] a clip", execution_expires_after=3600, on_update=lambda t: frozen.advance(1000)
            )


def test_error_classes(client: SeedanceClient, mock: MockServer) -> None:
    with pytest.raises(NotFoundError) as not_found:
        client.get_task("cgt-20250101000000-nope0")
    assert not_found.value.request_id
    with pytest.raises(ContentPolicyError) as policy:
        client.create_task(FAST, "[mock:content_policy] a clip")
    assert "SensitiveContent" in (policy.value.code or "")
    with pytest.raises(ContentPolicyError):
        client.text_to_video(FAST, "[mock:content_policy] a clip")
    mock.add_fault(method="POST", path=TASKS, status=400, code="InvalidParameter")
    with pytest.raises(BadRequestError):
        client.create_task(FAST, "x")
    mock.set_key(models=["seedance-1-0-pro-250528"])
    with pytest.raises(PermissionDeniedError):
        client.create_task(FAST, "x")
    mock.set_key(models=None, balance=0)
    with pytest.raises(InsufficientBalanceError):
        client.create_task(FAST, "x")
    mock.set_key(balance=10**12, valid=False)
    with pytest.raises(AuthenticationError):
        client.get_task("cgt-x")


def test_unknown_key_shape_is_an_authentication_error(mock: MockServer, mode: Mode) -> None:
    with mode.client("not a key!", base_url=mock.base_url) as c, pytest.raises(AuthenticationError):
        c.list_tasks()


def test_get_retries_are_visible_in_the_journal(client: SeedanceClient, mock: MockServer, mode: Mode) -> None:
    client._sleep = mode.no_sleep
    task_id = client.create_task(FAST, "x").id
    mock.add_fault(method="GET", path=f"{TASKS}/*", status=503, times=2)
    assert client.get_task(task_id).id == task_id
    assert [e["status"] for e in mock.journal("GET", f"{TASKS}/{task_id}")] == [503, 503, 200]


def test_create_is_not_retried_on_500_but_is_on_429(client: SeedanceClient, mock: MockServer, mode: Mode) -> None:
    client._sleep = mode.no_sleep
    mock.add_fault(method="POST", path=TASKS, status=500, times=1)
    with pytest.raises(InternalServerError):
        client.create_task(FAST, "x")
    assert [e["status"] for e in mock.journal("POST", TASKS)] == [500]
    mock.reset()
    mock.add_fault(method="POST", path=TASKS, status=429, times=1, retry_after=0)
    client.create_task(FAST, "x")
    assert [e["status"] for e in mock.journal("POST", TASKS)] == [429, 200]
    mock.reset()
    with pytest.raises(RateLimitError) as info:
        client.create_task(FAST, "[mock:429] always")
    assert info.value.retry_after == 1.0
    assert len(mock.journal("POST", TASKS)) == 3  # the first try and MAX_RETRIES retries


def test_validation_failure_sends_nothing(client: SeedanceClient, mock: MockServer) -> None:
    with pytest.raises(ValidationError, match="4–15 s"):
        client.create_task(FAST, "x", duration=20)
    with pytest.raises(ValidationError):
        client.text_to_video(FAST, "x", resolution="1080p")
    assert mock.journal() == []


def test_cli_generate_wait_output(mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.mp4"
    server = ["--api-key", mock.api_key, "--base-url", mock.base_url]
    argv = [*server, "generate", "a fox", "--model", FAST, "--resolution", "480p", "--duration", "4",
            "--output", str(out), "--poll-interval", "0.05", "--json"]  # fmt: skip
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded" and result["output"] == str(out)
    _video(out)
    assert main([*server, "status", result["id"]]) == 0
    assert main([*server, "status", "cgt-nope"]) == 1
    assert capsys.readouterr().err.startswith("seedance: error: 404")


def test_raw_request_sends_what_the_client_would_refuse(client: SeedanceClient, mock: MockServer) -> None:
    body = {"model": "dreamina-seedance-2-0-fast-260128", "content": [{"type": "text", "text": "x"}], "duration": 20}
    with pytest.raises(ValidationError):
        client.create_task("dreamina-seedance-2-0-fast-260128", "x", duration=20)
    assert mock.journal("POST") == []  # refused locally: nothing sent
    with pytest.raises(BadRequestError) as refused:
        client.request("POST", "/api/v3/contents/generations/tasks", json=body)
    assert (refused.value.code, refused.value.param) == ("InvalidParameter", "duration")
    ok = client.request("GET", "/api/v3/contents/generations/tasks", params=[("page_size", 5)])
    assert ok.status_code == 200 and ok.json()["total"] == 0
    with pytest.raises(AuthenticationError):
        client.request("GET", "/api/v3/contents/generations/tasks", authenticate=False)


async def test_async_raw_request(mock: MockServer) -> None:
    async with AsyncSeedanceClient(mock.api_key, base_url=mock.base_url) as api:
        response = await api.request("get", "/_mock/health", authenticate=False)
    assert response.json()["status"] == "ok"
