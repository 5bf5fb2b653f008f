"""Family B — GPTProto "predictions" [FIDELITY §3]. HTTP <-> core, nothing else.

A prediction is an Ark task seen through another envelope: ``data.id`` is the ``cgt-…`` id, so either family
can read it [decision]. Statuses are told in this family's words, ``created → processing → completed |
failed``: the official wavespeed SDK treats only ``completed`` as success and ``failed`` as the end [sdk].
"""

from __future__ import annotations

import asyncio
import base64
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from contracts import endpoints
from mock_server.createbody import carries_inline_image, parse_prediction
from mock_server.errors import ApiError
from mock_server.images import image_size
from mock_server.signing import media_spec, video_kind
from mock_server.state import STATE, MockState, origin
from mock_server.store import Task
from mock_server.wire import (
    ANSWERS,
    API_KEY,
    CREATED_TASK,
    encode,
    may_hold_data_uri,
    read_json,
    reply,
    reply_json,
    uri_facts,
)


def _error_text(task: Task) -> str | None:
    if task.status == "failed" and task.error:
        return f"{task.error['code']}: {task.error['message']}"
    if task.status == "expired":
        return f"Task expired: not finished within execution_expires_after ({task.spec.execution_expires_after} s)."
    if task.status == "cancelled":
        return "Task cancelled."
    return None


def prediction_json(state: MockState, task: Task, base: str) -> dict[str, Any]:
    """``data`` of the envelope [seed 004]."""
    done = task.status == "succeeded"
    elapsed_ms = 0
    if task.started_at is not None and task.finished_at is not None:
        elapsed_ms = int((task.finished_at - task.started_at) * 1000)
    return {
        "id": task.id,
        "model": task.spec.model,
        "outputs": [state.signer.task_url(base, task, "mp4")] if done else [],
        "urls": {"get": base + endpoints.path("predictions.result", task_id=task.id)},
        "status": endpoints.PREDICTION_STATUS[task.status],  # no expired/cancelled: "failed" [sdk]
        "error": _error_text(task),
        "executionTime": elapsed_ms,
        "timings": {"inference": elapsed_ms},
        "has_nsfw_contents": [False] if done else [],
        "created_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(task.created_at)),
    }


async def _base64_outputs(state: MockState, task: Task) -> list[str]:
    """``enable_base64_output``: the video itself as a bare base64 string, no ``data:`` prefix [FIDELITY §3].

    The file is the one the task's signed URL serves, rendered on demand, and it stays inlined for as long as the
    prediction reads ``completed``, also past its URL's 24 h: a finished prediction always lists its video (the
    ``predictions.envelope`` contract) [FIDELITY §3].
    """
    path = await state.media.ensure_video(media_spec(task), video_kind(task))
    data = await asyncio.to_thread(path.read_bytes)
    return [base64.b64encode(data).decode("ascii")]


async def prediction_answer(state: MockState, task: Task, base: str) -> dict[str, Any]:
    """``data`` of the envelope, with the outputs inlined when the submit asked for base64 [FIDELITY §3]."""
    data = prediction_json(state, task, base)
    if task.spec.base64_output and task.status == "succeeded":
        data["outputs"] = await _base64_outputs(state, task)
    return data


