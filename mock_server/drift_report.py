"""``seedance-mock drift-report``: the drift a running validation proxy found, as a table [issue 14].

Reads ``GET /_mock/drift`` from the proxy (default http://127.0.0.1:8000). Exit status: 0 no drift,
1 drift found, 2 the proxy could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import httpx

COLUMNS = (
    ("time", 24),
    ("method", 6),
    ("endpoint", 44),
    ("contract", 34),
    ("expected", 40),
    ("got", 30),
    ("request_id", 34),
)


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(report: dict[str, Any]) -> list[str]:
    """The report as text lines: a summary, then one row per finding (contract and field in one column)."""
    items = report.get("drift") or []
    checked, unreachable = report.get("checked", 0), report.get("unreachable", 0)
    lines = [f"{len(items)} finding(s) in {checked} checked exchange(s); {unreachable} unreachable"]
    if not items:
        return lines
    lines.append("  ".join(name.ljust(width) for name, width in COLUMNS).rstrip())
    lines.append("  ".join("-" * width for _, width in COLUMNS))
    for item in items:
        row = dict(item)
        row["contract"] = f"{item.get('contract', '')}: {item.get('path') or '(body)'}"
        lines.append("  ".join(_cell(row.get(name), width).ljust(width) for name, width in COLUMNS).rstrip())
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``seedance-mock drift-report``."""
    p = argparse.ArgumentParser(
        prog="seedance-mock drift-report",
        description="Print the drift a running seedance-mock --upstream proxy found (GET /_mock/drift).",
    )
    p.add_argument("--url", default="http://127.0.0.1:8000", help="origin of the running proxy")
    p.add_argument("--admin-token", default=None, help="the proxy's --admin-token, if it has one")
    p.add_argument("--json", action="store_true", help="print the raw JSON instead of a table")
    args = p.parse_args(argv)
    headers = {"X-Admin-Token": args.admin_token} if args.admin_token else {}
    try:
        answer = httpx.get(args.url.rstrip("/") + "/_mock/drift", headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        print(f"seedance-mock drift-report: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    if answer.status_code != 200:
        print(
            f"seedance-mock drift-report: {args.url}/_mock/drift answered {answer.status_code}: {answer.text[:300]}",
            file=sys.stderr,
        )
        return 2
    try:
        report = answer.json()
    except ValueError:
        print(f"seedance-mock drift-report: {args.url}/_mock/drift did not answer JSON", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print("\n".join(table(report)))
    return 1 if report.get("drift") else 0
