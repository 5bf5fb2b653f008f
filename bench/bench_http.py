"""Throughput and latency of the mock next to a bare aiohttp app, at a fixed 32 connections [issue 7].

    python bench/bench_http.py [--duration 8] [--warmup 2] [--generator auto|wrk|python]

Starts the real mock (``python -m mock_server --port 0 --quiet --time-scale 0 --max-queued 100000000``)
and bench/bare_app.py, each in its own process, and drives both with the same load generator
(bench/loadgen.py: wrk if installed) for each case, bare first then mock. Prints requests/s, p50/p99 and
the ratio mock / bare, each server's CPU time per request (steadier than requests/s when neighbours
share the machine), the non-2xx answers of each (a run of 429s would measure nothing), and the mock's
RSS before and after the load with its default journal.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    ARK_BODY,
    ARK_TASKS,
    NO_QUOTA,
    PRED_BODY,
    PRED_SUBMIT,
    Http,
    Row,
    print_rows,
    start_bare,
    start_mock,
)
from loadgen import LoadResult, generator_name, run_load

SECTION = "throughput"
P99_TARGET_MS = 10.0
MEMORY_TARGET_MB = 80.0


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # "{ark}" / "{pred}" stand for the ids of a stored succeeded task of each family
    body: dict | None
    ratio_target: float


CASES = [
    Case("GET task (A)", "GET", ARK_TASKS + "/{ark}", None, 0.75),
    Case("GET prediction result (B)", "GET", "/api/v3/predictions/{pred}/result", None, 0.75),
    Case("POST create (A), validated", "POST", ARK_TASKS, ARK_BODY, 0.40),
    Case("POST create (B), validated", "POST", PRED_SUBMIT, PRED_BODY, 0.40),
]


def _seed_tasks(http: Http) -> dict[str, str]:
    """One task of each family, then the clock moved on so both are ``succeeded`` (the fullest answer)."""
    status, ark = http.call("POST", ARK_TASKS, ARK_BODY)
    assert status == 200, (status, ark)
    status, pred = http.call("POST", PRED_SUBMIT, PRED_BODY)
    assert status == 200, (status, pred)
    status, _ = http.call("POST", "/_mock/clock/advance", {"seconds": 60})
    assert status == 200
    ids = {"ark": ark["id"], "pred": pred["data"]["id"]}
    status, task = http.call("GET", f"{ARK_TASKS}/{ids['ark']}")
    assert status == 200 and task["status"] == "succeeded", (status, task)
    return ids


def _health_total(http: Http) -> int:
    _, health = http.call("GET", "/_mock/health")
    return int(health["tasks"]["total"])


def _fmt(r: LoadResult) -> str:
    return f"{r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms"


def run(
    *,
    duration: float = 8.0,
    warmup: float = 2.0,
    generator: str = "auto",
    connections: int = 32,
    only: str | None = None,
) -> list[Row]:
    """Every case (or those whose name contains ``only``) against bare then mock; rows for the table."""
    gen = generator_name(generator)
    rows = [
        Row(
            SECTION,
            "load generator",
            f"{'wrk, 1 thread' if gen == 'wrk' else 'python (aiohttp client, own process)'}, "
            f"{connections} connections, {warmup:g} s warm-up + {duration:g} s per case",
        )
    ]
    with start_mock("--max-queued", str(NO_QUOTA)) as mock, start_bare() as bare:
        with Http(mock.host, mock.port) as http:
            ids = _seed_tasks(http)
        rss_idle = mock.rss_mb()
        rss_after_gets = rss_idle
        for case in CASES:
            if only and only.lower() not in case.name.lower():
                continue
            path = case.path.format(**ids)
            body = None if case.body is None else json.dumps(case.body)
            results = {}
            cpu = {}
            for name, server in (("bare", bare), ("mock", mock)):
                load = dict(method=case.method, body=body, connections=connections, generator=gen)
                if warmup > 0:
                    run_load(server.url + path, seconds=warmup, warmup=0, **load)
                before = server.cpu_seconds()
                results[name] = run_load(server.url + path, seconds=duration, warmup=0, **load)
                cpu[name] = (server.cpu_seconds() - before) / max(1, results[name].requests)
            m, b = results["mock"], results["bare"]
            ratio = m.rps / b.rps if b.rps else 0.0
            rows.append(
                Row(
                    SECTION,
                    f"{case.name}: req/s mock / bare",
                    f"{m.rps:,.0f} / {b.rps:,.0f} = **{ratio:.2f}×**",
                    f"≥ {case.ratio_target:.2f}×",
                    ratio >= case.ratio_target,
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{case.name}: p50 / p99 mock (bare)",
                    f"{m.p50_ms:.2f} / **{m.p99_ms:.2f} ms** ({b.p50_ms:.2f} / {b.p99_ms:.2f} ms)",
                    f"p99 < {P99_TARGET_MS:g} ms",
                    m.p99_ms < P99_TARGET_MS,
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{case.name}: server CPU per request mock / bare",
                    f"{cpu['mock'] * 1e6:,.0f} / {cpu['bare'] * 1e6:,.0f} µs"
                    + (f" (= {cpu['bare'] / cpu['mock']:.2f}× by CPU)" if cpu["mock"] else ""),
                )
            )
            bad = m.non_2xx + m.socket_errors + b.non_2xx + b.socket_errors
            rows.append(
                Row(
                    SECTION,
                    f"{case.name}: non-2xx + socket errors mock / bare",
                    f"{m.non_2xx}+{m.socket_errors} of {m.requests:,}"
                    f" / {b.non_2xx}+{b.socket_errors} of {b.requests:,}",
                    "0 (else the figure is void)",
                    bad == 0,
                )
            )
            if case.method == "GET":
                rss_after_gets = mock.rss_mb()
        rss_end = mock.rss_mb()
        with Http(mock.host, mock.port) as http:
            stored = _health_total(http)
    rows.append(Row(SECTION, "mock RSS idle (after start + 2 tasks)", f"{rss_idle:.1f} MB"))
    rows.append(
        Row(
            SECTION,
            "mock RSS after the GET load (journal full, no new tasks)",
            f"{rss_after_gets:.1f} MB",
        )
    )
    rows.append(
        Row(
            SECTION,
            "mock RSS after the whole load run (default journal)",
            f"**{rss_end:.1f} MB**, holding {stored:,} tasks the POST cases created",
            f"< {MEMORY_TARGET_MB:g} MB",
            rss_end < MEMORY_TARGET_MB,
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per case and server")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before each measurement")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default=None, help="run only the cases whose name contains this, e.g. 'GET task'")
    args = parser.parse_args()
    print_rows(
        run(
            duration=args.duration,
            warmup=args.warmup,
            generator=args.generator,
            connections=args.connections,
            only=args.only,
        )
    )


if __name__ == "__main__":
    main()
