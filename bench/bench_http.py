"""Throughput and latency of the mock beside aimock and a bare aiohttp app, at a fixed 32 connections
[issues 7, 17].

    python bench/bench_http.py [--duration 8] [--warmup 2] [--rounds 1] [--generator auto|wrk|python] [--no-aimock]

Starts, each in its own process: bench/bare_app.py (the ceiling: same aiohttp and event loop, no work), also
with ``--low-level`` (aiohttp's web.Server alone, for the cases aimock serves: about the most aiohttp can do);
aimock (``@copilotkit/aimock``, the other mock that serves Seedance, Node; installed with npm into
bench/.aimock on first use, skipped with a note when node or npm is missing); the mock with ``--quiet``;
and the mock with its default flags (one log line per request, written to a file as a redirected stderr
would take it). All mocks run with ``--time-scale 0 --max-queued 1000000`` (the highest it takes). The same
load generator (bench/loadgen.py: wrk if installed) drives each server in turn for each case (aimock serves only
the Ark family's cases). Prints requests/s, p50/p99, each server's CPU time per request (steadier than requests/s
when neighbours share the machine), the share of the machine's CPU the hypervisor gave other guests during each
run (a run they took much of measured them too), the non-2xx answers of each (a run of 429s would measure
nothing), the ratios the issues set targets for, and the default mock's RSS before and after the load (default
journal), also less the tasks the load stored (their cost per task measured by a few more seconds of creates at
the end). Beside each aimock ratio: what the two aiohttp ceilings reach against aimock, and the CPU per request the
target leaves for the mock's own work (aimock's ÷ the target, less a ceiling's) next to what that work costs.
With ``--rounds N`` each case runs N times per server, in alternating order, and the median is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
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
    Server,
    aimock_cli,
    print_rows,
    start_aimock,
    start_bare,
    start_mock,
    stolen_seconds,
    stolen_share,
)
from loadgen import LoadResult, generator_name, run_load

SECTION = "throughput"
P99_TARGET_MS = 10.0
MEMORY_TARGET_MB = 80.0
#: The default-flags mock's requests/s at least this share of the --quiet one's: logging costs ≤ 10%.
LOGGING_TARGET = 0.90
#: The predictions family's GET at least this share of the Ark GET's requests/s.
FAMILY_TARGET = 0.90
#: At most this share of the machine's CPU time taken by the hypervisor during a run (/proc/stat steal):
#: beyond it, the figures of that run measure the neighbours as much as the servers.
STOLEN_LIMIT = 0.05
#: Server labels, in the order a round runs them.
BARE, LOW, AIMOCK, QUIET, MOCK = "bare aiohttp", "aiohttp web.Server", "aimock", "mock --quiet", "mock"
#: Servers only the cases with an aimock target run against.
BESIDE_AIMOCK = (LOW, AIMOCK)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # "{ark}" / "{pred}" stand for the ids of a stored succeeded task of each family
    body: dict | None
    bare_target: float  # mock / bare aiohttp [issue 7]
    aimock_target: float | None = None  # mock (default flags) / aimock [issue 17]; None: aimock has no such path


CASES = [
    Case("GET task (A)", "GET", ARK_TASKS + "/{ark}", None, 0.75, 1.30),
    Case("GET prediction result (B)", "GET", "/api/v3/predictions/{pred}/result", None, 0.75),
    Case("POST create (A), validated", "POST", ARK_TASKS, ARK_BODY, 0.40, 1.00),
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


def _seed_aimock(http: Http) -> str:
    """One task on aimock (succeeded at its first poll, per the fixture); its id."""
    status, created = http.call("POST", ARK_TASKS, {**ARK_BODY, "content": [{"type": "text", "text": "seed"}]})
    assert status == 200, (status, created)
    status, task = http.call("GET", f"{ARK_TASKS}/{created['id']}")
    assert status == 200 and task["status"] == "succeeded", (status, task)
    return created["id"]


@dataclass
class Measured:
    """One server's figures for one case (the median round by requests/s)."""

    result: LoadResult
    cpu_per_request: float  # seconds
    stolen: float | None  # the share of the machine's CPU time the hypervisor took during the run (the worst round)


