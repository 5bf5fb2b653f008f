"""The service as of late 2026 [FIDELITY §5; docs/FIDELITY.md §2, §3, §5, §9, §10], through both families:
new models, per-model options, drafts, the flex tier, retention, the error catalogue, base64 and sync
timeouts on the predictions family, and the task object's per-model fields."""

from __future__ import annotations

import base64
from typing import Any

import pytest

import contracts
from tests.mock_server.conftest import Mock
from tests.support import assert_contract

TASKS = "/api/v3/contents/generations/tasks"
V20 = "dreamina-seedance-2-0-260128"
MINI = "dreamina-seedance-2-0-mini-260615"
V25 = "dreamina-seedance-2-5-260628"
PRO15 = "seedance-1-5-pro-251215"
PRO10 = "seedance-1-0-pro-250528"
RED = (  # a real 2×1 PNG
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGP4z8DwHwyBNAMAR+4H+Z9zE0QAAAAASUVORK5CYII="
)


def body(model: str, text: str = "a kite over a hill", **fields: Any) -> dict[str, Any]:
    return {"model": model, "content": [{"type": "text", "text": text}], **fields}


async def create(mock: Mock, payload: dict[str, Any]) -> str:
    status, answer, _ = await mock.call("POST", TASKS, json=payload)
    assert status == 200, answer
    return answer["id"]


async def refused(mock: Mock, payload: dict[str, Any]) -> dict[str, Any]:
    status, answer, _ = await mock.call("POST", TASKS, json=payload)
    assert status == 400, answer
    return answer["error"]


async def task(mock: Mock, task_id: str) -> dict[str, Any]:
    status, answer, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert status == 200, answer
    return answer


async def finished(mock: Mock, task_id: str, seconds: float = 10) -> dict[str, Any]:
    await mock.advance(seconds)
    return await task(mock, task_id)


async def submit(mock: Mock, model: str, op: str, payload: dict[str, Any]) -> tuple[int, Any]:
    status, answer, _ = await mock.call("POST", f"/api/v3/bytedance/{model}/{op}", json=payload)
    return status, answer


# -- models --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [MINI, "doubao-seedance-2-0-mini-260615", V25, "doubao-seedance-2-5-260628"])
async def test_new_models_run_through_both_families(mock: Mock, name: str) -> None:
    done = await finished(mock, await create(mock, body(name, duration=4, ratio="16:9")))
    assert (done["status"], done["model"], done["resolution"], done["duration"]) == ("succeeded", name, "720p", 4)
    status, answer = await submit(mock, name, "text-to-video", {"prompt": "a kite", "duration": 4})
    assert status == 200, answer
    await mock.advance(10)
    status, result, _ = await mock.call("GET", f"/api/v3/predictions/{answer['data']['id']}/result")
    assert result["data"]["status"] == "completed"


async def test_2_5_limits(mock: Mock) -> None:
    done = await finished(mock, await create(mock, body(V25, duration=30)))
    assert done["duration"] == 30
    assert (await refused(mock, body(V25, duration=31)))["param"] == "duration"
    assert (await refused(mock, body(V25, seed=5)))["param"] == "seed"
    audio = {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}, "role": "reference_audio"}
    only_audio = {"model": V25, "content": [{"type": "text", "text": "a song"}, audio]}
    assert (await task(mock, await create(mock, only_audio)))["status"] == "queued"  # audio-only references
    error = await refused(mock, {**only_audio, "model": V20})
    assert error["message"].startswith("The parameter `content` specified in the request is not valid")
    assert "reference_audio cannot be the only reference input" in error["message"]
    ref = {"type": "image_url", "image_url": {"url": "https://example.com/r.png"}, "role": "reference_image"}
    many = {"model": V25, "content": [{"type": "text", "text": "x"}, *[ref] * 30]}
    await create(mock, many)
    assert (await refused(mock, {**many, "content": [*many["content"], ref]}))["param"] == "content"


