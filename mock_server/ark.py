"""Family A — Ark "content generation tasks" under /api/v3 [FIDELITY §2]. HTTP <-> core, nothing else."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

from aiohttp import web

import contracts
from contracts.endpoints import ENDPOINTS
from mock_server.createbody import carries_inline_image, parse_ark
from mock_server.errors import ApiError
from mock_server.images import image_size
from mock_server.refusals import check_contract
from mock_server.state import STATE, MockState, origin, usage
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

# A page number is written in ASCII digits: int() alone would also take "1_0", " 5" and "١" (Arabic-Indic),
# which the served OpenAPI document (integer parameters) says are not integers.
_QUERY_INT = re.compile(r"[+-]?[0-9]+")


def task_json(state: MockState, task: Task, base: str) -> dict[str, Any]:
    """The Ark task object [FIDELITY §2]; timestamps as integers (the seed's strings are accepted)."""
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
        content = {"video_url": state.signer.task_url(base, task, "mp4")}
        if s.return_last_frame:
            content["last_frame_url"] = state.signer.task_url(base, task, "png")
        body["content"] = content
        tokens = usage(s)
        body["usage"] = {"completion_tokens": tokens, "total_tokens": tokens}
    return body


async def create(request: web.Request) -> web.Response:
    """``ark.create`` (POST the tasks path) → ``{"id": "cgt-…"}``."""
    state = request.app[STATE]
    body = await read_json(request)
    key = request[API_KEY]
    ingest = state.ingest_image
    # Measuring and storing a data: image decodes it: keep the loop free.
    if may_hold_data_uri(request) and carries_inline_image(body):
        ingest = functools.partial(ingest, facts=uri_facts(request))
        spec = await asyncio.to_thread(parse_ark, body, rng=state.rng, sizer=image_size, ingest=ingest)
    else:
        spec = parse_ark(
            body, rng=state.rng, sizer=image_size, ingest=ingest, drafts=lambda i: state.draft_spec(key, i)
        )
    task = state.submit(key, "ark", "create", spec, origin=origin(request, state.config))
    request[CREATED_TASK] = task.id
    return reply_json(b'{"id":"%s"}' % task.id.encode())  # an id is ASCII letters, digits and dashes


async def get(request: web.Request) -> web.Response:
    """``ark.get`` (GET the tasks path + ``/{task_id}``) → the task object (a finished one's, encoded once)."""
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


async def list_(request: web.Request) -> web.Response:
    """``ark.list`` (GET the tasks path ?page_num&page_size&filter.*) → ``{"total", "items"}`` [FIDELITY §2]."""
    state = request.app[STATE]
    query = _list_query(request)
    total, tasks = state.store.page(
        request[API_KEY],
        status=query.get("filter.status"),
        model=query.get("filter.model"),
        task_ids=query.get("filter.task_ids", ()),
        service_tier=query.get("filter.service_tier", "default"),
        page_num=query.get("page_num", 1),
        page_size=query.get("page_size", 20),
    )
    base = origin(request, state.config)
    return reply({"total": total, "items": [task_json(state, t, base) for t in tasks]})


async def delete(request: web.Request) -> web.Response:
    """``ark.delete`` (DELETE the tasks path + ``/{task_id}``): cancel a queued task or delete a finished one
    [FIDELITY §2] (the policy: :meth:`TaskStore.cancel_or_delete`).

    Always answers a JSON body (``{}``): the Ark SDK crashes on an empty 200 [sdk].
    """
    request.app[STATE].cancel_or_delete(request[API_KEY], request.match_info["task_id"])
    return reply({})


#: Each operation's handler; the method and path are the endpoint table's (contracts.endpoints).
HANDLERS = {"create": create, "list": list_, "get": get, "delete": delete}


def routes() -> list[web.RouteDef]:
    """The Ark family's routes; one task's first: aiohttp tries the routes under the tasks path in the order they
    were added, and a task is polled far more often than one is created or the list read [issue 17]."""
    ark = [e for e in ENDPOINTS if e.family == "ark"]
    ark.sort(key=lambda e: "{task_id}" not in e.path)  # (stable: the table's order otherwise)
    return [web.route(e.method, e.path, HANDLERS[e.operation]) for e in ark]
