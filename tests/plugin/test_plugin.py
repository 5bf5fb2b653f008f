"""The installed ``seedance_mock`` plugin, as a user meets it: a test file outside this repository's
``tests/``, no conftest, the official Ark SDK pointed at the fixture, run by a separate pytest."""

from __future__ import annotations

import pytest

USER_TESTS = """
import time

import httpx
import pytest
from volcenginesdkarkruntime import Ark, AsyncArk
from volcenginesdkarkruntime._exceptions import ArkNotFoundError  # the SDK exports its errors nowhere else

MODEL = "dreamina-seedance-2-0-fast-260128"
CONTENT = [{"type": "text", "text": "A cat on a beach"}]


def wait(tasks, task_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = tasks.get(task_id=task_id)
        if task.status in ("succeeded", "failed", "expired", "cancelled"):
            return task
        time.sleep(0.05)
    raise AssertionError("task did not finish")


def test_create_wait_success_and_the_journal(seedance_mock):
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    created = tasks.create(model=MODEL, content=CONTENT, resolution="480p")
    task = wait(tasks, created.id)
    assert task.status == "succeeded"
    assert task.content.video_url.startswith(seedance_mock.base_url + "/media/")
    posts = seedance_mock.journal(method="POST")
    assert [(e["path"], e["status"]) for e in posts] == [("/api/v3/contents/generations/tasks", 200)]
    assert posts[0]["body"]["model"] == MODEL


def test_each_test_gets_a_fresh_server(seedance_mock):
    assert seedance_mock.journal() == []


def test_a_fault_then_normal_service(seedance_mock):
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    seedance_mock.add_fault(method="POST", path="/api/v3/contents/generations/tasks", status=403, times=1)
    with pytest.raises(Exception) as info:
        tasks.create(model=MODEL, content=CONTENT)
    assert getattr(info.value, "status_code", None) == 403
    assert tasks.create(model=MODEL, content=CONTENT).id.startswith("cgt-")


def test_account_settings(seedance_mock):
    seedance_mock.set_key(balance=0)
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    with pytest.raises(Exception) as info:
        tasks.create(model=MODEL, content=CONTENT)
    assert getattr(info.value, "status_code", None) == 403


@pytest.mark.seedance_mock(time_scale=0)
def test_the_marker_freezes_time(seedance_mock):
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    created = tasks.create(model=MODEL, content=CONTENT)
    time.sleep(0.1)  # twice the fixture's queue time: a running clock would have moved the task
    assert tasks.get(task_id=created.id).status == "queued"
    seedance_mock.advance(0.05)
    assert tasks.get(task_id=created.id).status == "running"
    seedance_mock.advance(0.25)
    assert tasks.get(task_id=created.id).status == "succeeded"


def test_freeze_and_finish_all(seedance_mock):
    seedance_mock.freeze()
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    created = tasks.create(model=MODEL, content=CONTENT)
    time.sleep(0.1)  # twice the fixture's queue time: a running clock would have moved the task
    assert tasks.get(task_id=created.id).status == "queued"
    seedance_mock.finish_all()
    assert tasks.get(task_id=created.id).status == "succeeded"


@pytest.mark.seedance_mock(time_scale=0)
def test_callbacks_reach_the_ready_sink_and_finish_all_flushes_them(seedance_mock):
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    created = tasks.create(model=MODEL, content=CONTENT, callback_url=seedance_mock.sink_url("app"))
    assert seedance_mock.wait_for_callback(created.id, "queued")["body"]["status"] == "queued"
    failing = tasks.create(model=MODEL, content=CONTENT, callback_url=seedance_mock.sink_url("down") + "?status=500")
    seedance_mock.finish_all()  # every task ended and every delivery (retries included) is done
    assert [e["body"]["status"] for e in seedance_mock.sink("app")] == ["queued", "running", "succeeded"]
    done = seedance_mock.wait_for_callback(created.id, "succeeded", timeout=0)
    assert done["body"]["content"]["video_url"].startswith(seedance_mock.base_url)
    assert [a["attempt"] for a in seedance_mock.callbacks(failing.id, event="succeeded")] == [1, 2, 3, 4]
    with pytest.raises(TimeoutError):
        seedance_mock.wait_for_callback(created.id, "failed", timeout=0.1)


@pytest.mark.asyncio
async def test_async_fixture_waits_for_a_webhook(seedance_mock_async):
    url = seedance_mock_async.base_url + "/api/v3/bytedance/" + MODEL + "/text-to-video"
    async with httpx.AsyncClient() as http:
        answer = await http.post(url, params={"webhook": seedance_mock_async.sink_url()},
                                 headers={"Authorization": seedance_mock_async.api_key}, json={"prompt": "a"})
    prediction_id = answer.json()["data"]["id"]
    attempt = await seedance_mock_async.wait_for_callback(prediction_id, "completed")
    assert attempt["kind"] == "webhook" and attempt["body"]["status"] == "completed"
    (received,) = await seedance_mock_async.sink()
    assert received["headers"]["webhook-signature"].startswith("v3,")
    assert len(await seedance_mock_async.callbacks(prediction_id)) == 1


@pytest.mark.seedance_mock(time_scale=0, state="mock-state.db")
def test_a_state_file_first_server(seedance_mock):
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    created = tasks.create(model=MODEL, content=CONTENT, resolution="480p")
    open("created-id.txt", "w").write(created.id)


@pytest.mark.seedance_mock(time_scale=0, state="mock-state.db")
def test_a_state_file_second_server_sees_the_first_ones_task(seedance_mock):
    tasks = Ark(base_url=seedance_mock.ark_base_url, api_key=seedance_mock.api_key).content_generation.tasks
    assert tasks.get(task_id=open("created-id.txt").read()).status == "queued"


@pytest.mark.seedance_mock(no_such_setting=1)
def test_a_misspelt_marker_is_a_usage_error(seedance_mock):
    pass


@pytest.mark.asyncio
@pytest.mark.seedance_mock(time_scale=0)
async def test_async_fixture_with_the_async_sdk(seedance_mock_async):
    import asyncio

    client = AsyncArk(base_url=seedance_mock_async.ark_base_url, api_key=seedance_mock_async.api_key)
    created = await client.content_generation.tasks.create(model=MODEL, content=CONTENT)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    beat = asyncio.create_task(ticker())
    await seedance_mock_async.advance(10)  # awaited on this loop: the ticker keeps running meanwhile
    beat.cancel()
    assert ticks > 0
    task = await client.content_generation.tasks.get(task_id=created.id)
    assert task.status == "succeeded"
    assert [e["status"] for e in await seedance_mock_async.journal(method="POST")] == [200]
    await seedance_mock_async.add_fault(path="/api/v3/contents/generations/tasks/*", status=404, times=1)
    with pytest.raises(ArkNotFoundError) as info:  # the fault's 404, not any failure (a refused connection)
        await client.content_generation.tasks.get(task_id=created.id)
    assert info.value.status_code == 404


@pytest.mark.seedance_mock(time_scale=0)
async def test_async_fixture_needs_no_asyncio_configuration(seedance_mock_async):
    # No marker and no asyncio_mode in this project: the plugin runs the coroutine itself.
    import asyncio

    client = AsyncArk(base_url=seedance_mock_async.ark_base_url, api_key=seedance_mock_async.api_key)
    created = await client.content_generation.tasks.create(model=MODEL, content=CONTENT)
    await seedance_mock_async.finish_all()
    assert (await client.content_generation.tasks.get(task_id=created.id)).status == "succeeded"
    assert asyncio.get_running_loop() is not None
"""


