"""What the mock sends back to the user's app: Ark callbacks and predictions webhooks [FIDELITY §8].

A task created with a ``callback_url`` (Ark) or a ``webhook`` (predictions) is *watched*. Every status change
of a watched task (the store's ``on_change`` hook) is turned at once into a :class:`Delivery`: the body is the
task as it is at that very transition, serialised once, so a late delivery still tells the status it is about.
Deliveries of one task go out one at a time, in transition order; each is due at its transition's mock time
and its retries are due later on the same clock. The lifecycle driver (``mock_server/driver.py``) sends what
is due; this module holds no timer and does no I/O except :func:`send`.

Upstream [FIDELITY §8]: Ark POSTs the bare task object on each status change, retrying ``succeeded`` and
``failed`` three times when no acknowledgement comes within 5 s; WaveSpeed POSTs the bare prediction for
terminal states only, signed ``webhook-signature: v3,<hex HMAC-SHA256 of "{id}.{timestamp}.{body}">``.
"""

from __future__ import annotations

import asyncio
import builtins
import fnmatch
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from contracts.endpoints import PREDICTION_STATUS
from mock_server import __version__
from mock_server.clock import Clock
from mock_server.config import MockConfig
from mock_server.errors import ApiError
from mock_server.faults import Faults
from mock_server.journal import summary
from mock_server.store import STATUSES, TERMINAL, Task

if TYPE_CHECKING:
    from mock_server.durable import Durable

log = logging.getLogger("seedance_mock")

#: Every status a callback can report; ``--callback-events`` picks among them [FIDELITY §8].
CALLBACK_EVENTS = STATUSES
#: Ark retries only these when unacknowledged [FIDELITY §8].
RETRIED = frozenset({"succeeded", "failed"})
#: A webhook reports a terminal state in the predictions vocabulary [FIDELITY §3, §7].
WEBHOOK_WORDS = {status: PREDICTION_STATUS[status] for status in STATUSES if status in TERMINAL}
#: Deliveries waiting at once (all tasks); beyond it the oldest waiting one is given up [FIDELITY §8].
MAX_PENDING = 10_000
#: Longest callback or webhook URL accepted.
MAX_URL = 2048
#: Strings in a webhook's ``input`` echo are cut beyond this (a data: URI is not worth sending back).
INPUT_STRING_LIMIT = 1024

#: (task, kind, origin) -> the JSON body; set by the driver (it knows both families' renderers).
Render = Callable[[Task, str, str], dict[str, Any]]


