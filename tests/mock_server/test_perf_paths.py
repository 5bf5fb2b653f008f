"""What the hot path's shortcuts promise [issue 17]: the event loop they pick, the batched log's lines, the
finished answers encoded once (never stale), and the JSON door's fast path (the same verdict as the full walk).
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import gc
import io
import json
import logging
import re
import sys
import threading
from typing import Any
from unittest import mock as um

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mock_server import eventloop, logline, wire
from mock_server.ark import task_json
from mock_server.errors import ApiError
from mock_server.predictions import envelope, prediction_json
from mock_server.store import Task, TaskSpec, TaskStore
from tests.mock_server.conftest import Mock
from tests.support import text_body

TASKS = "/api/v3/contents/generations/tasks"
FAST = "doubao-seedance-2-0-fast-260128"


# -- the event loop ------------------------------------------------------------------------------------------
def _hide_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvloop" or name.startswith("uvloop."):
            raise ImportError("no uvloop here")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "uvloop", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_uvloop_is_picked_when_it_can_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.delenv(eventloop.ENV, raising=False)
    assert eventloop.loop_factory() is uvloop.new_event_loop
    assert eventloop.loop_name() == "uvloop"
    loop = eventloop.new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    assert eventloop.run(_loop_type()) is uvloop.Loop


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_asyncio_is_the_fallback_when_uvloop_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(eventloop.ENV, raising=False)
    _hide_uvloop(monkeypatch)
    assert eventloop.loop_factory() is None
    assert eventloop.loop_name() == "asyncio"
    assert "uvloop" not in eventloop.run(_loop_type()).__module__
    loop = eventloop.new_event_loop()
    try:
        assert "uvloop" not in type(loop).__module__
    finally:
        loop.close()


@pytest.mark.parametrize("value", ["asyncio", " AsyncIO "])
def test_the_environment_forces_asyncio(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    pytest.importorskip("uvloop")
    monkeypatch.setenv(eventloop.ENV, value)
    assert eventloop.loop_factory() is None
    assert eventloop.loop_name() == "asyncio"
    assert "uvloop" not in eventloop.run(_loop_type()).__module__


def test_any_other_environment_value_keeps_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.setenv(eventloop.ENV, "uvloop")
    assert eventloop.loop_factory() is uvloop.new_event_loop


# -- the batched log -----------------------------------------------------------------------------------------
LINE = re.compile(r"^\d\d:\d\d:\d\d (GET|POST) (\S+) (\d{3}) (\d+\.\d)ms$")


@pytest.fixture
def batched() -> Any:
    """The CLI's handler on the root logger, writing into a buffer; removed afterwards."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logline.install(logging.INFO, stream)
    try:
        yield handler, stream
    finally:
        handler.detach()
        root.removeHandler(handler)
        root.setLevel(level)
        logline._HANDLER = None


def test_the_request_line_has_the_format_logging_wrote(batched: Any) -> None:
    _handler, stream = batched
    logline.request_line("GET", "/api/v3/x?y=1", 200, 0.4321)
    # What logging.basicConfig(format=FORMAT, datefmt=DATEFMT) wrote for log.info("%s %s %s %.1fms", …).
    reference = io.StringIO()
    plain = logging.StreamHandler(reference)
    plain.setFormatter(logging.Formatter(logline.FORMAT, logline.DATEFMT))
    plain.emit(logging.LogRecord("seedance_mock", logging.INFO, "", 0, "%s %s %s %.1fms",
                                 ("GET", "/api/v3/x?y=1", 200, 0.4321), None))  # fmt: skip
    got, want = stream.getvalue(), reference.getvalue()
    assert LINE.match(got.rstrip("\n")), got
    assert got.endswith("\n") and got.count("\n") == 1
    assert got[9:] == want[9:]  # the same line after the clock (which may have ticked between the two)


async def test_lines_wait_for_the_batch_keep_their_order_and_are_written_at_stop(batched: Any) -> None:
    handler, stream = batched
    handler.attach(asyncio.get_running_loop())
    for i in range(50):
        logline.request_line("POST", f"/p/{i}", 200, 1.0)
        if i == 25:
            logging.getLogger("other").warning("in between")
    assert stream.getvalue() == ""  # buffered: one write per batch, not per line
    handler.detach()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 51
    paths = [m.group(2) for m in map(LINE.match, lines) if m]
    assert paths == [f"/p/{i}" for i in range(50)]
    assert lines[26].endswith(" in between")


