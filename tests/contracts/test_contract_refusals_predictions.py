"""The predictions request contracts (seed 004, FIDELITY §3) refuse every body that breaks one rule.

A predictions contract judges the JSON body plus ``model``, the request path's model.
"""

from __future__ import annotations

from typing import Any

import pytest

import contracts
from contracts import Model
from tests.contracts.contract_helpers import DELETE, changed

T2V = "predictions.text_to_video.request"
I2V = "predictions.image_to_video.request"
R2V = "predictions.reference_to_video.request"
FAST = "doubao-seedance-2-0-fast-260128"  # the model of seed 004's page

T2V_BASE = {"model": FAST, "prompt": "A detective enters a dimly lit room"}
I2V_BASE = {**T2V_BASE, "image": "https://example.com/ref_image_1.png"}
R2V_BASE = {**T2V_BASE, "images": ["https://example.com/ref_image_1.png"]}
BASES = {T2V: T2V_BASE, I2V: I2V_BASE, R2V: R2V_BASE}
URL = "https://example.com/x.png"


@pytest.mark.parametrize("name", BASES)
def test_bases_conform(name: str) -> None:
    assert contracts.violations(name, BASES[name]) == []


def _common_cases(name: str) -> list[tuple[str, str, dict[str, Any], str, str | None]]:
    base = BASES[name]
    return [
        (name, "model missing", changed(base, model=DELETE), "model", "missing"),
        (name, "model unknown", changed(base, model="seedance-9"), "model", None),
        (name, "prompt missing", changed(base, prompt=DELETE), "prompt", "missing"),
        (name, "prompt not a string", changed(base, prompt=5), "prompt", None),
        (name, "aspect_ratio adaptive", changed(base, aspect_ratio="adaptive"), "aspect_ratio", None),
        (name, "aspect_ratio unknown", changed(base, aspect_ratio="2:1"), "aspect_ratio", None),
        (name, "duration below 4", changed(base, duration=3), "duration", None),
        (name, "duration above 15", changed(base, duration=16), "duration", None),
        (name, "duration string above 15", changed(base, duration="16"), "duration", None),
        (name, "duration not numeric", changed(base, duration="five"), "duration", None),
        (name, "duration fractional", changed(base, duration=5.5), "duration", None),
        (name, "duration a bool", changed(base, duration=True), "duration", None),
        (name, "resolution unknown", changed(base, resolution="2k"), "resolution", None),
        (name, "generate_audio not a bool", changed(base, generate_audio="true"), "generate_audio", None),
        (name, "camera_fixed not a bool", changed(base, camera_fixed="false"), "camera_fixed", None),
        (name, "seed below -1", changed(base, seed=-2), "seed", None),
        (name, "seed above 2^31-1", changed(base, seed=2147483648), "seed", None),
        (name, "enable_sync_mode not a bool", changed(base, enable_sync_mode=1), "enable_sync_mode", None),
        (name, "unknown field", changed(base, negative_prompt="x"), "negative_prompt", "unsupported"),
        (name, "ark field", changed(base, ratio="16:9"), "ratio", "unsupported"),
    ]


