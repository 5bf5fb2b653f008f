"""GET /openapi.json: an OpenAPI 3.1 document of both families, assembled from the contracts.

The document is for tools outside this repository (Schemathesis, client generators), so beyond resolving
every reference inside itself it is written to be *generated from*:

* the per-model rules are one ``anyOf`` branch per model rather than a chain of ``if``/``then`` (the same
  bodies pass; a generator can pick a branch instead of guessing a model that satisfies the chain);
* "content holds an image or a video" is one ``contains`` per kind of visual item rather than one over
  their union (the same bodies pass; see :func:`_visual_by_kind`);
* a predictions body is described without the path's model, as the union of what the models offering the
  operation accept, and ``{model}`` lists exactly those models;
* requests carry the seed documents' examples, and ``links`` lead from a create to the task it made;
* every answer declares its ``x-request-id`` header and every status the API family can give.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema
from aiohttp import web

import contracts
from contracts.endpoints import ENDPOINTS, PREDICTION_OPS, Endpoint, by_name
from mock_server import __version__
from mock_server.wire import reply

#: The scenario a predictions operation needs the model to offer (models.json ``scenarios``).
_OP_SCENARIO = {"text-to-video": "text", "image-to-video": "first_frame", "reference-to-video": "reference"}

# Request examples: the seed documents' own bodies [seed 002, seed 004] (tests/mock_server/test_openapi.py
# keeps them equal to tests/fixtures/seeds), without `model` for the predictions family, where it is the path's.
_ARK_EXAMPLES = {
    "first_frame": {
        "summary": "Seed 002: a prompt and a first frame image",
        "value": {
            "model": "dreamina-seedance-2-0-260128",
            "content": [
                {"type": "text", "text": "A girl holding a fox, gentle breeze blowing through her hair, golden sunset"
                 " light, cinematic, shallow depth of field"},
                {"type": "image_url", "image_url": {"url": "https://tos.gptproto.com/resource/cat.png"}},
            ],
            "generate_audio": True,
        },
    },
    "text_command": {
        "summary": "Seed 002: text to video with a text command in the prompt",
        "value": {
            "model": "dreamina-seedance-2-0-260128",
            "content": [
                {"type": "text", "text": "Multiple shots. A detective enters a dimly lit room. He examines the clues"
                 " on the table and picks up an item. The camera shifts to him deep in thought. --ratio 16:9"},
            ],
        },
    },
}  # fmt: skip
_PREDICTION_EXAMPLES: dict[str, dict[str, Any]] = {
    "text-to-video": {
        "seed004": {
            "summary": "Seed 004: text to video",
            "value": {
                "prompt": "Multiple shots. A detective enters a dimly lit room, slow camera pan reveals scattered"
                " papers on a mahogany desk. Cut to close-up of a flickering candle, then wide shot of the detective"
                " picking up a blood-stained letter. Cinematic lighting, film noir style, 35mm lens.",
                "aspect_ratio": "16:9", "duration": 5, "resolution": "720p", "seed": -1,
            },
        },
    },
    "image-to-video": {
        "first_frame": {
            "summary": "Seed 004: first frame",
            "value": {
                "prompt": "A girl holding a fox opens her eyes and looks gently at the camera. The fox is held"
                " affectionately. The camera slowly pulls back as the girl's hair is blown by the wind. Wind sounds"
                " can be heard",
                "image": "https://example.com/ref_image_1.png",
            },
        },
        "first_last_frame": {
            "summary": "Seed 004: first and last frame",
            "value": {
                "prompt": "The girl in the picture says 'cheese' to the camera with 360-degree surrounding camera"
                " movement",
                "image": "https://example.com/ref_image_1.png",
                "last_image": "https://example.com/ref_image_2.png",
            },
        },
    },
    "reference-to-video": {
        "images": {
            "summary": "Seed 004: reference images",
            "value": {
                "prompt": "A cat walking on the beach at sunset, cinematic lighting",
                "images": ["https://example.com/ref_image_1.png", "https://example.com/ref_image_2.png"],
            },
        },
        "image_video_audio": {
            "summary": "Seed 004: a reference image, video and audio",
            "value": {
                "prompt": "A dog running through a park, following the style and motion of the reference video",
                "videos": ["https://example.com/ref_video.mp4"],
                "images": ["https://example.com/ref_image_1.png"],
                "audios": ["https://example.com/ref_audio.mp3"],
            },
        },
    },
}  # fmt: skip
#: The model of the seed 004 page, the example for ``{model}``.
_EXAMPLE_MODEL = "doubao-seedance-2-0-fast-260128"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_REQUEST_ID = {
    "description": "Every answer carries one; Ark error messages end with it [FIDELITY §1].",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"x-request-id": _REQUEST_ID},
        "content": {"application/json": {"schema": schema}},
    }


def _errors(shape: str) -> dict[str, Any]:
    """Every error status a family's operation can answer (fault rules aside, which answer what they are told)."""
    gateway = _ref("gateway.error")
    return {
        "400": _json(_ref(shape), "Invalid request (and content-policy refusals)"),
        "401": _json(gateway, "Missing or invalid API key"),
        "403": _json(gateway, "No permission for the model, or insufficient balance"),
        "404": _json(_ref(shape), "Unknown model or task"),
        "413": _json(_ref(shape), "The body is larger than --max-body-mb"),
        "415": _json(_ref(shape), "The body is not JSON (Content-Type)"),
        "429": _json({"anyOf": [_ref(shape), gateway]}, "Queue quota (family shape) or request rate (gateway shape)"),
        "500": _json(_ref(shape), "Internal error"),
    }


