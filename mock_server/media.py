"""Real media behind every succeeded task: H.264/AAC MP4s and last-frame PNGs, cached on disk [issue 4].

A fake that answers ``https://example.com/video.mp4`` breaks every pipeline that downloads, probes or plays
the result, so the mock makes real files with PyAV (FFmpeg ships in its wheels; no ``ffmpeg`` binary needed).
One file per distinct :class:`MediaSpec` (size, frames, audio, seed), rendered once in a worker thread and
then served from :class:`MediaCache`'s directory. Input images are measured in :mod:`mock_server.images`.

``av`` and ``numpy`` are imported inside the functions that need them: the server must start fast and most
runs never render anything.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

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

#: Output frame rate of every model [UPSTREAM §4: "Output is 24 fps"].
FPS = 24
#: Largest width or height accepted: the table's biggest side is 4398 (4k 21:9) [FIDELITY §4].
MAX_SIDE = 4398
#: Most frames accepted: 30 s at 24 fps + 1, every model's longest duration (2.5: 30 s) [FIDELITY §5].
MAX_FRAMES = FPS * 30 + 1
#: Audio sample rate of the AAC track.
SAMPLE_RATE = 48_000
#: Bump when the picture or the encoding changes, so caches made by older versions are not served.
RENDER_VERSION = 1
#: Seeds are 64-bit at most (upstream's range is [-1, 2**32 - 1]; -1 is resolved before a spec exists).
_SEED_LIMIT = 2**63

MediaKind = Literal["mp4", "png"]

# Canonical keys only (no leading zeros, no "+"), so that from_key(k).key == k and one spec has one file.
_KEY = re.compile(r"([1-9][0-9]{0,4})x([1-9][0-9]{0,4})-([1-9][0-9]{0,4})f-([am])-(0|-?[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class MediaSpec:
    """What one media file shows: its pixel size, its frame count, whether it has audio, and its seed."""

    width: int
    height: int
    frames: int
    audio: bool
    seed: int

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("width", self.width, MAX_SIDE),
            ("height", self.height, MAX_SIDE),
            ("frames", self.frames, MAX_FRAMES),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
                raise ValueError(f"{name} must be an integer in [1, {limit}], got {value!r}")
        if not isinstance(self.audio, bool):
            raise ValueError(f"audio must be a bool, got {self.audio!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or abs(self.seed) >= _SEED_LIMIT:
            raise ValueError(f"seed must be a 64-bit integer, got {self.seed!r}")

    @property
    def key(self) -> str:
        """A filename- and URL-safe name, e.g. ``1280x720-121f-a-12345`` (``m`` for mute instead of ``a``)."""
        return f"{self.width}x{self.height}-{self.frames}f-{'a' if self.audio else 'm'}-{self.seed}"

    @property
    def duration(self) -> float:
        """Length in seconds: ``frames / 24``."""
        return self.frames / FPS

    @classmethod
    def from_key(cls, key: str) -> MediaSpec:
        """Parse :attr:`key` back; ``ValueError`` when malformed or out of bounds (keys come from URLs)."""
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise ValueError(f"not a media key: {key!r}")
        width, height, frames, audio, seed = match.groups()
        return cls(int(width), int(height), int(frames), audio == "a", int(seed))


# -- the picture -----------------------------------------------------------------------------------------
class _Painter:
    """Frames for one spec: a seed-coloured diagonal gradient and a white bar sweeping left to right.

    The background planes are computed once; each frame only restores the previous bar's columns and paints
    the new ones, so building a 1080p frame costs a few small slice assignments (the encoder dominates).
    """

    def __init__(self, spec: MediaSpec) -> None:
        import numpy as np

        self.spec = spec
        rng = random.Random(spec.seed)
        w, h = spec.width, spec.height
        # libx264 needs even sides for 4:2:0; odd sizes keep their exact size in 4:4:4 (still H.264).
        self.pix_fmt = "yuv420p" if w % 2 == 0 and h % 2 == 0 else "yuv444p"
        sub = 2 if self.pix_fmt == "yuv420p" else 1
        cw, ch = -(-w // sub), -(-h // sub)
        self.sub = sub

        lo, hi = rng.randint(40, 90), rng.randint(150, 200)
        rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
        cols = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
        luma = lo + (hi - lo) * (0.6 * rows + 0.4 * cols)
        u0, v0 = rng.randint(64, 192), rng.randint(64, 192)
        crow = np.linspace(-24.0, 24.0, ch, dtype=np.float32)[:, None]
        self.background = [
            luma.astype(np.uint8),
            np.broadcast_to(np.clip(u0 + crow, 16, 240), (ch, cw)).astype(np.uint8),
            np.broadcast_to(np.clip(v0 - crow, 16, 240), (ch, cw)).astype(np.uint8),
        ]
        self.bar_colour = (235, 128, 128)  # white in limited-range YCbCr
        # Bar width: a 24th of the picture, in whole chroma samples so 4:2:0 stays clean.
        self.bar = max(sub, (w // 24) // sub * sub)
        self._canvas = [plane.copy() for plane in self.background]
        self._drawn: tuple[int, int] | None = None

    def bar_x(self, index: int) -> int:
        """Left edge of the bar in frame ``index`` (0 at the first frame, the right edge at the last)."""
        span = max(0, self.spec.width - self.bar)
        last = max(1, self.spec.frames - 1)
        return (span * index // last) // self.sub * self.sub

    def planes(self, index: int) -> list[np.ndarray]:
        """The Y, U and V planes of frame ``index`` (views of one canvas: copy before the next call)."""
        if self._drawn is not None:
            a, b = self._drawn
            for plane, bg, s in zip(self._canvas, self.background, (1, self.sub, self.sub), strict=True):
                plane[:, a // s : -(-b // s)] = bg[:, a // s : -(-b // s)]
        a = self.bar_x(index)
        b = min(self.spec.width, a + self.bar)
        for plane, value, s in zip(self._canvas, self.bar_colour, (1, self.sub, self.sub), strict=True):
            plane[:, a // s : -(-b // s)] = value
        self._drawn = (a, b)
        return self._canvas

    def frame(self, index: int) -> Any:
        """Frame ``index`` as a fresh ``av.VideoFrame`` (the encoder may keep it, so it owns its pixels)."""
        import av
        import numpy as np

        out = av.VideoFrame(self.spec.width, self.spec.height, self.pix_fmt)
        for dst, src in zip(out.planes, self.planes(index), strict=True):
            # Planes may be padded (line_size > width): write through a strided view of the frame's buffer.
            view = np.frombuffer(dst, np.uint8).reshape(dst.height, dst.line_size)
            view[:, : dst.width] = src
        return out


def _tone(spec: MediaSpec) -> np.ndarray:
    """A quiet sine (about -26 dBFS) at a seed-chosen pitch, exactly ``frames / 24`` seconds long."""
    import numpy as np

    # A seed-chosen semitone in the two octaves up from A3 (220 Hz).
    pitch = 220.0 * 2 ** (random.Random(~spec.seed).randrange(24) / 12)
    n = spec.frames * SAMPLE_RATE // FPS  # 2000 samples per frame: exact
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    return (0.05 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)


def _h264_encoder() -> str:
    """libx264 when PyAV's FFmpeg has it (the wheels do), else whichever H.264 encoder exists."""
    import av

    for name in ("libx264", "libopenh264", "h264"):
        try:
            av.Codec(name, "w")
        except Exception:
            continue
        return name
    raise RuntimeError("this PyAV build has no H.264 encoder")