CASES = [
    *_common_cases(T2V),
    *_common_cases(I2V),
    *_common_cases(R2V),
    (T2V, "image on text-to-video", changed(T2V_BASE, image=URL), "image", "unsupported"),
    (I2V, "image missing", changed(I2V_BASE, image=DELETE), "image", "missing"),
    (I2V, "image null", changed(I2V_BASE, image=None), "image", None),
    (I2V, "image not a string", changed(I2V_BASE, image=[URL]), "image", None),
    (I2V, "last_image not a string", changed(I2V_BASE, last_image=5), "last_image", None),
    (I2V, "is_upload_media not a bool", changed(I2V_BASE, is_upload_media="no"), "is_upload_media", None),
    (I2V, "images on image-to-video", changed(I2V_BASE, images=[URL]), "images", "unsupported"),
    (R2V, "no images nor videos", changed(R2V_BASE, images=DELETE), "images", "missing"),
    (R2V, "empty images, no videos", changed(R2V_BASE, images=[]), "images", "missing"),
    (R2V, "null images and videos", changed(R2V_BASE, images=None, videos=None), "images", "missing"),
    (R2V, "audios alone", changed(R2V_BASE, images=DELETE, audios=[URL]), "images", "missing"),
    (R2V, "11 images", changed(R2V_BASE, images=[URL] * 11), "images", None),
    (R2V, "images not an array", changed(R2V_BASE, images=URL), "images", None),
    (R2V, "image item not a string", changed(R2V_BASE, images=[5]), "images[0]", None),
    (R2V, "videos item not a string", changed(R2V_BASE, videos=[{"url": URL}]), "videos[0]", None),
    (R2V, "audios not an array", changed(R2V_BASE, audios=URL), "audios", None),
    (R2V, "4 videos on 2.0 fast", changed(R2V_BASE, videos=[URL] * 4), "videos", None),
    (R2V, "4 audios on 2.0 fast", changed(R2V_BASE, audios=[URL] * 4), "audios", None),
    (R2V, "image on reference-to-video", changed(R2V_BASE, image=URL), "image", "unsupported"),
    # per model [FIDELITY §5]
    (T2V, "2.0 fast refuses 1080p [seed]", changed(T2V_BASE, resolution="1080p"), "resolution", None),
    (T2V, "2.0 fast camera_fixed true", changed(T2V_BASE, camera_fixed=True), "camera_fixed", None),
    (
        T2V,
        "1.0 lite i2v has no text-to-video",
        changed(T2V_BASE, model="seedance-1-0-lite-i2v-250428"),
        "model",
        None,
    ),
    (
        I2V,
        "1.0 lite t2v has no image-to-video",
        changed(I2V_BASE, model="seedance-1-0-lite-t2v-250428"),
        "model",
        None,
    ),
    (
        R2V,
        "1.5 pro has no reference-to-video",
        changed(R2V_BASE, model="seedance-1-5-pro-251215"),
        "model",
        None,
    ),
    (
        I2V,
        "1.0 pro fast takes no last_image",
        changed(I2V_BASE, model="seedance-1-0-pro-fast-251015", last_image=URL),
        "last_image",
        None,
    ),
    (
        R2V,
        "1.0 lite refuses 1080p with references [seed]",
        changed(R2V_BASE, model="seedance-1-0-lite-i2v-250428", resolution="1080p"),
        "resolution",
        None,
    ),
    (
        R2V,
        "1.0 lite i2v takes no videos",
        changed(R2V_BASE, model="seedance-1-0-lite-i2v-250428", videos=[URL]),
        "videos",
        None,
    ),
    (
        R2V,
        "1.0 lite i2v: no camera_fixed with reference",
        changed(R2V_BASE, model="seedance-1-0-lite-i2v-250428", camera_fixed=True),
        "camera_fixed",
        None,
    ),
    (
        T2V,
        "1.5 pro duration 13",
        changed(T2V_BASE, model="seedance-1-5-pro-251215", duration=13),
        "duration",
        None,
    ),
    (
        T2V,
        "1.5 pro duration '13'",
        changed(T2V_BASE, model="seedance-1-5-pro-251215", duration="13"),
        "duration",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "param", "kind"), [(c[0], *c[2:]) for c in CASES], ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_refused_naming_the_field(name: str, body: dict[str, Any], param: str, kind: str | None) -> None:
    found = contracts.violations(name, body)
    assert found, "accepted a body that breaks the rule"
    assert found[0].param == param, found
    if kind is not None:
        assert found[0].kind == kind, found


ACCEPTED = [
    (
        T2V,
        "seed 004 defaults spelled out",
        changed(
            T2V_BASE,
            aspect_ratio="16:9",
            duration=5,
            resolution="720p",
            generate_audio=True,
            camera_fixed=False,
            seed=-1,
            enable_sync_mode=False,
        ),
    ),
    (T2V, "duration as a string [seed 004 table]", changed(T2V_BASE, duration="5")),
    (T2V, "duration 15", changed(T2V_BASE, duration=15)),
    (T2V, "duration '4'", changed(T2V_BASE, duration="4")),
    (T2V, "seed max", changed(T2V_BASE, seed=2147483647)),
    (
        T2V,
        "every optional field null",
        changed(
            T2V_BASE,
            aspect_ratio=None,
            duration=None,
            resolution=None,
            generate_audio=None,
            camera_fixed=None,
            seed=None,
            enable_sync_mode=None,
        ),
    ),
    (I2V, "first and last image", changed(I2V_BASE, last_image=URL, is_upload_media=False)),
    (I2V, "data URI image", changed(I2V_BASE, image="data:image/png;base64,iVBORw0K", is_upload_media=True)),
    (
        I2V,
        "null last_image on a model without last frame",
        changed(I2V_BASE, model="seedance-1-0-pro-fast-251015", last_image=None),
    ),
    (R2V, "10 images", changed(R2V_BASE, images=[URL] * 10)),
    (R2V, "videos only", changed(R2V_BASE, images=DELETE, videos=[URL])),
    (R2V, "images, videos and audios", changed(R2V_BASE, videos=[URL] * 3, audios=[URL] * 3)),
    (R2V, "empty images but a video", changed(R2V_BASE, images=[], videos=[URL])),
    (
        R2V,
        "1.0 lite i2v with 4 images",
        changed(R2V_BASE, model="seedance-1-0-lite-i2v-250428", images=[URL] * 4),
    ),
]


@pytest.mark.parametrize(("name", "body"), [(c[0], c[2]) for c in ACCEPTED], ids=[c[1] for c in ACCEPTED])
def test_accepted(name: str, body: dict[str, Any]) -> None:
    assert contracts.violations(name, body) == []


OPS = {T2V: "text", I2V: "first_frame", R2V: "reference"}


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("model", contracts.all_models(), ids=lambda m: m.id)
def test_per_model_rules(model: Model, name: str) -> None:
    base = changed(BASES[name], model=model.id)
    if OPS[name] not in model.scenarios:
        found = contracts.violations(name, base)
        assert found and found[0].param == "model", found
        return
    assert contracts.violations(name, base) == []
    low, high = model.predictions_duration
    for good in (low, high, str(low), str(high)):
        assert contracts.is_valid(name, changed(base, duration=good)), good
    for bad in (low - 1, high + 1, str(low - 1), str(high + 1)):
        found = contracts.violations(name, changed(base, duration=bad))
        assert found and found[0].param == "duration", (bad, found)
    scenario = "reference" if name == R2V else "text"
    for res in ("480p", "720p", "1080p"):
        ok = res in model.resolutions_for(scenario)
        assert contracts.is_valid(name, changed(base, resolution=res)) == ok, res
    scenario = OPS[name]
    allowed = model.camera_fixed_allowed(True, scenario, "predictions")
    assert contracts.is_valid(name, changed(base, camera_fixed=True)) == allowed
    if name == I2V:
        with_last = changed(base, last_image=URL)
        assert contracts.is_valid(name, with_last) == ("first_last_frame" in model.scenarios)
    if name == R2V:
        limits = model.predictions_reference
        assert limits is not None
        for field in ("images", "videos", "audios"):
            at_most = changed(base, **{field: [URL] * limits[field]})
            too_many = changed(base, **{field: [URL] * (limits[field] + 1)})
            assert contracts.is_valid(name, at_most) or limits[field] == 0, field
            found = contracts.violations(name, too_many)
            assert found and found[0].param == field, (field, found)


def test_family_duration_range_bounds_every_model() -> None:
    low, high = contracts.family_rules("predictions")["duration_range"]
    for model in contracts.all_models():
        # 2.5 came after the seed: its own 4-30 s holds on this family too [FIDELITY §5 decision].
        top = model.duration[1] if model.generation == "2.5" else high
        assert low <= model.predictions_duration[0] <= model.predictions_duration[1] <= top, model.id


def test_path_model_is_documented_in_the_schema() -> None:
    for name in OPS:
        assert "path" in contracts.schema(name)["properties"]["model"]["description"]
