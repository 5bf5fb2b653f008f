"""The Ark create contract refuses every body that breaks one rule, naming the field upstream would name.

Each case starts from a valid base body and breaks exactly one constraint of the seeds or UPSTREAM.md §2;
the base itself must conform, so a case fails only when its rule is missing or names the wrong field.
"""

from __future__ import annotations

from typing import Any

import pytest

import contracts
from tests.contracts.contract_helpers import (
    DELETE,
    FIRST,
    IMAGE,
    LAST,
    REF_AUDIO,
    REF_IMAGE,
    REF_VIDEO,
    TEXT,
    ark_body,
    changed,
)

NAME = "ark.create_task.request"
PRO = "seedance-1-0-pro-250528"  # takes text, first frame, first+last, frames, camera_fixed [FIDELITY §5]
V2 = "dreamina-seedance-2-0-260128"  # takes reference images, videos and audios [FIDELITY §5]

BASE = ark_body(PRO, "text")
REF = ark_body(V2, "reference")
PRO15 = "seedance-1-5-pro-251215"  # the one model with draft tasks [FIDELITY §5]
DRAFT_BASE = ark_body(PRO15, "text")


def _params(body: Any) -> list[str]:
    return [v.param for v in contracts.violations(NAME, body)]


@pytest.mark.parametrize("base", [BASE, REF, ark_body(PRO, "first_frame"), ark_body(PRO, "first_last_frame")])
def test_bases_conform(base: dict[str, Any]) -> None:
    assert contracts.violations(NAME, base) == []


