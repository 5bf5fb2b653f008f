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
import shutil
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
NO_QUOTA = 1_000_000  # the highest --max-queued takes


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
        f"event loop {loop_name()}, {platform.system()} {platform.release()}; load average at start {load}"
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
    """A server subprocess that prints its URL on stdout (``… listening on http://HOST:PORT``), on its first
    line or one of the next few (aimock prints what it loaded first)."""

    def __init__(self, cmd: list[str], *, name: str, start_timeout: float = 30.0, cwd: Path = ROOT) -> None:
        self.name = name
        self.cmd = cmd
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server; closed in stop)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL
        )
        line = self._url_line(start_timeout)
        if "listening on http://" not in line:
            err = self.stderr()
            self.stop()
            raise RuntimeError(f"{name} did not start ({cmd}): {line!r}\n{err}")
        self.url = line.rsplit("listening on ", 1)[1].strip()
        self.host, port = self.url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)

    def _url_line(self, timeout: float, lines: int = 10) -> str:
        """The first stdout line naming the URL (of the first ``lines``), else the first line."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while True:
            done = buf.split(b"\n")[:-1]
            for line in done:
                if b"listening on http://" in line:
                    return line.decode("utf-8", "replace")
            if len(done) >= lines:
                break
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


def start_mock(*extra: str, quiet: bool = True, name: str = "mock") -> Server:
    """The real mock: ``python -m mock_server --port 0 --quiet --time-scale 0`` plus ``extra``; with
    ``quiet=False`` its default per-request log line is on (written to a temporary file, as a terminal or a
    redirected stderr would take it)."""
    args = ["--port", "0", *(["--quiet"] if quiet else []), "--time-scale", "0", *extra]
    return Server(mock_command(*args), name=name)


def start_bare(*, low_level: bool = False) -> Server:
    """The ceiling: bench/bare_app.py, a bare aiohttp app with fixed answers on the same paths; with
    ``low_level`` the same answers from aiohttp's ``web.Server`` alone (no application, no router)."""
    extra = ["--low-level"] if low_level else []
    name = "aiohttp web.Server" if low_level else "bare aiohttp"
    return Server([sys.executable, str(BENCH / "bare_app.py"), "--port", "0", *extra], name=name)


#: aimock, the other mock that serves Seedance (Node; CopilotKit): the version the issue measured [issue 17].
AIMOCK_PACKAGE = "@copilotkit/aimock"
AIMOCK_VERSION = "1.43.0"
#: Where npm installs it: a folder under the bench's working dir, ignored by git.
AIMOCK_DIR = BENCH / ".aimock"
#: aimock answers a Seedance create only from a fixture: ``match.endpoint: "video"`` and the model, and the
#: task envelope to serve, here a succeeded one (its default progression is terminal at the first poll).
AIMOCK_FIXTURE = {
    "fixtures": [
        {
            "match": {"endpoint": "video", "model": MODEL},
            "response": {
                "json": {
                    "id": "cgt-bench",
                    "model": MODEL,
                    "status": "succeeded",
                    "content": {"video_url": "http://127.0.0.1:1/bench.mp4"},
                    "usage": {"completion_tokens": 108900, "total_tokens": 108900},
                    "created_at": 1764633600,
                    "updated_at": 1764633604,
                }
            },
        }
    ]
}


def aimock_cli(version: str = AIMOCK_VERSION) -> tuple[Path | None, str]:
    """``(path of aimock's CLI script, how it got there)``, installing ``version`` with npm into
    :data:`AIMOCK_DIR` on first use; ``(None, why not)`` when node or npm is missing or the install fails."""
    cli = AIMOCK_DIR / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
    package = AIMOCK_DIR / "node_modules" / "@copilotkit" / "aimock" / "package.json"
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        return None, "node is not installed"
    installed = json.loads(package.read_text()).get("version") if package.is_file() else None
    if installed != version:
        if npm is None:
            return None, "npm is not installed"
        AIMOCK_DIR.mkdir(exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(AIMOCK_DIR), "--no-audit", "--no-fund", "--no-save",
             f"{AIMOCK_PACKAGE}@{version}"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0 or not cli.is_file():
            return None, f"npm install {AIMOCK_PACKAGE}@{version} failed: {(done.stderr or done.stdout)[-300:]}"
    return cli, f"{AIMOCK_PACKAGE} {version} (node {_node_version(node)})"


def _node_version(node: str) -> str:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip().lstrip("v") or "?"


def start_aimock(cli: Path) -> Server:
    """aimock with its default flags on a free port, serving :data:`AIMOCK_FIXTURE`."""
    fixture = AIMOCK_DIR / "seedance-fixture.json"
    fixture.write_text(json.dumps(AIMOCK_FIXTURE))
    node = shutil.which("node") or "node"
    return Server([node, str(cli), "--port", "0", "--fixtures", str(fixture)], name="aimock", cwd=AIMOCK_DIR)


def loop_name() -> str:
    """The event loop the mock and the bare app run on here (``uvloop`` or ``asyncio``)."""
    sys.path.insert(0, str(ROOT))
    from mock_server.eventloop import loop_name as name

    return name()


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


def stolen_seconds() -> float | None:
    """CPU time the hypervisor has given to other guests while this machine's cores wanted to run, summed
    over the cores (the ``steal`` column of /proc/stat), in seconds; None where there is no such column.

    On a shared VM the neighbours take turns unannounced: a run during which they took a sizeable share
    measured them as much as the servers, so the tables print it beside the figures.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if fields[:1] != ["cpu"] or len(fields) < 9:
        return None
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def stolen_share(since: float | None, wall: float) -> float | None:
    """The share of the machine's CPU time (``wall`` seconds × its cores) the hypervisor took since
    ``since`` (a :func:`stolen_seconds` reading), or None where it cannot say."""
    now = stolen_seconds()
    if since is None or now is None or wall <= 0:
        return None
    return (now - since) / (wall * (os.cpu_count() or 1))


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
