"""Tasks and their lifecycle, computed from a schedule and the clock.

No timer mutates a task. Each transition is an event with a due time in a heap; :meth:`TaskStore.settle`
applies every event due by ``now`` in time order before a request reads or writes anything. Statuses are
therefore a pure function of what was created and of the clock: deterministic under a frozen clock,
instant under ``/_mock/clock/advance``, and never backwards.

Upstream lifecycle [FIDELITY §2]: queued → running → succeeded | failed; queued → cancelled (DELETE while
queued); queued | running → expired once ``execution_expires_after`` passes. At most
``max_running_per_key`` tasks of one key run at once; the rest wait queued, first in, first out. Of those, at
most ``max_running_4k_per_key`` may be 4k tasks (upstream's lower 4k concurrency [FIDELITY §7]): a 4k task
waits in a FIFO of its own while that many 4k tasks of its key run, and never holds up the others.
"""

from __future__ import annotations

import builtins
import heapq
import itertools
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import contracts
from contracts.endpoints import ARK_STATUSES, TERMINAL_STATUSES
from mock_server.errors import ApiError

if TYPE_CHECKING:
    from mock_server.durable import Durable

#: A task's statuses, in Ark's words and lifecycle order (the ``ark.task`` enum).
STATUSES = ARK_STATUSES
#: The statuses after which a task never changes.
TERMINAL = frozenset(STATUSES) & TERMINAL_STATUSES

# What a moderation refusal of the output looks like [FIDELITY §2].
OUTPUT_REFUSED = {
    "code": "OutputVideoSensitiveContentDetected",
    "message": "The generated video may contain sensitive content and was withheld.",
}
# The terminal error of each failing outcome; the output audio refusal is §7's [FIDELITY §10].
OUTCOME_ERRORS = {
    "fail": OUTPUT_REFUSED,
    "fail_audio": {
        "code": "OutputAudioSensitiveContentDetected",
        "message": "The generated audio may contain sensitive content and was withheld.",
    },
}


# Not frozen: a frozen dataclass's __init__ (object.__setattr__ per field) cost 7 µs per create against 1 µs
# [issue 17]. Nothing assigns to a spec's fields (dataclasses.replace makes a changed copy); unsafe_hash keeps it
# hashable, as frozen made it.
@dataclass(slots=True, unsafe_hash=True)
class TaskSpec:
    """Everything a create request settled: the parameters a task runs with, after defaults."""

    model: str  # the name the caller used (echoed back, as upstream does)
    model_id: str  # canonical id
    scenario: str
    resolution: str
    ratio: str  # as asked ("adaptive" stays "adaptive" in the task object)
    actual_ratio: str  # the concrete row of the size table
    width: int
    height: int
    duration: int
    frames: int | None
    seed: int
    generate_audio: bool  # as asked (default true)
    audio: bool  # whether the output really has sound (model supports it and it was asked)
    return_last_frame: bool = False
    service_tier: str = "default"
    execution_expires_after: int = 172800
    priority: int | None = None
    draft: bool = False
    callback_url: str | None = None
    safety_identifier: str | None = None
    outcome: str = "succeed"  # "succeed" | "fail" | "fail_audio" | "expire" (from [mock:…] markers)
    # What the media shows [FIDELITY §11]: the prompt's first words, and the input images as
    # images.ingest_image references in layout order (never their bytes).
    prompt_excerpt: str = ""
    images: tuple[str, ...] = ()
    output_format: str | None = None  # 2.5's mp4 | mov [FIDELITY §5]
    draft_task_id: str | None = None  # the draft a final was made from [FIDELITY §5]
    base64_output: bool = False  # predictions' enable_base64_output: outputs as bare base64 [FIDELITY §3]

    @property
    def frame_count(self) -> int:
        """Frames in the output: ``frames`` when given, else 24 × duration + 1."""
        return contracts.frame_count(self.duration, self.frames)


def is_4k(task: Task) -> bool:
    """Whether ``task`` renders at 4k, which upstream runs fewer of at once [FIDELITY §7]."""
    return task.spec.resolution == "4k"


