"""Memory under big inline images: server RSS after N creates each carrying an M MB ``data:`` image [issue 10].

    python bench/bench_memory.py                    # 60 × 8 MB (target: growth < 150 MB), then 200 × 16 MB
    python bench/bench_memory.py --cases 200x16     # one case

Each case runs its own server (``python -m mock_server``, default options: journal 1000 entries / 4 MiB,
tasks kept in memory), sends the creates one after another on one keep-alive connection, and reads the
server's VmRSS before and after. The image is a valid PNG header (768 × 1024, so ``ratio: adaptive`` has
something to measure) followed by random bytes, base64-encoded as the client's ``first_frame="cat.png"``
sends it. Before issue 10 the journal kept every body whole: 60 × 8 MB took the server from 52 to 548 MB.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import struct
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ARK_TASKS, AUTH, MODEL, NO_QUOTA, Row, markdown, start_mock

SECTION = "memory"
#: (creates, MB per image) per case; the first is the issue's target case.
CASES = ((60, 8), (200, 16))
TARGET_MB = 150.0


def _png_head() -> bytes:
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 768, 1024, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
        + struct.pack(">I", 2**31 - 1) + b"IDAT"
    )  # fmt: skip


def create_body(mb: int) -> bytes:
    """An Ark create body whose first frame is an ``mb`` MiB image as a data: URI."""
    uri = "data:image/png;base64," + base64.b64encode(_png_head() + os.urandom(mb * 2**20)).decode()
    image = {"type": "image_url", "image_url": {"url": uri}, "role": "first_frame"}
    body = {"model": MODEL, "ratio": "adaptive", "content": [{"type": "text", "text": "a cat"}, image]}
    return json.dumps(body).encode()


def run_case(creates: int, mb: int) -> dict[str, float]:
    """RSS idle / after, seconds per create, and the size of the journal's JSON, for one case."""
    body = create_body(mb)
    headers = {**AUTH, "Content-Type": "application/json"}
    with start_mock("--max-queued", str(NO_QUOTA)) as server:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
        conn.request("GET", "/_mock/health")
        conn.getresponse().read()
        idle = server.rss_mb()
        started = time.perf_counter()
        for _ in range(creates):
            conn.request("POST", ARK_TASKS, body, headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"create answered {answer.status}")
        elapsed = time.perf_counter() - started
        after = server.rss_mb()
        conn.request("GET", "/_mock/requests")
        journal = conn.getresponse().read()
        conn.close()
    return {"idle": idle, "after": after, "per_create": elapsed / creates, "journal_json": len(journal)}


def run(cases: tuple[tuple[int, int], ...] = CASES) -> list[Row]:
    """The memory rows."""
    rows = []
    for creates, mb in cases:
        facts = run_case(creates, mb)
        growth = facts["after"] - facts["idle"]
        first = (creates, mb) == CASES[0]
        rows.append(
            Row(
                SECTION,
                f"{creates} creates × {mb} MB data: image: server RSS idle → after (growth)",
                f"{facts['idle']:.1f} → **{facts['after']:.1f} MB** (+{growth:.1f} MB)",
                f"growth < {TARGET_MB:.0f} MB" if first else "",
                growth < TARGET_MB if first else None,
            )
        )
        rows.append(
            Row(
                SECTION,
                f"{creates} × {mb} MB: time per create / GET /_mock/requests JSON size",
                f"{facts['per_create'] * 1000:.0f} ms / {facts['journal_json'] / 1000:.0f} kB",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", default=",".join(f"{n}x{mb}" for n, mb in CASES), help="creates x MB, comma-separated"
    )
    args = parser.parse_args()
    cases = tuple(tuple(int(v) for v in case.split("x")) for case in args.cases.split(","))
    print(markdown(run(cases)))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
