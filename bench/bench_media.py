"""How long a result's media takes: cold render of each table size, then cached serving [issue 4, 13].

    python bench/bench_media.py [--repeat N] [--no-4k] [--only TEXT]

Every case shows a request (caption; input images where named: first + last frame, nine references);
4k cases are H.265 10-bit and run once.

Prints a table; asserts nothing (timings vary by machine). Each cold figure renders into a fresh cache
directory, so it is the extra wait of a file's first download. The cached figures are what later requests
pay: the cache lookup alone, and a whole GET over HTTP through the same ``FileResponse`` the server uses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mock_server.images import ingest_image
from mock_server.media import MediaCache, MediaSpec

MODEL = "dreamina-seedance-2-0-260128"
PROMPT = "A red fox trots through fresh snow at dawn, breath steaming, low golden light…"
Inputs = tuple[str, ...]


def _image(colour: tuple[int, int, int]) -> str:
    """A 1280×720 JPEG data: URI that looks like a photo to the encoder: a lit gradient, a disc, light grain
    (a flat colour would flatter it, pure noise would be harsher than any photo)."""
    import base64
    import io

    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(sum(colour))
    light = np.linspace(0.55, 1.1, 1280)[None, :, None] * np.linspace(1.1, 0.7, 720)[:, None, None]
    pixels = np.clip(np.array(colour) * light + rng.normal(0, 6, (720, 1280, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    ImageDraw.Draw(image).ellipse((500, 200, 820, 520), fill=tuple(255 - c for c in colour))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


COLOURS = [(200, 40, 40), (40, 60, 200), (40, 180, 60), (220, 200, 40), (160, 40, 180), (40, 180, 180),
           (240, 140, 40), (120, 120, 120), (250, 250, 250)]  # fmt: skip


def _spec(w: int, h: int, frames: int, resolution: str, scenario: str = "text", images: Inputs = ()) -> MediaSpec:
    return MediaSpec(w, h, frames, True, 3, task_id="cgt-20261202061500-bench", model=MODEL,
                     resolution=resolution, prompt=PROMPT, scenario=scenario, images=images)  # fmt: skip


# (label, spec from the references of the input images ingested into the cache directory)
CASES: list[tuple[str, Callable[[list[str]], MediaSpec]]] = [
    ("480p 16:9 5 s", lambda refs: _spec(864, 496, 121, "480p")),
    ("720p 16:9 12 s", lambda refs: _spec(1280, 720, 289, "720p")),
    ("1080p 16:9 12 s", lambda refs: _spec(1920, 1088, 289, "1080p")),
    ("1080p 12 s f+l", lambda refs: _spec(1920, 1088, 289, "1080p", "first_last_frame", tuple(refs[:2]))),
    ("1080p 12 s 9 ref", lambda refs: _spec(1920, 1088, 289, "1080p", "reference", tuple(refs))),
    ("4k 16:9 12 s", lambda refs: _spec(3840, 2160, 289, "4k")),
    ("4k 12 s f+l", lambda refs: _spec(3840, 2160, 289, "4k", "first_last_frame", tuple(refs[:2]))),
]


def _cpu() -> float:
    """CPU seconds this process has used, every thread (the encoders' included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def cold(make: Callable[[list[str]], MediaSpec], uris: list[str], kind: str) -> tuple[float, int, float, float]:
    """Seconds to make one file in an empty cache, its size in bytes, the seconds the create spent storing
    its input images (paid at create, not at the download), and the CPU seconds of the render (on a shared
    machine the wall time depends on the load; CPU / cores is what an idle machine would take at best)."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = MediaCache(tmp)
        start = time.perf_counter()
        refs = [ingest_image(uri, tmp) for uri in uris]
        ingest = time.perf_counter() - start
        spec = make(refs)
        start, cpu = time.perf_counter(), _cpu()
        path = await (cache.ensure_video(spec) if kind == "mp4" else cache.ensure_last_frame(spec))
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
        cache.close()
        return elapsed, path.stat().st_size, ingest, cpu


async def figures(
    make: Callable[[list[str]], MediaSpec], uris: list[str], repeat: int
) -> tuple[MediaSpec, float, int, float, float]:
    """(spec, median cold MP4 seconds, MP4 bytes, cold PNG seconds, create-time ingest seconds, median MP4
    CPU seconds); 4k once."""
    spec = make(["sha256:" + "0" * 32] * len(uris))
    runs = [await cold(make, uris, "mp4") for _ in range(1 if spec.hevc else repeat)]
    png = (await cold(make, uris, "png"))[0]
    median = statistics.median
    return spec, median(r[0] for r in runs), runs[0][1], png, runs[0][2], median(r[3] for r in runs)


def input_images() -> list[str]:
    """The nine textured data: URIs the cases with images use."""
    return [_image(c) for c in COLOURS]


async def cached_lookup(cache: MediaCache, spec: MediaSpec, n: int = 2000) -> float:
    """Seconds per ensure_video call once the file exists."""
    await cache.ensure_video(spec)
    start = time.perf_counter()
    for _ in range(n):
        await cache.ensure_video(spec)
    return (time.perf_counter() - start) / n


async def cached_get(cache: MediaCache, spec: MediaSpec, n: int = 20) -> tuple[float, float]:
    """Median seconds for a whole GET and for a 64 KiB ``Range`` GET (a seek) of a cached file, over HTTP."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(await cache.ensure_video(spec), headers={"Content-Type": "video/mp4"})

    app = web.Application()
    app.router.add_get("/media", handler)
    await cache.ensure_video(spec)
    async with TestServer(app) as server, ClientSession() as session:
        url = str(server.make_url("/media"))

        async def get(headers: dict[str, str], status: int) -> float:
            start = time.perf_counter()
            async with session.get(url, headers=headers) as resp:
                await resp.read()
            if resp.status != status:
                raise SystemExit(f"GET {headers} answered {resp.status}, expected {status}")
            return time.perf_counter() - start

        whole = [await get({}, 200) for _ in range(n)]
        ranged = [await get({"Range": "bytes=65536-131071"}, 206) for _ in range(n)]
    return statistics.median(whole), statistics.median(ranged)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="cold renders per size (median reported)")
    parser.add_argument("--no-4k", action="store_true", help="skip the (slow) 4k cases")
    parser.add_argument("--only", metavar="TEXT", help="only the cases whose label contains TEXT (e.g. '9 ref')")
    args = parser.parse_args()

    import av  # paid once, at the server's first render (the server never imports it at start-up)

    uris = input_images()
    load = os.getloadavg()[0]
    print(f"PyAV {av.__version__}, FFmpeg {av.ffmpeg_version_info}, {os.cpu_count()} CPUs, load {load:.1f}")
    print(f"{'case':<18} {'size':>9} {'frames':>6} {'codec':>5} {'cold mp4':>9} {'cpu':>7} {'file':>8}"
          f" {'cold png':>9} {'ingest':>7}")  # fmt: skip
    for label, make in CASES:
        if (args.no_4k and label.startswith("4k")) or (args.only and args.only not in label):
            continue
        spec, mp4, size, png, ingest, cpu = await figures(make, uris, args.repeat)
        print(
            f"{label:<18} {spec.width:>4}x{spec.height:<4} {spec.frames:>6} {'h265' if spec.hevc else 'h264':>5}"
            f" {mp4:>8.2f}s {cpu:>6.2f}s {size / 1e6:>6.2f}MB {png * 1000:>7.0f}ms {ingest * 1000:>5.0f}ms",
            flush=True,
        )
    with tempfile.TemporaryDirectory() as tmp:
        cache = MediaCache(tmp)
        spec = CASES[1][1]([])  # 720p 12 s
        lookup = await cached_lookup(cache, spec)
        whole, ranged = await cached_get(cache, spec)
        cache.close()
    print(f"cached ensure_video lookup: {lookup * 1e6:.1f} µs")
    print(f"cached GET 720p 12 s (FileResponse, loopback): whole file {whole * 1000:.1f} ms,", end=" ")
    print(f"64 KiB Range (206) {ranged * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
