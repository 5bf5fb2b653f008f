"""From a create body to a :class:`TaskSpec`, for both families.

Every body is judged by its JSON contract first (the contracts are the validation; mock_server.refusals maps
their verdict onto upstream's error codes), then its text commands are merged and its ``[mock:…]`` markers
read (mock_server.markers), then defaults are filled from the capability data.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import zlib
from collections.abc import Callable
from typing import Any

import contracts
from contracts import Model
from contracts.endpoints import PREDICTION_OPS
from mock_server.errors import ApiError
from mock_server.markers import create_time_faults, markers, outcome_of
from mock_server.refusals import check_contract, known_model
from mock_server.render import prompt_excerpt
from mock_server.store import TaskSpec

log = logging.getLogger("seedance_mock")

ImageSizer = Callable[[str], "tuple[int, int] | None"]
#: An input image URL -> the reference the media shows it by (mock_server.render.ingest_image).
ImageIngester = Callable[[str], str]
#: The spec of the caller's succeeded draft task ``id`` (or the ApiError why it cannot be used).
DraftLookup = Callable[[str], TaskSpec]

# Integer fields. JSON Schema counts 42.0 as an integer, so the contract accepts it; the task must hold 42.
_INTEGERS = frozenset(("duration", "frames", "framespersecond", "seed", "priority", "execution_expires_after"))


def _is_data_uri(url: Any) -> bool:
    return isinstance(url, str) and url[:5].lower() == "data:"


def carries_inline_image(body: Any) -> bool:
    """Whether a create body (either family) holds a ``data:`` image: measuring one for ``ratio: adaptive``
    and storing its small copy for the media mean decoding it, which the handler then does off the loop."""
    if not isinstance(body, dict):
        return False
    images = body.get("images")
    if any(_is_data_uri(body.get(k)) for k in ("image", "last_image")) or (
        isinstance(images, list) and any(_is_data_uri(u) for u in images)
    ):
        return True
    content = body.get("content")
    if not isinstance(content, list):
        return False
    for item in content:
        image = item.get("image_url") if isinstance(item, dict) else None
        url = image.get("url") if isinstance(image, dict) else None
        if _is_data_uri(url):
            return True
    return False


def strip_nulls(body: dict[str, Any]) -> dict[str, Any]:
    """Drop null fields: the official Ark SDK sends every unset option as null, meaning absent [§2].

    Integral floats (``42.0``), which the contract accepts as integers, become ints.
    """
    # A copy either way: what is changed below must not change the body the journal may still show.
    out = {k: v for k, v in body.items() if v is not None} if None in body.values() else dict(body)
    if isinstance(out.get("resolution"), str):
        out["resolution"] = out["resolution"].lower()  # "1080P" is 1080p [FIDELITY §5]
    for name in _INTEGERS.intersection(out):  # (in C: most bodies give none of them)
        if type(out[name]) is float:
            out[name] = int(out[name])
    content = out.get("content")
    if isinstance(content, list):
        out["content"] = [
            {k: v for k, v in item.items() if v is not None}
            if isinstance(item, dict) and None in item.values()
            else item
            for item in content
        ]
    return out


def text_commands(prompt: str) -> dict[str, Any]:
    """Parameters given as ``--flag value`` in the prompt (the grammar is contracts.commands), typed; a bad
    value is a 400 naming the field [FIDELITY §2]."""
    found: dict[str, Any] = {}
    if "--" not in prompt:  # (no command without it: most prompts skip the pattern)
        return found
    for command in contracts.read_commands(prompt):
        if not command.ok:
            raise ApiError(
                400,
                "InvalidParameter",
                f"The text command --{command.flag} {command.raw} {command.problem}.",
                command.field,
            )
        found[command.field] = command.value
    return found


def _model_pick(prompt: str | None, seed: int, choices: int) -> int:
    """A choice the model "makes" from the prompt and seed: deterministic, so a task replays [FIDELITY §5]."""
    return zlib.crc32(f"{prompt or ''}\x00{seed}".encode("utf-8", "surrogatepass")) % choices


def _resolve_ratio(
    ratio: str, image_url: str | None, sizer: ImageSizer, *, model: Model, prompt: str | None, seed: int
) -> str:
    """The concrete ratio: ``adaptive`` picks the row nearest the first image [FIDELITY §4]; without an image,
    1.5 pro and 2.x pick one from the prompt [FIDELITY §5], 1.0 keeps 16:9."""
    if ratio != "adaptive":
        return ratio
    if image_url is None:
        if model.adaptive_text:
            return contracts.ratios()[_model_pick(prompt, seed, len(contracts.ratios()))]
        return "16:9"
    size = sizer(image_url)
    if size is None:
        shown = image_url if len(image_url) < 80 else image_url[:77] + "..."
        log.info("ratio adaptive: cannot measure %s offline, using 16:9", shown)
        return "16:9"
    return contracts.nearest_ratio(*size)


def _random_seed(rng: random.Random, seed: int | None) -> int:
    # -1 (the default) means "pick one"; the task reports the seed actually used [FIDELITY §2].
    return rng.randrange(0, 2**31) if seed is None or seed == -1 else seed


#: Each family's rules (contracts.family_rules copies them per call; these are only read).
_RULES = {family: contracts.family_rules(family) for family in ("ark", "predictions")}


def _spec(
    model_name: str,
    model: Model,
    scenario: str,
    fields: dict[str, Any],
    *,
    image_url: str | None,
    prompt: str | None = None,
    outcome: str,
    family: str,
    rng: random.Random,
    sizer: ImageSizer,
    image_urls: tuple[str, ...] = (),
    ingest: ImageIngester | None = None,
) -> TaskSpec:
    rules = _RULES[family]
    draft = bool(fields.get("draft", False))
    resolution = str(
        fields.get("resolution")
        or (
            rules.get("resolution_default")
            if family == "predictions"
            else "480p"
            if draft
            else model.default_resolution  # a draft renders at 480p [FIDELITY §5]
        )
    ).lower()  # "1080P" (a text command too) is 1080p [FIDELITY §5]
    ratio = fields.get("ratio") or (
        rules["ratio_default"] if family == "predictions" else model.default_ratio.get(scenario, "16:9")
    )
    if model.forces_adaptive(scenario, fields.get("omni_reference_task_type")):
        ratio = "adaptive"  # 2.5's first frame, edit, extend: a ratio sent is overridden [FIDELITY §5]
    seed = _random_seed(rng, fields.get("seed"))
    actual = _resolve_ratio(ratio, image_url, sizer, model=model, prompt=prompt, seed=seed)
    width, height = contracts.frame_size(model, resolution, actual)
    frames = fields.get("frames")
    default_duration = rules["duration_default"] if family == "predictions" else model.duration_default
    duration = int(fields.get("duration") or default_duration)
    if duration == -1:
        # -1: the model picks an integer length in its range; the task reports it [FIDELITY §5].
        low, high = model.duration
        duration = low + _model_pick(prompt, seed, high - low + 1)
    if frames is not None:
        duration = (frames - 1) // contracts.FPS  # frames overrides duration [FIDELITY §2]
    generate_audio = fields.get("generate_audio", True)
    return TaskSpec(
        model=model_name,
        model_id=model.id,
        scenario=scenario,
        resolution=resolution,
        ratio=ratio,
        actual_ratio=actual,
        width=width,
        height=height,
        duration=duration,
        frames=frames,
        seed=seed,
        generate_audio=generate_audio,
        audio=model.audio and generate_audio,
        return_last_frame=bool(fields.get("return_last_frame", False)),
        service_tier=fields.get("service_tier") or "default",
        execution_expires_after=int(
            fields.get("execution_expires_after") or _RULES["ark"]["execution_expires_after_default"]
        ),
        priority=fields.get("priority"),
        draft=draft,
        callback_url=fields.get("callback_url"),
        safety_identifier=fields.get("safety_identifier"),
        outcome=outcome,
        # What the media file shows [FIDELITY §11]: references, not the images themselves.
        prompt_excerpt=prompt_excerpt(prompt),
        images=tuple(ingest(url) for url in image_urls) if ingest is not None else (),
        output_format=fields.get("output_format") or (model.output_formats or (None,))[0],
    )


def _from_draft(model: Model, draft_id: str, fields: dict[str, Any], lookup: DraftLookup | None) -> TaskSpec:
    """The final of a draft: the draft's model, prompt, media, seed, ratio, duration, camera and audio, at the
    resolution asked now [FIDELITY §5]."""
    if lookup is None:
        raise ApiError(400, "InvalidParameter", "draft_task content is not accepted here.", "content")
    draft = lookup(draft_id)
    if draft.model_id != model.id:
        raise ApiError(
            400,
            "InvalidParameter",
            f"The draft task {draft_id} was made with {draft.model_id}, not {model.id}.",
            "content[0].draft_task.id",
        )
    resolution = fields.get("resolution") or model.default_resolution
    width, height = contracts.frame_size(model, resolution, draft.actual_ratio)
    return dataclasses.replace(
        draft,
        model=fields["model"],
        resolution=resolution,
        width=width,
        height=height,
        draft=False,
        draft_task_id=draft_id,
        return_last_frame=bool(fields.get("return_last_frame", False)),
        service_tier=fields.get("service_tier") or "default",
        execution_expires_after=int(
            fields.get("execution_expires_after") or _RULES["ark"]["execution_expires_after_default"]
        ),
        callback_url=fields.get("callback_url"),
        safety_identifier=fields.get("safety_identifier"),
        outcome="succeed",
    )


def _ark_scenario(content: list[dict[str, Any]]) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """(scenario, first image url, prompt, the image urls the media shows in order) of a valid Ark content."""
    if len(content) == 1 and content[0].get("type") == "text":  # the common text-to-video body, at once
        return "text", None, content[0].get("text"), ()
    prompt = next((i.get("text") for i in content if i.get("type") == "text"), None)
    images = [i for i in content if i.get("type") == "image_url"]
    roles = {i.get("role") for i in images}
    urls = tuple(i["image_url"]["url"] for i in images)
    first_url = urls[0] if urls else None
    if "reference_image" in roles or any(i.get("type") in ("video_url", "audio_url") for i in content):
        return "reference", first_url, prompt, urls
    if "last_frame" in roles:
        first = next((i for i in images if i.get("role") == "first_frame"), images[0])
        last = next(i for i in images if i.get("role") == "last_frame")
        shown = (first["image_url"]["url"], last["image_url"]["url"])
        return "first_last_frame", first["image_url"]["url"], prompt, shown
    if images:
        return "first_frame", first_url, prompt, urls[:1]
    return "text", None, prompt, ()


def parse_ark(
    body: Any,
    *,
    rng: random.Random,
    sizer: ImageSizer,
    ingest: ImageIngester | None = None,
    drafts: DraftLookup | None = None,
) -> TaskSpec:
    """Judge an Ark create body and settle its parameters.

    ``drafts`` finds the caller's draft task for ``draft_task`` content (1.5 pro) [FIDELITY §5].
    """
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidParameter", "The request body must be a JSON object.")
    model_name = body.get("model")
    model = known_model(model_name)
    assert isinstance(model_name, str)  # known_model refused anything else
    check_contract("ark.create_task.request", body)
    fields = strip_nulls(body)
    content = fields["content"]
    draft_item = next((i for i in content if i.get("type") == "draft_task"), None)
    if draft_item is not None:
        return _from_draft(model, draft_item["draft_task"]["id"], fields, drafts)
    scenario, image_url, prompt, shown = _ark_scenario(content)
    commands = text_commands(prompt or "")
    if commands:
        # A body field wins over a text command [FIDELITY §2, decision]; the merged request must still
        # be one the contract accepts (``--dur 20`` on a 2.0 model is refused like ``duration: 20``).
        merged = {**commands, **fields}
        check_contract("ark.create_task.request", merged)
        fields = merged
    found = markers(prompt)
    create_time_faults(found, "ark")
    return _spec(
        model_name, model, scenario, fields,
        image_url=image_url, outcome=outcome_of(found), family="ark", rng=rng, sizer=sizer,
        prompt=prompt, image_urls=shown, ingest=ingest,
    )  # fmt: skip


def parse_prediction(
    op: str,
    model_name: str,
    body: Any,
    *,
    rng: random.Random,
    sizer: ImageSizer,
    ingest: ImageIngester | None = None,
) -> tuple[TaskSpec, bool]:
    """Judge a predictions submit body; returns the spec and whether sync mode was asked."""
    model = known_model(model_name)
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidParameter", "The request body must be a JSON object.")
    # The contract judges the body with the path's model as if it were a body field (ARCHITECTURE.md).
    check_contract(PREDICTION_OPS[op], {**body, "model": model_name})
    fields = strip_nulls({k: v for k, v in body.items() if k != "model"})
    if "duration" in fields:
        fields["duration"] = int(fields["duration"])  # "5" and 5 both accepted [FIDELITY §3]
    if "aspect_ratio" in fields:
        fields["ratio"] = fields.pop("aspect_ratio")
    shown: tuple[str, ...] = ()
    if op == "text-to-video":
        scenario, image_url = "text", None
    elif op == "image-to-video":
        scenario = "first_last_frame" if fields.get("last_image") else "first_frame"
        image_url = fields["image"]
        shown = (image_url, fields["last_image"]) if fields.get("last_image") else (image_url,)
    else:
        scenario = "reference"
        image_url = (fields.get("images") or [None])[0]
        shown = tuple(fields.get("images") or ())
    prompt = fields.get("prompt")
    found = markers(prompt)
    create_time_faults(found, "predictions")
    spec = _spec(
        model_name, model, scenario, fields,
        image_url=image_url, outcome=outcome_of(found), family="predictions", rng=rng,
        sizer=sizer, prompt=prompt, image_urls=shown, ingest=ingest,
    )  # fmt: skip
    if fields.get("enable_base64_output"):
        spec = dataclasses.replace(spec, base64_output=True)
    return spec, bool(fields.get("enable_sync_mode", False))