async def test_2_0_mini_takes_no_1080p(mock: Mock) -> None:
    assert (await refused(mock, body(MINI, resolution="1080p")))["param"] == "resolution"


# -- options ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [PRO15, V20, MINI])
async def test_duration_minus_one_reports_the_length_picked(mock: Mock, model: str) -> None:
    low, high = contracts.lookup_model(model).duration  # type: ignore[union-attr]
    first = await task(mock, await create(mock, body(model, duration=-1, seed=9)))
    again = await task(mock, await create(mock, body(model, duration=-1, seed=9)))
    assert low <= first["duration"] <= high and first["duration"] == again["duration"]  # deterministic
    assert (await refused(mock, body(PRO10, duration=-1)))["param"] == "duration"


async def test_2_5_duration_defaults_to_the_models_pick(mock: Mock) -> None:
    picked = await task(mock, await create(mock, body(V25)))
    assert 4 <= picked["duration"] <= 30


async def test_text_only_ratio_is_adaptive_on_1_5_and_2_x(mock: Mock) -> None:
    # The model picks from the prompt and seed: deterministic, and always a concrete ratio [FIDELITY §5].
    seen = set()
    for n in range(12):
        ratio = (await task(mock, await create(mock, body(V20, text=f"scene {n}", seed=n))))["ratio"]
        assert ratio in contracts.ratios()
        seen.add(ratio)
    assert len(seen) > 1
    again = await task(mock, await create(mock, body(V20, text="scene 3", seed=3)))
    first = await task(mock, await create(mock, body(V20, text="scene 3", seed=3)))
    assert again["ratio"] == first["ratio"]
    assert (await task(mock, await create(mock, body(PRO10, seed=1))))["ratio"] == "16:9"  # 1.0 keeps 16:9


async def test_unsupported_option_is_worded_as_upstream(mock: Mock) -> None:
    error = await refused(mock, body(PRO10, draft=False))
    assert error["code"] == "InvalidParameter.UnsupportedParameter" and error["param"] == "draft"
    # FIDELITY §5's quote: the model without its version date, and the task type [FIDELITY §5].
    assert error["message"].startswith(  # Ark messages end in " Request ID: …"
        "the specified parameter `draft` is not supported for model seedance-1-0-pro in t2v, must be empty "
    )
    framed = body(PRO10, draft=True)
    framed["content"].append({"type": "image_url", "image_url": {"url": RED}, "role": "first_frame"})
    assert "seedance-1-0-pro in i2v, must be empty" in (await refused(mock, framed))["message"]
    status, answer = await submit(
        mock, V25, "reference-to-video", {"prompt": "a kite", "images": ["https://example.com/a.png"], "seed": 1}
    )
    assert (status, answer["error"]["param"], answer["error"]["code"]) == (
        400, "seed", "InvalidParameter.UnsupportedParameter",
    )  # fmt: skip
    assert "for model dreamina-seedance-2-5 in r2v, must be empty" in answer["error"]["message"]
    for model, field, value in (
        (V20, "service_tier", "default"),
        (PRO15, "priority", 1),
        (V20, "camera_fixed", False),
        (MINI, "camerafixed", True),
    ):
        error = await refused(mock, body(model, **{field: value}))
        assert (error["param"], error["code"]) == (field, "InvalidParameter.UnsupportedParameter"), error
    assert (await refused(mock, body(PRO10, service_tier="flex", priority=1)))["param"] == "priority"


async def test_resolution_any_case_and_expiry_minimum_on_1_x_only(mock: Mock) -> None:
    done = await task(mock, await create(mock, body(PRO10, resolution="1080P")))
    assert done["resolution"] == "1080p"
    four_k = await task(mock, await create(mock, body(V20, resolution="4K", ratio="21:9")))
    assert four_k["resolution"] == "4k"
    finished_4k = await finished(mock, four_k["id"])
    assert contracts.frame_size(V20, "4k", "21:9") == (4398, 1886)
    assert finished_4k["usage"]["completion_tokens"] == contracts.token_usage(4398, 1886, finished_4k["duration"])
    assert (await refused(mock, body(MINI, resolution="4k")))["param"] == "resolution"
    await create(mock, body(V20, execution_expires_after=60))
    assert (await refused(mock, body(PRO15, execution_expires_after=60)))["param"] == "execution_expires_after"


