"""Real media behind every succeeded task, cached on disk [issue 4].

One file per distinct :class:`MediaSpec` (everything that changes the pixels: see :mod:`mock_server.render`,
which draws and encodes them), rendered once in a worker thread and then served from :class:`MediaCache`'s
directory. Also measures input images for ``ratio: adaptive``.

``av`` and ``numpy`` are imported inside the functions that need them: the server must start fast and most
runs never render anything.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal
from urllib.parse import unquote_to_bytes

# The pictures and their encoders live in render.py; re-exported here for the cache's callers.
from mock_server.render import (
    FPS,
    MAX_FRAMES,
    MAX_SIDE,
    RENDER_VERSION,
    MediaSpec,
    render_last_frame,
    render_video,
)

__all__ = [
    "FPS",
    "MAX_FRAMES",
    "MAX_SIDE",
    "MediaCache",
    "MediaKind",
    "MediaSpec",
    "default_cache_dir",
    "image_size",
    "render_last_frame",
    "render_video",
]

MediaKind = Literal["mp4", "png"]


# -- the cache -------------------------------------------------------------------------------------------
def default_cache_dir() -> Path:
    """``<user cache dir>/seedance-mock/media`` (e.g. ``~/.cache/seedance-mock/media`` on Linux)."""
    import platformdirs

    return platformdirs.user_cache_path("seedance-mock") / "media"


class MediaCache:
    """Media files on disk, one per (spec, kind), rendered on first request in a worker thread.

    Concurrent requests for one file share a single render; renders of different files run side by side,
    at most ``max_parallel`` at a time (each encoder already uses every core), on the cache's own threads:
    never in the loop's default executor, where aiohttp's FileResponse opens and reads the cached files a
    render must not hold up. Files appear by atomic rename, so several servers may share a directory.
    """

    def __init__(self, directory: Path | str | None = None, *, max_parallel: int = 2) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        #: How many files this cache has rendered (a seam for tests and the control plane).
        self.renders = 0
        self._count_lock = threading.Lock()
        self._max_parallel = max_parallel
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[Path, asyncio.Task[Path]] = {}

    def path_for(self, spec: MediaSpec, kind: MediaKind) -> Path:
        """Where the ``kind`` (``"mp4"`` or ``"png"``) file of ``spec`` lives, made yet or not."""
        if kind not in ("mp4", "png"):
            raise ValueError(f"unknown media kind {kind!r}")
        return self.directory / f"{spec.key}.r{RENDER_VERSION}.{kind}"

    async def ensure_video(self, spec: MediaSpec) -> Path:
        """The MP4 of ``spec``, rendered first if it is not cached yet."""
        return await self._ensure(spec, "mp4", render_video)

    async def ensure_last_frame(self, spec: MediaSpec) -> Path:
        """The last-frame PNG of ``spec``, rendered first if it is not cached yet."""
        return await self._ensure(spec, "png", render_last_frame)

    async def _ensure(
        self, spec: MediaSpec, kind: MediaKind, render: Callable[[MediaSpec, Path], Path]
    ) -> Path:
        path = self.path_for(spec, kind)
        if path.is_file():
            return path
        loop = asyncio.get_running_loop()
        task = self._pending.get(path)
        if task is None or task.get_loop() is not loop:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._max_parallel, thread_name_prefix="seedance-media")
            future = loop.run_in_executor(self._pool, self._render, render, spec, path)
            task = loop.create_task(_awaited(future))
            self._pending[path] = task
            task.add_done_callback(lambda t: self._finished(path, t))
        # shield: one caller going away (a client hung up) must not cancel the render the others await.
        return await asyncio.shield(task)

    def _render(self, render: Callable[[MediaSpec, Path], Path], spec: MediaSpec, path: Path) -> Path:
        if path.is_file():  # another process or loop finished it while we queued
            return path
        with self._count_lock:
            self.renders += 1
        return render(spec, path)

    def close(self) -> None:
        """Stop the render threads (renders under way finish; the server calls this on shutdown)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _finished(self, path: Path, task: asyncio.Task[Path]) -> None:
        if self._pending.get(path) is task:
            del self._pending[path]
        if not task.cancelled():
            task.exception()  # retrieved: a failure reaches the waiters, not the "never retrieved" log