def sync_timed_out(data: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The gateway's answer when a sync submit outlives its wait: HTTP 200, ``data.code`` 5004, status
    ``processing`` and "Sync mode timed out", which the wavespeed SDK reads as a sync timeout; the task goes
    on and its result URL answers later [FIDELITY §3]."""
    return {
        **data,
        "status": "processing",
        "code": 5004,
        "error": (
            f"Sync mode timed out after {timeout:g} s; the prediction continues. "
            f"Query the result later at {data['urls']['get']}"
        ),
    }


def envelope(data: dict[str, Any]) -> dict[str, Any]:
    """The family's success envelope [seed 004]."""
    return {"code": 200, "message": "success", "data": data}


def _submit(op: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def submit(request: web.Request) -> web.Response:
        state = request.app[STATE]
        body = await read_json(request)
        model = request.match_info["model"]
        # Measuring and storing a data: image decodes it: keep the loop free.
        inline = may_hold_data_uri(request) and carries_inline_image(body)
        ingest = functools.partial(state.ingest_image, facts=uri_facts(request)) if inline else state.ingest_image
        parse = functools.partial(parse_prediction, op, model, body, rng=state.rng, sizer=image_size, ingest=ingest)
        if inline:
            spec, sync = await asyncio.to_thread(parse)
        else:
            spec, sync = parse()
        webhook = _webhook(request, body)
        # enable_sync_mode: the submit answers when the task has ended [FIDELITY §3] (MockState.sync_fits).
        base = origin(request, state.config)
        task = state.submit(request[API_KEY], "predictions", op, spec, sync=sync, origin=base, webhook=webhook)
        request[CREATED_TASK] = task.id
        data = await prediction_answer(state, task, base)
        if sync and not state.sync_fits():
            data = sync_timed_out(data, state.config.sync_timeout_seconds)
        return reply(envelope(data))

    submit.__name__ = f"submit_{op.replace('-', '_')}"
    submit.__doc__ = f"POST {endpoints.by_name('predictions.' + op).path} → the prediction envelope."
    return submit


def _webhook(request: web.Request, body: dict[str, Any]) -> tuple[str, str, Any] | None:
    """(url, the field naming it, the input to echo) when a webhook was asked for, else None.

    WaveSpeed takes ``?webhook=<url>`` on the submit URL; one page shows a ``webhook_url`` body field: both
    are accepted, the query first [FIDELITY §8]. A webhook cannot be combined with
    ``enable_base64_output`` [FIDELITY §3].
    """
    if "webhook" in request.query:
        url, param = request.query["webhook"], "webhook"
    elif body.get("webhook_url") is not None:
        url, param = body["webhook_url"], "webhook_url"
    else:
        return None
    if body.get("enable_base64_output") is True:
        raise ApiError(
            400,
            "InvalidParameter",
            "A webhook cannot be combined with enable_base64_output: true.",
            "enable_base64_output",
        )
    echo = {k: v for k, v in body.items() if k not in ("webhook_url", "enable_base64_output") and v is not None}
    return url, param, echo


async def webhook_secret(request: web.Request) -> web.Response:
    """GET /api/v3/webhook/secret → ``data.secret``, the key's ``whsec_…`` signing secret [FIDELITY §8]."""
    state = request.app[STATE]
    return reply(envelope({"secret": state.webhook_secret(request[API_KEY])}))


async def result(request: web.Request) -> web.Response:
    """GET /api/v3/predictions/{id}/result (and WaveSpeed's /api/v3/predictions/{id}); a finished task's
    envelope is encoded once (not with enable_base64_output: the video is not worth keeping in memory)."""
    state = request.app[STATE]
    task = state.owned_task(request[API_KEY], request.match_info["task_id"])
    base = origin(request, state.config)
    if not task.terminal or task.spec.base64_output:
        return reply(envelope(await prediction_answer(state, task, base)))
    body = ANSWERS.get(task, "prediction", base)
    if body is None:
        body = encode(envelope(prediction_json(state, task, base)))
        ANSWERS.put(task, "prediction", base, body)
    return reply_json(body)


#: Each non-submit operation's handler; the method and path are the endpoint table's (contracts.endpoints).
HANDLERS = {"result": result, "get": result, "webhook_secret": webhook_secret}


def routes() -> list[web.RouteDef]:
    """The predictions family's routes."""
    return [
        web.route(e.method, e.path, _submit(e.operation) if e.creates else HANDLERS[e.operation])
        for e in endpoints.ENDPOINTS
        if e.family == "predictions"
    ]
