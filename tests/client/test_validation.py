"""The client's own judgement, built from the capability data; refusals send nothing."""

from __future__ import annotations

from typing import Any

import pytest

import contracts
from client import SeedanceClient, ValidationError, validate_ark_request, validate_prediction_request

from .conftest import BASE, FakeAPI

FAST = "dreamina-seedance-2-0-fast-260128"
PRO2 = "dreamina-seedance-2-0-260128"
LITE_T2V = "seedance-1-0-lite-t2v-250428"
LITE_I2V = "seedance-1-0-lite-i2v-250428"
PRO_FAST = "seedance-1-0-pro-fast-251015"
PRO15 = "seedance-1-5-pro-251215"
IMG = "https://example.com/a.png"


def text(prompt: str = "a fox") -> dict[str, Any]:
    return {"type": "text", "text": prompt}


def image(role: str | None = None, url: str = IMG) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if role:
        item["role"] = role
    return item


def ark(model: str = FAST, content: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    return {"model": model, "content": content if content is not None else [text()], **fields}


def refused(body: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_ark_request(body)
    return info.value


def refused_prediction(op: str, model: str, body: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_prediction_request(op, model, body)
    return info.value


# ------------------------------------------------------------------------------------------ Ark: accepted


@pytest.mark.parametrize("model", [m.id for m in contracts.all_models()])
def test_every_model_accepts_its_own_scenarios_and_defaults(model: str) -> None:
    m = contracts.lookup_model(model)
    assert m is not None
    examples = {
        "text": [text()],
        "first_frame": [text(), image("first_frame")],
        "first_last_frame": [text(), image("first_frame"), image("last_frame")],
        "reference": [text(), image("reference_image")],
    }
    for scenario in m.scenarios:
        lo, hi = m.duration
        for resolution in m.resolutions_for(scenario):
            validate_ark_request(ark(model, examples[scenario], resolution=resolution, duration=hi))
            seed = {"seed": -1} if m.takes("seed") else {}  # 2.5 takes no seed [FIDELITY §5]
            validate_ark_request(ark(model, examples[scenario], duration=lo, ratio="adaptive", **seed))


def test_aliases_are_accepted() -> None:
    validate_ark_request(ark("doubao-seedance-2-0-fast-260128"))
    validate_ark_request(ark("doubao-seedance-1-5-pro-251215"))


def test_none_means_absent() -> None:
    validate_ark_request(
        ark(
            FAST,
            [{**text(), "role": None}],
            resolution=None,
            duration=None,
            seed=None,
            frames=None,
            tools=None,
        )
    )


def test_single_image_without_role_is_a_first_frame() -> None:
    validate_ark_request(ark(PRO15, [text(), image()]))
    assert "first frame" in str(refused(ark(LITE_T2V, [text(), image()])))


def test_full_option_set_is_accepted() -> None:
    validate_ark_request(
        ark(
            LITE_T2V, frames=121, framespersecond=24, seed=2**32 - 1, camerafixed=True, watermark=False,
            callback_url="https://example.com/cb", return_last_frame=True, service_tier="flex",
            execution_expires_after=3600, generate_audio=False,
            safety_identifier="u1",
        )
    )  # fmt: skip


# ------------------------------------------------------------------------------------------ Ark: refused


def test_message_names_field_value_and_what_the_model_accepts() -> None:
    err = refused(ark(FAST, duration=20))
    assert str(err) == f"duration 20 is outside 4–15 s for {FAST}"
    assert (err.param, err.value) == ("duration", 20)


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        (ark("seedance-9-9"), "model", "unknown model"),
        (ark("DREAMINA-seedance-2-0-fast-260128"), "model", "did you mean"),
        ({"content": [text()]}, "model", "model is required"),
        (ark(FAST, []), "content", "non-empty"),
        ({"model": FAST}, "content", "required"),
        (ark(FAST, [{"type": "sound"}]), "content[0].type", "not one of"),
        (ark(FAST, [image("first_frame", url="")]), "content[0].image_url.url", "url"),
        (ark(FAST, [text(), image("side_frame")]), "content[1].role", "side_frame"),
        (ark(FAST, [text(), text()]), "content", "one text"),
        (ark(FAST, resolution="1080p"), "resolution", "480p, 720p"),
        (ark(LITE_I2V, [image("reference_image")], resolution="1080p"), "resolution", "reference"),
        (ark(FAST, ratio="5:4"), "ratio", "adaptive"),
        (ark(FAST, duration=3), "duration", "4–15"),
        (ark(FAST, duration="5"), "duration", "integer"),
        (ark(FAST, duration=5.5), "duration", "integer"),
        (ark(LITE_T2V, duration=True), "duration", "integer"),
        (ark(FAST, frames=121), "frames", "not supported"),
        (ark(LITE_T2V, frames=27), "frames", "29–289"),
        (ark(LITE_T2V, frames=293), "frames", "29–289"),
        (ark(LITE_T2V, frames=30), "frames", "25+4n"),
        (ark(FAST, framespersecond=30), "framespersecond", "only 24"),
        (ark(FAST, seed=-2), "seed", "-1–4294967295"),
        (ark(FAST, seed=2**32), "seed", "outside"),
        (ark(FAST, camera_fixed=True), "camera_fixed", "must be empty"),
        (ark(PRO2, camerafixed=False), "camerafixed", "must be empty"),
        (ark(LITE_I2V, [image("reference_image")], camerafixed=True), "camerafixed", "reference"),
        (ark(FAST, watermark="yes"), "watermark", "true or false"),
        (ark(FAST, generate_audio=1), "generate_audio", "true or false"),
        (ark(LITE_T2V, service_tier="fast"), "service_tier", "default, flex"),
        (ark(FAST, service_tier="default"), "service_tier", "must be empty"),
        (ark(LITE_T2V, execution_expires_after=60), "execution_expires_after", "3600–259200"),
        (ark(FAST, execution_expires_after=259201), "execution_expires_after", "1–259200"),
        (ark(FAST, aspect_ratio="16:9"), "aspect_ratio", "unknown parameter"),
        (ark(FAST, **{"Resolution": "720p"}), "Resolution", "unknown parameter"),
    ],
)
def test_refusals(body: dict[str, Any], param: str, fragment: str) -> None:
    err = refused(body)
    assert err.param == param
    assert fragment in str(err)


@pytest.mark.parametrize(
    ("model", "content", "fragment"),
    [
        (LITE_T2V, [text(), image("first_frame")], "does not accept a first frame"),
        (PRO_FAST, [text(), image("first_frame"), image("last_frame")], "first and last frames"),
        (PRO15, [text(), image("reference_image")], "reference media"),
        (LITE_I2V, [text()], "text only"),
        (FAST, [text(), image("last_frame")], "needs a first_frame"),
        (FAST, [text(), image("first_frame"), image("first_frame")], "at most one"),
        (FAST, [text(), image(), image()], "needs a role"),
        (FAST, [text(), image("first_frame"), image("reference_image")], "cannot be mixed"),
        (FAST, [{"type": "text", "text": 3}], "string"),
    ],
)
def test_scenario_refusals(model: str, content: list[dict[str, Any]], fragment: str) -> None:
    assert fragment in str(refused(ark(model, content)))


def test_reference_counts() -> None:
    def refs(images: int, videos: int = 0, audios: int = 0) -> list[dict[str, Any]]:
        items = [text()] + [image("reference_image")] * images
        items += [{"type": "video_url", "video_url": {"url": "https://x/v.mp4"}, "role": "reference_video"}] * videos
        items += [{"type": "audio_url", "audio_url": {"url": "https://x/a.mp3"}, "role": "reference_audio"}] * audios
        return items

    validate_ark_request(ark(PRO2, refs(9, 3, 3)))
    validate_ark_request(ark(PRO2, refs(0, 1)))
    validate_ark_request(ark(LITE_I2V, refs(4)))
    assert "more than the 9" in str(refused(ark(PRO2, refs(10))))
    assert "more than the 3" in str(refused(ark(PRO2, refs(1, 4))))
    assert "more than the 3" in str(refused(ark(PRO2, refs(1, 0, 4))))
    assert "reference_audio cannot be the only reference input" in str(refused(ark(PRO2, refs(0, 0, 1))))
    assert "more than the 4" in str(refused(ark(LITE_I2V, refs(5))))
    assert "does not accept reference videos" in str(refused(ark(LITE_I2V, refs(1, 1))))


def test_text_commands_in_the_prompt_are_judged_and_body_fields_win() -> None:
    assert refused(ark(FAST, [text("a fox --dur 20")])).param == "duration"
    assert refused(ark(FAST, [text("a fox --rs 1080p")])).param == "resolution"
    assert refused(ark(FAST, [text("a fox --seed abc")])).param == "seed"
    validate_ark_request(ark(FAST, [text("a fox --dur 20")], duration=5))
    validate_ark_request(ark(FAST, [text("Multiple shots. A detective enters --ratio 16:9")]))


@pytest.mark.parametrize("raw", ["\u0661\u0660", "1_0", "+", "5x", "\uff15"])
def test_text_command_integers_are_ascii_digits_only(raw: str) -> None:
    # The mock's rule, [+-]?[0-9]+ as a whole: int() alone would take "1_0" and Arabic-Indic "١٠".
    assert refused(ark(FAST, [text(f"a fox --dur {raw}")])).param == "duration"


@pytest.mark.parametrize("raw", ["5", "+5", "05"])
def test_text_command_integers_may_carry_a_sign(raw: str) -> None:
    validate_ark_request(ark(FAST, [text(f"a fox --dur {raw}")]))


def test_non_object_body() -> None:
    with pytest.raises(ValidationError):
        validate_ark_request(["model"])  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ predictions


def test_predictions_accept_the_seed_examples() -> None:
    validate_prediction_request(
        "text-to-video", "doubao-seedance-2-0-fast-260128",
        {"prompt": "Shots.", "aspect_ratio": "16:9", "duration": 5, "resolution": "720p", "seed": -1},
    )  # fmt: skip
    validate_prediction_request("image-to-video", PRO2, {"prompt": "girl", "image": IMG})
    validate_prediction_request("image-to-video", PRO2, {"prompt": "girl", "image": IMG, "last_image": IMG})
    validate_prediction_request(
        "reference-to-video", PRO2, {"prompt": "dog", "videos": [IMG], "images": [IMG], "audios": [IMG]}
    )
    validate_prediction_request("text_to_video", FAST, {"prompt": "x", "duration": "15", "model": FAST})


@pytest.mark.parametrize(
    ("op", "model", "body", "param", "fragment"),
    [
        ("text-to-video", FAST, {}, "prompt", "required"),
        ("text-to-video", FAST, {"prompt": 1}, "prompt", "string"),
        ("text-to-video", "nope", {"prompt": "x"}, "model", "unknown model"),
        ("text-to-video", LITE_I2V, {"prompt": "x"}, "model", "text only"),
        ("text-to-video", FAST, {"prompt": "x", "aspect_ratio": "adaptive"}, "aspect_ratio", "not one of"),
        ("text-to-video", FAST, {"prompt": "x", "ratio": "16:9"}, "ratio", "unknown parameter"),
        ("text-to-video", FAST, {"prompt": "x", "duration": 16}, "duration", "4–15"),
        ("text-to-video", FAST, {"prompt": "x", "duration": "16"}, "duration", "4–15"),
        ("text-to-video", FAST, {"prompt": "x", "duration": "five"}, "duration", "whole number"),
        ("text-to-video", FAST, {"prompt": "x", "duration": 5.5}, "duration", "whole number"),
        ("text-to-video", FAST, {"prompt": "x", "duration": " 5"}, "duration", "whole number"),
        ("text-to-video", FAST, {"prompt": "x", "duration": "05"}, "duration", "whole number"),
        ("text-to-video", FAST, {"prompt": "x", "duration": "5\n"}, "duration", "whole number"),
        ("text-to-video", FAST, {"prompt": "x", "duration": "\u0665"}, "duration", "whole number"),
        ("text-to-video", LITE_T2V, {"prompt": "x", "duration": 13}, "duration", "4–12"),
        ("text-to-video", LITE_T2V, {"prompt": "x", "duration": 2}, "duration", "4–12"),
        ("text-to-video", FAST, {"prompt": "x", "seed": 2**31}, "seed", "-1–2147483647"),
        ("text-to-video", FAST, {"prompt": "x", "resolution": "1080p"}, "resolution", "480p, 720p"),
        ("text-to-video", FAST, {"prompt": "x", "camera_fixed": True}, "camera_fixed", "only false"),
        ("text-to-video", FAST, {"prompt": "x", "generate_audio": "true"}, "generate_audio", "true or false"),
        ("text-to-video", FAST, {"prompt": "x", "enable_sync_mode": 1}, "enable_sync_mode", "true or false"),
        ("text-to-video", FAST, {"prompt": "x", "frames": 121}, "frames", "unknown parameter"),
        ("text-to-video", FAST, {"prompt": "x", "image": IMG}, "image", "unknown parameter"),
        ("image-to-video", FAST, {"prompt": "x"}, "image", "required"),
        ("image-to-video", LITE_T2V, {"prompt": "x", "image": IMG}, "model", "first frame"),
        (
            "image-to-video",
            PRO_FAST,
            {"prompt": "x", "image": IMG, "last_image": IMG},
            "last_image",
            "first and",
        ),
        ("reference-to-video", FAST, {"prompt": "x"}, "images", "at least one"),
        ("reference-to-video", FAST, {"prompt": "x", "images": [IMG] * 11}, "images", "more than the 10"),
        ("reference-to-video", FAST, {"prompt": "x", "videos": [IMG] * 4}, "videos", "more than the 3"),
        ("reference-to-video", FAST, {"prompt": "x", "images": "a.png"}, "images", "list"),
        ("reference-to-video", PRO15, {"prompt": "x", "images": [IMG]}, "model", "reference media"),
        ("reference-to-video", LITE_I2V, {"prompt": "x", "images": [IMG] * 5}, "images", "more than the 4"),
        ("make-video", FAST, {"prompt": "x"}, "op", "operation"),
    ],
)
def test_prediction_refusals(op: str, model: str, body: dict[str, Any], param: str, fragment: str) -> None:
    err = refused_prediction(op, model, body)
    assert err.param == param
    assert fragment in str(err)


def test_prediction_duration_message() -> None:
    err = refused_prediction("text-to-video", FAST, {"prompt": "x", "duration": "20"})
    assert str(err) == f"duration 20 is outside 4–15 s for {FAST}"
    assert err.value == "20"


# ------------------------------------------------------------------------------------------ nothing is sent


def test_validation_failures_send_nothing(api: FakeAPI) -> None:
    with SeedanceClient("sk-test", base_url=BASE, transport=api.transport) as c:
        attempts = [
            lambda: c.create_task(FAST, "x", duration=20),
            lambda: c.create_task(FAST, "x", resolution="1080p"),
            lambda: c.create_task(LITE_T2V, "x", first_frame=IMG),
            lambda: c.create_task(FAST, "x", last_frame=IMG),
            lambda: c.create_task(FAST, "x", bogus=1),
            lambda: c.create_task(FAST, "x", first_frame="/no/such/file.png"),
            lambda: c.create_and_wait(FAST, "x", seed=-5),
            lambda: c.text_to_video(FAST, "x", duration=16),
            lambda: c.image_to_video(LITE_T2V, "x", IMG),
            lambda: c.reference_to_video(FAST, "x"),
            lambda: c.list_tasks(0),
            lambda: c.list_tasks(1, 501),
            lambda: c.get_task(""),
        ]
        for attempt in attempts:
            with pytest.raises(ValidationError):
                attempt()
    assert api.requests == []