def _localized(name: str) -> dict[str, Any]:
    """A contract as an OpenAPI component: references that the contracts resolve through their ``$id`` in
    our registry (``common.json#/$defs/seed``) point inside this document instead (``#/components/schemas/
    common/$defs/seed``), and ``$id`` goes, so that tools outside this repository can resolve them."""

    def local(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: local(v) for k, v in node.items() if k not in ("$id", "$schema")}
            ref = node.get("$ref")
            if isinstance(ref, str):
                base, _, pointer = ref.partition("#")
                target = base.removesuffix(".json") if base else name
                out["$ref"] = f"#/components/schemas/{target}{pointer}"
            return out
        if isinstance(node, list):
            return [local(item) for item in node]
        return node

    localized: dict[str, Any] = local(contracts.schema(name))  # a schema file is an object, so is its copy
    return localized


def _model_guard(rule: Any) -> list[str] | None:
    """The models a model-rules ``if`` names, when it is exactly ``{"required": ["model"], "properties":
    {"model": {"enum": [...]}}}`` (with ``type: object``), else None."""
    cond = rule.get("if") if isinstance(rule, dict) else None
    if not isinstance(cond, dict) or set(rule) - {"if", "then", "$comment"} or "then" not in rule:
        return None
    if set(cond) - {"type", "required", "properties"} or cond.get("required") != ["model"]:
        return None
    if cond.get("type", "object") != "object" or set(cond.get("properties", {})) != {"model"}:
        return None
    enum = cond["properties"]["model"].get("enum")
    return enum if isinstance(enum, list) and set(cond["properties"]["model"]) == {"enum"} else None


def _split_by_model(rules: dict[str, Any]) -> list[tuple[list[str], Any]] | None:
    """``[(models, then), …]`` of a model-rules definition shaped ``{"allOf": [{"properties": {"model":
    {"enum": ALL}}}, {"if": model ∈ M_i, "then": R_i}, …]}`` whose ``M_i`` partition ``ALL``; else None."""
    parts = rules.get("allOf") if set(rules) <= {"allOf", "description", "$comment"} else None
    if not isinstance(parts, list) or not parts:
        return None
    try:
        universe = parts[0]["properties"]["model"]["enum"]
    except (KeyError, TypeError):
        return None
    branches = []
    for rule in parts[1:]:
        models = _model_guard(rule)
        if models is None:
            return None
        branches.append((models, rule["then"]))
    named = [m for models, _ in branches for m in models]
    if len(named) != len(set(named)) or set(named) != set(universe):
        return None
    return branches


