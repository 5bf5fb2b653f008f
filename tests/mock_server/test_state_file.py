"""``--state FILE`` [issue 15]: what the mock acknowledged outlives a restart and a kill -9.

The in-process tests restart a :class:`MockServer` on the same file; the kill -9 test runs the real
``seedance-mock`` in a subprocess and kills it in the middle of a burst of concurrent creates.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from mock_server import durable
from mock_server.__main__ import main
from mock_server.durable import Durable, StateFileError
from mock_server.journal import Journal
from mock_server.testing import MockServer
from tests.support import http, text_body

TASKS = "/api/v3/contents/generations/tasks"
KEY = "sk-state-test-0001"
AUTH = {"Authorization": f"Bearer {KEY}"}
#: A model and size that render quickly (the video behind a URL is really encoded).
SMALL = {"model": "seedance-1-0-lite-t2v-250428", "resolution": "480p", "frames": 29}
PREDICTION = "/api/v3/bytedance/seedance-1-0-lite-t2v-250428/text-to-video"


def ark_body(prompt: str = "a cat") -> dict[str, Any]:
    return text_body(SMALL["model"], prompt, resolution="480p", frames=29)


def server(path: Path, media: Path, **overrides: Any) -> MockServer:
    """A frozen-clock mock on ``path``; ``public_url`` fixed, so its answers do not depend on the port."""
    settings: dict[str, Any] = {"time_scale": 0, "public_url": "http://mock.test", "cache_dir": media}
    return MockServer(state=path, **{**settings, **overrides})


def api(mock: MockServer, method: str, path: str, body: Any = None) -> httpx.Response:
    return http.request(method, mock.base_url + path, json=body, headers=AUTH, timeout=30)


def local(url: str, mock: MockServer) -> str:
    """A URL handed out under ``--public-url http://mock.test``, as reached on this server."""
    return url.replace("http://mock.test", mock.base_url)


def file_bytes(path: Path) -> bytes:
    """The state file and its write-ahead log, as they are on disk."""
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# -- restarts --------------------------------------------------------------------------------------------------
def test_a_restart_keeps_tasks_keys_faults_clock_secret_and_the_journal(tmp_path: Path, media_dir: Path) -> None:
    path = tmp_path / "state.db"
    with server(path, media_dir) as a:
        assert a.control("PUT", f"/_mock/keys/{KEY}", {"balance": 10**13, "rpm": 600})["rpm"] == 600
        done_id = api(a, "POST", TASKS, ark_body("a lighthouse at dusk")).json()["id"]
        pred_id = api(a, "POST", PREDICTION, {"prompt": "a fox", "resolution": "480p"}).json()["data"]["id"]
        a.advance(30)
        queued_id = api(a, "POST", TASKS, ark_body("a queued one")).json()["id"]
        cancelled_id = api(a, "POST", TASKS, ark_body("cancel me")).json()["id"]
        assert api(a, "DELETE", f"{TASKS}/{cancelled_id}").status_code == 200
        rule = a.control("POST", "/_mock/faults", {"path": "/api/v3/nowhere", "status": 503, "times": 3})
        done = api(a, "GET", f"{TASKS}/{done_id}").json()
        pred = api(a, "GET", f"/api/v3/predictions/{pred_id}/result").json()
        secret = api(a, "GET", "/api/v3/webhook/secret").json()["data"]["secret"]
        key = a.control("GET", f"/_mock/keys/{KEY}")
        before = a.control("GET", "/_mock/clock")
        journal = a.journal()
        listed = api(a, "GET", f"{TASKS}?page_size=50").json()
    assert done["status"] == "succeeded" and pred["data"]["status"] == "completed" and key["spent"] > 0

    with server(path, media_dir) as b:
        assert api(b, "GET", f"{TASKS}/{done_id}").json() == done  # identical, signed URL and all
        video = http.get(local(done["content"]["video_url"], b), timeout=60)
        assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
        assert api(b, "GET", f"/api/v3/predictions/{pred_id}/result").json() == pred
        assert api(b, "GET", "/api/v3/webhook/secret").json()["data"]["secret"] == secret
        assert b.control("GET", f"/_mock/keys/{KEY}") == key  # balance, rpm, spent
        clock = b.control("GET", "/_mock/clock")
        assert clock["now"] >= before["now"] and clock["time_scale"] == 0
        assert b.control("GET", "/_mock/faults")["items"] == [rule]
        assert b.journal()[: len(journal)] == journal
        # The list reads the same (the two GETs above only added journal entries).
        assert api(b, "GET", f"{TASKS}?page_size=50").json() == listed
        assert api(b, "GET", f"{TASKS}/{cancelled_id}").json()["status"] == "cancelled"
        # The lifecycle goes on: the task queued before the restart runs and succeeds.
        assert api(b, "GET", f"{TASKS}/{queued_id}").json()["status"] == "queued"
        b.advance(30)
        assert api(b, "GET", f"{TASKS}/{queued_id}").json()["status"] == "succeeded"
        # The fault rule kept its remaining uses and goes on counting them down.
        assert api(b, "GET", "/api/v3/nowhere").status_code == 503
        assert b.control("GET", "/_mock/faults")["items"][0]["times"] == 2
        health = b.control("GET", "/_mock/health")["state"]
        assert health["path"] == str(path) and health["tasks"] == 4 and health["fault_rules"] == 1
        assert health["accounts"] == 1 and health["journal"] == len(b.journal()) and health["error"] is None


