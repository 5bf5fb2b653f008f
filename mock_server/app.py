"""``create_app(config)``: the aiohttp application, its middlewares and its routes."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from contracts import endpoints
from mock_server import admin, ark, files, openapi, predictions, proxy, ui
from mock_server.config import MockConfig
from mock_server.driver import lifecycle
from mock_server.errors import ApiError, render
from mock_server.logline import request_line
from mock_server.state import STATE, MockState
from mock_server.wire import API_KEY, BODY, CREATED_TASK, RAW_BODY, REQUEST_ID, check_host, read_json, reply

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


def _record(request: web.Request, state: MockState, status: int | None, started: float, rid: str) -> None:
    path = request.path
    if path.startswith("/_mock"):
        return
    method = request.method
    body = None
    if method not in _BODILESS:  # (a missing key costs an exception: look only where one may be)
        body = request.get(BODY)
        if body is None and RAW_BODY in request:
            body = request[RAW_BODY].decode("utf-8", "replace")
    key = request.get(API_KEY) if path.startswith("/api/") else None  # gate sets it on every /api/ request
    state.journal.record(state.now(), rid, method, path, request.query_string, key, body, status)
    if state.config.log_requests:
        ms = (time.perf_counter() - started) * 1000
        request_line(method, request.path_qs, "dropped" if status is None else status, ms)


def new_request_id(state: MockState) -> str:
    """An id shaped like Ark's (``20251225195352`` + 20 letters and digits) [FIDELITY §1]."""
    second = int(state.now())
    if state.stamp[0] != second:  # strftime once per mock second, not once per request
        state.stamp = (second, time.strftime("%Y%m%d%H%M%S", time.gmtime(second)))
    return f"{state.stamp[1]}{random.getrandbits(80):020x}"


@web.middleware
async def frame(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, upstream-shaped errors (never a traceback), the journal and the log line."""
    state = request.app[STATE]
    started = time.perf_counter()
    rid = new_request_id(state)
    request[REQUEST_ID] = rid
    try:
        if not state.config.public_url:
            check_host(request)  # it becomes the origin of every URL we hand out [FIDELITY §12]
        response = await handler(request)
        if state.durable is not None and request.method not in _BODILESS:
            await state.durable.flush()  # what a change answers is in the state file first [issue 15]
    except ApiError as refusal:
        response = reply(render(refusal, family_of(request.path), rid), refusal.status, refusal.headers)
    except _Dropped:
        # The transport is already closed: nothing reaches the caller, and nothing is worth a traceback.
        _record(request, state, None, started, rid)
        return web.Response(status=499)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
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
        response = reply(render(err, family_of(request.path), rid), exc.status, kept)
    except asyncio.CancelledError:
        raise
    except Exception:
        # A bug of ours: log it loudly, answer in the upstream shape, never leak a traceback.
        log.exception("unexpected error on %s %s", request.method, request.path)
        err = ApiError(500, "InternalServiceError", "The mock server hit an unexpected error (see its log).")
        response = reply(render(err, family_of(request.path), rid), 500)
    response.headers["x-request-id"] = rid
    client_rid = request.headers.get("x-client-request-id")
    if client_rid and _ECHOABLE.fullmatch(client_rid):
        response.headers["x-client-request-id"] = client_rid  # the SDKs send one and read it back [§1]
    status = response.status
    _record(request, state, status, started, rid)
    if status == 200 and request.method == "POST":
        created = request.get(CREATED_TASK)
        if created is not None:
            ui.note_create(state, created, rid)  # the dashboard pairs each task with its create request
    return response


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


@web.middleware
async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Fault rules, then authentication and the request rate, then the lifecycle settles."""
    path = request.path
    if path.startswith("/_mock"):
        admin.guard(request)  # token, same origin, JSON only [FIDELITY §13]
        return await handler(request)
    if path == "/openapi.json":
        return await handler(request)
    state = request.app[STATE]
    if state.faults:
        rule = state.faults.take(request.method, path, await _request_model(request, state))
        if rule is not None:
            if rule.delay:
                await asyncio.sleep(rule.delay)
            if rule.drop:
                if request.transport is not None:
                    request.transport.close()
                raise _Dropped()
            error = rule.error()
            if error is not None:
                raise error
    if path.startswith("/api/"):
        key = state.accounts.authenticate(request.headers.get("Authorization"))
        request[API_KEY] = key
        state.accounts.check_rate(key, state.settle())
    return await handler(request)


async def _close_media(app: web.Application) -> None:
    app[STATE].media.close()
    durable = app[STATE].durable
    if durable is not None:
        durable.close()


def create_app(config: MockConfig | None = None) -> web.Application:
    """A ready-to-run mock of GPTProto's Seedance API (both families, control plane, media, OpenAPI)."""
    config = config or MockConfig()
    app = web.Application(middlewares=[frame, gate], client_max_size=config.max_body_bytes)
    app[STATE] = MockState.build(config)
    app.on_cleanup.append(_close_media)
    app.cleanup_ctx.append(lifecycle)  # the clock runs by itself; callbacks go out [FIDELITY §8]
    app.add_routes(ark.routes())
    app.add_routes(predictions.routes())
    app.add_routes(files.routes())
    app.add_routes(admin.routes())
    app.add_routes(openapi.routes())
    app.add_routes(ui.routes())
    if config.upstream or config.replay_dir:
        proxy.install(app, config)  # --upstream / --record / --replay [issue 14]
    return app
