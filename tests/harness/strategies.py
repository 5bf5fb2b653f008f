"""Hypothesis strategies for create requests of both families, built from the capability data.

Valid values come from ``contracts.all_models()`` / ``family_rules`` / ``ratios()``; around them sit the
boundary values (one past each end of every range), out-of-range values, wrong types, ``null``s, unknown
fields and missing required fields. Integer fields are sometimes integral floats (``42.0``, ``121.0``, a
range's ends as floats): JSON Schema counts them as integers, so the task must come back holding ints.
Nothing here asks a judge whether a body is valid: the strategies only *make* requests, the three judges
(contract, client, server) then disagree or not.

Prompts never hold ``--flag`` text commands or ``[mock:…]`` markers (``TEXT_COMMAND_PROMPTS`` is the one
exception, for the dedicated text-command property).
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

import contracts
from contracts import Model
from contracts.endpoints import PREDICTION_OPS

MODELS: tuple[Model, ...] = contracts.all_models()
ARK = contracts.family_rules("ark")
PREDICTIONS = contracts.family_rules("predictions")
SCENARIOS = ("text", "first_frame", "first_last_frame", "reference")
OPS = tuple(PREDICTION_OPS)
RESOLUTIONS = contracts.resolutions()  # 480p 720p 1080p 4k (4k on one model only) [FIDELITY §4]

T = TypeVar("T")


def _per_model(build: Callable[[Model], T]) -> Callable[[Model], T]:
    """``build(model)`` once per model. Building hypothesis strategies costs more than drawing from them
    (a new strategy is validated and its properties computed), and the composites below ask for a model's
    strategies on every draw; a built strategy draws exactly as a new one would. A Model holds dicts, so
    ``functools.cache`` cannot key on it: the object's identity does (the model is kept, so it stays)."""
    built: dict[int, tuple[Model, T]] = {}

    @functools.wraps(build)
    def get(model: Model) -> T:
        hit = built.get(id(model))
        if hit is None or hit[0] is not model:
            hit = built[id(model)] = (model, build(model))
        return hit[1]

    return get


#: Names no model answers to: the API matches names exactly [FIDELITY §5: unknown model → 404].
UNKNOWN_MODELS = (
    "seedance-9-9-pro-990101",
    "DREAMINA-SEEDANCE-2-0-260128",  # a known id in the wrong case
    "seedance-1-0-lite",
    "gpt-4o",
)

# Anything but "-" and "[": no "--flag value" text command, no "[mock:…]" marker.
_PROMPT_ALPHABET = string.ascii_letters + string.digits + " ,.!?'éü猫"
PROMPTS = st.one_of(
    st.sampled_from(["A cat on a beach", "A girl holding a fox, golden light", ""]),
    st.text(_PROMPT_ALPHABET, max_size=40),
)

URLS = st.sampled_from(
    [
        "https://example.com/a.png",
        "https://cdn.example.org/frames/b.jpg",
        # A real 2×1 PNG: the mock measures data URIs for ratio "adaptive".
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGP4z8DwHwyBNAMAR+4H+Z9zE0QAAAAASUVORK5CYII=",
    ]
)
VIDEO_URLS = st.sampled_from(["https://example.com/ref.mp4", "https://example.com/clip.mov"])
AUDIO_URLS = st.sampled_from(["https://example.com/ref.mp3", "https://example.com/voice.wav"])

#: Values of the wrong JSON type for almost any field.
WRONG_TYPES = st.sampled_from(["5", 5.5, True, [1], {"a": 1}, "", 0])
BOOLS = st.one_of(st.booleans(), st.none(), st.sampled_from(["true", 1, 0, "false"]))


def _ints_around(low: int, high: int) -> st.SearchStrategy[int]:
    """Valid integers of [low, high] (both ends often), and one past each end."""
    return st.one_of(
        st.integers(low, high),
        st.sampled_from([low, high]),
        st.sampled_from([low - 1, high + 1]),
        st.integers(high + 1, high + 5),  # just past the top: where a raised maximum shows
        st.integers(high + 6, high + 10**6),
        st.integers(-(10**6), low - 2),
    )


