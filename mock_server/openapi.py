"""GET /openapi.json: an OpenAPI 3.1 document of both families, assembled from the contracts."""

from __future__ import annotations

from functools import cache
from typing import Any

from aiohttp import web

import contracts
from mock_server import __version__
from mock_server.requests import PREDICTION_OPS
from mock_server.wire import reply


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _errors(shape: str) -> dict[str, Any]:
    return {
        "400": _json(shape, "Invalid request (and content-policy refusals)"),
        "401": _json("gateway.error", "Missing or invalid API key"),
        "403": _json("gateway.error", "No permission or insufficient balance"),
        "404": _json(shape, "Unknown model or task"),
        "429": _json(shape, "Rate limit or queue quota"),
        "500": _json(shape, "Internal error"),
    }


def _component(name: str) -> dict[str, Any]:
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

    return local(contracts.schema(name))


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document (built once)."""
    task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
    list_params = [
        {"name": n, "in": "query", "schema": {"type": t}}
        for n, t in [("page_num", "integer"), ("page_size", "integer"), ("filter.status", "string"),
                     ("filter.model", "string"), ("filter.service_tier", "string")]
    ] + [{"name": "filter.task_ids", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
          "style": "form", "explode": True}]  # fmt: skip
    paths: dict[str, Any] = {
        "/api/v3/contents/generations/tasks": {
            "post": {
                "operationId": "createTask",
                "requestBody": {"required": True, **_json("ark.create_task.request", "Create body")},
                "responses": {"200": _json("ark.create_task.response", "Created"), **_errors("ark.error")},
            },
            "get": {
                "operationId": "listTasks",
                "parameters": list_params,
                "responses": {"200": _json("ark.task_list", "A page of tasks"), **_errors("ark.error")},
            },
        },
        "/api/v3/contents/generations/tasks/{task_id}": {
            "parameters": [task_id],
            "get": {
                "operationId": "getTask",
                "responses": {"200": _json("ark.task", "The task"), **_errors("ark.error")},
            },
            "delete": {
                "operationId": "deleteTask",
                "responses": {"200": _json("ark.delete_task.response", "Cancelled or deleted"),
                              **_errors("ark.error")},
            },
        },
        "/api/v3/predictions/{task_id}/result": {
            "parameters": [task_id],
            "get": {
                "operationId": "getPredictionResult",
                "responses": {"200": _json("predictions.envelope", "The prediction"),
                              **_errors("predictions.error")},
            },
        },
        "/api/v3/predictions/{task_id}": {
            "parameters": [task_id],
            "get": {
                "operationId": "getPrediction",
                "responses": {"200": _json("predictions.envelope", "The prediction (WaveSpeed's path)"),
                              **_errors("predictions.error")},
            },
        },
    }  # fmt: skip
    for op, name in PREDICTION_OPS.items():
        paths[f"/api/v3/bytedance/{{model}}/{op}"] = {
            "parameters": [{"name": "model", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": {
                "operationId": "submit" + "".join(p.title() for p in op.split("-")),
                "description": f"The body is judged by `{name}` with the path's model as `model`.",
                "requestBody": {"required": True, **_json(name, "Submit body")},
                "responses": {"200": _json("predictions.envelope", "Submitted"), **_errors("predictions.error")},
            },
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "GPTProto Seedance API (seedance-mock)", "version": __version__},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": {name: _component(name) for name in contracts.names()},
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
