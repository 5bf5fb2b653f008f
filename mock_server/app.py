"""``create_app(config)``: the aiohttp application and its routes, each inside :func:`framed`."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any

from aiohttp import web

from contracts import endpoints
from mock_server import admin, ark, files, openapi, predictions, proxy, ui
from mock_server.config import MockConfig
from mock_server.driver import lifecycle
from mock_server.errors import ApiError, render
from mock_server.journal import RAW_BODY_BYTES, Journal, RawBody
from mock_server.logline import request_line
from mock_server.state import STATE, MockState
from mock_server.wire import API_KEY, BODY, CREATED_TASK, RAW_BODY, URI_FACTS, check_host, read_json, reply

log = logging.getLogger("seedance_mock")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: A client request id we echo back: printable ASCII, bounded (anything else is not repeated) [FIDELITY §12].
_ECHOABLE = re.compile(r"[\x21-\x7e]{1,128}")


class _Dropped(Exception):
    """A fault rule asked to drop the connection without an answer."""


def family_of(path: str) -> str:
    """Which error shape a path answers in: its family's (contracts.endpoints), Ark's for any other API path."""
    family = endpoints.family_of(path)
    if family is not None:
        return family
    if path.startswith("/api/"):
        return "ark"
    return "mock"


#: Methods whose requests the API never reads a body of (read_json is only called for the others).
_BODILESS = frozenset({"GET", "HEAD"})
_random_bits = random.getrandbits


def new_request_id(state: MockState, now: float) -> str:
    """An id shaped like Ark's (``20251225195352`` + 20 letters and digits) at mock time ``now`` [FIDELITY §1]."""
    second = int(now)
    if state.stamp[0] != second:  # strftime once per mock second, not once per request
        state.stamp = (second, time.strftime("%Y%m%d%H%M%S", time.gmtime(second)))
    return state.stamp[1] + _random_bits(80).to_bytes(10).hex()


def _area(route_path: str) -> str | None:
    """Which part of the server a route's paths are in: ``api``, ``mock`` (the control plane), ``openapi``,
    ``other`` (media), or None when only the request's path can say (the catch-all route)."""
    if route_path.startswith("/api/"):
        return "api"
    if route_path.startswith("/_mock"):
        return "mock"
    if route_path == "/openapi.json":
        return "openapi"
    if route_path.startswith("/{"):
        return None
    return "other"


def framed(handler: Handler, state: MockState, route_path: str = "/{tail:.*}") -> Handler:
    """``handler`` inside what every request passes: a request id; the gate (fault rules, then authentication and
    the request rate, which settles the lifecycle); upstream-shaped errors (never a traceback); the journal and
    the log line. With ``--upstream`` an API request goes to the proxy instead, with ``--replay`` a recorded
    answer may stand in for the handler (after the gate).

    One wrapper per route rather than aiohttp middlewares: each middleware layer costs a coroutine and a
    partial per request, and the frame is most of what a GET costs in our own code [issue 17]. What the
    route's path says (API, control plane…) is worked out here, once.
    """
    route_area = _area(route_path)
    config = state.config
    journal = state.journal
    clock = state.clock

    async def frame(request: web.Request) -> web.StreamResponse:
        area = route_area or _area(request.path)
        api = area == "api"
        if api and state.upstream is not None:
            return await state.upstream.handle(request)  # the validation proxy answers it whole [issue 14]
        started = perf_counter()
        now = clock.now()
        rid = new_request_id(state, now)
        method = request.method
        key = response = None
        try:
            if not config.public_url:
                check_host(request)  # it becomes the origin of every URL we hand out [FIDELITY §12]
            if area == "mock":
                admin.guard(request)  # token, same origin, JSON only [FIDELITY §13]
            elif area != "openapi":
                if state.faults:
                    await _fault(request, state)
                    now = clock.now()  # (a rule may have slept)
                if api:
                    key = state.accounts.authenticate(request.headers.get("Authorization"))
                    request[API_KEY] = key
                    state.accounts.check_rate(key, state.settle(now))
                    if state.replayer is not None:
                        response = await proxy.replayed(state.replayer, request)
            if response is None:
                response = await handler(request)
            if state.durable is not None and method not in _BODILESS:
                await state.durable.flush()  # what a change answers is in the state file first [issue 15]
        except ApiError as refusal:
            response = reply(render(refusal, family_of(request.path), rid), refusal.status, refusal.headers)
        except _Dropped:
            # The transport is already closed: nothing reaches the caller, and nothing is worth a traceback.
            if area != "mock":
                _record(request, journal, key, None, started, rid, clock.now(), config.log_requests)
            return web.Response(status=499)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _http_error(request, state, exc, rid)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug of ours: log it loudly, answer in the upstream shape, never leak a traceback.
            log.exception("unexpected error on %s %s", method, request.path)
            err = ApiError(500, "InternalServiceError", "The mock server hit an unexpected error (see its log).")
            response = reply(render(err, family_of(request.path), rid), 500)
        headers = response.headers
        headers["x-request-id"] = rid
        client_rid = request.headers.get("x-client-request-id")
        if client_rid and _ECHOABLE.fullmatch(client_rid):
            headers["x-client-request-id"] = client_rid  # the SDKs send one and read it back [§1]
        status = response.status
        if area != "mock":  # the control plane's own requests are neither journaled nor logged
            _record(request, journal, key, status, started, rid, clock.now(), config.log_requests)
            if status == 200 and method == "POST":
                created = request.get(CREATED_TASK)
                if created is not None:
                    ui.note_create(state, created, rid)  # the dashboard pairs each task with its create request
        return response

    functools.update_wrapper(frame, handler)
    return frame


