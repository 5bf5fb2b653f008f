"""The control plane under /_mock/: health, reset, clock, journal, faults and per-key settings."""

from __future__ import annotations

import hmac
from dataclasses import asdict
from typing import Any

from aiohttp import web

import contracts
from mock_server import __version__, callback_routes
from mock_server.accounts import valid_key
from mock_server.errors import ApiError
from mock_server.state import STATE
from mock_server.wire import read_json, reply


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "InvalidParameter", message, param)


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


async def reset(request: web.Request) -> web.Response:
    """POST /_mock/reset: forget tasks, keys, faults and the journal."""
    request.app[STATE].reset()
    return reply({"status": "reset"})


async def clock(request: web.Request) -> web.Response:
    """GET /_mock/clock."""
    state = request.app[STATE]
    return reply({"now": state.now(), "time_scale": state.clock.time_scale, "advanced": state.clock.advanced})


async def advance(request: web.Request) -> web.Response:
    """POST /_mock/clock/advance ``{"seconds": N}``: move mock time forward and settle every task."""
    state = request.app[STATE]
    body = await read_json(request, strict=False)
    seconds = body.get("seconds") if isinstance(body, dict) else None
    if type(seconds) not in (int, float) or not 0 <= seconds <= 10 * 365 * 86400:
        raise _bad('Send {"seconds": N} with N a number from 0 to 315360000.', "seconds")
    state.clock.advance(float(seconds))
    now = state.settle()
    return reply({"now": now, "advanced": state.clock.advanced, "time_scale": state.clock.time_scale})


async def set_time_scale(request: web.Request) -> web.Response:
    """PUT /_mock/clock ``{"time_scale": X}``: change how fast mock time runs from now on."""
    state = request.app[STATE]
    body = await read_json(request, strict=False)
    scale = body.get("time_scale") if isinstance(body, dict) else None
    if type(scale) not in (int, float) or not 0 <= scale <= 1_000_000:
        raise _bad('Send {"time_scale": X} with X a number from 0 to 1000000.', "time_scale")
    state.settle()
    state.clock.set_time_scale(float(scale))
    return reply({"now": state.now(), "time_scale": state.clock.time_scale, "advanced": state.clock.advanced})


async def journal(request: web.Request) -> web.Response:
    """GET /_mock/requests?method=&path=&limit=: recorded API requests, oldest first, keys redacted."""
    state = request.app[STATE]
    method = request.query.get("method", "").upper()
    path = request.query.get("path")
    try:
        limit = int(request.query.get("limit", "0"))
    except ValueError:
        raise _bad("limit must be an integer.", "limit") from None
    entries = [e for e in state.journal if (not method or e.method == method) and (not path or e.path.startswith(path))]
    if limit > 0:
        entries = entries[-limit:]
    return reply({"total": len(entries), "items": [e.as_json() for e in entries]})


async def clear_journal(request: web.Request) -> web.Response:
    """DELETE /_mock/requests."""
    request.app[STATE].journal.clear()
    return reply({})


async def add_fault(request: web.Request) -> web.Response:
    """POST /_mock/faults: add a rule for the next N matching requests."""
    state = request.app[STATE]
    rule = state.faults.add(await read_json(request, strict=False))
    return reply(asdict(rule), status=201)


async def list_faults(request: web.Request) -> web.Response:
    """GET /_mock/faults."""
    return reply({"items": request.app[STATE].faults.list()})


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /_mock/faults."""
    request.app[STATE].faults.clear()
    return reply({})


_KEY_FIELDS = {"balance", "rpm", "models", "valid"}


def check_key_patch(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad("Send a JSON object with any of balance, rpm, models, valid.")
    unknown = set(body) - _KEY_FIELDS
    if unknown:
        raise _bad(f"Unknown key setting(s): {', '.join(sorted(unknown))}.", sorted(unknown)[0])
    if "balance" in body and type(body["balance"]) is not int:
        raise _bad("balance must be an integer number of tokens.", "balance")
    if "rpm" in body and body["rpm"] is not None and (type(body["rpm"]) is not int or body["rpm"] < 1):
        raise _bad("rpm must be a positive integer, or null for no limit.", "rpm")
    if "models" in body and body["models"] is not None:
        models = body["models"]
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise _bad("models must be a list of model names, or null for every model.", "models")
        unknown_models = [m for m in models if contracts.lookup_model(m) is None]
        if unknown_models:
            raise _bad(f"Unknown model(s): {', '.join(unknown_models)}.", "models")
    if "valid" in body and type(body["valid"]) is not bool:
        raise _bad("valid must be true or false.", "valid")
    return body


async def put_key(request: web.Request) -> web.Response:
    """PUT /_mock/keys/{key}: balance, rpm, allowed models, validity of one API key."""
    state = request.app[STATE]
    key = _key(request)
    patch = check_key_patch(await read_json(request, strict=False))
    return reply({"key": key, **state.accounts.update(key, patch).public()})


def _key(request: web.Request) -> str:
    key = request.match_info["key"]
    if not valid_key(key):
        raise _bad("An API key is 1 to 256 letters, digits, '.', '_' or '-'.", "key")
    return key


async def get_key(request: web.Request) -> web.Response:
    """GET /_mock/keys/{key}: the key's settings, or the defaults it would start with. Reading never
    registers the key, so it cannot let a key in past ``--api-key`` [FIDELITY §13]."""
    state = request.app[STATE]
    key = _key(request)
    return reply({"key": key, **state.accounts.peek(key).public()})


def routes() -> list[web.RouteDef]:
    """The control plane's routes."""
    return [
        web.get("/_mock/health", health),
        web.post("/_mock/reset", reset),
        web.get("/_mock/clock", clock),
        web.put("/_mock/clock", set_time_scale),
        web.post("/_mock/clock/advance", advance),
        web.get("/_mock/requests", journal),
        web.delete("/_mock/requests", clear_journal),
        web.post("/_mock/faults", add_fault),
        web.get("/_mock/faults", list_faults),
        web.delete("/_mock/faults", clear_faults),
        web.put("/_mock/keys/{key}", put_key),
        web.get("/_mock/keys/{key}", get_key),
        *callback_routes.routes(),
    ]
