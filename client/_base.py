"""Everything the sync and async clients share that does no I/O.

Building requests (paths, bodies, media, headers), the client's own validation, reading answers into typed
results or typed errors, and the retry and polling decisions. ``_sync.py`` and ``_async.py`` only send,
sleep and loop.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import posixpath
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from client._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    SeedanceError,
    TaskCancelledError,
    TaskExpiredError,
    TaskFailedError,
    ValidationError,
    WaitTimeout,
    error_from_body,
    error_from_response,
)
from client._media import MediaInput, to_media_url
from client._retry import (
    MAX_RETRIES,
    POLL_INTERVAL,
    next_poll_interval,
    parse_retry_after,
    retry_delay,
    should_retry,
)
from client._types import FAILED_STATUSES, Prediction, Task, TaskList
from client._validation import validate_ark_request, validate_prediction_request
from contracts import endpoints

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "BaseClient",
    "ProgressCallback",
    "UpdateCallback",
    "tls_context",
]

ENV_API_KEY = "GPTPROTO_API_KEY"
ENV_BASE_URL = "GPTPROTO_BASE_URL"
#: The real service; the client adds the ``/api/v3/...`` paths itself.
DEFAULT_BASE_URL = "https://gptproto.com"
#: Per-request timeout: 60 s overall, 10 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
#: How long ``wait`` polls before raising WaitTimeout.
DEFAULT_WAIT_TIMEOUT = 900.0
DEFAULT_POLL_INTERVAL = POLL_INTERVAL
DEFAULT_MAX_RETRIES = MAX_RETRIES

#: The API's path prefix (``/api/v3``), which a base URL given in the Ark SDK's style ends with.
_API_ROOT = posixpath.commonpath([e.path for e in endpoints.ENDPOINTS])
_USER_AGENT = "seedance-client/0.1 (python-httpx)"

#: Called with each task (or prediction) ``wait`` sees.
UpdateCallback = Callable[[Any], Any]
#: Called as ``progress(bytes_done, bytes_total_or_None)`` while downloading.
ProgressCallback = Callable[[int, "int | None"], Any]


@dataclass
class _Call:
    """One logical API call; the send loop turns it into a request, maybe several times."""

    method: str
    url: str
    params: list[tuple[str, str | int | float | bool | None]] | None = None  # httpx's PrimitiveData
    json: Any = None
    stream: bool = False
    authenticate: bool = True
    follow_redirects: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class _Waiter:
    """The polling decisions of ``wait``: when to stop, what to raise, how long to sleep."""

    def __init__(self, timeout: float | None, poll_interval: float, now: Callable[[], float]):
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self.timeout = timeout
        self.interval = poll_interval
        self.now = now
        self.deadline = None if timeout is None else now() + timeout
        self.last: Task | Prediction | None = None

    def observe(self, task: Task | Prediction) -> float | None:
        """None when ``task`` succeeded; else the seconds to sleep before the next poll; raises on an end."""
        self.last = task
        status = task.normalized_status
        if status == "succeeded":
            return None
        if status in FAILED_STATUSES:
            raise _task_end_error(task)
        if self.deadline is None:
            delay = self.interval
        else:
            remaining = self.deadline - self.now()
            if remaining <= 0:
                raise WaitTimeout(
                    f"task {task.id} still {task.status} after {self.timeout:g} s", task, self.timeout or 0.0
                )
            delay = min(self.interval, remaining)
        self.interval = next_poll_interval(self.interval)
        return delay


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every client of this process verifies with, built once: httpx's default (certifi's CA
    bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as set when the first client is made). Building it loads the
    whole CA bundle, ~50 ms of CPU, which a client per request (a web handler, a CLI call) would pay each time."""
    return httpx.create_ssl_context()


def _task_end_error(task: Task | Prediction) -> SeedanceError:
    status = task.normalized_status
    why = f": {task.error}" if task.error else ""
    if status == "expired":
        return TaskExpiredError(f"task {task.id} expired before it finished{why}", task)
    if status == "cancelled":
        return TaskCancelledError(f"task {task.id} was cancelled{why}", task)
    return TaskFailedError(f"task {task.id} failed{why}", task)


# The two twins' own primitives besides httpx's: ``_async.py`` awaits the first two, and ``_unasync``
# renames them to the last two in ``_sync.py``.