# -- drafts --------------------------------------------------------------------------------------------------


async def test_draft_then_final_reuses_the_draft(mock: Mock) -> None:
    image = {"type": "image_url", "image_url": {"url": RED}, "role": "first_frame"}
    draft_body = {
        "model": PRO15,
        "content": [{"type": "text", "text": "a red fox"}, image],
        "draft": True, "seed": 77, "duration": 6, "camera_fixed": True, "generate_audio": False,
    }  # fmt: skip
    draft_id = await create(mock, draft_body)
    draft = await task(mock, draft_id)
    assert (draft["draft"], draft["resolution"]) == (True, "480p")
    final_body = {"model": PRO15, "content": [{"type": "draft_task", "draft_task": {"id": draft_id}}]}
    error = await refused(mock, {**final_body, "resolution": "1080p"})  # the draft has not succeeded yet
    assert error["param"] == "content[0].draft_task.id"
    await mock.advance(10)
    final = await finished(mock, await create(mock, {**final_body, "resolution": "1080p"}))
    assert final["status"] == "succeeded" and final["draft_task_id"] == draft_id and final["draft"] is False
    for field in ("seed", "duration", "ratio", "generate_audio"):
        assert final[field] == draft[field], field
    assert final["resolution"] == "1080p"
    assert final["usage"]["completion_tokens"] == contracts.token_usage(
        *contracts.frame_size(PRO15, "1080p", draft["ratio"]), draft["duration"]
    )


async def test_draft_refusals(mock: Mock) -> None:
    assert (await refused(mock, body(PRO15, draft=True, resolution="720p")))["param"] == "resolution"
    assert (await refused(mock, body(PRO15, draft=True, return_last_frame=True)))["param"] == "return_last_frame"
    assert (await refused(mock, body(PRO15, draft=True, service_tier="flex")))["param"] == "service_tier"
    not_a_draft = await create(mock, body(PRO15))
    await mock.advance(10)
    final = {"model": PRO15, "content": [{"type": "draft_task", "draft_task": {"id": not_a_draft}}]}
    assert "not a draft" in (await refused(mock, final))["message"]
    assert (await refused(mock, {**final, "seed": 1}))["param"] == "seed"
    status, answer, _ = await mock.call(
        "POST", TASKS, json={**final, "content": [{"type": "draft_task", "draft_task": {"id": "cgt-x"}}]}
    )
    assert (status, answer["error"]["code"]) == (404, "NotFound")
    status, answer, _ = await mock.call(
        "POST", TASKS, json=final, headers={"Authorization": "Bearer sk-someone-else-000"}
    )
    assert status == 404  # another key's draft is not yours
    assert (await refused(mock, {**final, "model": V20}))["param"] == "content"


# -- flex ----------------------------------------------------------------------------------------------------


async def test_flex_ids_waits_and_lists(make_mock: Any) -> None:
    mock = await make_mock(flex_queue_seconds=300)
    flex = await create(mock, body(PRO10, service_tier="flex"))
    normal = await create(mock, body(PRO10))
    assert flex.startswith("cgt-batch-") and not normal.startswith("cgt-batch-")
    await mock.advance(10)
    assert (await task(mock, normal))["status"] == "succeeded"
    assert (await task(mock, flex))["status"] == "queued"
    await mock.advance(300)
    assert (await task(mock, flex))["status"] == "succeeded"
    _, listed, _ = await mock.call("GET", TASKS)
    assert [t["id"] for t in listed["items"]] == [normal]
    _, listed, _ = await mock.call("GET", TASKS, params={"filter.service_tier": "flex"})
    assert [t["id"] for t in listed["items"]] == [flex] and listed["items"][0]["service_tier"] == "flex"


# -- retention -----------------------------------------------------------------------------------------------


