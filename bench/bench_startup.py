"""Start-up: from launching ``seedance-mock`` to the first successful ``GET /_mock/health`` [issue 7].

    python bench/bench_startup.py [--runs 5] [--importtime]

Each run launches the console script installed next to this interpreter (what a venv user types; a pyenv
shim on PATH would add its own ~50–100 ms, which is not the mock's), falling back to
``python -m mock_server``, with ``--port 0 --quiet``; reads the port from the banner's first line and
polls /_mock/health every 2 ms until it answers 200. Prints best and median of the runs, and for context
the bare interpreter start (``python -c pass``) and the import of ``mock_server.app`` alone.
``--importtime`` also prints the slowest imports (``python -X importtime``), the first place to look
when the target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, Row, Server, mock_command, print_rows

SECTION = "start-up"
TARGET_S = 0.8


def launcher() -> tuple[list[str], str]:
    """The command that starts the mock and how to name it."""
    beside = Path(sys.executable).parent / "seedance-mock"
    if beside.exists():
        return [str(beside)], "seedance-mock (console script)"
    found = shutil.which("seedance-mock")
    if found:
        return [found], f"seedance-mock ({found})"
    return mock_command(), "python -m mock_server"


def time_to_health(cmd: list[str]) -> float:
    """Seconds from Popen to the first 200 from /_mock/health."""
    start = time.perf_counter()
    server = Server([*cmd, "--port", "0", "--quiet"], name="mock")
    server.started = start
    try:
        while True:
            try:
                conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
                conn.request("GET", "/_mock/health")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - start
            except OSError:
                pass
            finally:
                conn.close()
            if time.perf_counter() - start > 30:
                raise RuntimeError("no healthy answer within 30 s")
            time.sleep(0.002)
    finally:
        server.stop()


def _best_median(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def slowest_imports(module: str = "mock_server.app", top: int = 12) -> str:
    """The ``top`` imports with the largest cumulative time, from ``python -X importtime``."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        # "import time:  self [us] | cumulative | imported package"
        self_us, cum_us, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cum_us), int(self_us), name.rstrip()))
    rows.sort(reverse=True)
    lines = [f"{'cumulative':>12} {'self':>9}  module"]
    lines += [f"{c / 1000:>10.1f}ms {s / 1000:>7.1f}ms  {n}" for c, s, n in rows[:top]]
    return "\n".join(lines)


def run(*, runs: int = 5) -> list[Row]:
    """Rows for the table."""
    cmd, name = launcher()
    times = [time_to_health(cmd) for _ in range(runs)]
    best, median = min(times), statistics.median(times)
    py_best, _ = _best_median([sys.executable, "-c", "pass"], runs)
    imp_best, imp_median = _best_median([sys.executable, "-c", "import mock_server.app"], runs)
    return [
        Row(
            SECTION,
            f"{name} → first 200 from /_mock/health, best / median of {runs}",
            f"{best:.3f} s / **{median:.3f} s**",
            f"< {TARGET_S:g} s",
            median < TARGET_S,
        ),
        Row(SECTION, "of which: bare interpreter start (python -c pass), best", f"{py_best:.3f} s"),
        Row(
            SECTION,
            "of which: python -c 'import mock_server.app', best / median",
            f"{imp_best:.3f} s / {imp_median:.3f} s",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--importtime", action="store_true", help="also print the slowest imports")
    args = parser.parse_args()
    print_rows(run(runs=args.runs))
    if args.importtime:
        print()
        print(slowest_imports())


if __name__ == "__main__":
    main()