def _encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; a lone surrogate echoed from the request is sent as a ``\\ud800`` escape."""
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":")).encode()


def check_url(url: Any, allow: tuple[str, ...] | None, param: str) -> str:
    """``url`` if the mock may call it, else a 400 naming ``param`` [FIDELITY §8].

    Any absolute http(s) URL in printable ASCII is called unless ``--callback-allow`` patterns are set, in
    which case the whole URL must match one of them (shell-style glob, e.g. ``http://127.0.0.1:*``).
    """
    if not isinstance(url, str) or not url:
        raise ApiError(400, "InvalidParameter", f"The parameter `{param}` must be an http(s) URL.", param)
    if len(url) > MAX_URL:
        raise ApiError(400, "InvalidParameter", f"The parameter `{param}` is longer than {MAX_URL} characters.", param)
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a bad port
    except ValueError:
        parts = None
    if (
        parts is None
        or not (url.isascii() and url.isprintable())
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
    ):
        shown = url if len(url) <= 80 else url[:77] + "..."
        raise ApiError(
            400,
            "InvalidParameter",
            f"The parameter `{param}` must be an absolute http(s) URL in ASCII, not {shown!r}.",
            param,
        )
    if allow is not None and not any(fnmatch.fnmatchcase(url, pattern) for pattern in allow):
        raise ApiError(
            400,
            "InvalidParameter",
            f"The parameter `{param}` names a URL this mock may not call (--callback-allow).",
            param,
        )
    return url


def webhook_secret(server_secret: bytes, key: str) -> str:
    """The key's webhook secret, ``whsec_…``: derived, so stable for the server's life and never stored."""
    digest = hmac.new(server_secret, b"webhook-secret:" + key.encode(), hashlib.sha256).hexdigest()
    return "whsec_" + digest[:48]


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v3,<hex>``: HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` keyed by the secret without ``whsec_``
    (the remaining text itself, not base64-decoded) [FIDELITY §3]."""
    key = secret.removeprefix("whsec_").encode()
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v3," + hmac.new(key, signed, hashlib.sha256).hexdigest()


@dataclass(slots=True)
class Watch:
    """A task whose status changes are sent somewhere."""

    task_id: str
    created_at: float
    kind: str  # "callback" (Ark callback_url) | "webhook" (predictions)
    url: str
    origin: str  # where media URLs in the body point (the origin the create came in on)
    secret: str | None = None  # webhooks are signed with the key's secret
    input: Any = None  # the prediction's input, echoed in a webhook body


@dataclass(slots=True, eq=False)
class Delivery:
    """One event for one task: its body, where it goes, and how many attempts it may take."""

    seq: int
    task_id: str
    kind: str
    url: str
    event: str  # the status word sent: Ark's for callbacks, the predictions word for webhooks
    body: bytes
    event_at: float  # mock time of the transition
    max_attempts: int
    secret: str | None = None
    webhook_id: str | None = None
    attempt: int = 0  # attempts made so far
    due: float = 0.0


@dataclass(slots=True)
class Attempt:
    """One attempt as ``GET /_mock/callbacks`` shows it."""

    seq: int
    delivery: Delivery
    attempt: int
    outcome: str  # delivered | rejected | timeout | error | faulted | abandoned
    status_code: int | None
    error: str | None
    mock_time: float
    real_time: float
    duration_ms: float
    final: bool  # no further attempt of this delivery will follow

    def as_json(self) -> dict[str, Any]:
        """The attempt as JSON (the body parsed, long strings cut)."""
        d = self.delivery
        return {
            "seq": self.seq,
            "task_id": d.task_id,
            "kind": d.kind,
            "url": d.url,
            "event": d.event,
            "attempt": self.attempt,
            "max_attempts": d.max_attempts,
            "outcome": self.outcome,
            "status_code": self.status_code,
            "error": self.error,
            "mock_time": self.mock_time,
            "event_time": d.event_at,
            "real_time": self.real_time,
            "duration_ms": round(self.duration_ms, 3),
            "final": self.final,
            "webhook_id": d.webhook_id,
            "body": summary(json.loads(d.body), 2048),
        }


OUTCOMES = frozenset({"delivered", "rejected", "timeout", "error", "faulted", "abandoned"})

#: A sink keeps this many requests; this many sinks exist at once (the least recently used goes first).
SINK_SIZE = 1000
MAX_SINKS = 100
#: Bytes of a request body a sink keeps.
SINK_BODY_BYTES = 1024 * 1024
#: Headers a sink keeps (what a receiver looks at), lower case.
SINK_HEADERS = ("content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature")


class Sinks:
    """``/_mock/sink/{name}``: a ready receiver on the mock itself that records what it is sent."""

    def __init__(self) -> None:
        self._sinks: dict[str, deque[dict[str, Any]]] = {}
        self._seq = itertools.count(1)

    def record(self, name: str, headers: dict[str, str], raw: bytes, mock_time: float) -> dict[str, Any]:
        """Keep one request (its body parsed as JSON when it is JSON) and return the entry."""
        sink = self._sinks.pop(name, None)
        if sink is None:
            sink = deque(maxlen=SINK_SIZE)
            while len(self._sinks) >= MAX_SINKS:
                del self._sinks[next(iter(self._sinks))]
        self._sinks[name] = sink  # most recently used last
        cut = raw[:SINK_BODY_BYTES]
        try:
            body: Any = json.loads(cut)
            json.dumps(body, ensure_ascii=False).encode()  # a lone surrogate ("\ud800") cannot be answered
        except (UnicodeError, json.JSONDecodeError, RecursionError):
            body = cut.decode("utf-8", "replace")
        entry = {
            "seq": next(self._seq),
            "real_time": time.time(),
            "mock_time": mock_time,
            "headers": {k: v for k, v in headers.items() if k in SINK_HEADERS},
            "raw": cut.decode("utf-8", "replace"),
            "body": body,
            "truncated": len(raw) > SINK_BODY_BYTES,
        }
        sink.append(entry)
        return entry

    def list(self, name: str) -> list[dict[str, Any]]:
        """What sink ``name`` received, oldest first."""
        return list(self._sinks.get(name, ()))

    def clear(self, name: str | None = None) -> None:
        """Forget one sink, or every sink."""
        if name is None:
            self._sinks.clear()
        else:
            self._sinks.pop(name, None)


@dataclass
class Deliveries:
    """Every watch, every delivery waiting or in flight, and the record of attempts."""

    config: MockConfig
    clock: Clock
    faults: Faults
    render: Render | None = None
    #: Called whenever something became due earlier than the driver may think (the driver sets it).
    wake: Callable[[], None] = lambda: None
    #: Called with when a new task's first transition is due; wakes the driver only if that is sooner than it
    #: plans to turn (the driver sets it).
    wake_by: Callable[[float], None] = lambda due: None
    records: deque[Attempt] = field(default_factory=deque)
    _watches: dict[str, Watch] = field(default_factory=dict)
    _queues: dict[str, deque[Delivery]] = field(default_factory=dict)  # per task; the head is current
    _due: list[tuple[float, int, Delivery]] = field(default_factory=list)  # heads not in flight
    _inflight: set[Delivery] = field(default_factory=set)
    _pending: int = 0
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _record_seq: int = 0
    _generation: int = 0
    _idle: asyncio.Event | None = None
    #: How many times the lifecycle driver woke up (it sleeps until something is due).
    driver_turns: int = 0
    sinks: Sinks = field(default_factory=Sinks)
    #: The state file (``--state``), told of every watch and every delivery waiting (not the attempt records).
    durable: Durable | None = None

    def __post_init__(self) -> None:
        self.records = deque(maxlen=max(1, self.config.journal_size))

    # -- watching ------------------------------------------------------------------------------------------
    def watch(
        self, task: Task, kind: str, url: str, origin: str, *, secret: str | None = None, input: Any = None
    ) -> None:
        """Send ``task``'s status changes to ``url`` from now on; a callback reports ``queued`` at once.

        Called before the task is stored, so that a task that starts at its creation reports in order.
        """
        # The echo is cut now, so a big data: URI in the submit body is not held until the task ends.
        echo = summary(input, INPUT_STRING_LIMIT) if input is not None else None
        watch = self._watches[task.id] = Watch(task.id, task.created_at, kind, url, origin, secret, echo)
        if self.durable is not None:
            self.durable.watch(watch)
        self.changed(task, task.created_at)  # [FIDELITY §8] the initial queued is sent (if not filtered out)

    def changed(self, task: Task, when: float) -> None:
        """The store's ``on_change`` hook: queue a delivery of this transition, if one is wanted."""
        watch = self._watches.get(task.id)
        if watch is None or watch.created_at != task.created_at or self.render is None:
            return
        if task.terminal:
            del self._watches[task.id]  # nothing will follow
            if self.durable is not None:
                self.durable.watch_gone(task.id)
        if watch.kind == "callback":
            if task.status not in self.config.callback_events:
                return
            event = task.status
            retried = event in RETRIED
        else:
            if task.status not in WEBHOOK_WORDS:
                return  # webhooks report terminal states only [FIDELITY §8]
            event = WEBHOOK_WORDS[task.status]
            retried = True  # [FIDELITY §8] a webhook is retried like Ark's succeeded/failed
        try:
            body = self.render(task, watch.kind, watch.origin)
        except Exception:  # a bug of ours must not turn the request that settled this task into a 500
            log.exception("cannot render the %s of %s", watch.kind, task.id)
            return
        if watch.kind == "webhook":
            body["input"] = watch.input
        delivery = Delivery(
            seq=next(self._seq),
            task_id=task.id,
            kind=watch.kind,
            url=watch.url,
            event=event,
            body=_encode(body),
            event_at=when,
            max_attempts=1 + (self.config.callback_retries if retried else 0),
            secret=watch.secret,
            webhook_id=uuid.uuid4().hex if watch.kind == "webhook" else None,
            due=when,
        )
        if self._pending >= MAX_PENDING:
            self._abandon_oldest()
        self._pending += 1
        queue = self._queues.setdefault(task.id, deque())
        queue.append(delivery)
        if len(queue) == 1:
            heapq.heappush(self._due, (delivery.due, delivery.seq, delivery))
        if self.durable is not None:
            self.durable.delivery(delivery)
        self.wake()

    def _abandon_oldest(self) -> None:
        """Give up the waiting delivery due first, so a dead receiver cannot grow memory without bound."""
        while self._due:
            _, _, delivery = heapq.heappop(self._due)
            queue = self._queues.get(delivery.task_id)
            if not queue or queue[0] is not delivery:
                continue
            self._record(delivery, "abandoned", None, f"more than {MAX_PENDING} deliveries waiting", 0.0, True)
            self._advance_queue(delivery)
            return

    # -- the driver's side ---------------------------------------------------------------------------------
    def next_due(self) -> float | None:
        """Mock time at which the earliest waiting delivery is due, or None."""
        if not self._due or len(self._inflight) >= self.config.callback_concurrency:
            return None  # a finishing delivery wakes the driver
        return self._due[0][0]

    def take_due(self, now: float) -> list[Delivery]:
        """The deliveries due by ``now`` that may start (at most the concurrency bound in flight)."""
        out = []
        limit = self.config.callback_concurrency
        while self._due and self._due[0][0] <= now and len(self._inflight) < limit:
            delivery = heapq.heappop(self._due)[2]
            delivery.attempt += 1
            self._inflight.add(delivery)
            out.append(delivery)
        return out

    def done(self, delivery: Delivery, outcome: str, status: int | None, error: str | None, ms: float) -> None:
        """An attempt ended: record it, then schedule the retry or the task's next delivery."""
        if delivery not in self._inflight:
            return  # reset meanwhile
        self._inflight.discard(delivery)
        final = outcome == "delivered" or delivery.attempt >= delivery.max_attempts
        self._record(delivery, outcome, status, error, ms, final)
        if final:
            self._advance_queue(delivery)
        else:
            # Retries are spaced on the mock clock from the transition [FIDELITY §8]: a frozen clock holds
            # them until an advance, and a big advance makes every one of them due at once.
            delivery.due = delivery.event_at + delivery.attempt * self.config.callback_retry_seconds
            heapq.heappush(self._due, (delivery.due, delivery.seq, delivery))
            if self.durable is not None:
                self.durable.delivery(delivery)
        self.wake()
        self._check_idle()

    def _advance_queue(self, delivery: Delivery) -> None:
        self._pending -= 1
        if self.durable is not None:
            self.durable.delivery_gone(delivery)
        queue = self._queues.get(delivery.task_id)
        if queue and queue[0] is delivery:
            queue.popleft()
            if queue:
                head = queue[0]
                heapq.heappush(self._due, (head.due, head.seq, head))
            else:
                del self._queues[delivery.task_id]

    def _record(
        self, delivery: Delivery, outcome: str, status: int | None, error: str | None, ms: float, final: bool
    ) -> None:
        self._record_seq += 1
        self.records.append(
            Attempt(
                self._record_seq, delivery, max(1, delivery.attempt), outcome, status, error,
                self.clock.now(), time.time(), ms, final,
            )
        )  # fmt: skip

    # -- reading -------------------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Deliveries not finished yet (waiting, in flight, or waiting for a retry)."""
        return self._pending

    def idle(self) -> bool:
        """Nothing waiting and nothing in flight."""
        return self._pending == 0 and not self._inflight

    async def wait_idle(self) -> None:
        """Return once :meth:`idle` (call on the server's loop)."""
        while not self.idle():
            if self._idle is None:
                self._idle = asyncio.Event()
            self._idle.clear()
            await self._idle.wait()

    def _check_idle(self) -> None:
        if self._idle is not None and self.idle():
            self._idle.set()

    def list(
        self, *, task_id: str | None = None, url: str | None = None, outcome: str | None = None,
        event: str | None = None, kind: str | None = None, limit: int = 0,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Recorded attempts, oldest first (only the newest ``limit`` when it is positive); ``url`` is a
        shell-style pattern, the rest exact. 400 for an outcome or kind that no attempt can have."""
        if outcome is not None and outcome not in OUTCOMES:
            raise ApiError(400, "InvalidParameter", f"outcome must be one of {', '.join(sorted(OUTCOMES))}.", "outcome")
        if kind is not None and kind not in ("callback", "webhook"):
            raise ApiError(400, "InvalidParameter", "kind must be callback or webhook.", "kind")
        out = []
        for rec in self.records:
            d = rec.delivery
            if task_id is not None and d.task_id != task_id:
                continue
            if url is not None and not fnmatch.fnmatchcase(d.url, url):
                continue
            if outcome is not None and rec.outcome != outcome:
                continue
            if event is not None and d.event != event:
                continue
            if kind is not None and d.kind != kind:
                continue
            out.append(rec.as_json())
        return out[-limit:] if limit > 0 else out

    def counts(self) -> dict[str, int]:
        """Figures for /_mock/health."""
        return {
            "watched": len(self._watches),
            "pending": self._pending,
            "in_flight": len(self._inflight),
            "driver_turns": self.driver_turns,
        }

    def reset(self) -> None:
        """Forget watches, waiting deliveries and records (attempts in flight are forgotten when they end)."""
        self._watches.clear()
        self._queues.clear()
        self._due.clear()
        self._inflight.clear()
        self._pending = 0
        self.records.clear()
        self.sinks.clear()
        if self.durable is not None:
            self.durable.cleared("deliveries")
        self._check_idle()

    def restore(self, watches: builtins.list[Watch], deliveries: builtins.list[Delivery]) -> None:  # (list: a method)
        """Take back the watches and the waiting deliveries of a state file (oldest first). One that was in
        flight when the mock stopped is sent again: a receiver may see it twice, never not at all."""
        for watch in watches:
            self._watches[watch.task_id] = watch
        for delivery in deliveries:
            queue = self._queues.setdefault(delivery.task_id, deque())
            queue.append(delivery)
            if len(queue) == 1:
                heapq.heappush(self._due, (delivery.due, delivery.seq, delivery))
            self._pending += 1
        if deliveries:
            self._seq = itertools.count(max(d.seq for d in deliveries) + 1)


async def send(
    session: aiohttp.ClientSession, delivery: Delivery, faults: Faults, timeout: float
) -> tuple[str, int | None, str | None]:
    """Make one attempt: (outcome, HTTP status, error). Never raises (but for cancellation)."""
    rule = faults.take_delivery(delivery.url, delivery.event, delivery.task_id) if faults else None
    if rule is not None:
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.drop:
            return "faulted", None, f"dropped by fault rule {rule.id}"
        if rule.status is not None:
            return "faulted", rule.status, f"fault rule {rule.id} answered {rule.status} in the receiver's place"
    headers = {"Content-Type": "application/json", "User-Agent": f"seedance-mock/{__version__}"}
    if delivery.kind == "webhook" and delivery.secret is not None and delivery.webhook_id is not None:
        # Each attempt is signed afresh with the real time: receivers refuse events older than 300 s
        # [FIDELITY §8], and the mock clock may be anywhere [FIDELITY §8]. The id stays the same.
        stamp = int(time.time())
        headers["webhook-id"] = delivery.webhook_id
        headers["webhook-timestamp"] = str(stamp)
        headers["webhook-signature"] = sign(delivery.secret, delivery.webhook_id, stamp, delivery.body)
    try:
        async with session.post(
            delivery.url,
            data=delivery.body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            status = response.status
            response.release()
    except TimeoutError:
        return "timeout", None, f"no answer within {timeout:g} s"
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return "error", None, f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= status < 300:
        return "delivered", status, None
    return "rejected", status, None


def check_event_names(events: tuple[str, ...]) -> None:
    """Raise ValueError unless every name is a status a callback can report."""
    unknown = [e for e in events if e not in CALLBACK_EVENTS]
    if unknown:
        raise ValueError(f"unknown callback event(s) {', '.join(unknown)}; choose from {', '.join(CALLBACK_EVENTS)}")


__all__ = [
    "CALLBACK_EVENTS",
    "OUTCOMES",
    "TERMINAL",
    "Attempt",
    "Deliveries",
    "Delivery",
    "Watch",
    "check_url",
    "send",
    "sign",
    "webhook_secret",
]
