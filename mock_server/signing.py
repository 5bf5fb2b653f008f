"""Signed media URLs: what ``/media/{name}`` (:mod:`mock_server.files`) serves, and who may fetch it.

A URL names the file (``<MediaSpec key>.mp4|mov|png``), when it expires and an HMAC of both; a spec token rides
along when the key's digest stands for more than the key holds (ids, prompt, image references), so the file
can be rendered from the URL alone, after the task record is gone [FIDELITY §11].
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Literal

from mock_server.errors import ApiError
from mock_server.render import MediaSpec
from mock_server.store import Task

#: Signed URLs remembered per task (kind × origin); more origins than this (Host headers) start afresh.
_MAX_URLS_PER_TASK = 8
# What a URL we signed carries: ASCII digits (not "²", which str.isdigit takes) and 32 hex digits
# [FIDELITY §12]. Anything else is a URL we never handed out.
_EXPIRES = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{32}")


def media_spec(task: Task) -> MediaSpec:
    """What the task's video and last frame show: its size, frames, audio and seed, and the request (task
    id, model, resolution, prompt excerpt, input images) for the caption and the pictures [FIDELITY §11]."""
    s = task.spec
    return MediaSpec(
        s.width, s.height, s.frame_count, s.audio, s.seed,
        task_id=task.id[:64], model=s.model[:128], resolution=s.resolution[:16], prompt=s.prompt_excerpt[:160],
        scenario=s.scenario, images=s.images,
    )  # fmt: skip


def video_kind(task: Task) -> Literal["mp4", "mov"]:
    """The file kind of the task's video: ``mov`` (a QuickTime movie) when it asked ``output_format: "mov"``,
    else ``mp4`` [FIDELITY §11]."""
    return "mov" if task.spec.output_format == "mov" else "mp4"


class MediaSigner:
    """Signs and checks media URLs with one server's secret; a URL expires ``ttl`` mock seconds after its task
    finished (24 h, like upstream's) and outlives a deleted task record [issue 4]."""

    def __init__(self, secret: bytes, ttl: float, now: Callable[[], float]) -> None:
        self._secret = secret
        self.ttl = ttl
        self._now = now

    def _signature(self, name: str, expires: int) -> str:
        return hmac.new(self._secret, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def _expires(self, task: Task) -> int:
        return int((task.finished_at or task.updated_at) + self.ttl)

    def url(self, origin: str, media: MediaSpec, kind: str, expires: int) -> str:
        """A signed URL on ``origin`` for ``media``'s video (``mp4``) or last frame (``png``)."""
        name = f"{media.key}.{kind}"
        url = f"{origin}/media/{name}?expires={expires}&signature={self._signature(name, expires)}"
        return f"{url}&spec={media.token}" if media.token else url  # [FIDELITY §11]

    def task_url(self, origin: str, task: Task, kind: str) -> str:
        """The signed URL of the task's video (``mp4``) or last frame (``png``), computed once per task, kind
        and origin (kept on the task: it never changes once the task finished). The video of a task that asked
        ``output_format: "mov"`` is a ``.mov`` [FIDELITY §11]."""
        if kind == "mp4":
            kind = video_kind(task)
        urls = task.urls if task.urls is not None else {}
        # Keyed by text (a kind has no "|"): a dict of text alone stays off the cyclic collector's lists, as
        # the task holding it does (mock_server.store._untrack).
        key = f"{kind}|{origin}"
        url = urls.get(key)
        if url is None:
            url = self.url(origin, media_spec(task), kind, self._expires(task))
            if len(urls) >= _MAX_URLS_PER_TASK:
                urls.clear()  # one entry per Host a client made up: recomputing is cheap, growing is not
            urls[key] = url
            task.urls = urls
        return url

    def verify(self, name: str, expires: str | None, signature: str | None, token: str | None = None) -> MediaSpec:
        """The spec behind a media URL's parts, or 403/404 when the URL is unsigned, forged, altered or expired.

        The signature covers the name; the name ends in a digest of the ``spec`` token, so an altered token
        does not match it (404)."""
        if not expires or not signature:
            raise ApiError(403, "AccessDenied", "This media URL is not signed.")
        if not (_EXPIRES.fullmatch(expires) and _SIGNATURE.fullmatch(signature)):
            raise ApiError(403, "AccessDenied", "The media URL signature does not match.")
        if not hmac.compare_digest(self._signature(name, int(expires)), signature):
            raise ApiError(403, "AccessDenied", "The media URL signature does not match.")
        if self._now() > int(expires):
            raise ApiError(
                403,
                "AccessDenied",
                "Request has expired: media URLs are valid for 24 hours after the task finished.",
            )
        stem = name.rpartition(".")[0]
        try:
            return MediaSpec.from_key(stem, token)
        except ValueError:
            raise ApiError(404, "NotFound", f"No media called {name}.") from None