async def test_tasks_are_gone_after_7_days_and_cancelled_after_24_hours(mock: Mock) -> None:
    kept = await create(mock, body(PRO10))
    cancelled = await create(mock, body(PRO10))
    status, _, _ = await mock.call("DELETE", f"{TASKS}/{cancelled}")
    assert status == 200
    video_url = (await finished(mock, kept))["content"]["video_url"]
    await mock.advance(86400)
    assert (await mock.call("GET", f"{TASKS}/{cancelled}"))[0] == 404
    assert (await mock.call("GET", f"{TASKS}/{kept}"))[0] == 200
    await mock.advance(6 * 86400)
    assert (await mock.call("GET", f"{TASKS}/{kept}"))[0] == 404
    _, listed, _ = await mock.call("GET", TASKS)
    assert listed == {"total": 0, "items": []}
    assert (await mock.call("GET", f"/api/v3/predictions/{kept}/result"))[0] == 404
    assert len(mock.state.store) == 0  # forgotten, not only hidden
    # The video URL kept its own 24 h after the task finished, and those are over too.
    status, _, _ = await mock.call("GET", video_url.removeprefix(mock.origin), key=None)
    assert status == 403


async def test_media_url_outlives_a_retired_record(make_mock: Any) -> None:
    mock = await make_mock(retention_seconds=60)
    done = await finished(mock, await create(mock, body(PRO10, resolution="480p", duration=2)))
    await mock.advance(60)
    assert (await mock.call("GET", f"{TASKS}/{done['id']}"))[0] == 404
    status, _, headers = await mock.call("GET", done["content"]["video_url"].removeprefix(mock.origin), key=None)
    assert status == 200 and headers["Content-Type"] == "video/mp4"


# -- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "status", "code", "ark_param", "predictions_param"),
    [
        ("image_policy", 400, "InputImageSensitiveContentDetected", "content", "image"),
        ("video_policy", 400, "InputVideoSensitiveContentDetected", "content", "videos"),
        ("audio_policy", 400, "InputAudioSensitiveContentDetected", "content", "audios"),
        ("set_limit", 429, "SetLimitExceeded", None, None),
        ("overloaded", 429, "ServerOverloaded", None, None),
    ],
)
async def test_catalogue_markers_in_both_families(
    mock: Mock, marker: str, status: int, code: str, ark_param: str | None, predictions_param: str | None
) -> None:
    got, answer, _ = await mock.call("POST", TASKS, json=body(V20, text=f"a fox [mock:{marker}]"))
    assert (got, answer["error"]["code"], answer["error"]["param"]) == (status, code, ark_param)
    got, answer = await submit(mock, V20, "text-to-video", {"prompt": f"a fox [mock:{marker}]"})
    assert (got, answer["code"], answer["error"]["code"], answer["error"]["param"]) == (
        status, status, code, predictions_param,
    )  # fmt: skip


async def test_output_audio_refusal_fails_the_task(mock: Mock) -> None:
    done = await finished(mock, await create(mock, body(V20, text="a song [mock:output_audio_policy]")))
    assert done["status"] == "failed" and done["error"]["code"] == "OutputAudioSensitiveContentDetected"
    _, result, _ = await mock.call("GET", f"/api/v3/predictions/{done['id']}/result")
    assert result["data"]["status"] == "failed"
    assert result["data"]["error"].startswith("OutputAudioSensitiveContentDetected: ")


async def test_live_validation_messages(mock: Mock) -> None:
    bad_role = body(PRO10)
    bad_role["content"].append({"type": "image_url", "image_url": {"url": RED}, "role": "cover"})
    assert "invalid role specified for image content" in (await refused(mock, bad_role))["message"]
    mixed = {
        "model": V20,
        "content": [
            {"type": "image_url", "image_url": {"url": RED}, "role": "first_frame"},
            {"type": "image_url", "image_url": {"url": RED}, "role": "reference_image"},
        ],
    }
    message = (await refused(mock, mixed))["message"]
    assert "first/last frame content cannot be mixed with reference media content" in message


