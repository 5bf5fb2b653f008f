"""The served OpenAPI document: what it rewrites for schema generators still judges requests exactly as the
contracts do (or, where a body cannot see the path's model, never refuses what the server accepts); its
examples are the seed documents' bodies; its links and parameters name what exists."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import contracts
from contracts.endpoints import ENDPOINTS, PREDICTION_OPS
from mock_server import openapi
from mock_server.app import create_app
from mock_server.config import MockConfig
from mock_server.openapi import _by_model, document
from tests.contracts.contract_helpers import FIXTURES
from tests.harness.strategies import ark_bodies, prediction_requests, valid_ark_bodies, valid_prediction_requests

TASKS = "/api/v3/contents/generations/tasks"


@cache
def served(component: str) -> tuple[Any, Any]:
    """Validators for one component of the served document, resolved inside it as an outside tool does:
    the Python reference implementation and the Rust one Schemathesis uses."""
    doc = {**document(), "$ref": f"#/components/schemas/{component}"}
    return Draft202012Validator(doc), jsonschema_rs.validator_for(doc)


def accepts(component: str, instance: Any) -> bool:
    py, rs = served(component)
    verdict = py.is_valid(instance)
    assert rs.is_valid(instance) == verdict, f"jsonschema and jsonschema-rs disagree on {instance!r}"
    return verdict


def _operation(operation_id: str) -> dict[str, Any]:
    for item in document()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise KeyError(operation_id)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(ark_bodies(), valid_ark_bodies()))
def test_the_served_create_body_judges_exactly_as_the_contract(body: dict[str, Any]) -> None:
    # The per-model rules are served as one anyOf branch per model, not an if/then chain: same verdicts.
    assert accepts("ark.create_task.request", body) == contracts.is_valid("ark.create_task.request", body)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(prediction_requests(), valid_prediction_requests()))
def test_a_served_predictions_body_refuses_nothing_the_server_accepts(request: tuple[str, str, dict]) -> None:
    op, model, body = request
    name = openapi._body_name(op)
    offered = _operation("submit" + "".join(p.title() for p in op.split("-")))
    models = document()["paths"][f"/api/v3/bytedance/{{model}}/{op}"]["parameters"][0]["schema"]["enum"]
    if contracts.is_valid(PREDICTION_OPS[op], {**body, "model": model}):
        assert model in models and accepts(name, body)
    # What it refuses for every model, the served body refuses too (it is their union, not looser).
    if not any(contracts.is_valid(PREDICTION_OPS[op], {**body, "model": m}) for m in models):
        assert not accepts(name, body), offered["operationId"]


def test_model_lists_name_exactly_the_models_offering_each_operation() -> None:
    needs = {"text-to-video": "text", "image-to-video": "first_frame", "reference-to-video": "reference"}
    for op, scenario in needs.items():
        served_models = document()["paths"][f"/api/v3/bytedance/{{model}}/{op}"]["parameters"][0]["schema"]["enum"]
        expected = {n for m in contracts.all_models() if scenario in m.scenarios for n in m.names}
        assert set(served_models) == expected and expected


def test_the_model_rules_are_served_by_model() -> None:
    rules = document()["components"]["schemas"]["model-rules"]["$defs"]
    for name in ("ark", "predictions.text_to_video", "predictions.image_to_video", "predictions.reference_to_video"):
        assert not any("if" in part for part in rules[name]["allOf"]), name
        branches = rules[name]["allOf"][1]["anyOf"]
        assert len(branches) == len(contracts.all_models()) + 1  # one per model, and "no model"


def test_rules_of_another_shape_are_served_unchanged() -> None:
    overlap = {
        "allOf": [
            {"properties": {"model": {"enum": ["a", "b"]}}},
            {"if": {"required": ["model"], "properties": {"model": {"enum": ["a", "b"]}}}, "then": {"minItems": 2}},
            {"if": {"required": ["model"], "properties": {"model": {"enum": ["b"]}}}, "then": {"minItems": 3}},
        ]
    }  # fmt: skip
    assert _by_model(overlap) == overlap  # "b" meets two ifs: no branch per model says the same
    assert _by_model({"allOf": [{"type": "object"}]}) == {"allOf": [{"type": "object"}]}


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())["instance"]


#: Every request example of the document and the seed fixture it copies.
EXAMPLES = [
    ("createTask", "first_frame", "seed002_create_body"),
    ("createTask", "text_command", "seed002_text_command_body"),
    ("submitTextToVideo", "seed004", "seed004_text_to_video_body"),
    ("submitImageToVideo", "first_frame", "seed004_image_first_frame_body"),
    ("submitImageToVideo", "first_last_frame", "seed004_image_first_last_body"),
    ("submitReferenceToVideo", "images", "seed004_reference_images_body"),
    ("submitReferenceToVideo", "image_video_audio", "seed004_reference_image_video_body"),
]


@pytest.mark.parametrize(("operation_id", "example", "fixture"), EXAMPLES)
def test_request_examples_are_the_seed_documents_bodies(operation_id: str, example: str, fixture: str) -> None:
    media = _operation(operation_id)["requestBody"]["content"]["application/json"]
    value = media["examples"][example]["value"]
    seed = _fixture(fixture)
    if operation_id == "createTask":
        assert value == seed and contracts.is_valid("ark.create_task.request", value)
    else:  # the predictions family: the page's model is the path's, not a body field
        assert value == {k: v for k, v in seed.items() if k != "model"}
        assert contracts.is_valid(PREDICTION_OPS[_op_of(operation_id)], seed)
        assert seed["model"] == openapi._EXAMPLE_MODEL
    assert accepts(media["schema"]["$ref"].rsplit("/", 1)[-1], value)


def test_every_request_example_is_checked_against_its_seed() -> None:
    served_examples = {
        (op["operationId"], name)
        for item in document()["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "requestBody" in op
        for name in op["requestBody"]["content"]["application/json"].get("examples", {})
    }
    assert served_examples == {(op, name) for op, name, _ in EXAMPLES}


def _op_of(operation_id: str) -> str:
    return next(op for op in PREDICTION_OPS if "submit" + "".join(p.title() for p in op.split("-")) == operation_id)


def test_links_lead_from_every_create_to_the_operations_on_its_task() -> None:
    ids = {op["operationId"] for item in document()["paths"].values() for op in item.values() if isinstance(op, dict)}
    creates = {"createTask": "$response.body#/id", **{f"submit{o}": "$response.body#/data/id"
               for o in ("TextToVideo", "ImageToVideo", "ReferenceToVideo")}}  # fmt: skip
    for operation_id, pointer in creates.items():
        links = _operation(operation_id)["responses"]["200"]["links"]
        assert {link["operationId"] for link in links.values()} == {
            "getTask", "deleteTask", "getPrediction", "getPredictionResult"
        }  # fmt: skip
        assert all(link["parameters"] == {"task_id": pointer} for link in links.values())
    responses = [r for item in document()["paths"].values() for op in item.values() if isinstance(op, dict)
                 for r in op["responses"].values()]  # fmt: skip
    targets = [link["operationId"] for r in responses for link in r.get("links", {}).values()]
    assert set(targets) <= ids


def test_every_answer_declares_its_request_id_and_the_family_statuses() -> None:
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            assert {"200", "400", "401", "403", "404", "413", "415", "429", "500"} <= set(op["responses"]), path
            for response in op["responses"].values():
                assert response["headers"]["x-request-id"]["required"] is True


def test_the_list_query_is_typed_by_its_contract() -> None:
    params = {p["name"]: p for p in _operation("listTasks")["parameters"]}
    query = contracts.schema("ark.list_tasks.query")["properties"]
    assert {name: p["schema"] for name, p in params.items()} == query
    assert params["filter.task_ids"]["explode"] is True


def test_a_visual_item_demand_is_served_per_kind_and_judges_the_same() -> None:
    # "Needs an image" is served as one contains per kind of visual item, which Schemathesis can satisfy
    # next to the "at most one first/last frame" bounds; the same bodies pass, for every kind of item.
    assert openapi._visual_kinds_cover()
    assert "is_visual_item" not in json.dumps(document()["components"]["schemas"]["model-rules"]["$defs"]["ark"])
    image_only = [m.names[0] for m in contracts.all_models() if "text" not in m.scenarios]
    assert image_only
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    items = [
        {"type": "text", "text": "a fox"},
        image, *({**image, "role": role} for role in ("first_frame", "last_frame", "reference_image", None, "x")),
        {"type": "video_url", "video_url": {"url": "https://example.com/a.mp4"}, "role": "reference_video"},
        {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}, "role": "reference_audio"},
    ]  # fmt: skip
    verdicts = set()
    for model in image_only:
        for content in [[item] for item in items] + [[items[0], item] for item in items[1:]]:
            body = {"model": model, "content": content}
            verdict = contracts.is_valid("ark.create_task.request", body)
            assert accepts("ark.create_task.request", body) == verdict, body
            verdicts.add(verdict)
    assert verdicts == {True, False}


def test_the_document_lists_every_served_api_path_and_nothing_else() -> None:
    # The document is generated from the endpoint table, and so are the routes: each (method, path) the
    # server routes under /api/ is an operation of the document, and the reverse.
    app = create_app(MockConfig())
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    }
    paths = document()["paths"]
    documented = {(method, path) for path, item in paths.items() for method in item if method != "parameters"}
    assert served == documented
    assert served == {(e.method.lower(), e.path) for e in ENDPOINTS}
