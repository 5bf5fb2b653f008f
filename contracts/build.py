"""Generate ``schemas/model-rules.json`` from ``data/models.json``: the per-model half of the contracts.

``python -m contracts.build`` rewrites the file; ``python -m contracts.build --check`` exits 1 when the
committed file differs from what the capability data says (tests/contracts keeps them equal). Every rule is
an ``if model ∈ names then …`` clause, so one edit of ``models.json`` changes the contracts, the mock server
and the client's validation together.

The generated document has one ``$defs`` entry per request contract that includes it:
``ark`` (the Ark create body) and ``predictions.text_to_video`` / ``.image_to_video`` /
``.reference_to_video`` (a predictions body plus its path's ``model``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from contracts._capabilities import unsupported_message
from contracts.endpoints import PREDICTION_OPS

__all__ = ["OUTPUT", "build", "main", "render"]

OUTPUT = Path(__file__).resolve().parent / "schemas" / "model-rules.json"
_COMMON = "common.json#/$defs/"

Rule = dict[str, Any]


def _refuse(message: str, param: str, kind: str = "invalid") -> Rule:
    """A schema no instance satisfies, named for the registry's ``_to_violation``."""
    return {"not": {}, "x-param": param, "x-kind": kind, "x-message": message}


def _when(condition: Rule, then: Rule) -> Rule:
    return {"if": condition, "then": then}


def _ref(name: str) -> Rule:
    return {"$ref": _COMMON + name}


def _field(name: str, schema: Rule) -> Rule:
    return {"properties": {name: schema}}


def _content(schema: Rule, message: str) -> Rule:
    return {"properties": {"content": {**schema, "x-param": "content", "x-message": message}}}


def _count(item: str, low: int, high: int, what: str) -> Rule:
    """``content`` holds between ``low`` and ``high`` items matching ``common.json#/$defs/<item>``."""
    return _content(
        {"contains": _ref(item), "minContains": low, "maxContains": high},
        f"{what}: between {low} and {high} allowed",
    )


def _cases(resolutions: list[str]) -> list[str]:
    """Each resolution as written and upper-cased: matched case-insensitively ("1080P", "4K") [FIDELITY §5]."""
    return [v for r in resolutions for v in dict.fromkeys((r, r.upper()))]


def _must_be_empty(mid: str, name: str, task_type: str) -> Rule:
    """A field the model does not take: any value but null is refused, as upstream words it, naming the task
    type ("… in t2v, must be empty") [FIDELITY §5]."""
    return _field(
        name,
        {"type": "null", "x-kind": "unsupported", "x-message": unsupported_message(mid, name, task_type)},
    )


def _by_task_type(task_types: dict[str, str], make: Callable[[str], Rule]) -> Rule:
    """``make(task type)`` for the Ark body's scenario: reference, first + last frame, first frame, text (the
    order the mock tells them apart in) [FIDELITY §5]."""
    images = {"required": ["content"], "properties": {"content": {"contains": _ref("is_image_item")}}}
    return {
        "if": _ref("ark_reference_scenario"),
        "then": make(task_types["reference"]),
        "else": {
            "if": _ref("ark_first_last_scenario"),
            "then": make(task_types["first_last_frame"]),
            "else": {"if": images, "then": make(task_types["first_frame"]), "else": make(task_types["text"])},
        },
    }


def _empty_fields(mid: str, names: list[str], task_type: str) -> Rule:
    return {"allOf": [_must_be_empty(mid, name, task_type) for name in names]}


def _camera_fixed(
    model: dict[str, Any], mode: str, in_reference: Rule | None, field_names: tuple[str, ...]
) -> list[Rule]:
    """The ``camera_fixed`` column of FIDELITY §5 for one family's ``mode``, for both spellings (mode "no" is
    among the fields that must be empty: see ``_refused``)."""
    rules: list[Rule] = []
    for name in field_names:
        if mode == "false_only":
            rules.append(
                _field(name, {"enum": [False, None], "x-message": f"{model['id']} does not accept {name}=true"})
            )
        elif mode == "not_with_reference" and in_reference is not None:
            rules.append(
                _when(
                    in_reference,
                    _field(
                        name,
                        {
                            "enum": [False, None],
                            "x-message": f"{model['id']} does not accept {name}=true with reference inputs",
                        },
                    ),
                )
            )
    return rules


def _refused(model: dict[str, Any], mode: str, camera: tuple[str, ...], candidates: list[str]) -> list[str]:
    """The fields among ``candidates`` (and the ``camera`` spellings when ``mode`` is "no") that must be empty."""
    names = [n for n in candidates if n in model.get("refuses", []) and n not in _CAMERA]
    return names + (list(camera) if mode == "no" else [])