def _atomic_write(path: Path, suffix: str, write: Callable[[Path], None]) -> None:
    """Run ``write`` on a temporary file beside ``path``, then rename it into place: no reader sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render_video(spec: MediaSpec, path: Path | str) -> Path:
    """Write ``spec`` as an MP4 at ``path``, atomically: H.264 at 24 fps, plus AAC 48 kHz if ``spec.audio``.

    Exactly ``spec.frames`` frames of ``width × height`` and ``frames / 24`` seconds; ``moov`` first
    (faststart) so players can start and seek before the whole file arrived. Blocking: run it in a thread.
    """
    import av

    path = Path(path)
    painter = _Painter(spec)
    encoder = _h264_encoder()
    samples = _tone(spec) if spec.audio else None

    def write(tmp: Path) -> None:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream(encoder, rate=FPS)
            video.width, video.height, video.pix_fmt = spec.width, spec.height, painter.pix_fmt
            video.codec_context.time_base = Fraction(1, FPS)
            video.codec_context.gop_size = 2 * FPS  # a keyframe every 2 s keeps seeking cheap
            if encoder == "libx264":
                video.options = {"preset": "ultrafast", "crf": "26"}
            audio = None
            if samples is not None:
                audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
                audio.codec_context.time_base = Fraction(1, SAMPLE_RATE)
                audio.options = {"aac_coder": "fast"}  # a test tone needs no psychoacoustic search
            chunk = (audio.codec_context.frame_size or 1024) if audio is not None else 0
            sent = 0

            def send_audio(upto: int) -> None:
                # Interleave: after each video frame, the audio that has played by its end.
                nonlocal sent
                assert audio is not None and samples is not None
                while sent < upto:
                    n = min(chunk, upto - sent)
                    pcm = samples[None, sent : sent + n]
                    frame = av.AudioFrame.from_ndarray(pcm, format="fltp", layout="mono")
                    frame.sample_rate, frame.pts = SAMPLE_RATE, sent
                    frame.time_base = Fraction(1, SAMPLE_RATE)
                    out.mux(audio.encode(frame))
                    sent += n

            for i in range(spec.frames):
                frame = painter.frame(i)
                frame.pts, frame.time_base = i, Fraction(1, FPS)
                out.mux(video.encode(frame))
                if samples is not None:
                    # Whole encoder frames only until the end, so just the very last AAC frame is short.
                    due = (i + 1) * SAMPLE_RATE // FPS
                    send_audio(len(samples) if i == spec.frames - 1 else due - due % chunk)
            out.mux(video.encode(None))
            if audio is not None:
                out.mux(audio.encode(None))

    _atomic_write(path, ".mp4", write)
    return path


def render_last_frame(spec: MediaSpec, path: Path | str) -> Path:
    """Write the video's last picture as a ``width × height`` RGB PNG at ``path`` (atomically)."""
    import av

    path = Path(path)
    rgb = _Painter(spec).frame(spec.frames - 1).reformat(format="rgb24")
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = spec.width, spec.height, "rgb24"
    data = b"".join(bytes(p) for p in [*codec.encode(rgb), *codec.encode(None)])
    _atomic_write(path, ".png", lambda tmp: tmp.write_bytes(data))
    return path


# -- the cache -------------------------------------------------------------------------------------------
def default_cache_dir() -> Path:
    """``<user cache dir>/seedance-mock/media`` (e.g. ``~/.cache/seedance-mock/media`` on Linux)."""
    import platformdirs

    return platformdirs.user_cache_path("seedance-mock") / "media"


#: A render's temporary file (see _atomic_write): hidden, with ``.tmp`` before its suffix.
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
