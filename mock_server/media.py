"""Real media behind every succeeded task, cached on disk [issue 4].

One file per distinct :class:`MediaSpec` (everything that changes the pixels: see :mod:`mock_server.render`,
which draws and encodes them), rendered once in a worker thread and then served from :class:`MediaCache`'s
directory. Input images are measured in :mod:`mock_server.images`.

``av`` and ``numpy`` are imported inside the functions that need them: the server must start fast and most
runs never render anything.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

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
    "render_last_frame",
    "render_video",
]

#: The video (MP4, or QuickTime MOV for ``output_format: mov`` [FIDELITY §11]) and the last frame (PNG).
MediaKind = Literal["mp4", "mov", "png"]


# -- the cache -------------------------------------------------------------------------------------------
def default_cache_dir() -> Path:
    """``<user cache dir>/seedance-mock/media`` (e.g. ``~/.cache/seedance-mock/media`` on Linux)."""
    import platformdirs

    return platformdirs.user_cache_path("seedance-mock") / "media"


#: A render's temporary file (see images.atomic_write): hidden, with ``.tmp`` before its suffix.
_TEMPORARY = re.compile(r"\..+\.tmp(\.[A-Za-z0-9]+)?")
#: A cached file of any render version: ``<key>.r<version>.<kind>``; nothing else in the directory is touched.
_CACHED = re.compile(r"[0-9]+x[0-9]+-[0-9]+f-[am]--?[0-9]+(?:-[0-9a-f]+)?\.r[0-9]+\.[a-z0-9]+")
#: Temporaries untouched this long belong to a render that died (killed server); younger ones may be another
#: server's render in progress on a shared directory, so they stay.
STALE_TEMPORARY_SECONDS = 600.0


class MediaCache:
    """Media files on disk, one per (spec, kind), rendered on first request in a worker thread.

    Concurrent requests for one file share a single render; renders of different files run side by side,
    at most ``max_parallel`` at a time (each encoder already uses every core), on the cache's own threads:
    never in the loop's default executor, where aiohttp's FileResponse opens and reads the cached files a
    render must not hold up. Files appear by atomic rename, so several servers may share a directory.

    Bounded [issue 10, FIDELITY §11]: beyond ``max_bytes`` the least recently used files are deleted after
    each render. Never deleted: a file whose render is under way, the file handed out last, and any file
    handed out in the last ``keep_recent`` seconds (a download may be about to open it). :meth:`open`
    (run at start) indexes what is on disk, oldest first, and deletes temporaries a killed render left.
    """

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        max_parallel: int = 2,
        max_bytes: int | None = None,
        keep_recent: float = 60.0,
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        #: Total size the files may reach before the least recently used are deleted; None = unbounded.
        self.max_bytes = max_bytes
        self.keep_recent = keep_recent
        #: How many files this cache has rendered (a seam for tests and the control plane).
        self.renders = 0
        #: How many files the size cap has deleted.
        self.evictions = 0
        self._count_lock = threading.Lock()
        self._max_parallel = max_parallel
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[Path, asyncio.Task[Path]] = {}
        # Cached files by recency (least recently used first) with their sizes, and when each was handed out.
        self._index: OrderedDict[Path, int] | None = None
        self._handed: dict[Path, float] = {}
        self._total = 0

    @property
    def size(self) -> int:
        """Bytes of the cached files this cache knows of."""
        self.open()
        return self._total

    def open(self) -> None:
        """Index the cached files on disk (by modification time: oldest first) and delete stale temporaries.

        Idempotent and cheap to call again; a missing directory is an empty cache (nothing is created).
        """
        if self._index is not None:
            return
        found: list[tuple[float, str, int]] = []
        now = time.time()
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            entries = []
        for entry in entries:
            try:
                if _TEMPORARY.fullmatch(entry.name):
                    if now - entry.stat().st_mtime > STALE_TEMPORARY_SECONDS and entry.is_file():
                        os.unlink(entry.path)
                elif _CACHED.fullmatch(entry.name) and entry.is_file():
                    stat = entry.stat()
                    found.append((stat.st_mtime, entry.name, stat.st_size))
            except OSError:
                continue  # gone meanwhile (another server): nothing to do
        found.sort()
        self._index = OrderedDict((self.directory / name, size) for _, name, size in found)
        self._total = sum(size for _, _, size in found)
        self._evict()

    def _used(self, path: Path, *, made: bool = False) -> None:
        """``path`` is being handed out (``made``: just rendered): it becomes the most recently used file."""
        self.open()
        assert self._index is not None
        if made or path not in self._index:
            try:
                size = path.stat().st_size
            except OSError:
                return
            self._total += size - self._index.get(path, 0)
            self._index[path] = size
        self._index.move_to_end(path)
        self._handed[path] = time.monotonic()

    def _evict(self) -> None:
        """Delete least recently used files until the total fits ``max_bytes`` (see the class docstring)."""
        if self.max_bytes is None or self._index is None or self._total <= self.max_bytes:
            return
        now = time.monotonic()
        newest = next(reversed(self._index), None)
        for path in list(self._index):
            if self._total <= self.max_bytes:
                break
            if path == newest or path in self._pending:
                continue
            handed = self._handed.get(path)
            if handed is not None and now - handed < self.keep_recent:
                continue
            self._total -= self._index.pop(path)
            self._handed.pop(path, None)
            try:
                path.unlink(missing_ok=True)
            except OSError:
                continue
            self.evictions += 1

    def path_for(self, spec: MediaSpec, kind: MediaKind) -> Path:
        """Where the ``kind`` (``"mp4"``, ``"mov"`` or ``"png"``) file of ``spec`` lives, made yet or not."""
        if kind not in ("mp4", "mov", "png"):
            raise ValueError(f"unknown media kind {kind!r}")
        return self.directory / f"{spec.key}.r{RENDER_VERSION}.{kind}"

    async def ensure_video(self, spec: MediaSpec, kind: Literal["mp4", "mov"] = "mp4") -> Path:
        """The video of ``spec`` (an MP4, or a QuickTime MOV), rendered first if it is not cached yet."""
        if kind not in ("mp4", "mov"):
            raise ValueError(f"unknown video kind {kind!r}")
        render = render_video if kind == "mp4" else functools.partial(render_video, container=kind)
        return await self._ensure(spec, kind, render)

    async def ensure_last_frame(self, spec: MediaSpec) -> Path:
        """The last-frame PNG of ``spec``, rendered first if it is not cached yet."""
        return await self._ensure(spec, "png", render_last_frame)

    async def _ensure(self, spec: MediaSpec, kind: MediaKind, render: Callable[[MediaSpec, Path], Path]) -> Path:
        path = self.path_for(spec, kind)
        if path.is_file():
            self._used(path)
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
        if not task.cancelled() and task.exception() is None:  # retrieved: a failure reaches the waiters
            self._used(path, made=True)
            self._evict()


async def _awaited(future: asyncio.Future[Path]) -> Path:
    return await future
