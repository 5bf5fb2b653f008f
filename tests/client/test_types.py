"""Typed results: both status vocabularies, the documented quirks, sizes from the seed table."""

from __future__ import annotations

import pytest

from client import Prediction, Task, TaskList, normalize_status

from .conftest import envelope, prediction_json, task_json


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("queued", "queued"), ("created", "queued"), ("running", "running"), ("processing", "running"),
        ("succeeded", "succeeded"), ("completed", "succeeded"), ("failed", "failed"), ("expired", "expired"),
        ("cancelled", "cancelled"), ("canceled", "cancelled"), ("COMPLETED", "succeeded"),
        ("warming_up", "warming_up"), (None, "unknown"),
    ],
)  # fmt: skip
def test_normalize_status(raw: str | None, normal: str) -> None:
    assert normalize_status(raw) == normal


@pytest.mark.parametrize(
    ("status", "terminal", "succeeded", "failed"),
    [
        ("queued", False, False, False), ("created", False, False, False),
        ("running", False, False, False), ("processing", False, False, False),
        ("succeeded", True, True, False), ("completed", True, True, False),
        ("failed", True, False, True), ("expired", True, False, True), ("cancelled", True, False, True),
        ("something-new", False, False, False),
    ],
)  # fmt: skip
def test_status_helpers_for_both_families(status: str, terminal: bool, succeeded: bool, failed: bool) -> None:
    for result in (
        Task.from_dict(task_json(status=status)),
        Prediction.from_dict(prediction_json(status=status)),
    ):
        assert (result.is_terminal, result.succeeded, result.failed) == (terminal, succeeded, failed)


def test_task_from_the_seed_example_with_string_seed_and_timestamps() -> None:
    # Seed 002's response, verbatim.
    task = Task.from_dict(
        {
            "id": "cgt-20251225195352-123",
            "model": "doubao-seedance-1-5-pro-251215",
            "status": "succeeded",
            "content": {"video_url": "https://example.com/video.mp4"},
            "usage": {"completion_tokens": 260100, "total_tokens": 260100},
            "seed": "16108",
            "resolution": "720p",
            "duration": 12,
            "ratio": "16:9",
            "created_at": "1766663633",
            "updated_at": "1766663715",
            "framespersecond": 24,
        }
    )
    assert task.seed == 16108
    assert (task.created_at, task.updated_at) == (1766663633, 1766663715)
    assert task.video_url == "https://example.com/video.mp4"
    assert task.usage is not None and task.usage.completion_tokens == 260100
    assert (task.width, task.height) == (1280, 720)
    assert task.succeeded and task.error is None


def test_size_uses_the_models_generation_table() -> None:
    assert Task.from_dict(task_json(model="seedance-1-0-pro-250528", resolution="720p", ratio="16:9")).size == (
        1248,
        704,
    )
    assert Task.from_dict(task_json(model="seedance-1-0-pro-250528", resolution="480p", ratio="21:9")).size == (
        960,
        416,
    )
    assert Task.from_dict(task_json(ratio="adaptive")).size is None
    assert Task.from_dict(task_json(model="unknown-model")).width is None
    assert Task.from_dict(task_json(resolution=None)).height is None


def test_failed_task_carries_its_error() -> None:
    task = Task.from_dict(
        task_json(status="failed", error={"code": "OutputVideoSensitiveContentDetected", "message": "refused"})
    )
    assert task.failed
    assert task.error is not None and task.error.code == "OutputVideoSensitiveContentDetected"
    assert str(task.error) == "OutputVideoSensitiveContentDetected: refused"


def test_task_tolerates_missing_and_odd_fields() -> None:
    task = Task.from_dict({"id": "cgt-x", "status": "running", "seed": "abc", "created_at": 1.0, "usage": "n/a"})
    assert (task.seed, task.created_at, task.usage, task.video_url) == (None, 1, None, None)


def test_prediction_from_the_seed_envelope() -> None:
    pred = Prediction.from_envelope(envelope(prediction_json("abc")))
    assert pred.id == "abc" and pred.status == "created" and pred.normalized_status == "queued"
    assert pred.result_url == "http://mock.test/api/v3/predictions/abc/result"
    assert pred.video_url is None
    done = Prediction.from_envelope(envelope(prediction_json("abc", "completed")))
    assert done.succeeded and done.video_url == "http://mock.test/media/abc.mp4"


def test_prediction_error_may_be_a_bare_message_and_urls_a_list() -> None:
    pred = Prediction.from_dict(
        prediction_json(status="failed", error="boom", urls=[{"get": "https://x/result"}], executionTime=12)
    )
    assert pred.error is not None and pred.error.message == "boom" and pred.error.code is None
    assert pred.result_url == "https://x/result"
    assert pred.execution_time == 12.0


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (
            "OutputVideoSensitiveContentDetected: The generated video may contain sensitive content.",
            "OutputVideoSensitiveContentDetected",
            "The generated video may contain sensitive content.",
        ),
        ("RateLimitExceeded.EndpointRPMExceeded: slow down", "RateLimitExceeded.EndpointRPMExceeded", "slow down"),
        ("InternalServiceError: line one\nline two", "InternalServiceError", "line one\nline two"),
        # Not a code: a sentence, a lowercase word, no space after the colon, nothing after it.
        ("Task expired: not finished within execution_expires_after (60 s).", None, None),
        ("Task cancelled.", None, None),
        ("boom: it broke", None, None),
        ("Code:message", None, None),
        ("Code: ", None, None),
    ],
)
def test_prediction_error_code_is_split_off_its_message(raw: str, code: str | None, message: str | None) -> None:
    # The mock and the predictions family write data.error as one "Code: message" string.
    error = Prediction.from_dict(prediction_json(status="failed", error=raw)).error
    assert error is not None
    assert (error.code, error.message) == (code, raw if message is None else message)
    assert str(error) == raw


def test_task_list() -> None:
    page = TaskList.from_dict({"total": "3", "items": [task_json("a"), task_json("b"), "junk"]})
    assert page.total == 3 and len(page) == 2
    assert [t.id for t in page] == ["a", "b"]
