"""Family A — Ark "content generation tasks" under /api/v3 [UPSTREAM §2]. HTTP <-> core, nothing else."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

import contracts
from mock_server.errors import ApiError
from mock_server.images import image_size
from mock_server.requests import carries_inline_image, check_contract, parse_ark
from mock_server.state import STATE, MockState, origin, usage
from mock_server.store import Task
from mock_server.wire import ANSWERS, API_KEY, CREATED_TASK, encode, read_json, reply, reply_json

BASE = "/api/v3/contents/generations/tasks"

# A page number is written in ASCII digits: int() alone would also take "1_0", " 5" and "١" (Arabic-Indic),
# which the served OpenAPI document (integer parameters) says are not integers.
_QUERY_INT = re.compile(r"[+-]?[0-9]+")


def task_json(state: MockState, task: Task, base: str) -> dict[str, Any]:
    """The Ark task object [UPSTREAM §2]; timestamps as integers (the seed's strings are accepted)."""
    s = task.spec
    model = contracts.lookup_model(s.model_id)
    assert model is not None
    body: dict[str, Any] = {
        "id": task.id,
        "model": s.model,
        "status": task.status,
        "error": task.error,
        "resolution": s.resolution,
        "ratio": s.actual_ratio,
        "framespersecond": contracts.FPS,
        "service_tier": s.service_tier,
        "execution_expires_after": s.execution_expires_after,
        "created_at": int(task.created_at),
        "updated_at": int(task.updated_at),
    }
    # Fields only where they apply [FIDELITY §2, task object]: seed where the model takes one, duration
    # or frames (frames only when sent, and then no duration), audio on models with sound, draft on 1.5 pro.
    if model.takes("seed"):
        body["seed"] = s.seed
    if s.frames is not None:
        body["frames"] = s.frames
    else:
        body["duration"] = s.duration
    if model.audio:
        body["generate_audio"] = s.generate_audio
    if model.has_draft:
        body["draft"] = s.draft
    for name in ("draft_task_id", "priority", "output_format", "safety_identifier"):
        value = getattr(s, name)
        if value is not None:
            body[name] = value
    if task.status == "succeeded":
        content = {"video_url": state.media_url(base, task, "mp4")}
        if s.return_last_frame:
            content["last_frame_url"] = state.media_url(base, task, "png")
        body["content"] = content
        tokens = usage(s)
        body["usage"] = {"completion_tokens": tokens, "total_tokens": tokens}
    return body


async def create(request: web.Request) -> web.Response:
    """POST /contents/generations/tasks → ``{"id": "cgt-…"}``."""
    state = request.app[STATE]
    body = await read_json(request)
    key = request[API_KEY]
    ingest = state.ingest_image
    if carries_inline_image(body):  # measuring and storing a data: image decodes it: keep the loop free
        spec, _ = await asyncio.to_thread(parse_ark, body, rng=state.rng, sizer=image_size, ingest=ingest)
    else:
        state.settle()  # a draft_task must be read as it is now
        spec, _ = parse_ark(
            body, rng=state.rng, sizer=image_size, ingest=ingest, drafts=lambda i: state.draft_spec(key, i)
        )
    task = state.submit(key, "ark", "create", spec, origin=origin(request, state.config))
    request[CREATED_TASK] = task.id
    return reply({"id": task.id})


async def get(request: web.Request) -> web.Response:
    """GET /contents/generations/tasks/{id} → the task object (a finished one's, encoded once)."""
    state = request.app[STATE]
    task = state.owned_task(request[API_KEY], request.match_info["task_id"])
    base = origin(request, state.config)
    if not task.terminal:
        return reply(task_json(state, task, base))
    body = ANSWERS.get(task, "ark", base)
    if body is None:
        body = encode(task_json(state, task, base))
        ANSWERS.put(task, "ark", base, body)
    return reply_json(body)


def _list_query(request: web.Request) -> dict[str, Any]:
    """The list query as typed values, judged by the ``ark.list_tasks.query`` contract."""
    query: dict[str, Any] = {}
    for name in ("page_num", "page_size"):
        raw = request.query.get(name)
        if raw is not None:
            try:
                if not _QUERY_INT.fullmatch(raw):
                    raise ValueError(raw)
                query[name] = int(raw)  # ValueError past Python's 4 300 digits
            except ValueError:
                shown = raw if len(raw) <= 40 else raw[:37] + "..."
                raise ApiError(400, "InvalidParameter", f"{name} must be an integer, not {shown!r}.", name) from None
    for name in ("filter.status", "filter.model", "filter.service_tier"):
        if name in request.query:
            query[name] = request.query[name]
    ids = request.query.getall("filter.task_ids", [])
    if ids:
        query["filter.task_ids"] = ids
    check_contract("ark.list_tasks.query", query)
    return query


def _model_names(name: str) -> list[str]:
    """Every name of the model ``filter.model`` names, so the filter matches a task created under any alias
    of it, from either side (``dreamina-…`` finds ``doubao-…`` tasks and the reverse) [FIDELITY §12]."""
    model = contracts.lookup_model(name)
    return list(model.names) if model is not None else [name]


async def list_(request: web.Request) -> web.Response:
    """GET /contents/generations/tasks?page_num&page_size&filter.* → ``{"total", "items"}`` [UPSTREAM §2]."""
    state = request.app[STATE]
    query = _list_query(request)
    page_num, page_size = query.get("page_num", 1), query.get("page_size", 20)
    tasks = state.store.list(
        request[API_KEY],
        statuses=[query["filter.status"]] if "filter.status" in query else [],
        models=_model_names(query["filter.model"]) if "filter.model" in query else [],
        task_ids=query.get("filter.task_ids", []),
    )
    # The tier filter defaults to "default": flex tasks appear only when asked for [FIDELITY §2].
    tier = query.get("filter.service_tier", "default")
    tasks = [t for t in tasks if t.spec.service_tier == tier]
    start = (page_num - 1) * page_size
    base = origin(request, state.config)
    items = [task_json(state, t, base) for t in tasks[start : start + page_size]]
    return reply({"total": len(tasks), "items": items})


async def delete(request: web.Request) -> web.Response:
    """DELETE /contents/generations/tasks/{id}: cancel a queued task or delete a finished one [UPSTREAM §2].

    Always answers a JSON body (``{}``): the Ark SDK crashes on an empty 200 [sdk].
    """
    state = request.app[STATE]
    task = state.owned_task(request[API_KEY], request.match_info["task_id"])
    if task.status == "queued":
        state.store.cancel(task, state.now())
    elif task.status in ("succeeded", "failed", "expired"):
        state.store.delete(task)
    else:
        # Running and cancelled tasks cannot be cancelled or deleted [UPSTREAM §2]; the code is a [decision].
        raise ApiError(
            400,
            "InvalidParameter",
            f"The task {task.id} is {task.status} and cannot be cancelled or deleted.",
            "id",
        )
    return reply({})


def routes() -> list[web.RouteDef]:
    """The Ark family's routes."""
    return [
        web.post(BASE, create),
        web.get(BASE, list_),
        web.get(BASE + "/{task_id}", get),
        web.delete(BASE + "/{task_id}", delete),
    ]
