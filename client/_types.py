"""Typed results: :class:`Task` (an Ark task), :class:`Prediction` (predictions ``data``), :class:`TaskList`.

Both status vocabularies are understood: Ark's ``queued → running → succeeded | failed | expired |
cancelled`` and the predictions family's ``created → processing → completed | failed`` [FIDELITY §2, §3].
Parsing is tolerant of the documented quirks (seed and timestamps as strings, seed 002).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import contracts
from contracts.endpoints import PREDICTION_STATUS, statuses
from contracts.endpoints import TERMINAL_STATUSES as CONTRACT_TERMINAL

__all__ = [
    "FAILED_STATUSES",
    "TERMINAL_STATUSES",
    "ErrorInfo",
    "Prediction",
    "Task",
    "TaskList",
    "Usage",
    "normalize_status",
]

_ARK_WORDS = statuses("ark.task")
# The predictions family's own words (those Ark does not use) -> the Ark word each stands for, from the endpoint
# table's one map: created → queued, processing → running, completed → succeeded [seed 004; FIDELITY §3].
_PREDICTION_WORDS = {word: ark for ark, word in PREDICTION_STATUS.items() if word not in _ARK_WORDS}
# Every word either contract uses -> the Ark word; then spellings no contract lists but other gateways and SDKs
# answer in. Unknown words pass through and count as still running, as the official wavespeed SDK does
# [FIDELITY §3].
_STATUS_ALIASES = {
    **{word: word for word in _ARK_WORDS},
    **_PREDICTION_WORDS,
    "pending": "queued",
    "in_progress": "running",
    "success": "succeeded",
    "error": "failed",
    "canceled": "cancelled",
}

#: Normalized statuses after which a task never changes again (Ark's words of the contracts' terminal set).
TERMINAL_STATUSES = frozenset(_ARK_WORDS) & CONTRACT_TERMINAL
#: Terminal statuses that are not a success.
FAILED_STATUSES = TERMINAL_STATUSES - {"succeeded"}


def normalize_status(status: str | None) -> str:
    """The Ark word for ``status`` in either vocabulary (``completed`` → ``succeeded``…); unknown passes."""
    if not status:
        return "unknown"
    return _STATUS_ALIASES.get(status.strip().lower(), status.strip().lower())


def _int(value: Any) -> int | None:
    """An int from an int or a numeric string (``"16108"``, ``"1766663633"``); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                as_float = float(value.strip())
            except ValueError:
                return None
            return int(as_float) if as_float.is_integer() else None
    return None


def _identity(data: dict[str, Any]) -> dict[str, Any]:
    """The fields a Task and a Prediction read alike: id, status, model and the raw object."""
    return {
        "id": str(data.get("id", "")),
        "status": str(data.get("status") or "unknown"),
        "model": data.get("model"),
        "raw": dict(data),
    }


def _str(value: Any) -> str | None:
    """``value`` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


# A predictions ``data.error`` is one string, "Code: message" when upstream gave a code
# ("OutputVideoSensitiveContentDetected: The generated video…") and a plain sentence otherwise.
_CODED_MESSAGE = re.compile(r"([A-Z][A-Za-z0-9.]+): (.+)", re.DOTALL)


@dataclass(frozen=True)
class ErrorInfo:
    """Why a task failed: upstream's ``{code, message}`` (a predictions error may be a bare message)."""

    code: str | None
    message: str | None

    @classmethod
    def parse(cls, raw: Any, *, split_code: bool = False) -> ErrorInfo | None:
        """From ``{code, message}``, a bare string, or None/empty (no error).

        With ``split_code`` (the predictions family), a string that starts with an upstream-looking code,
        ``"Code: message"``, is split into the two; any other string stays a bare message.
        """
        if raw is None or raw == "" or raw == {}:
            return None
        if isinstance(raw, dict):
            code = raw.get("code")
            message = raw.get("message")
            return cls(None if code is None else str(code), None if message is None else str(message))
        text = str(raw)
        found = _CODED_MESSAGE.fullmatch(text) if split_code else None
        if found is not None:
            return cls(found.group(1), found.group(2))
        return cls(None, text)

    def __str__(self) -> str:
        if self.code and self.message:
            return f"{self.code}: {self.message}"
        return self.code or self.message or "unknown error"


@dataclass(frozen=True)
class Usage:
    """Tokens billed for a task."""

    completion_tokens: int | None
    total_tokens: int | None


@dataclass(frozen=True)
class _Record:
    """What a Task and a Prediction both are: an id, a status in either vocabulary, a model, the raw object."""

    id: str
    status: str
    model: str | None = None
    #: The object as the API answered it (keyword-only, so it stands last in either constructor).
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)

    def __str__(self) -> str:
        """The id, so a Task or Prediction stands wherever a task id string did (``f"{task}"``)."""
        return self.id

    @property
    def normalized_status(self) -> str:
        """``status`` in Ark's words: queued, running, succeeded, failed, expired or cancelled."""
        return normalize_status(self.status)

    @property
    def is_terminal(self) -> bool:
        """True once the status can no longer change."""
        return self.normalized_status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        """True when the video is ready."""
        return self.normalized_status == "succeeded"

    @property
    def failed(self) -> bool:
        """True when the task ended without a video (failed, expired or cancelled)."""
        return self.normalized_status in FAILED_STATUSES


