"""Every example printed in the seeds (kept as fixtures) and in UPSTREAM.md conforms to its contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import contracts
from tests.contracts.contract_helpers import FIXTURES, SEEDS, needs_seed_documents

FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def test_there_is_a_fixture_for_every_printed_example() -> None:
    # Seed 002: create body, task response, text-command body. Seed 004: text-to-video body, envelope,
    # two image-to-video bodies, two reference-to-video bodies. Seeds 000, 001, 003 print tables only.
    assert len(FIXTURE_FILES) == 9
    assert {_load(p)["contract"] for p in FIXTURE_FILES} == {
        "ark.create_task.request",
        "ark.task",
        "predictions.text_to_video.request",
        "predictions.envelope",
        "predictions.image_to_video.request",
        "predictions.reference_to_video.request",
    }


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_seed_example_conforms(path: Path) -> None:
    fixture = _load(path)
    assert contracts.violations(fixture["contract"], fixture["instance"]) == []


@needs_seed_documents
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_is_copied_from_its_seed(path: Path) -> None:
    """Every string in a fixture, except what the note says was added, is printed in its seed."""
    seed_text = (SEEDS / _load(path)["seed"]).read_text("utf-8")
    fixture = _load(path)
    added = set(_strings(fixture.get("added", {})))
    for text in _strings(fixture["instance"]):
        if text not in added:
            assert text in seed_text, text


#: Examples printed in UPSTREAM.md (not in the seeds), with the contract each belongs to.
UPSTREAM_EXAMPLES = [
    ("ark.create_task.response", {"id": "cgt-20251225195352-ab12c"}),
    ("ark.delete_task.response", {}),
    ("ark.task_list", {"total": 0, "items": []}),
    (
        "ark.error",
        {
            "error": {
                "code": "InvalidParameter",
                "message": "The parameter `duration` specified in the request is not valid. Request ID: x",
                "param": "duration",
                "type": "BadRequest",
            }
        },
    ),
    (
        "gateway.error",
        {"error": {"message": "Invalid API key", "type": "invalid_request_error", "code": "invalid_api_key"}},
    ),
    ("gateway.error", {"error": {"message": "Insufficient balance", "type": "permission_error"}}),
    (
        "gateway.error",
        {
            "error": {
                "message": "Too many requests",
                "type": "rate_limit_error",
                "code": "rate_limit_exceeded",
            }
        },
    ),
    (
        "predictions.error",
        {
            "code": 400,
            "message": "bad duration",
            "data": None,
            "error": {
                "code": "InvalidParameter",
                "message": "bad",
                "param": "duration",
                "type": "BadRequest",
            },
        },
    ),
    ("ark.list_tasks.query", {}),
    (
        "ark.list_tasks.query",
        {
            "page_num": 1,
            "page_size": 20,
            "filter.status": "succeeded",
            "filter.model": "seedance-1-0-pro-250528",
            "filter.task_ids": ["cgt-20251225195352-ab12c", "cgt-20251225195352-ab12d"],
        },
    ),
]


@pytest.mark.parametrize(("name", "instance"), UPSTREAM_EXAMPLES)
def test_upstream_example_conforms(name: str, instance: Any) -> None:
    assert contracts.violations(name, instance) == []


def _task(**fields: Any) -> dict[str, Any]:
    return {
        "id": "cgt-20260101000000-ab12c",
        "model": "seedance-1-0-pro-250528",
        "created_at": 1766663633,
        "updated_at": 1766663715,
        **fields,
    }


#: Responses the mock emits in every state; they must conform as well [FIDELITY §2, §3].
STATES = [
    ("ark.task", _task(status="queued", content=None, error=None, usage=None)),
    ("ark.task", _task(status="running")),
    (
        "ark.task",
        _task(
            status="succeeded",
            error=None,
            seed=16108,
            resolution="1080p",
            ratio="adaptive",
            content={"video_url": "http://127.0.0.1/v.mp4", "last_frame_url": None},
            usage={"completion_tokens": 260100, "total_tokens": 260100},
            frames=None,
            duration=5,
            framespersecond=24,
            service_tier="default",
            execution_expires_after=172800,
            generate_audio=True,
            draft=False,
        ),
    ),
    (
        "ark.task",
        _task(
            status="failed",
            error={"code": "OutputVideoSensitiveContentDetected", "message": "The output video may contain"},
        ),
    ),
    ("ark.task", _task(status="expired")),
    ("ark.task", _task(status="cancelled")),
    ("ark.task_list", {"total": 1, "items": [_task(status="queued")]}),
    (
        "predictions.envelope",
        {
            "code": 200,
            "message": "success",
            "data": {
                "id": "cgt-20260101000000-ab12c",
                "model": "doubao-seedance-2-0-fast-260128",
                "outputs": ["http://127.0.0.1/v.mp4"],
                "urls": {"get": "http://127.0.0.1/api/v3/predictions/x/result"},
                "status": "completed",
                "error": None,
                "executionTime": 1234,
                "timings": {"inference": 1234},
                "has_nsfw_contents": [False],
                "created_at": "2026-01-01T00:00:00Z",
            },
        },
    ),
    (
        "predictions.envelope",
        {
            "code": 200,
            "message": "success",
            "data": {
                "id": "x",
                "model": "m",
                "outputs": [],
                "urls": {"get": "u"},
                "status": "failed",
                "error": "The output video may contain sensitive content",
            },
        },
    ),
]


@pytest.mark.parametrize(("name", "instance"), STATES)
def test_every_state_conforms(name: str, instance: Any) -> None:
    assert contracts.violations(name, instance) == []