def test_without_state_health_says_so_and_no_file_is_written(tmp_path: Path, media_dir: Path) -> None:
    with MockServer(time_scale=0, cache_dir=media_dir) as mock:
        assert api(mock, "POST", TASKS, ark_body()).status_code == 200
        assert mock.control("GET", "/_mock/health")["state"] is None
    assert list(tmp_path.iterdir()) == []


def test_a_running_clock_never_runs_back_across_a_restart(tmp_path: Path, media_dir: Path) -> None:
    path = tmp_path / "state.db"
    with server(path, media_dir, time_scale=1000) as a:
        a.advance(5)
        seen = a.control("GET", "/_mock/clock")["now"]
    with server(path, media_dir, time_scale=0) as b:  # the file's clock wins: it resumes at its own rate
        clock = b.control("GET", "/_mock/clock")
        assert clock["now"] >= seen and clock["time_scale"] == 1000 and clock["advanced"] == 5


def test_a_pending_callback_is_sent_again_after_a_restart(tmp_path: Path, media_dir: Path) -> None:
    path = tmp_path / "state.db"
    dead = "http://127.0.0.1:9/hook"  # nothing listens: every attempt fails, and a retry stays pending
    with server(path, media_dir, callback_events=("succeeded",)) as a:
        task_id = api(a, "POST", TASKS, {**ark_body(), "callback_url": dead}).json()["id"]
        a.advance(4)  # succeeded just now: the first attempt fails at once, the retry is due 5 s later
        deadline = time.monotonic() + 10
        while not a.callbacks(task_id) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [(c["attempt"], c["outcome"]) for c in a.callbacks(task_id)] == [(1, "error")]
        assert a.control("GET", "/_mock/health")["state"]["pending_deliveries"] == 1
    with server(path, media_dir, callback_events=("succeeded",)) as b:
        assert b.control("GET", "/_mock/health")["state"]["pending_deliveries"] == 1
        b.advance(60)  # every retry is due
        b.flush_callbacks()
        attempts = b.callbacks(task_id)
        assert [(c["event"], c["attempt"]) for c in attempts] == [("succeeded", 2), ("succeeded", 3), ("succeeded", 4)]
        assert attempts[-1]["final"] and b.state.deliveries.pending == 0


def test_reset_clears_the_file_down_to_its_bytes(tmp_path: Path, media_dir: Path) -> None:
    path = tmp_path / "state.db"
    with server(path, media_dir) as a:
        api(a, "POST", TASKS, ark_body("zebra-unicorn-4711 on a beach"))
        a.control("PUT", f"/_mock/keys/{KEY}", {"balance": 5})
        assert b"zebra-unicorn-4711" in file_bytes(path)
        now = a.control("GET", "/_mock/clock")["now"]
        assert a.control("POST", "/_mock/reset") == {"status": "reset"}
        assert b"zebra-unicorn-4711" not in file_bytes(path)
        state = a.control("GET", "/_mock/health")["state"]
        assert (state["tasks"], state["accounts"], state["journal"]) == (0, 0, 0)
    with server(path, media_dir) as b:
        assert api(b, "GET", TASKS).json() == {"total": 0, "items": []}
        assert b.control("GET", f"/_mock/keys/{KEY}")["balance"] != 5
        assert b.control("GET", "/_mock/clock")["now"] >= now  # a reset never turns the clock back


