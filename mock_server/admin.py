"""The control plane under /_mock/: health, reset, clock, journal, faults and per-key settings.

HTTP <-> core only, like the API families: each handler reads its request and calls the owner of the
operation (MockState for the clock and reset, Journal, Faults, Accounts), which validates and answers 400
itself; :class:`mock_server.testing.MockServer` calls the same owners. :func:`guard` is the door.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict
from typing import Any

from aiohttp import web

from mock_server import __version__, callback_routes
from mock_server.errors import ApiError
from mock_server.state import STATE
from mock_server.wire import read_json, reply

#: The control plane's routes: each handler below declares its own.
ROUTES = web.RouteTableDef()

_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths the admin token does not guard: the dashboard page itself (it asks for the token) and the callback
#: receiver (the mock's own callbacks, and the user's app, post there) [FIDELITY §13].
_OPEN_GET = frozenset({"/_mock/ui"})
_OPEN_PREFIX = "/_mock/sink/"


def own_origins(request: web.Request) -> set[str]:
    """The origins a browser shows for pages served by this mock (lower-case, no trailing slash)."""
    state = request.app[STATE]
    origins = {f"{request.scheme}://{request.host}".lower()}
    if state.config.public_url:
        origins.add(public_origin(state.config.public_url))
    return origins


def public_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``--public-url`` (which may carry a path)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}".lower()


def guard(request: web.Request) -> None:
    """The control plane's door [FIDELITY §13]: the admin token when one is set (401), then for anything that
    changes state: no cross-site caller (403) and a JSON content type (415). A web page the developer visits
    can send a ``text/plain`` form post to localhost, but not with ``Content-Type: application/json`` or
    an ``X-Admin-Token`` header without a CORS preflight, which the mock never grants."""
    config = request.app[STATE].config
    path, method = request.path, request.method
    if path.startswith(_OPEN_PREFIX):
        return  # the callback receiver takes what a receiver takes: any body, from the mock's own deliveries
    if config.admin_token is not None and not (method in ("GET", "HEAD") and path in _OPEN_GET):
        given = request.headers.get("X-Admin-Token", "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), config.admin_token.encode()):
            raise ApiError(
                401,
                "AuthenticationError",
                "This mock's control plane needs its admin token: send it in the X-Admin-Token header.",
                "X-Admin-Token",
            )
    if method not in _STATE_CHANGING:
        return
    origin = request.headers.get("Origin")
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site" or (
        origin is not None and origin.rstrip("/").lower() not in own_origins(request)
    ):
        raise ApiError(
            403,
            "AccessDenied",
            "Cross-site requests may not change the mock's state (the Origin is not this server's).",
            "Origin",
        )
    if request.content_type != "application/json":
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"{method} {path} needs Content-Type: application/json (it changes the mock's state).",
            "Content-Type",
        )


@ROUTES.get("/_mock/health")
async def health(request: web.Request) -> web.Response:
    """GET /_mock/health."""
    state = request.app[STATE]
    now = state.settle()
    return reply(
        {
            "status": "ok",
            "version": __version__,
            "now": now,
            "time_scale": state.clock.time_scale,
            "tasks": state.store.snapshot(),
            "state": state.durable.status(state) if state.durable is not None else None,
        }
    )


@ROUTES.post("/_mock/reset")
async def reset(request: web.Request) -> web.Response:
    """POST /_mock/reset: forget tasks, keys, faults and the journal."""
    request.app[STATE].reset()
    return reply({"status": "reset"})


@ROUTES.get("/_mock/clock")
async def clock(request: web.Request) -> web.Response:
    """GET /_mock/clock."""
    return reply(request.app[STATE].clock_view())


def _field(body: Any, name: str) -> Any:
    """``body[name]`` of a JSON object body, else None (which the operation refuses with its own 400)."""
    return body.get(name) if isinstance(body, dict) else None


@ROUTES.put("/_mock/clock")
async def set_time_scale(request: web.Request) -> web.Response:
    """PUT /_mock/clock ``{"time_scale": X}``: change how fast mock time runs from now on."""
    state = request.app[STATE]
    now = state.set_time_scale(_field(await read_json(request, strict=False), "time_scale"))
    return reply(state.clock_view(now))


@ROUTES.post("/_mock/clock/advance")
async def advance(request: web.Request) -> web.Response:
    """POST /_mock/clock/advance ``{"seconds": N}``: move mock time forward and settle every task."""
    state = request.app[STATE]
    now = state.advance(_field(await read_json(request, strict=False), "seconds"))
    return reply(state.clock_view(now))


@ROUTES.get("/_mock/requests")
async def journal(request: web.Request) -> web.Response:
    """GET /_mock/requests?method=&path=&limit=: recorded API requests, oldest first, keys redacted."""
    state = request.app[STATE]
    try:
        limit = int(request.query.get("limit", "0"))
    except ValueError:
        raise ApiError(400, "InvalidParameter", "limit must be an integer.", "limit") from None
    entries = state.journal.query(request.query.get("method"), request.query.get("path"), limit)
    return reply({"total": len(entries), "items": [e.as_json() for e in entries]})


@ROUTES.delete("/_mock/requests")
async def clear_journal(request: web.Request) -> web.Response:
    """DELETE /_mock/requests."""
    request.app[STATE].journal.clear()
    return reply({})


@ROUTES.post("/_mock/faults")
async def add_fault(request: web.Request) -> web.Response:
    """POST /_mock/faults: add a rule for the next N matching requests."""
    state = request.app[STATE]
    rule = state.faults.add(await read_json(request, strict=False))
    return reply(asdict(rule), status=201)


@ROUTES.get("/_mock/faults")
async def list_faults(request: web.Request) -> web.Response:
    """GET /_mock/faults."""
    return reply({"items": request.app[STATE].faults.list()})


@ROUTES.get("/_mock/keys/{key}")
async def get_key(request: web.Request) -> web.Response:
    """GET /_mock/keys/{key}: the key's settings, or the defaults it would start with. Reading never
    registers the key, so it cannot let a key in past ``--api-key`` [FIDELITY §13]."""
    key = request.match_info["key"]
    return reply({"key": key, **request.app[STATE].accounts.peek(key).public()})


@ROUTES.put("/_mock/keys/{key}")
async def put_key(request: web.Request) -> web.Response:
    """PUT /_mock/keys/{key}: balance, rpm, allowed models, validity of one API key."""
    state = request.app[STATE]
    key = request.match_info["key"]
    patch = await read_json(request, strict=False)
    return reply({"key": key, **state.accounts.update(key, patch).public()})


@ROUTES.delete("/_mock/faults")
async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /_mock/faults."""
    request.app[STATE].faults.clear()
    return reply({})


def routes() -> list[web.AbstractRouteDef]:
    """The control plane's routes (each declared on its handler), the callback routes last."""
    return [*ROUTES, *callback_routes.ROUTES]