def test_the_installed_plugin_serves_a_users_tests(pytester: pytest.Pytester) -> None:
    """create → wait → success with the official SDK, the journal, a fault, account settings, the marker,
    the async fixture, a state file kept from one test's server to the next; a misspelt marker field is an
    error, not a silent default."""
    pytester.makepyfile(test_my_app=USER_TESTS)
    assert not list(pytester.path.glob("conftest.py"))
    # Without the plugins of this repository's own suite (xdist, hypothesis, schemathesis): importing them took
    # ~1 CPU-s of the run (~4 when it compiled them), and a user's project need not have them. pytest-asyncio
    # and pytest-aiohttp stay.
    unrelated = ["-p", "no:xdist", "-p", "no:xdist.looponfail", "-p", "no:hypothesispytest", "-p", "no:schemathesis"]
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *unrelated, "-q")
    result.assert_outcomes(passed=12, errors=1)
    result.stdout.fnmatch_lines(["*test_a_misspelt_marker_is_a_usage_error*", "*unknown MockConfig field*"])
    # A user's project has no asyncio configuration: nothing of pytest-asyncio's nagging reaches their run.
    result.stdout.no_fnmatch_line("*warnings summary*")
    result.stderr.no_fnmatch_line("*Warning*")
    result.stdout.no_fnmatch_line("*asyncio_default_fixture_loop_scope*")


def test_the_plugin_is_registered_by_entry_point(pytester: pytest.Pytester) -> None:
    """``--fixtures`` lists both fixtures without any conftest or ``-p`` option."""
    result = pytester.runpytest_inprocess("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*seedance_mock -- *", "*seedance_mock_async -- *"])


def test_loading_the_plugin_does_not_import_the_server() -> None:
    """pytest loads the plugin in every run of every project where the package is installed: the server (aiohttp,
    numpy, PyAV…, ~0.8 s) is imported only when a test asks for a fixture."""
    import subprocess
    import sys

    code = (
        "import sys, mock_server.pytest_plugin, mock_server;"
        "heavy = [m for m in ('mock_server.app', 'mock_server.testing', 'aiohttp', 'numpy', 'av') if m in sys.modules];"
        "assert not heavy, heavy;"
        "from mock_server.pytest_plugin import AsyncSeedanceMock, SeedanceMock;"
        "from mock_server import MockConfig, create_app;"
        "assert issubclass(SeedanceMock, __import__('mock_server.testing').testing.MockServer)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
