"""The dashboard: ``GET /_mock/ui`` (one offline page) and the read-only feeds it polls.

``GET /_mock/tasks``       every task of every key, newest first, keys redacted, with filters and counts.
``GET /_mock/tasks/{id}``  one task: the JSON each family answers for it, its create body (``data:`` media
                           summarised, images as small thumbnails) and its media URLs.

The page's script and style are package data (``mock_server/static``), inlined into the one HTML answer: with
``--admin-token`` only ``GET /_mock/ui`` is open, so the page cannot load a second file without the token.
Everything else it shows comes from the control plane it already has (clock, journal, faults, keys, reset).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import math
import re
import warnings
import weakref
from collections import OrderedDict
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web

from contracts.endpoints import PREDICTION_STATUS
from mock_server.accounts import redact
from mock_server.ark import task_json
from mock_server.errors import ApiError
from mock_server.journal import Entry
from mock_server.predictions import envelope, prediction_json
from mock_server.state import STATE, MockState, origin
from mock_server.store import STATUSES, Task, TaskStore
from mock_server.wire import reply

#: Rows the task feed answers at most (the page shows "N of M" beyond).
MAX_LIMIT = 5000
DEFAULT_LIMIT = 1000
#: Longest side of an image thumbnail in a create body, in pixels.
THUMB_SIDE = 160
#: Images with more pixels than this are not decoded for a thumbnail (a decompression bomb costs nothing).
MAX_THUMB_SOURCE_PIXELS = 40_000_000
#: Strings in a shown create body are cut beyond this many characters.
MAX_SHOWN_STRING = 4000

_DATA_URI = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[^,;]*)*?)(;base64)?,", re.IGNORECASE)


# -- the page --------------------------------------------------------------------------------------------
@cache
def _page() -> tuple[bytes, str]:
    """The HTML with its script and style inlined, and the Content-Security-Policy that allows exactly them."""
    static = resources.files("mock_server") / "static"
    html = (static / "ui.html").read_text("utf-8")
    css = (static / "ui.css").read_text("utf-8")
    js = (static / "ui.js").read_text("utf-8")

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    html = html.replace("/*STYLE*/", css).replace("/*SCRIPT*/", js)
    # No inline code but these two blocks runs; the page talks to its own origin only. Media and last frames
    # may come from --public-url, so they may be any http(s) origin; create-body thumbnails are data: URIs.
    policy = (
        f"default-src 'none'; script-src {digest(js)}; style-src {digest(css)}; connect-src 'self'; "
        "img-src 'self' data: http: https:; media-src 'self' http: https:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return html.encode(), policy


async def page(request: web.Request) -> web.Response:
    """GET /_mock/ui: the dashboard."""
    body, policy = _page()
    return web.Response(
        body=body,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": policy,
            "X-Frame-Options": "DENY",  # a page of switches must not be framed by another site
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


# -- the task feed ---------------------------------------------------------------------------------------
def _bad(message: str, param: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message, param)


def task_row(state: MockState, task: Task, base: str) -> dict[str, Any]:
    """One row of the task list."""
    s = task.spec
    row: dict[str, Any] = {
        "id": task.id,
        "key": redact(task.key),
        "family": task.family,
        "op": task.op,
        "model": s.model,
        "model_id": s.model_id,
        "scenario": s.scenario,
        "resolution": s.resolution,
        "ratio": s.ratio,
        "actual_ratio": s.actual_ratio,
        "duration": s.duration,
        "status": task.status,
        # What the creating family calls the status (predictions say created/processing/completed) [§3].
        "family_status": PREDICTION_STATUS[task.status] if task.family == "predictions" else task.status,
        "status_time": task.updated_at,
        "created_at": task.created_at,
        "finished_at": task.finished_at,
        "outcome": s.outcome,
    }
    if task.status == "succeeded":
        row["video_url"] = state.signer.task_url(base, task, "mp4")
        row["last_frame_url"] = state.signer.task_url(base, task, "png")
    return row


def _matches(task: Task, statuses: set[str], models: set[str], keys: set[str]) -> bool:
    if statuses and task.status not in statuses:
        return False
    if models and not ({task.spec.model.lower(), task.spec.model_id.lower()} & models):
        return False
    return not (keys and task.key not in keys and redact(task.key) not in keys)


def _finish_seconds(state: MockState, tasks: list[Task]) -> float:
    """Mock seconds after which every task that can finish has finished (an upper bound).

    Each key runs ``max_running_per_key`` tasks at once, each for ``run_seconds``, after ``queue_seconds``
    [FIDELITY §2]. ``[mock:expire]`` tasks never start, so they are left to expire on their own.
    """
    config = state.config
    active: dict[str, int] = {}
    for task in tasks:
        if not task.terminal and task.spec.outcome != "expire":
            active[task.key] = active.get(task.key, 0) + 1
    if not active:
        return 0.0
    rounds = max(math.ceil(n / max(1, config.max_running_per_key)) for n in active.values())
    return config.queue_seconds + rounds * config.run_seconds


async def tasks(request: web.Request) -> web.Response:
    """GET /_mock/tasks?status=&model=&key=&limit=: every key's tasks, newest first, keys redacted."""
    state = request.app[STATE]
    now = state.settle()
    query = request.query
    statuses = {s for s in query.getall("status", []) if s}
    unknown = statuses - set(STATUSES)
    if unknown:
        raise _bad(f"Unknown status: {sorted(unknown)[0]!r}; one of {', '.join(STATUSES)}.", "status")
    models = {m.lower() for m in query.getall("model", []) if m}
    keys = {k for k in query.getall("key", []) if k}
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise _bad("limit must be an integer.", "limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad(f"limit must be from 1 to {MAX_LIMIT}.", "limit")

    every = state.store.all()
    counts = dict.fromkeys(STATUSES, 0)
    model_names: set[str] = set()
    key_names: set[str] = set()
    picked: list[Task] = []
    total = 0
    for task in reversed(every):  # creation order reversed: newest first, stable under a frozen clock
        counts[task.status] += 1
        model_names.add(task.spec.model)
        key_names.add(redact(task.key) or "")
        if _matches(task, statuses, models, keys):
            total += 1
            if len(picked) < limit:
                picked.append(task)
    base = origin(request, state.config)
    finish = _finish_seconds(state, every)
    # The page polls every second: when nothing it shows changed, answer 304 instead of rebuilding the rows.
    # Mock time itself is left out: the page runs the clock on from now, time_scale and advanced.
    fingerprint = (
        base,
        state.clock.time_scale,
        state.clock.advanced,
        finish,
        total,
        tuple(counts.values()),
        tuple(sorted(model_names)),
        tuple(sorted(key_names)),
        tuple((t.id, t.status, t.updated_at) for t in picked),
    )
    etag = f'"{hash(fingerprint) & 0xFFFFFFFFFFFFFFFF:016x}"'
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers={"ETag": etag})
    answer = reply(
        {
            "now": now,
            "time_scale": state.clock.time_scale,
            "advanced": state.clock.advanced,
            "finish_seconds": finish,
            "total": total,
            "items": [task_row(state, t, base) for t in picked],
            "counts": counts,
            "models": sorted(model_names),
            "keys": sorted(key_names),
        }
    )
    answer.headers["ETag"] = etag
    return answer


