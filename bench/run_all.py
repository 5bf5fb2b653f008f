"""Every benchmark in one run, one markdown table with the machine it ran on [issue 7].

    python bench/run_all.py                 # everything, ~8 min on 2 cores (the suite is most of it)
    python bench/run_all.py --quick         # short load runs, 1k/10k tasks only, one media render, no suite
                                            # (and only the 60 × 8 MB memory case)
    python bench/run_all.py --skip-suite --skip-media

Progress goes to stderr; the table goes to stdout, so ``python bench/run_all.py > table.md`` keeps only
the table. bench/README.md says what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_handlers
import bench_http
import bench_memory
import bench_scale
import bench_startup
import bench_suite
from _harness import BENCH, ROOT, Row, machine, markdown

SECTION_MEDIA = "media"


async def _media_rows(repeat: int) -> list[Row]:
    """bench_media.py's figures through its own functions (cold render per size, cached serving)."""
    import statistics

    import bench_media

    from mock_server.media import MediaCache

    rows = []
    for label, spec in bench_media.CASES:
        runs = [await bench_media.cold(spec, "mp4") for _ in range(repeat)]
        times = [t for t, _ in runs]
        png, _ = await bench_media.cold(spec, "png")
        rows.append(
            Row(
                SECTION_MEDIA,
                f"cold MP4 {label} ({spec.width}×{spec.height}, {spec.frames} frames), median of {repeat}",
                f"{statistics.median(times):.2f} s ({runs[0][1] / 1e6:.2f} MB); last-frame PNG {png * 1000:.0f} ms",
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        cache = MediaCache(tmp)
        spec = bench_media.CASES[1][1]
        lookup = await bench_media.cached_lookup(cache, spec)
        whole, ranged = await bench_media.cached_get(cache, spec)
    rows.append(Row(SECTION_MEDIA, "cached ensure_video lookup", f"{lookup * 1e6:.1f} µs"))
    rows.append(
        Row(
            SECTION_MEDIA,
            "cached GET 720p 12 s over loopback: whole file / 64 KiB Range (206)",
            f"{whole * 1000:.1f} ms / {ranged * 1000:.1f} ms",
        )
    )
    return rows


def media(repeat: int) -> tuple[list[Row], str]:
    """Media rows; if bench_media's functions changed shape, its own printed table instead."""
    try:
        return asyncio.run(_media_rows(repeat)), ""
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        out = subprocess.run(
            [sys.executable, str(BENCH / "bench_media.py"), "--repeat", str(repeat)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        note = f"bench_media.py run as a script ({type(exc).__name__}: {exc}); its output is below the table"
        return [Row(SECTION_MEDIA, "bench_media.py", note)], out.stdout + out.stderr


def _git_head() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run; its figures are rougher")
    parser.add_argument("--skip-http", action="store_true", help="no throughput/latency run")
    parser.add_argument("--skip-handlers", action="store_true", help="no in-process per-request cost")
    parser.add_argument("--skip-scale", action="store_true", help="no 1k/10k/100k tasks run")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-media", action="store_true", help="no MP4 renders")
    parser.add_argument("--skip-memory", action="store_true", help="no big data: image creates (RSS)")
    parser.add_argument("--skip-suite", action="store_true", help="no full test-suite run (the slowest part)")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    parser.add_argument("--duration", type=float, default=None, help="measured seconds per load case (8)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up seconds per load case (2)")
    parser.add_argument("--sizes", default=None, help="stored task counts for the scale run (1000,10000,100000)")
    args = parser.parse_args()

    duration = args.duration or (3.0 if args.quick else 8.0)
    warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    sizes = tuple(int(s) for s in (args.sizes or ("1000,10000" if args.quick else "1000,10000,100000")).split(","))

    started = time.perf_counter()
    header = machine()
    rows: list[Row] = []
    extra = ""

    def step(name: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {name} …", file=sys.stderr, flush=True)

    if not args.skip_startup:
        step("start-up")
        rows += bench_startup.run(runs=3 if args.quick else 5)
    if not args.skip_http:
        step(f"throughput ({4 * 2 * (duration + warmup):.0f} s of load)")
        rows += bench_http.run(duration=duration, warmup=warmup, generator=args.generator)
    if not args.skip_handlers:
        step("in-app cost per request")
        rows += bench_handlers.run(n=200 if args.quick else 300, repeat=5 if args.quick else 10)
    if not args.skip_scale:
        step(f"scale ({', '.join(f'{s:,}' for s in sizes)} tasks)")
        rows += bench_scale.run(sizes=sizes, gets=500 if args.quick else 2000, lists=20 if args.quick else 50)
    if not args.skip_media:
        step("media")
        media_rows, extra = media(1 if args.quick else 3)
        rows += media_rows
    if not args.skip_memory:
        cases = bench_memory.CASES[:1] if args.quick else bench_memory.CASES
        step(f"memory ({', '.join(f'{n} × {mb} MB' for n, mb in cases)} data: images)")
        rows += bench_memory.run(cases)
    if not args.skip_suite and not args.quick:
        step("test suite")
        rows += bench_suite.run()
    step("done")

    misses = [r for r in rows if r.ok is False]
    today = datetime.date.today().isoformat()
    print(f"## seedance-mock benchmarks — {today}, commit {_git_head()}\n")
    print(f"Machine: {header}\n")
    print(markdown(rows))
    passed = sum(r.ok is True for r in rows)
    print(f"\n{passed} targets pass, {len(misses)} miss; whole run {time.perf_counter() - started:.0f} s.")
    if extra:
        print("\n```\n" + extra.rstrip() + "\n```")


if __name__ == "__main__":
    main()
