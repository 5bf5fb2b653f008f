"""The official clients work against the mock unchanged [FIDELITY §6]: create → wait → success."""

from __future__ import annotations

import time

import httpx
import pytest

from mock_server.testing import MockServer

MODEL = "dreamina-seedance-2-0-fast-260128"
#: A task ends 0.06 s after its create: each test that waits for one waits that long.
FAST = {"time_scale": 1.0, "queue_seconds": 0.01, "run_seconds": 0.05}


@pytest.fixture(scope="module")
def server():
    with MockServer(**FAST) as mock:
        yield mock


def wait_ark(tasks, task_id: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = tasks.get(task_id=task_id)
        if task.status in ("succeeded", "failed", "expired", "cancelled"):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


@pytest.mark.parametrize("sdk", ["volcenginesdkarkruntime", "byteplussdkarkruntime"])
def test_ark_sdks_create_get_list_delete(server: MockServer, sdk: str) -> None:
    Ark = __import__(sdk, fromlist=["Ark"]).Ark
    client = Ark(base_url=server.ark_base_url, api_key=server.api_key)
    tasks = client.content_generation.tasks
    created = tasks.create(
        model=MODEL,
        content=[{"type": "text", "text": "A cat on a beach --dur 4"}],
        resolution="480p",
        ratio="16:9",  # text-only 2.x defaults to adaptive, a ratio the model picks [FIDELITY §5]
        return_last_frame=True,
    )
    assert created.id.startswith("cgt-")
    task = wait_ark(tasks, created.id)
    assert task.status == "succeeded"
    assert task.content.video_url.startswith(server.base_url + "/media/")
    assert task.usage.completion_tokens == 864 * 496 * 97 // 1024
    assert (task.resolution, task.duration, task.ratio) == ("480p", 4, "16:9")
    video = httpx.get(task.content.video_url, timeout=60)  # a cold render under load can take > 5 s
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"

    listed = tasks.list(page_num=1, page_size=10, status="succeeded", task_ids=[created.id])
    assert [t.id for t in listed.items] == [created.id]

    tasks.delete(task_id=created.id)  # the SDK needs a JSON body back, even {} [FIDELITY §2]
    with pytest.raises(Exception) as info:
        tasks.get(task_id=created.id)
    assert getattr(info.value, "status_code", None) == 404


def test_ark_sdk_cancel_a_queued_task(server: MockServer) -> None:
    from volcenginesdkarkruntime import Ark

    tasks = Ark(base_url=server.ark_base_url, api_key=server.api_key).content_generation.tasks
    server.call(lambda s: s.clock.set_time_scale(0))  # hold it in the queue
    try:
        created = tasks.create(model=MODEL, content=[{"type": "text", "text": "x"}])
        tasks.delete(task_id=created.id)
        assert tasks.get(task_id=created.id).status == "cancelled"
    finally:
        server.call(lambda s: s.clock.set_time_scale(1.0))


def test_ark_sdk_sees_upstream_errors_typed(server: MockServer) -> None:
    from volcenginesdkarkruntime import Ark
    from volcenginesdkarkruntime._exceptions import ArkBadRequestError, ArkNotFoundError

    tasks = Ark(base_url=server.ark_base_url, api_key=server.api_key).content_generation.tasks
    with pytest.raises(ArkBadRequestError) as bad:
        tasks.create(model=MODEL, content=[{"type": "text", "text": "x"}], resolution="1080p")
    assert bad.value.code == "InvalidParameter" and bad.value.param == "resolution"
    with pytest.raises(ArkNotFoundError):
        tasks.create(model="no-such-model", content=[{"type": "text", "text": "x"}])


def test_wavespeed_sdk_run_returns_the_outputs(server: MockServer) -> None:
    import wavespeed

    client = wavespeed.Client(base_url=server.base_url, api_key=server.api_key)
    output = client.run(
        f"bytedance/{MODEL}/text-to-video", {"prompt": "A cat", "duration": 4, "resolution": "480p"}, poll_interval=0.05
    )
    (url,) = output["outputs"]
    assert url.startswith(server.base_url + "/media/864x496-97f-a-")
    sync = client.run(f"bytedance/{MODEL}/text-to-video", {"prompt": "A dog"}, enable_sync_mode=True)
    assert len(sync["outputs"]) == 1


def test_wavespeed_sdk_stops_on_a_sync_timeout_and_the_task_goes_on(tmp_path) -> None:
    """A sync submit that outlives --sync-timeout: the SDK raises its sync-timeout error naming the task,
    and the task still completes [FIDELITY §3]."""
    import wavespeed

    with MockServer(time_scale=0, queue_seconds=1, run_seconds=3, sync_timeout_seconds=2, cache_dir=tmp_path) as mock:
        client = wavespeed.Client(base_url=mock.base_url, api_key=mock.api_key, max_retries=0)
        with pytest.raises(RuntimeError, match=r"Sync mode timed out \(task_id: (cgt-[0-9a-z-]+)\)") as info:
            client.run(f"bytedance/{MODEL}/text-to-video", {"prompt": "A dog"}, enable_sync_mode=True)
        task_id = str(info.value).split("task_id: ")[1].split(")")[0]
        mock.advance(10)
        assert client.get_result(task_id)["data"]["status"] == "completed"


def test_wavespeed_sdk_stops_on_expiry(tmp_path) -> None:
    """An expired prediction reads "failed", on which the SDK stops: it does not stop on "expired" [sdk]."""
    import threading

    import wavespeed

    with MockServer(time_scale=0, queue_seconds=1, run_seconds=3, cache_dir=tmp_path) as mock:
        client = wavespeed.Client(base_url=mock.base_url, api_key=mock.api_key, max_retries=0)
        raised: list[BaseException] = []

        def run() -> None:
            try:
                client.run(f"bytedance/{MODEL}/text-to-video", {"prompt": "A dog [mock:expire]"}, poll_interval=0.02)
            except BaseException as exc:  # the test inspects what the SDK raised
                raised.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + 10
        while not mock.journal("POST") and time.monotonic() < deadline:
            time.sleep(0.02)
        mock.advance(172800 + 1)  # execution_expires_after passes [FIDELITY §2]
        worker.join(timeout=10)
        assert not worker.is_alive(), "the SDK kept polling an expired prediction"
        assert raised and "Prediction failed" in str(raised[0]) and "expired" in str(raised[0]), raised
