"""Response contracts flag real drift: each case breaks one rule of FIDELITY §1-§3 and must be refused."""

from __future__ import annotations

from typing import Any

import pytest

import contracts
from tests.contracts.contract_helpers import DELETE, changed

TASK = {
    "id": "cgt-20251225195352-ab12c",
    "model": "seedance-1-5-pro-251215",
    "status": "succeeded",
    "error": None,
    "content": {"video_url": "https://example.com/video.mp4", "last_frame_url": None},
    "usage": {"completion_tokens": 260100, "total_tokens": 260100},
    "seed": 16108,
    "resolution": "720p",
    "ratio": "16:9",
    "duration": 12,
    "framespersecond": 24,
    "created_at": 1766663633,
    "updated_at": 1766663715,
}
DATA = {
    "id": "cgt-20251225195352-ab12c",
    "model": "doubao-seedance-2-0-fast-260128",
    "outputs": [],
    "urls": {"get": "https://gptproto.com/api/v3/predictions/cgt-20251225195352-ab12c/result"},
    "status": "created",
    "error": None,
    "executionTime": 0,
    "timings": {"inference": 0},
    "has_nsfw_contents": [],
    "created_at": "2026-01-01 00:00:00",
}
ENVELOPE = {"code": 200, "message": "success", "data": DATA}
ARK_ERROR = {"error": {"code": "InvalidParameter", "message": "m", "param": "duration", "type": "BadRequest"}}
GATEWAY_ERROR = {"error": {"message": "m", "type": "invalid_request_error", "code": "invalid_api_key"}}
PRED_ERROR = {"code": 400, "message": "m", "data": None, "error": ARK_ERROR["error"]}
QUERY = {"page_num": 1, "page_size": 20}

BASES: dict[str, Any] = {
    "ark.create_task.response": {"id": "cgt-20251225195352-ab12c"},
    "ark.task": TASK,
    "ark.task_list": {"total": 1, "items": [TASK]},
    "ark.delete_task.response": {},
    "ark.error": ARK_ERROR,
    "gateway.error": GATEWAY_ERROR,
    "predictions.envelope": ENVELOPE,
    "predictions.error": PRED_ERROR,
    "ark.list_tasks.query": QUERY,
}


@pytest.mark.parametrize("name", BASES)
def test_bases_conform(name: str) -> None:
    assert contracts.violations(name, BASES[name]) == []


def test_responses_tolerate_extra_properties() -> None:
    # The live suite should flag real drift only: upstream may add fields [brief].
    for name in (
        "ark.create_task.response",
        "ark.task",
        "ark.task_list",
        "ark.error",
        "gateway.error",
        "predictions.envelope",
    ):
        assert contracts.is_valid(name, {**BASES[name], "x_new_field": 1}), name


def _data(**changes: Any) -> dict[str, Any]:
    return changed(ENVELOPE, data=changed(DATA, **changes))