@dataclass(frozen=True)
class Task(_Record):
    """An Ark content-generation task, as the task endpoint (``ark.get`` in ``contracts.endpoints``) answers it."""

    video_url: str | None = None
    last_frame_url: str | None = None
    error: ErrorInfo | None = None
    usage: Usage | None = None
    seed: int | None = None
    resolution: str | None = None
    ratio: str | None = None
    duration: int | None = None
    frames: int | None = None
    framespersecond: int | None = None
    generate_audio: bool | None = None
    service_tier: str | None = None
    execution_expires_after: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    #: Beyond the seeds [FIDELITY §5]: 2.x priority, 2.5's output format, the echoed safety identifier,
    #: a 1.5 pro draft and the draft a final was made from.
    priority: int | None = None
    output_format: str | None = None
    safety_identifier: str | None = None
    draft: bool | None = None
    draft_task_id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        """Parse a task object, tolerating string seeds and timestamps (seed 002's example)."""
        content = data.get("content")
        content = content if isinstance(content, dict) else {}
        usage = data.get("usage")
        audio = data.get("generate_audio")
        return cls(
            **_identity(data),
            video_url=content.get("video_url"),
            last_frame_url=content.get("last_frame_url"),
            error=ErrorInfo.parse(data.get("error")),
            usage=(
                Usage(_int(usage.get("completion_tokens")), _int(usage.get("total_tokens")))
                if isinstance(usage, dict)
                else None
            ),
            seed=_int(data.get("seed")),
            resolution=data.get("resolution"),
            ratio=data.get("ratio"),
            duration=_int(data.get("duration")),
            frames=_int(data.get("frames")),
            framespersecond=_int(data.get("framespersecond")),
            generate_audio=audio if isinstance(audio, bool) else None,
            service_tier=data.get("service_tier"),
            execution_expires_after=_int(data.get("execution_expires_after")),
            created_at=_int(data.get("created_at")),
            updated_at=_int(data.get("updated_at")),
            priority=_int(data.get("priority")),
            output_format=_str(data.get("output_format")),
            safety_identifier=_str(data.get("safety_identifier")),
            draft=data["draft"] if isinstance(data.get("draft"), bool) else None,
            draft_task_id=_str(data.get("draft_task_id")),
        )

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) from the seed's table, when model, resolution and a concrete ratio are known."""
        if not (self.model and self.resolution and self.ratio):
            return None
        model = contracts.lookup_model(self.model)
        if model is None:
            return None
        try:
            return contracts.frame_size(model, self.resolution, self.ratio)
        except (KeyError, AttributeError):
            return None  # e.g. ratio "adaptive" or a resolution outside the table

    @property
    def width(self) -> int | None:
        """Output width in pixels, when known."""
        size = self.size
        return size[0] if size else None

    @property
    def height(self) -> int | None:
        """Output height in pixels, when known."""
        size = self.size
        return size[1] if size else None


@dataclass(frozen=True)
class Prediction(_Record):
    """A predictions-family result: the ``data`` of ``{"code", "message", "data": {...}}``."""

    outputs: tuple[str, ...] = ()
    error: ErrorInfo | None = None
    result_url: str | None = None
    has_nsfw_contents: tuple[bool, ...] = ()
    execution_time: float | None = None
    created_at: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prediction:
        """Parse the envelope's ``data`` object."""
        urls = data.get("urls")
        if isinstance(urls, dict):
            result_url = urls.get("get")
        elif isinstance(urls, list) and urls and isinstance(urls[0], dict):
            result_url = urls[0].get("get")  # the seed's prose says data.urls[0].get
        else:
            result_url = None
        outputs = data.get("outputs") or []
        nsfw = data.get("has_nsfw_contents") or []
        exec_time = data.get("executionTime")
        created = data.get("created_at")
        return cls(
            **_identity(data),
            outputs=tuple(str(o) for o in outputs if o) if isinstance(outputs, list) else (),
            error=ErrorInfo.parse(data.get("error"), split_code=True),
            result_url=result_url,
            has_nsfw_contents=tuple(bool(x) for x in nsfw) if isinstance(nsfw, list) else (),
            execution_time=float(exec_time) if isinstance(exec_time, int | float) else None,
            created_at=None if created is None else str(created),
        )

    @classmethod
    def from_envelope(cls, body: dict[str, Any]) -> Prediction:
        """Parse ``{"code", "message", "data": {...}}`` (a bare data object is accepted too)."""
        data = body.get("data")
        return cls.from_dict(data if isinstance(data, dict) else body)

    @property
    def video_url(self) -> str | None:
        """The first output URL, once there is one."""
        return self.outputs[0] if self.outputs else None


@dataclass(frozen=True)
class TaskList:
    """One page of the task list (``ark.list``): the matching ``total`` and this page's ``items``."""

    total: int
    items: tuple[Task, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskList:
        """Parse ``{"total", "items"}``."""
        items = data.get("items") or []
        return cls(
            total=_int(data.get("total")) or 0,
            items=tuple(Task.from_dict(i) for i in items if isinstance(i, dict)),
        )

    def __iter__(self) -> Iterator[Task]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
