"""How long a result's media takes: cold render of each table size, then cached serving [issue 4].

    python bench/bench_media.py [--repeat N]

Prints a table; asserts nothing (timings vary by machine). Each cold figure renders into a fresh cache
directory, so it is the extra wait of a file's first download. The cached figures are what later requests
pay: the cache lookup alone, and a whole GET over HTTP through the same ``FileResponse`` the server uses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mock_server.media import MediaCache, MediaSpec

CASES = [
    ("480p 16:9 5 s", MediaSpec(864, 496, 121, True, 1)),
    ("720p 16:9 12 s", MediaSpec(1280, 720, 289, True, 2)),
    ("1080p 16:9 12 s", MediaSpec(1920, 1088, 289, True, 3)),
]


async def cold(spec: MediaSpec, kind: str) -> tuple[float, int]:
    """Seconds to make one file in an empty cache, and its size in bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = MediaCache(tmp)
        start = time.perf_counter()
        path = await (cache.ensure_video(spec) if kind == "mp4" else cache.ensure_last_frame(spec))
        elapsed = time.perf_counter() - start
        return elapsed, path.stat().st_size


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
    args = parser.parse_args()

    import av  # paid once, at the server's first render (the server never imports it at start-up)

    print(f"PyAV {av.__version__}, FFmpeg {av.ffmpeg_version_info}, {os.cpu_count()} CPUs")
    print(f"{'case':<16} {'size':>9} {'frames':>6} {'cold mp4':>9} {'min':>7} {'file':>8} {'cold png':>9}")
    for label, spec in CASES:
        runs = [await cold(spec, "mp4") for _ in range(args.repeat)]
        times = [t for t, _ in runs]
        png, _ = await cold(spec, "png")
        print(
            f"{label:<16} {spec.width:>4}x{spec.height:<4} {spec.frames:>6}"
            f" {statistics.median(times):>8.2f}s {min(times):>6.2f}s {runs[0][1] / 1e6:>6.2f}MB"
            f" {png * 1000:>7.0f}ms"
        )
    with tempfile.TemporaryDirectory() as tmp:
        cache = MediaCache(tmp)
        lookup = await cached_lookup(cache, CASES[1][1])
        whole, ranged = await cached_get(cache, CASES[1][1])
    print(f"cached ensure_video lookup: {lookup * 1e6:.1f} µs")
    print(f"cached GET 720p 12 s (FileResponse, loopback): whole file {whole * 1000:.1f} ms,", end=" ")
    print(f"64 KiB Range (206) {ranged * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
