"""Recorded traffic [issue 14]: ``--record DIR`` writes it, ``--replay DIR`` answers from it offline.

Layout of a recording directory (JSON a person can read and diff; keys redacted, big strings summarised):

* ``<task id>.json`` — one task: ``{"task_id", "family", "create": exchange, "reads": [exchange, …]}``;
  rewritten as each exchange happens;
* ``other.jsonl`` — every exchange that concerns no one task (refused creates, lists, unknown ids), one
  JSON object a line.

An exchange is ``{"seen_at", "after_create", "method", "path", "query", "authorization", "request",
"status", "headers", "body"}``: ``after_create`` is the seconds since the task's create was seen, which is
what a replay walks on the mock clock.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

import contracts
from contracts import endpoints
from contracts.conformance import task_of
from mock_server.accounts import redact
from mock_server.media import MediaSpec
from mock_server.state import STATE, MockState, origin
from mock_server.wire import read_json, reply

log = logging.getLogger("seedance_mock")

OTHER = "other.jsonl"
#: A task id usable as a file name: upstream's ``cgt-…`` ids and anything tame like them.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
#: Strings longer than this are summarised in a recording (``data:`` URIs, base64 outputs).
LONG = 512


def summarise(value: Any) -> Any:
    """``value`` with every long string (``data:`` URIs above all) replaced by a short, stable summary:
    the media type, the length and a hash, so two recordings of the same body still compare equal."""
    if isinstance(value, str):
        if len(value) <= LONG:
            return value
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        head = value.split(",", 1)[0] + "," if value.startswith("data:") and "," in value[:200] else value[:40]
        return f"{head}…({len(value)} chars, sha256 {digest})"
    if isinstance(value, list):
        return [summarise(v) for v in value]
    if isinstance(value, dict):
        return {k: summarise(v) for k, v in value.items()}
    return value


def redact_authorization(header: str | None) -> str | None:
    """An Authorization header as a recording shows it (``Bearer sk-…abcd``): never the whole key."""
    if not header:
        return None
    scheme, _, key = header.strip().partition(" ")
    if key and scheme.lower() == "bearer":
        return f"Bearer {redact(key.strip())}"
    return redact(header.strip())


def api_key_of(header: str | None) -> str | None:
    """The bare key in an Authorization header (``Bearer`` or raw), for scrubbing it from what is stored."""
    if not header or not header.strip():
        return None
    scheme, _, key = header.strip().partition(" ")
    return key.strip() if key and scheme.lower() == "bearer" else header.strip()


def scrub(value: Any, key: str | None) -> Any:
    """``value`` with every occurrence of ``key`` (an upstream may echo it in a message) redacted."""
    if not key or len(key) < 4:
        return value
    text = json.dumps(value, ensure_ascii=False)
    if key not in text:
        return value
    return json.loads(text.replace(key, redact(key) or "…"))


def _utf8(text: str) -> bytes:
    # A lone surrogate ("\ud800") cannot be UTF-8; inside a JSON string its escape is what JSON means by it.
    return text.encode("utf-8", "backslashreplace")


def iso(t: float) -> str:
    """``t`` (Unix seconds) as ISO 8601 UTC with milliseconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def _creates(method: str, concrete: str) -> bool:
    found = endpoints.match(method, concrete)
    return found is not None and found[0].creates


def task_id_of(method: str, concrete: str, status: int, body: Any) -> tuple[str, str, bool] | None:
    """(task id, family, is the create) an exchange belongs to, or None."""
    found = endpoints.match(method, concrete)
    if found is None:
        return None
    endpoint, params = found
    if endpoint.name == "ark.create":
        if 200 <= status < 300 and isinstance(body, dict) and isinstance(body.get("id"), str):
            return body["id"], "ark", True
        return None
    if endpoint.creates:
        seen = task_of(method, concrete, body) if 200 <= status < 300 else None
        return (seen[1], "predictions", True) if seen else None
    if endpoint.reads_task:
        return params["task_id"], endpoint.family, False
    return None


# ---------------------------------------------------------------------------------------------- recording