# (case id, body, param the first violation must name, kind or None)
CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    # model / content [seed 000: both required]
    ("model missing", changed(BASE, model=DELETE), "model", "missing"),
    ("model not a string", changed(BASE, model=5), "model", None),
    ("model unknown", changed(BASE, model="seedance-9"), "model", None),
    ("model case differs", changed(BASE, model=PRO.upper()), "model", None),
    ("content missing", changed(BASE, content=DELETE), "content", "missing"),
    ("content empty", changed(BASE, content=[]), "content", None),
    ("content not an array", changed(BASE, content="a cat"), "content", None),
    ("content item not an object", changed(BASE, content=["a cat"]), "content[0]", None),
    # content items [seed 000 content table; FIDELITY §2]
    ("item type unknown", changed(BASE, content=[{"type": "video", "text": "x"}]), "content[0].type", None),
    ("item type missing", changed(BASE, content=[{"text": "x"}]), "content[0].type", "missing"),
    ("text item without text", changed(BASE, content=[{"type": "text"}]), "content[0].text", "missing"),
    ("text not a string", changed(BASE, content=[{"type": "text", "text": 5}]), "content[0].text", None),
    (
        "image without image_url",
        changed(BASE, content=[TEXT, {"type": "image_url"}]),
        "content[1].image_url",
        "missing",
    ),
    (
        "image_url without url",
        changed(BASE, content=[TEXT, {"type": "image_url", "image_url": {}}]),
        "content[1].image_url.url",
        "missing",
    ),
    (
        "image url not a string",
        changed(BASE, content=[TEXT, {"type": "image_url", "image_url": {"url": 1}}]),
        "content[1].image_url.url",
        None,
    ),
    (
        "image role unknown",
        changed(BASE, content=[TEXT, {**IMAGE, "role": "middle_frame"}]),
        "content[1].role",
        None,
    ),
    (
        "video without role",
        changed(REF, content=[TEXT, {k: v for k, v in REF_VIDEO.items() if k != "role"}]),
        "content[1].role",
        "missing",
    ),
    (
        "video role wrong",
        changed(REF, content=[TEXT, {**REF_VIDEO, "role": "reference_image"}]),
        "content[1].role",
        None,
    ),
    (
        "video without video_url",
        changed(REF, content=[TEXT, {"type": "video_url", "role": "reference_video"}]),
        "content[1].video_url",
        "missing",
    ),
    (
        "audio role wrong",
        changed(REF, content=[TEXT, REF_IMAGE, {**REF_AUDIO, "role": "reference_video"}]),
        "content[2].role",
        None,
    ),
    (
        "audio without audio_url",
        changed(REF, content=[TEXT, REF_IMAGE, {"type": "audio_url", "role": "reference_audio"}]),
        "content[2].audio_url",
        "missing",
    ),
    (
        "draft_task without id",
        changed(DRAFT_BASE, content=[{"type": "draft_task", "draft_task": {}}]),
        "content[0].draft_task.id",
        "missing",
    ),
    (
        "draft_task without draft_task",
        changed(DRAFT_BASE, content=[{"type": "draft_task"}]),
        "content[0].draft_task",
        "missing",
    ),
    # scenarios [seed 000: first frame, first+last, reference are mutually exclusive]
    ("two text items", changed(BASE, content=[TEXT, TEXT]), "content", None),
    ("two role-less images", changed(BASE, content=[TEXT, IMAGE, IMAGE]), "content", None),
    ("role-less image and first_frame", changed(BASE, content=[TEXT, IMAGE, FIRST]), "content", None),
    ("two first frames", changed(BASE, content=[TEXT, FIRST, FIRST]), "content", None),
    ("two last frames", changed(BASE, content=[TEXT, FIRST, LAST, LAST]), "content", None),
    ("last frame without first", changed(BASE, content=[TEXT, LAST]), "content", None),
    ("last frame with a role-less first", changed(BASE, content=[TEXT, IMAGE, LAST]), "content", None),
    ("reference image with first frame", changed(REF, content=[TEXT, REF_IMAGE, FIRST]), "content", None),
    ("reference image with role-less image", changed(REF, content=[TEXT, REF_IMAGE, IMAGE]), "content", None),
    (
        "reference video with last frame",
        changed(REF, content=[TEXT, FIRST, LAST, REF_VIDEO]),
        "content",
        None,
    ),
    ("reference audio alone", changed(REF, content=[TEXT, REF_AUDIO]), "content", None),
    # optional fields [seed 000 tables; FIDELITY §2]
    ("generate_audio not a bool", changed(BASE, generate_audio="true"), "generate_audio", None),
    ("resolution unknown", changed(BASE, resolution="2k"), "resolution", None),
    ("resolution without p", changed(BASE, resolution="720"), "resolution", None),
    ("ratio unknown", changed(BASE, ratio="2:1"), "ratio", None),
    ("duration not an int", changed(BASE, duration=5.5), "duration", None),
    ("duration a string", changed(BASE, duration="5"), "duration", None),
    ("duration a bool", changed(BASE, duration=True), "duration", None),
    ("frames below 29", changed(BASE, frames=25), "frames", None),
    ("frames above 289", changed(BASE, frames=293), "frames", None),
    ("frames not 25+4n", changed(BASE, frames=30), "frames", None),
    ("frames odd but not 25+4n", changed(BASE, frames=31), "frames", None),
    ("frames a bool", changed(BASE, frames=True), "frames", None),
    ("framespersecond not 24", changed(BASE, framespersecond=30), "framespersecond", None),
    ("framespersecond a bool", changed(BASE, framespersecond=True), "framespersecond", None),
    ("seed below -1", changed(BASE, seed=-2), "seed", None),
    ("seed above 2^32-1", changed(BASE, seed=4294967296), "seed", None),
    ("seed a string", changed(BASE, seed="1"), "seed", None),
    ("camerafixed not a bool", changed(BASE, camerafixed="true"), "camerafixed", None),
    ("camera_fixed not a bool", changed(BASE, camera_fixed=1), "camera_fixed", None),
    ("watermark not a bool", changed(BASE, watermark="false"), "watermark", None),
    ("callback_url not a string", changed(BASE, callback_url=5), "callback_url", None),
    ("return_last_frame not a bool", changed(BASE, return_last_frame="yes"), "return_last_frame", None),
    ("service_tier unknown", changed(BASE, service_tier="fast"), "service_tier", None),
    (
        "execution_expires_after too short",
        changed(BASE, execution_expires_after=3599),
        "execution_expires_after",
        None,
    ),
    (
        "execution_expires_after too long",
        changed(BASE, execution_expires_after=259201),
        "execution_expires_after",
        None,
    ),
    ("priority not an int", changed(BASE, priority="high"), "priority", None),
    ("draft not a bool", changed(BASE, draft="no"), "draft", None),
    ("tools not an array", changed(BASE, tools={"type": "web_search"}), "tools", None),
    ("tools item not an object", changed(BASE, tools=["web_search"]), "tools[0]", None),
    ("safety_identifier not a string", changed(BASE, safety_identifier=5), "safety_identifier", None),
    ("output_format not a string", changed(BASE, output_format=1), "output_format", None),
    (
        "omni_reference_task_type not a string",
        changed(BASE, omni_reference_task_type=[]),
        "omni_reference_task_type",
        None,
    ),
    ("unknown field", changed(BASE, fps=24), "fps", "unsupported"),
    ("predictions field on ark", changed(BASE, aspect_ratio="16:9"), "aspect_ratio", "unsupported"),
]