async def test_the_loop_writes_the_batch_without_being_asked(batched: Any, monkeypatch) -> None:
    handler, stream = batched
    monkeypatch.setattr(logline, "FLUSH_SECONDS", 0)
    handler.attach(asyncio.get_running_loop())
    logline.request_line("GET", "/a", 200, 1.0)
    assert stream.getvalue() == ""
    for _ in range(3):
        await asyncio.sleep(0)  # the flush was scheduled on this loop
    assert stream.getvalue().endswith(" GET /a 200 1.0ms\n")


async def test_a_line_from_another_thread_is_written_at_once_after_the_buffered_ones(batched: Any) -> None:
    handler, stream = batched
    handler.attach(asyncio.get_running_loop())
    logline.request_line("GET", "/first", 200, 1.0)
    thread = threading.Thread(target=logline.request_line, args=("GET", "/from-thread", 200, 1.0))
    thread.start()
    thread.join()
    lines = stream.getvalue().splitlines()
    assert [LINE.match(line).group(2) for line in lines] == ["/first", "/from-thread"]


async def test_a_large_backlog_is_written_without_waiting(batched: Any) -> None:
    handler, stream = batched
    handler.attach(asyncio.get_running_loop())
    long_path = "/" + "x" * 1000
    for _ in range(logline.FLUSH_BYTES // 1000 + 2):
        logline.request_line("GET", long_path, 200, 1.0)
    assert len(stream.getvalue()) > logline.FLUSH_BYTES


def test_without_the_handler_request_lines_go_through_logging(caplog: pytest.LogCaptureFixture) -> None:
    assert logline.installed() is None
    with caplog.at_level(logging.INFO, logger="seedance_mock"):
        logline.request_line("GET", "/x", 404, 2.25)
    assert [r.getMessage() for r in caplog.records] == ["GET /x 404 2.2ms"]


# -- finished answers encoded once ---------------------------------------------------------------------------
async def _finished_ark(mock: Mock, **fields: Any) -> str:
    status, data, _ = await mock.call("POST", TASKS, json=text_body(**fields))
    assert status == 200, data
    await mock.advance(60)
    return data["id"]


async def _raw_get(mock: Mock, path: str, **headers: str) -> bytes:
    resp = await mock.client.get(path, headers={"Authorization": "Bearer sk-test-0123456789", **headers})
    assert resp.status == 200
    return await resp.read()


async def test_a_finished_task_polled_again_answers_what_a_fresh_encode_would(mock: Mock) -> None:
    task_id = await _finished_ark(mock)
    _status, data, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert data["status"] == "succeeded"
    base = mock.origin
    task = mock.state.store.get(task_id)
    for _ in range(2):  # the first GET fills the cache, the second reads it
        assert await _raw_get(mock, f"{TASKS}/{task_id}") == wire.encode(task_json(mock.state, task, base))


async def test_a_task_that_finishes_after_a_poll_is_not_answered_from_its_running_state(mock: Mock) -> None:
    _status, data, _ = await mock.call("POST", TASKS, json=text_body())
    task_id = data["id"]
    seen = []
    for step in (0, 1.5, 60):
        await mock.advance(step)
        _, got, _ = await mock.call("GET", f"{TASKS}/{task_id}")
        seen.append(got["status"])
    assert seen == ["queued", "running", "succeeded"]
    _, again, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert again["status"] == "succeeded" and "video_url" in again["content"]


async def test_each_host_gets_its_own_urls(mock: Mock) -> None:
    task_id = await _finished_ark(mock)
    one = json.loads(await _raw_get(mock, f"{TASKS}/{task_id}", Host="one.example:8000"))
    two = json.loads(await _raw_get(mock, f"{TASKS}/{task_id}", Host="two.example:9000"))
    assert one["content"]["video_url"].startswith("http://one.example:8000/")
    assert two["content"]["video_url"].startswith("http://two.example:9000/")
    one_again = json.loads(await _raw_get(mock, f"{TASKS}/{task_id}", Host="one.example:8000"))
    assert one_again == one


async def test_a_new_task_under_an_old_id_is_answered_as_itself(make_mock) -> None:
    first = await make_mock()
    task_id = await _finished_ark(first, duration=5)
    _, old, _ = await first.call("GET", f"{TASKS}/{task_id}")
    second = await make_mock()
    # The second server hands out the same id (a reset server with the same seed can): its task is another.
    second.state.new_id = lambda now, *, flex=False: task_id  # type: ignore[method-assign]
    assert await _finished_ark(second, duration=10) == task_id
    _, new, _ = await second.call("GET", f"{TASKS}/{task_id}")
    assert old["duration"] == 5 and new["duration"] == 10
    assert new["content"]["video_url"].startswith(second.origin)


async def test_after_a_reset_the_id_is_gone_not_answered_from_the_cache(mock: Mock) -> None:
    task_id = await _finished_ark(mock)
    status, _, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert status == 200
    assert (await mock.call("POST", "/_mock/reset", json={}))[0] == 200
    status, _, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert status == 404


async def test_a_prediction_result_polled_again_answers_a_fresh_encode(mock: Mock) -> None:
    _status, data, _ = await mock.call("POST", f"/api/v3/bytedance/{FAST}/text-to-video", json={"prompt": "x"})
    task_id = data["data"]["id"]
    await mock.advance(60)
    path = f"/api/v3/predictions/{task_id}/result"
    task = mock.state.store.get(task_id)
    for _ in range(2):
        got = await _raw_get(mock, path)
        assert got == wire.encode(envelope(prediction_json(mock.state, task, mock.origin)))


async def test_base64_output_answers_are_not_kept(mock: Mock) -> None:
    body = {"prompt": "x", "enable_base64_output": True}
    status, data, _ = await mock.call("POST", f"/api/v3/bytedance/{FAST}/text-to-video", json=body)
    assert status == 200, data
    task_id = data["data"]["id"]
    await mock.advance(60)
    with um.patch.object(wire.ANSWERS, "put", side_effect=AssertionError("a base64 answer was cached")):
        _, got, _ = await mock.call("GET", f"/api/v3/predictions/{task_id}/result")
    assert got["data"]["status"] == "completed"
    assert not got["data"]["outputs"][0].startswith("http")


class _Task:
    def __init__(self, task_id: str) -> None:
        self.id = task_id


def test_the_cache_is_bounded_and_tied_to_the_task_object() -> None:
    cache = wire.AnswerCache(size=4)
    tasks = [_Task(f"t{i}") for i in range(10)]
    for i, task in enumerate(tasks):
        cache.put(task, "ark", "http://h", f"{i}".encode())
    assert len(cache._answers) == 4
    assert [cache.get(t, "ark", "http://h") for t in tasks[-4:]] == [b"6", b"7", b"8", b"9"]
    assert cache.get(tasks[0], "ark", "http://h") is None  # the oldest went first
    assert cache.get(_Task("t9"), "ark", "http://h") is None  # same id, another task
    assert cache.get(tasks[9], "prediction", "http://h") is None
    assert cache.get(tasks[9], "ark", "http://other") is None


# -- stored tasks, off the cyclic collector's lists ---------------------------------------------------------
#: What a stored task's fields may be annotated with: values that cannot refer back to the task. An object the
#: store takes off the collector's lists (store._untrack) and that sits in a reference cycle would never be freed.
_ACYCLIC = {"str", "int", "float", "bool", "None", "tuple[str, ...]", "dict[str, str]"}
_HOLDS = {Task: _ACYCLIC | {"TaskSpec"}, TaskSpec: _ACYCLIC}  # (a spec, checked in turn, holds no task)


@pytest.mark.parametrize("cls", [Task, TaskSpec])
def test_nothing_a_stored_task_holds_can_refer_back_to_it(cls: type) -> None:
    for name, annotation in cls.__annotations__.items():
        assert {part.strip() for part in annotation.split("|")} <= _HOLDS[cls], f"{cls.__name__}.{name}: {annotation}"


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's cyclic collector")
async def test_stored_tasks_are_off_the_cyclic_collectors_lists(mock: Mock) -> None:
    # With 145k stored tasks every full collection walked them all: 306 ms pauses, a create's p99 past 100 ms.
    status, data, _ = await mock.call("POST", TASKS, json=text_body())
    assert status == 200, data
    task = mock.state.store.get(data["id"])
    assert task is not None and not gc.is_tracked(task) and not gc.is_tracked(task.spec)
    await mock.advance(60)
    status, first, _ = await mock.call("GET", f"{TASKS}/{task.id}")
    assert status == 200 and first["status"] == "succeeded" and task.urls  # a dict the task holds, filled later
    assert not gc.is_tracked(task.urls)  # (text only: it stays off the lists too)
    gc.collect()  # what an untracked task holds stays alive as long as the task does
    status, again, _ = await mock.call("GET", f"{TASKS}/{task.id}")
    assert (status, again) == (200, first)

    # A state file's tasks, restored at start-up, are taken off as well.
    copy = dataclasses.replace(task, spec=dataclasses.replace(task.spec))
    assert gc.is_tracked(copy) and gc.is_tracked(copy.spec)
    store = TaskStore(queue_seconds=1, run_seconds=3, max_running_per_key=10)
    store.restore([copy])
    assert store.get(copy.id) is copy and not gc.is_tracked(copy) and not gc.is_tracked(copy.spec)


# -- the JSON door's fast path -------------------------------------------------------------------------------
def _verdict(raw: bytes) -> tuple[Any, ...]:
    try:
        return ("ok", wire.parse_json(raw))
    except ApiError as exc:
        return ("refused", exc.status, exc.code, exc.message, exc.param)


def _full_walk_verdict(raw: bytes) -> tuple[Any, ...]:
    with um.patch.object(wire, "_walk_needed", lambda *args: True):
        return _verdict(raw)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=40,
)
# Fragments a hostile body is made of, spliced in anywhere (most splices make invalid JSON: also a verdict).
_hostile = st.sampled_from([
    '"\\ud800"', '"\\udfff x"', '"\\ud83d\\ude00"', '{"\\udc00": 1}', "NaN", "-Infinity", "1e999",
    "123456789012345678901234567890", "18446744073709551616", "-9223372036854775809", "[" * 40 + "]" * 40,
    "[" * 31 + "]" * 31, "[" * 33 + "]" * 33, '"é"', '"\U0001f600"',
])  # fmt: skip


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    text = json.dumps(draw(_values), ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        for fragment in draw(st.lists(_hostile, min_size=1, max_size=3)):
            # Where a value can go, to keep the body JSON often: replace a scalar, or wrap the whole.
            text = text[:at] + fragment + text[at:] if draw(st.booleans()) else f"[{fragment},{text}]"
    raw = text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-32"])), "surrogatepass")
    if draw(st.booleans()):
        raw += draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b" "]))
    return raw


@settings(max_examples=3 * settings.default.max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies())
@example(b'{"a":"\\ud800"}')
@example(b'{"\\ud800":1}')
@example('{"a":"\ud800"}'.encode("utf-8", "surrogatepass"))
@example(b"[" * 33 + b"]" * 33)
@example(b"[" * 32 + b"]" * 32)
@example(b"{" + b'"a":{' * 32 + b"}" * 33)
@example(b'{"n": 18446744073709551616}')
@example(b'{"n": 18446744073709551615}')
@example(b'{"n": NaN}')
@example(b'{"n": 1e400}')
@example(b"[" + b"1," * 100_001 + b"1]")
@example(b'{"a": "\xff"}')
@example('{"a": 1}'.encode("utf-16"))
def test_the_fast_path_gives_the_full_walks_verdict(raw: bytes) -> None:
    assert _verdict(raw) == _full_walk_verdict(raw)


def test_the_fast_path_skips_the_walk_for_a_plain_create_body() -> None:
    # What the shortcut is for; the verdict test above is what makes it safe.
    raw = json.dumps(text_body()).encode()
    with um.patch.object(wire, "check_value", side_effect=AssertionError("walked")):
        assert wire.parse_json(raw) == text_body()