async def _awaited(future: asyncio.Future[Path]) -> Path:
    return await future


# -- measuring input images ------------------------------------------------------------------------------
#: Data URIs longer than this are not decoded (upstream caps an image at 30 MB; base64 adds a third).
_MAX_DATA_URI = 48 * 1024 * 1024
_DATA_URI = re.compile(r"data:(image/[^;,]*)((?:;[^;,]*)*),", re.IGNORECASE)


def _data_uri_bytes(url: str) -> bytes | None:
    match = _DATA_URI.match(url)
    if match is None:
        return None
    payload = url[match.end() :]
    if ";base64" not in match.group(2).lower():
        return unquote_to_bytes(payload)
    payload = "".join(payload.split())
    payload += "=" * (-len(payload) % 4)
    try:
        return base64.b64decode(payload, altchars=b"-_" if "-" in payload or "_" in payload else None)
    except (binascii.Error, ValueError):
        return None


def image_size(url: str) -> tuple[int, int] | None:
    """``(width, height)`` of a ``data:image/...`` URI's image, else None; never raises.

    http(s) URLs cannot be fetched offline, so they give None too (the caller falls back to 16:9). PNG,
    JPEG, GIF and WebP are measured from their headers (microseconds, so it may run on the event loop);
    anything else FFmpeg reads (BMP, TIFF, AVIF, …) is decoded with PyAV. The stored size is measured:
    JPEG EXIF orientation is not applied.
    """
    try:
        if not isinstance(url, str) or len(url) > _MAX_DATA_URI:
            return None
        data = _data_uri_bytes(url)
        if not data:
            return None
        size = _header_size(data) if data[:4] in _HEADER_MAGIC else _decoded_size(data)
        return size if size is not None and size[0] > 0 and size[1] > 0 else None
    except Exception:
        return None


_HEADER_MAGIC = {b"\x89PNG", b"GIF8", b"RIFF"} | {b"\xff\xd8\xff" + bytes([m]) for m in range(0xC0, 0x100)}
# JPEG start-of-frame markers that carry the size (not DHT C4, JPG C8, DAC CC).
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _header_size(data: bytes) -> tuple[int, int] | None:
    """The size written in a PNG, GIF, JPEG or WebP header (IndexError / struct.error when truncated)."""
    import struct

    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # lossy: key frame start code
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L" and data[20] == 0x2F:  # lossless: 14-bit sizes minus one
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X":  # extended (alpha, animation): 24-bit canvas sizes minus one
            return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
        return None
    if data[:2] == b"\xff\xd8":
        i = 2
        while True:
            while data[i] != 0xFF:  # tolerate junk between segments, as decoders do
                i += 1
            while data[i] == 0xFF:  # fill bytes
                i += 1
            marker = data[i]
            i += 1
            if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers have no length
                continue
            if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
                return None
            (length,) = struct.unpack(">H", data[i : i + 2])
            if marker in _JPEG_SOF:
                h, w = struct.unpack(">HH", data[i + 3 : i + 7])
                return w, h
            i += length
    return None


def _decoded_size(data: bytes) -> tuple[int, int] | None:
    """Decode the first picture with PyAV (formats without a header parser here)."""
    import io

    import av

    with av.open(io.BytesIO(data), "r") as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        try:
            frame = next(container.decode(stream))
            return frame.width, frame.height
        except (StopIteration, av.FFmpegError):
            # The header parsed but the picture did not decode: trust the header.
            return stream.codec_context.width, stream.codec_context.height