# -- one task --------------------------------------------------------------------------------------------
#: task id -> id of the request that created it, per server; as many as the journal holds entries.
_CREATED_BY: weakref.WeakKeyDictionary[TaskStore, OrderedDict[str, str]] = weakref.WeakKeyDictionary()


def note_create(state: MockState, task_id: str, request_id: str) -> None:
    """Remember that request ``request_id`` created ``task_id``, to show its body from the journal (called by
    the app's frame for every create answered 200, which names its task under ``CREATED_TASK``)."""
    created = _CREATED_BY.setdefault(state.store, OrderedDict())  # the store is one per server
    created[task_id] = request_id
    created.move_to_end(task_id)
    while len(created) > (state.journal.maxlen or 1):
        created.popitem(last=False)  # its create request has left the journal too


def create_entry(state: MockState, task: Task) -> Entry | None:
    """The journal entry of the request that created ``task``, while the journal still holds it."""
    created = _CREATED_BY.get(state.store)
    rid = created.get(task.id) if created is not None else None
    if rid is None:
        return None
    for entry in reversed(state.journal):
        if entry.request_id == rid:
            return entry
    return None


def _data_summary(uri: str) -> dict[str, Any]:
    """What a ``data:`` URI holds, without its bytes: type, size, and a thumbnail for an image."""
    head = _DATA_URI.match(uri[:512])
    if head is None:
        return {"data_uri": True, "mime": None, "chars": len(uri)}
    mime = (head.group(1) or "text/plain").lower()
    payload = uri[head.end() :]
    is_b64 = bool(head.group(3))
    size = (len(payload) * 3) // 4 - payload[-2:].count("=") if is_b64 else len(payload)
    out: dict[str, Any] = {"data_uri": True, "mime": mime, "bytes": size}
    if mime.startswith("image/") and is_b64:
        thumb = _thumbnail(payload)
        if thumb is not None:
            out["thumbnail"], out["width"], out["height"] = thumb
    return out