CASES: list[tuple[str, str, Any, str]] = [
    ("ark.create_task.response", "id missing", {}, "id"),
    ("ark.create_task.response", "id not cgt-", {"id": "task-20251225195352-ab12c"}, "id"),
    ("ark.create_task.response", "id timestamp short", {"id": "cgt-2025122519535-ab12c"}, "id"),
    ("ark.task", "id missing", changed(TASK, id=DELETE), "id"),
    ("ark.task", "model missing", changed(TASK, model=DELETE), "model"),
    ("ark.task", "status unknown", changed(TASK, status="done"), "status"),
    ("ark.task", "created_at not numeric", changed(TASK, created_at="yesterday"), "created_at"),
    ("ark.task", "updated_at missing", changed(TASK, updated_at=DELETE), "updated_at"),
    ("ark.task", "seed not numeric", changed(TASK, seed="abc"), "seed"),
    ("ark.task", "error a string", changed(TASK, status="failed", error="boom"), "error"),
    ("ark.task", "error without code", changed(TASK, status="failed", error={"message": "m"}), "error.code"),
    ("ark.task", "failed without error", changed(TASK, status="failed", error=DELETE), "error"),
    ("ark.task", "failed with null error", changed(TASK, status="failed", error=None), "error"),
    ("ark.task", "succeeded without content", changed(TASK, content=DELETE), "content"),
    (
        "ark.task",
        "succeeded without video_url",
        changed(TASK, content={"last_frame_url": None}),
        "content.video_url",
    ),
    ("ark.task", "usage without total", changed(TASK, usage={"completion_tokens": 1}), "usage.total_tokens"),
    (
        "ark.task",
        "usage a float",
        changed(TASK, usage={"completion_tokens": 1.5, "total_tokens": 2}),
        "usage.completion_tokens",
    ),
    ("ark.task", "resolution unknown", changed(TASK, resolution="2k"), "resolution"),
    ("ark.task", "ratio unknown", changed(TASK, ratio="2:1"), "ratio"),
    ("ark.task", "duration a string", changed(TASK, duration="12"), "duration"),
    ("ark.task_list", "total missing", {"items": []}, "total"),
    ("ark.task_list", "items missing", {"total": 0}, "items"),
    ("ark.task_list", "items not an array", {"total": 0, "items": {}}, "items"),
    (
        "ark.task_list",
        "bad task inside",
        {"total": 1, "items": [changed(TASK, status="done")]},
        "items[0].status",
    ),
    ("ark.delete_task.response", "empty body (null)", None, ""),
    ("ark.delete_task.response", "array", [], ""),
    ("ark.error", "error missing", {}, "error"),
    ("ark.error", "code missing", {"error": {"message": "m", "type": "BadRequest"}}, "error.code"),
    ("ark.error", "type missing", {"error": {"code": "c", "message": "m"}}, "error.type"),
    (
        "ark.error",
        "param not a string",
        changed(ARK_ERROR, error={**ARK_ERROR["error"], "param": 1}),
        "error.param",
    ),
    ("gateway.error", "message missing", {"error": {"type": "t"}}, "error.message"),
    ("gateway.error", "type missing", {"error": {"message": "m"}}, "error.type"),
    ("predictions.error", "data not null", changed(PRED_ERROR, data={}), "data"),
    ("predictions.error", "code not an HTTP error", changed(PRED_ERROR, code=200), "code"),
    ("predictions.error", "error missing", changed(PRED_ERROR, error=DELETE), "error"),
    ("predictions.envelope", "data missing", changed(ENVELOPE, data=DELETE), "data"),
    ("predictions.envelope", "code a string", changed(ENVELOPE, code="200"), "code"),
    ("predictions.envelope", "status unknown", _data(status="done"), "data.status"),
    ("predictions.envelope", "id missing", _data(id=DELETE), "data.id"),
    ("predictions.envelope", "urls.get missing", _data(urls={}), "data.urls.get"),
    ("predictions.envelope", "urls a list [seed text says urls[0]]", _data(urls=[{"get": "u"}]), "data.urls"),
    ("predictions.envelope", "outputs not strings", _data(outputs=[1]), "data.outputs[0]"),
    ("predictions.envelope", "error an object", _data(status="failed", error={"message": "m"}), "data.error"),
    ("predictions.envelope", "failed without error", _data(status="failed"), "data.error"),
    ("predictions.envelope", "completed without outputs", _data(status="completed"), "data.outputs"),
    ("ark.list_tasks.query", "page_size 0", {"page_size": 0}, "page_size"),
    ("ark.list_tasks.query", "page_size 501", {"page_size": 501}, "page_size"),
    ("ark.list_tasks.query", "page_num 0", {"page_num": 0}, "page_num"),
    ("ark.list_tasks.query", "page_num a string", {"page_num": "1"}, "page_num"),
    ("ark.list_tasks.query", "status unknown", {"filter.status": "done"}, "filter.status"),
    ("ark.list_tasks.query", "task_ids not a list", {"filter.task_ids": "a"}, "filter.task_ids"),
    ("ark.list_tasks.query", "unknown key", {"filter.foo": "a"}, "filter.foo"),
]


@pytest.mark.parametrize(
    ("name", "instance", "param"), [(c[0], c[2], c[3]) for c in CASES], ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_refused_naming_the_field(name: str, instance: Any, param: str) -> None:
    found = contracts.violations(name, instance)
    assert found, "accepted a response that breaks the rule"
    assert param in {v.param for v in found}, found


@pytest.mark.parametrize(
    "status", ["created", "processing", "completed", "failed", "queued", "running", "succeeded", "expired"]
)
def test_envelope_accepts_both_status_vocabularies(status: str) -> None:
    # FIDELITY §3 [decision]: the mock emits created/processing/completed/failed; accept the Ark set too.
    data = {"status": status, "outputs": ["https://example.com/v.mp4"]}
    if status == "failed":
        data["error"] = "boom"
    assert contracts.violations("predictions.envelope", _data(**data)) == []


@pytest.mark.parametrize("status", ["queued", "running", "succeeded", "failed", "expired", "cancelled"])
def test_task_accepts_every_status(status: str) -> None:
    task = changed(TASK, status=status)
    if status == "failed":
        task["error"] = {"code": "OutputVideoSensitiveContentDetected", "message": "m"}
    assert contracts.violations("ark.task", task) == []