def _ark_rules(model: dict[str, Any], task_types: dict[str, str]) -> list[Rule]:
    """The Ark create body's rules for one model (family-wide limits live in common.json)."""
    mid = model["id"]
    scenarios = set(model["scenarios"])
    low, high = model["duration"]
    duration: Rule = {"minimum": low, "maximum": high, "x-message": f"duration must be in [{low}, {high}] for {mid}"}
    if model.get("duration_auto"):
        # -1: the model picks the length [FIDELITY §5].
        duration = {
            "anyOf": [{"type": "integer", "minimum": low, "maximum": high}, {"const": -1}, {"type": "null"}],
            "x-param": "duration",
            "x-message": f"duration must be -1 or in [{low}, {high}] for {mid}",
        }
    expires_low = model.get("execution_expires_after_min", 3600)
    rules: list[Rule] = [
        _field("duration", duration),
        _field(
            "resolution",
            {
                "enum": [*_cases(model["resolutions"]), None],
                "x-message": f"{mid} accepts resolution {', '.join(model['resolutions'])}",
            },
        ),
        _field(
            "execution_expires_after",
            {
                "minimum": expires_low,
                "x-message": f"execution_expires_after must be at least {expires_low} for {mid}",
            },
        ),
    ]
    empty = _refused(model, model["camera_fixed"], _CAMERA, list(model.get("refuses", [])))
    if empty:
        rules.append(_by_task_type(task_types, lambda t: _empty_fields(mid, empty, t)))
    for name, key in (("output_format", "output_formats"), ("omni_reference_task_type", "omni_reference_task_types")):
        if model.get(key):
            message = f"{name} must be one of {', '.join(model[key])}"
            rules.append(_field(name, {"enum": [*model[key], None], "x-message": message}))
    if "draft" in model.get("refuses", []):
        # draft_task content is 1.5 pro's, as draft is [FIDELITY §5].
        # Named as text-to-video: a draft_task item is the whole content of a final [FIDELITY §5]. One flat
        # rule, not one per task type: with that chain Schemathesis could no longer generate a create body
        # from the openapi document ("Cannot generate an array with 1 demanded elements").
        rules.append(
            _content(
                {"not": {"contains": _ref("is_draft_task_item")}},
                unsupported_message(mid, "draft_task", task_types["text"]),
            )
        )
    else:
        rules.append(_when(_ref("ark_draft_on"), {"allOf": _DRAFT_RULES}))
    if not model["frames"]:
        rules.append(
            _field(
                "frames",
                {"type": "null", "x-kind": "unsupported", "x-message": f"{mid} does not accept frames"},
            )
        )
    # Scenarios [FIDELITY §5 table]: refuse the content shapes the model cannot take.
    if "text" not in scenarios:
        rules.append(_content({"contains": _ref("is_visual_item")}, f"{mid} needs an image: it has no text-to-video"))
    if "first_frame" not in scenarios and "first_last_frame" not in scenarios:
        rules.append(
            _content(
                {"not": {"contains": _ref("is_frame_item")}},
                f"{mid} does not accept first or last frame images",
            )
        )
    elif "first_frame" not in scenarios:
        rules.append(
            _when(
                _ref("ark_frame_scenario"),
                _content({"contains": _ref("is_last_frame_item")}, f"{mid} needs a last frame with its first frame"),
            )
        )
    elif "first_last_frame" not in scenarios:
        rules.append(
            _content({"not": {"contains": _ref("is_last_frame_item")}}, f"{mid} does not accept a last_frame image")
        )
    reference = _ref("ark_reference_scenario")
    if "reference" not in scenarios:
        rules.append(
            _content(
                {"not": {"contains": _ref("is_reference_item")}},
                f"{mid} does not accept reference images, videos or audios",
            )
        )
    else:
        limits = model["reference"]
        in_ref: list[Rule] = [
            _count(
                "is_reference_image_item",
                limits["images"][0],
                limits["images"][1],
                f"reference images for {mid}",
            ),
            _count("is_video_item", 0, limits["videos"], f"reference videos for {mid}"),
            _count("is_audio_item", 0, limits["audios"], f"reference audios for {mid}"),
        ]
        if model["reference_resolutions"]:
            allowed = model["reference_resolutions"]
            in_ref.append(
                _field(
                    "resolution",
                    {
                        "enum": [*_cases(allowed), None],
                        "x-message": f"{mid} accepts resolution {', '.join(allowed)} with reference inputs",
                    },
                )
            )
        if not model.get("audio_only_references"):
            in_ref.append(
                _when(
                    {"properties": {"content": {"contains": _ref("is_audio_item")}}},
                    _content(
                        {"contains": {"anyOf": [_ref("is_reference_image_item"), _ref("is_video_item")]}},
                        "reference_audio cannot be the only reference input",
                    ),
                )
            )
        rules.append(_when(reference, {"allOf": in_ref}))
    rules += _camera_fixed(model, model["camera_fixed"], reference, _CAMERA)
    return rules


_CAMERA = ("camera_fixed", "camerafixed")