def test_odd_input_is_stored_as_memory_holds_it_and_the_file_stays_readable(tmp_path: Path, media_dir: Path) -> None:
    path = tmp_path / "state.db"
    raw = [
        b'{"model": "seedance-1-0-lite-t2v-250428", "content": [{"type": "text", "text": "\\ud800 lone"}]}',
        b'{"\\udfff": 1}',
        b'{"model": "x", "content": "' + b"\xed\xa0\x80" + b'"}',  # a surrogate encoded as UTF-8 bytes
        b'{"prompt": "' + b"a" * (3 * 2**20) + b'"}',  # a 3 MB string
        b"[" * 40 + b"]" * 40,
        b"\xff\xfe not json",
    ]
    with server(path, media_dir) as a:
        for body in raw:
            r = http.post(a.base_url + TASKS, content=body, headers={**AUTH, "Content-Type": "application/json"})
            assert 400 <= r.status_code < 500
        http.get(a.base_url + TASKS + "/%ED%A0%80", headers=AUTH)
        big = ark_body("\u00e9\u4e2d\U0001f600 " * 2000)
        assert api(a, "POST", TASKS, big).status_code == 200
        tasks = api(a, "GET", f"{TASKS}?page_size=10").json()
        journal = a.journal()
    # Every text in the file is ASCII JSON: nothing in it can fail to decode.
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for (body,) in conn.execute("SELECT body FROM journal UNION ALL SELECT body FROM tasks"):
            assert body.isascii()
    with server(path, media_dir) as b:
        assert b.journal()[: len(journal)] == journal
        assert api(b, "GET", f"{TASKS}?page_size=10").json() == tasks
        assert b.control("GET", "/_mock/requests")["total"] == len(journal) + 1


