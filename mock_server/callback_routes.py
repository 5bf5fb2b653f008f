"""``/_mock/callbacks`` (every delivery attempt) and ``/_mock/sink/{name}`` (a receiver on the mock itself).

The sink is exempt from the control plane's admin token and JSON/Origin rules (it is called by the mock's
own deliveries and by anything a user points at it), so it takes any body and changes nothing but itself.
"""

from __future__ import annotations

import re

from aiohttp import web

from mock_server.errors import ApiError
from mock_server.state import STATE
from mock_server.wire import reply

#: The callback routes of the control plane (each handler declares its own; admin.routes() serves them).
ROUTES = web.RouteTableDef()

_SINK_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_FILTERS = ("task_id", "url", "outcome", "event", "kind")


def _bad(message: str, param: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message, param)


@ROUTES.get("/_mock/callbacks")
async def list_callbacks(request: web.Request) -> web.Response:
    """GET /_mock/callbacks?task_id=&url=&outcome=&event=&kind=&limit=: every attempt, oldest first."""
    state = request.app[STATE]
    unknown = sorted(set(request.query) - {*_FILTERS, "limit"})
    if unknown:
        raise _bad(f"Unknown filter(s): {', '.join(unknown)}; use {', '.join(_FILTERS)} or limit.", unknown[0])
    filters = {name: request.query[name] for name in _FILTERS if name in request.query}
    raw_limit = request.query.get("limit", "0")
    if not raw_limit.isascii() or not raw_limit.isdigit() or len(raw_limit) > 9:
        raise _bad("limit must be a non-negative integer.", "limit")
    items = state.deliveries.list(**filters, limit=int(raw_limit))
    return reply({"total": len(items), "items": items, **state.deliveries.counts()})


@ROUTES.delete("/_mock/callbacks")
async def clear_callbacks(request: web.Request) -> web.Response:
    """DELETE /_mock/callbacks: forget the record of attempts (deliveries still waiting go on)."""
    request.app[STATE].deliveries.records.clear()
    return reply({})


def _sink_name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not _SINK_NAME.fullmatch(name):
        raise _bad("A sink name is 1 to 64 letters, digits, dots, dashes or underscores.", "name")
    return name


@ROUTES.post("/_mock/sink/{name}")
async def sink_post(request: web.Request) -> web.Response:
    """POST /_mock/sink/{name}[?status=N]: record the request; answer 200 ``{}`` (or status N, to make the
    mock's own deliveries retry)."""
    state = request.app[STATE]
    name = _sink_name(request)
    status = 200
    if "status" in request.query:
        raw = request.query["status"]
        if not (raw.isascii() and raw.isdigit() and len(raw) == 3 and 200 <= int(raw) <= 599):
            raise _bad("status must be an HTTP status from 200 to 599.", "status")
        status = int(raw)
    raw_body = await request.read()
    headers = {k.lower(): v for k, v in request.headers.items()}
    state.deliveries.sinks.record(name, headers, raw_body, state.now())
    return reply({}, status=status)


@ROUTES.get("/_mock/sink/{name}")
async def sink_get(request: web.Request) -> web.Response:
    """GET /_mock/sink/{name}: what the sink received, oldest first."""
    items = request.app[STATE].deliveries.sinks.list(_sink_name(request))
    return reply({"total": len(items), "items": items})


@ROUTES.delete("/_mock/sink/{name}")
async def sink_delete(request: web.Request) -> web.Response:
    """DELETE /_mock/sink/{name}: forget what the sink received."""
    request.app[STATE].deliveries.sinks.clear(_sink_name(request))
    return reply({})
