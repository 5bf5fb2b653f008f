"""Shared bodies for the contract tests (imported by the test modules beside it; not a conftest, so the
name cannot clash with another package's helpers)."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

# The shared spec folder sits beside the checkout (../shared/spec/seeds); SEEDANCE_SEEDS overrides.
SEEDS = Path(os.environ.get("SEEDANCE_SEEDS", Path(__file__).resolve().parents[3] / "shared" / "spec" / "seeds"))
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"

DELETE = object()  # a change that removes the field

TEXT = {"type": "text", "text": "A girl holding a fox, golden sunset light"}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/first.png"}}
FIRST = {**IMAGE, "role": "first_frame"}
LAST = {"type": "image_url", "image_url": {"url": "https://example.com/last.png"}, "role": "last_frame"}
REF_IMAGE = {
    "type": "image_url",
    "image_url": {"url": "https://example.com/ref.png"},
    "role": "reference_image",
}
REF_VIDEO = {
    "type": "video_url",
    "video_url": {"url": "https://example.com/ref.mp4"},
    "role": "reference_video",
}
REF_AUDIO = {
    "type": "audio_url",
    "audio_url": {"url": "https://example.com/ref.mp3"},
    "role": "reference_audio",
}

#: The content of each scenario's smallest valid body [seed 000 "Video Generation Scenarios"].
SCENARIO_CONTENT: dict[str, list[dict[str, Any]]] = {
    "text": [TEXT],
    "first_frame": [TEXT, FIRST],
    "first_last_frame": [TEXT, FIRST, LAST],
    "reference": [TEXT, REF_IMAGE],
}


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with top-level ``changes`` applied (``DELETE`` removes a field)."""
    body = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DELETE:
            body.pop(key, None)
        else:
            body[key] = copy.deepcopy(value)
    return body


def ark_body(model: str, scenario: str = "text", **changes: Any) -> dict[str, Any]:
    """A valid Ark create body for ``model`` in ``scenario``, then ``changes``."""
    return changed({"model": model, "content": SCENARIO_CONTENT[scenario]}, **changes)


#: Marks a test that reads the seed documents themselves; where they are absent it is deselected with one
#: line saying why (tests/conftest.py), never skipped silently. Every fact the other tests check is in FIXTURES.
needs_seed_documents = pytest.mark.seed_documents