def test_a_failed_write_is_a_clear_500_and_is_written_with_the_next_commit(
    tmp_path: Path, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    commit = Durable._commit
    failures = [sqlite3.OperationalError("database or disk is full")]

    def flaky(self: Durable, batches: list[Any]) -> None:
        if failures and any("INSERT INTO tasks" in sql for batch in batches for sql, _ in batch.ops):
            raise failures.pop()
        commit(self, batches)

    with server(path, media_dir) as a:
        monkeypatch.setattr(Durable, "_commit", flaky)
        r = api(a, "POST", TASKS, ark_body("written late"))
        assert r.status_code == 500 and "x-request-id" in r.headers
        assert r.json()["error"]["code"] == "InternalServiceError" and "disk is full" in r.json()["error"]["message"]
        second = api(a, "POST", TASKS, ark_body("written at once"))
        assert second.status_code == 200
        assert a.control("GET", "/_mock/health")["state"]["error"] is None
        ids = {t["id"] for t in api(a, "GET", TASKS).json()["items"]}
    with server(path, media_dir) as b:
        assert {t["id"] for t in api(b, "GET", TASKS).json()["items"]} == ids and len(ids) == 2


def test_lone_surrogates_held_in_memory_read_back_the_same(tmp_path: Path, media_dir: Path) -> None:
    """The door refuses them in bodies, but whatever the owners hold is stored: nothing can make the file
    unreadable, and what comes back is exactly what memory held."""
    path = tmp_path / "state.db"
    odd = "\ud800 \udfff \U0001f600 \x00 \u2028"
    entry = Journal(10, 2**20).record(5.0, "rid", "GET", f"/x/{odd}", f"q={odd}", "sk-0001", {odd: [odd, 2**63]}, 200)
    with server(path, media_dir) as a:
        a.call(lambda s: s.journal.append(entry))
        rule = a.add_fault(path=f"/{odd}", status=500, message=odd, times=None)
    with server(path, media_dir) as b:
        assert b.call(lambda s: list(s.journal))[0] == entry
        assert b.control("GET", "/_mock/faults")["items"][0]["id"] == rule["id"]
        assert b.call(lambda s: s.faults.list()) == [rule]


# -- files that are not a usable state --------------------------------------------------------------------------
def _damaged(tmp_path: Path, media_dir: Path) -> Path:
    path = tmp_path / "damaged.db"
    with server(path, media_dir) as mock:
        for n in range(5):
            api(mock, "POST", TASKS, ark_body(f"task {n} " + "x" * 1500))
    data = bytearray(path.read_bytes())
    page = 4096
    data[page:] = os.urandom(len(data) - page)  # every table's pages, but not the header
    path.write_bytes(bytes(data))
    return path


def _other_sqlite(tmp_path: Path, media_dir: Path) -> Path:
    path = tmp_path / "other.sqlite"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    return path


def _newer(tmp_path: Path, media_dir: Path) -> Path:
    path = tmp_path / "newer.db"
    with server(path, media_dir):
        pass
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {durable.SCHEMA_VERSION + 1}")
    return path


def _bad_row(tmp_path: Path, media_dir: Path) -> Path:
    path = tmp_path / "bad-row.db"
    with server(path, media_dir) as mock:
        api(mock, "POST", TASKS, ark_body())
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("""UPDATE tasks SET body = '{"id": "cgt-1", "spec": {"model": 7}}'""")
    return path


def _text(tmp_path: Path, media_dir: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 10)
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_text, "not an SQLite database"),
        (_other_sqlite, "another program"),
        (_bad_row, "not a readable seedance-mock state"),
        (_newer, "newer seedance-mock"),
    ],
)
def test_an_unusable_file_is_a_one_line_error_exit_2_and_left_untouched(
    tmp_path: Path, media_dir: Path, capsys: pytest.CaptureFixture[str], make: Any, says: str
) -> None:
    path = make(tmp_path, media_dir)
    before = sorted(tmp_path.iterdir()), path.read_bytes()
    capsys.readouterr()
    assert main(["--port", "0", "--quiet", "--cache-dir", str(media_dir), "--state", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and says in err and "Traceback" not in err, err
    assert (sorted(tmp_path.iterdir()), path.read_bytes()) == before


def test_a_corrupt_file_stops_the_real_command_with_one_line(tmp_path: Path, media_dir: Path) -> None:
    path = _damaged(tmp_path, media_dir)
    before = sorted(tmp_path.iterdir()), path.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "--port", "0", "--state", str(path), "--cache-dir", str(media_dir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr and "Traceback" not in done.stderr
    assert "not a readable seedance-mock state" in done.stderr
    assert (sorted(tmp_path.iterdir()), path.read_bytes()) == before


@pytest.mark.parametrize(("where", "says"), [("missing/state.db", "no such directory"), (".", "is a directory")])
def test_a_path_that_cannot_be_a_state_file_is_one_line(tmp_path: Path, where: str, says: str) -> None:
    with pytest.raises(StateFileError, match=says) as err:
        Durable.open(tmp_path / where)
    assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_use_by_another_mock_is_refused(tmp_path: Path, media_dir: Path) -> None:
    path = tmp_path / "state.db"
    with server(path, media_dir), pytest.raises(StateFileError, match="in use by another"):
        Durable.open(path)


def test_an_older_schema_is_migrated(tmp_path: Path, media_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.db"
    with server(path, media_dir) as a:
        task_id = api(a, "POST", TASKS, ark_body()).json()["id"]

    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE notes (body TEXT)")

    version = durable.SCHEMA_VERSION
    monkeypatch.setattr(durable, "SCHEMA_VERSION", version + 1)
    monkeypatch.setattr(durable, "MIGRATIONS", {version: add_notes})
    with server(path, media_dir) as b:
        assert api(b, "GET", f"{TASKS}/{task_id}").status_code == 200
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version + 1
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0
        monkeypatch.setattr(durable, "MIGRATIONS", {})  # a file older than every migration is refused
        conn.execute(f"PRAGMA user_version = {version}")
    with pytest.raises(StateFileError, match=r"too old") as err:
        Durable.open(path)
    assert "\n" not in str(err.value)


# -- kill -9 ---------------------------------------------------------------------------------------------------
def _start(path: Path, media: Path, port: int = 0) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--port", str(port), "--quiet", "--time-scale", "0",
         "--max-queued", "1000", "--state", str(path), "--cache-dir", str(media)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    first = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
    if match is None:
        proc.kill()
        raise AssertionError(f"the mock did not start: {first!r} {proc.communicate(timeout=10)}")
    return proc, match.group(1)


async def _burst(base: str, proc: subprocess.Popen[str], total: int, kill_after: int) -> list[str]:
    """``total`` concurrent creates; SIGKILL once ``kill_after`` of them were answered 200. The ids answered.

    aiohttp's client, not httpx's: httpcore's pool rescans every queued request at each step, ~4.5 CPU-s (and
    10 s of wall time) for these 340, while the mock answered them all in under one second."""
    acked: list[str] = []
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(
        base, headers=AUTH, connector=connector, timeout=aiohttp.ClientTimeout(30)
    ) as client:

        async def create(n: int) -> None:
            try:
                async with client.post(TASKS, json=ark_body(f"burst {n}")) as r:
                    if r.status != 200:
                        return
                    body = await r.json()
            except aiohttp.ClientError:
                return  # the server died under this request: not acknowledged
            acked.append(body["id"])
            if len(acked) == kill_after:
                proc.send_signal(signal.SIGKILL)

        await asyncio.gather(*(create(n) for n in range(total)))
    return acked


def test_kill_9_during_a_burst_of_creates_loses_nothing_acknowledged(tmp_path: Path, media_dir: Path) -> None:
    path = tmp_path / "state.db"
    proc, base = _start(path, media_dir)
    port = int(base.rsplit(":", 1)[1])
    try:
        with httpx.Client(base_url=base, headers=AUTH, timeout=60) as c:
            admin = {"Content-Type": "application/json"}
            assert c.put(f"/_mock/keys/{KEY}", json={"balance": 10**14, "rpm": 100_000}, headers=admin).is_success
            done_id = c.post(TASKS, json=ark_body("before the kill")).json()["id"]
            pred_id = c.post(PREDICTION, json={"prompt": "a fox", "resolution": "480p"}).json()["data"]["id"]
            assert c.post("/_mock/clock/advance", json={"seconds": 100}, headers=admin).is_success
            done = c.get(f"{TASKS}/{done_id}").json()
            assert done["status"] == "succeeded"
            key = c.get(f"/_mock/keys/{KEY}").json()
            clock = c.get("/_mock/clock").json()
        acked = asyncio.run(_burst(base, proc, total=340, kill_after=300))
        assert proc.wait(10) == -signal.SIGKILL
        assert len(acked) >= 300
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)

    proc, base = _start(path, media_dir, port)  # the same port: the old URLs point here
    try:
        with httpx.Client(base_url=base, headers=AUTH, timeout=60) as c:
            listed = set()
            for page in (1, 2):
                items = c.get(TASKS, params={"page_size": 500, "page_num": page}).json()["items"]
                listed |= {t["id"] for t in items}
            assert set(acked) <= listed  # every acknowledged create survived the kill
            assert c.get(f"{TASKS}/{done_id}").json() == done
            assert http.get(done["content"]["video_url"], timeout=60).status_code == 200
            assert c.get(f"/api/v3/predictions/{pred_id}/result").json()["data"]["status"] == "completed"
            kept = c.get(f"/_mock/keys/{KEY}").json()
            assert (kept["balance"], kept["rpm"]) == (key["balance"], key["rpm"]) == (10**14 - key["spent"], 100_000)
            assert c.get("/_mock/clock").json()["now"] >= clock["now"]
            last = acked[-1]
            assert c.get(f"{TASKS}/{last}").json()["status"] == "queued"
            admin = {"Content-Type": "application/json"}
            assert c.post("/_mock/clock/advance", json={"seconds": 1000}, headers=admin).is_success
            assert c.get(f"{TASKS}/{last}").json()["status"] == "succeeded"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_a_restart_keeps_the_4k_slot_taken(tmp_path: Path, media_dir: Path) -> None:
    """A 4k task running at the restart still holds its key's one 4k slot, and the one waiting for it still
    waits in its own queue, behind it but ahead of nothing else [FIDELITY §7]."""
    path = tmp_path / "state.db"
    four_k = text_body("dreamina-seedance-2-0-260128", "4k", resolution="4k", ratio="16:9", duration=4)
    with server(path, media_dir, queue_seconds=1, run_seconds=3) as a:
        first = api(a, "POST", TASKS, four_k).json()["id"]
        second = api(a, "POST", TASKS, four_k).json()["id"]
        a.advance(1)
        assert [api(a, "GET", f"{TASKS}/{i}").json()["status"] for i in (first, second)] == ["running", "queued"]
    with server(path, media_dir, queue_seconds=1, run_seconds=3) as b:
        other = api(b, "POST", TASKS, ark_body("not 4k")).json()["id"]
        b.advance(1)
        statuses = [api(b, "GET", f"{TASKS}/{i}").json()["status"] for i in (first, second, other)]
        assert statuses == ["running", "queued", "running"]
        b.advance(2)
        statuses = [api(b, "GET", f"{TASKS}/{i}").json()["status"] for i in (first, second)]
        assert statuses == ["succeeded", "running"]
