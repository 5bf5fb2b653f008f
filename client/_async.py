"""The asyncio client: the send loop, a ``_sleep`` seam, and one short method per API call.

Every decision that does no I/O lives in ``_base.py``; this module only sends, sleeps and loops.
"""

# unasync: this file is the source of _sync.py; edit it here, then run `python client/_unasync.py`.

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from client._base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    BaseClient,
    ProgressCallback,
    UpdateCallback,
    _Call,
    _notify_async,
    _sleep_async,
    tls_context,
)
from client._media import MediaInput
from client._types import Prediction, Task, TaskList

__all__ = ["AsyncSeedanceClient"]


class AsyncSeedanceClient(BaseClient):
    """Asyncio client for GPTProto's Seedance API (both the Ark tasks and the predictions family)."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """``api_key`` / ``base_url`` default to ``$GPTPROTO_API_KEY`` / ``$GPTPROTO_BASE_URL``."""
        super().__init__(api_key=api_key, base_url=base_url, max_retries=max_retries)
        if http_client is not None and transport is not None:
            raise ValueError("pass transport= or http_client=, not both")
        self._owns_http = http_client is None
        # Over a transport of the caller's, TLS is the transport's; else one shared context (tls_context).
        verify = tls_context() if transport is None and http_client is None else True
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout, verify=verify)

    # ------------------------------------------------------------------------------------ plumbing

    async def _sleep(self, seconds: float) -> None:
        await _sleep_async(seconds)

    async def _send(self, call: _Call) -> httpx.Response:
        request = self._build_request(self._http, call)
        attempt = 0
        while True:
            try:
                response = await self._http.send(request, stream=call.stream, follow_redirects=call.follow_redirects)
            except httpx.TransportError as exc:
                delay = self._retry_delay(call, attempt, None)
                if delay is None:
                    raise self._connection_error(exc, request) from exc
            except httpx.HTTPError as exc:
                # DecodingError, TooManyRedirects…: an answer came but cannot be used; sending again won't help.
                raise self._connection_error(exc, request) from exc
            else:
                if not response.is_error:
                    return response
                if call.stream:
                    await response.aread()
                    await response.aclose()
                delay = self._retry_delay(call, attempt, response)
                if delay is None:
                    raise self._error(response)
            await self._sleep(delay)
            attempt += 1

    async def close(self) -> None:
        """Close the HTTP connection pool (not one passed in as ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncSeedanceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------------------------ family A: Ark

    async def create_task(
        self,
        model: str,
        prompt: str | None = None,
        *,
        first_frame: MediaInput | None = None,
        last_frame: MediaInput | None = None,
        reference_images: Sequence[MediaInput] | None = None,
        reference_videos: Sequence[MediaInput] | None = None,
        reference_audios: Sequence[MediaInput] | None = None,
        **options: Any,
    ) -> Task:
        """Create an Ark task; returns it queued (``task.id``, also ``str(task)``).

        ``options`` are body fields (``resolution="720p"``…).
        """
        call = self._create_task_call(
            model, prompt, first_frame=first_frame, last_frame=last_frame, reference_images=reference_images,
            reference_videos=reference_videos, reference_audios=reference_audios, options=options,
        )  # fmt: skip
        return self._parse_create_task(await self._send(call), model)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Sequence[tuple[str, str | int]] | None = None,
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send ``method path`` exactly as given, without the client's own validation; answers the response.

        For endpoints the client does not wrap and for contract tests that must send what the client would
        refuse. ``path`` is relative to the base URL and starts with ``/`` (``/api/v3/...``; anything else
        is a ValidationError); errors are raised typed, like any call; ``authenticate=False`` leaves the
        Authorization header out.
        """
        return await self._send(self._request_call(method, path, json, params, authenticate))

    async def get_task(self, task_id: str | Task) -> Task:
        """The task's current state."""
        return self._parse_task(await self._send(self._get_task_call(task_id)))

    async def list_tasks(
        self,
        page_num: int = 1,
        page_size: int = 20,
        *,
        status: str | None = None,
        model: str | None = None,
        task_ids: Sequence[str] | None = None,
    ) -> TaskList:
        """One page of tasks, newest first, filtered by status, model and/or ids."""
        call = self._list_tasks_call(page_num, page_size, status, model, task_ids)
        return self._parse_task_list(await self._send(call))

    async def iter_tasks(
        self,
        *,
        page_size: int = 100,
        status: str | None = None,
        model: str | None = None,
        task_ids: Sequence[str] | None = None,
    ) -> AsyncIterator[Task]:
        """Every matching task, fetching page after page."""
        page_num, seen = 1, 0
        while True:
            page = await self.list_tasks(page_num, page_size, status=status, model=model, task_ids=task_ids)
            for task in page.items:
                seen += 1
                yield task
            next_page = self._next_page(page_num, page_size, page, seen)
            if next_page is None:
                return
            page_num = next_page

    async def cancel_task(self, task_id: str | Task) -> None:
        """Cancel a queued task: ``DELETE`` on the task, the same request as ``delete_task``.

        Upstream refuses a running task; on a finished task the same DELETE deletes its record.
        """
        self._json(await self._send(self._delete_task_call(task_id)))

    async def delete_task(self, task_id: str | Task) -> None:
        """Delete a finished task's record: the same ``DELETE`` as ``cancel_task`` (it calls it)."""
        await self.cancel_task(task_id)

    # ------------------------------------------------------------------------------- family B: predictions

    async def text_to_video(self, model: str, prompt: str, **options: Any) -> Prediction:
        """Submit a text-to-video prediction (``aspect_ratio``, ``duration``, ``resolution``… as options)."""
        return self._parse_prediction(await self._send(self._text_to_video_call(model, prompt, options)))

    async def image_to_video(
        self, model: str, prompt: str, image: MediaInput, last_image: MediaInput | None = None, **options: Any
    ) -> Prediction:
        """Submit an image-to-video prediction from a first (and optionally last) frame."""
        call = self._image_to_video_call(model, prompt, image, last_image, options)
        return self._parse_prediction(await self._send(call))

    async def reference_to_video(
        self,
        model: str,
        prompt: str,
        images: Sequence[MediaInput] | None = None,
        videos: Sequence[MediaInput] | None = None,
        audios: Sequence[MediaInput] | None = None,
        **options: Any,
    ) -> Prediction:
        """Submit a reference-to-video prediction (at least one image or video)."""
        call = self._reference_to_video_call(model, prompt, images, videos, audios, options)
        return self._parse_prediction(await self._send(call))

    async def get_prediction(self, prediction_id: str | Prediction) -> Prediction:
        """A prediction's current result (the predictions result endpoint)."""
        return self._parse_prediction(await self._send(self._get_prediction_call(prediction_id)))

    # ------------------------------------------------------------------------------------ both

    async def wait(
        self,
        task_id: str | Task | Prediction,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: UpdateCallback | None = None,
    ) -> Task | Prediction:
        """Poll until the task succeeds and return it; raise TaskFailedError / TaskExpiredError /
        TaskCancelledError when it ends otherwise, WaitTimeout after ``timeout`` seconds.

        A Prediction is polled on the predictions result endpoint, anything else on the Ark task endpoint
        (a prediction's id is the same task id). The interval grows from ``poll_interval`` up to 15 s.
        ``on_update`` is called with each task seen (the async client awaits what it returns, if awaitable).
        """
        predictions = self._poll_predictions(task_id)
        waiter = self._waiter(timeout, poll_interval)
        while True:
            task: Task | Prediction
            task = await self.get_prediction(task_id) if predictions else await self.get_task(task_id)  # type: ignore[arg-type]
            await _notify_async(on_update, task)
            delay = waiter.observe(task)
            if delay is None:
                return task
            await self._sleep(delay)

    async def create_and_wait(
        self,
        model: str,
        prompt: str | None = None,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_update: UpdateCallback | None = None,
        **create: Any,
    ) -> Task:
        """``create_task`` then ``wait``: the finished task.

        ``create`` is what ``create_task`` takes after the prompt: its media (``first_frame=``,
        ``reference_images=``…) and body fields (``resolution=``…).
        """
        task = await self.create_task(model, prompt, **create)
        done = await self.wait(task, timeout=timeout, poll_interval=poll_interval, on_update=on_update)
        assert isinstance(done, Task)
        return done

    async def download(
        self,
        url_or_task: str | Task | Prediction,
        path: str | os.PathLike[str],
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Stream a video to ``path`` (a URL, a finished Task/Prediction, or a task id); returns the path.

        ``progress(done, total)`` is called after each chunk (``total`` is None without Content-Length).
        The file appears only once complete.
        """
        url = self._download_url(url_or_task)
        if url is None and isinstance(url_or_task, str):  # None means: a task id to look up first
            url = self._download_url(await self.get_task(url_or_task))
        assert url is not None
        target, partial = self._download_paths(path)
        response = await self._send(self._download_call(url))
        try:
            total = self._content_length(response)
            done = 0
            with partial.open("wb") as out:
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            os.replace(partial, target)
        except (httpx.HTTPError, httpx.StreamError) as exc:
            # Any failure reading the body (reset, undecodable gzip, a closed stream), not only TransportError.
            raise self._download_error(exc, response.request) from exc
        finally:
            await response.aclose()
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        return target