def integral(ints: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    """``ints``, one time in five as integral floats (``42.0``): JSON has one number type, and JSON Schema,
    the client and the mock all count ``42.0`` as the integer 42 — the task must then hold the int 42."""
    return _pick(4, ints, 1, ints.map(float))


def _floats_around(low: int, high: int) -> st.SearchStrategy[float]:
    """:func:`_ints_around` as integral floats: both ends and one past each, e.g. ``4294967295.0``."""
    return st.one_of(st.sampled_from([low, high, low - 1, high + 1]), _ints_around(low, high)).map(float)


def _weighted(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``valid`` (7 in 10), sometimes null (1 in 10, meaning absent), else ``invalid``: a body has
    several fields, so each must be spoiled rarely for whole bodies to be accepted often enough."""
    return _pick(7, valid, 1, st.none(), 2, invalid)


def _pick(*weighted: Any) -> st.SearchStrategy[Any]:
    """``_pick(w1, s1, w2, s2, …)``: strategy ``s_i`` with weight ``w_i`` (shrinks towards the first)."""
    pairs = list(zip(weighted[::2], weighted[1::2], strict=True))
    total = sum(w for w, _ in pairs)

    def choose(n: int) -> st.SearchStrategy[Any]:
        for weight, strategy in pairs:
            if n < weight:
                return strategy
            n -= weight
        raise AssertionError(n)

    return st.integers(0, total - 1).flatmap(choose)


def durations(low: int, high: int) -> st.SearchStrategy[Any]:
    """Ark durations around the model's range (the per-model limit most worth probing: often past it), and
    -1 (the model picks: 1.5 pro and 2.x only [FIDELITY §5]) and -2."""
    just_past = st.one_of(st.just(low - 1), st.integers(high + 1, high + 5))
    return _pick(
        4, st.integers(low, high), 1, st.none(), 3, just_past, 1, _ints_around(low, high),
        1, st.one_of(WRONG_TYPES, st.just(5.0)), 1, st.sampled_from([-1, -1.0, -2]),
    )  # fmt: skip


def frames_values() -> st.SearchStrategy[Any]:
    """``frames`` around [29, 289] and the 25+4n grid [seed 000]."""
    low, high = ARK["frames_range"]
    base, step = ARK["frames_step"]["base"], ARK["frames_step"]["step"]
    grid = st.integers((low - base) // step, (high - base) // step).map(lambda n: base + step * n)
    invalid = st.one_of(
        st.sampled_from([base, high + step, low + 1, high - 1, 0, -1]),
        st.integers(low, high).filter(lambda f: (f - base) % step),
        WRONG_TYPES,
    )
    return _weighted(integral(grid), st.one_of(invalid, st.sampled_from([low - step, high + step, low + 1]).map(float)))


def seeds(family: str) -> st.SearchStrategy[Any]:
    """Seeds around the family's range (Ark [-1, 2^32-1], predictions [-1, 2^31-1])."""
    low, high = contracts.family_rules(family)["seed_range"]
    return _weighted(
        integral(st.integers(low, high)), st.one_of(_ints_around(low, high), _floats_around(low, high), WRONG_TYPES)
    )


def resolutions(model: Model | None = None) -> st.SearchStrategy[Any]:
    """Every resolution in either case ("1080P", "4K": matched case-insensitively [FIDELITY §5]; whether the
    model offers it is the judges' business), often one the model lacks (1080p on 2.0 fast, 4k on all but
    2.0), and some that no model has."""
    lacking = [r for r in RESOLUTIONS if model is not None and r not in model.resolutions]
    junk = st.sampled_from(["2k", "8K", "360p", 720, "", "720 p", "1080pp"])
    written = st.sampled_from(RESOLUTIONS).flatmap(lambda r: st.sampled_from([r, r, r.upper()]))
    return _weighted(written, _pick(1, junk, 1, st.sampled_from(lacking)) if lacking else junk)


def ark_ratios() -> st.SearchStrategy[Any]:
    """Ark ratios: the seed's set including ``adaptive``, and some outside it."""
    return _weighted(st.sampled_from(ARK["ratio_values"]), st.sampled_from(["2:1", "16:10", "16x9", 1.77]))


def aspect_ratios() -> st.SearchStrategy[Any]:
    """Predictions aspect ratios: no ``adaptive`` on this family [seed 004]."""
    return _weighted(st.sampled_from(PREDICTIONS["ratio_values"]), st.sampled_from(["adaptive", "2:1", "16x9", 1.77]))


def prediction_durations(low: int, high: int) -> st.SearchStrategy[Any]:
    """Int or numeric string (the seed's table says string, its examples send an int [FIDELITY §3])."""
    valid = st.one_of(st.integers(low, high), st.integers(low, high).map(str))
    invalid = st.one_of(
        _ints_around(low, high),
        st.sampled_from([str(low - 1), str(high + 1), "05", " 5", "+5", "5.0", "five", "-5"]),
        st.sampled_from([5.0, 5.5, True, [5]]),
    )
    return _weighted(valid, invalid)


# ---------------------------------------------------------------------------------------------- Ark


@functools.cache  # built once per role (see _per_model)
def _image(role: Any, url: st.SearchStrategy[Any] = URLS) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def item(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "image_url", "image_url": {"url": draw(url)}}
        if role is not _OMIT:
            out["role"] = role
        return out

    return item()


_OMIT = object()


@functools.cache
def _media(kind: str, role: str, urls: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return urls.map(lambda u: {"type": kind, kind: {"url": u}, "role": role})


@st.composite
def ark_content(draw: st.DrawFn, model: Model, scenario: str) -> list[dict[str, Any]]:
    """A content array for ``scenario`` with counts around ``model``'s limits, then maybe broken."""
    items: list[dict[str, Any]] = []
    if draw(st.integers(0, 5)) < 5 or scenario == "text":  # usually a prompt; sometimes images alone
        items.append({"type": "text", "text": draw(PROMPTS)})
    if scenario == "first_frame":
        items.append(draw(_image(draw(st.sampled_from(["first_frame", _OMIT, None])))))
    elif scenario == "first_last_frame":
        items.append(draw(_image("first_frame")))
        items.append(draw(_image("last_frame")))
    elif scenario == "reference":
        limits = model.reference or {"images": [0, 4], "videos": 3, "audios": 3}
        low, high = limits["images"] if isinstance(limits["images"], list) else (0, limits["images"])
        n_images = draw(_pick(5, st.integers(max(low, 1), high), 1, st.sampled_from([0, high + 1])))
        n_videos = draw(_pick(5, st.integers(0, limits["videos"]), 1, st.just(limits["videos"] + 1)))
        n_audios = draw(_pick(5, st.integers(0, limits["audios"]), 1, st.just(limits["audios"] + 1)))
        if n_images + n_videos == 0 and draw(st.integers(0, 4)) < 4:
            n_images = max(1, low)
        items += [draw(_image("reference_image")) for _ in range(n_images)]
        items += [draw(_media("video_url", "reference_video", VIDEO_URLS)) for _ in range(n_videos)]
        items += [draw(_media("audio_url", "reference_audio", AUDIO_URLS)) for _ in range(n_audios)]
    if draw(st.integers(0, 7)) == 7:
        items = draw(_broken_content(items))
    return items


@st.composite
def _broken_content(draw: st.DrawFn, items: list[dict[str, Any]]) -> Any:
    """One way to spoil a content array (or an item of it)."""
    how = draw(
        st.sampled_from(
            [
                "empty", "not_a_list", "not_an_object", "extra_text", "last_without_first", "mix",
                "bad_role", "no_url", "empty_url", "unknown_type", "video_without_role", "text_not_string",
                "null_field", "unknown_item_field", "draft_task", "bad_draft_task", "swap_first_for_ref",
                "two_first_frames", "null_role",
            ]
        )
    )  # fmt: skip
    items = [dict(i) for i in items]
    index = draw(st.integers(0, max(0, len(items) - 1))) if items else 0
    if how == "empty":
        return []
    if how == "not_a_list":
        return draw(st.sampled_from([{"type": "text", "text": "x"}, "a cat", None]))
    if how == "not_an_object":
        return [*items, draw(st.sampled_from(["a cat", 5, None, ["text"]]))]
    if how == "extra_text":
        return [*items, {"type": "text", "text": "another prompt"}]
    if how == "last_without_first":
        return [i for i in items if i.get("type") != "image_url"] + [draw(_image("last_frame"))]
    if how == "mix":
        return [*items, draw(_image("first_frame")), draw(_image("reference_image"))]
    if how == "bad_role" and items:
        items[index] = {**items[index], "role": draw(st.sampled_from(["thumbnail", "reference_video", 1, ""]))}
    elif how == "no_url" and items:
        kind = items[index]["type"]
        items[index] = {**items[index], kind: {}} if kind != "text" else {"type": "text"}
    elif how == "empty_url":
        items.append({"type": "image_url", "image_url": {"url": ""}, "role": "first_frame"})
    elif how == "unknown_type":
        items.append({"type": draw(st.sampled_from(["image", "file_url", "", 3])), "url": "https://x/y"})
    elif how == "video_without_role":
        items.append({"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}})
    elif how == "text_not_string":
        items = [{"type": "text", "text": draw(st.sampled_from([5, ["a"], {"t": 1}, True]))}, *items[1:]]
    elif how == "null_field" and items:
        items[index] = {**items[index], draw(st.sampled_from(["role", "text", "extra"])): None}
    elif how == "unknown_item_field" and items:
        items[index] = {**items[index], "detail": draw(st.sampled_from(["high", 3, None]))}
    elif how == "draft_task":
        items.append({"type": "draft_task", "draft_task": {"id": "cgt-20250101000000-abcde"}})
    elif how == "bad_draft_task":
        items.append({"type": "draft_task", "draft_task": draw(st.sampled_from([{}, {"id": 5}, "cgt-1"]))})
    elif how == "swap_first_for_ref":
        items.append(draw(_image("reference_image")))
    elif how == "two_first_frames":
        items += [draw(_image("first_frame")), draw(_image(_OMIT))]
    elif how == "null_role":
        items.append(draw(_image(None)))
    return items


@_per_model
def ark_options(model: Model) -> dict[str, st.SearchStrategy[Any]]:
    """Every optional Ark field with values around what ``model`` accepts [seed 000; FIDELITY §2] (built
    once per model: read it, do not change it)."""
    low, high = model.duration
    expires_low, expires_high = ARK["execution_expires_after_range"]
    # The family floor is 1; 1.x's own minimum is 3600 [FIDELITY §5]: probe both.
    floor = model.execution_expires_after_min
    expires_edges = st.sampled_from([floor - 1, floor, 3599, 3600, 60])
    strings = st.one_of(st.sampled_from(["https://example.com/hook", "user-42"]), WRONG_TYPES, st.none())
    # The mock really calls a callback_url back: a loopback port nothing listens on, never the internet.
    callback_urls = st.one_of(st.sampled_from(["http://127.0.0.1:9/hook", "user-42"]), WRONG_TYPES, st.none())
    formats = st.one_of(st.sampled_from(["mp4", "mov", "avi", "MP4"]), WRONG_TYPES, st.none())
    task_types = st.one_of(st.sampled_from(["auto", "reference", "edit", "extend", "remix"]), WRONG_TYPES, st.none())
    priority_low, priority_high = ARK["priority_range"]
    return {
        "resolution": resolutions(model),
        "ratio": ark_ratios(),
        "duration": durations(low, high),
        "frames": frames_values(),
        "framespersecond": _weighted(st.just(24), st.sampled_from([25, 30, "24", 0])),
        "seed": seeds("ark"),
        "generate_audio": BOOLS,
        "camerafixed": BOOLS,
        "camera_fixed": BOOLS,
        "watermark": BOOLS,
        "return_last_frame": BOOLS,
        "draft": BOOLS,
        "service_tier": _weighted(st.sampled_from(ARK["service_tiers"]), st.sampled_from(["fast", "", 1])),
        "execution_expires_after": _weighted(
            integral(st.one_of(st.integers(max(expires_low, 3600), expires_high), expires_edges)),
            st.one_of(_ints_around(expires_low, expires_high), _floats_around(expires_low, expires_high), WRONG_TYPES),
        ),
        "callback_url": callback_urls,
        "safety_identifier": strings,
        "priority": _weighted(
            integral(st.one_of(st.integers(priority_low, priority_high), _ints_around(priority_low, priority_high))),
            st.sampled_from(["high", 1.5, True]),
        ),
        "tools": _weighted(
            st.sampled_from([[], [{"type": "web_search"}]]), st.sampled_from(["web_search", [1], [["x"]], {}])
        ),
        "output_format": formats,
        "omni_reference_task_type": task_types,
    }


UNKNOWN_FIELDS = st.sampled_from(["prompt", "aspect_ratio", "fps", "negative_prompt", "Duration", "image", "extra"])


@_per_model
def _model_names(model: Model) -> st.SearchStrategy[str]:
    """One of the model's names, one time in ten a name no model has."""
    return _pick(9, st.sampled_from(model.names), 1, st.sampled_from(UNKNOWN_MODELS))


@_per_model
def _ark_scenarios(model: Model) -> st.SearchStrategy[str]:
    return _pick(4, st.sampled_from(model.scenarios), 1, st.sampled_from(SCENARIOS))


@st.composite
def ark_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """An Ark create body: any model, scenario and options; valid, boundary or broken."""
    model = draw(st.sampled_from(MODELS))
    name = draw(_model_names(model))
    # The model's own scenarios most of the time, any scenario sometimes.
    scenario = draw(_ark_scenarios(model))
    body: dict[str, Any] = {"model": name, "content": draw(ark_content(model, scenario))}
    options = ark_options(model)
    # The per-model fields half the time each; a few of the others besides.
    core = [f for f in ("resolution", "duration", "ratio") if draw(st.integers(0, 2)) < 2]
    others = draw(
        st.lists(st.sampled_from(sorted(set(options) - {"resolution", "duration", "ratio"})), max_size=4, unique=True)
    )
    for field in core + others:
        body[field] = draw(options[field])
    if draw(st.integers(0, 14)) == 14:
        body[draw(UNKNOWN_FIELDS)] = draw(st.one_of(st.none(), WRONG_TYPES, st.just("x")))
    spoil = draw(st.integers(0, 39))  # 0 (what hypothesis shrinks to) spoils nothing
    if spoil == 36:
        del body["model"]
    elif spoil == 37:
        del body["content"]
    elif spoil == 38:
        body["model"] = draw(st.sampled_from([None, 5, "", ["seedance-1-5-pro-251215"]]))
    elif spoil == 39:
        body["content"] = None
    return body


def valid_ark_bodies(model: Model | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies every judge should accept: the model's own scenario, defaults or in-range values only."""

    @st.composite
    def body(draw: st.DrawFn) -> dict[str, Any]:
        m = model or draw(st.sampled_from(MODELS))
        scenario = draw(st.sampled_from(m.scenarios))
        content: list[dict[str, Any]] = [{"type": "text", "text": draw(PROMPTS)}]
        if scenario == "first_frame":
            content.append(draw(_image("first_frame")))
        elif scenario == "first_last_frame":
            content += [draw(_image("first_frame")), draw(_image("last_frame"))]
        elif scenario == "reference":
            content.append(draw(_image("reference_image")))
        out: dict[str, Any] = {"model": draw(st.sampled_from(m.names)), "content": content}
        draft = m.has_draft and draw(st.integers(0, 3)) == 0
        if draft:
            out["draft"] = True  # a draft: 480p, no last frame, not flex [FIDELITY §5]
        if draw(st.booleans()):
            allowed = ("480p",) if draft else m.resolutions_for(scenario)
            out["resolution"] = draw(st.sampled_from(allowed).flatmap(lambda r: st.sampled_from([r, r.upper()])))
        if draw(st.booleans()):
            auto = [-1] if m.duration_auto else []
            out["duration"] = draw(st.one_of(st.integers(*m.duration), st.sampled_from([*auto, m.duration[0]])))
        if m.frames and draw(st.integers(0, 3)) == 0:
            out["frames"] = draw(integral(st.integers(1, 66).map(lambda n: 25 + 4 * n)))
        if draw(st.booleans()):
            out["ratio"] = draw(st.sampled_from(ARK["ratio_values"]))
        if m.takes("seed") and draw(st.booleans()):
            out["seed"] = draw(integral(st.integers(*ARK["seed_range"])))
        if m.takes("priority") and draw(st.integers(0, 3)) == 0:
            out["priority"] = draw(st.integers(*ARK["priority_range"]))
        if m.output_formats and draw(st.booleans()):
            out["output_format"] = draw(st.sampled_from(m.output_formats))
        if m.omni_reference_task_types and draw(st.booleans()):
            out["omni_reference_task_type"] = draw(st.sampled_from(m.omni_reference_task_types))
        if draw(st.integers(0, 3)) == 0:
            out["execution_expires_after"] = draw(st.integers(max(3600, m.execution_expires_after_min), 259200))
        if not draft and m.takes("service_tier") and "priority" not in out and draw(st.integers(0, 3)) == 0:
            out["service_tier"] = draw(st.sampled_from(ARK["service_tiers"]))
        return out

    return body()


# ---------------------------------------------------------------------------------------------- predictions


def _url_lists(limit: int, urls: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    valid = st.lists(urls, min_size=0, max_size=max(0, limit))
    invalid = st.one_of(
        st.lists(urls, min_size=limit + 1, max_size=limit + 2),
        st.sampled_from(["https://example.com/a.png", [5], [""], {"url": "x"}]),
    )
    return _weighted(valid, invalid)


@_per_model
def _prediction_options(model: Model) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """Per predictions operation: every optional field with values around what ``model`` accepts."""
    low, high = model.predictions_duration
    common: dict[str, st.SearchStrategy[Any]] = {
        "aspect_ratio": aspect_ratios(),
        "duration": prediction_durations(low, high),
        "resolution": resolutions(model),
        "generate_audio": BOOLS,
        "camera_fixed": BOOLS,
        "seed": seeds("predictions"),
        "enable_sync_mode": BOOLS,
        "enable_base64_output": BOOLS,
    }
    limits = model.predictions_reference or {"images": 4, "videos": 3, "audios": 3}
    references = {
        "images": _url_lists(limits["images"], URLS),
        "videos": _url_lists(limits["videos"], VIDEO_URLS),
        "audios": _url_lists(limits["audios"], AUDIO_URLS),
    }
    return {
        "text-to-video": common,
        "image-to-video": {
            **common,
            "last_image": st.one_of(URLS, URLS, st.none(), WRONG_TYPES),
            "is_upload_media": BOOLS,
        },
        "reference-to-video": {**common, **references, "is_upload_media": BOOLS},
    }


@_per_model
def _prediction_ops(model: Model) -> st.SearchStrategy[str]:
    """The model's own operations most of the time, any operation sometimes."""
    own = [op for op, s in zip(OPS, ("text", "first_frame", "reference"), strict=True) if s in model.scenarios]
    return _pick(4, st.sampled_from(own), 1, st.sampled_from(OPS))


@st.composite
def prediction_requests(draw: st.DrawFn, *, small_renders: bool = False) -> tuple[str, str, dict[str, Any]]:
    """``(op, path model, body)`` for a predictions submit: valid, boundary or broken. ``small_renders``: a
    body asking for base64 output asks for 480p at the shortest duration too (for properties that run an
    accepted body to the end)."""
    model = draw(st.sampled_from(MODELS))
    name = draw(_model_names(model))
    op = draw(_prediction_ops(model))
    options = _prediction_options(model)[op]
    body: dict[str, Any] = {"prompt": draw(PROMPTS)}
    if op == "image-to-video":
        body["image"] = draw(URLS)
    elif op == "reference-to-video":
        body["images"] = [draw(URLS)]
    core = [f for f in ("resolution", "duration") if draw(st.integers(0, 2)) < 2]
    others = draw(st.lists(st.sampled_from(sorted(set(options) - {"resolution", "duration"})), max_size=4, unique=True))
    for field in core + others:
        body[field] = draw(options[field])
    if small_renders and body.get("enable_base64_output") is True:
        # Its result holds the MP4 itself, rendered when first read: a small one, as valid_prediction_requests
        # draws. A 4k one cost the agreement property ~25 CPU-s of x265, a 1080p 15 s one ~5, and the suite's
        # time swung by half a minute with the draw. Resolutions and durations at their limits are drawn
        # without base64 output (and swept in test_every_model_boundary_judges_agree).
        low, _ = model.predictions_duration
        body["resolution"], body["duration"] = "480p", low
    if draw(st.integers(0, 9)) == 9:
        other = ["image", "images", "last_image", "videos", "ratio", "frames", "content", "watermark", "extra"]
        body[draw(st.sampled_from(other))] = draw(
            st.one_of(st.none(), st.just("https://example.com/a.png"), WRONG_TYPES)
        )
    spoil = draw(st.integers(0, 29))  # 0 (what hypothesis shrinks to) spoils nothing
    if spoil == 26:
        del body["prompt"]
    elif spoil == 27:
        body["prompt"] = draw(st.sampled_from([None, 5, ["a cat"]]))
    elif spoil == 28 and "image" in body:
        body[draw(st.sampled_from(["image", "image"]))] = draw(st.sampled_from([None, "", 5]))
    elif spoil == 29 and "image" in body:
        del body["image"]
    return op, name, body


def valid_prediction_requests(model: Model | None = None) -> st.SearchStrategy[tuple[str, str, dict[str, Any]]]:
    """Submits every judge should accept."""

    @st.composite
    def request(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
        m = model or draw(st.sampled_from(MODELS))
        own = [op for op, s in zip(OPS, ("text", "first_frame", "reference"), strict=True) if s in m.scenarios]
        op = draw(st.sampled_from(own))
        body: dict[str, Any] = {"prompt": draw(PROMPTS)}
        scenario = {"text-to-video": "text", "image-to-video": "first_frame", "reference-to-video": "reference"}[op]
        if op == "image-to-video":
            body["image"] = draw(URLS)
            if "first_last_frame" in m.scenarios and draw(st.booleans()):
                body["last_image"] = draw(URLS)
        elif op == "reference-to-video":
            body["images"] = [draw(URLS)]
        if draw(st.booleans()):
            body["resolution"] = draw(st.sampled_from(m.resolutions_for(scenario)))
        if draw(st.booleans()):
            body["duration"] = draw(st.integers(*m.predictions_duration))
        if draw(st.booleans()):
            body["aspect_ratio"] = draw(st.sampled_from(PREDICTIONS["ratio_values"]))
        if m.takes("seed") and draw(st.integers(0, 3)) == 0:
            body["seed"] = draw(integral(st.integers(*PREDICTIONS["seed_range"])))
        if draw(st.integers(0, 5)) == 0:
            body["enable_base64_output"] = True  # outputs become the MP4 itself [FIDELITY §3]
            # Every result read then renders the file inline: a small one, or a 4k 15 s (or a 2.5 30 s) video
            # is encoded within the harness's HTTP timeout on a loaded machine.
            body["resolution"], body["duration"] = "480p", m.predictions_duration[0]
        return op, draw(st.sampled_from(m.names)), body

    return request()


#: Prompts carrying legacy text commands [FIDELITY §2], for the dedicated text-command property only.
@st.composite
def text_command_prompts(draw: st.DrawFn, model: Model) -> str:
    """A prompt ending in 1-3 ``--flag value`` commands, values around the model's limits."""
    low, high = model.duration
    commands = {
        "rs": st.sampled_from([*RESOLUTIONS, "1080P", "2k"]),
        "rt": st.sampled_from([*ARK["ratio_values"], "2:1"]),
        "dur": st.sampled_from([str(low), str(high), str(high + 1), "x", "٣"]),  # "٣": not an ASCII digit
        "fps": st.sampled_from(["24", "30"]),
        "wm": st.sampled_from(["true", "false", "yes"]),
        "seed": st.sampled_from(["-1", "42", "-2", "abc", "４２"]),
        "cf": st.sampled_from(["true", "false", "1"]),
        "frames": st.sampled_from(["121", "120", "29"]),
    }
    flags = draw(st.lists(st.sampled_from(sorted(commands)), min_size=1, max_size=3, unique=True))
    tail = " ".join(f"--{f} {draw(commands[f])}" for f in flags)
    return f"{draw(PROMPTS)} {tail}".strip()