def _by_model(rules: dict[str, Any]) -> dict[str, Any]:
    """The same rules, one ``anyOf`` branch per model instead of a chain of ``if``/``then``.

    Exactly the same instances pass: the models of the ``if``s partition the allowed names, so a named model
    meets exactly one ``if``, whose ``then`` is the branch's; an instance without ``model`` met no ``if``,
    and meets the first branch. Schema generators handle a choice of branches far better than ``if``
    chains, whose ``then`` parts they must satisfy by luck. Any other shape is returned unchanged.
    """
    branches = _split_by_model(rules)
    if branches is None:
        return rules
    out = {k: v for k, v in rules.items() if k != "allOf"}
    first = rules["allOf"][0]
    out["allOf"] = [
        first,
        {
            "anyOf": [
                {"not": {"required": ["model"]}},
                *({"required": ["model"], "properties": {"model": {"enum": models}}, "allOf": [then]}
                  for models, then in branches),
            ]
        },
    ]  # fmt: skip
    return out


_COMMON = "#/components/schemas/common/$defs/"
#: The kinds of visual item an Ark content item can be: every image is a first frame (role first_frame,
#: null or none), a last frame or a reference image (ark_content_item admits no other role), or a video.
_VISUAL_KINDS = ("is_first_frame_item", "is_last_frame_item", "is_reference_image_item", "is_video_item")


def _visual_kinds_cover() -> bool:
    """Whether every visual item an Ark content item admits is of one of :data:`_VISUAL_KINDS`: an image
    without role, an image with each role ``ark_content_item`` admits, and a video."""
    defs = contracts.schema("common")["$defs"]
    image_rules = [
        rule["then"] for rule in defs["ark_content_item"].get("allOf", [])
        if rule.get("if") == {"$ref": "#/$defs/is_image_item"}
    ]  # fmt: skip
    roles = [r["properties"]["role"].get("enum") for r in image_rules if "role" in r.get("properties", {})]
    if len(roles) != 1 or not isinstance(roles[0], list):
        return False

    def check(name: str) -> Any:
        return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": defs}).is_valid

    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    video = {"type": "video_url", "video_url": {"url": "https://example.com/a.mp4"}, "role": "reference_video"}
    items = [image, *({**image, "role": role} for role in roles[0]), video]
    kinds = [check(kind) for kind in _VISUAL_KINDS]
    return all(check("is_visual_item")(item) and any(kind(item) for kind in kinds) for item in items)


