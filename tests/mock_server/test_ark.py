"""Family A — Ark tasks: every endpoint, field handling and refusal, judged by the response contracts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import contracts
from tests.mock_server.conftest import KEY, Mock
from tests.support import assert_contract, text_body

TASKS = "/api/v3/contents/generations/tasks"
SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"


async def create(mock: Mock, body: dict, **kw) -> str:
    status, data, _ = await mock.call("POST", TASKS, json=body, **kw)
    assert status == 200, data
    assert_contract("ark.create_task.response", data)
    return data["id"]


async def get(mock: Mock, task_id: str) -> dict:
    status, data, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert status == 200, data
    return assert_contract("ark.task", data)


async def refused(mock: Mock, body, status: int = 400, **kw) -> dict:
    got, data, headers = await mock.call("POST", TASKS, json=body, **kw)
    assert got == status, data
    assert "x-request-id" in headers
    return assert_contract("ark.error", data)["error"]


async def test_create_get_and_full_lifecycle(mock: Mock) -> None:
    task_id = await create(mock, text_body("dreamina-seedance-2-0-260128", duration=5))
    assert re.fullmatch(r"cgt-\d{14}-[a-z0-9]{5}", task_id)
    task = await get(mock, task_id)
    assert task["status"] == "queued" and task["error"] is None and "content" not in task
    created = task["created_at"]

    await mock.advance(1)
    task = await get(mock, task_id)
    assert task["status"] == "running" and task["updated_at"] == created + 1

    await mock.advance(3)
    task = await get(mock, task_id)
    assert task["status"] == "succeeded" and task["updated_at"] == created + 4
    # 2.0, 720p 16:9, 5 s → 108900 tokens [FIDELITY §2].
    assert task["usage"] == {"completion_tokens": 108900, "total_tokens": 108900}
    assert (task["resolution"], task["ratio"], task["duration"], task["framespersecond"]) == (
        "720p",
        "16:9",
        5,
        24,
    )
    assert task["content"]["video_url"].startswith(mock.origin + "/media/1280x720-121f-a-")
    assert isinstance(task["seed"], int) and 0 <= task["seed"] < 2**32


async def test_seed_002_example_as_printed_with_raw_key_header(mock: Mock) -> None:
    body = json.loads((SEEDS / "seed002_create_body.json").read_text())["instance"]
    task_id = await create(mock, body, key=None, headers={"Authorization": "GPTPROTO_API_KEY"})
    await mock.advance(10)
    status, task, _ = await mock.call("GET", f"{TASKS}/{task_id}", key="GPTPROTO_API_KEY")
    assert status == 200 and task["status"] == "succeeded"
    assert_contract("ark.task", task)
    # One role-less image = first frame; the default ratio is adaptive, an http image cannot be measured
    # offline, so the row is 16:9 [FIDELITY §4].
    assert task["ratio"] == "16:9" and task["generate_audio"] is True


async def test_sdk_style_nulls_mean_absent(mock: Mock) -> None:
    # The official Ark SDK sends every unset option as JSON null [FIDELITY §2].
    body = text_body(
        "seedance-1-5-pro-251215",
        callback_url=None, return_last_frame=None, service_tier=None, execution_expires_after=None,
        priority=None, generate_audio=None, draft=None, camera_fixed=None, watermark=None, seed=None,
        resolution=None, ratio=None, duration=None, frames=None, tools=None, safety_identifier=None,
        output_format=None, omni_reference_task_type=None,
    )  # fmt: skip
    task = await get(mock, await create(mock, body))
    assert (task["resolution"], task["duration"], task["generate_audio"]) == ("720p", 5, True)


async def test_model_defaults_come_from_the_capability_data(mock: Mock) -> None:
    task = await get(mock, await create(mock, text_body("seedance-1-0-pro-250528")))
    assert task["resolution"] == "1080p"  # 1.0 pro defaults to 1080p [FIDELITY §5]


async def test_text_commands_apply_and_body_fields_win(mock: Mock) -> None:
    prompt = "A detective enters a dimly lit room. --rs 480p --rt 1:1 --dur 6 --seed 42 --cf true --wm true"
    task = await get(mock, await create(mock, text_body("seedance-1-5-pro-251215", prompt)))
    assert (task["resolution"], task["ratio"], task["duration"], task["seed"]) == ("480p", "1:1", 6, 42)

    prompt = "A detective. --ratio 16:9 --duration 6"
    task = await get(mock, await create(mock, text_body("seedance-1-5-pro-251215", prompt, duration=8)))
    assert (task["ratio"], task["duration"]) == ("16:9", 8)


async def test_text_command_out_of_range_is_refused_like_the_field(mock: Mock) -> None:
    error = await refused(mock, text_body("dreamina-seedance-2-0-fast-260128", "x --dur 20"))
    assert (error["code"], error["param"]) == ("InvalidParameter", "duration")
    error = await refused(mock, text_body("dreamina-seedance-2-0-fast-260128", "x --dur soon"))
    assert error["param"] == "duration"


@pytest.mark.parametrize("spelling", ["camerafixed", "camera_fixed"])
async def test_both_camera_fixed_spellings(mock: Mock, spelling: str) -> None:
    await create(mock, text_body("seedance-1-0-pro-250528", **{spelling: True}))


async def test_frames_override_duration(mock: Mock) -> None:
    task = await get(mock, await create(mock, text_body("seedance-1-0-pro-250528", frames=49)))
    # duration and frames are exclusive in a task object: frames only when sent [FIDELITY §2].
    assert task["frames"] == 49 and "duration" not in task
    await mock.advance(10)
    task = await get(mock, task["id"])
    w, h = contracts.frame_size("seedance-1-0-pro-250528", "1080p", "16:9")
    assert task["usage"]["completion_tokens"] == w * h * 49 // 1024


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        (text_body("dreamina-seedance-2-0-fast-260128", duration=20), 400, "InvalidParameter", "duration"),
        (text_body("dreamina-seedance-2-0-fast-260128", resolution="1080p"), 400, "InvalidParameter",
         "resolution"),
        (text_body("seedance-1-5-pro-251215", frames=49), 400, None, "frames"),
        (text_body("seedance-1-0-pro-250528", frames=50), 400, "InvalidParameter", "frames"),
        (text_body("seedance-1-0-pro-250528", seed=2**32), 400, "InvalidParameter", "seed"),
        (text_body("no-such-model-251215"), 404, "InvalidEndpointOrModel.NotFound", "model"),
        ({"model": "seedance-1-0-pro-250528"}, 400, "MissingParameter", "content"),
        ({"content": [{"type": "text", "text": "x"}]}, 400, "MissingParameter", "model"),
        ({"model": 7, "content": [{"type": "text", "text": "x"}]}, 400, "InvalidParameter", "model"),
        (text_body(duration="5"), 400, "InvalidParameter", "duration"),
        (text_body(colour="blue"), 400, None, "colour"),
    ],
)  # fmt: skip
async def test_refusals_name_the_field(mock: Mock, body, status, code, param) -> None:
    error = await refused(mock, body, status)
    assert error["param"] == param
    if code:
        assert error["code"] == code
    assert error["type"] == {400: "BadRequest", 404: "NotFound"}[status]
    assert "Request ID: " in error["message"]


async def test_request_ids_look_like_arks_and_echo_the_clients(mock: Mock) -> None:
    _, _, headers = await mock.call("GET", TASKS, headers={"X-Client-Request-Id": "my-id-1"})
    assert re.fullmatch(r"\d{14}[A-Za-z0-9]{20}", headers["x-request-id"])
    assert headers["x-client-request-id"] == "my-id-1"


async def test_scenarios_cannot_be_mixed(mock: Mock) -> None:
    img = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    body = {
        "model": "dreamina-seedance-2-0-260128",
        "content": [
            {"type": "text", "text": "x"},
            {**img, "role": "first_frame"},
            {**img, "role": "reference_image"},
        ],
    }
    error = await refused(mock, body)
    assert error["param"].startswith("content")


@pytest.mark.parametrize(
    ("raw", "headers", "status"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b"[1, 2]", {"Content-Type": "application/json"}, 400),
        (b"", {"Content-Type": "application/json"}, 400),
        (b"model=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b'"just a string"', {"Content-Type": "application/json"}, 400),
    ],
)
async def test_bad_bodies_get_a_clear_4xx(mock: Mock, raw: bytes, headers: dict, status: int) -> None:
    got, data, _ = await mock.call("POST", TASKS, data=raw, headers=headers)
    assert got == status
    assert_contract("ark.error", data)


async def test_oversized_body_is_413_not_500(make_mock) -> None:
    mock = await make_mock(max_body_bytes=1024)
    body = text_body(prompt="x" * 4096)
    error = await refused(mock, body, 413)
    assert error["code"] == "RequestEntityTooLarge"


async def test_list_filters_and_pagination(mock: Mock) -> None:
    ids = [await create(mock, text_body("seedance-1-5-pro-251215")) for _ in range(3)]
    ids += [await create(mock, text_body("dreamina-seedance-2-0-260128")) for _ in range(2)]
    await mock.advance(1)  # all running
    cancel_me = await create(mock, text_body("dreamina-seedance-2-0-260128"))
    assert (await mock.call("DELETE", f"{TASKS}/{cancel_me}"))[0] == 200

    async def listing(query: str) -> dict:
        status, data, _ = await mock.call("GET", f"{TASKS}?{query}")
        assert status == 200, data
        return assert_contract("ark.task_list", data)

    everything = await listing("")
    assert everything["total"] == 6
    assert [t["id"] for t in everything["items"]] == [cancel_me, *reversed(ids)]  # newest first
    page = await listing("page_num=2&page_size=2")
    assert [t["id"] for t in page["items"]] == [ids[3], ids[2]] and page["total"] == 6
    assert (await listing("filter.status=cancelled"))["total"] == 1
    assert (await listing("filter.model=seedance-1-5-pro-251215"))["total"] == 3
    picked = await listing(f"filter.task_ids={ids[0]}&filter.task_ids={ids[4]}")
    assert {t["id"] for t in picked["items"]} == {ids[0], ids[4]}
    # Another key sees none of them.
    status, other, _ = await mock.call("GET", TASKS, key="sk-someone-else-1234")
    assert status == 200 and other["total"] == 0


@pytest.mark.parametrize("query", ["page_size=0", "page_size=501", "page_num=0", "page_num=x",
                                   "filter.status=done",
                                   # int() takes these; an integer query parameter does not (/openapi.json)
                                   "page_num=1_0", "page_num=%D9%A1", "page_size=%205",
                                   "page_size=" + "9" * 5000])  # fmt: skip
async def test_list_refuses_bad_queries(mock: Mock, query: str) -> None:
    status, data, _ = await mock.call("GET", f"{TASKS}?{query}")
    assert status == 400
    assert_contract("ark.error", data)
    assert data["error"]["param"] == query.split("=")[0]


async def test_delete_cancels_queued_deletes_finished_refuses_running(mock: Mock) -> None:
    queued = await create(mock, text_body())
    status, data, _ = await mock.call("DELETE", f"{TASKS}/{queued}")
    assert (status, data) == (200, {})
    assert_contract("ark.delete_task.response", data)
    assert (await get(mock, queued))["status"] == "cancelled"
    # A cancelled task can be neither cancelled again nor deleted [FIDELITY §2].
    status, data, _ = await mock.call("DELETE", f"{TASKS}/{queued}")
    assert status == 400 and assert_contract("ark.error", data)

    running = await create(mock, text_body())
    await mock.advance(1)
    status, data, _ = await mock.call("DELETE", f"{TASKS}/{running}")
    assert status == 400 and data["error"]["param"] == "id"
    assert (await get(mock, running))["status"] == "running"  # state not lost

    await mock.advance(3)
    status, data, _ = await mock.call("DELETE", f"{TASKS}/{running}")
    assert (status, data) == (200, {})
    status, data, _ = await mock.call("GET", f"{TASKS}/{running}")
    assert status == 404 and data["error"]["code"] == "NotFound"


async def test_unknown_and_foreign_tasks_are_404(mock: Mock) -> None:
    status, data, _ = await mock.call("GET", f"{TASKS}/cgt-20250101000000-zzzzz")
    assert status == 404 and assert_contract("ark.error", data)["error"]["code"] == "NotFound"
    task_id = await create(mock, text_body())
    status, _, _ = await mock.call("GET", f"{TASKS}/{task_id}", key="sk-another-key-5678")
    assert status == 404


async def test_unknown_path_and_method_answer_in_the_ark_shape(mock: Mock) -> None:
    status, data, _ = await mock.call("GET", "/api/v3/contents/nothing")
    assert status == 404 and assert_contract("ark.error", data)
    status, data, _ = await mock.call("PATCH", TASKS)
    assert status == 405 and assert_contract("ark.error", data)


async def test_adaptive_ratio_measures_a_data_uri_image(mock: Mock) -> None:
    import base64
    import io

    import av
    import numpy as np

    # A 300×400 (3:4) PNG made with PyAV.
    frame = av.VideoFrame.from_ndarray(np.zeros((400, 300, 3), dtype=np.uint8), format="rgb24")
    buf = io.BytesIO()
    with av.open(buf, "w", format="image2pipe") as out:
        stream = out.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 300, 400, "rgb24"
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    body = {
        "model": "seedance-1-5-pro-251215",
        "content": [{"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": uri}}],
        "ratio": "adaptive",
    }
    task = await get(mock, await create(mock, body))
    assert task["ratio"] == "3:4"
    entry = mock.state.journal[-1]
    assert KEY not in json.dumps(entry.as_json()) + repr(entry)  # and the journal never holds the key


async def test_integral_floats_are_integers_through_the_whole_lifecycle(mock: Mock) -> None:
    # JSON Schema (and so the contract) counts 42.0 as an integer; the task must then behave as if 42 was sent:
    # this once made every read of the task, and every list of its key, answer 500.
    body = text_body("seedance-1-0-pro-250528", seed=42.0, frames=49.0, execution_expires_after=3600.0)
    task_id = await create(mock, body)
    await mock.advance(10)
    task = await get(mock, task_id)
    assert (task["seed"], task["frames"], task["execution_expires_after"]) == (42, 49, 3600)
    assert all(type(task[k]) is int for k in ("seed", "frames", "execution_expires_after"))
    assert isinstance(task["usage"]["completion_tokens"], int)
    status, listing, _ = await mock.call("GET", TASKS)
    assert status == 200 and listing["items"][0]["seed"] == 42
    status, _, _ = await mock.call("GET", f"/api/v3/predictions/{task_id}/result")
    assert status == 200


@pytest.mark.parametrize("raw", ["1_0", "١٠", "+", "6.0"])
async def test_text_command_integers_are_ascii_digits_only(mock: Mock, raw: str) -> None:
    error = await refused(mock, text_body("seedance-1-5-pro-251215", f"x --dur {raw}"))
    assert error["param"] == "duration"


async def test_measuring_an_inline_image_happens_off_the_event_loop(mock: Mock, monkeypatch) -> None:
    # Measuring a data: image for ratio "adaptive" may decode megabytes of base64 (a header far into the
    # file): that must not stall every other request on the server.
    import threading

    import mock_server.ark as ark

    seen = []

    def sizer(url: str):
        seen.append(threading.current_thread() is threading.main_thread())
        return (300, 400)

    monkeypatch.setattr(ark, "image_size", sizer)
    image = {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}}
    body = {"model": "seedance-1-5-pro-251215", "content": [{"type": "text", "text": "x"}, image]}
    task = await get(mock, await create(mock, body))
    assert seen == [False] and task["ratio"] == "3:4"