async def test_gateway_wording_and_overdue_balance(mock: Mock) -> None:
    status, answer, _ = await mock.call("POST", TASKS, json=body(PRO10), key=None)
    assert status == 401 and answer["error"]["message"].startswith("Invalid authentication credentials")
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["code"] == "invalid_api_key"
    status, _, _ = await mock.call("PUT", "/_mock/keys/sk-test-0123456789", json={"models": [V20]})
    assert status == 200
    status, answer, _ = await mock.call("POST", TASKS, json=body(PRO10))
    assert status == 403 and answer["error"]["message"].startswith("You do not have access to this resource")
    assert (answer["error"]["type"], answer["error"]["code"]) == ("permission_error", "insufficient_permissions")
    await mock.call("PUT", "/_mock/keys/sk-test-0123456789", json={"models": None, "balance": -5})
    status, answer, _ = await mock.call("POST", TASKS, json=body(PRO10))
    assert (status, answer["error"]["code"], answer["error"]["type"]) == (403, "AccountOverdueError", "Forbidden")


# -- predictions ---------------------------------------------------------------------------------------------


async def test_base64_output_in_sync_and_result_answers(mock: Mock) -> None:
    payload = {"prompt": "a kite", "duration": 4, "resolution": "480p", "enable_base64_output": True}
    status, answer = await submit(mock, V20, "text-to-video", {**payload, "enable_sync_mode": True})
    assert status == 200 and answer["data"]["status"] == "completed"
    (inline,) = answer["data"]["outputs"]
    assert not inline.startswith(("data:", "http"))
    assert base64.b64decode(inline, validate=True)[4:8] == b"ftyp"  # an MP4 file
    status, later, _ = await mock.call("GET", f"/api/v3/predictions/{answer['data']['id']}/result")
    assert later["data"]["outputs"] == [inline]
    plain = await task(mock, answer["data"]["id"])  # the Ark family still hands out the URL
    assert plain["content"]["video_url"].startswith("http")


async def test_a_base64_prediction_lists_its_video_after_the_urls_24_hours(mock: Mock) -> None:
    """Found by the lifecycle machine: past the media's 24 h a base64 prediction read ``completed`` with
    ``outputs: []``, which its own contract refuses (and ``outputs[0]`` in a client with it)."""
    payload = {"prompt": "a kite", "duration": 4, "resolution": "480p", "enable_base64_output": True}
    status, answer = await submit(mock, V20, "text-to-video", payload)
    assert status == 200
    await mock.advance(10)
    _, fresh, _ = await mock.call("GET", f"/api/v3/predictions/{answer['data']['id']}/result")
    await mock.advance(2 * 86_400)  # past the URL's 24 h, within the 7 days the task stays readable
    _, later, _ = await mock.call("GET", f"/api/v3/predictions/{answer['data']['id']}/result")
    assert_contract("predictions.envelope", later)
    assert later["data"]["status"] == "completed" and later["data"]["outputs"] == fresh["data"]["outputs"]
    assert base64.b64decode(later["data"]["outputs"][0], validate=True)[4:8] == b"ftyp"


async def test_sync_timeout_answers_as_the_gateway_and_the_task_goes_on(make_mock: Any) -> None:
    mock = await make_mock(sync_timeout_seconds=2)  # queued 1 s + running 3 s does not fit
    status, answer = await submit(mock, V20, "text-to-video", {"prompt": "a kite", "enable_sync_mode": True})
    data = answer["data"]
    assert status == 200 and (data["code"], data["status"]) == (5004, "processing")
    assert "Sync mode timed out" in data["error"] and data["urls"]["get"] in data["error"]
    await mock.advance(10)
    _, result, _ = await mock.call("GET", f"/api/v3/predictions/{data['id']}/result")
    assert result["data"]["status"] == "completed" and "code" not in result["data"]


# -- task object ---------------------------------------------------------------------------------------------


