"""Per-model rules (FIDELITY §5, generated into model-rules.json) refuse what each model does not take.

The cases are derived from the capability data, so every model is checked against its own row; a few
literal cases pin the facts the seeds state outright.
"""

from __future__ import annotations

from typing import Any

import pytest

import contracts
from contracts import Model
from tests.contracts.contract_helpers import (
    FIRST,
    REF_AUDIO,
    REF_IMAGE,
    REF_VIDEO,
    SCENARIO_CONTENT,
    TEXT,
    ark_body,
)

ARK = "ark.create_task.request"
# Models beyond the seeds' examples [FIDELITY §5].
V20, FAST, MINI, V25 = (
    "dreamina-seedance-2-0-260128", "dreamina-seedance-2-0-fast-260128",
    "dreamina-seedance-2-0-mini-260615", "dreamina-seedance-2-5-260628",
)  # fmt: skip
PRO10, PRO15 = "seedance-1-0-pro-250528", "seedance-1-5-pro-251215"
DRAFT_TASK = [{"type": "draft_task", "draft_task": {"id": "cgt-1"}}]
MODELS = contracts.all_models()
ALL_SCENARIOS = ("text", "first_frame", "first_last_frame", "reference")
RESOLUTIONS = ("480p", "720p", "1080p")


def _ids(model: Model) -> str:
    return model.id


def _first(body: Any) -> contracts.Violation | None:
    found = contracts.violations(ARK, body)
    return found[0] if found else None


def _base(model: Model, **changes: Any) -> dict[str, Any]:
    return ark_body(model.id, model.scenarios[0], **changes)


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_every_name_of_the_model_is_accepted(model: Model) -> None:
    for name in model.names:
        assert contracts.violations(ARK, {**_base(model), "model": name}) == []


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_duration_range(model: Model) -> None:
    low, high = model.duration
    assert contracts.is_valid(ARK, _base(model, duration=low))
    assert contracts.is_valid(ARK, _base(model, duration=high))
    for bad in (low - 1, high + 1):
        found = _first(_base(model, duration=bad))
        assert found is not None and found.param == "duration", (bad, found)


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_resolutions(model: Model) -> None:
    for scenario in model.scenarios:
        allowed = model.resolutions_for(scenario)
        for res in RESOLUTIONS:
            found = _first(ark_body(model.id, scenario, resolution=res))
            if res in allowed:
                assert found is None, (scenario, res, found)
            else:
                assert found is not None and found.param == "resolution", (scenario, res, found)


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_frames(model: Model) -> None:
    found = _first(_base(model, frames=121))
    if model.frames:
        assert found is None
    else:
        assert found is not None and (found.param, found.kind) == ("frames", "unsupported"), found


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_scenarios(model: Model) -> None:
    for scenario in ALL_SCENARIOS:
        found = _first(ark_body(model.id, scenario))
        if scenario in model.scenarios:
            assert found is None, (scenario, found)
        else:
            assert found is not None and found.param == "content", (scenario, found)


@pytest.mark.parametrize("model", [m for m in MODELS if m.reference], ids=_ids)
def test_reference_limits(model: Model) -> None:
    limits = model.reference
    assert limits is not None
    low, high = limits["images"]

    def body(images: int, videos: int = 0, audios: int = 0) -> dict[str, Any]:
        content = [TEXT] + [REF_IMAGE] * images + [REF_VIDEO] * videos + [REF_AUDIO] * audios
        return {"model": model.id, "content": content}

    assert contracts.is_valid(ARK, body(max(low, 1)))
    assert contracts.is_valid(ARK, body(high))
    checks = [body(high + 1)]
    if low > 1:
        checks.append(body(low - 1))
    checks.append(body(1, videos=limits["videos"] + 1))
    checks.append(body(1, audios=limits["audios"] + 1))
    for refused in checks:
        found = _first(refused)
        assert found is not None and found.param == "content", (refused, found)
    if limits["videos"]:
        assert contracts.is_valid(ARK, body(1, videos=limits["videos"], audios=limits["audios"]))


@pytest.mark.parametrize("spelling", ["camera_fixed", "camerafixed"])
@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_camera_fixed(model: Model, spelling: str) -> None:
    for scenario in model.scenarios:
        if model.camera_fixed == "no":
            # 2.x: even false is refused, worded as upstream [FIDELITY §5].
            found = _first(ark_body(model.id, scenario, **{spelling: False}))
            assert found is not None and found.param == spelling and found.kind == "unsupported", found
            assert "must be empty" in found.message
        else:
            assert contracts.is_valid(ARK, ark_body(model.id, scenario, **{spelling: False}))
        found = _first(ark_body(model.id, scenario, **{spelling: True}))
        if model.camera_fixed_allowed(True, scenario):
            assert found is None, (scenario, found)
        else:
            assert found is not None and found.param == spelling, (scenario, found)


