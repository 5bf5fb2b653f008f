"""Wall time of the full offline test suite, ``python -m pytest -q -p no:cacheprovider`` [issue 7].

    python bench/bench_suite.py [--timeout 1800]

Runs once from the repository root (no ``--live``: nothing leaves the machine) and prints the wall time
with pytest's own closing line, so a run cut short by failures is not mistaken for a fast suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, Row, print_rows

SECTION = "suite"


def run(*, timeout: float = 1800.0) -> list[Row]:
    """Rows for the table."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [Row(SECTION, "full offline suite wall time", f"> {timeout:.0f} s (timed out)")]
    wall = time.perf_counter() - start
    lines = [line.strip("= ") for line in out.stdout.splitlines() if line.strip()]
    closing = lines[-1] if lines else f"no output (exit {out.returncode})"
    return [
        Row(SECTION, "full offline suite wall time (pytest -q)", f"**{wall:.1f} s**"),
        Row(SECTION, "pytest's closing line (exit code)", f"{closing} (exit {out.returncode})"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    print_rows(run(timeout=args.timeout))


if __name__ == "__main__":
    main()
