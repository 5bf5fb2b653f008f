"""What every benchmark shares: starting servers as subprocesses, reading RSS, small HTTP calls, the table.

Nothing here measures anything by itself. Servers always run in their own process, so a benchmark's own
Python never competes with the server's event loop for the GIL.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
KEY = "sk-bench-0001"
AUTH = {"Authorization": f"Bearer {KEY}"}
MODEL = "dreamina-seedance-2-0-260128"
ARK_TASKS = "/api/v3/contents/generations/tasks"
#: ``__N__`` becomes each request's sequence number under load (bench/loadgen.py), a literal elsewhere.
ARK_BODY = {"model": MODEL, "content": [{"type": "text", "text": "a red fox running through snow, take __N__"}]}
PRED_SUBMIT = f"/api/v3/bytedance/{MODEL}/text-to-video"
PRED_BODY = {"prompt": "a red fox running through snow, take __N__"}
#: Queued tasks per key before the mock answers 429 QuotaExceeded: high, so creates are measured, not 429s.
NO_QUOTA = 100_000_000


# -- the table ---------------------------------------------------------------------------------------------
@dataclass
class Row:
    """One figure: where it belongs, what it is, its value and, when the issue sets one, its target."""

    section: str
    name: str
    value: str
    target: str = ""
    ok: bool | None = None  # None: no target (a figure for context)


def mark(ok: bool | None) -> str:
    """pass / miss / nothing, as the table shows it."""
    return "" if ok is None else ("pass" if ok else "**MISS**")


def markdown(rows: list[Row]) -> str:
    """The rows as one markdown table."""
    lines = ["| section | figure | value | target | |", "|---|---|---|---|---|"]
    for r in rows:
        value = r.value.replace("|", "\\|")
        lines.append(f"| {r.section} | {r.name} | {value} | {r.target} | {mark(r.ok)} |")
    return "\n".join(lines)


def machine() -> str:
    """Cores, CPU model, Python and aiohttp versions, on one line."""
    import aiohttp

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
        f"{platform.system()} {platform.release()}; load average at start {load}"
    )


def ms(seconds: float) -> str:
    """Seconds as a short millisecond figure."""
    return f"{seconds * 1000:.2f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of already sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


# -- processes ---------------------------------------------------------------------------------------------
def mock_command(*args: str) -> list[str]:
    """``python -m mock_server`` with this interpreter (the code in this checkout)."""
    return [sys.executable, "-m", "mock_server", *args]


class Server:
    """A server subprocess whose first stdout line ends with its URL (``… listening on http://HOST:PORT``)."""

    def __init__(self, cmd: list[str], *, name: str, start_timeout: float = 30.0) -> None:
        self.name = name
        self.cmd = cmd
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server; closed in stop)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL
        )
        line = self._first_line(start_timeout)
        if "listening on http://" not in line:
            self.stop()
            raise RuntimeError(f"{name} did not start ({cmd}): {line!r}\n{self.stderr()}")
        self.url = line.rsplit("listening on ", 1)[1].strip()
        self.host, port = self.url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)

    def _first_line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not select.select([fd], [], [], 0)[0]):
                break
            if select.select([fd], [], [], min(left, 0.05))[0]:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
        return buf.split(b"\n", 1)[0].decode("utf-8", "replace")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far."""
        return cpu_seconds(self.pid)

    def rss_mb(self) -> float:
        """Resident set size of the server process (VmRSS), in MB (10^6 bytes)."""
        return rss_mb(self.pid)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        """SIGINT, then SIGKILL if it does not exit within 5 s (only this process: we started it)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_mock(*extra: str) -> Server:
    """The real mock: ``python -m mock_server --port 0 --quiet --time-scale 0`` plus ``extra``."""
    return Server(mock_command("--port", "0", "--quiet", "--time-scale", "0", *extra), name="mock")


def start_bare() -> Server:
    """The ceiling: bench/bare_app.py, a bare aiohttp app with fixed answers on the same paths."""
    return Server([sys.executable, str(BENCH / "bare_app.py"), "--port", "0"], name="bare aiohttp")


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far (/proc/PID/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- small HTTP calls (stdlib, keep-alive) -----------------------------------------------------------------
class Http:
    """One keep-alive connection for sequential calls and sequential latency samples."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """Status and parsed JSON body."""
        data = None if body is None else json.dumps(body).encode()
        hdrs = dict(AUTH)
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode("utf-8", "replace")

    def timed_get(self, path: str) -> tuple[float, int]:
        """Seconds for one GET (send → whole body read) and its status."""
        start = time.perf_counter()
        self.conn.request("GET", path, headers=AUTH)
        resp = self.conn.getresponse()
        resp.read()
        return time.perf_counter() - start, resp.status

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def print_rows(rows: list[Row]) -> None:
    """What a benchmark run on its own prints."""
    print(markdown(rows))