def _visual_by_kind(rules: Any) -> Any:
    """The same rules with ``content: {"contains": is_visual_item}`` spelled ``anyOf: [{"contains": K}, …]``
    over :data:`_VISUAL_KINDS`.

    Exactly the same bodies pass: an array contains an element of a union iff it contains an element of
    one of its parts, and within a create body every content item is an ``ark_content_item``, whose visual
    items are each of one of the kinds (:func:`_visual_kinds_cover`; when that no longer holds, the rules
    are returned unchanged). Why: Schemathesis places a demanded element clear of every bounded
    ``contains`` (at most one first frame, one last frame), so for a model without text-to-video it must
    draw a visual item that is no frame; outside the reference scenario (no reference item allowed) there
    is none, and the empty draw escapes as "Cannot generate an array with 1 demanded elements". A demand
    per kind lets it place a first frame, which the bound admits once.
    """
    if not _visual_kinds_cover():
        return rules

    def split(node: Any) -> Any:
        if isinstance(node, list):
            return [split(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: split(value) for key, value in node.items()}
        content = out.get("properties", {}).get("content") if isinstance(out.get("properties"), dict) else {}
        demand = isinstance(content, dict) and content.get("contains") == {"$ref": _COMMON + "is_visual_item"}
        if demand and not set(content) & {"minContains", "maxContains", "anyOf"}:
            rest = {key: value for key, value in content.items() if key != "contains"}
            kinds = [{"contains": {"$ref": _COMMON + kind}} for kind in _VISUAL_KINDS]
            out["properties"] = {**out["properties"], "content": {**rest, "anyOf": kinds}}
        return out

    return split(rules)


def _offers(op: str) -> list[str]:
    """Every name (ids and aliases) of the models that offer predictions operation ``op``."""
    need = _OP_SCENARIO[op]
    return [name for m in contracts.all_models() if need in m.scenarios for name in m.names]


def _prediction_body(op: str, contract: str, rules: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /api/v3/bytedance/{model}/<op>`` as sent: the contract judges it with the path's
    model as ``model``; here, where a body cannot depend on the path, it is the union of what the models
    offering ``op`` accept. A ``model`` in the body is replaced by the path's (mock_server.createbody)."""
    body = _localized(contract)
    body["description"] = (
        f"The body of POST {by_name('predictions.' + op).path} as sent. The server judges it by `{contract}`"
        " with the path's model as `model`; this union of what the models offering the operation accept is"
        " what a description without the path can say."
    )
    body["required"] = [r for r in body.get("required", []) if r != "model"]
    body["properties"]["model"] = {
        "description": "Not read: the path's {model} is the model (a body `model` is replaced by it)."
    }
    branches = _split_by_model(rules)
    if branches is not None:
        offered = set(_offers(op))
        union = {"anyOf": [then for models, then in branches if offered & set(models)]}
        body["allOf"] = [union if _is_rules_ref(part) else part for part in body.get("allOf", [])]
    else:  # an unexpected shape of model-rules: describe no per-model limit rather than a wrong one
        body["allOf"] = [part for part in body.get("allOf", []) if not _is_rules_ref(part)]
    return body


def _is_rules_ref(part: Any) -> bool:
    return isinstance(part, dict) and str(part.get("$ref", "")).startswith("#/components/schemas/model-rules/")


def _components() -> dict[str, Any]:
    schemas = {name: _localized(name) for name in contracts.names()}
    defs = schemas["model-rules"]["$defs"]
    raw = {name: copy.deepcopy(defs[name]) for name in defs}
    for name, rules in raw.items():
        if name in ("ark", *(PREDICTION_OPS[op].removesuffix(".request") for op in PREDICTION_OPS)):
            defs[name] = _by_model(rules)
    defs["ark"] = _visual_by_kind(defs["ark"])  # judged only inside the create body, on ark_content_items
    for op, contract in PREDICTION_OPS.items():
        schemas[_body_name(op)] = _prediction_body(op, contract, raw[contract.removesuffix(".request")])
    return schemas


def _body_name(op: str) -> str:
    """The component holding a predictions operation's body as sent (``predictions.text_to_video.body``)."""
    return PREDICTION_OPS[op].removesuffix(".request") + ".body"


def _link(operation_id: str, pointer: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": {"task_id": f"$response.body#{pointer}"}}


def _task_links(pointer: str) -> dict[str, Any]:
    """A created task's id leads to every operation that reads or removes it (either family)."""
    return {
        "GetTask": _link("getTask", pointer),
        "DeleteTask": _link("deleteTask", pointer),
        "GetPredictionResult": _link("getPredictionResult", pointer),
        "GetPrediction": _link("getPrediction", pointer),
    }


def _list_params() -> list[dict[str, Any]]:
    """The list query's parameters, typed by the ``ark.list_tasks.query`` contract that judges them."""
    query = contracts.schema("ark.list_tasks.query")["properties"]
    params = []
    for name, schema in query.items():
        param: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
        if schema.get("type") == "array":
            param.update(style="form", explode=True)  # repeated: ?filter.task_ids=a&filter.task_ids=b
        params.append(param)
    return params


#: What the document says of each endpoint beyond the endpoint table: its ``operationId``, what its 200
#: means and, where it needs one, a description. A predictions submit's come from its operation.
_OPERATIONS: dict[str, dict[str, str]] = {
    "ark.create": {"operationId": "createTask", "ok": "Created"},
    "ark.list": {"operationId": "listTasks", "ok": "A page of tasks"},
    "ark.get": {"operationId": "getTask", "ok": "The task"},
    "ark.delete": {
        "operationId": "deleteTask",
        "ok": "Cancelled or deleted",
        "description": "Cancels a queued task, deletes a finished one; a running or cancelled task is a 400.",
    },
    "predictions.result": {"operationId": "getPredictionResult", "ok": "The prediction"},
    "predictions.get": {"operationId": "getPrediction", "ok": "The prediction (WaveSpeed's path)"},
    "predictions.webhook_secret": {"operationId": "getWebhookSecret", "ok": "The key's webhook signing secret"},
}


def _about(endpoint: Endpoint) -> dict[str, str]:
    """operationId, the 200's meaning and a description of ``endpoint`` (KeyError: an endpoint not told here)."""
    if endpoint.creates and endpoint.family == "predictions":
        op = endpoint.operation
        return {
            "operationId": "submit" + "".join(p.title() for p in op.split("-")),
            "ok": "Submitted",
            "description": f"The server judges the body by `{endpoint.request}` with the path's model as `model`.",
        }
    return _OPERATIONS[endpoint.name]


def _path_params(endpoint: Endpoint) -> list[dict[str, Any]]:
    """The path's ``{task_id}`` / ``{model}`` parameters."""
    params: list[dict[str, Any]] = []
    if "{model}" in endpoint.path:
        params.append({"name": "model", "in": "path", "required": True, "example": _EXAMPLE_MODEL,
                       "description": "A model id or alias that offers this operation.",
                       "schema": {"enum": _offers(endpoint.operation)}})  # fmt: skip
    if "{task_id}" in endpoint.path:
        params.append({"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}})
    return params


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    """The OpenAPI operation of one endpoint of the table: its body or query, its answers, its links."""
    about = _about(endpoint)
    operation: dict[str, Any] = {"operationId": about["operationId"]}
    if "description" in about:
        operation["description"] = about["description"]
    if endpoint.method == "GET" and endpoint.request is not None:  # a list: the contract judges the query
        operation["parameters"] = _list_params()
    elif endpoint.request is not None and endpoint.family == "predictions":
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _ref(_body_name(endpoint.operation)),
                    "examples": _PREDICTION_EXAMPLES[endpoint.operation],
                }
            },
        }
    elif endpoint.request is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _ref(endpoint.request), "examples": _ARK_EXAMPLES}}}  # fmt: skip
    ok = _json(_ref(endpoint.response) if endpoint.response else {}, about["ok"])
    if endpoint.creates:
        ok["links"] = _task_links("/id" if endpoint.family == "ark" else "/data/id")
    elif endpoint.name == "ark.list":
        ok["links"] = {"GetListedTask": _link("getTask", "/items/0/id")}
    operation["responses"] = {"200": ok, **_errors(endpoint.error)}
    return operation


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document (built once): one operation for each endpoint of ``contracts.endpoints``."""
    paths: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        item = paths.setdefault(endpoint.path, {})
        params = _path_params(endpoint)
        if params:
            item["parameters"] = params
        item[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {"title": "GPTProto Seedance API (seedance-mock)", "version": __version__},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": _components(),
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        },
        "security": [{"apiKey": []}],
        "paths": paths,
    }


async def openapi(request: web.Request) -> web.Response:
    """GET /openapi.json."""
    return reply(document())


def routes() -> list[web.RouteDef]:
    """The OpenAPI route."""
    return [web.get("/openapi.json", openapi)]
