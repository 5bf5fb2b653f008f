"""In-process cost of one request in the app's own code, mock vs bare aiohttp, without sockets [issue 7].

    python bench/bench_handlers.py [--n 300] [--repeat 10]

Routing, middlewares and handler (``Application._handle``) run on a mocked request, the way aiohttp's
test utilities build one; writing the answer to a socket is left out, since that part is the same
aiohttp code for both apps. Each figure is the CPU time (``time.process_time``: what this process ran, not
the wall clock, which counts the neighbours' turns too) of the best of ``--repeat`` batches of ``--n``
calls, so it is steady on a busy machine: use it to see what a change to the mock's request path gains,
where the requests/s of bench_http.py swing with the neighbours. The throughput target translates into a budget:
for mock/bare ≥ 0.75×, the mock's whole request may cost at most 1/0.75 of the bare one, so its extra
in-app time must stay under a third of the bare request's whole CPU time (bench_http.py prints that).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    ARK_BODY,
    ARK_TASKS,
    AUTH,
    NO_QUOTA,
    PRED_BODY,
    PRED_SUBMIT,
    ROOT,
    Row,
    print_rows,
)

sys.path.insert(0, str(ROOT))

SECTION = "in-app cost"


class _Protocol:
    """What a request body's StreamReader calls on its connection: nothing to do in-process. (A
    ``unittest.mock.Mock`` here recorded every call, and that bookkeeping was most of a create's figure.)"""

    _reading_paused = False

    def pause_reading(self, *args: Any, **kwargs: Any) -> None:
        pass

    def resume_reading(self, *args: Any, **kwargs: Any) -> None:
        pass


def _request(app: Any, method: str, path: str, body: bytes | None) -> Any:
    from aiohttp import streams
    from aiohttp.test_utils import make_mocked_request

    headers = {**AUTH, "Host": "127.0.0.1:8000"}
    payload: Any = streams.EMPTY_PAYLOAD
    if body is not None:
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(body))
        payload = streams.StreamReader(_Protocol(), 2**16, loop=asyncio.get_running_loop())
        payload.feed_data(body)
        payload.feed_eof()
    return make_mocked_request(method, path, headers=headers, app=app, payload=payload)


async def _per_call(app: Any, method: str, path: str, body: str | None, n: int, repeat: int) -> float:
    """Best-of-``repeat`` seconds per ``app._handle`` call; a fresh prompt in each create body."""
    head, _, tail = (body or "").partition("__N__")
    best = float("inf")
    seq = 0
    for _ in range(repeat):
        reqs = []
        for _ in range(n):
            seq += 1
            data = None if body is None else f"{head}{seq}{tail}".encode()
            reqs.append(_request(app, method, path, data))
        start = time.process_time()
        for req in reqs:
            resp = await app._handle(req)
            if resp.status != 200:
                raise RuntimeError(f"{method} {path} answered {resp.status}: {resp.text}")
        best = min(best, (time.process_time() - start) / n)
    return best


async def _measure(n: int, repeat: int) -> list[Row]:
    import logging
    import tempfile

    import bare_app

    from mock_server import logline
    from mock_server.app import create_app
    from mock_server.config import MockConfig
    from mock_server.state import STATE

    # The default flags log a line per request: through the CLI's handler, into a file (as stderr redirected).
    sink = tempfile.TemporaryFile("w")  # noqa: SIM115 (closed below)
    handler = logline.install(logging.INFO, sink)
    handler.attach(asyncio.get_running_loop())
    apps = {
        "mock": create_app(MockConfig(time_scale=0, max_queued_per_key=NO_QUOTA)),
        "mock --quiet": create_app(MockConfig(time_scale=0, log_requests=False, max_queued_per_key=NO_QUOTA)),
        "bare": bare_app.create_app(),
    }
    ids: dict[str, tuple[str, str]] = {}
    for name, app in apps.items():
        app.freeze()
        if name == "bare":
            continue
        # One succeeded task of each family, as bench_http.py reads.
        ark = await app._handle(_request(app, "POST", ARK_TASKS, json.dumps(ARK_BODY).encode()))
        pred = await app._handle(_request(app, "POST", PRED_SUBMIT, json.dumps(PRED_BODY).encode()))
        ids[name] = (json.loads(ark.text)["id"], json.loads(pred.text)["data"]["id"])
        app[STATE].clock.advance(60)
        app[STATE].settle()
    ids["bare"] = ids["mock"]
    cases = [
        ("GET task (A)", "GET", "{ARK_TASKS}/{ark}", None),
        ("GET prediction result (B)", "GET", "/api/v3/predictions/{pred}/result", None),
        ("POST create (A), validated", "POST", "{ARK_TASKS}", json.dumps(ARK_BODY)),
        ("POST create (B), validated", "POST", "{PRED_SUBMIT}", json.dumps(PRED_BODY)),
    ]
    rows = []
    try:
        for case, method, path, body in cases:
            cost = {}
            for name, app in apps.items():
                ark_id, pred_id = ids[name]
                where = path.format(ARK_TASKS=ARK_TASKS, PRED_SUBMIT=PRED_SUBMIT, ark=ark_id, pred=pred_id)
                cost[name] = await _per_call(app, method, where, body, n, repeat)
            m, q, b = cost["mock"], cost["mock --quiet"], cost["bare"]
            rows.append(
                Row(
                    SECTION,
                    f"{case}: CPU µs per request in app code, mock (default flags) / mock --quiet / bare",
                    f"{m * 1e6:,.1f} / {q * 1e6:,.1f} / {b * 1e6:,.1f} µs (the log line {(m - q) * 1e6:,.1f} µs,"
                    f" the mock's own work {(q - b) * 1e6:,.1f} µs)",
                )
            )
    finally:
        handler.detach()
        logging.getLogger().removeHandler(handler)
        sink.close()
    return rows


def run(*, n: int = 300, repeat: int = 10) -> list[Row]:
    """Rows for the table."""
    return asyncio.run(_measure(n, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="calls per batch")
    parser.add_argument("--repeat", type=int, default=10, help="batches; the best is reported")
    args = parser.parse_args()
    print_rows(run(n=args.n, repeat=args.repeat))


if __name__ == "__main__":
    main()
