"""``--state FILE``: everything the mock acknowledged, kept in an embedded SQLite database across restarts.

The state owners (store, accounts, faults, clock, deliveries, journal) keep serving every read from memory, as
without a state file; each one tells its :class:`Durable` what changed (``durable.task(task)``,
``durable.account(...)``, …). Changes are only *marked* there. At the end of the event loop's current step
(a moment when no operation is half done) or when a request is about to be answered, the marked objects are
serialised, as they are at that moment, into one batch for a single writer thread, which commits whatever
batches are waiting in one transaction (group commit). So the file always holds a consistent past state.

A request that changed something is answered only after its batch is committed (``await durable.flush()``
in app.py), so ``kill -9`` at any moment loses nothing acknowledged. Status transitions found by a read
need no wait: the lifecycle is a function of the schedule and the clock, so a transition lost with the
process happens again, identically, after the restart. The clock is saved with the real time it was saved
at and resumes from there (as if it had kept running while the mock was down); it never runs back.

The file (``PRAGMA application_id`` and ``user_version``) says it is a seedance-mock state and which schema
it has. Anything else (another program's file, a damaged one, a newer schema) is refused at start with one
line naming the file, and never written to [FIDELITY §15].
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_server.errors import ApiError

if TYPE_CHECKING:
    from mock_server.accounts import KeyAccount
    from mock_server.callbacks import Delivery, Watch
    from mock_server.clock import Clock
    from mock_server.faults import Faults
    from mock_server.journal import Entry
    from mock_server.state import MockState
    from mock_server.store import Task

log = logging.getLogger("seedance_mock")

#: ``PRAGMA application_id`` of a state file: "SDMK".
APPLICATION_ID = 0x53444D4B
#: The schema this mock writes; ``MIGRATIONS[n]`` upgrades a file from version n to n + 1.
SCHEMA_VERSION = 1
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}
#: Real seconds a change waits before it is handed to the writer when no request waits for it (reads'
#: transitions, the journal): many requests' worth go in one transaction.
LAZY_SECONDS = 0.05

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tasks (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE accounts (key TEXT PRIMARY KEY, explicit INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE faults (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE watches (task_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, payload BLOB NOT NULL);
CREATE TABLE journal (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""
_TABLES = ("meta", "tasks", "accounts", "faults", "watches", "deliveries", "journal")


class StateFileError(Exception):
    """The state file cannot be used; the message is one line that names the file."""


def _dumps(value: Any) -> str:
    # ASCII JSON: a lone surrogate is kept as a \\ud800 escape, so whatever memory holds is stored, reads back
    # the same, and can never make the file unreadable as UTF-8.
    return _ENCODE(value)


_ENCODE = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


@dataclass
class _Batch:
    """One hand-over to the writer: statements in order, applied in one transaction with others."""

    number: int
    ops: list[tuple[str, list[tuple[Any, ...]] | None]] = field(default_factory=list)
    vacuum: bool = False


@dataclass
class Loaded:
    """What a state file held when it was opened (consumed by :meth:`Durable.attach`)."""

    meta: dict[str, Any]
    tasks: list[dict[str, Any]]
    accounts: list[tuple[str, bool, dict[str, Any]]]
    faults: list[dict[str, Any]]
    watches: list[dict[str, Any]]
    deliveries: list[tuple[dict[str, Any], bytes]]
    journal: list[list[Any]]


class Durable:
    """One open state file: the owners' change marks, the writer thread, and the commit waiters."""

    def __init__(self, path: Path, conn: sqlite3.Connection, loaded: Loaded) -> None:
        self.path = path
        self._conn = conn
        self.loaded: Loaded | None = loaded
        self.secret: bytes = bytes.fromhex(loaded.meta["secret"])
        # marks since the last hand-over (the newest object per id; None = deleted)
        self._clear: set[str] = set()
        self._tasks: dict[str, Task | None] = {}
        self._accounts: dict[str, tuple[KeyAccount, bool] | None] = {}
        self._faults: Faults | None = None
        self._clock: Clock | None = None
        self._clock_ref: Clock | None = None
        self._watches: dict[str, Watch | None] = {}
        self._deliveries: dict[int, Delivery | None] = {}
        self._journal: list[Entry] = []
        self._journal_first: int | None = None
        self._journal_seq: int | None = None
        self._vacuum = False
        self._ord = int(loaded.meta.get("ord", 0))
        # hand-over and commit bookkeeping
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._dirty = False
        self._handed = 0
        self._committed = 0
        self._failed_upto = 0
        self.error: str | None = None
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._queue: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._closed = False
        self._attaching = False
        self._writer = threading.Thread(target=self._write_loop, name="seedance-mock state", daemon=True)
        self._writer.start()

    # -- opening -------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str) -> Durable:
        """Open (or create) the state file at ``path`` and read everything in it; :class:`StateFileError`
        with a one-line message when it is not a usable seedance-mock state."""
        path = Path(path)
        fresh = _check_header(path)
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0.5)
        except sqlite3.Error as exc:
            raise StateFileError(f"--state {path}: cannot open it ({exc})") from None
        try:
            # Held until the mock exits (the OS drops it on kill -9): two mocks never write one file.
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            if fresh:
                _create(conn)
            else:
                _upgrade(conn, path)
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit is in the OS's hands when it returns, so a killed process loses
            # nothing committed (a power cut may lose the last commits: this is a development server).
            conn.execute("PRAGMA synchronous=NORMAL")
            loaded = _load(conn)
        except StateFileError:
            conn.close()
            raise
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc):
                raise StateFileError(f"--state {path}: in use by another running seedance-mock") from None
            raise StateFileError(f"--state {path}: not a readable seedance-mock state file ({exc})") from None
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            conn.close()
            raise StateFileError(f"--state {path}: not a readable seedance-mock state file ({exc})") from None
        return cls(path, conn, loaded)

    # -- restoring the owners --------------------------------------------------------------------------------
    def attach(self, state: MockState) -> None:
        """Put what the file held into ``state``'s owners, then let them report their changes here.
        A row this mock cannot read is a :class:`StateFileError`, and the file is left as it was."""
        self._attaching = True  # marks made while restoring wait for the end: nothing is written before
        try:
            self._attach(state)
        except Exception as exc:
            self.abandon()
            if isinstance(exc, StateFileError):
                raise
            raise StateFileError(
                f"--state {self.path}: not a readable seedance-mock state file ({type(exc).__name__}: {exc})"
            ) from None
        self._attaching = False
        self._mark()

    def _attach(self, state: MockState) -> None:
        from mock_server.accounts import KeyAccount
        from mock_server.callbacks import Delivery, Watch
        from mock_server.faults import FaultRule
        from mock_server.journal import Entry
        from mock_server.store import Task, TaskSpec

        loaded, self.loaded = self.loaded, None
        assert loaded is not None, "attach() runs once"
        tasks = []
        for row in loaded.tasks:
            spec = dict(row.pop("spec"))
            spec["images"] = tuple(spec["images"])
            tasks.append(Task(**row, spec=TaskSpec(**spec)))
        state.store.restore(tasks)
        for task in tasks:
            if task.id not in state.store:
                self.task_gone(task.id)  # forgotten at once by a smaller --max-tasks
        accounts = []
        for key, explicit, row in loaded.accounts:
            models = row.pop("models")
            accounts.append((key, explicit, KeyAccount(**row, models=None if models is None else tuple(models))))
        state.accounts.restore(accounts)
        state.faults.restore([FaultRule(**row) for row in loaded.faults], int(loaded.meta.get("fault_next", 1)))
        watches = [Watch(**row) for row in loaded.watches]
        deliveries = [Delivery(**row, body=payload) for row, payload in loaded.deliveries]
        state.deliveries.restore(watches, deliveries)
        entries = [Entry(*row) for row in loaded.journal]
        state.journal.restore(entries)
        if len(state.journal) < len(entries):
            self._journal_first = state.journal[0].seq  # a smaller journal bound drops the oldest from the file too
        state.journal.seq = max(int(loaded.meta.get("journal_seq", 0)), entries[-1].seq if entries else 0)
        clock = loaded.meta.get("clock")
        if clock is not None:
            # Resume where the clock was, plus the real time since, at its rate; never before anything the
            # file shows already happened (the real clock may have been set back meanwhile).
            elapsed = max(0.0, time.time() - clock["wall"])
            seen = max((max(t.updated_at, t.finished_at or 0.0) for t in tasks), default=clock["now"])
            if entries:
                seen = max(seen, entries[-1].time)
            now = max(clock["now"] + elapsed * clock["scale"], seen, clock["now"])
            state.clock.resume(now, clock["scale"], clock["advanced"])
        for owner in (state.store, state.accounts, state.faults, state.clock, state.deliveries, state.journal):
            owner.durable = self
        self._clock_ref = state.clock
        self.clock(state.clock)

    # -- what the owners call ----------------------------------------------------------------------------------
    def task(self, task: Task) -> None:
        """``task`` was created or changed."""
        self._tasks[task.id] = task
        self._mark()

    def task_gone(self, task_id: str) -> None:
        """The record of ``task_id`` was forgotten (deleted, purged, evicted)."""
        self._tasks[task_id] = None
        self._mark()

    def account(self, key: str, account: KeyAccount, explicit: bool) -> None:
        """``key``'s account was stored or changed (``explicit``: set with PUT /_mock/keys, kept until reset)."""
        self._accounts[key] = (account, explicit)
        self._mark()

    def account_gone(self, key: str) -> None:
        """An implicit account was forgotten."""
        self._accounts[key] = None
        self._mark()

    def faults(self, faults: Faults) -> None:
        """The fault rules changed (added, used, cleared)."""
        self._faults = faults
        self._mark()

    def clock(self, clock: Clock) -> None:
        """The clock was advanced or its rate changed."""
        self._clock = clock
        self._mark()

    def watch(self, watch: Watch) -> None:
        """A task's status changes are now sent somewhere."""
        self._watches[watch.task_id] = watch
        self._mark()

    def watch_gone(self, task_id: str) -> None:
        """A watch ended (its task reached a terminal status)."""
        self._watches[task_id] = None
        self._mark()

    def delivery(self, delivery: Delivery) -> None:
        """A delivery was queued, or an attempt of it ended and a retry is due later."""
        self._deliveries[delivery.seq] = delivery
        self._mark()

    def delivery_gone(self, delivery: Delivery) -> None:
        """A delivery is over (delivered, out of attempts, abandoned)."""
        self._deliveries[delivery.seq] = None
        self._mark()

    def journal(self, entry: Entry, first_kept: int) -> None:
        """``entry`` was recorded; entries before ``first_kept`` (a seq) were dropped by the bounds."""
        self._journal.append(entry)
        self._journal_first = first_kept
        self._journal_seq = entry.seq
        self._mark()

    def cleared(self, table: str) -> None:
        """Everything of one kind was forgotten: ``tasks``, ``accounts``, ``faults``, ``deliveries`` (watches
        too) or ``journal``."""
        self._clear.add(table)
        if table == "tasks":
            self._tasks.clear()
        elif table == "accounts":
            self._accounts.clear()
        elif table == "deliveries":
            self._clear.add("watches")
            self._watches.clear()
            self._deliveries.clear()
        elif table == "journal":
            self._journal.clear()
            self._journal_first = None
        self._mark()

    def vacuum(self) -> None:
        """After the next commit, rewrite the file so that forgotten content is gone from its bytes too."""
        self._vacuum = True
        self._mark()

    # -- hand-over and commit ------------------------------------------------------------------------------------
    def _mark(self) -> None:
        self._dirty = True
        if self._timer is not None or self._closed or self._attaching:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._handoff()  # no loop (a script driving the state directly): nothing runs in between
            return
        self._loop = loop
        self._timer = loop.call_later(LAZY_SECONDS, self._handoff)

    def _handoff(self) -> None:
        """Serialise every marked object as it is now into one batch for the writer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._dirty:
            return
        self._dirty = False
        self._handed += 1
        batch = _Batch(self._handed, vacuum=self._vacuum)
        ops = batch.ops
        for table in sorted(self._clear):
            ops.append((f"DELETE FROM {table}", None))  # table names are ours
        self._clear.clear()
        if self._tasks:
            rows: list[tuple[Any, ...]] = []  # each table's rows have their own shape
            gone: list[tuple[Any, ...]] = []
            for task_id, task in self._tasks.items():
                if task is None:
                    gone.append((task_id,))
                else:
                    self._ord += 1
                    rows.append((task_id, self._ord, _dumps(_task_row(task))))
            self._tasks.clear()
            ops.append(("DELETE FROM tasks WHERE id = ?", gone))
            # A task keeps the creation order it was first written with (ord only on insert).
            ops.append(
                ("INSERT INTO tasks (id, ord, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = "
                 "excluded.body", rows)
            )  # fmt: skip
            ops.append(("INSERT OR REPLACE INTO meta (name, value) VALUES ('ord', ?)", [(str(self._ord),)]))
        if self._accounts:
            rows, gone = [], []
            for key, item in self._accounts.items():
                if item is None:
                    gone.append((key,))
                else:
                    acct, explicit = item
                    rows.append((key, int(explicit), _dumps(_account_row(acct))))
            self._accounts.clear()
            ops.append(("DELETE FROM accounts WHERE key = ?", gone))
            ops.append(("INSERT OR REPLACE INTO accounts (key, explicit, body) VALUES (?, ?, ?)", rows))
        if self._faults is not None:
            rules, next_id = self._faults.rows()
            ops.append(("DELETE FROM faults", None))
            ops.append(("INSERT INTO faults (id, body) VALUES (?, ?)", [(r["id"], _dumps(r)) for r in rules]))
            ops.append(("INSERT OR REPLACE INTO meta (name, value) VALUES ('fault_next', ?)", [(str(next_id),)]))
            self._faults = None
        if self._watches:
            rows, gone = [], []
            for task_id, watch in self._watches.items():
                if watch is None:
                    gone.append((task_id,))
                else:
                    rows.append((task_id, _dumps(dataclasses.asdict(watch))))
            self._watches.clear()
            ops.append(("DELETE FROM watches WHERE task_id = ?", gone))
            ops.append(("INSERT OR REPLACE INTO watches (task_id, body) VALUES (?, ?)", rows))
        if self._deliveries:
            rows, gone = [], []
            for seq, delivery in self._deliveries.items():
                if delivery is None:
                    gone.append((seq,))
                else:
                    rows.append((seq, _dumps(_delivery_row(delivery)), delivery.body))
            self._deliveries.clear()
            ops.append(("DELETE FROM deliveries WHERE seq = ?", gone))
            ops.append(("INSERT OR REPLACE INTO deliveries (seq, body, payload) VALUES (?, ?, ?)", rows))
        if self._journal:
            rows = [(e.seq, _dumps(list(e._replace(body=e.kept_body())))) for e in self._journal]
            self._journal.clear()
            ops.append(("INSERT OR REPLACE INTO journal (seq, body) VALUES (?, ?)", rows))
        if self._journal_first is not None:
            ops.append(("DELETE FROM journal WHERE seq < ?", [(self._journal_first,)]))
            self._journal_first = None
        if self._journal_seq is not None:
            ops.append(("INSERT OR REPLACE INTO meta (name, value) VALUES ('journal_seq', ?)",
                        [(str(self._journal_seq),)]))  # fmt: skip
            self._journal_seq = None
        if self._clock is not None:
            c = self._clock
            clock = {"now": c.now(), "wall": time.time(), "scale": c.time_scale, "advanced": c.advanced}
            ops.append(("INSERT OR REPLACE INTO meta (name, value) VALUES ('clock', ?)", [(_dumps(clock),)]))
            self._clock = None
        self._vacuum = False
        self._queue.put(batch)

    async def flush(self) -> None:
        """Return once every change made so far is committed to the file; a 500 when it cannot be written."""
        self._handoff()
        target = self._handed
        if self._committed < target and self._failed_upto < target:
            future = asyncio.get_running_loop().create_future()
            self._loop = asyncio.get_running_loop()
            self._waiters.append((target, future))
            await future
        if self._failed_upto >= target > self._committed:
            raise ApiError(
                500, "InternalServiceError", f"The mock could not write its state file {self.path}: {self.error}"
            )

    def _write_loop(self) -> None:
        """The writer thread: commit every waiting batch in one transaction, then tell the waiters."""
        retry: list[_Batch] = []
        while True:
            first = self._queue.get()
            batches = [*retry, first]
            while True:
                try:
                    batches.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(b is None for b in batches)
            work = [b for b in batches if b is not None]
            if work:
                try:
                    self._commit(work)
                except Exception as exc:  # never let the writer die silently
                    log.error("cannot write the state file %s: %s", self.path, exc)
                    # Disk full, I/O error: applied again, first, with the next batch (the ops are idempotent).
                    # Anything else would fail again: those changes are lost and the error stays in /_mock/health.
                    retry = work if isinstance(exc, sqlite3.OperationalError) else []
                    self._notify(work[-1].number, failed=True, error=str(exc))
                else:
                    retry = []
                    self._notify(work[-1].number)
            if stop:
                return

    def _commit(self, batches: list[_Batch]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for batch in batches:
                for sql, rows in batch.ops:
                    if rows is None:
                        conn.execute(sql)
                    elif rows:
                        conn.executemany(sql, rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if any(b.vacuum for b in batches):
            # /_mock/reset: the forgotten prompts and bodies leave the file's bytes too.
            try:
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:  # committed all the same; the bytes go with the next reset
                log.error("cannot compact the state file %s: %s", self.path, exc)

    def _notify(self, number: int, *, failed: bool = False, error: str | None = None) -> None:
        if failed:
            self.error = error
            self._failed_upto = number
        else:
            self._committed = number
            self.error = None
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        """On the loop: wake the requests whose batch is committed (or failed)."""
        done = max(self._committed, self._failed_upto)
        waiting = []
        for target, future in self._waiters:
            if target <= done:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((target, future))
        self._waiters = waiting

    def abandon(self) -> None:
        """Stop the writer and close the file without writing anything (start-up failed)."""
        self._closed = True
        self._queue.put(None)
        self._writer.join(30)
        self._conn.close()

    def close(self) -> None:
        """Write what is left, stop the writer and close the file (the server is shutting down)."""
        if self._closed:
            return
        if self._clock_ref is not None:
            self.clock(self._clock_ref)  # the clock's last position: a restart resumes from it
        self._handoff()
        self._closed = True
        self._queue.put(None)
        self._writer.join(30)
        self._conn.close()

    # -- reading ---------------------------------------------------------------------------------------------------
    def status(self, state: MockState) -> dict[str, Any]:
        """What /_mock/health shows of the state file: where, which schema, what it holds."""
        try:
            size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        except OSError:
            size = None
        return {
            "path": str(self.path),
            "schema_version": SCHEMA_VERSION,
            "bytes": size,
            "tasks": len(state.store),
            "accounts": len(state.accounts),
            "fault_rules": len(state.faults.list()),
            "pending_deliveries": state.deliveries.pending,
            "journal": len(state.journal),
            "uncommitted_batches": self._handed - self._committed,
            "error": self.error,
        }


# -- the file --------------------------------------------------------------------------------------------------------
def _check_header(path: Path) -> bool:
    """True when ``path`` is to be created (missing or empty); a StateFileError unless it starts as a
    seedance-mock SQLite file. Reads the first 100 bytes only: nothing is opened for writing before this."""
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise StateFileError(f"--state {path}: no such directory {path.parent}") from None
        return True
    except IsADirectoryError:
        raise StateFileError(f"--state {path}: is a directory, not a state file") from None
    except OSError as exc:
        raise StateFileError(f"--state {path}: cannot read it ({exc.strerror or exc})") from None
    if not head:
        return True
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise StateFileError(f"--state {path}: not a seedance-mock state file (not an SQLite database); left as it is")
    app_id = int.from_bytes(head[68:72], "big")
    if app_id != APPLICATION_ID:
        raise StateFileError(
            f"--state {path}: an SQLite database of another program, not a seedance-mock state; left as it is"
        )
    return False


def _create(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("BEGIN IMMEDIATE")
    for statement in _SCHEMA.strip().split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO meta (name, value) VALUES ('secret', ?)", (secrets.token_bytes(16).hex(),))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")


def _upgrade(conn: sqlite3.Connection, path: Path) -> None:
    """Bring an older schema up to date, or refuse a file this mock cannot read."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StateFileError(
            f"--state {path}: written by a newer seedance-mock (schema {version}; this one reads up to "
            f"{SCHEMA_VERSION}); left as it is"
        )
    if version < SCHEMA_VERSION and any(v not in MIGRATIONS for v in range(version, SCHEMA_VERSION)):
        raise StateFileError(
            f"--state {path}: schema {version} is too old for this seedance-mock (it migrates from "
            f"{min(MIGRATIONS, default=SCHEMA_VERSION)}); left as it is"
        )
    if version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        for v in range(version, SCHEMA_VERSION):
            MIGRATIONS[v](conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")


def _load(conn: sqlite3.Connection) -> Loaded:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = set(_TABLES) - names
    if missing:
        raise ValueError(f"missing table(s) {', '.join(sorted(missing))}")
    meta: dict[str, Any] = {}
    for name, value in conn.execute("SELECT name, value FROM meta"):
        meta[name] = json.loads(value) if name == "clock" else value
    if "secret" not in meta:
        raise ValueError("no signing secret")
    bytes.fromhex(meta["secret"])
    return Loaded(
        meta=meta,
        tasks=[json.loads(b) for (b,) in conn.execute("SELECT body FROM tasks ORDER BY ord")],
        accounts=[(k, bool(e), json.loads(b)) for k, e, b in conn.execute("SELECT key, explicit, body FROM accounts")],
        faults=[json.loads(b) for (b,) in conn.execute("SELECT body FROM faults ORDER BY id")],
        watches=[json.loads(b) for (b,) in conn.execute("SELECT body FROM watches")],
        deliveries=[(json.loads(b), bytes(p))
                    for b, p in conn.execute("SELECT body, payload FROM deliveries ORDER BY seq")],
        journal=[json.loads(b) for (b,) in conn.execute("SELECT body FROM journal ORDER BY seq")],
    )  # fmt: skip


# -- rows ----------------------------------------------------------------------------------------------------------
_TASK_FIELDS = ("id", "key", "family", "op", "created_at", "updated_at", "ready_at", "status", "started_at",
                "finished_at", "error")  # fmt: skip


def _task_row(task: Task) -> dict[str, Any]:
    row = {name: getattr(task, name) for name in _TASK_FIELDS}
    spec = task.spec
    row["spec"] = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    return row  # the signed URLs are not kept: the same secret signs them again, the same


def _account_row(acct: KeyAccount) -> dict[str, Any]:
    # The request-rate window (hits) is not kept: it starts afresh after a restart.
    return {"balance": acct.balance, "rpm": acct.rpm, "models": acct.models, "valid": acct.valid, "spent": acct.spent}


_DELIVERY_FIELDS = ("seq", "task_id", "kind", "url", "event", "event_at", "max_attempts", "secret", "webhook_id",
                    "attempt", "due")  # fmt: skip


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    return {name: getattr(delivery, name) for name in _DELIVERY_FIELDS}
