"""How the mock scales with stored tasks: RSS, GET latency at 1k / 10k / 100k tasks, list latency [issue 7].

    python bench/bench_scale.py [--sizes 1000,10000,100000] [--gets 2000] [--lists 50]

One mock process (``--time-scale 0 --max-queued 1000000``) is filled by concurrent creates (32 in flight,
one API key, so the list endpoint sees every task: its worst case) up to each size in turn. At each size:
the server's VmRSS, then ``--gets`` sequential GETs of random stored ids over one keep-alive connection
(p50/p99), then sequential list calls (``page_size=20``). At the largest size the clock is moved on 600
mock seconds so a few thousand tasks succeed, and the list is timed with ``filter.status=queued`` (most
tasks match) and ``filter.status=succeeded`` (a few percent match). Latencies are client-side on loopback,
so they include ~0.1 ms of http.client; the flatness check compares like with like. Each p50 is the best
of 4 consecutive slices' p50s (less noise from neighbours on a shared machine); each p99 is over all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    ARK_TASKS,
    AUTH,
    NO_QUOTA,
    PRED_BODY,
    PRED_SUBMIT,
    Http,
    Row,
    ms,
    percentile,
    print_rows,
    start_mock,
)

SECTION = "scale"
RSS_TARGET_MB = 250.0
LIST_TARGET_S = 0.050
FLAT_LIMIT = 1.3  # p50 at the largest size / p50 at the smallest: "flat" up to this factor


async def fill(url: str, count: int, *, concurrency: int = 32) -> tuple[list[str], int]:
    """Create ``count`` tasks (family B text-to-video: the cheaper create) → their ids, and non-2xx seen."""
    import aiohttp

    ids: list[str] = []
    failures = 0
    left = count
    head, _, tail = json.dumps(PRED_BODY).partition("__N__")
    headers = {**AUTH, "Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal left, failures
        while left > 0:
            left -= 1
            body = f"{head}{left}{tail}".encode()
            async with session.post(url + PRED_SUBMIT, data=body, headers=headers) as resp:
                payload = await resp.read()
                if resp.status != 200:
                    failures += 1
                    if failures > 100:
                        raise RuntimeError(f"creates failing: {resp.status} {payload[:300]!r}")
                    left += 1
                    continue
            ids.append(json.loads(payload)["data"]["id"])

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return ids, failures


def _sample(http: Http, paths: list[str], rounds: int = 4) -> tuple[float, float]:
    """p50, p99 seconds over sequential GETs of ``paths`` (every answer must be 200).

    The p50 is the best of ``rounds`` consecutive slices' p50s: on a shared machine a neighbour's burst
    inflates a whole slice, and the best slice is the closest to what the server itself costs. The p99 is
    over every sample, bursts included.
    """
    times = []
    for path in paths:
        elapsed, status = http.timed_get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        times.append(elapsed)
    size = max(1, len(times) // rounds)
    p50 = min(percentile(sorted(times[i : i + size]), 50) for i in range(0, len(times), size))
    return p50, percentile(sorted(times), 99)


def run(*, sizes: tuple[int, ...] = (1_000, 10_000, 100_000), gets: int = 2000, lists: int = 50) -> list[Row]:
    """Fill, measure at each size; rows for the table."""
    rows: list[Row] = []
    rng = random.Random(7)
    get_p50: dict[int, float] = {}
    with start_mock("--max-queued", str(NO_QUOTA)) as mock, Http(mock.host, mock.port) as http:
        ids: list[str] = []
        fill_seconds = 0.0
        rss = {0: mock.rss_mb()}
        rows.append(Row(SECTION, "RSS empty", f"{rss[0]:.1f} MB"))
        for size in sizes:
            start = time.perf_counter()
            new, failures = asyncio.run(fill(mock.url, size - len(ids)))
            fill_seconds += time.perf_counter() - start
            ids += new
            rss[size] = mock.rss_mb()
            paths = [f"{ARK_TASKS}/{rng.choice(ids)}" for _ in range(gets)]
            _sample(http, paths[:200])  # warm the connection and the code paths
            p50, p99 = _sample(http, paths)
            get_p50[size] = p50
            list_p50, list_p99 = _sample(http, [f"{ARK_TASKS}?page_size=20"] * lists)
            label = f"{size:,} tasks"
            rows.append(
                Row(
                    SECTION,
                    f"{label}: RSS (filled in {fill_seconds:.0f} s total, {len(ids) / fill_seconds:,.0f} creates/s)",
                    f"**{rss[size]:.1f} MB**",
                    f"< {RSS_TARGET_MB:g} MB" if size == max(sizes) and size >= 100_000 else "",
                    rss[size] < RSS_TARGET_MB if size == max(sizes) and size >= 100_000 else None,
                )
            )
            rows.append(
                Row(SECTION, f"{label}: GET task p50 / p99 ({gets} sequential, random ids)", f"{ms(p50)} / {ms(p99)}")
            )
            rows.append(
                Row(
                    SECTION,
                    f"{label}: list page_size=20 p50 / p99 (all tasks on one key)",
                    f"{ms(list_p50)} / {ms(list_p99)}",
                    f"< {LIST_TARGET_S * 1000:g} ms" if size >= 100_000 else "",
                    list_p50 < LIST_TARGET_S if size >= 100_000 else None,
                )
            )
            if failures:
                rows.append(Row(SECTION, f"{label}: non-2xx while filling (retried)", str(failures)))
        small, large = min(sizes), max(sizes)
        if len(sizes) > 1:
            ratio = get_p50[large] / get_p50[small]
            rows.append(
                Row(
                    SECTION,
                    f"GET p50 at {large:,} / at {small:,} tasks",
                    f"{ratio:.2f}×",
                    f"flat (≤ {FLAT_LIMIT}×)",
                    ratio <= FLAT_LIMIT,
                )
            )
            per_task = (rss[large] - rss[small]) * 1e6 / (large - small)
            rows.append(Row(SECTION, "RSS per stored task", f"{per_task:,.0f} bytes"))
        # Some tasks finish so a status filter has something to tell apart.
        status, _ = http.call("POST", "/_mock/clock/advance", {"seconds": 600})
        assert status == 200
        _, health = http.call("GET", "/_mock/health")
        by_status = health["tasks"]["by_status"]
        for word in ("queued", "succeeded"):
            p50, p99 = _sample(http, [f"{ARK_TASKS}?page_size=20&filter.status={word}"] * lists)
            rows.append(
                Row(
                    SECTION,
                    f"{large:,} tasks: list filter.status={word} ({by_status[word]:,} match) p50 / p99",
                    f"{ms(p50)} / {ms(p99)}",
                    f"< {LIST_TARGET_S * 1000:g} ms" if large >= 100_000 else "",
                    p50 < LIST_TARGET_S if large >= 100_000 else None,
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="stored task counts, ascending")
    parser.add_argument("--gets", type=int, default=2000, help="sequential GETs per size")
    parser.add_argument("--lists", type=int, default=50, help="sequential list calls per figure")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    print_rows(run(sizes=sizes, gets=args.gets, lists=args.lists))


if __name__ == "__main__":
    main()