@dataclass(slots=True, eq=False)
class Task:
    """One generation task, shared by both API families (a prediction *is* an Ark task)."""

    id: str
    key: str
    family: str  # the family that created it: "ark" | "predictions"
    op: str  # "create" for Ark; "text-to-video" | "image-to-video" | "reference-to-video"
    spec: TaskSpec
    created_at: float
    updated_at: float
    ready_at: float
    status: str = "queued"
    started_at: float | None = None
    finished_at: float | None = None
    error: dict[str, str] | None = None
    #: Signed media URLs already computed, by "kind|origin": they never change once the task finished.
    urls: dict[str, str] | None = None

    @classmethod
    def queued(cls, task_id: str, key: str, family: str, op: str, spec: TaskSpec, now: float, wait: float) -> Task:
        """A new task, created ``now``, that may start ``wait`` seconds later."""
        return cls(task_id, key, family, op, spec, created_at=now, updated_at=now, ready_at=now + wait)

    @property
    def terminal(self) -> bool:
        """Whether the status can no longer change."""
        return self.status in TERMINAL


def _gc_untracker() -> Callable[[object], None] | None:
    """CPython's ``PyObject_GC_UnTrack`` (None on another interpreter, or where ctypes cannot reach it).

    The cyclic collector walks every tracked object on each full collection. Under a load of creates those
    come as the stored tasks grow by a quarter, and each walked all of them: with 145k stored tasks a
    collection paused the server for 306 ms (9 of them in 35 s of creates), the p99 of a create past 100 ms
    [issue 17]. A :class:`Task` and its :class:`TaskSpec` can never be part of a reference cycle: what they hold
    is text, numbers, booleans, None, a tuple of text, or a dict of text (``test_perf_paths`` checks their
    fields' types), so the store takes them off the collector's lists. Reference counting still frees a forgotten
    task at once, with what it holds."""
    if sys.implementation.name != "cpython":
        return None
    try:
        import ctypes

        untrack = ctypes.pythonapi.PyObject_GC_UnTrack
    except (ImportError, AttributeError, OSError):  # pragma: no cover - a CPython built without ctypes
        return None
    untrack.argtypes = (ctypes.py_object,)
    untrack.restype = None
    return untrack


_untrack = _gc_untracker()


@dataclass(slots=True)
class _KeyState:
    tasks: dict[str, Task] = field(default_factory=dict)  # insertion (creation) order
    waiting: deque[Task] = field(default_factory=deque)  # queued tasks that will start, FIFO
    # Flex-tier tasks wait longer [FIDELITY §2]: their own FIFO, so they never hold up default ones.
    flex_waiting: deque[Task] = field(default_factory=deque)
    # 4k tasks have a lower concurrency limit [FIDELITY §7]: their own FIFO, so a 4k task waiting for the
    # key's 4k slot never holds up the key's other tasks.
    waiting_4k: deque[Task] = field(default_factory=deque)
    running: int = 0
    running_4k: int = 0
    queued: int = 0


