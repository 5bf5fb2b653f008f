"""The client's own judgement of a create request, written in Python from the capability data.

Deliberately not a call to the JSON contracts: the property tests ask the contract, this module and the mock
server separately and expect the three to agree. Only the declarations (which fields a body has, which item
types and roles content takes) are read from the contracts' schemas; every check is this module's own.
Every refusal is a :class:`ValidationError` whose message names the field, the value and what the model
accepts. ``None`` means absent, as the Ark SDK's nulls do [FIDELITY §2].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeGuard

import contracts
from client._errors import ValidationError
from contracts import Model, endpoints

__all__ = [
    "ARK_FIELDS",
    "PREDICTION_FIELDS",
    "PREDICTION_OPS",
    "ark_scenario",
    "validate_ark_request",
    "validate_prediction_request",
]

#: Every top-level field of an Ark create body, as its contract declares them [FIDELITY §2; sdk].
ARK_FIELDS = frozenset(contracts.schema("ark.create_task.request")["properties"])

#: The fields of each predictions operation, as its contract declares them, less the path's ``model``
#: [seed 003/004].
PREDICTION_FIELDS: dict[str, frozenset[str]] = {
    op: frozenset(contracts.schema(contract)["properties"]) - {"model"}
    for op, contract in endpoints.PREDICTION_OPS.items()
}
PREDICTION_OPS = tuple(PREDICTION_FIELDS)


def _content_declarations() -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """(the content item types, each media type's roles) as the contract's ``ark_content_item`` declares them."""
    item = contracts.schema("common")["$defs"]["ark_content_item"]
    roles: dict[str, tuple[str, ...]] = {}
    for rule in item["allOf"]:
        props = rule["then"].get("properties", {})
        role = props.get("role")
        if role is None:
            continue
        (kind,) = (name for name in props if name != "role")
        roles[kind] = tuple(r for r in role.get("enum", [role.get("const")]) if r is not None)
    return tuple(item["properties"]["type"]["enum"]), roles


_ITEM_TYPES, _ROLES = _content_declarations()

# A predictions duration string: plain digits, no sign, spaces or leading zero ("5", not " 5" or "05").
_DURATION_STRING = re.compile(r"0|[1-9][0-9]*")

_SCENARIO_WORDS = {
    "text": "text only",
    "first_frame": "a first frame",
    "first_last_frame": "first and last frames",
    "reference": "reference media",
}


def _fail(param: str, value: Any, message: str) -> ValidationError:
    return ValidationError(message, param=param, value=value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


def _is_int(value: Any) -> TypeGuard[float]:
    # JSON has one number type: 5.0 is the integer 5, as the JSON Schema contracts also judge it.
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _require_int(param: str, value: Any) -> float:  # an integral float (5.0) passes unchanged
    if not _is_int(value):
        raise _fail(param, value, f"{param} must be an integer, not {_show(value)}")
    return value


def _require_bool(param: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(param, value, f"{param} must be true or false, not {_show(value)}")
    return value


def _require_str(param: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(param, value, f"{param} must be a string, not {_show(value)}")
    return value


# Where the service may call back: the `callback_url` contract's pattern and length, read from the schema (a
# declaration, not a check of our own); "$" becomes \Z as ECMA-262 means it (no trailing newline).
_CALLBACK_SCHEMA = contracts.schema("common")["$defs"]["callback_url"]
_CALLBACK_URL = re.compile(_CALLBACK_SCHEMA["pattern"].removesuffix("$") + r"\Z")
_CALLBACK_URL_MAX: int = _CALLBACK_SCHEMA["maxLength"]


def _require_callback_url(param: str, value: Any) -> str:
    url = _require_str(param, value)
    if len(url) > _CALLBACK_URL_MAX or not _CALLBACK_URL.match(url):
        raise _fail(param, value, f"{param} must be an absolute http(s) URL (at most 2048 ASCII characters)")
    return url


def _require_url(param: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(param, value, f"{param} must be an image URL or data URI, not {_show(value)}")
    return value


def _in_range(param: str, value: float, low: int, high: int, model: Model | None = None, unit: str = "") -> None:
    if not low <= value <= high:
        who = f" for {model.id}" if model is not None else ""
        raise _fail(param, value, f"{param} {value} is outside {low}–{high}{unit}{who}")


def _known_model(name: Any) -> Model:
    if name is None:
        raise _fail("model", name, "model is required")
    if not isinstance(name, str) or not name:
        raise _fail("model", name, f"model must be a model id, not {_show(name)}")
    model = contracts.lookup_model(name)
    # The API matches model names exactly (FIDELITY §5: unknown model → 404).
    if model is None or name not in model.names:
        known = ", ".join(m.id for m in contracts.all_models())
        hint = f" (did you mean {model.id!r}?)" if model is not None else f"; known models: {known}"
        raise _fail("model", name, f"unknown model {name!r}{hint}")
    return model


def _check_scenario(model: Model, scenario: str, param: str, value: Any) -> None:
    if scenario not in model.scenarios:
        accepted = ", ".join(_SCENARIO_WORDS.get(s, s) for s in model.scenarios)
        raise _fail(
            param,
            value,
            f"{model.id} does not accept {_SCENARIO_WORDS.get(scenario, scenario)} (it accepts: {accepted})",
        )


def _check_resolution(model: Model, scenario: str, value: Any) -> None:
    allowed = model.resolutions_for(scenario)
    # Matched case-insensitively ("1080P", "4K") [FIDELITY §5].
    if not isinstance(value, str) or value.lower() not in allowed:
        where = " with reference media" if scenario == "reference" and model.reference_resolutions else ""
        raise _fail(
            "resolution", value, f"resolution {_show(value)} is not offered by {model.id}{where} "
            f"(it accepts: {_choices(allowed)})",
        )  # fmt: skip


def _check_ratio(param: str, value: Any, family: str) -> None:
    allowed = contracts.family_rules(family)["ratio_values"]
    if not isinstance(value, str) or value not in allowed:
        raise _fail(param, value, f"{param} {_show(value)} is not one of {_choices(allowed)}")


def _check_seed(value: Any, family: str) -> None:
    low, high = contracts.family_rules(family)["seed_range"]
    _in_range("seed", _require_int("seed", value), low, high)


def _must_be_empty(model: Model, param: str, value: Any, scenario: str) -> ValidationError:
    """A field the model does not take, worded as upstream words it, naming the task type [FIDELITY §5]."""
    message = contracts.unsupported_message(model.id, param, contracts.task_type(scenario))
    return _fail(param, value, message)


def _check_camera_fixed(param: str, value: Any, model: Model, scenario: str, family: str = "ark") -> None:
    mode = model.camera_fixed if family == "ark" else model.predictions_camera_fixed
    if mode == "no":
        raise _must_be_empty(model, param, value, scenario)
    _require_bool(param, value)
    if model.camera_fixed_allowed(value, scenario, family):
        return
    if mode == "not_with_reference":
        why = "with reference images"
    elif mode == "false_only":
        why = "(only false is accepted)"
    else:
        why = "(it has no fixed camera)"
    raise _fail(param, value, f"{param} true is not supported by {model.id} {why}")


def _check_counts(
    model: Model,
    counts: dict[str, int],
    limits: Mapping[str, Any],
    params: Mapping[str, str],
    *,
    audio_alone: bool = False,
) -> None:
    """Reference media counts against ``limits`` (``{"images": max or [min, max], "videos": max, …}``);
    ``audio_alone``: reference audio may be the only reference input (2.5 on Ark [FIDELITY §5])."""
    for kind in ("images", "videos", "audios"):
        n = counts.get(kind, 0)
        limit = limits.get(kind, 0)
        low, high = (limit[0], limit[1]) if isinstance(limit, list | tuple) else (0, limit)
        param = params[kind]
        if n and high == 0:
            raise _fail(param, n, f"{model.id} does not accept reference {kind}")
        if n > high:
            raise _fail(param, n, f"{n} reference {kind} is more than the {high} {model.id} accepts")
        if n < low:
            raise _fail(param, n, f"{model.id} needs at least {low} reference {kind}, got {n}")
    if not counts.get("images") and not counts.get("videos") and not (audio_alone and counts.get("audios")):
        if counts.get("audios"):
            raise _fail(params["images"], 0, "reference_audio cannot be the only reference input")
        raise _fail(params["images"], 0, "reference generation needs at least one reference image or video")


# ---------------------------------------------------------------------------------------------- Ark


def _content_items(content: Any) -> list[dict[str, Any]]:
    if content is None:
        raise _fail("content", content, "content is required")
    if not isinstance(content, list) or not content:
        raise _fail("content", content, "content must be a non-empty list of items")
    items = []
    for index, raw in enumerate(content):
        where = f"content[{index}]"
        if not isinstance(raw, dict):
            raise _fail(where, raw, f"{where} must be an object, not {_show(raw)}")
        item = {k: v for k, v in raw.items() if v is not None}
        kind = item.get("type")
        if kind == "text":
            _require_str(f"{where}.text", item.get("text"))
        elif kind in _ROLES:
            media = item.get(kind)
            if not isinstance(media, dict):
                raise _fail(f"{where}.{kind}", media, f'{where}.{kind} must be {{"url": "…"}}')
            if not isinstance(media.get("url"), str) or not media["url"]:
                raise _fail(f"{where}.{kind}.url", media, f'{where}.{kind} must be {{"url": "…"}}')
            role = item.get("role")
            if role is not None and role not in _ROLES[kind]:
                # Upstream's words for an image [probe, FIDELITY §10].
                what = "invalid role specified for image content: " if kind == "image_url" else ""
                raise _fail(
                    f"{where}.role",
                    role,
                    f"{what}{where}.role {_show(role)} is not one of {_choices(_ROLES[kind])}",
                )
            if role is None and kind != "image_url":
                raise _fail(f"{where}.role", role, f"{where}.role is required for {kind} ({_ROLES[kind][0]})")
        elif kind == "draft_task":
            draft = item.get("draft_task")
            if not isinstance(draft, dict):
                raise _fail(f"{where}.draft_task", draft, f'{where}.draft_task must be {{"id": "cgt-…"}}')
            if not isinstance(draft.get("id"), str) or not draft["id"]:
                raise _fail(f"{where}.draft_task.id", draft, f'{where}.draft_task must be {{"id": "cgt-…"}}')
        else:
            raise _fail(f"{where}.type", kind, f"{where}.type {_show(kind)} is not one of {_choices(_ITEM_TYPES)}")
        items.append(item)
    return items


def ark_scenario(content: list[dict[str, Any]]) -> str:
    """The scenario of a well-formed content list; refuses mixed or malformed image roles [seed 001]."""
    texts = [i for i in content if i.get("type") == "text"]
    if len(texts) > 1:
        raise _fail("content", len(texts), "content may hold only one text item")
    images = [i for i in content if i.get("type") == "image_url"]
    others = [i for i in content if i.get("type") in ("video_url", "audio_url")]
    roles = [i.get("role") for i in images]
    frame_roles = [r for r in roles if r in (None, "first_frame", "last_frame")]
    if others or "reference_image" in roles:
        if frame_roles:
            raise _fail(
                "content", frame_roles[0] or "first_frame",
                "first/last frame content cannot be mixed with reference media content",
            )  # fmt: skip
        return "reference"
    if not images:
        if not texts:
            raise _fail("content", None, "content needs a text prompt or an image")
        return "text"
    if None in roles and len(images) > 1:
        raise _fail("content", None, "every image needs a role when there is more than one")
    if roles.count("first_frame") + roles.count(None) > 1 or roles.count("last_frame") > 1:
        raise _fail("content", roles, "at most one first_frame and one last_frame image")
    if "last_frame" in roles:
        if "first_frame" not in roles:
            raise _fail("content", "last_frame", "a last_frame image needs a first_frame image")
        return "first_last_frame"
    return "first_frame"


def _text_commands(prompt: str) -> dict[str, Any]:
    """The legacy text commands of an Ark prompt [FIDELITY §2], read by the shared grammar (contracts.commands);
    a body field wins over a command [decision]."""
    found: dict[str, Any] = {}
    for command in contracts.read_commands(prompt):
        if not command.ok:
            raise _fail(command.field, command.raw, f"text command --{command.flag} {command.raw} {command.problem}")
        found[command.field] = command.value
    return found


def validate_ark_request(body: Mapping[str, Any]) -> None:
    """Raise ValidationError unless ``body`` is an Ark create body the model accepts (None = absent)."""
    if not isinstance(body, Mapping):
        raise _fail("body", body, f"the request body must be an object, not {type(body).__name__}")
    fields = {k: v for k, v in body.items() if v is not None}
    unknown = sorted(set(fields) - ARK_FIELDS)
    if unknown:
        raise _fail(unknown[0], fields[unknown[0]], f"unknown parameter {unknown[0]!r} for the Ark create API")
    model = _known_model(fields.get("model"))
    items = _content_items(fields.get("content"))
    if any(i.get("type") == "draft_task" for i in items):
        _check_final_of_draft(model, items, fields)
        return
    scenario = ark_scenario(items)
    _check_scenario(model, scenario, "content", scenario)
    if scenario == "reference" and model.reference is not None:
        counts = {
            "images": sum(1 for i in items if i.get("type") == "image_url"),
            "videos": sum(1 for i in items if i.get("type") == "video_url"),
            "audios": sum(1 for i in items if i.get("type") == "audio_url"),
        }
        params = {"images": "content", "videos": "content", "audios": "content"}
        _check_counts(model, counts, model.reference, params, audio_alone=model.audio_only_references)
    prompt = next((i["text"] for i in items if i.get("type") == "text"), "")
    # A body field wins over the same text command in the prompt [FIDELITY §2, decision].
    fields = {**_text_commands(prompt), **fields}
    _check_ark_options(model, scenario, fields)


#: What a final reuses from its draft: sending it again is refused [FIDELITY §5 decision].
_FROM_DRAFT = ("ratio", "duration", "frames", "seed", "camera_fixed", "camerafixed", "generate_audio", "draft")


def _check_final_of_draft(model: Model, items: list[dict[str, Any]], fields: dict[str, Any]) -> None:
    """A create whose content is ``{"type": "draft_task", …}``: 1.5 pro only, the item alone [FIDELITY §5]."""
    if not model.has_draft:
        # Named as text-to-video, as the contract does: a draft_task item is a final's whole content.
        message = contracts.unsupported_message(model.id, "draft_task", contracts.task_type("text"))
        raise _fail("content", "draft_task", message)
    if len(items) > 1:
        why = "a draft_task item stands alone: the final reuses the draft's text and media"
        raise _fail("content", len(items), why)
    for param in _FROM_DRAFT:
        if param in fields:
            raise _fail(param, fields[param], f"{param} is taken from the draft task and must be empty")
    _check_ark_options(model, "text", fields)


def _check_ark_options(model: Model, scenario: str, fields: dict[str, Any]) -> None:
    rules = contracts.family_rules("ark")
    for param in model.refuses:
        if param in fields:
            raise _must_be_empty(model, param, fields[param], scenario)
    for param in ("generate_audio", "watermark", "return_last_frame", "draft"):
        if param in fields:
            _require_bool(param, fields[param])
    if "resolution" in fields:
        _check_resolution(model, scenario, fields["resolution"])
    if "ratio" in fields:
        _check_ratio("ratio", fields["ratio"], "ark")
    if "duration" in fields:
        low, high = model.duration
        duration = _require_int("duration", fields["duration"])
        if not (model.duration_auto and duration == -1):  # -1: the model picks [FIDELITY §5]
            _in_range("duration", duration, low, high, model, " s")
    if "frames" in fields:
        frames = _require_int("frames", fields["frames"])
        if not model.frames:
            raise _fail("frames", frames, f"frames is not supported by {model.id} (use duration)")
        low, high = rules["frames_range"]
        base, step = rules["frames_step"]["base"], rules["frames_step"]["step"]
        _in_range("frames", frames, low, high, model)
        if (frames - base) % step:
            raise _fail("frames", frames, f"frames {frames} is not of the form {base}+{step}n (e.g. 121)")
    if "framespersecond" in fields:
        fps = _require_int("framespersecond", fields["framespersecond"])
        if fps not in rules["fps"]:
            raise _fail("framespersecond", fps, f"framespersecond {fps} is not supported (only 24)")
    if "seed" in fields:
        _check_seed(fields["seed"], "ark")
    for param in ("camerafixed", "camera_fixed"):
        if param in fields:
            _check_camera_fixed(param, fields[param], model, scenario)
    if "service_tier" in fields:
        tiers = rules["service_tiers"]
        if fields["service_tier"] not in tiers:
            value = fields["service_tier"]
            raise _fail("service_tier", value, f"service_tier {_show(value)} is not one of {_choices(tiers)}")
    if "execution_expires_after" in fields:
        low, high = rules["execution_expires_after_range"]
        value = _require_int("execution_expires_after", fields["execution_expires_after"])
        _in_range("execution_expires_after", value, max(low, model.execution_expires_after_min), high, model, " s")
    if "callback_url" in fields:
        _require_callback_url("callback_url", fields["callback_url"])
    for param in ("safety_identifier", "output_format", "omni_reference_task_type"):
        if param in fields:
            _require_str(param, fields[param])
    for param, allowed in (
        ("output_format", model.output_formats),
        ("omni_reference_task_type", model.omni_reference_task_types),
    ):
        if param in fields and allowed and fields[param] not in allowed:
            raise _fail(param, fields[param], f"{param} {_show(fields[param])} is not one of {_choices(allowed)}")
    if "priority" in fields:
        low, high = rules["priority_range"]
        _in_range("priority", _require_int("priority", fields["priority"]), low, high)
        if fields.get("service_tier") == "flex":
            raise _fail("priority", fields["priority"], "priority is not supported with service_tier flex")
    if fields.get("draft") is True:
        # A draft renders at 480p, with no last frame, never on flex [FIDELITY §5].
        if "resolution" in fields and str(fields["resolution"]).lower() != "480p":
            raise _fail("resolution", fields["resolution"], "a draft task renders at 480p only")
        if fields.get("return_last_frame") is True:
            raise _fail("return_last_frame", True, "return_last_frame is not supported for a draft task")
        if fields.get("service_tier") == "flex":
            raise _fail("service_tier", "flex", "a draft task cannot use the flex tier")
    if "tools" in fields:
        tools = fields["tools"]
        if not isinstance(tools, list):
            raise _fail("tools", tools, f"tools must be a list, not {_show(tools)}")
        for index, tool in enumerate(tools):
            if not isinstance(tool, dict):
                raise _fail(f"tools[{index}]", tool, f"tools[{index}] must be an object, not {_show(tool)}")


# ---------------------------------------------------------------------------------------------- predictions


def _normalize_op(op: str) -> str:
    normal = op.replace("_", "-").strip("/").lower() if isinstance(op, str) else op
    if normal not in PREDICTION_FIELDS:
        raise _fail("op", op, f"unknown predictions operation {op!r} (one of {_choices(PREDICTION_OPS)})")
    return normal


def _url_list(param: str, value: Any) -> int:
    if not isinstance(value, list):
        raise _fail(param, value, f"{param} must be a list of URLs")
    for index, url in enumerate(value):
        if not isinstance(url, str) or not url:
            raise _fail(f"{param}[{index}]", url, f"{param} must be a list of URLs, not {_show(url)} at {index}")
    return len(value)


def validate_prediction_request(op: str, model: str, body: Mapping[str, Any]) -> None:
    """Raise ValidationError unless ``body`` is a predictions submit body ``model`` accepts for ``op``.

    ``op`` is ``text-to-video``, ``image-to-video`` or ``reference-to-video``; ``model`` is the path's model.
    A ``model`` key in the body, as the contracts carry it, is ignored.
    """
    op = _normalize_op(op)
    m = _known_model(model)
    if not isinstance(body, Mapping):
        raise _fail("body", body, f"the request body must be an object, not {type(body).__name__}")
    allowed = PREDICTION_FIELDS[op]
    # Null means absent for the operation's own fields only: an unknown field is refused even as null,
    # as the predictions contracts do (the Ark family, whose SDK sends nulls, differs [FIDELITY §2]).
    unknown = sorted(k for k in body if k != "model" and k not in allowed)
    if unknown:
        raise _fail(unknown[0], body[unknown[0]], f"unknown parameter {unknown[0]!r} for {op}")
    fields = {k: v for k, v in body.items() if v is not None and k != "model"}
    if "prompt" not in fields:
        raise _fail("prompt", None, "prompt is required")
    _require_str("prompt", fields["prompt"])
    if op == "text-to-video":
        scenario = "text"
    elif op == "image-to-video":
        if "image" not in fields:
            raise _fail("image", None, "image is required for image-to-video")
        _require_url("image", fields["image"])
        if "last_image" in fields:
            _require_url("last_image", fields["last_image"])
        scenario = "first_last_frame" if "last_image" in fields else "first_frame"
    else:
        scenario = "reference"
    if scenario not in m.scenarios:
        # A last frame the model cannot take is the body's fault; an operation it lacks altogether is the
        # path model's, as the contracts say (naming ``image`` would send the caller to "image is required").
        if scenario == "first_last_frame" and "first_frame" in m.scenarios:
            _check_scenario(m, scenario, "last_image", fields["last_image"])
        _check_scenario(m, scenario, "model", model)
    if "seed" in fields and not m.takes("seed"):
        raise _must_be_empty(m, "seed", fields["seed"], scenario)
    if op == "reference-to-video":
        counts: dict[str, int] = {
            kind: _url_list(kind, fields[kind]) for kind in ("images", "videos", "audios") if kind in fields
        }
        limits = m.predictions_reference or {}
        _check_counts(m, counts, limits, {"images": "images", "videos": "videos", "audios": "audios"})
    for param in ("generate_audio", "enable_sync_mode", "is_upload_media", "enable_base64_output"):
        if param in fields:
            _require_bool(param, fields[param])
    if "webhook_url" in fields:
        _require_callback_url("webhook_url", fields["webhook_url"])
        if fields.get("enable_base64_output") is True:
            # A webhook cannot be combined with base64 output [FIDELITY §3].
            raise _fail("enable_base64_output", True, "enable_base64_output cannot be true with a webhook")
    if "aspect_ratio" in fields:
        _check_ratio("aspect_ratio", fields["aspect_ratio"], "predictions")
    if "resolution" in fields:
        _check_resolution(m, scenario, fields["resolution"])
    if "duration" in fields:
        value = fields["duration"]
        # The seed's table says string, its examples send an int: both are accepted [FIDELITY §3].
        if (isinstance(value, str) and _DURATION_STRING.fullmatch(value)) or _is_int(value):
            seconds = int(value)
        else:
            raise _fail("duration", value, f"duration must be a whole number of seconds, not {_show(value)}")
        low, high = m.predictions_duration
        if not low <= seconds <= high:
            raise _fail("duration", value, f"duration {seconds} is outside {low}–{high} s for {m.id}")
    if "seed" in fields:
        _check_seed(fields["seed"], "predictions")
    if "camera_fixed" in fields:
        _check_camera_fixed("camera_fixed", fields["camera_fixed"], m, scenario, "predictions")