def _thumbnail(payload: str) -> tuple[str, int, int] | None:
    """A small JPEG data URI of a base64 image, with the image's own size; None when it is not an image."""
    from PIL import Image

    try:
        data = base64.b64decode(payload, validate=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the pixel cap below is ours; Pillow's bomb warning adds nothing
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_THUMB_SOURCE_PIXELS:
                    return None
                image.draft("RGB", (THUMB_SIDE, THUMB_SIDE))
                image.thumbnail((THUMB_SIDE, THUMB_SIDE))
                small = image.convert("RGB")
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80)
    except (OSError, ValueError, binascii.Error, Image.DecompressionBombError, SyntaxError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode(), width, height


def shown_body(value: Any, depth: int = 0) -> Any:
    """A create body as the page shows it: ``data:`` media summarised, long strings cut, depth bounded."""
    if depth > 32:
        return "…(nested deeper than 32 levels)"
    if isinstance(value, str):
        if value[:5].lower() == "data:":
            return _data_summary(value)
        return value if len(value) <= MAX_SHOWN_STRING else f"{value[:MAX_SHOWN_STRING]}…({len(value)} chars)"
    if isinstance(value, list):
        return [shown_body(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if isinstance(value.get("data_uri"), str) and "sha256" in value:
            # The journal keeps a data: URI over 64 KiB as its facts, never its bytes [FIDELITY §12]: no thumbnail.
            return {"data_uri": True, "mime": value["data_uri"], "bytes": value["bytes"], "sha256": value["sha256"]}
        return {k: shown_body(v, depth + 1) for k, v in value.items()}
    return value


#: Shown create bodies of recently opened tasks, per server: thumbnails are decoded once, not on every
#: refresh of a detail view. Keyed by journal sequence number, which no reset reuses.
_SHOWN: weakref.WeakKeyDictionary[TaskStore, OrderedDict[int, Any]] = weakref.WeakKeyDictionary()
_SHOWN_MAX = 64


async def task_detail(request: web.Request) -> web.Response:
    """GET /_mock/tasks/{id}: the task as each family answers it, its create body and its media."""
    state = request.app[STATE]
    state.settle()
    task_id = request.match_info["task_id"]
    task = state.store.get(task_id)
    if task is None:
        raise ApiError(404, "NotFound", f"The specified task {task_id} is not found.", "id")
    base = origin(request, state.config)
    entry = create_entry(state, task)
    body: Any = None
    if entry is not None:
        shown = _SHOWN.setdefault(state.store, OrderedDict())  # the store is one per server
        if entry.seq in shown:
            body = shown[entry.seq]
            shown.move_to_end(entry.seq)
        else:
            # Decoding an image for its thumbnail may take milliseconds: keep the loop free.
            body = await asyncio.to_thread(shown_body, entry.kept_body())
            shown[entry.seq] = body
            while len(shown) > _SHOWN_MAX:
                shown.popitem(last=False)
    detail: dict[str, Any] = {
        "task": task_row(state, task, base),
        "ark": task_json(state, task, base),
        "prediction": envelope(prediction_json(state, task, base)),
        "request": None if entry is None else {"request_id": entry.request_id, "path": entry.path},
        "body": body,
    }
    if task.status == "succeeded":
        detail["video_url"] = state.signer.task_url(base, task, "mp4")
        detail["last_frame_url"] = state.signer.task_url(base, task, "png")
    return reply(detail)


def routes() -> list[web.RouteDef]:
    """The dashboard's routes."""
    return [
        web.get("/_mock/ui", page),
        web.get("/_mock/tasks", tasks),
        web.get("/_mock/tasks/{task_id}", task_detail),
    ]