# The facts the seeds and FIDELITY §5 state outright, as literal cases.
LITERAL: list[tuple[str, dict[str, Any], str]] = [
    (
        "2.0 fast refuses 1080p [seed]",
        ark_body("dreamina-seedance-2-0-fast-260128", "text", resolution="1080p"),
        "resolution",
    ),
    (
        "1.0 lite refuses 1080p with reference images [seed]",
        ark_body("seedance-1-0-lite-i2v-250428", "reference", resolution="1080p"),
        "resolution",
    ),
    (
        "1.0 lite t2v refuses any image",
        ark_body("seedance-1-0-lite-t2v-250428", "text", content=[TEXT, FIRST]),
        "content",
    ),
    (
        "1.0 lite i2v needs an image",
        ark_body("seedance-1-0-lite-i2v-250428", "first_frame", content=[TEXT]),
        "content",
    ),
    (
        "1.0 pro fast refuses a last frame",
        ark_body("seedance-1-0-pro-fast-251015", "first_last_frame"),
        "content",
    ),
    ("1.5 pro refuses reference images", ark_body("seedance-1-5-pro-251215", "reference"), "content"),
    (
        "1.0 pro refuses reference video",
        ark_body("seedance-1-0-pro-250528", "text", content=[TEXT, REF_VIDEO]),
        "content",
    ),
    ("1.5 pro refuses frames", ark_body("seedance-1-5-pro-251215", "text", frames=121), "frames"),
    ("1.5 pro duration is 4-12", ark_body("seedance-1-5-pro-251215", "text", duration=3), "duration"),
    ("1.0 pro duration is 2-12 [seed]", ark_body("seedance-1-0-pro-250528", "text", duration=13), "duration"),
    ("2.0 duration is 4-15", ark_body("dreamina-seedance-2-0-260128", "text", duration=16), "duration"),
    (
        "1.0 lite i2v: no camera_fixed with reference",
        ark_body("seedance-1-0-lite-i2v-250428", "reference", camera_fixed=True),
        "camera_fixed",
    ),
    (
        "1.0 lite i2v takes no reference video",
        ark_body("seedance-1-0-lite-i2v-250428", "reference", content=[TEXT, REF_IMAGE, REF_VIDEO]),
        "content",
    ),
    (
        "2.0 takes at most 9 reference images",
        ark_body("dreamina-seedance-2-0-260128", "reference", content=[TEXT, *[REF_IMAGE] * 10]),
        "content",
    ),
    # Beyond the seeds [FIDELITY §5].
    ("2.0 mini refuses 1080p", ark_body(MINI, "text", resolution="1080p"), "resolution"),
    ("2.0 fast refuses 4k", ark_body(FAST, "text", resolution="4K"), "resolution"),
    ("2.5 refuses 4k", ark_body(V25, "text", resolution="4k"), "resolution"),
    ("2.5 duration is 4-30", ark_body(V25, "text", duration=31), "duration"),
    ("1.0 takes no duration -1", ark_body(PRO10, "text", duration=-1), "duration"),
    ("2.5 takes no seed", ark_body(V25, "text", seed=1), "seed"),
    ("2.0 takes no service_tier", ark_body(V20, "text", service_tier="default"), "service_tier"),
    ("1.0 takes no draft", ark_body(PRO10, "text", draft=False), "draft"),
    ("1.5 pro takes no priority", ark_body(PRO15, "text", priority=1), "priority"),
    ("priority is 0-9", ark_body(V20, "text", priority=10), "priority"),
    ("flex takes no priority", ark_body(PRO10, "text", service_tier="flex", priority=1), "priority"),
    ("1.x expires_after >= 3600", ark_body(PRO15, "text", execution_expires_after=3599), "execution_expires_after"),
    ("a draft is 480p", ark_body(PRO15, "text", draft=True, resolution="720p"), "resolution"),
    ("a draft has no last frame", ark_body(PRO15, "text", draft=True, return_last_frame=True), "return_last_frame"),
    ("a draft is not flex", ark_body(PRO15, "text", draft=True, service_tier="flex"), "service_tier"),
    ("2.0 output_format must be empty", ark_body(V20, "text", output_format="mp4"), "output_format"),
    ("2.5 output_format mp4|mov", ark_body(V25, "text", output_format="avi"), "output_format"),
    (
        "draft_task is 1.5 pro's",
        ark_body(V20, "text", content=DRAFT_TASK),
        "content",
    ),
    (
        "a final reuses the draft's seed",
        ark_body(PRO15, "text", content=DRAFT_TASK, seed=3),
        "seed",
    ),
    (
        "2.0 mini takes at most 3 reference audios",
        ark_body(MINI, "reference", content=[TEXT, REF_IMAGE, *[REF_AUDIO] * 4]),
        "content",
    ),
    (
        "2.0: reference_audio cannot be the only reference input",
        ark_body(V20, "reference", content=[TEXT, REF_AUDIO]),
        "content",
    ),
]

