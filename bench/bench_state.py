"""Create and GET throughput with ``--state FILE`` next to the in-memory mock, in one run [issue 15].

    python bench/bench_state.py [--duration 3] [--warmup 1] [--connections 32] [--generator auto|wrk|python]

Starts two mocks (``--time-scale 0 --quiet``), one in memory and one with a fresh state file in a temporary
directory, and drives both with the same load (bench/loadgen.py) case by case, in-memory first. Reads are
served from memory either way, so GET should not move; a create is answered only once it is committed to the
file (commits are grouped across concurrent requests). Also prints each server's CPU time per request
(steadier than requests/s when neighbours share the machine) and the state file's size after the run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ARK_BODY, ARK_TASKS, PRED_BODY, PRED_SUBMIT, Http, Row, print_rows, start_mock
from loadgen import generator_name, run_load

SECTION = "state file"
#: (case, method, path, body, target ratio state / memory)
CASES = [
    ("GET task (A)", "GET", ARK_TASKS + "/{ark}", None, 0.90),
    ("POST create (A)", "POST", ARK_TASKS, ARK_BODY, 0.60),
    ("POST create (B)", "POST", PRED_SUBMIT, PRED_BODY, 0.60),
]


def _seed(http: Http) -> dict[str, str]:
    status, ark = http.call("POST", ARK_TASKS, ARK_BODY)
    assert status == 200, (status, ark)
    status, _ = http.call("POST", "/_mock/clock/advance", {"seconds": 60})
    assert status == 200
    return {"ark": ark["id"]}


def run(*, duration: float = 3.0, warmup: float = 1.0, connections: int = 32, generator: str = "auto") -> list[Row]:
    """Each case against the in-memory mock, then against the mock with a state file."""
    gen = generator_name(generator)
    load_text = f"{gen}, {connections} connections, {warmup:g} s warm-up + {duration:g} s per case"
    rows = [Row(SECTION, "load generator", load_text)]
    with tempfile.TemporaryDirectory() as tmp:
        state_file = Path(tmp) / "state.db"
        common = ("--max-queued", "1000000", "--cache-dir", str(Path(tmp) / "media"))
        with start_mock(*common) as memory, start_mock(*common, "--state", str(state_file)) as durable:
            ids = {}
            for server in (memory, durable):
                with Http(server.host, server.port) as http:
                    ids[server.name + str(server.port)] = _seed(http)
            for name, method, path, body, target in CASES:
                results, cpu = {}, {}
                for label, server in (("memory", memory), ("state", durable)):
                    url = server.url + path.format(**ids[server.name + str(server.port)])
                    load = dict(method=method, body=None if body is None else json.dumps(body),
                                connections=connections, generator=gen)  # fmt: skip
                    if warmup > 0:
                        run_load(url, seconds=warmup, warmup=0, **load)
                    before = server.cpu_seconds()
                    results[label] = run_load(url, seconds=duration, warmup=0, **load)
                    cpu[label] = (server.cpu_seconds() - before) / max(1, results[label].requests)
                m, s = results["memory"], results["state"]
                ratio = s.rps / m.rps if m.rps else 0.0
                rows.append(
                    Row(SECTION, f"{name}: req/s --state / in memory",
                        f"{s.rps:,.0f} / {m.rps:,.0f} = **{ratio:.2f}×**", f"≥ {target:.2f}×", ratio >= target)
                )  # fmt: skip
                rows.append(
                    Row(SECTION, f"{name}: p50 / p99 --state (in memory)",
                        f"{s.p50_ms:.2f} / {s.p99_ms:.2f} ms ({m.p50_ms:.2f} / {m.p99_ms:.2f} ms)")
                )  # fmt: skip
                rows.append(
                    Row(SECTION, f"{name}: server CPU per request --state / in memory",
                        f"{cpu['state'] * 1e6:,.0f} / {cpu['memory'] * 1e6:,.0f} µs")
                )  # fmt: skip
                bad = s.non_2xx + s.socket_errors + m.non_2xx + m.socket_errors
                rows.append(Row(SECTION, f"{name}: non-2xx + socket errors", str(bad), "0 (else void)", bad == 0))
            with Http(durable.host, durable.port) as http:
                _, health = http.call("GET", "/_mock/health")
        rows.append(
            Row(SECTION, "state file after the run",
                f"{health['state']['tasks']:,} tasks, {health['state']['bytes'] / 1e6:.1f} MB (with its WAL)")
        )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0, help="measured seconds per case and server")
    parser.add_argument("--warmup", type=float, default=1.0, help="discarded seconds before each measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    print_rows(run(duration=args.duration, warmup=args.warmup, connections=args.connections, generator=args.generator))


if __name__ == "__main__":
    main()