def _record(
    request: web.Request,
    journal: Journal,
    key: str | None,
    status: int | None,
    started: float,
    rid: str,
    now: float,
    log_requests: bool,
) -> None:
    """Journal a request and log its line (``log_requests``)."""
    method = request.method
    body: Any = None
    known = None
    if method not in _BODILESS:  # (a missing key costs an exception: look only where one may be)
        raw = request.get(RAW_BODY)
        if raw is not None:
            if BODY not in request:  # not JSON the door let through: its first bytes as text
                body = raw[:2048].decode("utf-8", "replace")
            elif len(raw) <= RAW_BODY_BYTES:
                body = RawBody(raw)  # summed up when read [issue 17]
            else:
                body = request[BODY]
                known = request.get(URI_FACTS)  # what storing its images learnt of them [issue 17]
    journal.record(now, rid, method, request.path, request.query_string, key, body, status, known)
    if log_requests:
        ms = (perf_counter() - started) * 1000
        raw = request.raw_path  # as sent; the parsed URL's text only when it is not plain ASCII
        request_line(method, raw if raw.isascii() else request.path_qs, "dropped" if status is None else status, ms)


def _http_error(request: web.Request, state: MockState, exc: web.HTTPException, rid: str) -> web.Response:
    """An HTTP error aiohttp raised (405, 413, 416…), in the upstream shape."""
    reason = exc.text if exc.text and not exc.text.startswith(str(exc.status)) else exc.reason
    if exc.status == 404:
        reason = f"No such endpoint: {request.method} {request.path}."
    elif exc.status == 405:
        reason = f"{request.method} is not allowed on {request.path}."
    elif exc.status == 413:
        reason = f"The request body is larger than {state.config.max_body_bytes} bytes."
    err = ApiError.for_status(exc.status, reason)
    # 405 names what is allowed (Allow), 416 the size (Content-Range) [FIDELITY §12].
    kept = {h: exc.headers[h] for h in ("Allow", "Content-Range", "Retry-After") if h in exc.headers}
    return reply(render(err, family_of(request.path), rid), exc.status, kept)


async def _request_model(request: web.Request, state: MockState) -> str | None:
    """The model a request is about, for fault rules that name one."""
    if "model" in request.match_info:
        return request.match_info["model"]
    if "task_id" in request.match_info:
        task = state.store.get(request.match_info["task_id"])
        return task.spec.model if task else None
    if request.method == "POST" and request.can_read_body:
        try:
            body = await read_json(request)
        except ApiError:
            return None
        return body.get("model") if isinstance(body, dict) else None
    return None


async def _fault(request: web.Request, state: MockState) -> None:
    """Apply the first fault rule that takes this request, if any: a delay, a dropped connection, an error."""
    rule = state.faults.take(request.method, request.path, await _request_model(request, state))
    if rule is None:
        return
    if rule.delay:
        await asyncio.sleep(rule.delay)
    if rule.drop:
        if request.transport is not None:
            request.transport.close()
        raise _Dropped()
    error = rule.error()
    if error is not None:
        raise error


#: The route that takes every request no other route does (any path, any method), by its name.
_CATCH_ALL = "no-route"


async def no_route(request: web.Request) -> web.StreamResponse:
    """No route takes this request: 405 with ``Allow`` when another method would be taken on this path, else 404
    (what aiohttp's router answers, raised inside the frame so it comes in the upstream shape)."""
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        if resource.name != _CATCH_ALL:
            _, methods = await resource.resolve(request)
            allowed |= methods
    if allowed:
        raise web.HTTPMethodNotAllowed(request.method, allowed)
    raise web.HTTPNotFound()


def _framed(routes: list[web.AbstractRouteDef], state: MockState) -> list[web.RouteDef]:
    out = []
    for route in routes:
        assert isinstance(route, web.RouteDef), route  # handlers only (no static folders)
        out.append(web.RouteDef(route.method, route.path, framed(route.handler, state, route.path), route.kwargs))
    return out


async def _close_media(app: web.Application) -> None:
    app[STATE].media.close()
    durable = app[STATE].durable
    if durable is not None:
        durable.close()


def create_app(config: MockConfig | None = None) -> web.Application:
    """A ready-to-run mock of GPTProto's Seedance API (both families, control plane, media, OpenAPI)."""
    config = config or MockConfig()
    app = web.Application(client_max_size=config.max_body_bytes)
    app[STATE] = MockState.build(config)
    app.on_cleanup.append(_close_media)
    app.cleanup_ctx.append(lifecycle)  # the clock runs by itself; callbacks go out [FIDELITY §8]
    routes = [*ark.routes(), *predictions.routes(), *files.routes(), *admin.routes(), *openapi.routes(), *ui.routes()]
    if config.upstream or config.replay_dir:
        routes += proxy.install(app, config)  # --upstream / --record / --replay [issue 14]
    routes.append(web.route("*", "/{tail:.*}", no_route, name=_CATCH_ALL))  # last: 404 and 405 pass the frame too
    app.add_routes(_framed(routes, app[STATE]))
    return app