class Recorder:
    """Writes exchanges as they happen, grouped per task (``--record DIR``)."""

    def __init__(self, folder: Path, upstream: str) -> None:
        self.folder = folder
        self.upstream = upstream
        folder.mkdir(parents=True, exist_ok=True)
        self._tasks: OrderedDict[str, dict[str, Any]] = OrderedDict()  # recently touched, the rest on disk

    def _load(self, task_id: str) -> dict[str, Any] | None:
        if task_id in self._tasks:
            self._tasks.move_to_end(task_id)
            return self._tasks[task_id]
        path = self.folder / f"{task_id}.json"
        if path.is_file():
            try:
                record = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                return None
            return self._keep(task_id, record)
        return None

    def _keep(self, task_id: str, record: dict[str, Any]) -> dict[str, Any]:
        self._tasks[task_id] = record
        while len(self._tasks) > 256:
            self._tasks.popitem(last=False)
        return record

    def _write(self, name: str, text: str) -> None:
        target = self.folder / name
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_bytes(_utf8(text))
        os.replace(tmp, target)

    def exchange(
        self,
        *,
        method: str,
        path: str,
        query: str,
        authorization: str | None,
        request_body: Any,
        status: int,
        headers: dict[str, str],
        body: Any,
        seen: float,
    ) -> None:
        """Record one exchange (keys redacted, long strings summarised); never raises on a disk error."""
        key = api_key_of(authorization)
        entry: dict[str, Any] = {
            "seen_at": iso(seen),
            "seen": round(seen, 3),
            "method": method,
            "path": path,
            "query": query,
            "authorization": redact_authorization(authorization),
            "request": scrub(summarise(request_body), key),
            "status": status,
            "headers": scrub(headers, key),
            "body": scrub(summarise(body), key),
        }
        try:
            self._file(entry, task_id_of(method, path, status, body))
        except OSError as exc:
            log.error("--record: cannot write to %s: %s", self.folder, exc)

    def _file(self, entry: dict[str, Any], owner: tuple[str, str, bool] | None) -> None:
        if owner is None or not _SAFE_ID.match(owner[0]):
            with (self.folder / OTHER).open("ab") as out:
                out.write(_utf8(json.dumps(entry, ensure_ascii=False) + "\n"))
            return
        task_id, family, is_create = owner
        record = self._load(task_id)
        if is_create or record is None:
            record = self._keep(
                task_id,
                {"task_id": task_id, "family": family, "upstream": self.upstream, "create": None, "reads": []},
            )
        if is_create:
            entry["after_create"] = 0.0
            record["create"] = entry
        else:
            created = (record.get("create") or {}).get("seen")
            first = record["reads"][0]["seen"] if record["reads"] else entry["seen"]
            entry["after_create"] = round(entry["seen"] - (created if created is not None else first), 3)
            record["reads"].append(entry)
        self._write(f"{task_id}.json", json.dumps(record, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class Recording:
    """One recorded task, as loaded for a replay or a check."""

    task_id: str
    family: str
    create: dict[str, Any] | None
    reads: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""


def load(folder: Path) -> tuple[list[Recording], list[dict[str, Any]]]:
    """Every task recording and every other exchange in ``folder``; ValueError names a broken file."""
    tasks: list[Recording] = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
            tasks.append(
                Recording(str(data["task_id"]), str(data["family"]), data.get("create"), list(data["reads"]), path.name)
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a task recording ({exc})") from None
    others: list[dict[str, Any]] = []
    other = folder / OTHER
    if other.is_file():
        for n, line in enumerate(other.read_text("utf-8").splitlines(), 1):
            if line.strip():
                try:
                    others.append(json.loads(line))
                except ValueError as exc:
                    raise ValueError(f"{other}:{n}: not JSON ({exc})") from None
    return tasks, others


def exchanges(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, exchange) for every recorded exchange in ``folder``, tasks first (create, then reads in
    order), then the others."""
    tasks, others = load(folder)
    for rec in tasks:
        if rec.create is not None:
            yield f"{rec.source} create", rec.create
        for i, read in enumerate(rec.reads):
            yield f"{rec.source} read {i}", read
    for i, ex in enumerate(others):
        yield f"{OTHER}:{i + 1}", ex


# ---------------------------------------------------------------------------------------------- replay


def _drop_path(value: Any, parts: list[str]) -> None:
    if not parts or not isinstance(value, dict):
        return
    if len(parts) == 1:
        value.pop(parts[0], None)
    else:
        _drop_path(value.get(parts[0]), parts[1:])


def _no_nulls(value: Any) -> Any:
    # null means absent in a create body [FIDELITY §2: the Ark SDK sends every unset field as null].
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


def match_key(method: str, path: str, body: Any, ignore: tuple[str, ...]) -> str:
    """What a create must share with a recorded one to be answered by it: method, path (with its model) and
    the body, summarised like a recording, nulls dropped, the ``ignore``d dotted fields removed."""
    shown = _no_nulls(summarise(copy.deepcopy(body)))
    for dotted in ignore:
        _drop_path(shown, dotted.split("."))
    return json.dumps([method, path, shown], sort_keys=True, ensure_ascii=False)


@dataclass
class _Playing:
    recording: Recording
    started: float  # mock time of the replayed create


class Replayer:
    """Answers creates and reads from a recording directory on the mock clock (``--replay DIR``)."""

    def __init__(self, folder: Path, ignore: tuple[str, ...] = (), strict: bool = False) -> None:
        tasks, others = load(folder)
        self.ignore = ignore
        self.strict = strict
        self._creates: dict[str, list[tuple[dict[str, Any], Recording | None]]] = {}
        self._used: dict[str, int] = {}
        for rec in tasks:
            if rec.create is not None:
                self._index(rec.create, rec)
        for ex in others:
            if ex.get("method") == "POST":
                self._index(ex, None)
        self._by_id = {rec.task_id: rec for rec in tasks}
        self._playing: dict[str, _Playing] = {}

    def _index(self, ex: dict[str, Any], rec: Recording | None) -> None:
        key = match_key(ex["method"], ex["path"], ex.get("request"), self.ignore)
        self._creates.setdefault(key, []).append((ex, rec))

    @property
    def size(self) -> int:
        """Recorded creates available."""
        return sum(len(v) for v in self._creates.values())

    async def answer(self, request: web.Request) -> web.Response | None:
        """The recorded answer to ``request``, or None when no recording covers it."""
        state = request.app[STATE]
        if _creates(request.method, request.path):
            body = await read_json(request)
            found = self._creates.get(match_key("POST", request.path, body, self.ignore))
            if not found:
                return None
            key = match_key("POST", request.path, body, self.ignore)
            n = self._used.get(key, 0)
            self._used[key] = n + 1
            ex, rec = found[min(n, len(found) - 1)]  # each recording once, then the last one again
            if rec is not None:
                self._playing[rec.task_id] = _Playing(rec, state.now())
            return self._reply(ex, self._media(state, request, rec, ex["body"]) if rec else ex["body"])
        owner = task_id_of(request.method, request.path, 200, None)
        if owner is None or owner[0] not in self._by_id:
            return None
        task_id, family, _ = owner
        playing = self._playing.get(task_id)
        rec = self._by_id[task_id]
        reads = [r for r in rec.reads if (task_id_of(r["method"], r["path"], 200, None) or ("", ""))[1] == family]
        if not reads:
            return None
        if playing is None:  # read before any replayed create: the recording starts now
            playing = self._playing[task_id] = _Playing(rec, state.now())
        elapsed = state.now() - playing.started
        # The last read recorded by this time: later reads never go back, and the clock's advance jumps on.
        seen = [r for r in reads if float(r.get("after_create", 0.0)) <= elapsed]
        ex = seen[-1] if seen else reads[0]
        return self._reply(ex, self._media(state, request, rec, ex["body"]))

    @staticmethod
    def _reply(ex: dict[str, Any], body: Any) -> web.Response:
        headers = {k: v for k, v in (ex.get("headers") or {}).items() if k.lower() in ("retry-after",)}
        if isinstance(body, (dict, list)):
            return reply(body, int(ex["status"]), headers)
        return web.Response(text=str(body), status=int(ex["status"]), headers=headers)

    def _media(self, state: MockState, request: web.Request, rec: Recording | None, body: Any) -> Any:
        """``body`` with recorded media URLs (upstream's expire) pointing at this mock's own renderer, at the
        size the recording reports, and the result URL at this mock."""
        if rec is None or not isinstance(body, dict):
            return body
        here = origin(request, state.config)
        body = copy.deepcopy(body)
        media = _media_spec(rec, body)
        expires = int(state.now() + state.config.media_ttl_seconds)
        if rec.family == "ark" and isinstance(body.get("content"), dict) and media is not None:
            content = body["content"]
            for field_, kind in (("video_url", "mp4"), ("last_frame_url", "png")):
                if isinstance(content.get(field_), str):
                    content[field_] = state.signer.url(here, media, kind, expires)
        data = body.get("data")
        if isinstance(data, dict):
            if media is not None and isinstance(data.get("outputs"), list):
                data["outputs"] = [
                    state.signer.url(here, media, "mp4", expires) if isinstance(o, str) else o for o in data["outputs"]
                ]
            urls = data.get("urls")
            if isinstance(urls, dict) and isinstance(urls.get("get"), str):
                urls["get"] = here + endpoints.path("predictions.result", task_id=rec.task_id)
        return body


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _media_spec(rec: Recording, body: dict[str, Any]) -> MediaSpec | None:
    """The size, length, audio and seed of a recorded task's video: from the Ark task it reports, else from
    the recorded predictions submit (the family's defaults 720p, 16:9, 5 s [seed 004])."""
    try:
        if rec.family == "ark":
            model = contracts.lookup_model(str(body.get("model")))
            if model is None:
                return None
            width, height = contracts.frame_size(model, str(body.get("resolution")), str(body.get("ratio")))
            frames = body.get("frames")
            if type(frames) is int:
                count = contracts.frame_count(frames=frames)
            else:
                count = contracts.frame_count(_int(body.get("duration"), 5))
            audio = model.audio and body.get("generate_audio") is not False  # 1.0 has no audio track
            seed = body.get("seed")
            seed = seed if type(seed) is int else 0
            return MediaSpec(width, height, count, audio, seed)
        create = rec.create or {}
        submit = endpoints.match("POST", str(create.get("path", "")))
        request = create.get("request")
        request = request if isinstance(request, dict) else {}
        model = contracts.lookup_model(submit[1]["model"]) if submit and submit[0].creates else None
        if model is None:
            return None
        width, height = contracts.frame_size(
            model, str(request.get("resolution") or "720p"), str(request.get("aspect_ratio") or "16:9")
        )
        seed = request.get("seed")
        seed = seed if type(seed) is int and seed >= 0 else 0
        count = contracts.frame_count(_int(request.get("duration"), 5))
        return MediaSpec(width, height, count, model.audio and request.get("generate_audio") is not False, seed)
    except (KeyError, ValueError, TypeError):
        return None