async def test_task_object_fields_per_model(mock: Mock) -> None:
    old = await task(mock, await create(mock, body(PRO10, priority=3, safety_identifier="user-1")))
    assert "generate_audio" not in old and "draft" not in old and old["priority"] == 3
    assert old["safety_identifier"] == "user-1"
    pro15 = await task(mock, await create(mock, body(PRO15)))
    assert pro15["generate_audio"] is True and pro15["draft"] is False and "priority" not in pro15
    v25 = await task(mock, await create(mock, body(V25, output_format="mov")))
    assert v25["output_format"] == "mov" and "seed" not in v25 and "draft" not in v25
    assert (await task(mock, await create(mock, body(V25))))["output_format"] == "mp4"
    framed = await task(mock, await create(mock, body(PRO10, frames=49)))
    assert framed["frames"] == 49 and "duration" not in framed
    assert "frames" not in old


# -- 4k concurrency ------------------------------------------------------------------------------------------


def four_k(text: str) -> dict[str, Any]:
    return body(V20, text=text, resolution="4k", ratio="16:9", duration=4)


async def statuses(mock: Mock, *ids: str) -> list[str]:
    return [(await task(mock, i))["status"] for i in ids]


async def test_a_4k_task_waits_while_another_4k_task_of_its_key_runs(mock: Mock) -> None:
    # Upstream runs 1 4k task at once where it runs 10 others [FIDELITY §11 rate limits; FIDELITY §7].
    first = await create(mock, four_k("one"))
    second = await create(mock, four_k("two"))
    after = await create(mock, body(V20, text="a 720p task behind them", ratio="16:9"))
    await mock.advance(1)  # queue_seconds: all three are ready
    assert await statuses(mock, first, second, after) == ["running", "queued", "running"]
    # Another key has its own 4k slot.
    status, answer, _ = await mock.call(
        "POST", TASKS, json=four_k("elsewhere"), headers={"Authorization": "Bearer sk-someone-else-000"}
    )
    assert status == 200
    await mock.advance(1)
    status, other, _ = await mock.call(
        "GET", f"{TASKS}/{answer['id']}", headers={"Authorization": "Bearer sk-someone-else-000"}
    )
    assert other["status"] == "running"
    await mock.advance(2)  # run_seconds after the first started: it ends, the second starts at once
    assert await statuses(mock, first, second, after) == ["succeeded", "running", "succeeded"]
    await mock.advance(3)
    assert await statuses(mock, second) == ["succeeded"]


async def test_the_4k_slot_is_shared_by_both_families(mock: Mock) -> None:
    ark = await create(mock, four_k("ark first"))
    status, answer = await submit(
        mock, V20, "text-to-video", {"prompt": "predictions second", "resolution": "4k", "duration": 4}
    )
    assert status == 200, answer
    prediction = answer["data"]["id"]
    await mock.advance(1)
    assert await statuses(mock, ark, prediction) == ["running", "queued"]
    _, result, _ = await mock.call("GET", f"/api/v3/predictions/{prediction}/result")
    assert result["data"]["status"] == "created"
    await mock.advance(3)
    assert await statuses(mock, ark, prediction) == ["succeeded", "running"]
    # And the other way round: a running prediction holds an Ark 4k task back.
    status, answer = await submit(
        mock, V20, "text-to-video", {"prompt": "predictions third", "resolution": "4K", "duration": 4}
    )
    third = answer["data"]["id"]
    ark_after = await create(mock, four_k("ark fourth"))
    await mock.advance(3)
    assert await statuses(mock, prediction, third, ark_after) == ["succeeded", "running", "queued"]


async def test_the_4k_limit_is_configurable_and_bounded_by_the_keys_limit(make_mock: Any) -> None:
    mock = await make_mock(max_running_4k_per_key=2, max_running_per_key=3)
    ids = [await create(mock, four_k(f"4k {n}")) for n in range(3)]
    ids.append(await create(mock, body(V20, text="720p", ratio="16:9")))
    await mock.advance(1)
    assert await statuses(mock, *ids) == ["running", "running", "queued", "running"]
    await mock.advance(3)
    assert await statuses(mock, *ids) == ["succeeded", "succeeded", "running", "succeeded"]


