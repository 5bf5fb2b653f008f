"""MockState: everything one server holds, and the operations on it that every caller shares.

The HTTP control plane (admin.py), ``MockServer`` (testing.py), the pytest fixtures and both API families call
these; none of them repeats one: the clock (advance, time scale), task admission, ownership and withdrawal.
The journal, accounts, faults and the task store own their own operations (journal.py, accounts.py,
faults.py, store.py); media URLs are signed in signing.py.
"""

from __future__ import annotations

import random
import secrets
import string
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

import contracts
from mock_server.accounts import Accounts
from mock_server.callbacks import Deliveries, check_url, webhook_secret
from mock_server.clock import Clock
from mock_server.config import MockConfig
from mock_server.durable import Durable
from mock_server.errors import ApiError
from mock_server.faults import Faults
from mock_server.images import ingest_image
from mock_server.journal import Journal
from mock_server.media import MediaCache, default_cache_dir
from mock_server.signing import MediaSigner
from mock_server.store import Task, TaskSpec, TaskStore

if TYPE_CHECKING:  # (they import this module)
    from mock_server.proxy import Proxy
    from mock_server.recording import Replayer

_ID_CHARS = string.digits + string.ascii_lowercase
#: Two base-36 digits, lowest first, for each number below 36² (a task id's suffix in three lookups).
_ID_PAIRS = [_ID_CHARS[n % 36] + _ID_CHARS[n // 36] for n in range(36**2)]
#: The furthest one advance may move the clock (ten years), and the fastest it may run.
MAX_ADVANCE_SECONDS = 10 * 365 * 86400
MAX_TIME_SCALE = 1_000_000


@dataclass
class MockState:
    """Everything one mock server instance holds; lives under :data:`STATE` on the aiohttp app."""

    config: MockConfig
    clock: Clock
    store: TaskStore
    accounts: Accounts
    faults: Faults
    journal: Journal
    rng: random.Random
    media: MediaCache
    deliveries: Deliveries
    signer: MediaSigner
    #: Signs media URLs (through ``signer``) and derives each key's webhook secret.
    secret: bytes
    #: The state file (``--state``), None when the mock keeps everything in memory only.
    durable: Durable | None = None
    #: (mock second, its YYYYMMDDHHMMSS) for request ids, formatted once per second.
    stamp: tuple[int, str] = (-1, "")
    #: The validation proxy every /api/ request goes to (``--upstream``), else None.
    upstream: Proxy | None = None
    #: The recorded traffic that answers API requests it covers (``--replay``), else None.
    replayer: Replayer | None = None

    @classmethod
    def build(cls, config: MockConfig) -> MockState:
        """Fresh state for ``config``, or what its state file holds (:class:`StateFileError` when the file
        cannot be used)."""
        accounts = Accounts(
            default_balance=config.default_balance, default_rpm=config.default_rpm, api_keys=config.api_keys
        )

        def charge(task: Task) -> None:
            # A succeeded task is paid for with its completion tokens [issue 3: balance per succeeded task].
            if task.status == "succeeded":
                accounts.charge(task.key, usage(task.spec))

        store = TaskStore(
            queue_seconds=config.queue_seconds,
            run_seconds=config.run_seconds,
            max_running_per_key=config.max_running_per_key,
            max_running_4k_per_key=config.max_running_4k_per_key,
            on_finished=charge,
            max_tasks=config.max_tasks,
        )
        clock = Clock(config.time_scale, start=config.start_time)
        faults = Faults()
        deliveries = Deliveries(config, clock, faults)
        store.on_change = deliveries.changed
        durable = Durable.open(config.state) if config.state is not None else None
        # With --state: the same secret, so the same signed URLs and webhook secrets as before a restart.
        secret = durable.secret if durable is not None else secrets.token_bytes(16)
        state = cls(
            config=config,
            clock=clock,
            store=store,
            accounts=accounts,
            faults=faults,
            journal=Journal(config.journal_size, int(config.journal_mb * 2**20)),
            rng=random.Random(config.random_seed),
            media=_media_cache(config),
            deliveries=deliveries,
            signer=MediaSigner(secret, config.media_ttl_seconds, clock.now),
            secret=secret,
        )
        if durable is not None:
            state.durable = durable
            durable.attach(state)
        return state

    # -- time ------------------------------------------------------------------------------------------
    def now(self) -> float:
        """Current mock time."""
        return self.clock.now()

    def settle(self, now: float | None = None) -> float:
        """Apply every transition due by now (or by ``now``, the clock's time a moment ago), and forget the records
        past their retention; returns the time settled to."""
        if now is None:
            now = self.clock.now()
        self.store.settle(now)
        # Tasks are seen for 7 days after creation; a cancelled one for 24 h [FIDELITY §9].
        self.store.purge(now, self.config.retention_seconds, self.config.cancelled_retention_seconds)
        return now

    def clock_view(self, now: float | None = None) -> dict[str, float]:
        """``GET /_mock/clock``: mock time (``now`` when the caller has just settled), the rate and the total
        advanced."""
        return {
            "now": self.now() if now is None else now,
            "time_scale": self.clock.time_scale,
            "advanced": self.clock.advanced,
        }

    def advance(self, seconds: object) -> float:
        """Move mock time forward by ``seconds`` (0 to ten years, else 400) and settle every task; returns the
        new mock time."""
        value = _number(seconds, MAX_ADVANCE_SECONDS)
        if value is None:
            raise ApiError(
                400,
                "InvalidParameter",
                f'Send {{"seconds": N}} with N a number from 0 to {MAX_ADVANCE_SECONDS}.',
                "seconds",
            )
        self.clock.advance(value)
        return self.settle()

    def set_time_scale(self, time_scale: object) -> float:
        """Mock seconds per real second from now on (0 freezes; at most 1000000, else 400), after settling what
        was due at the old rate; returns mock time."""
        scale = _number(time_scale, MAX_TIME_SCALE)
        if scale is None:
            raise ApiError(
                400,
                "InvalidParameter",
                f'Send {{"time_scale": X}} with X a number from 0 to {MAX_TIME_SCALE}.',
                "time_scale",
            )
        self.settle()
        self.clock.set_time_scale(scale)
        return self.now()

    def finish_all(self) -> float:
        """Advance far enough that every task that can end has ended (the longest ``execution_expires_after``)
        and every callback retry is due; returns the new mock time (deliveries may still be in flight)."""
        c = self.config
        longest = contracts.family_rules("ark")["execution_expires_after_range"][1]
        self.clock.advance(longest + c.queue_seconds + c.run_seconds + c.callback_retries * c.callback_retry_seconds)
        return self.settle()

    def reset(self) -> None:
        """Forget tasks, accounts, faults and the journal (the clock keeps going: time never runs back)."""
        self.store.reset()
        self.deliveries.reset()
        self.accounts.reset()
        self.faults.clear()
        self.journal.clear()
        if self.durable is not None:
            self.durable.vacuum()  # the state file forgets them too, down to its bytes

    # -- tasks -----------------------------------------------------------------------------------------
    def new_id(self, now: float, *, flex: bool = False) -> str:
        """A fresh id shaped like upstream's, ``cgt-YYYYMMDDHHMMSS-xxxxx`` [FIDELITY §2], or
        ``cgt-batch-YYYYMMDDHHMMSS-xxxxx`` for a flex-tier task [FIDELITY §2]."""
        second = int(now)
        if self.stamp[0] != second:  # strftime once per mock second (shared with the request ids)
            self.stamp = (second, time.strftime("%Y%m%d%H%M%S", time.gmtime(second)))
        stamp = ("batch-" if flex else "") + self.stamp[1]
        while True:
            n = self.rng.getrandbits(26) % 36**5  # five base-36 characters from one draw, lowest first
            task_id = f"cgt-{stamp}-{_ID_PAIRS[n % 1296]}{_ID_PAIRS[n // 1296 % 1296]}{_ID_CHARS[n // 1296**2]}"
            if task_id not in self.store:
                return task_id

    def submit(
        self,
        key: str,
        family: str,
        op: str,
        spec: TaskSpec,
        *,
        sync: bool = False,
        origin: str = "",
        webhook: tuple[str, str, object] | None = None,
    ) -> Task:
        """Admit a create: model permission, balance, queue quota; then schedule the task.

        ``sync`` (predictions' ``enable_sync_mode``) runs the task to its end at once when
        :meth:`sync_fits`; ``origin`` is where media URLs in callbacks point; ``webhook`` is a predictions
        webhook as (url, the field that named it, the input to echo).
        """
        allow = self.config.callback_allow
        if spec.callback_url is not None:
            check_url(spec.callback_url, allow, "callback_url")
        if webhook is not None:
            check_url(webhook[0], allow, webhook[1])
        model = contracts.lookup_model(spec.model_id)
        assert model is not None
        self.accounts.check_model(key, spec.model_id, model.names)
        self.accounts.check_balance(key, usage(spec))
        if self.store.queued_count(key) >= self.config.max_queued_per_key:
            # More than 120 queued tasks for one key → 429 QuotaExceeded [FIDELITY §10].
            raise ApiError(
                429,
                "QuotaExceeded",
                f"Too many queued tasks: at most {self.config.max_queued_per_key} may wait at once.",
                headers={"Retry-After": str(max(1, round(self.config.run_seconds)))},
            )
        now = self.now()
        flex = spec.service_tier == "flex"
        # Flex has no latency guarantee: it waits much longer queued [FIDELITY §2].
        wait = self.config.queue_seconds + (self.config.flex_queue_seconds if flex else 0.0)
        task = Task.queued(self.new_id(now, flex=flex), key, family, op, spec, now, wait)
        if spec.callback_url is not None:
            self.deliveries.watch(task, "callback", spec.callback_url, origin)
        elif webhook is not None:
            secret = webhook_secret(self.secret, key)
            self.deliveries.watch(task, "webhook", webhook[0], origin, secret=secret, input=webhook[2])
        self.store.create(task, immediate=sync and self.sync_fits())
        self.store.settle(now)
        due = self.store.next_due()
        if due is not None:
            self.deliveries.wake_by(due)  # the lifecycle driver re-plans if the new task is due sooner
        return task

    def sync_fits(self) -> bool:
        """Whether a sync-mode task's normal life (queue + run) fits in ``--sync-timeout``. Such a task is run
        to its end at once rather than holding the request open on a clock that may be frozen; a longer one
        gets the gateway's sync timeout and runs on its normal schedule [FIDELITY §3]."""
        config = self.config
        return config.queue_seconds + config.run_seconds <= config.sync_timeout_seconds

    def webhook_secret(self, key: str) -> str:
        """``key``'s webhook signing secret (``whsec_…``), stable for the server's life [FIDELITY §8]."""
        return webhook_secret(self.secret, key)

    def owned_task(self, key: str, task_id: str) -> Task:
        """The caller's task ``task_id``, or a 404 (tasks are private to the key that made them)."""
        task = self.store.get(task_id)
        if task is None or task.key != key:
            raise ApiError(404, "NotFound", f"The specified task {task_id} is not found.", "id")
        return task

    def cancel_or_delete(self, key: str, task_id: str) -> None:
        """DELETE of the caller's task: cancel it while queued, forget it once finished, else 400
        (:meth:`TaskStore.cancel_or_delete`); 404 when it is not the caller's."""
        self.store.cancel_or_delete(self.owned_task(key, task_id), self.now())

    def draft_spec(self, key: str, task_id: str) -> TaskSpec:
        """The spec of the caller's succeeded draft ``task_id``, for a final made from it [FIDELITY §5]."""
        param = "content[0].draft_task.id"
        self.settle()  # read as it is now (the body may have taken a while to arrive since the gate settled)
        task = self.store.get(task_id)
        if task is None or task.key != key:
            shown = task_id if len(task_id) <= 80 else task_id[:77] + "..."  # ids come from the caller
            raise ApiError(404, "NotFound", f"The specified draft task {shown} is not found.", param)
        if not task.spec.draft:
            raise ApiError(400, "InvalidParameter", f"The task {task_id} is not a draft task.", param)
        if task.status != "succeeded":
            raise ApiError(400, "InvalidParameter", f"The draft task {task_id} is {task.status}, not succeeded.", param)
        return task.spec

    # -- media -----------------------------------------------------------------------------------------
    def ingest_image(self, url: str, facts: dict[int, dict[str, Any]] | None = None) -> str:
        """The reference a create keeps for an input image: a data: image's small copy is stored in the media
        cache, by digest (blocking when ``url`` is a data: URI: call it off the loop) [FIDELITY §11]. ``facts``
        receives what the journal keeps of the URI (images.ingest_image)."""
        return ingest_image(url, self.media.directory, facts)


def _media_cache(config: MockConfig) -> MediaCache:
    """The media cache, bounded by ``--cache-max-mb``, indexed and rid of stale temporaries at start."""
    cache = MediaCache(config.cache_dir or default_cache_dir(), max_bytes=config.cache_max_mb * 2**20)
    cache.open()
    return cache


def _number(value: object, most: float) -> float | None:
    """``value`` as a float when it is a number (not a bool) from 0 to ``most``, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= most:
        return float(value)
    return None


def usage(spec: TaskSpec) -> int:
    """Completion tokens of a task [FIDELITY §2: w × h × (24 × duration + 1) / 1024]."""
    return contracts.token_usage(spec.width, spec.height, frames=spec.frame_count)


def origin(request: web.Request, config: MockConfig) -> str:
    """The absolute origin the caller reached us on (or ``--public-url``)."""
    if config.public_url:
        return config.public_url.rstrip("/")
    return f"{request.scheme}://{request.host}"


STATE = web.AppKey("seedance_mock_state", MockState)