async def _sleep_async(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def _notify_async(on_update: UpdateCallback | None, task: Task | Prediction) -> None:
    """Call ``on_update`` with ``task``; await what it returns when that is awaitable (a coroutine function)."""
    if on_update is not None:
        result = on_update(task)
        if inspect.isawaitable(result):
            await result


_sleep = time.sleep


def _notify(on_update: UpdateCallback | None, task: Task | Prediction) -> None:
    """Call ``on_update`` with ``task``."""
    if on_update is not None:
        on_update(task)


def _clean(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


def _media_list(values: Sequence[MediaInput] | MediaInput | None, param: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str | bytes | bytearray | os.PathLike):
        values = [values]
    return [to_media_url(v, param=f"{param}[{i}]") for i, v in enumerate(values)]


def _unencodable(value: Any, where: str) -> str | None:
    """Where in ``value`` (a JSON body or query) a string has no UTF-8 form, as ``body.content[0].text``."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        inner = f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]"
        found = _unencodable(key, inner) or _unencodable(item, inner)
        if found:
            return found
    return None


def _task_id(task_id: Any) -> str:
    if isinstance(task_id, Task | Prediction):
        return task_id.id
    if not isinstance(task_id, str) or not task_id.strip() or "/" in task_id or _unencodable(task_id, "id"):
        raise ValidationError(f"task id must be a non-empty id string, not {task_id!r}", param="id", value=task_id)
    return task_id.strip()


class BaseClient:
    """Configuration and every I/O-free decision of :class:`SeedanceClient` / :class:`AsyncSeedanceClient`."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        max_retries: int,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
        if not key:
            raise SeedanceError(f"no API key: pass api_key=... or set {ENV_API_KEY}")
        self.api_key = key
        url = base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        url = url.rstrip("/")
        # Accept the Ark SDK's style too (".../api/v3"): the client adds the API's paths itself.
        if url.endswith(_API_ROOT):
            url = url[: -len(_API_ROOT)]
        if not url.startswith(("http://", "https://")):
            raise SeedanceError(f"base_url must start with http:// or https://, not {url!r}")
        self.base_url = url
        self.max_retries = max_retries
        self._monotonic: Callable[[], float] = time.monotonic

    # ------------------------------------------------------------------------------------ requests

    def _headers(self, call: _Call) -> dict[str, str]:
        headers = {"User-Agent": _USER_AGENT, "Accept": "application/json", **call.headers}
        if call.authenticate:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _build_request(self, http: httpx.Client | httpx.AsyncClient, call: _Call) -> httpx.Request:
        """The request of ``call``; a ValidationError (nothing sent) when it cannot be written at all."""
        try:
            return http.build_request(
                call.method, call.url, params=call.params, json=call.json, headers=self._headers(call)
            )
        except UnicodeEncodeError as exc:
            # A lone surrogate ("\ud800", e.g. from undecodable bytes in argv) has no UTF-8 form.
            names = (name for name, value in call.params or () if _unencodable(value, name))
            param = _unencodable(call.json, "body") or next(names, None) or "url"
            raise ValidationError(f"{param} holds text that cannot be sent: {exc.reason}", param=param) from None
        except httpx.InvalidURL as exc:
            raise ValidationError(f"cannot send to that URL: {exc}", param="url", value=call.url[:200]) from None

    def _call(self, method: str, url_path: str, **kw: Any) -> _Call:
        # One id per logical call, kept across retries, so the server side can tie attempts together.
        headers = {"x-client-request-id": f"req-{uuid.uuid4().hex}"}
        return _Call(method, self.base_url + url_path, headers=headers, **kw)

    def _request_call(
        self,
        method: str,
        path: str,
        json: Any,
        params: Sequence[tuple[str, str | int]] | None,
        authenticate: bool,
    ) -> _Call:
        """The call of the public ``request``: ``path`` must be absolute (``/api/v3/...``)."""
        # Without the slash, base_url + path would name another host ("https://gptproto.comapi/v3/...").
        if not isinstance(path, str) or not path.startswith("/"):
            message = f"path must start with '/' (e.g. {_API_ROOT}/...), not {path!r}"
            raise ValidationError(message, param="path", value=path)
        call = self._call(method.upper(), path, json=json, params=list(params) if params else None)
        call.authenticate = authenticate
        return call

    def _create_task_call(
        self,
        model: str,
        prompt: str | None,
        *,
        first_frame: MediaInput | None,
        last_frame: MediaInput | None,
        reference_images: Sequence[MediaInput] | None,
        reference_videos: Sequence[MediaInput] | None,
        reference_audios: Sequence[MediaInput] | None,
        options: dict[str, Any],
    ) -> _Call:
        content: list[dict[str, Any]] = []
        if prompt is not None:
            content.append({"type": "text", "text": prompt})
        if first_frame is not None:
            url = to_media_url(first_frame, param="first_frame")
            content.append({"type": "image_url", "image_url": {"url": url}, "role": "first_frame"})
        if last_frame is not None:
            url = to_media_url(last_frame, param="last_frame")
            content.append({"type": "image_url", "image_url": {"url": url}, "role": "last_frame"})
        for url in _media_list(reference_images, "reference_images"):
            content.append({"type": "image_url", "image_url": {"url": url}, "role": "reference_image"})
        for url in _media_list(reference_videos, "reference_videos"):
            content.append({"type": "video_url", "video_url": {"url": url}, "role": "reference_video"})
        for url in _media_list(reference_audios, "reference_audios"):
            content.append({"type": "audio_url", "audio_url": {"url": url}, "role": "reference_audio"})
        for reserved in ("model", "content"):
            if reserved in options:
                raise ValidationError(f"{reserved} is set by create_task's arguments, not as an option", param=reserved)
        body = {"model": model, "content": content, **_clean(options)}
        validate_ark_request(body)
        return self._call("POST", endpoints.path("ark.create"), json=body)

    def _get_task_call(self, task_id: str | Task) -> _Call:
        return self._call("GET", endpoints.path("ark.get", task_id=_task_id(task_id)))

    def _delete_task_call(self, task_id: str | Task) -> _Call:
        return self._call("DELETE", endpoints.path("ark.delete", task_id=_task_id(task_id)))

    def _list_tasks_call(
        self,
        page_num: int,
        page_size: int,
        status: str | None,
        model: str | None,
        task_ids: Sequence[str] | None,
    ) -> _Call:
        for name, value in (("page_num", page_num), ("page_size", page_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValidationError(f"{name} must be a positive integer, not {value!r}", param=name, value=value)
        if page_size > 500:
            raise ValidationError(f"page_size {page_size} is outside 1–500", param="page_size", value=page_size)
        params: list[tuple[str, str | int]] = [("page_num", page_num), ("page_size", page_size)]
        if status is not None:
            params.append(("filter.status", status))
        if model is not None:
            params.append(("filter.model", model))
        if isinstance(task_ids, str):
            task_ids = [task_ids]
        # Repeated filter.task_ids=a&filter.task_ids=b [FIDELITY §2].
        params.extend(("filter.task_ids", t) for t in task_ids or ())
        return self._call("GET", endpoints.path("ark.list"), params=params)

    def _prediction_call(self, op: str, model: str, body: dict[str, Any]) -> _Call:
        body = _clean(body)
        validate_prediction_request(op, model, body)
        return self._call("POST", endpoints.path(f"predictions.{op}", model=model), json=body)

    def _text_to_video_call(self, model: str, prompt: str, options: dict[str, Any]) -> _Call:
        return self._prediction_call("text-to-video", model, {**options, "prompt": prompt})

    def _image_to_video_call(
        self,
        model: str,
        prompt: str,
        image: MediaInput,
        last_image: MediaInput | None,
        options: dict[str, Any],
    ) -> _Call:
        body = {**options, "prompt": prompt, "image": to_media_url(image, param="image")}
        if last_image is not None:
            body["last_image"] = to_media_url(last_image, param="last_image")
        return self._prediction_call("image-to-video", model, body)

    def _reference_to_video_call(
        self,
        model: str,
        prompt: str,
        images: Sequence[MediaInput] | None,
        videos: Sequence[MediaInput] | None,
        audios: Sequence[MediaInput] | None,
        options: dict[str, Any],
    ) -> _Call:
        body: dict[str, Any] = {**options, "prompt": prompt}
        for name, values in (("images", images), ("videos", videos), ("audios", audios)):
            if values is not None:
                body[name] = _media_list(values, name)
        return self._prediction_call("reference-to-video", model, body)

    def _get_prediction_call(self, prediction_id: str | Prediction) -> _Call:
        return self._call("GET", endpoints.path("predictions.result", task_id=_task_id(prediction_id)))

    def _download_call(self, url: str) -> _Call:
        if url.startswith("/"):
            url = self.base_url + url
        if not url.lower().startswith(("http://", "https://")):
            raise ValidationError(f"cannot download {url!r}: not an http(s) URL", param="url", value=url)
        # The API key goes only to the API's own origin, never to a CDN holding the video.
        same_origin = _origin(url) == _origin(self.base_url)
        return _Call("GET", url, stream=True, authenticate=same_origin, follow_redirects=True)

    @staticmethod
    def _download_url(target: str | Task | Prediction) -> str | None:
        """The URL to fetch for ``target``, or None when ``target`` is a task id to look up first."""
        if isinstance(target, Task | Prediction):
            if not target.video_url:
                raise ValidationError(
                    f"task {target.id} has no video yet (status {target.status})",
                    param="url",
                    value=target.id,
                )
            return target.video_url
        if isinstance(target, str) and (target.startswith("/") or "://" in target):
            return target
        return None

    @staticmethod
    def _download_paths(file: str | os.PathLike[str]) -> tuple[Path, Path]:
        """(the file, the hidden partial file written first and renamed once complete)."""
        target = Path(file)
        return target, target.with_name(f".{target.name}.part")

    # ------------------------------------------------------------------------------------ answers

    @staticmethod
    def _content_length(response: httpx.Response) -> int | None:
        value = response.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise APIError(
                f"expected JSON from {response.request.method} {response.request.url.path}, "
                f"got {response.headers.get('content-type', 'no content type')}",
                status_code=response.status_code,
                headers=response.headers,
                body=response.text[:500],
            ) from None

    def _object(self, response: httpx.Response, what: str) -> dict[str, Any]:
        """The answer's JSON object; an APIError naming ``what`` was expected when it is anything else."""
        body = self._json(response)
        if not isinstance(body, dict):
            raise APIError(f"expected {what}", status_code=response.status_code, headers=response.headers, body=body)
        return body

    def _parse_create_task(self, response: httpx.Response, model: str) -> Task:
        """The created task: the answer holds only its id; a new task is queued [seed 000]."""
        body = self._object(response, "the created task's id")
        if not isinstance(body.get("id"), str):
            raise APIError("create answered without a task id", status_code=response.status_code, body=body)
        return Task(id=body["id"], status="queued", model=model, raw=body)

    def _parse_task(self, response: httpx.Response) -> Task:
        return Task.from_dict(self._object(response, "a task object"))

    def _parse_task_list(self, response: httpx.Response) -> TaskList:
        return TaskList.from_dict(self._object(response, "{total, items}"))

    def _parse_prediction(self, response: httpx.Response) -> Prediction:
        body = self._object(response, "a predictions envelope")
        code = body.get("code")
        # The envelope can carry an error under HTTP 200 (WaveSpeed-style gateways) [FIDELITY §3].
        if isinstance(code, int) and not isinstance(code, bool) and code >= 400:
            raise error_from_body(code, body, headers=response.headers)
        return Prediction.from_envelope(body)

    # ------------------------------------------------------------------------------------ decisions

    def _retry_delay(self, call: _Call, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds before sending ``call`` again after ``attempt`` failed (None: do not retry)."""
        if response is None:
            ok = should_retry(call.method, attempt, connection_error=True, max_retries=self.max_retries)
            return retry_delay(attempt) if ok else None
        ok = should_retry(
            call.method,
            attempt,
            status=response.status_code,
            headers=response.headers,
            max_retries=self.max_retries,
        )
        if not ok:
            return None
        return retry_delay(attempt, parse_retry_after(response.headers.get("retry-after")))

    @staticmethod
    def _connection_error(exc: httpx.HTTPError, request: httpx.Request) -> APIConnectionError:
        """A failed send: no answer (TransportError), or one that could not be read (DecodingError…)."""
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"{request.method} {request.url} timed out", request=request)
        if isinstance(exc, httpx.TransportError):
            return APIConnectionError(
                f"cannot reach {request.url.host}: {str(exc) or type(exc).__name__}", request=request
            )
        return APIConnectionError(
            f"{request.method} {request.url}: the answer could not be read ({_describe(exc)})", request=request
        )

    @staticmethod
    def _download_error(exc: httpx.HTTPError | httpx.StreamError, request: httpx.Request) -> APIConnectionError:
        """A video body that broke off or could not be decoded after a successful status."""
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"download of {request.url} timed out", request=request)
        return APIConnectionError(f"download of {request.url} failed ({_describe(exc)})", request=request)

    @staticmethod
    def _error(response: httpx.Response) -> APIError:
        return error_from_response(response)

    def _waiter(self, timeout: float | None, poll_interval: float) -> _Waiter:
        return _Waiter(timeout, poll_interval, self._monotonic)

    @staticmethod
    def _poll_predictions(task_id: str | Task | Prediction) -> bool:
        """Whether ``wait`` polls the predictions result endpoint (it was given a Prediction)."""
        return isinstance(task_id, Prediction)

    @staticmethod
    def _next_page(page_num: int, page_size: int, page: TaskList, seen: int) -> int | None:
        """The next page number of an ``iter_tasks`` walk, or None when done."""
        if not page.items or seen >= page.total or len(page.items) < page_size:
            return None
        return page_num + 1


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port