async def test_a_cancelled_or_expired_4k_task_frees_its_slot(mock: Mock) -> None:
    expiring = await create(mock, {**four_k("runs out"), "execution_expires_after": 2})
    waiting = await create(mock, four_k("waits"))
    cancelled = await create(mock, four_k("cancelled"))
    status, _, _ = await mock.call("DELETE", f"{TASKS}/{cancelled}")
    assert status == 200
    await mock.advance(1)
    assert await statuses(mock, expiring, waiting) == ["running", "queued"]
    await mock.advance(1)  # the running one expires after 2 s: the waiting one takes the slot
    assert await statuses(mock, expiring, waiting) == ["expired", "running"]


# -- 2.5 forces adaptive ---------------------------------------------------------------------------------------


def portrait_png() -> str:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (360, 720), (200, 40, 40)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def test_2_5_renders_adaptive_for_first_frame_edit_and_extend(mock: Mock) -> None:
    image = {"type": "image_url", "image_url": {"url": portrait_png()}, "role": "first_frame"}
    first = body(V25, ratio="16:9", duration=4)
    first["content"].append(image)
    forced = await task(mock, await create(mock, first))
    # The 16:9 asked is overridden by the image's own ratio, and the size follows [FIDELITY §5].
    assert forced["ratio"] == "9:16"
    on_2_0 = await task(mock, await create(mock, {**first, "model": V20}))
    assert on_2_0["ratio"] == "16:9"  # 2.0 honours the ratio asked
    reference = body(V25, ratio="16:9", duration=4)
    reference["content"].append({**image, "role": "reference_image"})
    for kind, expected in (("edit", "9:16"), ("extend", "9:16"), ("reference", "16:9"), (None, "16:9")):
        payload = {**reference, "omni_reference_task_type": kind}
        assert (await task(mock, await create(mock, payload)))["ratio"] == expected, kind
    # The predictions family: 2.5's image-to-video is a first-frame task too.
    status, answer = await submit(
        mock, V25, "image-to-video", {"prompt": "a kite", "image": portrait_png(), "aspect_ratio": "16:9"}
    )
    assert status == 200, answer
    done = await finished(mock, answer["data"]["id"])
    assert done["ratio"] == "9:16"
    assert contracts.frame_size(V25, done["resolution"], "9:16") == (720, 1280)
    _, result, _ = await mock.call("GET", f"/api/v3/predictions/{done['id']}/result")
    assert result["data"]["status"] == "completed"


# -- output_format mov ---------------------------------------------------------------------------------------


async def test_output_format_mov_serves_a_quicktime_movie(mock: Mock) -> None:
    import io

    import av

    asked = await finished(mock, await create(mock, body(V25, output_format="mov", resolution="480p", duration=4)))
    url = asked["content"]["video_url"].removeprefix(mock.origin)
    assert url.split("?")[0].endswith(".mov")
    status, _, headers = await mock.call("GET", url, key=None)
    assert status == 200 and headers["Content-Type"] == "video/quicktime"
    data = await (await mock.client.get(url)).read()
    assert data[4:12] == b"ftypqt  "  # QuickTime's brand, not an MP4's
    with av.open(io.BytesIO(data)) as container:
        assert container.metadata.get("major_brand") == "qt  "
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == 97
    # mp4 (asked or by default) stays an MP4 of the same pictures; the two are cached apart.
    plain = await finished(mock, await create(mock, body(V25, resolution="480p", duration=4)))
    plain_url = plain["content"]["video_url"].removeprefix(mock.origin)
    assert plain_url.split("?")[0].endswith(".mp4")
    status, _, headers = await mock.call("GET", plain_url, key=None)
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    # The signature covers the extension: the .mov name of an .mp4 task is not a URL we signed.
    forged = plain_url.replace(".mp4?", ".mov?")
    assert (await mock.call("GET", forged, key=None))[0] == 403
