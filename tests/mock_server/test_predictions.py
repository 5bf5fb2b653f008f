"""Family B — predictions: submit, result, sync mode, refusals, and one task seen by both families."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.mock_server.conftest import KEY, Mock
from tests.support import assert_contract

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
FAST = "doubao-seedance-2-0-fast-260128"


def seed_body(name: str) -> dict:
    return json.loads((SEEDS / name).read_text())["instance"]


async def submit(mock: Mock, model: str, op: str, body: dict, **kw) -> dict:
    status, data, _ = await mock.call("POST", f"/api/v3/bytedance/{model}/{op}", json=body, **kw)
    assert status == 200, data
    return assert_contract("predictions.envelope", data)["data"]


async def result(mock: Mock, task_id: str, path: str = "/result") -> dict:
    status, data, _ = await mock.call("GET", f"/api/v3/predictions/{task_id}{path}")
    assert status == 200, data
    return assert_contract("predictions.envelope", data)["data"]


async def test_seed_004_text_to_video_example_runs_to_completed(mock: Mock) -> None:
    body = {k: v for k, v in seed_body("seed004_text_to_video_body.json").items() if k != "model"}
    # Sent as printed: `--header 'Authorization: GPTPROTO_API_KEY'` (a raw key, no Bearer).
    data = await submit(mock, FAST, "text-to-video", body, key=None, headers={"Authorization": KEY})
    assert data["status"] == "created" and data["outputs"] == [] and data["error"] is None
    assert data["model"] == FAST
    assert data["urls"]["get"] == f"{mock.origin}/api/v3/predictions/{data['id']}/result"
    await mock.advance(1)
    assert (await result(mock, data["id"]))["status"] == "processing"
    await mock.advance(3)
    done = await result(mock, data["id"])
    assert done["status"] == "completed" and done["has_nsfw_contents"] == [False]
    assert done["outputs"][0].startswith(mock.origin + "/media/1280x720-121f-a-")
    assert done["executionTime"] == 3000
    assert await result(mock, data["id"], path="") == done  # WaveSpeed's path too


async def test_a_prediction_is_an_ark_task(mock: Mock) -> None:
    data = await submit(mock, FAST, "text-to-video", {"prompt": "x", "duration": "6"})
    await mock.advance(10)
    status, task, _ = await mock.call("GET", f"/api/v3/contents/generations/tasks/{data['id']}")
    assert status == 200 and assert_contract("ark.task", task)
    assert (task["status"], task["duration"], task["model"]) == ("succeeded", 6, FAST)
    assert task["content"]["video_url"] == (await result(mock, data["id"]))["outputs"][0]


async def test_sync_mode_answers_with_the_finished_prediction(mock: Mock) -> None:
    data = await submit(mock, FAST, "text-to-video", {"prompt": "x", "enable_sync_mode": True})
    assert data["status"] == "completed" and len(data["outputs"]) == 1


@pytest.mark.parametrize(
    ("model", "op", "name"),
    [
        ("dreamina-seedance-2-0-260128", "image-to-video", "seed004_image_first_frame_body.json"),
        ("dreamina-seedance-2-0-260128", "image-to-video", "seed004_image_first_last_body.json"),
        ("dreamina-seedance-2-0-260128", "reference-to-video", "seed004_reference_images_body.json"),
        ("dreamina-seedance-2-0-260128", "reference-to-video", "seed004_reference_image_video_body.json"),
    ],
)
async def test_seed_004_examples_are_accepted(mock: Mock, model: str, op: str, name: str) -> None:
    body = {k: v for k, v in seed_body(name).items() if k != "model"}
    data = await submit(mock, model, op, body)
    assert data["status"] == "created"


@pytest.mark.parametrize(
    ("model", "op", "body", "status", "param"),
    [
        (FAST, "text-to-video", {"prompt": "x", "duration": 20}, 400, "duration"),
        (FAST, "text-to-video", {"prompt": "x", "duration": "twenty"}, 400, "duration"),
        (FAST, "text-to-video", {"prompt": "x", "resolution": "1080p"}, 400, "resolution"),
        (FAST, "text-to-video", {"prompt": "x", "aspect_ratio": "adaptive"}, 400, "aspect_ratio"),
        (FAST, "text-to-video", {"prompt": "x", "seed": 2**31}, 400, "seed"),
        (FAST, "text-to-video", {"duration": 5}, 400, "prompt"),
        ("seedance-1-0-pro-fast-251015", "image-to-video",
         {"prompt": "x", "image": "https://e.com/a.png", "last_image": "https://e.com/b.png"}, 400, "last_image"),
        (FAST, "reference-to-video", {"prompt": "x", "audios": ["https://e.com/a.mp3"]}, 400, None),
        (FAST, "reference-to-video", {"prompt": "x", "images": ["https://e.com/a.png"] * 11}, 400, "images"),
        ("no-such-model", "text-to-video", {"prompt": "x"}, 404, "model"),
    ],
)  # fmt: skip
async def test_refusals_in_the_predictions_shape(mock: Mock, model, op, body, status, param) -> None:
    got, data, headers = await mock.call("POST", f"/api/v3/bytedance/{model}/{op}", json=body)
    assert got == status, data
    assert_contract("predictions.error", data)
    assert data["code"] == status and data["data"] is None and "x-request-id" in headers
    if param:
        assert data["error"]["param"] == param


async def test_failed_prediction_is_http_200_with_an_error(mock: Mock) -> None:
    data = await submit(mock, FAST, "text-to-video", {"prompt": "x [mock:fail]"})
    await mock.advance(10)
    done = await result(mock, data["id"])
    assert done["status"] == "failed" and "OutputVideoSensitiveContentDetected" in done["error"]
    assert done["outputs"] == []


async def test_expired_prediction_reads_failed(mock: Mock) -> None:
    data = await submit(mock, FAST, "text-to-video", {"prompt": "x [mock:expire]"})
    await mock.advance(172_800)
    done = await result(mock, data["id"])
    assert done["status"] == "failed" and "expired" in done["error"].lower()


async def test_content_policy_marker_in_the_predictions_shape(mock: Mock) -> None:
    got, data, _ = await mock.call(
        "POST", f"/api/v3/bytedance/{FAST}/text-to-video", json={"prompt": "[mock:content_policy]"}
    )
    assert got == 400 and assert_contract("predictions.error", data)
    assert data["error"]["code"] == "InputTextSensitiveContentDetected"


async def test_unknown_prediction_is_404_in_the_predictions_shape(mock: Mock) -> None:
    got, data, _ = await mock.call("GET", "/api/v3/predictions/cgt-20250101000000-aaaaa/result")
    assert got == 404 and assert_contract("predictions.error", data)


async def test_missing_key_is_401_in_the_gateway_shape_on_this_family_too(mock: Mock) -> None:
    got, data, _ = await mock.call("POST", f"/api/v3/bytedance/{FAST}/text-to-video", json={"prompt": "x"},
                                   key=None)  # fmt: skip
    assert got == 401 and assert_contract("gateway.error", data)


async def test_integral_float_seed_on_predictions(mock: Mock) -> None:
    data = await submit(mock, FAST, "text-to-video", {"prompt": "x", "seed": 7.0, "duration": 5.0})
    await mock.advance(10)
    done = await result(mock, data["id"])
    assert done["status"] == "completed"
    status, task, _ = await mock.call("GET", f"/api/v3/contents/generations/tasks/{data['id']}")
    assert status == 200 and (task["seed"], task["duration"]) == (7, 5)