@pytest.mark.parametrize(("body", "param", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_naming_the_field(body: dict[str, Any], param: str, kind: str | None) -> None:
    found = contracts.violations(NAME, body)
    assert found, "accepted a body that breaks the rule"
    assert found[0].param == param, found
    if kind is not None:
        assert found[0].kind == kind, found


def test_body_must_be_an_object() -> None:
    assert contracts.violations(NAME, [BASE])


# Null means absent: the official Ark SDK sends every unset option as null [FIDELITY §2].
OPTIONAL = [
    "generate_audio", "resolution", "ratio", "duration", "frames", "framespersecond", "seed", "camerafixed",
    "camera_fixed", "watermark", "callback_url", "return_last_frame", "service_tier",
    "execution_expires_after", "priority", "draft", "tools", "safety_identifier",
    # sent as null by every call of the official SDKs' create() [sdk]
    "output_format", "omni_reference_task_type",
]  # fmt: skip


def test_optional_fields_are_exactly_the_upstream_list() -> None:
    props = set(contracts.schema(NAME)["properties"])
    assert props == {"model", "content", *OPTIONAL}


@pytest.mark.parametrize("field", OPTIONAL)
def test_null_means_absent(field: str) -> None:
    for model in contracts.all_models():
        scenario = model.scenarios[0]
        body = ark_body(model.id, scenario, **{field: None})
        assert contracts.violations(NAME, body) == [], (model.id, field)


def test_null_role_is_a_role_less_image() -> None:
    assert contracts.is_valid(NAME, changed(BASE, content=[TEXT, {**IMAGE, "role": None}]))


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    (
        "every optional field set",
        changed(
            BASE,
            generate_audio=False,
            resolution="480p",
            ratio="adaptive",
            duration=12,
            frames=289,
            framespersecond=24,
            seed=4294967295,
            camerafixed=True,
            camera_fixed=False,
            watermark=True,
            callback_url="https://example.com/cb",
            return_last_frame=True,
            service_tier="default",
            execution_expires_after=3600,
            priority=0,
            tools=[{"type": "web_search"}],
            safety_identifier="user-1",
        ),
    ),
    ("frames 29 (25+4)", changed(BASE, frames=29)),
    ("seed -1", changed(BASE, seed=-1)),
    ("duration 5.0 is an integer in JSON Schema", changed(BASE, duration=5.0)),
    ("execution_expires_after max", changed(BASE, execution_expires_after=259200)),
    ("image only, no text", changed(BASE, content=[FIRST])),
    ("text after the image", changed(BASE, content=[IMAGE, TEXT])),
    ("last frame first in the list", changed(BASE, content=[LAST, TEXT, FIRST])),
    ("reference image + video + audio", changed(REF, content=[TEXT, REF_IMAGE, REF_VIDEO, REF_AUDIO])),
    ("reference video + audio, no image", changed(REF, content=[TEXT, REF_VIDEO, REF_AUDIO])),
    (
        "draft task",
        changed(
            BASE,
            model="seedance-1-5-pro-251215",
            content=[{"type": "draft_task", "draft_task": {"id": "cgt-20260101000000-ab12c"}}],
        ),
    ),
    (
        "data URI image",
        changed(
            BASE,
            content=[TEXT, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}],
        ),
    ),
]


@pytest.mark.parametrize("body", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted(body: dict[str, Any]) -> None:
    assert contracts.violations(NAME, body) == []


def test_the_official_sdk_body_conforms() -> None:
    """Exactly what volcengine-python-sdk's tasks.create(model=…, content=…) puts on the wire [sdk]."""
    sdk_body = {"model": PRO, "content": [TEXT], **dict.fromkeys(OPTIONAL)}
    del sdk_body["framespersecond"], sdk_body["camerafixed"]  # not SDK arguments: seed-only spellings
    assert contracts.violations(NAME, sdk_body) == []


def test_an_unknown_field_sent_as_null_means_absent() -> None:
    # A newer SDK sends options this contract does not know, as null when unset [FIDELITY §2].
    import contracts

    body = {"model": "dreamina-seedance-2-0-260128", "content": [{"type": "text", "text": "x"}]}
    assert contracts.is_valid("ark.create_task.request", {**body, "some_future_option": None})
    (violation, *_) = contracts.violations("ark.create_task.request", {**body, "some_future_option": 1})
    assert (violation.param, violation.kind) == ("some_future_option", "unsupported")


def test_each_missing_field_is_named_once() -> None:
    import contracts

    found = contracts.violations("ark.create_task.request", {})
    assert sorted((v.param, v.kind) for v in found) == [("content", "missing"), ("model", "missing")]