# A draft (``draft: true``, 1.5 pro) renders at 480p only, without a last frame, never on flex [FIDELITY §5].
_DRAFT_RULES: list[Rule] = [
    _field("resolution", {"enum": ["480p", "480P", None], "x-message": "a draft task renders at 480p only"}),
    _field(
        "return_last_frame",
        {"enum": [False, None], "x-message": "return_last_frame is not supported for a draft task"},
    ),
    _field("service_tier", {"enum": ["default", None], "x-message": "a draft task cannot use the flex tier"}),
]


#: ``text_to_video`` (the contract's stem) → ``text-to-video`` (the operation), from the endpoint table.
_OPS = {contract.removeprefix("predictions.").removesuffix(".request"): op for op, contract in PREDICTION_OPS.items()}


def _predictions_rules(model: dict[str, Any], op: str, task_types: dict[str, str]) -> list[Rule]:
    """One predictions op's rules for one model; a model without the op's scenario refuses it."""
    mid = model["id"]
    scenarios = set(model["scenarios"])
    needs = {"text_to_video": "text", "image_to_video": "first_frame", "reference_to_video": "reference"}[op]
    if needs not in scenarios:
        return [_field("model", _refuse(f"{mid} does not support {_OPS[op]}", "model"))]
    low, high = model["predictions_duration"]
    resolutions = model["resolutions"]
    if op == "reference_to_video" and model["reference_resolutions"]:
        resolutions = model["reference_resolutions"]
    mode = model.get("predictions_camera_fixed", model["camera_fixed"])
    empty = _refused(model, mode, ("camera_fixed",), ["seed"])
    rules: list[Rule] = [
        *(_must_be_empty(mid, name, task_types[needs]) for name in empty),
        _field(
            "duration",
            {
                "anyOf": [
                    {"type": "integer", "minimum": low, "maximum": high},
                    {"enum": [str(n) for n in range(low, high + 1)]},
                    {"type": "null"},
                ],
                "x-param": "duration",
            },
        ),
        _field(
            "resolution",
            {
                "enum": [*_cases(resolutions), None],
                "x-message": f"{mid} accepts resolution {', '.join(resolutions)} here",
            },
        ),
    ]
    if op == "image_to_video" and "first_last_frame" not in scenarios:
        rules.append(
            _field(
                "last_image",
                {"type": "null", "x-kind": "unsupported", "x-message": f"{mid} does not accept a last frame"},
            )
        )
    if op == "reference_to_video":
        limits = model["predictions_reference"]
        for name in ("images", "videos", "audios"):
            rules.append(
                _field(
                    name,
                    {"maxItems": limits[name], "x-message": f"{mid} accepts at most {limits[name]} {name}"},
                )
            )
    in_reference: Rule | None = {} if op == "reference_to_video" else None
    rules += _camera_fixed(model, mode, in_reference, ("camera_fixed",))
    return rules


def _model_clause(model: dict[str, Any], rules: list[Rule]) -> Rule:
    names = [model["id"], *model["aliases"]]
    return {
        "$comment": f"{model['id']} [sources: models.json]",
        "if": {"type": "object", "required": ["model"], "properties": {"model": {"enum": names}}},
        "then": {"allOf": rules},
    }


def build(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The model-rules document for the capability data ``data`` (default: ``data/models.json``)."""
    if data is None:
        text = resources.files("contracts").joinpath("data", "models.json").read_text("utf-8")
        data = json.loads(text)
    models = data["models"]
    task_types = data["families"]["ark"]["task_types"]
    names = [name for m in models for name in (m["id"], *m["aliases"])]
    known = _field(
        "model", {"enum": names, "x-message": "unknown model: not a Seedance model id or alias (FIDELITY §5)"}
    )
    defs: dict[str, Any] = {
        "model_names": {"enum": names},
        "ark": {
            "description": "Per-model rules of the Ark create body.",
            "allOf": [known, *(_model_clause(m, _ark_rules(m, task_types)) for m in models)],
        },
    }
    for op in _OPS:
        defs[f"predictions.{op}"] = {
            "description": f"Per-model rules of the predictions {_OPS[op]} body (plus the path's model).",
            "allOf": [known, *(_model_clause(m, _predictions_rules(m, op, task_types)) for m in models)],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://seedance-mock.dev/contracts/model-rules.json",
        "title": "Per-model rules",
        "$comment": "GENERATED by `python -m contracts.build` from contracts/data/models.json. Do not edit.",
        "$defs": defs,
    }


def render(data: dict[str, Any] | None = None) -> str:
    """``build(data)`` as the exact text committed in ``schemas/model-rules.json``."""
    return json.dumps(build(data), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``schemas/model-rules.json`` (or, with ``--check``, report whether it is stale)."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        stale = not OUTPUT.exists() or OUTPUT.read_text("utf-8") != text
        print(f"{OUTPUT.name} is {'stale: run python -m contracts.build' if stale else 'up to date'}")
        return 1 if stale else 0
    OUTPUT.write_text(text, "utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