ACCEPTED_BEYOND_SEEDS: list[tuple[str, dict[str, Any]]] = [
    ("2.0 takes 4k in any case", ark_body(V20, "text", resolution="4K")),
    ("1080P is 1080p", ark_body(PRO10, "text", resolution="1080P")),
    ("2.x duration -1", ark_body(MINI, "text", duration=-1)),
    ("1.5 pro duration -1", ark_body(PRO15, "text", duration=-1)),
    ("2.0 expires_after below 3600", ark_body(V20, "text", execution_expires_after=60)),
    ("2.0 priority 9", ark_body(V20, "text", priority=9)),
    ("1.0 priority is a no-op", ark_body(PRO10, "text", priority=0)),
    ("1.5 pro draft", ark_body(PRO15, "text", draft=True)),
    ("1.5 pro draft 480P", ark_body(PRO15, "text", draft=True, resolution="480P")),
    ("1.5 pro final from a draft", ark_body(PRO15, "text", content=DRAFT_TASK, resolution="1080p")),
    ("2.5 output_format mov", ark_body(V25, "text", output_format="mov")),
    ("2.5 audio-only references", ark_body(V25, "reference", content=[TEXT, REF_AUDIO])),
    (
        "2.5 takes 30 reference images",
        ark_body(V25, "reference", content=[TEXT, *[REF_IMAGE] * 30]),
    ),
]


@pytest.mark.parametrize("body", [c[1] for c in ACCEPTED_BEYOND_SEEDS], ids=[c[0] for c in ACCEPTED_BEYOND_SEEDS])
def test_accepted_beyond_the_seeds(body: dict[str, Any]) -> None:
    assert contracts.violations(ARK, body) == []


def test_refusal_wording_is_upstreams() -> None:
    # FIDELITY §5's quote, word for word: the model without its version date, the task type [FIDELITY §5].
    found = _first(ark_body("seedance-1-0-pro-250528", "text", draft=True))
    assert found is not None and found.kind == "unsupported"
    assert found.message == (
        "the specified parameter `draft` is not supported for model seedance-1-0-pro in t2v, must be empty"
    )


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        (ark_body(PRO10, "first_frame", draft=True), "draft", "seedance-1-0-pro in i2v,"),
        (ark_body(PRO10, "first_last_frame", draft=False), "draft", "seedance-1-0-pro in i2v,"),
        (ark_body(V20, "reference", service_tier="default"), "service_tier", "dreamina-seedance-2-0 in r2v,"),
        (ark_body(V25, "first_frame", seed=3), "seed", "dreamina-seedance-2-5 in i2v,"),
        (ark_body(MINI, "text", camera_fixed=False), "camera_fixed", "dreamina-seedance-2-0-mini in t2v,"),
        (ark_body(PRO15, "text", priority=1), "priority", "seedance-1-5-pro in t2v,"),
    ],
)
def test_refusal_names_the_task_type(body: dict[str, Any], param: str, words: str) -> None:
    found = _first(body)
    assert found is not None and (found.param, found.kind) == (param, "unsupported"), found
    assert found.message == f"the specified parameter `{param}` is not supported for model {words} must be empty"


@pytest.mark.parametrize(
    ("op", "scenario_words"), [("text_to_video", "t2v"), ("image_to_video", "i2v"), ("reference_to_video", "r2v")]
)
def test_predictions_refusal_names_the_operations_task_type(op: str, scenario_words: str) -> None:
    body: dict[str, Any] = {"model": V25, "prompt": "a kite", "seed": 4}
    if op == "image_to_video":
        body["image"] = "https://example.com/a.png"
    if op == "reference_to_video":
        body["images"] = ["https://example.com/a.png"]
    found = contracts.violations(f"predictions.{op}.request", body)
    assert found and found[0].param == "seed", found
    assert found[0].message.endswith(f"for model dreamina-seedance-2-5 in {scenario_words}, must be empty")


@pytest.mark.parametrize(("body", "param"), [c[1:] for c in LITERAL], ids=[c[0] for c in LITERAL])
def test_literal_model_facts(body: dict[str, Any], param: str) -> None:
    found = _first(body)
    assert found is not None and found.param == param, found


def test_scenario_content_covers_every_scenario() -> None:
    used = {s for m in MODELS for s in m.scenarios}
    assert used <= set(SCENARIO_CONTENT) == set(ALL_SCENARIOS)
