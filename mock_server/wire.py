"""Reading JSON bodies and writing JSON answers, the same way for every route."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mock_server.errors import ApiError

_JSON_TYPES = ("application/json", "text/json")

# Typed per-request storage (aiohttp's RequestKey).
REQUEST_ID = web.RequestKey("request_id", str)
API_KEY = web.RequestKey("api_key", str)
BODY = web.RequestKey("body", object)
RAW_BODY = web.RequestKey("raw_body", bytes)


async def read_json(request: web.Request, *, strict: bool = True) -> Any:
    """The request's JSON body (parsed once, cached on the request), or a clear 4xx.

    A missing Content-Type is tolerated; with ``strict`` (the API families) a form or text body is 415;
    invalid JSON is 400; a body over ``--max-body-mb`` is 413 (aiohttp raises it while reading, the
    error middleware shapes it). The control plane is not strict, so ``curl -d '{…}'`` works.
    """
    if BODY in request:
        return request[BODY]
    declared = request.headers.get("Content-Type")
    ctype = request.content_type
    if strict and declared and not (ctype in _JSON_TYPES or ctype.endswith("+json")):
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"Content-Type must be application/json, not {ctype}.",
        )
    raw = await request.read()
    request[RAW_BODY] = raw[:2048]
    if not raw.strip():
        raise ApiError(400, "MissingParameter", "The request body is empty; send a JSON object.")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "InvalidParameter", f"The request body is not valid JSON: {exc}.") from None
    request[BODY] = body
    return body


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response (compact, UTF-8)."""
    return web.Response(
        body=json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )
