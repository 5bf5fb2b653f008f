"""The load generator: ``wrk`` when it is installed, else an asyncio/aiohttp generator in its own process.

    python bench/loadgen.py URL [--method POST --body JSON] [--connections 32 --duration 8 --warmup 2]

Both keep a fixed number of keep-alive connections busy (closed loop: each connection sends its next
request when the previous answer arrived) and report the same figures: requests, seconds, requests/s,
p50/p99 latency, non-2xx answers and socket errors. ``wrk`` (Debian: ``apt-get install wrk``) is a C
program whose one thread drives 32 connections with little CPU, so the server, not the generator, is the
bottleneck; the Python generator needs about as much CPU per request as the server it measures, so on a
2-core machine it under-reports fast servers and compresses the mock/bare ratio. The table says which
one produced the numbers.

A body may hold the token ``__N__``: each request replaces it with its own sequence number, so no two
creates are the same body and a server that memoised answers by body would gain nothing here that real
clients would not give it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import AUTH, percentile  # noqa: E402


@dataclass
class LoadResult:
    """What one measured run produced."""

    generator: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


#: Replaced in a request body by the request's sequence number.
SEQ_TOKEN = "__N__"


def wrk_path() -> str | None:
    """The ``wrk`` binary, or None."""
    return shutil.which("wrk")


def generator_name(choice: str) -> str:
    """Which generator ``choice`` (auto | wrk | python) resolves to on this machine."""
    if choice == "python" or (choice == "auto" and wrk_path() is None):
        return "python"
    if wrk_path() is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk), use --generator python")
    return "wrk"


def _lua_string(s: str) -> str:
    # A long bracket string needs no escaping; the spaces keep ``t[ [==[k]==] ]`` from reading as ``[[``.
    return " [==[" + s + "]==] "


# wrk counts answers with a status above 399 in summary.errors.status; 1xx/3xx cannot occur on these paths.
_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50.0), latency:percentile(99.0)))
end
"""


def _wrk(url: str, method: str, body: str | None, connections: int, seconds: float, threads: int) -> LoadResult:
    lines = [f"wrk.method = {_lua_string(method)}"]
    for k, v in AUTH.items():
        lines.append(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}")
    if body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        head, token, tail = body.partition(SEQ_TOKEN)
        if token:
            lines.append(f"local head, tail, n = {_lua_string(head)}, {_lua_string(tail)}, 0")
            lines.append("request = function() n = n + 1; return wrk.format(nil, nil, nil, head .. n .. tail) end")
        else:
            lines.append(f"wrk.body = {_lua_string(body)}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(lines) + _WRK_DONE)
        script = f.name
    try:
        cmd = [
            wrk_path() or "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            script,
            url,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(script).unlink(missing_ok=True)
    for line in out.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            d = json.loads(line.removeprefix("BENCHJSON "))
            return LoadResult(
                generator="wrk",
                requests=d["requests"],
                seconds=d["duration_us"] / 1e6,
                p50_ms=d["p50_us"] / 1000,
                p99_ms=d["p99_us"] / 1000,
                non_2xx=d["non_2xx"],
                socket_errors=d["socket_errors"],
            )
    raise RuntimeError(f"wrk printed no result: {out.stdout[-2000:]} {out.stderr[-2000:]}")


def _python(url: str, method: str, body: str | None, connections: int, seconds: float, warmup: float) -> LoadResult:
    cmd = [
        sys.executable,
        str(HERE / "loadgen.py"),
        url,
        "--method",
        method,
        "--connections",
        str(connections),
        "--duration",
        str(seconds),
        "--warmup",
        str(warmup),
    ]
    if body is not None:
        cmd += ["--body", body]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + warmup + 60)
    for line in out.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            return LoadResult(**json.loads(line.removeprefix("BENCHJSON ")))
    raise RuntimeError(f"python load generator failed: {out.stderr[-2000:]}")


def run_load(
    url: str,
    *,
    method: str = "GET",
    body: str | None = None,
    connections: int = 32,
    seconds: float = 8.0,
    warmup: float = 2.0,
    generator: str = "auto",
    threads: int = 1,
) -> LoadResult:
    """Warm up for ``warmup`` s (discarded), then measure ``seconds`` s at ``connections`` connections."""
    if generator_name(generator) == "wrk":
        if warmup > 0:
            _wrk(url, method, body, connections, warmup, threads)
        return _wrk(url, method, body, connections, seconds, threads)
    return _python(url, method, body, connections, seconds, warmup)


# -- the Python generator (runs in its own process) --------------------------------------------------------
async def _drive(url: str, method: str, body: str | None, connections: int, seconds: float, warmup: float) -> None:
    import aiohttp

    headers = dict(AUTH)
    head = tail = b""
    varies = False
    if body is not None:
        head_s, token, tail_s = body.partition(SEQ_TOKEN)
        head, tail, varies = head_s.encode(), tail_s.encode(), bool(token)
        headers["Content-Type"] = "application/json"
    seq = 0
    latencies: list[float] = []
    non_2xx = 0
    socket_errors = 0
    measuring = False

    async def worker(session: aiohttp.ClientSession, until: float) -> None:
        nonlocal non_2xx, socket_errors, seq
        while time.perf_counter() < until:
            seq += 1
            data = None if body is None else (head + str(seq).encode() + tail if varies else head)
            start = time.perf_counter()
            try:
                async with session.request(method, url, data=data, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (TimeoutError, aiohttp.ClientError):
                if measuring:
                    socket_errors += 1
                continue
            if measuring:
                latencies.append(time.perf_counter() - start)
                if not 200 <= status < 300:
                    non_2xx += 1

    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if warmup > 0:
            until = time.perf_counter() + warmup
            await asyncio.gather(*(worker(session, until) for _ in range(connections)))
        measuring = True
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(worker(session, until) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    result = LoadResult(
        generator="python (aiohttp client)",
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        non_2xx=non_2xx,
        socket_errors=socket_errors,
    )
    print("BENCHJSON " + json.dumps(asdict(result)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default=None, help="request body (JSON text) for POST")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(_drive(args.url, args.method, args.body, args.connections, args.duration, args.warmup))


if __name__ == "__main__":
    main()