def _measure(
    server: Server, url: str, case: Case, *, duration: float, warmup: float, connections: int, gen: str
) -> Measured:
    body = None if case.body is None else json.dumps(case.body)
    load = dict(method=case.method, body=body, connections=connections, generator=gen)
    if warmup > 0:
        run_load(url, seconds=warmup, warmup=0, **load)
    before, stolen, started = server.cpu_seconds(), stolen_seconds(), time.perf_counter()
    result = run_load(url, seconds=duration, warmup=0, **load)
    cpu = (server.cpu_seconds() - before) / max(1, result.requests)
    return Measured(result, cpu, stolen_share(stolen, time.perf_counter() - started))


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def run(
    *,
    duration: float = 8.0,
    warmup: float = 2.0,
    generator: str = "auto",
    connections: int = 32,
    only: str | None = None,
    rounds: int = 1,
    aimock: bool = True,
) -> list[Row]:
    """Every case (or those whose name contains ``only``) against each server; rows for the table."""
    gen = generator_name(generator)
    rows = [
        Row(
            SECTION,
            "load generator",
            f"{'wrk, 1 thread' if gen == 'wrk' else 'python (aiohttp client, own process)'}, "
            f"{connections} connections, {warmup:g} s warm-up + {duration:g} s per case and server"
            + (f", median of {rounds} rounds" if rounds > 1 else ""),
        )
    ]
    cli, how = aimock_cli() if aimock else (None, "left out (--no-aimock)")
    rows.append(Row(SECTION, "aimock", how if cli is not None else f"not run: {how}"))
    servers: dict[str, Server] = {}
    ids: dict[str, dict[str, str]] = {}
    try:
        servers[BARE] = start_bare()
        if cli is not None:
            servers[LOW] = start_bare(low_level=True)
            servers[AIMOCK] = start_aimock(cli)
        servers[QUIET] = start_mock("--max-queued", str(NO_QUOTA), name=QUIET)
        servers[MOCK] = start_mock("--max-queued", str(NO_QUOTA), quiet=False, name=MOCK)
        for name in (QUIET, MOCK):
            with Http(servers[name].host, servers[name].port) as http:
                ids[name] = _seed_tasks(http)
        if AIMOCK in servers:
            with Http(servers[AIMOCK].host, servers[AIMOCK].port) as http:
                ids[AIMOCK] = {"ark": _seed_aimock(http)}
        ids[BARE] = ids[LOW] = ids[MOCK]  # any id: the bare apps answer every one alike
        mock = servers[MOCK]
        rss_idle = rss_after_gets = mock.rss_mb()
        rps: dict[str, dict[str, float]] = {}
        for case in CASES:
            if only and only.lower() not in case.name.lower():
                continue
            names = [n for n in servers if n not in BESIDE_AIMOCK or case.aimock_target is not None]
            runs: dict[str, list[Measured]] = {n: [] for n in names}
            for r in range(rounds):
                for name in names if r % 2 == 0 else reversed(names):
                    url = servers[name].url + case.path.format(**ids[name])
                    runs[name].append(
                        _measure(servers[name], url, case, duration=duration, warmup=warmup,
                                 connections=connections, gen=gen)
                    )  # fmt: skip
            got = {n: sorted(m, key=lambda x: x.result.rps)[len(m) // 2] for n, m in runs.items()}
            for n, m in runs.items():  # the hypervisor's share: the worst round's (likely the slowest)
                shares = [x.stolen for x in m]
                got[n] = replace(got[n], stolen=None if None in shares else max(s for s in shares if s is not None))
            rps[case.name] = {n: g.result.rps for n, g in got.items()}
            rows += _case_rows(case, got)
            if case.method == "GET":
                rss_after_gets = mock.rss_mb()
        if "GET task (A)" in rps and "GET prediction result (B)" in rps:
            a, b = rps["GET task (A)"][MOCK], rps["GET prediction result (B)"][MOCK]
            rows.append(
                Row(
                    SECTION,
                    "GET prediction result (B) / GET task (A), mock (default flags) req/s",
                    f"{b:,.0f} / {a:,.0f} = **{_ratio(b, a):.2f}×**",
                    f"≥ {FAMILY_TARGET:.2f}×",
                    _ratio(b, a) >= FAMILY_TARGET,
                )
            )
        rss_end = mock.rss_mb()
        with Http(mock.host, mock.port) as http:
            stored = _health_total(http)
        # What one more stored task costs here (the journal is full already): a few more seconds of creates.
        create = next(c for c in CASES if c.method == "POST" and c.aimock_target is not None)
        run_load(mock.url + create.path, method="POST", body=json.dumps(create.body), connections=connections,
                 seconds=3.0, warmup=0, generator=gen)  # fmt: skip
        with Http(mock.host, mock.port) as http:
            more = _health_total(http) - stored
        per_task_mb = (mock.rss_mb() - rss_end) / more if more > 0 else 0.0
    finally:
        for server in servers.values():
            server.stop()
    rows.append(Row(SECTION, "mock RSS idle (after start + 2 tasks)", f"{rss_idle:.1f} MB"))
    rows.append(Row(SECTION, "mock RSS after the GET load (journal full, no new tasks)", f"{rss_after_gets:.1f} MB"))
    rows.append(
        Row(
            SECTION,
            "mock RSS after the whole load run (default journal)",
            f"{rss_end:.1f} MB, holding {stored:,} tasks the POST cases created",
        )
    )
    tasks_mb = stored * per_task_mb
    rows.append(
        Row(
            SECTION,
            "mock RSS after the whole load run, less its tasks (a further 3 s of creates: "
            f"{per_task_mb * 2**20 / 1024:.2f} KiB per stored task)",
            f"**{rss_end - tasks_mb:.1f} MB** ({rss_end:.1f} − {stored:,} × that = {tasks_mb:.1f} MB of tasks)",
            f"< {MEMORY_TARGET_MB:g} MB",
            rss_end - tasks_mb < MEMORY_TARGET_MB,
        )
    )
    return rows


def _case_rows(case: Case, got: dict[str, Measured]) -> list[Row]:
    """The rows of one case: requests/s of every server, the targeted ratios, latency, CPU, errors."""
    names = list(got)
    m, q, b = got[MOCK].result, got[QUIET].result, got[BARE].result
    rows = [
        Row(
            SECTION,
            f"{case.name}: req/s " + " / ".join(names),
            " / ".join(f"{got[n].result.rps:,.0f}" for n in names),
        )
    ]
    if AIMOCK in got:
        ratio = _ratio(m.rps, got[AIMOCK].result.rps)
        rows.append(
            Row(SECTION, f"{case.name}: mock (default flags) / aimock", f"**{ratio:.2f}×**",
                f"≥ {case.aimock_target:.2f}×", ratio >= (case.aimock_target or 0))
        )  # fmt: skip
        rows += _ceiling_rows(case, got)
    ratio = _ratio(m.rps, q.rps)
    rows.append(
        Row(SECTION, f"{case.name}: mock (default flags) / mock --quiet (the log line's cost)",
            f"**{ratio:.2f}×**", f"≥ {LOGGING_TARGET:.2f}×", ratio >= LOGGING_TARGET)
    )  # fmt: skip
    ratio = _ratio(m.rps, b.rps)
    rows.append(
        Row(SECTION, f"{case.name}: mock (default flags) / bare aiohttp", f"**{ratio:.2f}×**",
            f"≥ {case.bare_target:.2f}×", ratio >= case.bare_target)
    )  # fmt: skip
    others = ", ".join(f"{n} {got[n].result.p50_ms:.2f} / {got[n].result.p99_ms:.2f}" for n in names if n != MOCK)
    rows.append(
        Row(SECTION, f"{case.name}: p50 / p99 mock (default flags); others",
            f"{m.p50_ms:.2f} / **{m.p99_ms:.2f} ms**; {others} ms", f"p99 < {P99_TARGET_MS:g} ms",
            m.p99_ms < P99_TARGET_MS)
    )  # fmt: skip
    rows.append(
        Row(
            SECTION,
            f"{case.name}: server CPU per request " + " / ".join(names),
            " / ".join(f"{got[n].cpu_per_request * 1e6:,.0f}" for n in names) + " µs",
        )
    )
    stolen = [got[n].stolen for n in names]
    if None not in stolen:
        worst = max(s for s in stolen if s is not None)
        rows.append(
            Row(SECTION, f"{case.name}: CPU the hypervisor took from this VM, worst round " + " / ".join(names),
                " / ".join(f"{s:.0%}" for s in stolen if s is not None),
                f"< {STOLEN_LIMIT:.0%} (else the neighbours are measured too)", worst < STOLEN_LIMIT)
        )  # fmt: skip
    bad = sum(got[n].result.non_2xx + got[n].result.socket_errors for n in names)
    rows.append(
        Row(
            SECTION,
            f"{case.name}: non-2xx + socket errors " + " / ".join(names),
            " / ".join(f"{got[n].result.non_2xx}+{got[n].result.socket_errors}" for n in names)
            + f" of {m.requests:,} (mock)",
            "0 (else the figure is void)",
            bad == 0,
        )
    )
    return rows


def _ceiling_rows(case: Case, got: dict[str, Measured]) -> list[Row]:
    """How far aiohttp itself gets against aimock here, and the room the aimock target leaves for the mock's work.

    A server that keeps a core busy answers about 1 / (its CPU per request) requests a second, so the mock
    reaches ``target`` × aimock's rate only if its CPU per request is at most aimock's ÷ ``target``. Less what a
    server that does nothing costs on aiohttp (bare app; ``web.Server`` alone), that is the CPU the target leaves
    for everything the mock does per request (auth, rate, lifecycle, validation, the answer, journal, log line).
    """
    target = case.aimock_target or 1.0
    aimock = got[AIMOCK]
    ceilings = [n for n in (BARE, LOW) if n in got]
    rows = [
        Row(SECTION, f"{case.name}: the ceiling on aiohttp here, " + " / ".join(f"{n} ÷ aimock" for n in ceilings),
            " / ".join(f"{_ratio(got[n].result.rps, aimock.result.rps):.2f}×" for n in ceilings)
            + f" (the mock's target: {target:.2f}×)")
    ]  # fmt: skip
    budget = aimock.cpu_per_request / target
    room = " / ".join(f"{(budget - got[n].cpu_per_request) * 1e6:,.0f}" for n in ceilings)
    spent = " / ".join(f"{(got[MOCK].cpu_per_request - got[n].cpu_per_request) * 1e6:,.0f}" for n in ceilings)
    rows.append(
        Row(SECTION, f"{case.name}: CPU per request the target leaves the mock's work (aimock's ÷ {target:.2f}, "
            "less " + " / ".join(ceilings) + "'s); what the mock's work costs (mock's, less theirs)",
            f"{room} µs; {spent} µs")
    )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per case and server")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before each measurement")
    parser.add_argument("--rounds", type=int, default=1, help="runs per case and server; the median is kept")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default=None, help="run only the cases whose name contains this, e.g. 'GET task'")
    parser.add_argument("--no-aimock", action="store_true", help="leave aimock out (no npm install)")
    args = parser.parse_args()
    print_rows(
        run(
            duration=args.duration,
            warmup=args.warmup,
            generator=args.generator,
            connections=args.connections,
            only=args.only,
            rounds=max(1, args.rounds),
            aimock=not args.no_aimock,
        )
    )


if __name__ == "__main__":
    main()