class TaskStore:
    """All tasks, indexed by id (O(1) reads) and by API key (listing, queues, quotas)."""

    def __init__(
        self,
        *,
        queue_seconds: float,
        run_seconds: float,
        max_running_per_key: int,
        on_finished: Callable[[Task], None] | None = None,
        max_tasks: int | None = None,
        max_running_4k_per_key: int | None = None,
    ) -> None:
        self.queue_seconds = queue_seconds
        self.run_seconds = run_seconds
        self.max_running = max_running_per_key
        #: How many 4k tasks of one key may run at once (None: only ``max_running`` bounds them).
        self.max_running_4k = max_running_4k_per_key
        self.max_tasks = max_tasks
        self._on_finished = on_finished
        #: Called after every status change, with the task already in its new state (callbacks hang here).
        self.on_change: Callable[[Task, float], None] | None = None
        #: The state file (``--state``), told of every created, changed and forgotten task.
        self.durable: Durable | None = None
        self._tasks: dict[str, Task] = {}
        self._keys: dict[str, _KeyState] = {}
        # (due, order, kind, task id, task created_at): ids, not tasks, so a forgotten task is freed at once.
        self._events: list[tuple[float, int, str, str, float]] = []
        self._seq = itertools.count()
        self._next_eviction = max_tasks
        # (cancelled at, task id, created_at), in cancellation order: retention of cancelled tasks [FIDELITY §9].
        self._cancelled: deque[tuple[float, str, float]] = deque()

    # -- reading ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._tasks

    def get(self, task_id: str) -> Task | None:
        """The task with ``task_id``, or None (callers settle first)."""
        return self._tasks.get(task_id)

    def all(self) -> list[Task]:
        """Every stored task of every key, oldest first (the dashboard's feed)."""
        return list(self._tasks.values())

    def queued_count(self, key: str) -> int:
        """How many of ``key``'s tasks are queued now."""
        state = self._keys.get(key)
        return state.queued if state else 0

    def list(
        self,
        key: str,
        *,
        statuses: Iterable[str] = (),
        models: Iterable[str] = (),
        task_ids: Iterable[str] = (),
    ) -> list[Task]:
        """``key``'s tasks, newest first, filtered (each filter empty = no filter)."""
        state = self._keys.get(key)
        if state is None:
            return []
        wanted_status = frozenset(statuses)
        wanted_models = frozenset(m.lower() for m in models)
        wanted_ids = frozenset(task_ids)
        candidates: Iterable[Task] = reversed(state.tasks.values())
        if wanted_ids:
            # Newest first as without the filter: tasks created at the same (frozen) instant keep their
            # creation order, which sorting a set of ids by created_at did not.
            candidates = (t for t in candidates if t.id in wanted_ids)
        out = []
        for task in candidates:
            if wanted_status and task.status not in wanted_status:
                continue
            if wanted_models and not (
                task.spec.model.lower() in wanted_models or task.spec.model_id.lower() in wanted_models
            ):
                continue
            out.append(task)
        return out

    def page(
        self,
        key: str,
        *,
        status: str | None = None,
        model: str | None = None,
        task_ids: Iterable[str] = (),
        service_tier: str = "default",
        page_num: int = 1,
        page_size: int = 20,
    ) -> tuple[int, builtins.list[Task]]:  # (list: the method above)
        """``(how many match, the page asked for)`` of ``key``'s tasks, newest first: Ark's list [FIDELITY §2].

        ``model`` matches a task created under any name of that model, from either side (``dreamina-…``
        finds ``doubao-…`` tasks and the reverse) [FIDELITY §12]; the tier filter defaults to ``default``,
        so flex tasks appear only when asked for [FIDELITY §2]."""
        models: list[str] = []
        if model is not None:
            known = contracts.lookup_model(model)
            models = list(known.names) if known is not None else [model]
        tasks = self.list(key, statuses=[status] if status is not None else [], models=models, task_ids=task_ids)
        tasks = [t for t in tasks if t.spec.service_tier == service_tier]
        start = (page_num - 1) * page_size
        return len(tasks), tasks[start : start + page_size]

    # -- the lifecycle ---------------------------------------------------------------------------------
    def settle(self, now: float) -> None:
        """Apply, in time order, every transition due by ``now``."""
        events = self._events
        while events and events[0][0] <= now:
            when, _, kind, task_id, created_at = heapq.heappop(events)
            task = self._tasks.get(task_id)
            if task is None or task.created_at != created_at:
                continue  # deleted, forgotten or reset meanwhile
            getattr(self, "_on_" + kind)(task, when)

    def next_due(self) -> float | None:
        """When the earliest scheduled transition is due (it may turn out stale), or None."""
        return self._events[0][0] if self._events else None

    def _changed(self, task: Task, when: float) -> None:
        if self.durable is not None:
            self.durable.task(task)
        if self.on_change is not None:
            self.on_change(task, when)

    def _push(self, when: float, kind: str, task: Task) -> None:
        events = self._events
        if len(events) > 2 * len(self._tasks) + 1024:
            self._compact()
        heapq.heappush(events, (when, next(self._seq), kind, task.id, task.created_at))

    def _compact(self) -> None:
        """Drop the events of deleted, forgotten and finished tasks: a task's 48 h expiry event would
        otherwise outlive its record, and the heap would grow with every create however --max-tasks is set."""
        tasks = self._tasks
        live = []
        for event in self._events:
            task = tasks.get(event[3])
            if task is not None and task.created_at == event[4] and not task.terminal:
                live.append(event)
        heapq.heapify(live)
        self._events = live

    def create(self, task: Task, *, immediate: bool = False) -> Task:
        """Store a new queued ``task`` and schedule its life.

        ``immediate`` (predictions' ``enable_sync_mode``) runs it to its end at its creation time,
        outside the per-key queue: the caller is waiting on the open request.
        """
        self._tasks[task.id] = task
        if _untrack is not None:
            _untrack(task)
            _untrack(task.spec)
        if self.durable is not None:
            self.durable.task(task)
        state = self._keys.setdefault(task.key, _KeyState())
        state.tasks[task.id] = task
        state.queued += 1
        self._push(task.created_at + task.spec.execution_expires_after, "expire", task)
        if task.spec.outcome == "expire":
            return task  # [mock:expire]: never starts, ends expired [issue 3]
        if immediate:
            self._start(task, task.created_at, run_seconds=0.0, state=state)
        else:
            self._queue_for(state, task).append(task)
            self._push(task.ready_at, "ready", task)
        if self._next_eviction is not None and len(self._tasks) > self._next_eviction:
            self._evict()
        return task

    def _evict(self) -> None:
        """Forget the oldest finished tasks once more than ``max_tasks`` are stored.

        A mock left up all day must not grow without bound, and upstream does not keep task records
        forever either. Only finished tasks are forgotten (their media URLs keep working); a queued or
        running task is never lost. Works in batches of 1% so a create rarely pays for a scan.
        """
        assert self.max_tasks is not None
        target = self.max_tasks - max(1, self.max_tasks // 100)
        for task in list(self._tasks.values()):
            if len(self._tasks) <= target:
                break
            if task.terminal:
                self.delete(task)
        # Nothing (more) to forget: look again only after another 1% of creates.
        self._next_eviction = max(self.max_tasks, len(self._tasks) + max(1, self.max_tasks // 100))

    def cancel_or_delete(self, task: Task, now: float) -> None:
        """What a DELETE does [FIDELITY §2]: cancel a queued task, forget a finished one; a running or already
        cancelled task can be neither (400; the code is a [decision])."""
        if task.status == "queued":
            self.cancel(task, now)
        elif task.terminal and task.status != "cancelled":  # succeeded, failed or expired
            self.delete(task)
        else:
            raise ApiError(
                400,
                "InvalidParameter",
                f"The task {task.id} is {task.status} and cannot be cancelled or deleted.",
                "id",
            )

    def cancel(self, task: Task, now: float) -> None:
        """queued → cancelled [FIDELITY §2: DELETE of a queued task]."""
        assert task.status == "queued"
        self._set(task, "cancelled", now)
        self._keys[task.key].queued -= 1
        self._cancelled.append((now, task.id, task.created_at))
        self._changed(task, now)

    def purge(self, now: float, retention: float, cancelled_retention: float) -> None:
        """Forget tasks created more than ``retention`` ago and tasks cancelled more than
        ``cancelled_retention`` ago [FIDELITY §9]. Both are found from the front of a creation- or
        cancellation-ordered sequence (the clock never runs back), so a call costs what it removes.
        A task still queued or running past its retention is kept until it ends (it expires first).
        """
        cutoff = now - retention
        while self._tasks:
            oldest = next(iter(self._tasks.values()))
            if oldest.created_at > cutoff or not oldest.terminal:
                break
            self.delete(oldest)
        cancelled = self._cancelled
        while cancelled and cancelled[0][0] <= now - cancelled_retention:
            _, task_id, created_at = cancelled.popleft()
            task = self._tasks.get(task_id)
            if task is not None and task.created_at == created_at:
                self.delete(task)

    def delete(self, task: Task) -> None:
        """Forget a finished task's record [FIDELITY §2: DELETE of succeeded / failed / expired]."""
        if self._tasks.pop(task.id, None) is not None and self.durable is not None:
            self.durable.task_gone(task.id)
        state = self._keys.get(task.key)
        if state is not None:
            state.tasks.pop(task.id, None)
            if not state.tasks and not state.running and not state.queued:
                del self._keys[task.key]  # a key with no task left holds nothing: one per random key adds up

    def reset(self) -> None:
        """Forget every task and pending transition."""
        self._tasks.clear()
        self._keys.clear()
        self._events.clear()
        self._cancelled.clear()
        if self.durable is not None:
            self.durable.cleared("tasks")

    def restore(self, tasks: Iterable[Task]) -> None:
        """Take back the tasks of a state file (oldest first) into an empty store, with the queues and the
        pending transitions their statuses imply: the lifecycle goes on as if it had never stopped."""
        cancelled = []
        for task in tasks:
            self._tasks[task.id] = task
            if _untrack is not None:
                _untrack(task)
                _untrack(task.spec)
            state = self._keys.setdefault(task.key, _KeyState())
            state.tasks[task.id] = task
            if task.status == "cancelled":
                cancelled.append((task.updated_at, task.id, task.created_at))
            if task.terminal:
                continue
            self._push(task.created_at + task.spec.execution_expires_after, "expire", task)
            if task.status == "running":
                state.running += 1
                if is_4k(task):
                    state.running_4k += 1  # it holds the key's 4k slot [FIDELITY §7]
                self._push((task.started_at or task.created_at) + self.run_seconds, "finish", task)
                continue
            state.queued += 1
            if task.spec.outcome != "expire":
                # Its "ready" may be past: replayed in time order, it starts the task only where a slot was free.
                self._queue_for(state, task).append(task)
                self._push(task.ready_at, "ready", task)
        self._cancelled.extend(sorted(cancelled))
        if self._next_eviction is not None and len(self._tasks) > self._next_eviction:
            self._evict()

    # -- transitions -----------------------------------------------------------------------------------
    def _set(self, task: Task, status: str, when: float) -> None:
        task.status = status
        task.updated_at = max(task.updated_at, when)

    def _start(self, task: Task, when: float, *, run_seconds: float, state: _KeyState) -> None:
        self._set(task, "running", when)
        task.started_at = when
        state.queued -= 1
        state.running += 1
        if is_4k(task):
            state.running_4k += 1
        self._push(when + run_seconds, "finish", task)
        self._changed(task, when)

    def _pump(self, key: str, when: float) -> None:
        """Start waiting tasks of ``key`` while a slot is free, oldest first (a 4k task only while the key's
        4k slots are not all taken [FIDELITY §7])."""
        state = self._keys.get(key)
        if state is None:
            return
        queues = (state.waiting, state.flex_waiting, state.waiting_4k)
        while state.running < self.max_running:
            for waiting in queues:
                while waiting and (waiting[0].status != "queued" or waiting[0].id not in self._tasks):
                    waiting.popleft()
            # Each FIFO's head is its oldest; of the heads ready now, the one ready first starts.
            ready = [w for w in queues if w and w[0].ready_at <= when and self._may_start(w[0], state)]
            if not ready:
                break  # each head's own "ready" event, or the finish of a 4k task, will pump again
            waiting = min(ready, key=lambda w: w[0].ready_at)
            self._start(waiting.popleft(), when, run_seconds=self.run_seconds, state=state)

    @staticmethod
    def _queue_for(state: _KeyState, task: Task) -> deque[Task]:
        """The FIFO a queued task waits in: flex [FIDELITY §2], 4k [FIDELITY §7] or the key's own."""
        if task.spec.service_tier == "flex":
            return state.flex_waiting
        return state.waiting_4k if is_4k(task) else state.waiting

    def _may_start(self, task: Task, state: _KeyState) -> bool:
        """Whether a free slot of the key may go to ``task``: a 4k task needs one of the 4k slots too."""
        return self.max_running_4k is None or not is_4k(task) or state.running_4k < self.max_running_4k

    def _stopped(self, task: Task, state: _KeyState) -> None:
        """A running task of ``state`` ended (finished or expired): its slots are free again."""
        state.running -= 1
        if is_4k(task):
            state.running_4k -= 1

    def _on_ready(self, task: Task, when: float) -> None:
        if task.status == "queued":
            self._pump(task.key, when)

    def _on_finish(self, task: Task, when: float) -> None:
        if task.status != "running":
            return  # expired first
        state = self._keys.get(task.key)
        if task.spec.outcome in OUTCOME_ERRORS:
            task.error = dict(OUTCOME_ERRORS[task.spec.outcome])
            self._set(task, "failed", when)
        else:
            self._set(task, "succeeded", when)
        task.finished_at = when
        self._changed(task, when)
        if state is not None:
            self._stopped(task, state)
            self._pump(task.key, when)
        if self._on_finished is not None and task.id in self._tasks:
            self._on_finished(task)

    def _on_expire(self, task: Task, when: float) -> None:
        if task.terminal:
            return
        state = self._keys[task.key]
        if task.status == "running":
            self._stopped(task, state)
        else:
            state.queued -= 1
        self._set(task, "expired", when)
        task.finished_at = when
        self._changed(task, when)
        self._pump(task.key, when)

    def snapshot(self) -> dict[str, Any]:
        """Counts for /_mock/health."""
        counts = dict.fromkeys(STATUSES, 0)
        for task in self._tasks.values():
            counts[task.status] += 1
        return {"total": len(self._tasks), "by_status": counts}
